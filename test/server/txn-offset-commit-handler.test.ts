/**
 * TxnOffsetCommit (28) and OffsetFetch requireStable through the real Dispatcher, on a real
 * Broker and coordinator: the offsets of a transaction stay invisible (UNSTABLE_OFFSET_COMMIT
 * with requireStable) until Broker.writeTxnMarkers writes its COMMIT to the group's partition
 * of __consumer_offsets, and are dropped by an ABORT; v3+ member checks on the wire; and the
 * whole exchange a transactional client makes (InitProducerId, AddOffsetsToTxn,
 * TxnOffsetCommit, EndTxn) with the real transaction coordinator writing the markers.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { ErrorCode } from '../../src/errors.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG } from '../../src/group/config.js';
import { GroupCoordinator, OFFSETS_TOPIC } from '../../src/group/coordinator.js';
import { addOffsetsToTxnApi, endTxnApi, findCoordinatorApi, initProducerIdApi, offsetFetchApi, txnOffsetCommitApi } from '../../src/protocol/index.js';
import { Dispatcher } from '../../src/server/dispatcher.js';
import { TransactionCoordinator } from '../../src/txn/coordinator.js';
import { dispatch } from '../helpers/kafka-protocol.js';
import { quietLogger } from '../helpers/logger.js';
import { openDispatchedNode, type DispatchedNode } from './dispatched-node.js';

let node: DispatchedNode;
let broker: Broker;
let groups: GroupCoordinator;
let txns: TransactionCoordinator;
let dispatcher: Dispatcher;

beforeAll(async () => {
  node = await openDispatchedNode('txn-offset-commit-handler', { groups: { offsetsTopicNumPartitions: 2 } });
  ({ broker, groups, txns, dispatcher } = node);
  await broker.createTopics([{ name: 'tt', numPartitions: 2, replicationFactor: 1 }], false);
  expect((await dispatch(dispatcher, findCoordinatorApi, 1, { key: 'g', keyType: 0 }))!.errorCode).toBe(0);
});

afterAll(() => node.close());

function commitBody(
  groupId: string,
  producerId: bigint,
  offset: bigint,
  member: { generationId: number; memberId: string; groupInstanceId: string | null } = { generationId: -1, memberId: '', groupInstanceId: null },
) {
  return {
    transactionalId: `t-${producerId}`,
    groupId,
    producerId,
    producerEpoch: 0,
    ...member,
    topics: [{ name: 'tt', partitions: [{ partitionIndex: 1, committedOffset: offset, committedLeaderEpoch: 4, committedMetadata: 'md' }] }],
  };
}

async function fetchStable(groupId: string, version = 7): Promise<{ committedOffset: bigint; errorCode: number }> {
  if (version >= 8) {
    const r = await dispatch(dispatcher, offsetFetchApi, version, {
      groups: [{ groupId, topics: [{ name: 'tt', partitionIndexes: [1] }] }],
      requireStable: true,
    });
    const p = r!.groups[0]!.topics[0]!.partitions[0]!;
    return { committedOffset: p.committedOffset, errorCode: p.errorCode };
  }
  const r = await dispatch(dispatcher, offsetFetchApi, version, { groupId, topics: [{ name: 'tt', partitionIndexes: [1] }], requireStable: true });
  const p = r!.topics[0]!.partitions[0]!;
  return { committedOffset: p.committedOffset, errorCode: p.errorCode };
}

async function writeMarker(groupId: string, producerId: bigint, commit: boolean): Promise<void> {
  const [result] = await broker.writeTxnMarkers([
    {
      producerId,
      producerEpoch: 0,
      transactionResult: commit,
      coordinatorEpoch: 0,
      topics: [{ name: OFFSETS_TOPIC, partitionIndexes: [groups.partitionFor(groupId)!] }],
    },
  ]);
  expect(result!.topics[0]!.partitions[0]!.errorCode).toBe(0);
}

describe('TxnOffsetCommit', () => {
  it('v0 offsets are UNSTABLE_OFFSET_COMMIT for requireStable fetchers until the COMMIT marker, then committed', async () => {
    const r = await dispatch(dispatcher, txnOffsetCommitApi, 0, commitBody('tg', 1001n, 42n));
    expect(r!.topics).toEqual([{ name: 'tt', partitions: [{ partitionIndex: 1, errorCode: 0 }] }]);
    expect(await fetchStable('tg', 7)).toEqual({ committedOffset: -1n, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
    expect(await fetchStable('tg', 8)).toEqual({ committedOffset: -1n, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
    // Without requireStable (and before v7) the pending offset is simply not there yet.
    const v6 = await dispatch(dispatcher, offsetFetchApi, 6, { groupId: 'tg', topics: [{ name: 'tt', partitionIndexes: [1] }] });
    expect(v6!.topics[0]!.partitions[0]).toMatchObject({ committedOffset: -1n, errorCode: 0 });

    await writeMarker('tg', 1001n, true);
    expect(await fetchStable('tg', 7)).toEqual({ committedOffset: 42n, errorCode: 0 });
  });

  it('an ABORT marker drops the offsets', async () => {
    await dispatch(dispatcher, txnOffsetCommitApi, 2, commitBody('ta', 1002n, 7n));
    await writeMarker('ta', 1002n, false);
    expect(await fetchStable('ta', 8)).toEqual({ committedOffset: -1n, errorCode: 0 });
  });

  it('v3 checks the member and generation: a generation for an unknown group is ILLEGAL_GENERATION; an empty group id INVALID_GROUP_ID', async () => {
    const r = await dispatch(dispatcher, txnOffsetCommitApi, 3, commitBody('tv', 1003n, 1n, { generationId: 5, memberId: 'm', groupInstanceId: null }));
    expect(r!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    const empty = await dispatch(dispatcher, txnOffsetCommitApi, 4, commitBody('', 1003n, 1n));
    expect(empty!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    const unknown = await dispatch(dispatcher, txnOffsetCommitApi, 4, {
      ...commitBody('tv', 1003n, 1n),
      topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(unknown!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('offsets of a committed transaction survive a coordinator restart; an open one is still pending after it', async () => {
    await dispatch(dispatcher, txnOffsetCommitApi, 3, commitBody('tr', 1004n, 11n));
    await writeMarker('tr', 1004n, true);
    await dispatch(dispatcher, txnOffsetCommitApi, 3, commitBody('tr', 1005n, 12n));
    const again = await GroupCoordinator.open(broker, { ...DEFAULT_GROUP_COORDINATOR_CONFIG, offsetsTopicNumPartitions: 2 }, quietLogger());
    try {
      const p = () => again.fetchOffsets('tr', [{ name: 'tt', partitionIndexes: [1] }], true).topics[0]!.partitions[0]!;
      expect(p()).toMatchObject({ committedOffset: -1n, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
      expect(again.fetchOffsets('tr', [{ name: 'tt', partitionIndexes: [1] }]).topics[0]!.partitions[0]!.committedOffset).toBe(11n);
      await writeMarker('tr', 1005n, true);
      expect(p()).toMatchObject({ committedOffset: 12n, errorCode: 0, committedLeaderEpoch: 4, metadata: 'md' });
    } finally {
      again.shutdown();
    }
  });
});

describe('TxnOffsetCommit with the transaction coordinator', () => {
  // As sluice.ts wires it (the tests above write markers for producers the coordinator never saw).
  beforeAll(() => groups.setTransactionVerifier(txns));
  afterAll(() => groups.setTransactionVerifier(null));

  async function initTxn(transactionalId: string): Promise<{ producerId: bigint; producerEpoch: number }> {
    expect((await dispatch(dispatcher, findCoordinatorApi, 3, { key: transactionalId, keyType: 1 }))!.errorCode).toBe(0);
    // CONCURRENT_TRANSACTIONS while the previous producer's transaction is being aborted: clients retry.
    const r = await vi.waitFor(async () => {
      const answer = await dispatch(dispatcher, initProducerIdApi, 3, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      expect(answer!.errorCode).toBe(0);
      return answer!;
    });
    return { producerId: r.producerId, producerEpoch: r.producerEpoch };
  }

  async function sendOffsets(transactionalId: string, p: { producerId: bigint; producerEpoch: number }, groupId: string, offset: bigint): Promise<number> {
    expect((await dispatch(dispatcher, addOffsetsToTxnApi, 3, { transactionalId, ...p, groupId }))!.errorCode).toBe(0);
    const r = await dispatch(dispatcher, txnOffsetCommitApi, 3, {
      ...commitBody(groupId, p.producerId, offset),
      transactionalId,
      producerEpoch: p.producerEpoch,
    });
    return r!.topics[0]!.partitions[0]!.errorCode;
  }

  it('offsets sent in a transaction become the committed offsets when EndTxn commits it, and never when it aborts', async () => {
    const p = await initTxn('ctp-1');
    expect(await sendOffsets('ctp-1', p, 'ctp', 100n)).toBe(0);
    expect(await fetchStable('ctp')).toEqual({ committedOffset: -1n, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
    expect((await dispatch(dispatcher, endTxnApi, 3, { transactionalId: 'ctp-1', ...p, committed: true }))!.errorCode).toBe(0);
    await vi.waitFor(async () => expect(await fetchStable('ctp')).toEqual({ committedOffset: 100n, errorCode: 0 }));

    expect(await sendOffsets('ctp-1', p, 'ctp', 200n)).toBe(0);
    expect((await dispatch(dispatcher, endTxnApi, 3, { transactionalId: 'ctp-1', ...p, committed: false }))!.errorCode).toBe(0);
    await vi.waitFor(async () => expect(await fetchStable('ctp')).toEqual({ committedOffset: 100n, errorCode: 0 }));
  });

  it('without AddOffsetsToTxn the commit is INVALID_TXN_STATE and nothing is pending (KIP-890 verification)', async () => {
    const p = await initTxn('ctp-3');
    const r = await dispatch(dispatcher, txnOffsetCommitApi, 3, {
      ...commitBody('ctv', p.producerId, 9n),
      transactionalId: 'ctp-3',
      producerEpoch: p.producerEpoch,
    });
    expect(r!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await fetchStable('ctv')).toEqual({ committedOffset: -1n, errorCode: 0 });
    const unknownId = await dispatch(dispatcher, txnOffsetCommitApi, 3, { ...commitBody('ctv', 999_999n, 9n), transactionalId: 'never-initialised' });
    expect(unknownId!.topics[0]!.partitions[0]!.errorCode).not.toBe(0);
  });

  it('a producer fenced by a new InitProducerId cannot commit offsets any more; its open transaction is aborted', async () => {
    const zombie = await initTxn('ctp-2');
    expect(await sendOffsets('ctp-2', zombie, 'ctz', 5n)).toBe(0);
    const fresh = await initTxn('ctp-2');
    expect(fresh.producerEpoch).toBeGreaterThan(zombie.producerEpoch);
    await vi.waitFor(async () => expect(await fetchStable('ctz')).toEqual({ committedOffset: -1n, errorCode: 0 }));
    const r = await dispatch(dispatcher, txnOffsetCommitApi, 3, {
      ...commitBody('ctz', zombie.producerId, 6n),
      transactionalId: 'ctp-2',
      producerEpoch: zombie.producerEpoch,
    });
    expect(r!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await fetchStable('ctz')).toEqual({ committedOffset: -1n, errorCode: 0 });
  });
});
