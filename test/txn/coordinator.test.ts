import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { loadBrokerConfig } from '../../src/broker/broker-config.js';
import { ErrorCode } from '../../src/errors.js';
import { transactionCoordinatorConfig } from '../../src/txn/config.js';
import type { TransactionCoordinator } from '../../src/txn/coordinator.js';
import { MARKER_RETRY_BACKOFF_MS } from '../../src/txn/marker-writer.js';
import { encodeTransactionLogKey, encodeTransactionLogValue } from '../../src/txn/transaction-log-records.js';
import { partitionForTransactionalId, TRANSACTION_STATE_TOPIC } from '../../src/txn/transaction-state-store.js';
import { TransactionState as S } from '../../src/txn/transaction-state.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { removeDir, tempDir } from '../helpers/storage.js';
import { deferred, openBroker, openCoordinator, statesWritten, TEST_TXN_CONFIG, TestTxnBroker } from './harness.js';

let dir: string;
let broker: Broker;
let txnBroker: TestTxnBroker;
let clock: ManualClock;
const opened: TransactionCoordinator[] = [];

async function coordinator(config: Parameters<typeof openCoordinator>[2] = {}, ready = true): Promise<TransactionCoordinator> {
  const c = await openCoordinator(txnBroker, clock, config, ready);
  opened.push(c);
  return c;
}

/** Closes the broker and opens the same data dir again, as a restart does. */
async function restart(): Promise<void> {
  for (const c of opened.splice(0)) c.shutdown();
  await broker.close();
  broker = await openBroker(dir);
  txnBroker = new TestTxnBroker(broker);
}

beforeEach(async () => {
  dir = tempDir('txn-coordinator');
  broker = await openBroker(dir);
  await broker.createTopics(
    [
      { name: 'out', numPartitions: 3, replicationFactor: 1 },
      { name: 'other', numPartitions: 1, replicationFactor: 1 },
    ],
    false,
  );
  txnBroker = new TestTxnBroker(broker);
  clock = new ManualClock();
});

afterEach(async () => {
  for (const c of opened.splice(0)) c.shutdown();
  await broker.close();
  removeDir(dir);
});

const init = (c: TransactionCoordinator, transactionalId: string, transactionTimeoutMs = 60_000, producerId = -1n, producerEpoch = -1) =>
  c.initProducerId({ transactionalId, transactionTimeoutMs, producerId, producerEpoch });

const add = (
  c: TransactionCoordinator,
  transactionalId: string,
  p: { producerId: bigint; producerEpoch: number },
  topics = [{ name: 'out', partitions: [0, 1] }],
) => c.addPartitionsToTxn({ transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, topics });

const codes = (r: { topics: { partitions: { errorCode: number }[] }[] }) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));

const end = (c: TransactionCoordinator, transactionalId: string, p: { producerId: bigint; producerEpoch: number }, committed: boolean) =>
  c.endTxn({ transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, committed });

const stateOf = (c: TransactionCoordinator, id: string) => c.describeTransactions([id])[0]!;

/**
 * Moves the clock in marker-retry steps until `promise` settles, letting real I/O (the fsync
 * of each Prepare*) finish between steps.
 */
