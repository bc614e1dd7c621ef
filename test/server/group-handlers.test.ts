/**
 * The consumer-group handlers through the real Dispatcher, on a real Broker and coordinator:
 * what each request version means on the wire and what the answer looks like at that version
 * (the state machine itself is tested in test/group/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { ErrorCode } from '../../src/errors.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG } from '../../src/group/config.js';
import { GroupCoordinator, OFFSETS_TOPIC } from '../../src/group/coordinator.js';
import { TransactionCoordinator } from '../../src/txn/coordinator.js';
import { decodeOffsetCommitValue } from '../../src/group/offsets-topic-records.js';
import {
  deleteGroupsApi,
  describeGroupsApi,
  findCoordinatorApi,
  heartbeatApi,
  joinGroupApi,
  leaveGroupApi,
  listGroupsApi,
  metadataApi,
  offsetCommitApi,
  offsetDeleteApi,
  offsetFetchApi,
  produceApi,
  syncGroupApi,
} from '../../src/protocol/index.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { Dispatcher } from '../../src/server/dispatcher.js';
import { brokerHandlers } from '../../src/server/handlers/index.js';
import { dispatch } from '../helpers/kafka-protocol.js';
import { quietLogger } from '../helpers/logger.js';
import { openDispatchedNode, type DispatchedNode } from './dispatched-node.js';

let node: DispatchedNode;
let broker: Broker;
let groups: GroupCoordinator;
let txns: TransactionCoordinator;
let dispatcher: Dispatcher;
const shutdown = new AbortController();

beforeAll(async () => {
  node = await openDispatchedNode('group-handlers', { groups: { offsetsTopicNumPartitions: 2 } });
  ({ broker, groups, txns, dispatcher } = node);
  await broker.createTopics([{ name: 'gt', numPartitions: 2, replicationFactor: 1 }], false);
});

afterAll(() => node.close());

const protocols = [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 1, 0, 2, 0x67, 0x74]) }];

/** Joins a new one-member group at `version` (through MEMBER_ID_REQUIRED from v4) and syncs it. */
async function oneMemberGroup(groupId: string, version = 5): Promise<{ memberId: string; generationId: number }> {
  const body = { groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols };
  let r = (await dispatch(dispatcher, joinGroupApi, version, body))!;
  if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) r = (await dispatch(dispatcher, joinGroupApi, version, { ...body, memberId: r.memberId }))!;
  expect(r.errorCode).toBe(0);
  const s = await dispatch(dispatcher, syncGroupApi, 3, {
    groupId,
    generationId: r.generationId,
    memberId: r.memberId,
    groupInstanceId: null,
    assignments: [{ memberId: r.memberId, assignment: Buffer.from('A') }],
  });
  expect(s!.errorCode).toBe(0);
  return { memberId: r.memberId, generationId: r.generationId };
}

