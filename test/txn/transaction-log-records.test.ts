/**
 * The __transaction_state records byte for byte (Kafka's TransactionLogKey v0 and
 * TransactionLogValue v0/v1 schemas): fixtures hand-built from the JSON schemas, a record a
 * Kafka 4.0 broker wrote, round trips of random values, unknown versions reported as Kafka's
 * reader reports them, and the metadata ⇄ record conversion.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TransactionLogFormatError,
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  metadataFromLogValue,
  readTransactionLogRecord,
  transitToLogValue,
  type TransactionLogValue,
} from '../../src/txn/transaction-log-records.js';
import { TransactionMetadata } from '../../src/txn/transaction-metadata.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, TransactionState, type TransactionState as State } from '../../src/txn/transaction-state.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** A fixture written one field a line: the hex, then (after 3+ spaces) what it is. */
const annotated = (s: string): Buffer =>
  hex(
    s
      .split('\n')
      .map((line) => line.trim().split(/\s{3,}/)[0]!)
      .join(''),
  );
const S = TransactionState;

function value(over: Partial<TransactionLogValue> = {}): TransactionLogValue {
  return {
    producerId: 1n,
    previousProducerId: -1n,
    nextProducerId: -1n,
    producerEpoch: 2,
    transactionTimeoutMs: 60_000,
    transactionStatus: S.Ongoing,
    transactionPartitions: [{ topic: 't', partitionIds: [0, 1] }],
    transactionLastUpdateTimestampMs: 1000,
    transactionStartTimestampMs: 900,
    clientTransactionVersion: 0,
    ...over,
  };
}

