import { describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import type { TransactionVerifier, TxnMarkerWrittenEvent } from '../../src/broker/types.js';
import { ErrorCode, type ErrorName } from '../../src/errors.js';
import { ControlRecordType, decodeControlRecord } from '../../src/records/control-record.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/records/index.js';
import { brokersPerTest, fetchOne, openBroker, produceOne, valuesOf } from './helpers.js';

const brokers = brokersPerTest('broker-txn');

function txnBatch(producerId: bigint, producerEpoch: number, baseSequence: number, n = 2, prefix = `t${producerId}-${baseSequence}`): Buffer {
  return encodeRecordBatch(
    Array.from({ length: n }, (_, i) => ({ key: null, value: `${prefix}-${i}` })),
    { producerId, producerEpoch, baseSequence, isTransactional: true },
  );
}

function plainBatch(n: number, prefix: string): Buffer {
  return encodeRecordBatch(Array.from({ length: n }, (_, i) => ({ key: null, value: `${prefix}-${i}` })));
}

async function produceTxn(broker: Broker, topic: string, partition: number, records: Buffer, transactionalId: string | null = 'tx') {
  const [t] = await broker.produce(-1, 30_000, [{ name: topic, partitions: [{ index: partition, records }] }], { transactionalId });
  return t!.partitions[0]!;
}

async function marker(
  broker: Broker,
  producerId: bigint,
  producerEpoch: number,
  commit: boolean,
  topic: string,
  partitions: number[],
  coordinatorEpoch = 0,
): Promise<number[]> {
  const [r] = await broker.writeTxnMarkers([
    { producerId, producerEpoch, transactionResult: commit, coordinatorEpoch, topics: [{ name: topic, partitionIndexes: partitions }] },
  ]);
  return r!.topics[0]!.partitions.map((p) => p.errorCode);
}

async function newProducer(broker: Broker): Promise<bigint> {
  return (await broker.initProducerId({ transactionalId: null, transactionTimeoutMs: 60_000 })).producerId;
}

describe('transactional produce and markers', () => {
  it('accepts transactional batches when the request has a transactional id, and refuses them without one', async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    expect(await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 0), null)).toMatchObject({ errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
    expect(await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 0))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect(broker.partition('a', 0)!.logEndOffset).toBe(2n);
  });

  it('holds the last stable offset at an open transaction and releases it with the COMMIT marker', async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    await produceOne(broker, 'a', 0, plainBatch(3, 'plain'));
    await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 0));
    await produceOne(broker, 'a', 0, plainBatch(1, 'after'));
    const p = broker.partition('a', 0)!;
    expect(p.lastStableOffset).toBe(3n);
    expect(p.highWatermark).toBe(6n);
    expect(await marker(broker, pid, 0, true, 'a', [0])).toEqual([ErrorCode.NONE]);
    expect(p.logEndOffset).toBe(7n);
    expect(p.lastStableOffset).toBe(7n);
    const [last] = decodeRecordBatches((await fetchOne(broker, 'a', 0, 6n)).records);
    expect(last!.header).toMatchObject({ isControl: true, isTransactional: true, producerId: pid });
    expect(decodeControlRecord(last!.records[0]!.key).type).toBe(ControlRecordType.Commit);
  });

  it('refuses a non-transactional batch of a producer whose transaction is open with INVALID_TXN_STATE', async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 0));
    const idem = encodeRecordBatch([{ key: null, value: 'x' }], { producerId: pid, producerEpoch: 0, baseSequence: 2 });
    expect(await produceTxn(broker, 'a', 0, idem)).toMatchObject({ errorCode: ErrorCode.INVALID_TXN_STATE });
  });

  it('refuses transactional batches of two producer ids in one partition with INVALID_PRODUCER_ID_MAPPING', async () => {
    const broker = await brokers.open();
    const both = Buffer.concat([txnBatch(1000n, 0, 0), txnBatch(1001n, 0, 0)]);
    expect(await produceTxn(broker, 'a', 0, both)).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING });
  });

  it('answers a marker with an older producer epoch INVALID_PRODUCER_EPOCH and one from an older coordinator epoch TRANSACTION_COORDINATOR_FENCED', async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    await produceTxn(broker, 'a', 0, txnBatch(pid, 3, 0));
    expect(await marker(broker, pid, 2, false, 'a', [0])).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH]);
    expect(await marker(broker, pid, 3, true, 'a', [0], 5)).toEqual([ErrorCode.NONE]);
    await produceTxn(broker, 'a', 0, txnBatch(pid, 3, 2));
    expect(await marker(broker, pid, 3, true, 'a', [0], 4)).toEqual([ErrorCode.TRANSACTION_COORDINATOR_FENCED]);
    expect(broker.partition('a', 0)!.lastStableOffset).toBe(3n);
  });

  it('answers a marker for an unknown partition UNKNOWN_TOPIC_OR_PARTITION and still writes the known ones', async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 0));
    expect(await marker(broker, pid, 0, true, 'a', [0, 7])).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  });

  it('answers markers only once they are fsynced', async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    await broker.produce(1, 30_000, [{ name: 'a', partitions: [{ index: 0, records: txnBatch(pid, 0, 0) }] }], { transactionalId: 'tx' });
    const log = broker.partition('a', 0)!.log;
    expect(log.hasUnflushedData).toBe(true);
    await marker(broker, pid, 0, true, 'a', [0]);
    expect(log.hasUnflushedData).toBe(false);
  });

  it('tells marker listeners the partition, producer, result and offset of each marker', async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    const seen: TxnMarkerWrittenEvent[] = [];
    broker.onTxnMarkerWritten((e) => seen.push(e));
    await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 0));
    await marker(broker, pid, 0, false, 'a', [0]);
    expect(seen).toEqual([{ topic: 'a', partition: 0, producerId: pid, producerEpoch: 0, committed: false, offset: 2n }]);
  });
});

