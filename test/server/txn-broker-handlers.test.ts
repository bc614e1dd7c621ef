/**
 * The broker-side transaction APIs on the wire, through the real Dispatcher and a real Broker:
 * WriteTxnMarkers (27), DescribeProducers (61), and what transactions change in Produce,
 * Fetch v4+ (read_committed) and ListOffsets v2+.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { ErrorCode } from '../../src/errors.js';
import { describeProducersApi, fetchApi, listOffsetsApi, produceApi, writeTxnMarkersApi, ZERO_UUID } from '../../src/protocol/index.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/records/index.js';
import { Dispatcher } from '../../src/server/dispatcher.js';
import { dispatch } from '../helpers/kafka-protocol.js';
import { openDispatchedNode, type DispatchedNode } from './dispatched-node.js';

let node: DispatchedNode;
let broker: Broker;
let dispatcher: Dispatcher;

beforeAll(async () => {
  node = await openDispatchedNode('txn-broker-handlers');
  ({ broker, dispatcher } = node);
  // The tests write raw transactional batches, as clients of a coordinator elsewhere would:
  // no KIP-890 verification against this node's coordinator.
  broker.setTransactionVerifier(null);
  await broker.createTopics(
    [
      { name: 'tx', numPartitions: 2, replicationFactor: 1 },
      { name: 'dp', numPartitions: 1, replicationFactor: 1 },
    ],
    false,
  );
});

afterAll(() => node.close());

function txnBatch(producerId: bigint, producerEpoch: number, baseSequence: number, values: string[]): Buffer {
  return encodeRecordBatch(
    values.map((value) => ({ key: null, value })),
    { producerId, producerEpoch, baseSequence, isTransactional: true },
  );
}

async function produceTxn(topic: string, partition: number, records: Buffer): Promise<number> {
  const r = await dispatch(dispatcher, produceApi, 9, {
    transactionalId: 'wire-tx',
    acks: -1,
    timeoutMs: 1000,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, records }] }],
  });
  return r!.topics[0]!.partitions[0]!.errorCode;
}

function readCommitted(topic: string, partition: number, version = 12) {
  return dispatch(dispatcher, fetchApi, version, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 1,
    topics: [{ topic, topicId: broker.topicId(topic) ?? ZERO_UUID, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
  });
}

describe('WriteTxnMarkers', () => {
  it('v1 writes COMMIT and ABORT markers and answers per partition, with Kafka codes for fenced markers and unknown partitions', async () => {
    expect(await produceTxn('tx', 0, txnBatch(500n, 1, 0, ['c0', 'c1']))).toBe(ErrorCode.NONE);
    expect(await produceTxn('tx', 1, txnBatch(500n, 1, 0, ['a0']))).toBe(ErrorCode.NONE);
    const r = await dispatch(dispatcher, writeTxnMarkersApi, 1, {
      markers: [
        { producerId: 500n, producerEpoch: 1, transactionResult: true, coordinatorEpoch: 3, topics: [{ name: 'tx', partitionIndexes: [0] }] },
        { producerId: 500n, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 3, topics: [{ name: 'tx', partitionIndexes: [1] }] },
        { producerId: 501n, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 'nope', partitionIndexes: [0] }] },
      ],
    });
    expect(r!.markers.map((m) => [m.producerId, m.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])])])).toEqual([
      [500n, [['tx', [[0, ErrorCode.NONE]]]]],
      [500n, [['tx', [[1, ErrorCode.INVALID_PRODUCER_EPOCH]]]]],
      [501n, [['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]]]],
    ]);
    const abort = await dispatch(dispatcher, writeTxnMarkersApi, 0, {
      markers: [{ producerId: 500n, producerEpoch: 1, transactionResult: false, coordinatorEpoch: 3, topics: [{ name: 'tx', partitionIndexes: [1] }] }],
    });
    expect(abort!.markers[0]!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);

    // A later marker from an older coordinator epoch is fenced.
    const older = await dispatch(dispatcher, writeTxnMarkersApi, 0, {
      markers: [{ producerId: 500n, producerEpoch: 1, transactionResult: false, coordinatorEpoch: 2, topics: [{ name: 'tx', partitionIndexes: [1] }] }],
    });
    expect(older!.markers[0]!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    // Fetch read_committed: partition 0 committed, partition 1 aborted (listed for the client to drop).
    const committed = (await readCommitted('tx', 0))!.responses[0]!.partitions[0]!;
    expect(committed).toMatchObject({ errorCode: 0, highWatermark: 3n, lastStableOffset: 3n, abortedTransactions: [] });
    expect(decodeRecordBatches(committed.records as Buffer).map((b) => b.header.isControl)).toEqual([false, true]);
    const aborted = (await readCommitted('tx', 1, 4))!.responses[0]!.partitions[0]!;
    expect(aborted).toMatchObject({ errorCode: 0, lastStableOffset: 2n, abortedTransactions: [{ producerId: 500n, firstOffset: 0n }] });
  });
});

describe('read_committed on the wire', () => {
  it('Fetch and ListOffsets stop at the first offset of an open transaction', async () => {
    expect(await produceTxn('dp', 0, txnBatch(600n, 0, 0, ['open']))).toBe(ErrorCode.NONE);
    const fetched = (await readCommitted('dp', 0))!.responses[0]!.partitions[0]!;
    expect(fetched).toMatchObject({ highWatermark: 1n, lastStableOffset: 0n, abortedTransactions: [] });
    expect((fetched.records as Buffer | null)?.length ?? 0).toBe(0);
    const latest = async (isolationLevel: number) =>
      (await dispatch(dispatcher, listOffsetsApi, 7, {
        replicaId: -1,
        isolationLevel,
        topics: [{ name: 'dp', partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
      }))!.topics[0]!.partitions[0]!.offset;
    expect(await latest(1)).toBe(0n);
    expect(await latest(0)).toBe(1n);
  });
});

describe('DescribeProducers', () => {
  it('v0 lists the producers of a partition with their open transaction, and UNKNOWN_TOPIC_OR_PARTITION for unknown ones', async () => {
    const r = await dispatch(dispatcher, describeProducersApi, 0, { topics: [{ name: 'dp', partitionIndexes: [0, 4] }] });
    const [known, unknown] = r!.topics[0]!.partitions;
    expect(known).toMatchObject({
      partitionIndex: 0,
      errorCode: 0,
      errorMessage: null,
      activeProducers: [{ producerId: 600n, producerEpoch: 0, lastSequence: 0, coordinatorEpoch: -1, currentTxnStartOffset: 0n }],
    });
    expect(known!.activeProducers[0]!.lastTimestamp).toBeGreaterThan(0n);
    expect(unknown).toMatchObject({ partitionIndex: 4, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, activeProducers: [] });
  });
});