async function driveUntilSettled<T>(promise: Promise<T>): Promise<T> {
  let settled = false;
  void promise.finally(() => (settled = true)).catch(() => undefined);
  while (!settled) {
    await clock.advance(MARKER_RETRY_BACKOFF_MS);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return promise;
}

describe('FindCoordinator and InitProducerId', () => {
  it('places a transactional id in the partition Kafka places it (abs(String.hashCode) % partitions)', () => {
    // "hello".hashCode() = 99162322; "polygenelubricants".hashCode() = Integer.MIN_VALUE.
    expect(partitionForTransactionalId('hello', 50)).toBe(22);
    expect(partitionForTransactionalId('polygenelubricants', 50)).toBe(0);
  });

  it('creates __transaction_state compacted with transaction.state.log.num.partitions on the first FindCoordinator', async () => {
    const c = await coordinator({}, false);
    expect(broker.topicId(TRANSACTION_STATE_TOPIC)).toBeUndefined();
    expect((await init(c, 't')).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(await c.findCoordinator('t')).toBe(ErrorCode.NONE);
    expect(broker.partitionCount(TRANSACTION_STATE_TOPIC)).toBe(3);
    expect(broker.topicConfig(TRANSACTION_STATE_TOPIC, 'cleanup.policy')).toBe('compact');
  });

  it('gives a new transactional id a producer id at epoch 0 and bumps the epoch on each InitProducerId', async () => {
    const c = await coordinator();
    const first = await init(c, 't1');
    expect(first).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
    expect(first.producerId).toBeGreaterThanOrEqual(0n);
    const second = await init(c, 't1');
    expect(second).toEqual({ errorCode: ErrorCode.NONE, producerId: first.producerId, producerEpoch: 1 });
    expect(statesWritten(broker, 't1')).toEqual([S.Empty, S.Empty]);
    // The first producer is fenced.
    expect(codes(await add(c, 't1', first))).toEqual([ErrorCode.PRODUCER_FENCED, ErrorCode.PRODUCER_FENCED]);
    expect((await end(c, 't1', first, true)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('answers INVALID_TRANSACTION_TIMEOUT above transaction.max.timeout.ms and for a timeout of 0', async () => {
    const c = await coordinator({ transactionMaxTimeoutMs: 10_000 });
    expect((await init(c, 't', 10_001)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await init(c, 't', 0)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await init(c, 't', 10_000)).errorCode).toBe(ErrorCode.NONE);
  });

  it('answers INVALID_REQUEST for an empty transactional id or only one of producer id and epoch', async () => {
    const c = await coordinator();
    expect((await init(c, '')).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await init(c, 't', 1000, 5n, -1)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('resumes a producer with its current producer id and epoch (KIP-360) and fences a stale one', async () => {
    const c = await coordinator();
    const first = await init(c, 'k');
    const resumed = await init(c, 'k', 1000, first.producerId, first.producerEpoch);
    expect(resumed).toEqual({ errorCode: ErrorCode.NONE, producerId: first.producerId, producerEpoch: 1 });
    // A retry of the same resume (its answer was lost) gets the same epoch again.
    expect(await init(c, 'k', 1000, first.producerId, first.producerEpoch)).toEqual(resumed);
    expect((await init(c, 'k', 1000, first.producerId + 1000n, 0)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('answers COORDINATOR_NOT_AVAILABLE after shutdown', async () => {
    const c = await coordinator();
    c.shutdown();
    expect((await init(c, 't')).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(await c.findCoordinator('t')).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});

describe('AddPartitionsToTxn, AddOffsetsToTxn and EndTxn', () => {
  it('commits: Ongoing, PrepareCommit, markers to every partition, CompleteCommit, all stored before the answer', async () => {
    const c = await coordinator();
    const p = await init(c, 'c1');
    expect(codes(await add(c, 'c1', p))).toEqual([0, 0]);
    expect(codes(await add(c, 'c1', p, [{ name: 'other', partitions: [0] }]))).toEqual([0]);
    expect(stateOf(c, 'c1')).toMatchObject({
      transactionState: 'Ongoing',
      topics: [
        { topic: 'out', partitions: [0, 1] },
        { topic: 'other', partitions: [0] },
      ],
    });
    expect(await end(c, 'c1', p, true)).toEqual({ errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 0 });
    expect(txnBroker.markers).toEqual([
      {
        producerId: p.producerId,
        producerEpoch: 0,
        transactionResult: true,
        coordinatorEpoch: 0,
        topics: [
          { name: 'out', partitionIndexes: [0, 1] },
          { name: 'other', partitionIndexes: [0] },
        ],
      },
    ]);
    expect(statesWritten(broker, 'c1')).toEqual([S.Empty, S.Ongoing, S.Ongoing, S.PrepareCommit, S.CompleteCommit]);
    expect(stateOf(c, 'c1')).toMatchObject({ transactionState: 'CompleteCommit', topics: [] });
    // A retried EndTxn of the same outcome succeeds; the other outcome is INVALID_TXN_STATE.
    expect((await end(c, 'c1', p, true)).errorCode).toBe(ErrorCode.NONE);
    expect((await end(c, 'c1', p, false)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('aborts with ABORT markers and starts the next transaction from CompleteAbort', async () => {
    const c = await coordinator();
    const p = await init(c, 'a1');
    await add(c, 'a1', p);
    expect((await end(c, 'a1', p, false)).errorCode).toBe(ErrorCode.NONE);
    expect(txnBroker.markers.map((m) => m.transactionResult)).toEqual([false]);
    expect(stateOf(c, 'a1').transactionState).toBe('CompleteAbort');
    expect((await end(c, 'a1', p, true)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(codes(await add(c, 'a1', p, [{ name: 'other', partitions: [0] }]))).toEqual([0]);
    expect(stateOf(c, 'a1')).toMatchObject({ transactionState: 'Ongoing', topics: [{ topic: 'other', partitions: [0] }] });
  });

  it('answers INVALID_TXN_STATE to EndTxn with no transaction started', async () => {
    const c = await coordinator();
    const p = await init(c, 'e1');
    expect((await end(c, 'e1', p, true)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(txnBroker.markers).toEqual([]);
  });

  it('answers INVALID_PRODUCER_ID_MAPPING for an unknown transactional id or another producer id', async () => {
    const c = await coordinator();
    const p = await init(c, 'm1');
    const wrong = { producerId: p.producerId + 1n, producerEpoch: 0 };
    expect(codes(await add(c, 'unknown', p))).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING, ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    expect(codes(await add(c, 'm1', wrong))).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING, ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    expect((await end(c, 'unknown', p, true)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect((await c.addOffsetsToTxn({ transactionalId: 'm1', ...wrong, groupId: 'g' })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for missing partitions and OPERATION_NOT_ATTEMPTED for the rest', async () => {
    const c = await coordinator();
    const p = await init(c, 'u1');
    const r = await add(c, 'u1', p, [
      { name: 'out', partitions: [0, 9] },
      { name: 'nope', partitions: [0] },
    ]);
    expect(r.topics).toEqual([
      {
        name: 'out',
        partitions: [
          { partitionIndex: 0, errorCode: ErrorCode.OPERATION_NOT_ATTEMPTED },
          { partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
        ],
      },
      { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
    ]);
    expect(stateOf(c, 'u1').transactionState).toBe('Empty');
  });

  it("adds the group's __consumer_offsets partition with AddOffsetsToTxn", async () => {
    const c = await coordinator();
    const p = await init(c, 'o1');
    expect(await c.addOffsetsToTxn({ transactionalId: 'o1', ...p, groupId: 'g' })).toEqual({ errorCode: ErrorCode.NONE });
    expect(stateOf(c, 'o1').topics).toEqual([{ topic: '__consumer_offsets', partitions: [7] }]);
    expect(await c.addOffsetsToTxn({ transactionalId: 'o1', ...p, groupId: 'no-such-group' })).toEqual({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE });
  });

  it('answers CONCURRENT_TRANSACTIONS while the markers of a commit are being written', async () => {
    const c = await coordinator();
    const p = await init(c, 'w1');
    await add(c, 'w1', p);
    const hold = deferred<number>();
    txnBroker.markerAnswer = () => hold.promise;
    const ending = end(c, 'w1', p, true);
    await vi.waitFor(() => expect(stateOf(c, 'w1').transactionState).toBe('PrepareCommit'));
    expect(codes(await add(c, 'w1', p))).toEqual([ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.CONCURRENT_TRANSACTIONS]);
    expect((await init(c, 'w1')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect((await end(c, 'w1', p, true)).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect((await end(c, 'w1', p, false)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    hold.resolve(ErrorCode.NONE);
    expect((await ending).errorCode).toBe(ErrorCode.NONE);
    expect(stateOf(c, 'w1').transactionState).toBe('CompleteCommit');
  });

  it('retries a marker write that failed with a retriable error until it is written', async () => {
    const c = await coordinator();
    const p = await init(c, 'r1');
    await add(c, 'r1', p);
    let failures = 2;
    txnBroker.markerAnswer = (_m, _t, partition) => (partition === 1 && failures-- > 0 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.NONE);
    expect((await driveUntilSettled(end(c, 'r1', p, true))).errorCode).toBe(ErrorCode.NONE);
    // Partition 0 was written once; partition 1 three times.
    expect(txnBroker.markers.map((m) => m.topics[0]!.partitionIndexes)).toEqual([[0, 1], [1], [1]]);
  });

  it('keeps the transaction unchanged when __transaction_state cannot be written', async () => {
    const c = await coordinator();
    const p = await init(c, 'f1');
    txnBroker.failAppendsWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    expect(codes(await add(c, 'f1', p))).toEqual([ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_COORDINATOR]);
    txnBroker.failAppendsWith = ErrorCode.REQUEST_TIMED_OUT;
    expect((await init(c, 'f1')).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    txnBroker.failAppendsWith = null;
    expect(stateOf(c, 'f1')).toMatchObject({ transactionState: 'Empty', producerEpoch: 0 });
    expect(codes(await add(c, 'f1', p))).toEqual([0, 0]);
  });
});

describe('fencing', () => {
  it('a second InitProducerId aborts the open transaction at a bumped epoch, answers CONCURRENT_TRANSACTIONS, then fences the old producer', async () => {
    const c = await coordinator();
    const old = await init(c, 'z1');
    await add(c, 'z1', old);
    expect((await init(c, 'z1')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(txnBroker.markers).toMatchObject([{ producerId: old.producerId, producerEpoch: 1, transactionResult: false }]);
    expect(stateOf(c, 'z1')).toMatchObject({ transactionState: 'CompleteAbort', producerEpoch: 1 });
    expect(statesWritten(broker, 'z1')).toEqual([S.Empty, S.Ongoing, S.PrepareAbort, S.CompleteAbort]);
    const retried = await init(c, 'z1');
    expect(retried).toEqual({ errorCode: ErrorCode.NONE, producerId: old.producerId, producerEpoch: 2 });
    expect((await end(c, 'z1', old, true)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect(codes(await add(c, 'z1', old))).toEqual([ErrorCode.PRODUCER_FENCED, ErrorCode.PRODUCER_FENCED]);
  });
});

describe('verification (KIP-890 part 1)', () => {
  it('registers as the broker verifier and answers whether a partition is in the ongoing transaction', async () => {
    const c = await coordinator();
    expect(txnBroker.verifier).toBe(c);
    const p = await init(c, 'v1');
    await add(c, 'v1', p, [{ name: 'out', partitions: [0] }]);
    expect(await c.verifyPartition('v1', p.producerId, 0, 'out', 0)).toBeNull();
    expect(await c.verifyPartition('v1', p.producerId, 0, 'out', 2)).toBe('INVALID_TXN_STATE');
    expect(await c.verifyPartition('v1', p.producerId, 1, 'out', 0)).toBe('PRODUCER_FENCED');
    expect(await c.verifyPartition('v1', p.producerId + 1n, 0, 'out', 0)).toBe('INVALID_PRODUCER_ID_MAPPING');
    expect(await c.verifyPartition('nobody', p.producerId, 0, 'out', 0)).toBe('INVALID_PRODUCER_ID_MAPPING');
    const verified = await c.addPartitionsToTxn({ transactionalId: 'v1', ...p, topics: [{ name: 'out', partitions: [0, 2] }] }, true);
    expect(codes(verified)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_TXN_STATE]);
    // verifyOnly changes nothing.
    expect(stateOf(c, 'v1').topics).toEqual([{ topic: 'out', partitions: [0] }]);
    await end(c, 'v1', p, true);
    expect(await c.verifyPartition('v1', p.producerId, 0, 'out', 0)).toBe('INVALID_TXN_STATE');
    c.shutdown();
    expect(txnBroker.verifier).toBeNull();
  });
});

describe('timeouts and expiration', () => {
  it('aborts a transaction older than its timeout at a bumped epoch, fencing its producer', async () => {
    const c = await coordinator({ abortTimedOutTransactionsIntervalMs: 1_000 });
    const p = await init(c, 'slow', 5_000);
    await add(c, 'slow', p);
    await clock.advance(5_000);
    expect(stateOf(c, 'slow').transactionState).toBe('Ongoing');
    await clock.advance(1_000);
    await vi.waitFor(() => expect(stateOf(c, 'slow')).toMatchObject({ transactionState: 'CompleteAbort', producerEpoch: 1 }));
    expect(txnBroker.markers).toMatchObject([{ producerId: p.producerId, producerEpoch: 1, transactionResult: false }]);
    expect((await end(c, 'slow', p, true)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    // The id itself lives on: the next InitProducerId bumps again.
    expect(await init(c, 'slow')).toEqual({ errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 2 });
  });

  it('removes an idle transactional id after transactional.id.expiration.ms with a tombstone, and it stays removed after a restart', async () => {
    const config = { transactionalIdExpirationMs: 60_000, removeExpiredTransactionalIdsIntervalMs: 10_000 };
    const c = await coordinator(config);
    const idle = await init(c, 'idle');
    const busy = await init(c, 'busy', 600_000);
    await add(c, 'busy', busy);
    await clock.advance(70_000);
    expect(stateOf(c, 'idle').errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    expect(stateOf(c, 'busy').transactionState).toBe('Ongoing');
    expect(statesWritten(broker, 'idle')).toEqual([S.Empty, 'tombstone']);
    expect(codes(await add(c, 'idle', idle))).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING, ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    await restart();
    const reopened = await coordinator(config);
    expect(stateOf(reopened, 'idle').errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    expect(stateOf(reopened, 'busy').transactionState).toBe('Ongoing');
  });
});

describe('restart', () => {
  it('reloads transactional ids with their state, epoch and partitions', async () => {
    const c = await coordinator();
    const p = await init(c, 'keep');
    await init(c, 'keep');
    await add(c, 'keep', { producerId: p.producerId, producerEpoch: 1 });
    await restart();
    const reopened = await coordinator();
    expect(stateOf(reopened, 'keep')).toMatchObject({
      transactionState: 'Ongoing',
      producerId: p.producerId,
      producerEpoch: 1,
      topics: [{ topic: 'out', partitions: [0, 1] }],
    });
    expect((await end(reopened, 'keep', { producerId: p.producerId, producerEpoch: 1 }, true)).errorCode).toBe(ErrorCode.NONE);
  });

  it('rotates to a new producer id at epoch 0 when the epoch of a reloaded id is exhausted, and accepts a retry of that rotation', async () => {
    await (await coordinator()).findCoordinator('worn');
    const value = encodeTransactionLogValue({
      producerId: 77n,
      previousProducerId: -1n,
      nextProducerId: -1n,
      producerEpoch: 32766,
      transactionTimeoutMs: 60_000,
      transactionStatus: S.CompleteCommit,
      transactionPartitions: [],
      transactionLastUpdateTimestampMs: clock.now(),
      transactionStartTimestampMs: clock.now(),
      clientTransactionVersion: 0,
    });
    const partition = partitionForTransactionalId('worn', TEST_TXN_CONFIG.transactionStateLogNumPartitions);
    broker.appendInternal(TRANSACTION_STATE_TOPIC, partition, [{ key: encodeTransactionLogKey('worn'), value }]);
    await restart();
    const c = await coordinator();
    const rotated = await init(c, 'worn', 60_000, 77n, 32766);
    expect(rotated.errorCode).toBe(ErrorCode.NONE);
    expect(rotated.producerId).not.toBe(77n);
    expect(rotated.producerEpoch).toBe(0);
    // The producer did not get the answer and retries with the old id and exhausted epoch.
    expect(await init(c, 'worn', 60_000, 77n, 32766)).toEqual({ errorCode: ErrorCode.NONE, producerId: rotated.producerId, producerEpoch: 0 });
  });

  it('completes a PrepareCommit found at start: the markers are written again, then CompleteCommit', async () => {
    const c = await coordinator();
    const p = await init(c, 'crash');
    await add(c, 'crash', p);
    txnBroker.markerAnswer = () => ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const ending = end(c, 'crash', p, true);
    await vi.waitFor(() => expect(txnBroker.markers.length).toBeGreaterThan(0));
    c.shutdown();
    expect((await ending).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(statesWritten(broker, 'crash')).toEqual([S.Empty, S.Ongoing, S.PrepareCommit]);
    await restart();
    const reopened = await coordinator();
    expect(txnBroker.markers).toEqual([
      { producerId: p.producerId, producerEpoch: 0, transactionResult: true, coordinatorEpoch: 0, topics: [{ name: 'out', partitionIndexes: [0, 1] }] },
    ]);
    expect(stateOf(reopened, 'crash').transactionState).toBe('CompleteCommit');
    expect(statesWritten(broker, 'crash')).toEqual([S.Empty, S.Ongoing, S.PrepareCommit, S.CompleteCommit]);
    expect((await end(reopened, 'crash', p, true)).errorCode).toBe(ErrorCode.NONE);
  });
});

describe('DescribeTransactions and ListTransactions', () => {
  it('describes known ids and answers TRANSACTIONAL_ID_NOT_FOUND / INVALID_REQUEST otherwise', async () => {
    const c = await coordinator();
    const p = await init(c, 'd1', 30_000);
    await clock.advance(5);
    await add(c, 'd1', p, [{ name: 'out', partitions: [2] }]);
    const [d1, missing, empty] = c.describeTransactions(['d1', 'missing', '']);
    expect(d1).toEqual({
      transactionalId: 'd1',
      errorCode: 0,
      transactionState: 'Ongoing',
      transactionTimeoutMs: 30_000,
      transactionStartTimeMs: BigInt(clock.now()),
      producerId: p.producerId,
      producerEpoch: 0,
      topics: [{ topic: 'out', partitions: [2] }],
    });
    expect(missing!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    expect(empty!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('lists transactions filtered by state, producer id and duration, echoing unknown state names', async () => {
    const c = await coordinator();
    const a = await init(c, 'la');
    const b = await init(c, 'lb');
    await add(c, 'lb', b);
    await clock.advance(10_000);
    const all = c.listTransactions({ stateFilters: [], producerIdFilters: [], durationFilterMs: -1n });
    expect(all.transactionStates.map((t) => [t.transactionalId, t.transactionState]).sort()).toEqual([
      ['la', 'Empty'],
      ['lb', 'Ongoing'],
    ]);
    expect(c.listTransactions({ stateFilters: ['Ongoing'], producerIdFilters: [], durationFilterMs: -1n }).transactionStates).toEqual([
      { transactionalId: 'lb', producerId: b.producerId, transactionState: 'Ongoing' },
    ]);
    expect(
      c.listTransactions({ stateFilters: [], producerIdFilters: [a.producerId], durationFilterMs: -1n }).transactionStates.map((t) => t.transactionalId),
    ).toEqual(['la']);
    expect(c.listTransactions({ stateFilters: [], producerIdFilters: [b.producerId], durationFilterMs: 60_000n }).transactionStates).toEqual([]);
    expect(c.listTransactions({ stateFilters: [], producerIdFilters: [b.producerId], durationFilterMs: 5_000n }).transactionStates).toHaveLength(1);
    expect(c.listTransactions({ stateFilters: ['Bogus'], producerIdFilters: [], durationFilterMs: -1n })).toEqual({
      errorCode: 0,
      unknownStateFilters: ['Bogus'],
      transactionStates: [],
    });
  });
});

describe('broker configuration', () => {
  it("reads the transaction.* settings under Kafka's names with Kafka's defaults", () => {
    const defaults = transactionCoordinatorConfig(loadBrokerConfig({ dataDir: dir }));
    expect(defaults).toEqual({
      transactionStateLogNumPartitions: 50,
      transactionStateLogReplicationFactor: 3,
      transactionStateLogSegmentBytes: 104_857_600,
      transactionMaxTimeoutMs: 900_000,
      transactionalIdExpirationMs: 604_800_000,
      abortTimedOutTransactionsIntervalMs: 10_000,
      removeExpiredTransactionalIdsIntervalMs: 3_600_000,
    });
    const set = loadBrokerConfig({ dataDir: dir, properties: { 'transaction.max.timeout.ms': 5000, 'transaction.state.log.num.partitions': 4 } });
    expect(transactionCoordinatorConfig(set)).toMatchObject({ transactionMaxTimeoutMs: 5000, transactionStateLogNumPartitions: 4 });
    expect(() => loadBrokerConfig({ dataDir: dir, properties: { 'transaction.max.timeout.ms': 0 } })).toThrow(/transaction.max.timeout.ms/);
  });

  it('shows the transaction settings in DescribeConfigs of the broker', () => {
    const [described] = broker.describeConfigs([{ resourceType: 4, resourceName: '0', configurationKeys: null }], false, false);
    const entry = (name: string) => described!.configs.find((c) => c.name === name);
    expect(entry('transaction.max.timeout.ms')?.value).toBe('900000');
    expect(entry('transactional.id.expiration.ms')?.value).toBe('604800000');
    expect(entry('transaction.state.log.num.partitions')?.value).toBe('50');
  });
});
