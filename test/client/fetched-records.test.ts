import { describe, expect, it } from 'vitest';
import { ControlRecordType, encodeEndTxnMarker, encodeMessageSet, encodeRecordBatch } from '../../src/records/index.js';
import { decodeFetchedRecords } from '../../src/client/fetched-records.js';

const values = (buf: Buffer | null, options?: Parameters<typeof decodeFetchedRecords>[1]): string[] =>
  decodeFetchedRecords(buf, options).records.map((r) => `${r.offset}:${r.value?.toString() ?? 'null'}`);

describe('decodeFetchedRecords', () => {
  it('returns nothing and no next offset for an empty or null records field', () => {
    expect(decodeFetchedRecords(null)).toEqual({ records: [], nextOffset: null });
    expect(decodeFetchedRecords(Buffer.alloc(0))).toEqual({ records: [], nextOffset: null });
  });

  it('drops a partial batch at the end of a fetch and reports the offset after the last whole one', () => {
    const a = encodeRecordBatch([{ value: 'a' }, { value: 'b' }], { baseOffset: 10n });
    const b = encodeRecordBatch([{ value: 'c' }], { baseOffset: 12n });
    const decoded = decodeFetchedRecords(Buffer.concat([a, b.subarray(0, b.length - 3)]));
    expect(decoded.records.map((r) => r.value?.toString())).toEqual(['a', 'b']);
    expect(decoded.nextOffset).toBe(12n);
  });

  it('skips control batches but moves the next offset past them', () => {
    const data = encodeRecordBatch([{ value: 'x' }], { baseOffset: 0n, producerId: 7n, producerEpoch: 0, isTransactional: true });
    const commit = encodeEndTxnMarker({ type: ControlRecordType.Commit, producerId: 7n, producerEpoch: 0, coordinatorEpoch: 0, baseOffset: 1n });
    const decoded = decodeFetchedRecords(Buffer.concat([data, commit]));
    expect(decoded.records.map((r) => r.value?.toString())).toEqual(['x']);
    expect(decoded.nextOffset).toBe(2n);
  });

  it('drops records of aborted transactions under read_committed and keeps them under read_uncommitted', () => {
    const aborted = encodeRecordBatch([{ value: 'aborted' }], { baseOffset: 0n, producerId: 7n, producerEpoch: 0, isTransactional: true });
    const abort = encodeEndTxnMarker({ type: ControlRecordType.Abort, producerId: 7n, producerEpoch: 0, coordinatorEpoch: 0, baseOffset: 1n });
    const later = encodeRecordBatch([{ value: 'committed' }], { baseOffset: 2n, producerId: 7n, producerEpoch: 0, isTransactional: true });
    const buf = Buffer.concat([aborted, abort, later]);
    const abortedTransactions = [{ producerId: 7n, firstOffset: 0n }];
    expect(values(buf, { abortedTransactions, readCommitted: true })).toEqual(['2:committed']);
    expect(values(buf, { abortedTransactions })).toEqual(['0:aborted', '2:committed']);
  });

  it('reads legacy magic 0 and magic 1 message sets, alone or followed by record batches', () => {
    const v0 = encodeMessageSet([{ value: 'm0' }], { magic: 0, baseOffset: 0n });
    const v1 = encodeMessageSet([{ key: 'k', value: 'm1', timestamp: 1700000000000 }], { magic: 1, baseOffset: 1n });
    const v2 = encodeRecordBatch([{ value: 'm2' }], { baseOffset: 2n });
    const decoded = decodeFetchedRecords(Buffer.concat([v0, v1, v2]));
    expect(decoded.records.map((r) => [r.offset, r.value?.toString(), r.timestampType])).toEqual([
      [0n, 'm0', 'NoTimestamp'],
      [1n, 'm1', 'CreateTime'],
      [2n, 'm2', 'CreateTime'],
    ]);
    expect(decoded.records[1]!.timestamp).toBe(1700000000000);
    expect(decoded.nextOffset).toBe(3n);
  });
});
