/**
 * Committed offsets: OffsetCommit's checks and errors, OffsetFetch, OffsetDelete, DeleteGroups,
 * ListGroups / DescribeGroups, expiry (offsets.retention.minutes) on a manual clock, offsets of
 * deleted topics, and everything surviving a reload of __consumer_offsets.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { OFFSETS_TOPIC, type GroupCoordinator, type OffsetCommitRequest } from '../../src/group/coordinator.js';
import { decodeKey } from '../../src/group/offsets-topic-records.js';
import { removeDir, tempDir } from '../helpers/storage.js';
import { coordinatorSuite, openBroker, SESSION_MS, joinRequest, stableGroup, subscription, tick, track } from './harness.js';

const suite = coordinatorSuite('group-offsets', [
  { name: 't', numPartitions: 3 },
  { name: 'u', numPartitions: 1 },
]);
const coordinator = suite.coordinator;

/** A second coordinator on the same broker: what a restart loads from __consumer_offsets. */
async function reload(previous: GroupCoordinator, config: Parameters<typeof coordinator>[0] = {}): Promise<GroupCoordinator> {
  previous.shutdown();
  return coordinator(config);
}

let groupSeq = 0;
const newGroup = (): string => `offsets-group-${++groupSeq}`;

function commit(groupId: string, offsets: [string, number, bigint][], over: Partial<OffsetCommitRequest> = {}): OffsetCommitRequest {
  const topics = new Map<string, OffsetCommitRequest['topics'][number]>();
  for (const [name, partition, offset] of offsets) {
    if (!topics.has(name)) topics.set(name, { name, partitions: [] });
    topics
      .get(name)!
      .partitions.push({ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: 3, committedMetadata: `m${offset}`, commitTimestamp: -1n });
  }
  return { groupId, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [...topics.values()], ...over };
}

