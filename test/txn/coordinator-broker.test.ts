/**
 * The transaction coordinator on a real Broker's marker path (broker.writeTxnMarkers): the
 * COMMIT/ABORT control batches land in the partitions, the last stable offset moves, a fenced
 * producer's writes are refused, and a transaction prepared before a restart is completed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { ErrorCode } from '../../src/errors.js';
import { ControlRecordType, decodeControlRecord } from '../../src/records/control-record.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import type { TransactionCoordinator } from '../../src/txn/coordinator.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { removeDir, tempDir } from '../helpers/storage.js';
import { TRANSACTION_STATE_TOPIC } from '../../src/txn/transaction-state-store.js';
import { deferred, openBroker, openCoordinator, TestTxnBroker } from './harness.js';

let dir: string;
let broker: Broker;
let clock: ManualClock;
const opened: TransactionCoordinator[] = [];

async function coordinator(
  config: Parameters<typeof openCoordinator>[2] = {},
  on: Parameters<typeof openCoordinator>[0] = broker,
): Promise<TransactionCoordinator> {
  const c = await openCoordinator(on, clock, config);
  opened.push(c);
  return c;
}

beforeEach(async () => {
  dir = tempDir('txn-coordinator-broker');
  broker = await openBroker(dir);
  await broker.createTopics([{ name: 'out', numPartitions: 2, replicationFactor: 1 }], false);
  clock = new ManualClock();
});

afterEach(async () => {
  for (const c of opened.splice(0)) c.shutdown();
  await broker.close();
  removeDir(dir);
});

/** One transactional batch of `values` to each of `partitions` of `out`; the error codes. */
async function produce(transactionalId: string, p: { producerId: bigint; producerEpoch: number }, partitions: number[], baseSequence = 0): Promise<number[]> {
  const batch = encodeRecordBatch(
    ['a', 'b'].map((value) => ({ value })),
    { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence, isTransactional: true },
  );
  const [topic] = await broker.produce(-1, 1000, [{ name: 'out', partitions: partitions.map((index) => ({ index, records: batch })) }], {
    transactionalId,
    allowAutoTopicCreation: false,
  });
  return topic!.partitions.map((r) => r.errorCode);
}

/** [isControl, control type or null, producer epoch] of each batch of `out`-`partition`. */
function batches(partition: number): [boolean, number | null, number][] {
  const read = broker.readInternalBatches('out', partition, 0n, 1 << 20);
  return read.batches.map((b) => [b.isControl, b.isControl ? decodeControlRecord(b.records[0]!.key).type : null, b.producerEpoch]);
}

const lso = (partition: number) => broker.partition('out', partition)!.lastStableOffset;

async function begin(c: TransactionCoordinator, transactionalId: string, timeoutMs = 60_000) {
  const p = await c.initProducerId({ transactionalId, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1 });
  expect(p.errorCode).toBe(ErrorCode.NONE);
  const added = await c.addPartitionsToTxn({
    transactionalId,
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    topics: [{ name: 'out', partitions: [0, 1] }],
  });
  expect(added.topics[0]!.partitions.map((x) => x.errorCode)).toEqual([0, 0]);
  expect(await produce(transactionalId, p, [0, 1])).toEqual([0, 0]);
  return p;
}