describe('FindCoordinator', () => {
  it('v0-v3 answer this node for a group; v4 answers each key', async () => {
    expect(await dispatch(dispatcher, findCoordinatorApi, 0, { key: 'g' })).toMatchObject({ errorCode: 0, nodeId: 0, host: '127.0.0.1', port: 9999 });
    expect(await dispatch(dispatcher, findCoordinatorApi, 3, { key: 'g', keyType: 0 })).toMatchObject({ errorCode: 0, errorMessage: null, nodeId: 0 });
    const r = await dispatch(dispatcher, findCoordinatorApi, 4, { keyType: 0, coordinatorKeys: ['a', 'b'] });
    expect(r!.coordinators).toEqual([
      { key: 'a', nodeId: 0, host: '127.0.0.1', port: 9999, errorCode: 0, errorMessage: null },
      { key: 'b', nodeId: 0, host: '127.0.0.1', port: 9999, errorCode: 0, errorMessage: null },
    ]);
    // The first lookup created the offsets topic: internal, listed as such, not writable by clients.
    const md = await dispatch(dispatcher, metadataApi, 1, { topics: null });
    expect(md!.topics.find((t) => t.name === OFFSETS_TOPIC)).toMatchObject({ isInternal: true });
    const produced = await dispatch(dispatcher, produceApi, 9, {
      acks: -1,
      timeoutMs: 1000,
      topics: [{ name: OFFSETS_TOPIC, partitions: [{ partitionIndex: 0, records: encodeRecordBatch([{ value: 'x' }]) }] }],
    });
    expect(produced!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  it('a transaction key answers this node, which creates __transaction_state on first lookup', async () => {
    expect(await dispatch(dispatcher, findCoordinatorApi, 1, { key: 'tx', keyType: 1 })).toMatchObject({
      errorCode: 0,
      errorMessage: null,
      nodeId: 0,
      port: 9999,
    });
    const md = await dispatch(dispatcher, metadataApi, 1, { topics: null });
    expect(md!.topics.find((t) => t.name === '__transaction_state')).toMatchObject({ isInternal: true });
  });

  it('an unknown key type is INVALID_REQUEST', async () => {
    expect(await dispatch(dispatcher, findCoordinatorApi, 1, { key: 'x', keyType: 2 })).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, nodeId: -1 });
  });
});

describe('JoinGroup', () => {
  it('v0 uses the session timeout as rebalance timeout and joins without MEMBER_ID_REQUIRED', async () => {
    const r = await dispatch(dispatcher, joinGroupApi, 0, { groupId: 'j0', sessionTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols });
    expect(r).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });
    expect(r!.leader).toBe(r!.memberId);
    expect(r!.members).toEqual([{ memberId: r!.memberId, groupInstanceId: null, metadata: protocols[0]!.metadata }]);
  });

  it('v4 asks for MEMBER_ID_REQUIRED first; the member id carries the client id', async () => {
    const r = await dispatch(dispatcher, joinGroupApi, 4, {
      groupId: 'j4',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      protocolType: 'consumer',
      protocols,
    });
    expect(r).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1, protocolName: '', leader: '' });
    expect(r!.memberId).toMatch(/^test-client-[0-9a-f-]{36}$/); // the client id of the request header
  });

  it('error answers: protocolName "" before v7, null from v7; protocolType from v7 on success', async () => {
    const bad = { groupId: 'j7', sessionTimeoutMs: 1, rebalanceTimeoutMs: 1, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols };
    expect(await dispatch(dispatcher, joinGroupApi, 6, bad)).toMatchObject({ errorCode: ErrorCode.INVALID_SESSION_TIMEOUT, protocolName: '' });
    expect(await dispatch(dispatcher, joinGroupApi, 7, bad)).toMatchObject({
      errorCode: ErrorCode.INVALID_SESSION_TIMEOUT,
      protocolName: null,
      protocolType: null,
    });
    const { memberId } = await oneMemberGroup('j7ok', 7);
    const again = await dispatch(dispatcher, joinGroupApi, 7, { ...bad, groupId: 'j7ok', sessionTimeoutMs: 10_000, memberId });
    expect(again).toMatchObject({ errorCode: 0 }); // the leader rejoining: a rebalance it completes alone
    expect(again).toMatchObject({ protocolType: 'consumer', protocolName: 'range', generationId: 2 });
  });

  it('v9 tells a restarted static leader of a stable group to skip the assignment', async () => {
    const body = {
      groupId: 'j9',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      groupInstanceId: 'inst',
      protocolType: 'consumer',
      protocols,
      reason: 'test',
    };
    const first = (await dispatch(dispatcher, joinGroupApi, 9, body))!;
    await dispatch(dispatcher, syncGroupApi, 5, {
      groupId: 'j9',
      generationId: first.generationId,
      memberId: first.memberId,
      groupInstanceId: 'inst',
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [],
    });
    const again = await dispatch(dispatcher, joinGroupApi, 9, body);
    expect(again).toMatchObject({ errorCode: 0, skipAssignment: true, generationId: first.generationId });
    expect(again!.leader).toBe(again!.memberId);
    expect(again!.members).toEqual([{ memberId: again!.memberId, groupInstanceId: 'inst', metadata: protocols[0]!.metadata }]);
  });
});