describe('TransactionLogKey', () => {
  it('v0 is version int16 0, then the transactional id as an int16-length string', () => {
    expect(encodeTransactionLogKey('tx')).toEqual(hex('0000 0002 7478'));
    expect(decodeTransactionLogKey(hex('0000 0009 6d792d74786e2d6964'))).toBe('my-txn-id');
    expect(decodeTransactionLogKey(encodeTransactionLogKey('é🙂'))).toBe('é🙂');
  });

  it('another key version is an unknown-key-version error carrying the version', () => {
    const err = (() => {
      try {
        decodeTransactionLogKey(hex('0001 0002 7478'));
      } catch (e) {
        return e as TransactionLogFormatError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(TransactionLogFormatError);
    expect([err.kind, err.version]).toEqual(['unknown-key-version', 1]);
  });

  it('a truncated key or a null id is malformed', () => {
    expect(() => decodeTransactionLogKey(hex('00'))).toThrow(expect.objectContaining({ kind: 'malformed' }));
    expect(() => decodeTransactionLogKey(hex('0000 0005 7478'))).toThrow(expect.objectContaining({ kind: 'malformed' }));
    expect(() => decodeTransactionLogKey(hex('0000 ffff'))).toThrow(expect.objectContaining({ kind: 'malformed' }));
  });
});

describe('TransactionLogValue bytes', () => {
  // Hand-built from TransactionLogValue.json, field by field.
  const V0_ONGOING = annotated(`
    0000                 version 0
    0000000000000001     producerId
    0002                 producerEpoch
    0000ea60             transactionTimeoutMs 60000
    01                   transactionStatus Ongoing
    00000001             transactionPartitions: 1 entry
      0001 74            topic "t"
      00000002 00000000 00000001   partitionIds [0, 1]
    00000000000003e8     transactionLastUpdateTimestampMs 1000
    0000000000000384     transactionStartTimestampMs 900
  `);
  const V1_PREPARE_COMMIT = annotated(`
    0001                 version 1 (flexible)
    0000000000000001     producerId
    0002                 producerEpoch
    0000ea60             transactionTimeoutMs
    02                   transactionStatus PrepareCommit
    02                   transactionPartitions: compact, 1 entry
      02 74              topic "t" (compact)
      02 00000000        partitionIds [0] (compact)
      00                 the entry's tagged fields: none
    00000000000003e8     transactionLastUpdateTimestampMs
    0000000000000384     transactionStartTimestampMs
    02                   tagged fields: 2
      00 08 0000000000000007   tag 0 previousProducerId 7
      02 02 0002               tag 2 clientTransactionVersion 2
  `);

  it('v0 (Ongoing) is exactly the schema’s fields in order, non-compact', () => {
    expect(encodeTransactionLogValue(value(), 0)).toEqual(V0_ONGOING);
    expect(decodeTransactionLogValue(V0_ONGOING)).toEqual({ version: 0, ...value() });
  });

  it('v1 (PrepareCommit) is compact, with previousProducerId and clientTransactionVersion tagged; nextProducerId at its default is left out', () => {
    const v = value({
      transactionStatus: S.PrepareCommit,
      transactionPartitions: [{ topic: 't', partitionIds: [0] }],
      previousProducerId: 7n,
      clientTransactionVersion: 2,
    });
    expect(encodeTransactionLogValue(v)).toEqual(V1_PREPARE_COMMIT);
    expect(decodeTransactionLogValue(V1_PREPARE_COMMIT)).toEqual({ version: 1, ...v });
  });

  it('reads the Ongoing record a Kafka 4.0.0 broker wrote at transaction.version 1 (its published hex dump), and writes the same bytes', () => {
    const kafka = hex('0001 0000000000000000 0000 0000ea60 01 02 07 747874657374 02 00000000 00 0000019e7b4b367a 0000019e7b4b367a 00');
    const decoded = decodeTransactionLogValue(kafka);
    expect(decoded).toEqual({
      version: 1,
      ...value({
        producerId: 0n,
        producerEpoch: 0,
        transactionPartitions: [{ topic: 'txtest', partitionIds: [0] }],
        transactionLastUpdateTimestampMs: 0x19e7b4b367a,
        transactionStartTimestampMs: 0x19e7b4b367a,
      }),
    });
    expect(encodeTransactionLogValue(decoded)).toEqual(kafka);
  });

  it('an Empty transaction writes null partitions (Kafka’s rule) and refuses partitions', () => {
    const empty = value({ transactionStatus: S.Empty, transactionPartitions: [], transactionStartTimestampMs: -1 });
    expect(encodeTransactionLogValue(empty, 0).subarray(17, 21)).toEqual(hex('ffffffff'));
    expect(encodeTransactionLogValue(empty, 1).subarray(17, 18)).toEqual(hex('00'));
    expect(decodeTransactionLogValue(encodeTransactionLogValue(empty, 1)).transactionPartitions).toEqual([]);
    expect(() => encodeTransactionLogValue(value({ transactionStatus: S.Empty }))).toThrow(expect.objectContaining({ kind: 'malformed' }));
  });

  it('v0 leaves the v1-only tagged fields out, as Kafka does at transaction.version 0', () => {
    const v = value({ previousProducerId: 7n, nextProducerId: 8n, clientTransactionVersion: 2 });
    expect(encodeTransactionLogValue(v, 0)).toEqual(V0_ONGOING);
  });

  it('tagged fields of a newer Kafka survive a decode and re-encode', () => {
    // V1_PREPARE_COMMIT with a third tagged field, tag 3 (int16 5), as Kafka trunk may add.
    const newer = Buffer.concat([V1_PREPARE_COMMIT.subarray(0, V1_PREPARE_COMMIT.length - 15), hex('03 00 08 0000000000000007 02 02 0002 03 02 0005')]);
    const decoded = decodeTransactionLogValue(newer);
    expect(decoded.unknownTaggedFields).toEqual([{ tag: 3, data: hex('0005') }]);
    expect(encodeTransactionLogValue(decoded)).toEqual(newer);
    // And in a partition entry (as Kafka's TransactionLogTest.testDeserializeFutureTransactionLogValue): tag 100, int16 4000.
    const nested = Buffer.concat([V1_PREPARE_COMMIT.subarray(0, 25), hex('01 64 02 0fa0'), V1_PREPARE_COMMIT.subarray(26)]);
    const withNested = decodeTransactionLogValue(nested);
    expect(withNested.transactionPartitions).toMatchObject([{ topic: 't', partitionIds: [0] }]);
    expect(encodeTransactionLogValue(withNested)).toEqual(nested);
  });

  it('an unknown value version, a truncated value and an unknown state id are told apart', () => {
    expect(() => decodeTransactionLogValue(hex('0002 00'))).toThrow(expect.objectContaining({ kind: 'unknown-value-version', version: 2 }));
    expect(() => decodeTransactionLogValue(hex('ffff'))).toThrow(expect.objectContaining({ kind: 'unknown-value-version', version: -1 }));
    expect(() => decodeTransactionLogValue(V0_ONGOING.subarray(0, 30))).toThrow(expect.objectContaining({ kind: 'malformed' }));
    const badState = Buffer.from(V0_ONGOING);
    badState[16] = 9;
    expect(() => decodeTransactionLogValue(badState)).toThrow(/unknown transaction state id 9/);
    expect(() => encodeTransactionLogValue(value(), 2)).toThrow(expect.objectContaining({ kind: 'unknown-value-version' }));
  });
});

describe('readTransactionLogRecord (the loader’s view, as Kafka’s TransactionLog.read)', () => {
  it('a value, a tombstone, and unknown key or value versions as results the loader can count', () => {
    const key = encodeTransactionLogKey('tx');
    expect(readTransactionLogRecord(key, encodeTransactionLogValue(value()))).toEqual({
      type: 'value',
      transactionalId: 'tx',
      value: { version: 1, ...value() },
    });
    expect(readTransactionLogRecord(key, null)).toEqual({ type: 'tombstone', transactionalId: 'tx' });
    expect(readTransactionLogRecord(hex('0005 0002 7478'), null)).toEqual({ type: 'unknown-key-version', version: 5 });
    expect(readTransactionLogRecord(key, hex('0007 0000'))).toEqual({ type: 'unknown-value-version', transactionalId: 'tx', version: 7 });
    expect(() => readTransactionLogRecord(key, hex('0001 00'))).toThrow(TransactionLogFormatError);
  });
});

describe('round trips', () => {
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  const ms = fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER });
  const partitions = fc.array(
    fc.record({
      topic: fc.string({ maxLength: 20, unit: 'binary' }),
      partitionIds: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 5 }),
    }),
    {
      maxLength: 4,
    },
  );
  const valueArb = (version: number): fc.Arbitrary<TransactionLogValue> =>
    fc
      .record({
        producerId: int64,
        previousProducerId: version >= 1 ? int64 : fc.constant(-1n),
        nextProducerId: version >= 1 ? int64 : fc.constant(-1n),
        producerEpoch: fc.integer({ min: -32768, max: 32767 }),
        transactionTimeoutMs: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        transactionStatus: fc.integer({ min: 0, max: 7 }) as fc.Arbitrary<State>,
        transactionPartitions: partitions,
        transactionLastUpdateTimestampMs: ms,
        transactionStartTimestampMs: ms,
        clientTransactionVersion: version >= 1 ? fc.integer({ min: -32768, max: 32767 }) : fc.constant(0),
      })
      .map((v) => (v.transactionStatus === S.Empty ? { ...v, transactionPartitions: [] } : v));

  for (const version of [0, 1]) {
    it(`every v${version} value decodes to what was encoded, and re-encodes to the same bytes`, () => {
      fc.assert(
        fc.property(valueArb(version), (v) => {
          const bytes = encodeTransactionLogValue(v, version);
          const decoded = decodeTransactionLogValue(bytes);
          expect(decoded).toEqual({ version, ...v });
          expect(encodeTransactionLogValue(decoded, version)).toEqual(bytes);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('every transactional id round-trips through a key', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (id) => {
        expect(decodeTransactionLogKey(encodeTransactionLogKey(id))).toBe(id);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes never crash the reader: a value, or a TransactionLogFormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(0, 1), (bytes, version) => {
        const buf = Buffer.concat([hex(version === 0 ? '0000' : '0001'), Buffer.from(bytes)]);
        try {
          decodeTransactionLogValue(buf);
        } catch (err) {
          expect(err).toBeInstanceOf(TransactionLogFormatError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('metadata ⇄ records', () => {
  it('a prepared transition is written grouped by topic and loads back as the same metadata (last epoch aside, as in Kafka)', () => {
    const m = new TransactionMetadata({
      transactionalId: 'tx',
      producerId: 10n,
      prevProducerId: NO_PRODUCER_ID,
      nextProducerId: NO_PRODUCER_ID,
      producerEpoch: 3,
      lastProducerEpoch: 2,
      txnTimeoutMs: 60_000,
      state: S.Ongoing,
      topicPartitions: [
        { topic: 'a', partition: 0 },
        { topic: 'b', partition: 2 },
      ],
      txnStartTimestampMs: 1000,
      txnLastUpdateTimestampMs: 1000,
      clientTransactionVersion: 2,
    });
    const transit = m.prepareAbortOrCommit(S.PrepareCommit, 2, NO_PRODUCER_ID, 2000, false);
    const v = transitToLogValue(transit);
    expect(v.transactionPartitions).toEqual([
      { topic: 'a', partitionIds: [0] },
      { topic: 'b', partitionIds: [2] },
    ]);
    const loaded = metadataFromLogValue('tx', decodeTransactionLogValue(encodeTransactionLogValue(v)));
    expect(loaded.lastProducerEpoch).toBe(NO_PRODUCER_EPOCH);
    expect({ ...loaded.prepareNoTransit(), lastProducerEpoch: transit.lastProducerEpoch, prevProducerId: transit.prevProducerId }).toEqual(transit);
    expect(loaded.state).toBe(S.PrepareCommit);
    expect(loaded.prevProducerId).toBe(10n);
  });

  it('a transaction completing in several topics keeps every partition of a topic under one entry', () => {
    const m = TransactionMetadata.create('tx', 5n, 1000, 0);
    m.completeTransitionTo(m.prepareIncrementProducerEpoch(1000, null, 0));
    const transit = m.prepareAddPartitions(
      [
        { topic: 'a', partition: 1 },
        { topic: 'b', partition: 0 },
        { topic: 'a', partition: 0 },
      ],
      10,
      0,
    );
    expect(transitToLogValue(transit).transactionPartitions).toEqual([
      { topic: 'a', partitionIds: [1, 0] },
      { topic: 'b', partitionIds: [0] },
    ]);
  });
});
