/**
 * The group coordinator's state machine on a manual clock: every transition (Empty →
 * PreparingRebalance → CompletingRebalance → Stable, back, and Dead), every timeout (session,
 * rebalance, sync, pending member id, initial delay) and every error code of JoinGroup,
 * SyncGroup, Heartbeat and LeaveGroup, on a real Broker's __consumer_offsets.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { NEW_MEMBER_JOIN_TIMEOUT_MS, OFFSETS_TOPIC } from '../../src/group/coordinator.js';
import { coordinatorSuite, REBALANCE_MS, SESSION_MS, joinRequest, stableGroup, subscription, syncRequest, testClock, tick, track } from './harness.js';

const suite = coordinatorSuite('group-sm', [{ name: 't', numPartitions: 3 }]);
const coordinator = suite.coordinator;

let groupSeq = 0;
const newGroup = (): string => `group-${++groupSeq}`;

describe('JoinGroup', () => {
  it('a new member without group.instance.id on v4+ gets MEMBER_ID_REQUIRED and an id; the group stays Empty', async () => {
    const c = await coordinator();
    const g = newGroup();
    const r = await c.joinGroup(joinRequest(g, { requireKnownMemberId: true, clientId: 'my-client' }));
    expect(r.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(r.memberId).toMatch(/^my-client-[0-9a-f-]{36}$/);
    expect(r.generationId).toBe(-1);
    expect(c.groupState(g)).toBe('Empty');
  });

  it('rejoining with the handed-out id starts generation 1 with that member as leader', async () => {
    const c = await coordinator();
    const g = newGroup();
    const first = await c.joinGroup(joinRequest(g, { requireKnownMemberId: true }));
    const join = track(c.joinGroup(joinRequest(g, { memberId: first.memberId, requireKnownMemberId: true })));
    expect(c.groupState(g)).toBe('PreparingRebalance');
    await tick();
    expect(join.value).toMatchObject({
      errorCode: 0,
      memberId: first.memberId,
      generationId: 1,
      leader: first.memberId,
      protocolName: 'range',
      protocolType: 'consumer',
    });
    expect(join.value.members).toEqual([{ memberId: first.memberId, groupInstanceId: null, metadata: subscription(['t']) }]);
    expect(c.groupState(g)).toBe('CompletingRebalance');
  });

  it('a pending member id that never comes back is forgotten after the session timeout, and cannot join then', async () => {
    const c = await coordinator();
    const g = newGroup();
    const first = await c.joinGroup(joinRequest(g, { requireKnownMemberId: true }));
    await tick(SESSION_MS);
    const late = await c.joinGroup(joinRequest(g, { memberId: first.memberId, requireKnownMemberId: true }));
    expect(late.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a pending member holds up the join phase until it joins or its id expires', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1);
    const pendingId = (await c.joinGroup(joinRequest(g, { requireKnownMemberId: true }))).memberId;
    // The existing member rejoins (a rebalance starts): everyone known has joined but the pending id.
    const rejoin = track(c.joinGroup(joinRequest(g, { memberId: joins[0]!.memberId, protocols: [{ name: 'range', metadata: subscription(['t', 'x']) }] })));
    await tick(SESSION_MS - 1);
    expect(rejoin.done).toBe(false);
    await tick(1);
    expect(rejoin.value).toMatchObject({ errorCode: 0, generationId: 2 });
    expect(pendingId).not.toBe('');
  });

  it('before v4 a new member joins at once, without MEMBER_ID_REQUIRED', async () => {
    const c = await coordinator();
    const g = newGroup();
    const join = track(c.joinGroup(joinRequest(g)));
    await tick();
    expect(join.value).toMatchObject({ errorCode: 0, generationId: 1 });
    expect(join.value.memberId).toMatch(/^client-/);
  });

  it('a known member id for an unknown group answers UNKNOWN_MEMBER_ID and creates nothing', async () => {
    const c = await coordinator();
    const g = newGroup();
    const r = await c.joinGroup(joinRequest(g, { memberId: 'ghost' }));
    expect(r).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberId: 'ghost' });
    expect(c.groupState(g)).toBe('Dead');
  });

  it('an unknown member id for an existing group answers UNKNOWN_MEMBER_ID', async () => {
    const c = await coordinator();
    const g = newGroup();
    await stableGroup(c, g, 1);
    expect((await c.joinGroup(joinRequest(g, { memberId: 'ghost' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('an empty group id is INVALID_GROUP_ID', async () => {
    const c = await coordinator();
    expect((await c.joinGroup(joinRequest(''))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it('session timeouts outside group.min/max.session.timeout.ms are INVALID_SESSION_TIMEOUT', async () => {
    const c = await coordinator({ minSessionTimeoutMs: 6000, maxSessionTimeoutMs: 60_000 });
    expect((await c.joinGroup(joinRequest(newGroup(), { sessionTimeoutMs: 5999 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await c.joinGroup(joinRequest(newGroup(), { sessionTimeoutMs: 60_001 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await c.joinGroup(joinRequest(newGroup(), { sessionTimeoutMs: 6000, requireKnownMemberId: true }))).errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  });

  it('an empty protocol list, another protocol type, or no common protocol is INCONSISTENT_GROUP_PROTOCOL', async () => {
    const c = await coordinator();
    expect((await c.joinGroup(joinRequest(newGroup(), { protocols: [] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await c.joinGroup(joinRequest(newGroup(), { protocolType: '' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1);
    expect((await c.joinGroup(joinRequest(g, { protocolType: 'connect' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await c.joinGroup(joinRequest(g, { protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }))).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    // A known member too.
    expect((await c.joinGroup(joinRequest(g, { memberId: joins[0]!.memberId, protocolType: 'connect' }))).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
  });

  it('the protocols every member supports follow members changing theirs, joining and leaving', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1);
    const m0 = joins[0]!.memberId;
    const sticky = { name: 'sticky', metadata: subscription(['t']) };
    const range = { name: 'range', metadata: subscription(['t']) };
    expect((await c.joinGroup(joinRequest(g, { protocols: [sticky] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // The only member now offers sticky too (its rejoin alone completes the join phase)...
    expect(await c.joinGroup(joinRequest(g, { memberId: m0, protocols: [sticky, range] }))).toMatchObject({
      errorCode: 0,
      generationId: 2,
      protocolName: 'sticky',
    });
    // ...so a sticky-only member may join.
    const newcomer = track(c.joinGroup(joinRequest(g, { protocols: [sticky] })));
    const rejoin = track(c.joinGroup(joinRequest(g, { memberId: m0, protocols: [sticky, range] })));
    await tick();
    expect(newcomer.value).toMatchObject({ errorCode: 0, generationId: 3, protocolName: 'sticky' });
    expect(rejoin.value).toMatchObject({ errorCode: 0, generationId: 3 });
    // With the sticky-only member in, range alone is not common; once it has left, it is again.
    expect((await c.joinGroup(joinRequest(g, { protocols: [range] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(c.leaveGroup(g, [{ memberId: newcomer.value.memberId, groupInstanceId: null }]).members[0]!.errorCode).toBe(0);
    const rangeOnly = track(c.joinGroup(joinRequest(g, { protocols: [range] })));
    const again = track(c.joinGroup(joinRequest(g, { memberId: m0, protocols: [sticky, range] })));
    await tick();
    expect(rangeOnly.value).toMatchObject({ errorCode: 0, generationId: 4, protocolName: 'range' });
    expect(again.value).toMatchObject({ errorCode: 0, generationId: 4 });
  });

  it('selects the protocol most members prefer among those all support', async () => {
    const c = await coordinator();
    const g = newGroup();
    const p = (name: string) => ({ name, metadata: subscription(['t']) });
    const prefs = [
      [p('roundrobin'), p('range'), p('sticky')],
      [p('roundrobin'), p('range')],
      [p('range'), p('roundrobin')],
    ];
    const joins = prefs.map((protocols) => track(c.joinGroup(joinRequest(g, { protocols }))));
    await tick();
    expect(joins.map((j) => j.value.protocolName)).toEqual(['roundrobin', 'roundrobin', 'roundrobin']);
    // The leader is the first member to join, and only it gets the member list.
    expect(joins.map((j) => j.value.leader)).toEqual([joins[0]!.value.memberId, joins[0]!.value.memberId, joins[0]!.value.memberId]);
    expect(joins.map((j) => j.value.members.length)).toEqual([3, 0, 0]);
  });

  it('group.max.size: a new member beyond it is GROUP_MAX_SIZE_REACHED', async () => {
    const c = await coordinator({ maxSize: 1 });
    const g = newGroup();
    await stableGroup(c, g, 1);
    const r = await c.joinGroup(joinRequest(g));
    expect(r).toMatchObject({ errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED, memberId: '' });
    expect(c.describeGroup(g).members).toHaveLength(1);
  });

  it('group.max.size during a join phase: members past the limit that had not rejoined are shed', async () => {
    const c = await coordinator({ maxSize: 2 });
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2);
    // A subscription change by member 0 starts a rebalance.
    const rejoin0 = track(c.joinGroup(joinRequest(g, { memberId: joins[0]!.memberId, protocols: [{ name: 'range', metadata: subscription(['t', 'x']) }] })));
    expect(c.groupState(g)).toBe('PreparingRebalance');
    const newcomer = track(c.joinGroup(joinRequest(g)));
    await tick();
    expect(newcomer.done).toBe(false); // 1 of 2 awaiting: there is room for it
    const rejoin1 = await c.joinGroup(joinRequest(g, { memberId: joins[1]!.memberId }));
    expect(rejoin1.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    await tick();
    expect(rejoin0.value).toMatchObject({ errorCode: 0, generationId: 2 });
    expect(newcomer.value).toMatchObject({ errorCode: 0, generationId: 2 });
  });
});

describe('rebalancing', () => {
  it('the leader syncs the assignment: Stable, and every member gets its part', async () => {
    const c = await coordinator();
    const g = newGroup();
    const joins = [track(c.joinGroup(joinRequest(g))), track(c.joinGroup(joinRequest(g)))];
    await tick();
    const [leader, follower] = joins.map((j) => j.value);
    expect(c.groupState(g)).toBe('CompletingRebalance');
    const followerSync = track(c.syncGroup(syncRequest(g, follower!)));
    await tick();
    expect(followerSync.done).toBe(false); // parked until the leader's assignment
    const leaderSync = await c.syncGroup(
      syncRequest(g, leader!, [
        { memberId: leader!.memberId, assignment: Buffer.from('L') },
        { memberId: follower!.memberId, assignment: Buffer.from('F') },
      ]),
    );
    expect(leaderSync).toMatchObject({ errorCode: 0, assignment: Buffer.from('L'), protocolType: 'consumer', protocolName: 'range' });
    await tick();
    expect(followerSync.value).toMatchObject({ errorCode: 0, assignment: Buffer.from('F') });
    expect(c.groupState(g)).toBe('Stable');
    // A SyncGroup in Stable answers the stored assignment again.
    expect((await c.syncGroup(syncRequest(g, follower!))).assignment).toEqual(Buffer.from('F'));
  });

  it('members the leader leaves out get an empty assignment', async () => {
    const c = await coordinator();
    const g = newGroup();
    const joins = [track(c.joinGroup(joinRequest(g))), track(c.joinGroup(joinRequest(g)))];
    await tick();
    const follower = track(c.syncGroup(syncRequest(g, joins[1]!.value)));
    await c.syncGroup(syncRequest(g, joins[0]!.value, [{ memberId: joins[0]!.value.memberId, assignment: Buffer.from('all') }]));
    await tick();
    expect(follower.value).toMatchObject({ errorCode: 0, assignment: Buffer.alloc(0) });
  });

  it('a new member makes a stable group rebalance: heartbeats answer REBALANCE_IN_PROGRESS until everyone rejoined', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2);
    const newcomer = track(c.joinGroup(joinRequest(g)));
    await tick();
    expect(c.groupState(g)).toBe('PreparingRebalance');
    expect(newcomer.done).toBe(false);
    expect(c.heartbeat({ groupId: g, generationId: 1, memberId: joins[0]!.memberId, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    // SyncGroup is refused during the join phase.
    expect((await c.syncGroup(syncRequest(g, joins[1]!))).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const r0 = track(c.joinGroup(joinRequest(g, { memberId: joins[0]!.memberId })));
    await tick();
    expect(r0.done).toBe(false); // member 1 has not rejoined yet
    const r1 = track(c.joinGroup(joinRequest(g, { memberId: joins[1]!.memberId })));
    await tick();
    expect([r0.value.generationId, r1.value.generationId, newcomer.value.generationId]).toEqual([2, 2, 2]);
    // The leader stays the earliest member.
    expect(newcomer.value.leader).toBe(joins[0]!.memberId);
    expect(r0.value.members.map((m) => m.memberId)).toEqual([joins[0]!.memberId, joins[1]!.memberId, newcomer.value.memberId]);
  });

  it('a member that does not rejoin within the rebalance timeout is removed; the others form the next generation', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2);
    const r1 = track(c.joinGroup(joinRequest(g, { memberId: joins[1]!.memberId, protocols: [{ name: 'range', metadata: subscription(['t', 'y']) }] })));
    // Member 0 keeps heartbeating (it learns of the rebalance) but never rejoins.
    for (let t = 0; t < REBALANCE_MS; t += 3000) {
      expect(c.heartbeat({ groupId: g, generationId: 1, memberId: joins[0]!.memberId, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      await tick(3000);
    }
    expect(r1.value).toMatchObject({ errorCode: 0, generationId: 2, leader: joins[1]!.memberId });
    expect(r1.value.members.map((m) => m.memberId)).toEqual([joins[1]!.memberId]);
    expect(c.heartbeat({ groupId: g, generationId: 2, memberId: joins[0]!.memberId, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a member whose session expires is removed and the group rebalances without it', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2);
    // Member 1 heartbeats; member 0 goes silent.
    for (let t = 0; t < SESSION_MS - 1000; t += 1000) {
      await tick(1000);
      expect(c.heartbeat({ groupId: g, generationId: 1, memberId: joins[1]!.memberId, groupInstanceId: null })).toBe(0);
    }
    expect(c.groupState(g)).toBe('Stable');
    await tick(1000);
    expect(c.groupState(g)).toBe('PreparingRebalance');
    expect(c.heartbeat({ groupId: g, generationId: 1, memberId: joins[0]!.memberId, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const r1 = track(c.joinGroup(joinRequest(g, { memberId: joins[1]!.memberId })));
    await tick();
    expect(r1.value).toMatchObject({ errorCode: 0, generationId: 2, leader: joins[1]!.memberId });
  });

  it('a parked JoinGroup keeps an established member alive past its session timeout', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2);
    const r0 = track(c.joinGroup(joinRequest(g, { memberId: joins[0]!.memberId })));
    // Member 1 heartbeats (learning of the rebalance) and rejoins only late, after member 0's session timeout.
    for (let t = 0; t <= SESSION_MS; t += 3000) {
      expect(c.heartbeat({ groupId: g, generationId: 1, memberId: joins[1]!.memberId, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      await tick(3000);
    }
    expect(r0.done).toBe(false);
    const r1 = track(c.joinGroup(joinRequest(g, { memberId: joins[1]!.memberId })));
    await tick();
    expect(r0.value).toMatchObject({ errorCode: 0, generationId: 2 });
    expect(r1.value).toMatchObject({ errorCode: 0, generationId: 2 });
  });

  it('a new member whose first JoinGroup stays parked too long is removed with UNKNOWN_MEMBER_ID', async () => {
    const c = await coordinator();
    const g = newGroup();
    // A static member that never rejoins keeps the join phase open for a long time.
    const { joins } = await stableGroup(c, g, 1, () => ({ groupInstanceId: 'static-0', rebalanceTimeoutMs: 10 * 60_000, sessionTimeoutMs: 30 * 60_000 }));
    const newcomer = track(c.joinGroup(joinRequest(g)));
    for (let t = 0; t < NEW_MEMBER_JOIN_TIMEOUT_MS; t += 60_000) {
      await tick(60_000);
      c.heartbeat({ groupId: g, generationId: 1, memberId: joins[0]!.memberId, groupInstanceId: 'static-0' });
    }
    expect(newcomer.value).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberId: '' });
  });

  it('a member that does not send SyncGroup within the rebalance timeout is removed and the group rebalances', async () => {
    const c = await coordinator();
    const g = newGroup();
    const joins = [track(c.joinGroup(joinRequest(g))), track(c.joinGroup(joinRequest(g)))];
    await tick();
    const [leader, follower] = joins.map((j) => j.value);
    // Only the leader syncs; the follower keeps its session alive but never syncs.
    await c.syncGroup(syncRequest(g, leader!, [{ memberId: leader!.memberId, assignment: Buffer.from('L') }]));
    expect(c.groupState(g)).toBe('Stable');
    for (let t = 0; t < REBALANCE_MS; t += 5000) {
      c.heartbeat({ groupId: g, generationId: 1, memberId: leader!.memberId, groupInstanceId: null });
      c.heartbeat({ groupId: g, generationId: 1, memberId: follower!.memberId, groupInstanceId: null });
      await tick(5000);
    }
    expect(c.groupState(g)).toBe('PreparingRebalance');
    expect(c.heartbeat({ groupId: g, generationId: 1, memberId: follower!.memberId, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a rebalance during CompletingRebalance answers parked SyncGroups with REBALANCE_IN_PROGRESS', async () => {
    const c = await coordinator();
    const g = newGroup();
    const joins = [track(c.joinGroup(joinRequest(g))), track(c.joinGroup(joinRequest(g)))];
    await tick();
    const followerSync = track(c.syncGroup(syncRequest(g, joins[1]!.value)));
    // A heartbeat between JoinGroup and SyncGroup is fine.
    expect(c.heartbeat({ groupId: g, generationId: 1, memberId: joins[1]!.value.memberId, groupInstanceId: null })).toBe(0);
    const newcomer = track(c.joinGroup(joinRequest(g)));
    await tick();
    expect(followerSync.value).toMatchObject({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: Buffer.alloc(0) });
    expect(c.groupState(g)).toBe('PreparingRebalance');
    expect(newcomer.done).toBe(false);
  });

  it('in CompletingRebalance a member repeating its JoinGroup gets the same generation back; a changed one rebalances', async () => {
    const c = await coordinator();
    const g = newGroup();
    const joins = [track(c.joinGroup(joinRequest(g))), track(c.joinGroup(joinRequest(g)))];
    await tick();
    const [leader, follower] = joins.map((j) => j.value);
    const again = await c.joinGroup(joinRequest(g, { memberId: leader!.memberId }));
    expect(again).toMatchObject({ errorCode: 0, generationId: 1, leader: leader!.memberId });
    expect(again.members).toHaveLength(2);
    expect((await c.joinGroup(joinRequest(g, { memberId: follower!.memberId }))).members).toHaveLength(0);
    const changed = track(c.joinGroup(joinRequest(g, { memberId: follower!.memberId, protocols: [{ name: 'range', metadata: subscription(['other']) }] })));
    expect(c.groupState(g)).toBe('PreparingRebalance');
    await tick();
    expect(changed.done).toBe(false);
  });

  it('in Stable a follower repeating its JoinGroup does not rebalance; the leader rejoining does', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2);
    const follower = await c.joinGroup(joinRequest(g, { memberId: joins[1]!.memberId }));
    expect(follower).toMatchObject({ errorCode: 0, generationId: 1, leader: joins[0]!.memberId, members: [] });
    expect(c.groupState(g)).toBe('Stable');
    const leader = track(c.joinGroup(joinRequest(g, { memberId: joins[0]!.memberId })));
    expect(c.groupState(g)).toBe('PreparingRebalance');
    await tick();
    expect(leader.done).toBe(false);
  });

  it('a second JoinGroup from the same member supersedes the parked one, which is answered REBALANCE_IN_PROGRESS', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2);
    const first = track(c.joinGroup(joinRequest(g, { memberId: joins[0]!.memberId })));
    const second = track(c.joinGroup(joinRequest(g, { memberId: joins[0]!.memberId })));
    await tick();
    expect(first.value).toMatchObject({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
    expect(second.done).toBe(false);
  });

  it('group.initial.rebalance.delay.ms: the first join phase waits, and waits again while members arrive', async () => {
    const c = await coordinator({ initialRebalanceDelayMs: 3000 });
    const g = newGroup();
    const a = track(c.joinGroup(joinRequest(g)));
    await tick(2000);
    const b = track(c.joinGroup(joinRequest(g)));
    await tick(1000);
    expect(a.done).toBe(false); // b arrived during the delay: another 3 s
    await tick(2999);
    expect(a.done).toBe(false);
    await tick(1);
    expect([a.value.generationId, b.value.generationId]).toEqual([1, 1]);
    expect(a.value.members).toHaveLength(2);
  });

  it('the initial delay never extends past the rebalance timeout', async () => {
    const c = await coordinator({ initialRebalanceDelayMs: 3000 });
    const g = newGroup();
    const first = track(c.joinGroup(joinRequest(g, { rebalanceTimeoutMs: 7000 })));
    const late: ReturnType<typeof track>[] = [];
    for (let t = 0; t < 20_000 && !first.done; t += 1000) {
      late.push(track(c.joinGroup(joinRequest(g, { rebalanceTimeoutMs: 7000 }))));
      await tick(1000);
    }
    expect(first.done).toBe(true);
    expect(late.length).toBeLessThanOrEqual(8);
  });
});

describe('SyncGroup and Heartbeat errors', () => {
  it('unknown group or member: UNKNOWN_MEMBER_ID; wrong generation: ILLEGAL_GENERATION', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1);
    const m = joins[0]!;
    expect((await c.syncGroup(syncRequest(newGroup(), m))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.syncGroup(syncRequest(g, { ...m, memberId: 'ghost' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.syncGroup(syncRequest(g, { ...m, generationId: 7 }))).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(c.heartbeat({ groupId: newGroup(), generationId: 1, memberId: m.memberId, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.heartbeat({ groupId: g, generationId: 1, memberId: 'ghost', groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.heartbeat({ groupId: g, generationId: 0, memberId: m.memberId, groupInstanceId: null })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(c.heartbeat({ groupId: g, generationId: 1, memberId: m.memberId, groupInstanceId: null })).toBe(ErrorCode.NONE);
    expect((await c.syncGroup(syncRequest('', m))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(c.heartbeat({ groupId: '', generationId: 1, memberId: m.memberId, groupInstanceId: null })).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it("SyncGroup with a protocol type or name other than the group's is INCONSISTENT_GROUP_PROTOCOL", async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1);
    expect((await c.syncGroup(syncRequest(g, joins[0]!, [], { protocolType: 'connect', protocolName: 'range' }))).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect((await c.syncGroup(syncRequest(g, joins[0]!, [], { protocolType: 'consumer', protocolName: 'roundrobin' }))).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect((await c.syncGroup(syncRequest(g, joins[0]!, [], { protocolType: 'consumer', protocolName: 'range' }))).errorCode).toBe(0);
  });

  it('once every member left, the group is Empty at a new generation and old members are UNKNOWN_MEMBER_ID', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1);
    expect(c.leaveGroup(g, [{ memberId: joins[0]!.memberId, groupInstanceId: null }])).toEqual({
      errorCode: 0,
      members: [{ memberId: joins[0]!.memberId, groupInstanceId: null, errorCode: 0 }],
    });
    await tick();
    expect(c.groupState(g)).toBe('Empty');
    expect(c.heartbeat({ groupId: g, generationId: 2, memberId: joins[0]!.memberId, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.syncGroup(syncRequest(g, { ...joins[0]!, generationId: 2 }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("a failed write of the leader's assignment answers every parked SyncGroup with the error and rebalances", async () => {
    const c = await coordinator();
    const g = newGroup();
    const joins = [track(c.joinGroup(joinRequest(g))), track(c.joinGroup(joinRequest(g)))];
    await tick();
    const follower = track(c.syncGroup(syncRequest(g, joins[1]!.value)));
    suite.storage.failAppendsWith = ErrorCode.KAFKA_STORAGE_ERROR;
    const leader = await c.syncGroup(syncRequest(g, joins[0]!.value, [{ memberId: joins[0]!.value.memberId, assignment: Buffer.from('x') }]));
    await tick();
    expect(leader.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(follower.value.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(c.groupState(g)).toBe('PreparingRebalance');
  });
});

describe('LeaveGroup', () => {
  it('a leaving member makes the group rebalance; the others rejoin without it', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2);
    c.leaveGroup(g, [{ memberId: joins[0]!.memberId, groupInstanceId: null, reason: 'shutting down' }]);
    expect(c.groupState(g)).toBe('PreparingRebalance');
    const r1 = track(c.joinGroup(joinRequest(g, { memberId: joins[1]!.memberId })));
    await tick();
    expect(r1.value).toMatchObject({ errorCode: 0, generationId: 2, leader: joins[1]!.memberId });
  });

  it('a member leaving during the join phase lets it complete without waiting for that member', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2);
    const r0 = track(c.joinGroup(joinRequest(g, { memberId: joins[0]!.memberId })));
    await tick();
    expect(r0.done).toBe(false);
    c.leaveGroup(g, [{ memberId: joins[1]!.memberId, groupInstanceId: null }]);
    await tick();
    expect(r0.value).toMatchObject({ errorCode: 0, generationId: 2 });
  });

  it('unknown group, unknown member, empty group id, and a pending member id', async () => {
    const c = await coordinator();
    const g = newGroup();
    expect(c.leaveGroup(g, [{ memberId: 'x', groupInstanceId: null }]).members[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    await stableGroup(c, g, 1);
    expect(c.leaveGroup(g, [{ memberId: 'x', groupInstanceId: null }])).toMatchObject({ errorCode: 0, members: [{ errorCode: ErrorCode.UNKNOWN_MEMBER_ID }] });
    expect(c.leaveGroup('', [{ memberId: 'x', groupInstanceId: null }]).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    const pending = await c.joinGroup(joinRequest(g, { requireKnownMemberId: true }));
    expect(c.leaveGroup(g, [{ memberId: pending.memberId, groupInstanceId: null }]).members[0]!.errorCode).toBe(0);
    expect((await c.joinGroup(joinRequest(g, { memberId: pending.memberId }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.groupState(g)).toBe('Stable');
  });

  it('a parked JoinGroup of a member removed by LeaveGroup is answered UNKNOWN_MEMBER_ID', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2);
    const r0 = track(c.joinGroup(joinRequest(g, { memberId: joins[0]!.memberId })));
    c.leaveGroup(g, [{ memberId: joins[0]!.memberId, groupInstanceId: null }]);
    await tick();
    expect(r0.value).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
  });
});

describe('static membership (KIP-345)', () => {
  const staticOver = (i: number) => ({ groupInstanceId: `instance-${i}`, requireKnownMemberId: false });

  it('a static member joins without MEMBER_ID_REQUIRED and its id starts with its instance id', async () => {
    const c = await coordinator();
    const g = newGroup();
    const r = track(c.joinGroup(joinRequest(g, { groupInstanceId: 'inst', requireKnownMemberId: false })));
    await tick();
    expect(r.value.errorCode).toBe(0);
    expect(r.value.memberId).toMatch(/^inst-/);
    expect(r.value.members[0]!.groupInstanceId).toBe('inst');
  });

  it('a restarted static member (new member id, same protocols) replaces the old one in a stable group without a rebalance; the old id is fenced', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2, staticOver);
    const follower = joins[1]!;
    const rejoin = await c.joinGroup(joinRequest(g, { groupInstanceId: 'instance-1' }));
    expect(rejoin).toMatchObject({ errorCode: 0, generationId: 1, leader: joins[0]!.memberId, skipAssignment: false, members: [] });
    expect(rejoin.memberId).not.toBe(follower.memberId);
    expect(c.groupState(g)).toBe('Stable');
    expect(c.heartbeat({ groupId: g, generationId: 1, memberId: follower.memberId, groupInstanceId: 'instance-1' })).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(c.heartbeat({ groupId: g, generationId: 1, memberId: rejoin.memberId, groupInstanceId: 'instance-1' })).toBe(0);
    // It keeps the old member's assignment.
    expect((await c.syncGroup(syncRequest(g, rejoin, [], { groupInstanceId: 'instance-1' }))).assignment).toEqual(Buffer.from('a1'));
    expect((await c.syncGroup(syncRequest(g, follower, [], { groupInstanceId: 'instance-1' }))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await c.joinGroup(joinRequest(g, { memberId: follower.memberId, groupInstanceId: 'instance-1' }))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it('a restarted static leader is told the old leader id before v9, and to skip the assignment from v9', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2, staticOver);
    const old = await c.joinGroup(joinRequest(g, { groupInstanceId: 'instance-0' }));
    expect(old).toMatchObject({ errorCode: 0, leader: joins[0]!.memberId, skipAssignment: false, members: [] });
    const v9 = await c.joinGroup(joinRequest(g, { groupInstanceId: 'instance-0', supportSkippingAssignment: true }));
    expect(v9).toMatchObject({ errorCode: 0, leader: v9.memberId, skipAssignment: true });
    expect(v9.members.map((m) => m.groupInstanceId)).toEqual(['instance-0', 'instance-1']);
    expect(c.groupState(g)).toBe('Stable');
  });

  it('a restarted static member with changed protocols makes the group rebalance', async () => {
    const c = await coordinator();
    const g = newGroup();
    await stableGroup(c, g, 2, staticOver);
    const rejoin = track(c.joinGroup(joinRequest(g, { groupInstanceId: 'instance-1', protocols: [{ name: 'range', metadata: subscription(['t', 'new']) }] })));
    expect(c.groupState(g)).toBe('PreparingRebalance');
    await tick();
    expect(rejoin.done).toBe(false);
  });

  it("a static rejoin in CompletingRebalance restarts the rebalance; the replaced instance's parked SyncGroup is fenced", async () => {
    const c = await coordinator();
    const g = newGroup();
    const joins = [0, 1].map((i) => track(c.joinGroup(joinRequest(g, staticOver(i)))));
    await tick();
    const oldSync = track(c.syncGroup(syncRequest(g, joins[1]!.value, [], { groupInstanceId: 'instance-1' })));
    const rejoin = track(c.joinGroup(joinRequest(g, { groupInstanceId: 'instance-1' })));
    await tick();
    expect(oldSync.value.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(c.groupState(g)).toBe('PreparingRebalance');
    const leaderRejoin = track(c.joinGroup(joinRequest(g, { memberId: joins[0]!.value.memberId, groupInstanceId: 'instance-0' })));
    await tick();
    expect([leaderRejoin.value.generationId, rejoin.value.generationId]).toEqual([2, 2]);
  });

  it('a static rejoin during PreparingRebalance fences the parked JoinGroup of the old instance', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2, staticOver);
    const oldJoin = track(
      c.joinGroup(
        joinRequest(g, { memberId: joins[1]!.memberId, groupInstanceId: 'instance-1', protocols: [{ name: 'range', metadata: subscription(['z']) }] }),
      ),
    );
    const rejoin = track(c.joinGroup(joinRequest(g, { groupInstanceId: 'instance-1', protocols: [{ name: 'range', metadata: subscription(['z']) }] })));
    await tick();
    expect(oldJoin.value.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(rejoin.done).toBe(false);
  });

  it('a static member that does not rejoin keeps its place through the rebalance until its session expires', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2, (i) => ({ ...staticOver(i), sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 20_000 }));
    const r0 = track(
      c.joinGroup(
        joinRequest(g, {
          memberId: joins[0]!.memberId,
          groupInstanceId: 'instance-0',
          sessionTimeoutMs: 60_000,
          rebalanceTimeoutMs: 20_000,
          protocols: [{ name: 'range', metadata: subscription(['t', 'q']) }],
        }),
      ),
    );
    await tick(19_990);
    expect(r0.done).toBe(false); // waiting for instance-1
    await tick(10);
    expect(r0.value).toMatchObject({ errorCode: 0, generationId: 2 });
    expect(r0.value.members.map((m) => m.groupInstanceId)).toEqual(['instance-0', 'instance-1']);
    await c.syncGroup(syncRequest(g, r0.value, [], { groupInstanceId: 'instance-0' }));
    // instance-1 is silent: removed once its 60 s session is over (counted from the end of the join phase).
    for (let t = 0; t < 60_000; t += 5000) {
      c.heartbeat({ groupId: g, generationId: 2, memberId: joins[0]!.memberId, groupInstanceId: 'instance-0' });
      await tick(5000);
    }
    expect(c.describeGroup(g).members.map((m) => m.groupInstanceId)).toEqual(['instance-0']);
  });

  it('validation: an unknown instance id is UNKNOWN_MEMBER_ID, a member id of another instance FENCED_INSTANCE_ID', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 2, staticOver);
    expect(c.heartbeat({ groupId: g, generationId: 1, memberId: joins[0]!.memberId, groupInstanceId: 'nope' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.heartbeat({ groupId: g, generationId: 1, memberId: joins[0]!.memberId, groupInstanceId: 'instance-1' })).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await c.joinGroup(joinRequest(g, { memberId: joins[0]!.memberId, groupInstanceId: 'nope' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.leaveGroup(g, [{ memberId: joins[0]!.memberId, groupInstanceId: 'instance-1' }]).members[0]!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it('LeaveGroup by group.instance.id alone removes the static member', async () => {
    const c = await coordinator();
    const g = newGroup();
    await stableGroup(c, g, 2, staticOver);
    expect(
      c
        .leaveGroup(g, [
          { memberId: '', groupInstanceId: 'instance-1' },
          { memberId: '', groupInstanceId: 'nobody' },
        ])
        .members.map((m) => m.errorCode),
    ).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(c.groupState(g)).toBe('PreparingRebalance');
    expect(c.describeGroup(g).members.map((m) => m.groupInstanceId)).toEqual(['instance-0']);
  });

  it('if the new member id cannot be stored, the old one is kept and the rejoin fails', async () => {
    const c = await coordinator();
    const g = newGroup();
    const { joins } = await stableGroup(c, g, 1, staticOver);
    suite.storage.failAppendsWith = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const rejoin = await c.joinGroup(joinRequest(g, { groupInstanceId: 'instance-0' }));
    expect(rejoin).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, memberId: '' });
    suite.storage.failAppendsWith = null;
    expect(c.heartbeat({ groupId: g, generationId: 1, memberId: joins[0]!.memberId, groupInstanceId: 'instance-0' })).toBe(0);
  });
});

describe('coordinator lifecycle', () => {
  it('creates __consumer_offsets on the first FindCoordinator with offsets.topic.num.partitions partitions', async () => {
    const c = await coordinator();
    expect(suite.broker.hasPartition(OFFSETS_TOPIC, 2)).toBe(true);
    expect(suite.broker.hasPartition(OFFSETS_TOPIC, 3)).toBe(false);
    expect((await suite.broker.metadata(null, false)).topics.find((t) => t.name === OFFSETS_TOPIC)?.isInternal).toBe(true);
    expect(c.partitionFor('any')).toBeGreaterThanOrEqual(0);
  });

  it('shutdown answers parked JoinGroup and SyncGroup with NOT_COORDINATOR, clears every timer, and refuses what follows', async () => {
    const c = await coordinator();
    const g1 = newGroup();
    const g2 = newGroup();
    await stableGroup(c, g1, 1);
    const parkedJoin = track(c.joinGroup(joinRequest(g1))); // g1 rebalances: parked
    const j = [track(c.joinGroup(joinRequest(g2))), track(c.joinGroup(joinRequest(g2)))];
    await tick();
    const parkedSync = track(c.syncGroup(syncRequest(g2, j[1]!.value)));
    c.shutdown();
    await tick();
    expect(parkedJoin.value.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(parkedSync.value.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(testClock().pendingTimers).toBe(0);
    expect((await c.joinGroup(joinRequest(g1))).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(c.listGroups().errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(await c.findCoordinator()).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});