describe('SyncGroup, Heartbeat, LeaveGroup', () => {
  it('SyncGroup v5 needs protocolType and protocolName, and echoes them', async () => {
    const { memberId, generationId } = await oneMemberGroup('s5');
    const base = { groupId: 's5', generationId, memberId, groupInstanceId: null, assignments: [] };
    expect(await dispatch(dispatcher, syncGroupApi, 5, { ...base, protocolType: null, protocolName: 'range' })).toMatchObject({
      errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    });
    expect(await dispatch(dispatcher, syncGroupApi, 5, { ...base, protocolType: 'consumer', protocolName: 'range' })).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      protocolType: 'consumer',
      protocolName: 'range',
      assignment: Buffer.from('A'),
    });
  });

  it('Heartbeat answers per member and generation', async () => {
    const { memberId, generationId } = await oneMemberGroup('hb');
    expect(await dispatch(dispatcher, heartbeatApi, 0, { groupId: 'hb', generationId, memberId })).toMatchObject({ errorCode: 0 });
    expect(await dispatch(dispatcher, heartbeatApi, 4, { groupId: 'hb', generationId: generationId + 1, memberId, groupInstanceId: null })).toMatchObject({
      errorCode: ErrorCode.ILLEGAL_GENERATION,
    });
  });

  it("LeaveGroup before v3 answers the member's error at the top; v3+ per member", async () => {
    const { memberId } = await oneMemberGroup('lv');
    expect(await dispatch(dispatcher, leaveGroupApi, 0, { groupId: 'lv', memberId: 'ghost' })).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    const r = await dispatch(dispatcher, leaveGroupApi, 5, {
      groupId: 'lv',
      members: [
        { memberId, groupInstanceId: null, reason: 'bye' },
        { memberId: 'ghost', groupInstanceId: null, reason: null },
      ],
    });
    expect(r).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      members: [
        { memberId, groupInstanceId: null, errorCode: 0 },
        { memberId: 'ghost', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
      ],
    });
  });
});

describe('OffsetCommit and OffsetFetch', () => {
  it('v1 stores the given commit timestamp; v2 with retentionTimeMs writes an expire timestamp (value v1)', async () => {
    await dispatch(dispatcher, offsetCommitApi, 1, {
      groupId: 'oc',
      generationId: -1,
      memberId: '',
      topics: [{ name: 'gt', partitions: [{ partitionIndex: 0, committedOffset: 4n, commitTimestamp: 1234n, committedMetadata: 'x' }] }],
    });
    const r = await dispatch(dispatcher, offsetCommitApi, 2, {
      groupId: 'oc',
      generationId: -1,
      memberId: '',
      retentionTimeMs: 5000n,
      topics: [{ name: 'gt', partitions: [{ partitionIndex: 1, committedOffset: 8n, committedMetadata: null }] }],
    });
    expect(r!.topics).toEqual([{ name: 'gt', partitions: [{ partitionIndex: 1, errorCode: 0 }] }]);
    const { records } = broker.readInternal(OFFSETS_TOPIC, groups.partitionFor('oc')!, 0n, 1 << 20);
    const values = records
      .filter((x) => x.value !== null)
      .map((x) => decodeOffsetCommitValue(x.value!))
      .filter((v) => v.offset === 4n || v.offset === 8n);
    expect(values[0]).toMatchObject({ offset: 4n, commitTimestamp: 1234, metadata: 'x', expireTimestamp: null });
    expect(values[1]!.expireTimestamp).toBe(values[1]!.commitTimestamp + 5000);
  });

  it('OffsetFetch v1 and v5 per partition, v2 null topics for all, v8 several groups', async () => {
    await dispatch(dispatcher, offsetCommitApi, 8, {
      groupId: 'of',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: 'gt', partitions: [{ partitionIndex: 1, committedOffset: 9n, committedLeaderEpoch: 2, committedMetadata: 'meta' }] }],
    });
    const v1 = await dispatch(dispatcher, offsetFetchApi, 1, { groupId: 'of', topics: [{ name: 'gt', partitionIndexes: [0, 1] }] });
    expect(v1!.topics[0]!.partitions).toEqual([
      { partitionIndex: 0, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      { partitionIndex: 1, committedOffset: 9n, committedLeaderEpoch: -1, metadata: 'meta', errorCode: 0 },
    ]);
    const v5 = await dispatch(dispatcher, offsetFetchApi, 5, { groupId: 'of', topics: [{ name: 'gt', partitionIndexes: [1] }] });
    expect(v5!.topics[0]!.partitions[0]!.committedLeaderEpoch).toBe(2);
    const all = await dispatch(dispatcher, offsetFetchApi, 2, { groupId: 'of', topics: null });
    expect(all).toMatchObject({ errorCode: 0, topics: [{ name: 'gt', partitions: [{ partitionIndex: 1, committedOffset: 9n }] }] });
    const v8 = await dispatch(dispatcher, offsetFetchApi, 8, {
      groups: [
        { groupId: 'of', topics: null },
        { groupId: 'nobody', topics: [{ name: 'gt', partitionIndexes: [0] }] },
      ],
      requireStable: true,
    });
    expect(v8!.groups.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((t) => t.partitions.map((p) => p.committedOffset))])).toEqual([
      ['of', 0, [9n]],
      ['nobody', 0, [-1n]],
    ]);
  });

  it('before v2 a group-level error lands on every requested partition', async () => {
    const stopped = await GroupCoordinator.open(broker, DEFAULT_GROUP_COORDINATOR_CONFIG, quietLogger());
    stopped.shutdown();
    const d: Dispatcher = new Dispatcher(
      brokerHandlers({ broker, groups: stopped, txns, shutdown: shutdown.signal }, () => d.advertised()),
      quietLogger(),
    );
    const v1 = await dispatch(d, offsetFetchApi, 1, { groupId: 'of', topics: [{ name: 'gt', partitionIndexes: [0, 1] }] });
    expect(v1!.topics[0]!.partitions.map((p) => [p.committedOffset, p.errorCode])).toEqual([
      [-1n, ErrorCode.COORDINATOR_NOT_AVAILABLE],
      [-1n, ErrorCode.COORDINATOR_NOT_AVAILABLE],
    ]);
    expect(await dispatch(d, offsetFetchApi, 3, { groupId: 'of', topics: null })).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] });
    expect(await dispatch(d, listGroupsApi, 0, {})).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE });
  });
});

