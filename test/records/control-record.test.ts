import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';
import {
  ControlRecordType,
  decodeControlRecord,
  decodeEndTxnMarker,
  encodeControlRecordKey,
  encodeEndTxnMarker,
  encodeEndTxnMarkerValue,
} from '../../src/records/control-record.js';
import { CorruptRecordError } from '../../src/records/errors.js';
import { decodeRecordBatches } from '../../src/records/record-batch.js';

describe('control records', () => {
  it('encodes keys as version 0 and Kafka type ids (ABORT 0, COMMIT 1)', () => {
    expect(encodeControlRecordKey(ControlRecordType.Abort).toString('hex')).toBe('00000000');
    expect(encodeControlRecordKey(ControlRecordType.Commit).toString('hex')).toBe('00000001');
    expect(decodeControlRecord(Buffer.from('00000001', 'hex'))).toEqual({ version: 0, type: 1 });
  });

  it('encodes the end transaction marker value as version int16 + coordinatorEpoch int32', () => {
    expect(encodeEndTxnMarkerValue(258).toString('hex')).toBe('000000000102');
    expect(decodeEndTxnMarker(Buffer.from('000000000102', 'hex'))).toEqual({ version: 0, coordinatorEpoch: 258 });
  });

  it('reads newer marker versions by their version-0 fields', () => {
    expect(decodeEndTxnMarker(Buffer.from('0001000000070000', 'hex'))).toEqual({ version: 1, coordinatorEpoch: 7 });
  });

  it('rejects short, null or negative-version keys and values as corrupt', () => {
    expect(() => decodeControlRecord(Buffer.from('0000', 'hex'))).toThrow(CorruptRecordError);
    expect(() => decodeControlRecord(null)).toThrow(CorruptRecordError);
    expect(() => decodeControlRecord(Buffer.from('ffff0000', 'hex'))).toThrow(/invalid version/);
    expect(() => decodeEndTxnMarker(Buffer.from('00000000', 'hex'))).toThrow(CorruptRecordError);
    expect(() => decodeEndTxnMarker(Buffer.from('800000000001', 'hex'))).toThrow(/invalid version/);
  });

  it('builds a transactional control batch with one marker record that decodes back', () => {
    const batch = encodeEndTxnMarker({
      type: ControlRecordType.Commit,
      producerId: 42n,
      producerEpoch: 3,
      coordinatorEpoch: 5,
      baseOffset: 77n,
      partitionLeaderEpoch: 1,
      timestamp: 1_700_000_000_000,
    });
    expect(native.scanBatches(batch).error).toBeNull();
    const [decoded] = decodeRecordBatches(batch);
    const { header, records } = decoded!;
    expect([header.isControl, header.isTransactional, header.producerId, header.producerEpoch, header.baseSequence]).toEqual([true, true, 42n, 3, -1]);
    expect(header.baseOffset).toBe(77n);
    expect(records).toHaveLength(1);
    expect(decodeControlRecord(records[0]!.key)).toEqual({ version: 0, type: ControlRecordType.Commit });
    expect(decodeEndTxnMarker(records[0]!.value)).toEqual({ version: 0, coordinatorEpoch: 5 });
    expect(records[0]!.timestamp).toBe(1_700_000_000_000);
  });

  it('refuses marker types other than ABORT and COMMIT', () => {
    expect(() => encodeEndTxnMarker({ type: 2 as ControlRecordType.Abort, producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0 })).toThrow(RangeError);
  });
});