describe('markers in the log', () => {
  it('holds the LSO at the open transaction and moves it past the COMMIT markers when EndTxn returns', async () => {
    const c = await coordinator();
    const p = await begin(c, 'commit');
    expect([lso(0), lso(1)]).toEqual([0n, 0n]);
    expect((await c.endTxn({ transactionalId: 'commit', ...p, committed: true })).errorCode).toBe(ErrorCode.NONE);
    expect([lso(0), lso(1)]).toEqual([3n, 3n]);
    expect(batches(0)).toEqual([
      [false, null, 0],
      [true, ControlRecordType.Commit, 0],
    ]);
    expect(batches(1)).toEqual(batches(0));
  });

  it('writes the markers to every partition added, also one the producer never wrote to', async () => {
    const c = await coordinator();
    const p = await c.initProducerId({ transactionalId: 'sparse', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    await c.addPartitionsToTxn({ transactionalId: 'sparse', ...p, topics: [{ name: 'out', partitions: [0, 1] }] });
    expect(await produce('sparse', p, [0])).toEqual([0]);
    expect((await c.endTxn({ transactionalId: 'sparse', ...p, committed: true })).errorCode).toBe(ErrorCode.NONE);
    expect(batches(0)).toEqual([
      [false, null, 0],
      [true, ControlRecordType.Commit, 0],
    ]);
    expect(batches(1)).toEqual([[true, ControlRecordType.Commit, 0]]);
    expect([lso(0), lso(1)]).toEqual([3n, 1n]);
  });

  it('writes ABORT markers and reports the aborted transaction to read_committed fetches', async () => {
    const c = await coordinator();
    const p = await begin(c, 'abort');
    expect((await c.endTxn({ transactionalId: 'abort', ...p, committed: false })).errorCode).toBe(ErrorCode.NONE);
    expect(batches(0)).toEqual([
      [false, null, 0],
      [true, ControlRecordType.Abort, 0],
    ]);
    const fetched = await broker.fetch({
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      topics: [{ name: 'out', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    });
    const part = fetched.topics[0]!.partitions[0]!;
    expect(part.lastStableOffset).toBe(3n);
    expect(part.abortedTransactions).toEqual([{ producerId: p.producerId, firstOffset: 0n }]);
  });

  it('refuses the writes of a producer fenced by a second InitProducerId, whose open transaction is aborted', async () => {
    const c = await coordinator();
    const zombie = await begin(c, 'zombie');
    const fenced = await c.initProducerId({ transactionalId: 'zombie', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    expect(fenced.errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(batches(0)).toEqual([
      [false, null, 0],
      [true, ControlRecordType.Abort, 1],
    ]);
    expect(lso(0)).toBe(3n);
    const next = await c.initProducerId({ transactionalId: 'zombie', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    expect(next).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 2 });
    const refused = await produce('zombie', zombie, [0], 2);
    expect([ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_TXN_STATE]).toContain(refused[0]);
    expect(broker.logEndOffset('out', 0)).toBe(3n);
  });

  it('aborts a transaction past its timeout and the LSO moves on', async () => {
    const c = await coordinator({ abortTimedOutTransactionsIntervalMs: 1_000 });
    await begin(c, 'hung', 5_000);
    expect(lso(0)).toBe(0n);
    await clock.advance(7_000);
    await vi.waitFor(() => expect(lso(0)).toBe(3n));
    expect(batches(1)).toEqual([
      [false, null, 0],
      [true, ControlRecordType.Abort, 1],
    ]);
  });
});

describe('durability order of AddPartitionsToTxn', () => {
  /** A TestTxnBroker whose __transaction_state fsyncs wait for `hold` (when set) and record their completion in `events`. */
  function heldSyncs() {
    const t = new TestTxnBroker(broker);
    const events: string[] = [];
    const gate = { hold: null as ReturnType<typeof deferred<void>> | null, fail: false };
    t.flushPartition = async (topic, partition) => {
      if (topic !== TRANSACTION_STATE_TOPIC) return broker.flushPartition(topic, partition);
      if (gate.hold !== null) await gate.hold.promise;
      if (gate.fail) throw new Error('injected fsync failure');
      await broker.flushPartition(topic, partition);
      events.push('txn-state synced');
    };
    return { t, events, gate };
  }
  const turns = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };

  it('answers AddPartitionsToTxn before its fsync, and appends and acknowledges the produce only once that fsync is done', async () => {
    const { t, events, gate } = heldSyncs();
    const c = await coordinator({}, t);
    broker.setTransactionVerifier(c);
    const p = await c.initProducerId({ transactionalId: 'ordered', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    gate.hold = deferred<void>();
    const added = await c.addPartitionsToTxn({ transactionalId: 'ordered', ...p, topics: [{ name: 'out', partitions: [0] }] });
    expect(added.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    events.length = 0;
    const acked = produce('ordered', p, [0]).then((codes) => {
      events.push('produce acknowledged');
      return codes;
    });
    await turns();
    // Nothing of the transaction is in the partition, not even in the page cache, while the membership may be lost.
    expect(broker.logEndOffset('out', 0)).toBe(0n);
    expect(events).toEqual([]);
    gate.hold.resolve();
    expect(await acked).toEqual([ErrorCode.NONE]);
    expect(events).toEqual(['txn-state synced', 'produce acknowledged']);
    expect(broker.logEndOffset('out', 0)).toBe(2n);
  });

  it('refuses the produce (retriable) while the fsync of the membership record has failed, and accepts it after a later fsync', async () => {
    const { t, gate } = heldSyncs();
    const c = await coordinator({}, t);
    broker.setTransactionVerifier(c);
    const p = await c.initProducerId({ transactionalId: 'unsynced', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    gate.fail = true;
    await c.addPartitionsToTxn({ transactionalId: 'unsynced', ...p, topics: [{ name: 'out', partitions: [0] }] });
    expect(await produce('unsynced', p, [0])).toEqual([ErrorCode.NOT_ENOUGH_REPLICAS]);
    expect(await produce('unsynced', p, [0])).toEqual([ErrorCode.NOT_ENOUGH_REPLICAS]);
    expect(broker.logEndOffset('out', 0)).toBe(0n);
    gate.fail = false;
    // A further AddPartitionsToTxn writes and fsyncs again, covering the first record.
    await c.addPartitionsToTxn({ transactionalId: 'unsynced', ...p, topics: [{ name: 'out', partitions: [1] }] });
    expect(await produce('unsynced', p, [0])).toEqual([ErrorCode.NONE]);
  });

  it('answers AddOffsetsToTxn only once its record is fsynced (TxnOffsetCommit appends are not verified)', async () => {
    const { t, events, gate } = heldSyncs();
    const c = await coordinator({}, t);
    const p = await c.initProducerId({ transactionalId: 'offsets', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    gate.hold = deferred<void>();
    events.length = 0;
    let answered = false;
    const added = c.addOffsetsToTxn({ transactionalId: 'offsets', ...p, groupId: 'g' }).then((r) => ((answered = true), r));
    await turns();
    expect(answered).toBe(false);
    gate.hold.resolve();
    expect((await added).errorCode).toBe(ErrorCode.NONE);
    expect(events).toEqual(['txn-state synced']);
  });
});

describe('restart', () => {
  it('completes a PrepareCommit found in __transaction_state: COMMIT markers written, LSO moved, CompleteCommit', async () => {
    const failing = new TestTxnBroker(broker);
    failing.markerAnswer = () => ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const first = await coordinator({}, failing);
    const p = await begin(first, 'prepared');
    const ending = first.endTxn({ transactionalId: 'prepared', ...p, committed: true });
    await vi.waitFor(() => expect(failing.markers.length).toBeGreaterThan(0));
    first.shutdown();
    expect((await ending).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(lso(0)).toBe(0n);
    await broker.close();
    broker = await openBroker(dir);
    const reopened = await coordinator();
    expect(reopened.describeTransactions(['prepared'])[0]!.transactionState).toBe('CompleteCommit');
    expect([lso(0), lso(1)]).toEqual([3n, 3n]);
    expect(batches(0)).toEqual([
      [false, null, 0],
      [true, ControlRecordType.Commit, 0],
    ]);
  });
});