describe('ListGroups, DescribeGroups, DeleteGroups, OffsetDelete', () => {
  it('ListGroups v4 filters by state and answers it; v0 does not', async () => {
    await oneMemberGroup('lg');
    const v4 = await dispatch(dispatcher, listGroupsApi, 4, { statesFilter: ['Stable'] });
    expect(v4!.groups).toContainEqual({ groupId: 'lg', protocolType: 'consumer', groupState: 'Stable' });
    expect(v4!.groups.every((g) => g.groupState === 'Stable')).toBe(true);
    const v0 = await dispatch(dispatcher, listGroupsApi, 0, {});
    expect(v0!.groups).toContainEqual({ groupId: 'lg', protocolType: 'consumer', groupState: '' });
  });

  it('DescribeGroups v3+ reports authorized operations only when asked; v4+ instance ids', async () => {
    await oneMemberGroup('dg');
    const r = await dispatch(dispatcher, describeGroupsApi, 5, { groups: ['dg', 'unknown'], includeAuthorizedOperations: true });
    expect(r!.groups[0]).toMatchObject({
      errorCode: 0,
      groupId: 'dg',
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
      authorizedOperations: (1 << 3) | (1 << 6) | (1 << 8),
    });
    expect(r!.groups[0]!.members[0]).toMatchObject({ clientHost: '/127.0.0.1', memberAssignment: Buffer.from('A'), groupInstanceId: null });
    expect(r!.groups[1]).toMatchObject({ errorCode: 0, groupId: 'unknown', groupState: 'Dead', members: [] });
    const v0 = await dispatch(dispatcher, describeGroupsApi, 0, { groups: ['dg'] });
    expect(v0!.groups[0]!.authorizedOperations).toBe(-2147483648);
  });

  it('DeleteGroups answers each distinct group once; OffsetDelete per partition', async () => {
    const { memberId } = await oneMemberGroup('busy');
    await dispatch(dispatcher, offsetCommitApi, 8, {
      groupId: 'idle',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: 'gt', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    const od = await dispatch(dispatcher, offsetDeleteApi, 0, {
      groupId: 'idle',
      topics: [
        { name: 'gt', partitions: [{ partitionIndex: 0 }] },
        { name: 'nope', partitions: [{ partitionIndex: 0 }] },
      ],
    });
    expect(od).toEqual({
      errorCode: 0,
      throttleTimeMs: 0,
      topics: [
        { name: 'gt', partitions: [{ partitionIndex: 0, errorCode: 0 }] },
        { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      ],
    });
    expect(await dispatch(dispatcher, offsetDeleteApi, 0, { groupId: 'ghost', topics: [] })).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
    const r = await dispatch(dispatcher, deleteGroupsApi, 2, { groupsNames: ['idle', 'busy', 'idle', 'ghost'] });
    expect(r!.results).toEqual([
      { groupId: 'idle', errorCode: 0 },
      { groupId: 'busy', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'ghost', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    void memberId;
  });
});
