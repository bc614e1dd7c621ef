import { afterEach, describe, expect, it } from 'vitest';
import { decodeConsumerAssignment, decodeConsumerSubscription } from '../../src/group/consumer-protocol.js';
import { GroupMember, KafkaWireClient } from '../../src/wire-client/index.js';
import { startFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';
import { fakeGroupHandlers, fakeGroupState, fakeMembership, type FakeGroupState, type FakeMembership } from '../helpers/fake-groups.js';

const API = { OffsetCommit: 8, JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14 };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(expectedMembers = 1): Promise<{ b: FakeBroker; groups: FakeGroupState; membership: FakeMembership; connect: () => Promise<KafkaWireClient> }> {
  const groups = fakeGroupState();
  const membership = fakeMembership(expectedMembers);
  const b = await startFakeBroker({ handlers: (broker) => [...fakeGroupHandlers(groups)(broker), ...membership.handlers(broker)] });
  cleanups.push(() => b.close());
  b.addTopic('t', 4);
  b.addTopic('u', 1);
  const connect = async (): Promise<KafkaWireClient> => {
    const c = await KafkaWireClient.connect([`127.0.0.1:${b.port}`], { retries: 2, retryBackoffMs: 5 });
    cleanups.push(() => c.close());
    return c;
  };
  return { b, groups, membership, connect };
}

function member(client: KafkaWireClient, topics: string[], heartbeatIntervalMs = 60_000): GroupMember {
  const m = new GroupMember(client, { groupId: 'g', topics, heartbeatIntervalMs, retryBackoffMs: 5 });
  cleanups.push(() => m.close().catch(() => undefined));
  return m;
}

/** Waits until `check` holds, polling the event loop (the fake answers asynchronously). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('GroupMember', () => {
  it('rejoins with the member id the coordinator requires, then the leader assigns with range', async () => {
    const { membership, connect } = await setup();
    const m = member(await connect(), ['t', 'u']);
    const assignment = await m.join();
    expect(assignment).toEqual([
      { topic: 't', partitions: [0, 1, 2, 3] },
      { topic: 'u', partitions: [0] },
    ]);
    expect(membership.joins.map((j) => j.memberId)).toEqual(['', 'member-1']);
    expect(membership.joins[1]!.protocols).toEqual(['range', 'cooperative-sticky']);
    expect(decodeConsumerSubscription(membership.joins[1]!.metadata[0]!).topics).toEqual(['t', 'u']);
    expect(m.memberId).toBe('member-1');
    expect(m.generationId).toBe(1);
    expect(m.protocol).toBe('range');
    expect(m.needsRejoin).toBe(false);
  });

  it('splits partitions between two members: the leader sends every share, the follower gets its own', async () => {
    const { membership, connect } = await setup(2);
    const a = member(await connect(), ['t']);
    const b = member(await connect(), ['t']);
    const [sa, sb] = await Promise.all([a.join(), b.join()]);
    const leaderSync = membership.syncs.find((s) => s.memberId === membership.leader)!;
    expect([...leaderSync.assignments.keys()].sort()).toEqual(['member-1', 'member-2']);
    const followerSync = membership.syncs.find((s) => s.memberId !== membership.leader)!;
    expect(followerSync.assignments.size).toBe(0);
    const owned = [...sa[0]!.partitions, ...sb[0]!.partitions].sort();
    expect(owned).toEqual([0, 1, 2, 3]);
    expect(sa[0]!.partitions).toHaveLength(2);
    expect(decodeConsumerAssignment(leaderSync.assignments.get(b.memberId)!).assignedPartitions).toEqual(sb);
  });

  it('heartbeats on its interval and asks to rejoin on REBALANCE_IN_PROGRESS, keeping id and generation for the commit', async () => {
    const { membership, connect } = await setup();
    const m = member(await connect(), ['t'], 10);
    await m.join();
    await until(() => membership.heartbeats.length >= 2);
    expect(m.needsRejoin).toBe(false);
    membership.rebalance();
    await until(() => m.needsRejoin);
    expect(m.generationId).toBe(1);
    expect(await m.commit([{ topic: 't', partition: 0, offset: 3n }])).toBe(true);
    await m.join();
    expect(m.generationId).toBe(2);
    expect(m.memberId).toBe('member-1');
  });

  it('on UNKNOWN_MEMBER_ID drops its id and joins as a new member', async () => {
    const { membership, connect } = await setup();
    const m = member(await connect(), ['t'], 10);
    await m.join();
    membership.heartbeatErrors.push(25);
    await until(() => m.needsRejoin);
    expect(m.memberId).toBe('');
    await m.join();
    expect(m.memberId).toBe('member-2');
    expect(membership.joins.map((j) => j.memberId)).toEqual(['', 'member-1', '', 'member-2']);
  });

  it('commits with its generation and member id; ILLEGAL_GENERATION returns false and asks to rejoin', async () => {
    const { groups, connect } = await setup();
    const m = member(await connect(), ['t']);
    await m.join();
    expect(await m.commit([{ topic: 't', partition: 1, offset: 7n }])).toBe(true);
    expect(groups.commits).toEqual([{ groupId: 'g', generationId: 1, memberId: 'member-1', offsets: [{ topic: 't', partition: 1, offset: 7n }] }]);
    expect(await m.committed([{ topic: 't', partition: 1 }, { topic: 't', partition: 2 }])).toMatchObject([
      { topic: 't', partition: 1, offset: 7n },
      { topic: 't', partition: 2, offset: -1n },
    ]);
    groups.commitErrors.push(22);
    expect(await m.commit([{ topic: 't', partition: 1, offset: 8n }])).toBe(false);
    expect(m.needsRejoin).toBe(true);
    expect(m.generationId).toBe(-1);
  });

  it('leaves the group on close and stops heartbeating', async () => {
    const { b, membership, connect } = await setup();
    const m = member(await connect(), ['t'], 10);
    await m.join();
    await m.close();
    expect(membership.left).toEqual(['member-1']);
    const beats = b.requests.filter((r) => r.apiKey === API.Heartbeat).length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(b.requests.filter((r) => r.apiKey === API.Heartbeat).length).toBe(beats);
    await expect(m.join()).rejects.toThrow('group member is closed');
  });
});
