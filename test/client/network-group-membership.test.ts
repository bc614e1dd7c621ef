import { afterEach, describe, expect, it } from 'vitest';
import { decodeConsumerAssignment, decodeConsumerSubscription } from '../../src/group/consumer-protocol.js';
import { GroupMembership } from '../../src/client/group-membership.js';
import { NetworkTransport } from '../../src/client/network-transport.js';
import type { TopicPartitions } from '../../src/client/types.js';
import { startFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';
import { fakeGroupHandlers, fakeGroupState, fakeMembership, type FakeGroupState, type FakeMembership } from '../helpers/fake-groups.js';

const API = { OffsetCommit: 8, JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14 };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * The consumers' membership state machine (client/group-membership.ts) over the network
 * transport's group requests (network-group-transport.ts), against a fake coordinator that
 * records what it is sent. The in-process transport's side is covered by the Consumer suites
 * (producer-consumer.test.ts, admin-groups.test.ts) and integration/client-groups.test.ts.
 */
async function setup(
  expectedMembers = 1,
): Promise<{ b: FakeBroker; groups: FakeGroupState; membership: FakeMembership; connect: () => Promise<NetworkTransport> }> {
  const groups = fakeGroupState();
  const membership = fakeMembership(expectedMembers);
  const b = await startFakeBroker({ handlers: (broker) => [...fakeGroupHandlers(groups)(broker), ...membership.handlers(broker)] });
  cleanups.push(() => b.close());
  b.addTopic('t', 4);
  b.addTopic('u', 1);
  const connect = async (): Promise<NetworkTransport> => {
    const c = await NetworkTransport.connect({ brokers: [`127.0.0.1:${b.port}`], retries: 2, retryBackoffMs: 5 });
    cleanups.push(() => c.close());
    return c;
  };
  return { b, groups, membership, connect };
}

/** A member as a consumer drives it: eager, so it claims nothing when it (re)joins. */
interface Member {
  readonly state: GroupMembership;
  readonly memberId: string;
  readonly generationId: number;
  readonly needsRejoin: boolean;
  protocol: string | null;
  join(): Promise<TopicPartitions[]>;
  commit: GroupMembership['commit'];
  committed: GroupMembership['committed'];
  close(): Promise<void>;
}

function member(transport: NetworkTransport, topics: string[], heartbeatIntervalMs = 60_000): Member {
  const state = new GroupMembership(transport.groupTransport(), { groupId: 'g', heartbeatIntervalMs });
  state.setTopics(topics);
  const m: Member = {
    state,
    get memberId() {
      return state.memberId;
    },
    get generationId() {
      return state.generationId;
    },
    get needsRejoin() {
      return state.needsRejoin;
    },
    protocol: null,
    async join() {
      state.revokeAll();
      const outcome = await state.join();
      m.protocol = outcome.protocol;
      return outcome.assignment;
    },
    commit: (offsets) => state.commit(offsets),
    committed: (partitions) => state.committed(partitions),
    close: () => state.leave(),
  };
  cleanups.push(() => state.leave().catch(() => undefined));
  return m;
}

/** Waits until `check` holds, polling the event loop (the fake answers asynchronously). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('group membership over the network transport', () => {
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
    expect(
      await m.committed([
        { topic: 't', partition: 1 },
        { topic: 't', partition: 2 },
      ]),
    ).toMatchObject([
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