describe('read_committed', () => {
  it('fetches only below the last stable offset and lists the aborted transactions of the returned range', async () => {
    const broker = await brokers.open();
    const p1 = await newProducer(broker);
    const p2 = await newProducer(broker);
    await produceTxn(broker, 'a', 0, txnBatch(p1, 0, 0, 2, 'aborted')); // 0-1
    await produceTxn(broker, 'a', 0, txnBatch(p2, 0, 0, 2, 'committed')); // 2-3
    await marker(broker, p1, 0, false, 'a', [0]); // 4
    let committed = await fetchOne(broker, 'a', 0, 0n, { isolationLevel: 1 });
    // p2's open transaction holds the LSO at 2: only p1's aborted batch is readable, listed as aborted.
    expect(committed.lastStableOffset).toBe(2n);
    expect(decodeRecordBatches(committed.records).map((b) => b.header.baseOffset)).toEqual([0n]);
    expect(committed.abortedTransactions).toEqual([{ producerId: p1, firstOffset: 0n }]);
    await marker(broker, p2, 0, true, 'a', [0]); // 5
    await produceTxn(broker, 'a', 0, txnBatch(p1, 0, 2, 1, 'open')); // 6, open
    committed = await fetchOne(broker, 'a', 0, 0n, { isolationLevel: 1 });
    expect(committed.lastStableOffset).toBe(6n);
    expect(committed.abortedTransactions).toEqual([{ producerId: p1, firstOffset: 0n }]);
    expect(decodeRecordBatches(committed.records).map((b) => b.header.baseOffset)).toEqual([0n, 2n, 4n, 5n]);
    const uncommitted = await fetchOne(broker, 'a', 0, 0n);
    expect(uncommitted.abortedTransactions).toBeNull();
    expect(valuesOf(uncommitted.records).filter((v) => v.startsWith('open'))).toEqual(['open-0']);
    // A fetch from past the aborted transaction does not list it.
    expect((await fetchOne(broker, 'a', 0, 5n, { isolationLevel: 1 })).abortedTransactions).toEqual([]);
  });

  it('lists only the aborted transactions that overlap the returned batches', async () => {
    const broker = await brokers.open();
    await produceTxn(broker, 'a', 0, txnBatch(300n, 0, 0)); // 0-1
    await marker(broker, 300n, 0, false, 'a', [0]); // 2
    await produceOne(broker, 'a', 0, plainBatch(1, 'plain')); // 3
    await produceTxn(broker, 'a', 0, txnBatch(301n, 0, 0)); // 4-5
    await marker(broker, 301n, 0, false, 'a', [0]); // 6
    const oneBatch = { isolationLevel: 1, partitionMaxBytes: 1 };
    expect((await fetchOne(broker, 'a', 0, 0n, oneBatch)).abortedTransactions).toEqual([{ producerId: 300n, firstOffset: 0n }]);
    expect((await fetchOne(broker, 'a', 0, 3n, oneBatch)).abortedTransactions).toEqual([]);
    expect((await fetchOne(broker, 'a', 0, 3n, { isolationLevel: 1 })).abortedTransactions).toEqual([{ producerId: 301n, firstOffset: 4n }]);
    expect((await fetchOne(broker, 'a', 0, 0n, { isolationLevel: 1 })).abortedTransactions).toEqual([
      { producerId: 300n, firstOffset: 0n },
      { producerId: 301n, firstOffset: 4n },
    ]);
  });

  it('finds aborted transactions whose marker is in a later segment than the fetch offset', async () => {
    const broker = await brokers.open();
    await broker.createTopics([{ name: 's', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'segment.bytes', value: '200' }] }], false);
    await produceTxn(broker, 's', 0, txnBatch(400n, 0, 0, 3)); // 0-2
    for (let i = 0; i < 3; i++) await produceOne(broker, 's', 0, plainBatch(2, `p${i}`)); // 3-8
    await marker(broker, 400n, 0, false, 's', [0]); // 9
    const p = broker.partition('s', 0)!;
    expect(p.log.segmentCount).toBeGreaterThan(1);
    const fetched = await fetchOne(broker, 's', 0, 0n, { isolationLevel: 1 });
    expect(fetched.abortedTransactions).toEqual([{ producerId: 400n, firstOffset: 0n }]);
    expect((await fetchOne(broker, 's', 0, 3n, { isolationLevel: 1 })).abortedTransactions).toEqual([{ producerId: 400n, firstOffset: 0n }]);
  });

  it('answers ListOffsets latest with the last stable offset for read_committed and the high watermark otherwise', async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    await produceOne(broker, 'a', 0, plainBatch(2, 'p'));
    await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 0));
    const latest = async (isolation: number) =>
      (await broker.listOffsets(isolation, [{ name: 'a', partitions: [{ partition: 0, timestamp: -1n }] }]))[0]!.partitions[0]!.offset;
    expect(await latest(1)).toBe(2n);
    expect(await latest(0)).toBe(4n);
    await marker(broker, pid, 0, true, 'a', [0]);
    expect(await latest(1)).toBe(5n);
  });

  it('wakes a parked read_committed fetch when a marker moves the last stable offset, not when transactional data arrives', async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 0));
    let woke = false;
    const parked = fetchOne(broker, 'a', 0, 0n, { isolationLevel: 1, minBytes: 1, maxWaitMs: 60_000 }).then((r) => {
      woke = true;
      return r;
    });
    await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(woke).toBe(false);
    await marker(broker, pid, 0, true, 'a', [0]);
    const result = await parked;
    expect(valuesOf(result.records).filter((v) => !v.startsWith('\u0000'))).toHaveLength(4);
  });
});