const errorsOf = (r: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[]): string[] =>
  r.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}:${p.errorCode}`));

function committed(c: GroupCoordinator, groupId: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const t of c.fetchOffsets(groupId, null).topics) for (const p of t.partitions) out[`${t.name}-${p.partitionIndex}`] = p.committedOffset;
  return out;
}

describe('OffsetCommit and OffsetFetch', () => {
  it('a standalone commit (generation -1) creates the group; fetch answers offsets, epochs and metadata', async () => {
    const c = await coordinator();
    const g = newGroup();
    expect(
      errorsOf(
        c.commitOffsets(
          commit(g, [
            ['t', 0, 5n],
            ['t', 2, 9n],
          ]),
        ),
      ),
    ).toEqual(['t-0:0', 't-2:0']);
    const r = c.fetchOffsets(g, [{ name: 't', partitionIndexes: [0, 1, 2] }]);
    expect(r).toEqual({
      errorCode: 0,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 3, metadata: 'm5', errorCode: 0 },
            { partitionIndex: 1, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
            { partitionIndex: 2, committedOffset: 9n, committedLeaderEpoch: 3, metadata: 'm9', errorCode: 0 },
          ],
        },
      ],
    });
    expect(c.listGroups().groups.find((x) => x.groupId === g)).toEqual({ groupId: g, protocolType: '', groupState: 'Empty' });
  });

  it('an unknown group answers -1 for every requested partition and nothing for "all"', async () => {
    const c = await coordinator();
    expect(c.fetchOffsets('nobody', [{ name: 't', partitionIndexes: [1] }]).topics[0]!.partitions[0]).toMatchObject({ committedOffset: -1n, errorCode: 0 });
    expect(c.fetchOffsets('nobody', null)).toEqual({ errorCode: 0, topics: [] });
  });

  it('unknown partitions are UNKNOWN_TOPIC_OR_PARTITION; metadata over offset.metadata.max.bytes is OFFSET_METADATA_TOO_LARGE; the rest is stored', async () => {
    const c = await coordinator({ offsetMetadataMaxBytes: 4 });
    const g = newGroup();
    const req = commit(g, [
      ['t', 0, 1n],
      ['t', 7, 1n],
      ['nope', 0, 1n],
      ['u', 0, 2n],
    ]);
    req.topics[0]!.partitions[0]!.committedMetadata = 'toolong';
    expect(errorsOf(c.commitOffsets(req))).toEqual([
      `t-0:${ErrorCode.OFFSET_METADATA_TOO_LARGE}`,
      `t-7:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`,
      `nope-0:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`,
      'u-0:0',
    ]);
    expect(committed(c, g)).toEqual({ 'u-0': 2n });
  });

  it('null metadata is stored as ""', async () => {
    const c = await coordinator();
    const g = newGroup();
    const req = commit(g, [['t', 0, 1n]]);
    req.topics[0]!.partitions[0]!.committedMetadata = null;
    c.commitOffsets(req);
    expect(c.fetchOffsets(g, null).topics[0]!.partitions[0]!.metadata).toBe('');
  });

  it('members commit in Stable and PreparingRebalance, not in CompletingRebalance; stale generations and strangers are refused', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1);
    const m = joins[0]!;
    const asMember = (generationId: number, memberId = m.memberId) => commit(g, [['t', 0, 10n]], { generationId, memberId });
    expect(errorsOf(c.commitOffsets(asMember(1)))).toEqual(['t-0:0']);
    expect(errorsOf(c.commitOffsets(asMember(0)))).toEqual([`t-0:${ErrorCode.ILLEGAL_GENERATION}`]);
    expect(errorsOf(c.commitOffsets(asMember(1, 'ghost')))).toEqual([`t-0:${ErrorCode.UNKNOWN_MEMBER_ID}`]);
    // Outside group management, while the group has members: refused.
    expect(errorsOf(c.commitOffsets(commit(g, [['t', 0, 11n]])))).toEqual([`t-0:${ErrorCode.UNKNOWN_MEMBER_ID}`]);
    // A newcomer starts a rebalance: the member may still commit.
    const newcomer = track(c.joinGroup(joinRequest(g)));
    expect(errorsOf(c.commitOffsets(asMember(1)))).toEqual(['t-0:0']);
    const rejoin = track(c.joinGroup(joinRequest(g, { memberId: m.memberId })));
    await tick();
    expect(newcomer.value.generationId).toBe(2);
    expect(errorsOf(c.commitOffsets(asMember(2)))).toEqual([`t-0:${ErrorCode.REBALANCE_IN_PROGRESS}`]);
    expect(rejoin.value.generationId).toBe(2);
    // A generation for an unknown group is from a generation long gone.
    expect(errorsOf(c.commitOffsets(commit(newGroup(), [['t', 0, 1n]], { generationId: 3, memberId: 'x' })))).toEqual([`t-0:${ErrorCode.ILLEGAL_GENERATION}`]);
  });

  it('a static member commits with its group.instance.id; a stale instance is FENCED_INSTANCE_ID', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1, () => ({ groupInstanceId: 'i0' }));
    expect(errorsOf(c.commitOffsets(commit(g, [['t', 0, 1n]], { generationId: 1, memberId: joins[0]!.memberId, groupInstanceId: 'i0' })))).toEqual(['t-0:0']);
    expect(errorsOf(c.commitOffsets(commit(g, [['t', 0, 1n]], { generationId: 1, memberId: 'other', groupInstanceId: 'i0' })))).toEqual([
      `t-0:${ErrorCode.FENCED_INSTANCE_ID}`,
    ]);
  });

  it('a commit a member sends keeps its session alive', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1);
    for (let t = 0; t < 3 * SESSION_MS; t += SESSION_MS / 2) {
      await tick(SESSION_MS / 2);
      expect(errorsOf(c.commitOffsets(commit(g, [['t', 0, BigInt(t)]], { generationId: 1, memberId: joins[0]!.memberId })))).toEqual(['t-0:0']);
    }
    expect(c.groupState(g)).toBe('Stable');
  });

  it("failed appends map to Kafka's coordinator errors and leave the committed offsets unchanged", async () => {
    const c = await coordinator();
    const g = newGroup();
    c.commitOffsets(commit(g, [['t', 0, 1n]]));
    for (const [injected, expected] of [
      [ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NOT_COORDINATOR],
      [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_COORDINATOR],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.COORDINATOR_NOT_AVAILABLE],
      [ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE],
      [ErrorCode.RECORD_LIST_TOO_LARGE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE],
      [ErrorCode.UNKNOWN_SERVER_ERROR, ErrorCode.UNKNOWN_SERVER_ERROR],
    ] as const) {
      suite.storage.failAppendsWith = injected;
      expect(errorsOf(c.commitOffsets(commit(g, [['t', 0, 99n]])))).toEqual([`t-0:${expected}`]);
    }
    suite.storage.failAppendsWith = null;
    expect(committed(c, g)).toEqual({ 't-0': 1n });
  });

  it('the empty group id is allowed for offsets (old consumers), not for group membership', async () => {
    const c = await coordinator();
    expect(errorsOf(c.commitOffsets(commit('', [['u', 0, 4n]])))).toEqual(['u-0:0']);
    expect(committed(c, '')).toEqual({ 'u-0': 4n });
    expect(c.deleteOffsets('', [{ name: 'u', partitions: [0] }]).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(c.deleteGroups([''])).toEqual([{ groupId: '', errorCode: 0 }]);
  });

  it('before __consumer_offsets exists the node coordinates nothing: NOT_COORDINATOR until FindCoordinator creates it', async () => {
    const fresh = tempDir('group-fresh');
    const b = await openBroker(fresh);
    try {
      await b.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 1 }], false);
      const { GroupCoordinator } = await import('../../src/group/coordinator.js');
      const { TEST_CONFIG, testClock } = await import('./harness.js');
      const { quietLogger } = await import('../helpers/logger.js');
      const c = await GroupCoordinator.open(b, TEST_CONFIG, quietLogger(), { clock: testClock() });
      suite.shutDownAfter(c);
      expect(b.topicId(OFFSETS_TOPIC)).toBeUndefined();
      expect(errorsOf(c.commitOffsets(commit('g', [['t', 0, 1n]])))).toEqual([`t-0:${ErrorCode.NOT_COORDINATOR}`]);
      expect((await c.joinGroup(joinRequest('g'))).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      expect(c.fetchOffsets('g', null).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      expect(c.listGroups()).toEqual({ errorCode: 0, groups: [] });
      expect(await Promise.all([c.findCoordinator(), c.findCoordinator()])).toEqual([0, 0]);
      expect(b.topicId(OFFSETS_TOPIC)).toBeDefined();
      expect(errorsOf(c.commitOffsets(commit('g', [['t', 0, 1n]])))).toEqual(['t-0:0']);
    } finally {
      await b.close();
      removeDir(fresh);
    }
  });
});

describe('ListGroups and DescribeGroups', () => {
  it('lists groups with their state, filtered by state case-insensitively', async () => {
    const c = await coordinator();
    const stable = newGroup();
    const empty = newGroup();
    await stableGroup(c, stable, 1);
    c.commitOffsets(commit(empty, [['t', 0, 1n]]));
    const all = c.listGroups().groups;
    expect(all).toEqual(
      expect.arrayContaining([
        { groupId: stable, protocolType: 'consumer', groupState: 'Stable' },
        { groupId: empty, protocolType: '', groupState: 'Empty' },
      ]),
    );
    const onlyStable = c.listGroups(['stable']).groups.map((x) => x.groupId);
    expect(onlyStable).toContain(stable);
    expect(onlyStable).not.toContain(empty);
    expect(c.listGroups(['Empty', 'Dead']).groups.map((x) => x.groupId)).toContain(empty);
  });

  it('describes a stable group with member metadata and assignments; other states without; unknown groups as Dead', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2, (i) => ({ clientId: `client-${i}`, groupInstanceId: i === 1 ? 'inst' : null }));
    const d = c.describeGroup(g);
    expect(d).toMatchObject({ errorCode: 0, groupId: g, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(d.members).toEqual([
      {
        memberId: joins[0]!.memberId,
        groupInstanceId: null,
        clientId: 'client-0',
        clientHost: '/127.0.0.1',
        memberMetadata: subscription(['t']),
        memberAssignment: Buffer.from('a0'),
      },
      {
        memberId: joins[1]!.memberId,
        groupInstanceId: 'inst',
        clientId: 'client-1',
        clientHost: '/127.0.0.1',
        memberMetadata: subscription(['t']),
        memberAssignment: Buffer.from('a1'),
      },
    ]);
    track(c.joinGroup(joinRequest(g)));
    const rebalancing = c.describeGroup(g);
    expect(rebalancing).toMatchObject({ groupState: 'PreparingRebalance', protocolData: '' });
    expect(rebalancing.members.map((m) => m.memberMetadata.length + m.memberAssignment.length)).toEqual([0, 0, 0]);
    expect(c.describeGroup('no-such-group')).toEqual({
      errorCode: 0,
      groupId: 'no-such-group',
      groupState: 'Dead',
      protocolType: '',
      protocolData: '',
      members: [],
    });
  });
});

describe('DeleteGroups and OffsetDelete', () => {
  it('deletes an empty group and its offsets; NON_EMPTY_GROUP while members remain; GROUP_ID_NOT_FOUND after', async () => {
    const c = await coordinator();
    const empty = newGroup();
    const busy = newGroup();
    c.commitOffsets(
      commit(empty, [
        ['t', 0, 1n],
        ['u', 0, 2n],
      ]),
    );
    await stableGroup(c, busy, 1);
    expect(c.deleteGroups([empty, busy, 'never-existed'])).toEqual([
      { groupId: empty, errorCode: 0 },
      { groupId: busy, errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'never-existed', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    expect(c.groupState(empty)).toBe('Dead');
    expect(committed(c, empty)).toEqual({});
    expect(c.deleteGroups([empty])).toEqual([{ groupId: empty, errorCode: ErrorCode.GROUP_ID_NOT_FOUND }]);
    // The tombstones are durable.
    const again = await reload(c);
    expect(committed(again, empty)).toEqual({});
    expect(again.groupState(empty)).toBe('Dead');
  });

  it('a failed tombstone write keeps the group and answers the mapped error', async () => {
    const c = await coordinator();
    const g = newGroup();
    c.commitOffsets(commit(g, [['t', 0, 1n]]));
    suite.storage.failAppendsWith = ErrorCode.KAFKA_STORAGE_ERROR;
    expect(c.deleteGroups([g])).toEqual([{ groupId: g, errorCode: ErrorCode.NOT_COORDINATOR }]);
    expect(c.deleteOffsets(g, [{ name: 't', partitions: [0] }]).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    suite.storage.failAppendsWith = null;
    expect(committed(c, g)).toEqual({ 't-0': 1n });
  });

  it('OffsetDelete: any partition of an empty group; only unsubscribed topics of a consumer group with members', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1); // subscribed to t
    c.commitOffsets(
      commit(
        g,
        [
          ['t', 0, 1n],
          ['u', 0, 2n],
        ],
        { generationId: 1, memberId: joins[0]!.memberId },
      ),
    );
    const r = c.deleteOffsets(g, [
      { name: 't', partitions: [0] },
      { name: 'u', partitions: [0] },
      { name: 'nope', partitions: [0] },
    ]);
    expect(r.errorCode).toBe(0);
    expect(errorsOf(r.topics)).toEqual([`t-0:${ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC}`, 'u-0:0', `nope-0:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`]);
    expect(committed(c, g)).toEqual({ 't-0': 1n });
    c.leaveGroup(g, [{ memberId: joins[0]!.memberId, groupInstanceId: null }]);
    await tick();
    expect(c.groupState(g)).toBe('Empty');
    expect(errorsOf(c.deleteOffsets(g, [{ name: 't', partitions: [0, 1] }]).topics)).toEqual(['t-0:0', 't-1:0']);
    expect(committed(c, g)).toEqual({});
    expect(c.deleteOffsets('missing', [{ name: 't', partitions: [0] }])).toEqual({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] });
  });

  it('OffsetDelete on a non-consumer group with members is NON_EMPTY_GROUP', async () => {
    const c = await coordinator();
    const g = newGroup();
    await stableGroup(c, g, 1, () => ({ protocolType: 'connect', protocols: [{ name: 'sessioned', metadata: Buffer.from('x') }] }));
    expect(c.deleteOffsets(g, [{ name: 't', partitions: [0] }])).toEqual({ errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] });
  });

  it('a consumer group whose subscription does not parse counts as subscribed to every topic', async () => {
    const c = await coordinator();
    const g = newGroup();
    await stableGroup(c, g, 1, () => ({ protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 9]) }] }));
    expect(errorsOf(c.deleteOffsets(g, [{ name: 'u', partitions: [0] }]).topics)).toEqual([`u-0:${ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC}`]);
  });
});

describe('offsets.retention.minutes', () => {
  const RETENTION_MS = 60 * 60_000;

  it('offsets of an empty consumer group expire once it has been empty for the retention period; then the group goes', async () => {
    const c = await coordinator({ offsetsRetentionMs: RETENTION_MS });
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1);
    c.commitOffsets(commit(g, [['t', 0, 7n]], { generationId: 1, memberId: joins[0]!.memberId }));
    // Stable for longer than the retention: offsets of subscribed topics stay.
    for (let t = 0; t < 2 * RETENTION_MS; t += 5000) {
      c.heartbeat({ groupId: g, generationId: 1, memberId: joins[0]!.memberId, groupInstanceId: null });
      await tick(5000);
    }
    expect(c.expireOffsets()).toBe(0);
    c.leaveGroup(g, [{ memberId: joins[0]!.memberId, groupInstanceId: null }]);
    await tick();
    expect(c.groupState(g)).toBe('Empty');
    await tick(RETENTION_MS - 1000);
    expect(c.expireOffsets()).toBe(0);
    await tick(1000);
    expect(c.expireOffsets()).toBe(1);
    expect(c.groupState(g)).toBe('Dead');
    const again = await reload(c, { offsetsRetentionMs: RETENTION_MS });
    expect(again.groupState(g)).toBe('Dead');
  });

  it('a stable consumer group loses offsets of topics it no longer subscribes to, counted from their last commit', async () => {
    const c = await coordinator({ offsetsRetentionMs: RETENTION_MS });
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1);
    c.commitOffsets(
      commit(
        g,
        [
          ['t', 0, 1n],
          ['u', 0, 2n],
        ],
        { generationId: 1, memberId: joins[0]!.memberId },
      ),
    );
    for (let t = 0; t < RETENTION_MS; t += 5000) {
      c.heartbeat({ groupId: g, generationId: 1, memberId: joins[0]!.memberId, groupInstanceId: null });
      await tick(5000);
    }
    expect(c.expireOffsets()).toBe(1);
    expect(committed(c, g)).toEqual({ 't-0': 1n });
  });

  it('standalone offsets expire each from its own commit; an explicit retention time (v2-v4) wins', async () => {
    const c = await coordinator({ offsetsRetentionMs: RETENTION_MS });
    const g = newGroup();
    c.commitOffsets(commit(g, [['t', 0, 1n]]));
    await tick(RETENTION_MS / 2);
    c.commitOffsets(commit(g, [['t', 1, 2n]]));
    c.commitOffsets(commit(g, [['t', 2, 3n]], { retentionTimeMs: 60_000 }));
    await tick(60_000);
    expect(c.expireOffsets()).toBe(1); // t-2, by its own expire timestamp
    await tick(RETENTION_MS / 2);
    expect(c.expireOffsets()).toBe(1); // t-0
    expect(committed(c, g)).toEqual({ 't-1': 2n });
    // The explicit expire timestamp survives a reload (OffsetCommitValue v1).
    c.commitOffsets(commit(g, [['u', 0, 4n]], { retentionTimeMs: 1000 }));
    const again = await reload(c, { offsetsRetentionMs: RETENTION_MS });
    await tick(1000);
    expect(again.expireOffsets()).toBe(1);
    expect(committed(again, g)).toEqual({ 't-1': 2n });
  });

  it('runs by itself every offsets.retention.check.interval.ms', async () => {
    const c = await coordinator({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 30_000 });
    const g = newGroup();
    await tick(1000);
    c.commitOffsets(commit(g, [['t', 0, 1n]]));
    await tick(59_000); // checks at 30 s and 60 s: 29 s and 59 s old
    expect(committed(c, g)).toEqual({ 't-0': 1n });
    await tick(30_000); // at 90 s: 89 s old
    expect(c.groupState(g)).toBe('Dead');
  });
});

describe('reload from __consumer_offsets', () => {
  it('restores offsets (last commit wins) and a stable group with its members, generation, leader and assignments', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2, (i) => ({ groupInstanceId: i === 0 ? 'inst-0' : null }));
    for (const offset of [1n, 2n, 3n]) c.commitOffsets(commit(g, [['t', 1, offset]], { generationId: 1, memberId: joins[1]!.memberId }));
    const before = c.describeGroup(g);
    const again = await reload(c);
    expect(again.describeGroup(g)).toEqual(before);
    expect(committed(again, g)).toEqual({ 't-1': 3n });
    expect(again.fetchOffsets(g, null).topics[0]!.partitions[0]).toMatchObject({ committedLeaderEpoch: 3, metadata: 'm3' });
    // The members carry on with their generation: heartbeats and syncs work.
    expect(again.heartbeat({ groupId: g, generationId: 1, memberId: joins[1]!.memberId, groupInstanceId: null })).toBe(0);
    expect(again.heartbeat({ groupId: g, generationId: 1, memberId: joins[0]!.memberId, groupInstanceId: 'inst-0' })).toBe(0);
    expect(
      (
        await again.syncGroup({
          groupId: g,
          generationId: 1,
          memberId: joins[1]!.memberId,
          groupInstanceId: null,
          protocolType: null,
          protocolName: null,
          assignments: [],
        })
      ).assignment,
    ).toEqual(Buffer.from('a1'));
    // OffsetDelete knows the subscriptions again.
    expect(errorsOf(again.deleteOffsets(g, [{ name: 't', partitions: [1] }]).topics)).toEqual([`t-1:${ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC}`]);
  });

  it('loaded members that do not heartbeat are removed after their session timeout', async () => {
    const c = await coordinator();
    const g = newGroup();
    await stableGroup(c, g, 1);
    const again = await reload(c);
    expect(again.groupState(g)).toBe('Stable');
    await tick(SESSION_MS);
    expect(again.groupState(g)).not.toBe('Stable');
    await tick();
    expect(again.groupState(g)).toBe('Empty');
  });

  it('an empty group keeps its generation and protocol type across a reload', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1);
    c.leaveGroup(g, [{ memberId: joins[0]!.memberId, groupInstanceId: null }]);
    await tick();
    const again = await reload(c);
    expect(again.listGroups().groups.find((x) => x.groupId === g)).toEqual({ groupId: g, protocolType: 'consumer', groupState: 'Empty' });
    const rejoin = track(again.joinGroup(joinRequest(g)));
    await tick();
    expect(rejoin.value.generationId).toBe(3);
  });

  it("writes Kafka's record layouts: OffsetCommitKey v1 and GroupMetadataKey v2 in the group's partition", async () => {
    const c = await coordinator();
    const g = newGroup();
    c.commitOffsets(commit(g, [['t', 0, 1n]]));
    const partition = c.partitionFor(g)!;
    const { records } = suite.broker.readInternal(OFFSETS_TOPIC, partition, 0n, 1 << 20);
    const keys = records.filter((r) => r.key !== null).map((r) => decodeKey(r.key!));
    expect(keys).toContainEqual({ type: 'offset', group: g, topic: 't', partition: 0 });
    expect(records.at(-1)!.key!.readInt16BE(0)).toBe(1);
  });
});

describe('deleted topics', () => {
  it('committed offsets of a deleted topic are removed from every group', async () => {
    const c = await coordinator();
    await suite.broker.createTopics([{ name: 'doomed', numPartitions: 2, replicationFactor: 1 }], false);
    const a = newGroup();
    const b = newGroup();
    c.commitOffsets(
      commit(a, [
        ['doomed', 0, 1n],
        ['t', 0, 1n],
      ]),
    );
    c.commitOffsets(commit(b, [['doomed', 1, 5n]]));
    expect(await suite.broker.deleteTopics(['doomed'])).toMatchObject([{ errorCode: 0 }]);
    expect(committed(c, a)).toEqual({ 't-0': 1n });
    expect(committed(c, b)).toEqual({});
    expect(c.groupState(b)).toBe('Dead');
    const again = await reload(c);
    expect(committed(again, a)).toEqual({ 't-0': 1n });
  });
});