describe('transaction verification (KIP-890 part 1)', () => {
  function verifier(answer: (topic: string, partition: number) => ErrorName | null, calls: string[] = []): TransactionVerifier {
    return {
      async verifyPartition(transactionalId, producerId, producerEpoch, topic, partition) {
        calls.push(`${transactionalId}/${producerId}/${producerEpoch}/${topic}-${partition}`);
        return answer(topic, partition);
      },
    };
  }

  it('asks the verifier for the first batch of a transaction on a partition only', async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    const calls: string[] = [];
    broker.setTransactionVerifier(verifier(() => null, calls));
    expect(await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 0))).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 2))).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(calls).toEqual([`tx/${pid}/0/a-0`]);
  });

  it("answers the coordinator's refusal as Kafka: INVALID_TXN_STATE, INVALID_PRODUCER_EPOCH for a fenced producer, NOT_ENOUGH_REPLICAS for retriable errors", async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    const answers: Record<number, ErrorName> = { 0: 'INVALID_TXN_STATE', 1: 'PRODUCER_FENCED', 2: 'CONCURRENT_TRANSACTIONS' };
    broker.setTransactionVerifier(verifier((_t, p) => answers[p] ?? null));
    await broker.createTopics([{ name: 'v', numPartitions: 3, replicationFactor: 1 }], false);
    const [t] = await broker.produce(-1, 30_000, [{ name: 'v', partitions: [0, 1, 2].map((index) => ({ index, records: txnBatch(pid, 0, 0) })) }], {
      transactionalId: 'tx',
    });
    expect(t!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.INVALID_TXN_STATE, ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.NOT_ENOUGH_REPLICAS]);
    expect(t!.partitions[0]!.errorMessage).toBe('Partition was not added to the transaction');
    expect(broker.partition('v', 0)!.logEndOffset).toBe(0n);
  });

  it('refuses a verified batch when a marker ended the transaction while it was being verified', async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    broker.setTransactionVerifier({
      async verifyPartition(_id, producerId, producerEpoch, topic, partition) {
        await broker.writeTxnMarkers([
          { producerId, producerEpoch, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: topic, partitionIndexes: [partition] }] },
        ]);
        return null;
      },
    });
    await broker.createTopics([{ name: 'a', numPartitions: 1, replicationFactor: 1 }], false);
    const r = await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 0));
    expect(r).toMatchObject({ errorCode: ErrorCode.INVALID_TXN_STATE, errorMessage: 'Record was not part of an ongoing transaction' });
    expect(broker.partition('a', 0)!.lastStableOffset).toBe(broker.partition('a', 0)!.logEndOffset);
  });
});

describe('coordinator-origin transactional appends', () => {
  it('appends a transactional batch to an internal topic without sequence checks and reads batches with their producer fields', async () => {
    const broker = await brokers.open();
    await broker.ensureInternalTopic('__consumer_offsets', 1);
    const txn = { producerId: 77n, producerEpoch: 2 };
    const first = broker.appendInternal('__consumer_offsets', 0, [{ key: 'k1', value: 'v1' }], Date.now(), txn);
    const second = broker.appendInternal('__consumer_offsets', 0, [{ key: 'k2', value: 'v2' }], Date.now(), txn);
    expect([first.errorCode, second.errorCode]).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    expect(broker.partition('__consumer_offsets', 0)!.lastStableOffset).toBe(0n);
    const stale = broker.appendInternal('__consumer_offsets', 0, [{ key: 'k3', value: 'v3' }], Date.now(), { producerId: 77n, producerEpoch: 1 });
    expect(stale.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    await broker.writeTxnMarkers([
      { producerId: 77n, producerEpoch: 2, transactionResult: true, coordinatorEpoch: 0, topics: [{ name: '__consumer_offsets', partitionIndexes: [0] }] },
    ]);
    const { batches, nextOffset } = broker.readInternalBatches('__consumer_offsets', 0, 0n, 1 << 20);
    expect(nextOffset).toBe(3n);
    expect(batches.map((b) => [b.baseOffset, b.producerId, b.producerEpoch, b.isTransactional, b.isControl])).toEqual([
      [0n, 77n, 2, true, false],
      [1n, 77n, 2, true, false],
      [2n, 77n, 2, true, true],
    ]);
    expect(batches[0]!.records[0]!.key!.toString()).toBe('k1');
    expect(decodeControlRecord(batches[2]!.records[0]!.key).type).toBe(ControlRecordType.Commit);
  });
});

describe('DescribeProducers', () => {
  it('lists each producer of a partition with its epoch, last sequence and open transaction', async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    await produceOne(broker, 'a', 0, plainBatch(1, 'x'));
    await produceTxn(broker, 'a', 0, txnBatch(pid, 4, 0, 3));
    const [t] = await broker.describeProducers([{ name: 'a', partitionIndexes: [0, 9] }]);
    expect(t!.partitions[0]).toMatchObject({
      errorCode: ErrorCode.NONE,
      activeProducers: [{ producerId: pid, producerEpoch: 4, lastSequence: 2, coordinatorEpoch: -1, currentTxnStartOffset: 1n }],
    });
    expect(t!.partitions[1]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe('restart', () => {
  it('restores an open transaction and its LSO when the data dir is reopened, and the marker after it', async () => {
    let broker = await openBroker(brokers.dir);
    const pid = await newProducer(broker);
    await produceOne(broker, 'a', 0, plainBatch(2, 'p'));
    await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 0));
    await broker.close();
    broker = await brokers.open();
    expect(broker.partition('a', 0)!.lastStableOffset).toBe(2n);
    expect(await marker(broker, pid, 0, false, 'a', [0])).toEqual([ErrorCode.NONE]);
    await broker.close();
    broker = await brokers.open();
    const p = broker.partition('a', 0)!;
    expect(p.lastStableOffset).toBe(5n);
    const fetched = await fetchOne(broker, 'a', 0, 0n, { isolationLevel: 1 });
    expect(fetched.abortedTransactions).toEqual([{ producerId: pid, firstOffset: 2n }]);
  });

  it('undoes a transaction opened in a truncated range', async () => {
    const broker = await brokers.open();
    const pid = await newProducer(broker);
    await produceOne(broker, 'a', 0, plainBatch(2, 'p'));
    await produceTxn(broker, 'a', 0, txnBatch(pid, 0, 0));
    const p = broker.partition('a', 0)!;
    expect(p.lastStableOffset).toBe(2n);
    await p.truncateTo(2n);
    expect(p.lastStableOffset).toBe(2n);
    expect(p.logEndOffset).toBe(2n);
    expect(p.hasOngoingTransaction(pid, 0)).toBe(false);
  });
});
