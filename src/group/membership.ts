/**
 * Group membership (Kafka's GroupCoordinator handleJoinGroup / handleSyncGroup /
 * handleHeartbeat / handleLeaveGroup for the classic protocol): who may join, what each request
 * answers in each state, and which requests start a rebalance. The phases and deadlines that
 * follow are rebalance.ts's; the state itself is group.ts's.
 *
 *   Empty ──join──▶ PreparingRebalance ──all joined / rebalance timeout──▶ CompletingRebalance
 *     ▲                  ▲    (JoinGroup answers: the leader gets every member's metadata)   │
 *     │                  │                                              leader's SyncGroup │
 *     └──last member─────┴──join / leave / session expiry / metadata change◀── Stable ◀────┘
 *
 * - A JoinGroup or SyncGroup is parked (its promise pending) until the phase completes.
 * - JoinGroup v4+ without a group.instance.id gets MEMBER_ID_REQUIRED and an id to rejoin with
 *   (KIP-394).
 * - Static members (group.instance.id, KIP-345): a rejoin under a new member id takes the old
 *   id's place; a stale instance is answered FENCED_INSTANCE_ID. In Stable, such a rejoin with
 *   unchanged protocols does not rebalance (the group metadata is rewritten with the new id).
 *
 * The caller (coordinator.ts) has checked the group id and that this node coordinates groups.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { GroupCoordinatorConfig } from './config.js';
import { Group, Member, type GroupProtocol, type JoinGroupResult, type SyncGroupResult } from './group.js';
import type { OffsetsTopicStore } from './offsets-topic-store.js';
import { joinError, NEW_MEMBER_JOIN_TIMEOUT_MS, syncError, type Rebalancer } from './rebalance.js';
import type { HeartbeatRequest, JoinGroupRequest, LeaveGroupResult, LeavingMember, SyncGroupRequest } from './requests.js';

const EMPTY = Buffer.alloc(0);

/**
 * Kafka's validateCurrentMember: with a group.instance.id, it must be known and mapped to
 * `memberId` (else UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID); without, `memberId` must be a member.
 */
export function validateCurrentMember(group: Group, memberId: string, groupInstanceId: string | null): number | null {
  if (groupInstanceId !== null) {
    const current = group.staticMemberId(groupInstanceId);
    if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    return null;
  }
  return group.has(memberId) ? null : ErrorCode.UNKNOWN_MEMBER_ID;
}

export class GroupMembership {
  constructor(
    private readonly groups: Map<string, Group>,
    private readonly store: OffsetsTopicStore,
    private readonly rebalancer: Rebalancer,
    private readonly config: GroupCoordinatorConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  // ------------------------------------------------------------------ JoinGroup

  joinGroup(r: JoinGroupRequest): Promise<JoinGroupResult> {
    if (r.sessionTimeoutMs < this.config.minSessionTimeoutMs || r.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(r.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isUnknownMember = r.memberId === '';
    let group = this.groups.get(r.groupId);
    if (group === undefined) {
      // Only a new member creates a group; a known member id for a group we do not have is stale.
      if (!isUnknownMember) return Promise.resolve(joinError(r.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = new Group(r.groupId, 'Empty', this.clock.now());
      this.groups.set(r.groupId, group);
    }
    const g = group;
    return new Promise<JoinGroupResult>((resolve) => {
      if (!this.acceptJoiningMember(g, r.memberId)) {
        const member = g.get(r.memberId);
        if (member !== undefined) this.rebalancer.removeMember(g, member);
        resolve(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
      } else if (isUnknownMember) {
        this.doNewMemberJoin(g, r, resolve);
      } else {
        this.doCurrentMemberJoin(g, r, resolve);
      }
      if (g.is('PreparingRebalance')) this.rebalancer.maybeCompleteJoin(g);
    });
  }

  /**
   * group.max.size: new members are accepted while there is room; during a join phase the
   * members already rejoined count, so the last ones to rejoin an oversized group are shed.
   */
  private acceptJoiningMember(group: Group, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (group.get(memberId)?.awaitingJoin ?? null) !== null || group.numAwaitingJoin < this.config.maxSize;
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.size < this.config.maxSize;
    }
  }

  private doNewMemberJoin(group: Group, r: JoinGroupRequest, resolve: (result: JoinGroupResult) => void): void {
    if (group.is('Dead')) {
      // Removed meanwhile (deleted, expired): the client looks the coordinator up again and rejoins.
      resolve(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(r.protocolType, r.protocols)) {
      resolve(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    const newMemberId = `${r.groupInstanceId ?? r.clientId}-${randomUUID()}`;
    if (r.groupInstanceId !== null) {
      const existing = group.staticMemberId(r.groupInstanceId);
      if (existing === undefined) this.addMemberAndRebalance(group, r, newMemberId, resolve);
      else this.updateStaticMemberAndRebalance(group, r, existing, newMemberId, resolve);
    } else if (r.requireKnownMemberId) {
      this.rebalancer.addPendingMember(group, newMemberId, r.sessionTimeoutMs);
      resolve(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberAndRebalance(group, r, newMemberId, resolve);
    }
  }

  private doCurrentMemberJoin(group: Group, r: JoinGroupRequest, resolve: (result: JoinGroupResult) => void): void {
    if (group.is('Dead')) {
      resolve(joinError(r.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(r.protocolType, r.protocols)) {
      resolve(joinError(r.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    if (group.pendingMembers.has(r.memberId)) {
      // The id we handed out with MEMBER_ID_REQUIRED: the member joins for real now. Static
      // members never get one, so a group.instance.id here is a client bug.
      if (r.groupInstanceId !== null) {
        resolve(joinError(r.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
      }
      group.pendingMembers.get(r.memberId)!.cancel();
      this.addMemberAndRebalance(group, r, r.memberId, resolve);
      return;
    }
    const memberError = validateCurrentMember(group, r.memberId, r.groupInstanceId);
    if (memberError !== null) {
      resolve(joinError(r.memberId, memberError));
      return;
    }
    const member = group.get(r.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(group, member, r, resolve);
        return;
      case 'CompletingRebalance':
        if (member.matches(r.protocols)) {
          // The member missed our JoinGroup answer: answer it again for this generation.
          resolve(this.rebalancer.joinResult(group, member, group.isLeader(member.memberId)));
        } else {
          this.updateMemberAndRebalance(group, member, r, resolve);
        }
        return;
      case 'Stable':
        if (group.isLeader(member.memberId) || !member.matches(r.protocols)) {
          // A changed subscription, or the leader asking for a new assignment (it watches
          // topic metadata the coordinator does not see).
          this.updateMemberAndRebalance(group, member, r, resolve);
        } else {
          resolve(this.rebalancer.joinResult(group, member, false));
        }
        return;
      case 'Empty':
      case 'Dead':
        resolve(joinError(r.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
    }
  }

  private addMemberAndRebalance(group: Group, r: JoinGroupRequest, memberId: string, resolve: (result: JoinGroupResult) => void): void {
    const member = new Member({
      memberId,
      groupInstanceId: r.groupInstanceId,
      clientId: r.clientId,
      clientHost: r.clientHost,
      protocolType: r.protocolType,
      rebalanceTimeoutMs: r.rebalanceTimeoutMs,
      sessionTimeoutMs: r.sessionTimeoutMs,
      protocols: r.protocols,
    });
    member.isNew = true;
    // A member arriving during the initial delay may extend it.
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    group.add(member, resolve);
    // Its session cannot be checked before it has a generation to heartbeat in; a client that
    // gave up on its JoinGroup would otherwise stay a member forever.
    this.rebalancer.scheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.rebalancer.maybePrepareRebalance(
      group,
      `adding new member ${memberId} with group instance id ${r.groupInstanceId ?? 'null'}${r.reason ? `; client reason: ${r.reason}` : ''}`,
    );
  }

  private updateMember(
    group: Group,
    member: Member,
    r: { protocols: GroupProtocol[]; rebalanceTimeoutMs: number; sessionTimeoutMs: number },
    resolve: ((result: JoinGroupResult) => void) | null,
  ): void {
    member.protocols = r.protocols;
    member.rebalanceTimeoutMs = r.rebalanceTimeoutMs;
    member.sessionTimeoutMs = r.sessionTimeoutMs;
    // A JoinGroup still parked for this member is superseded: answer it so its connection is
    // not blocked behind it (the client gave up on it and sent this one).
    const superseded = member.awaitingJoin;
    member.awaitingJoin = resolve;
    if (superseded !== null && superseded !== resolve) superseded(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  }

  private updateMemberAndRebalance(group: Group, member: Member, r: JoinGroupRequest, resolve: (result: JoinGroupResult) => void): void {
    this.updateMember(group, member, r, resolve);
    this.rebalancer.maybePrepareRebalance(group, `updating metadata for member ${member.memberId}${r.reason ? `; client reason: ${r.reason}` : ''}`);
  }

  /** A known static member rejoined with an unknown member id (it restarted). */
  private updateStaticMemberAndRebalance(
    group: Group,
    r: JoinGroupRequest,
    oldMemberId: string,
    newMemberId: string,
    resolve: (result: JoinGroupResult) => void,
  ): void {
    const currentLeader = group.leaderId ?? '';
    const old = group.get(oldMemberId)!;
    const unchanged = old.matches(r.protocols);
    const previous = { protocols: old.protocols, rebalanceTimeoutMs: old.rebalanceTimeoutMs, sessionTimeoutMs: old.sessionTimeoutMs };
    // A request still parked for the old instance is answered: that instance is fenced.
    this.fence(old);
    const member = group.replaceStaticMember(r.groupInstanceId!, oldMemberId, newMemberId);
    this.updateMember(group, member, r, resolve);
    this.rebalancer.scheduleHeartbeat(group, member);
    this.logger.info(
      { group: group.groupId, groupInstanceId: r.groupInstanceId, oldMemberId, newMemberId, state: group.state },
      'static member rejoined with a new member id',
    );
    switch (group.state) {
      case 'Stable': {
        if (!unchanged) {
          this.rebalancer.maybePrepareRebalance(group, `static member ${newMemberId} with instance id ${r.groupInstanceId} rejoined with changed protocols`);
          return;
        }
        const error = this.store.storeGroup(group, null, this.clock.now());
        if (error !== ErrorCode.NONE) {
          // The new id is not durable: put the old one back and let the client retry.
          member.awaitingJoin = null;
          member.protocols = previous.protocols;
          member.rebalanceTimeoutMs = previous.rebalanceTimeoutMs;
          member.sessionTimeoutMs = previous.sessionTimeoutMs;
          const restored = group.replaceStaticMember(r.groupInstanceId!, newMemberId, oldMemberId);
          this.rebalancer.scheduleHeartbeat(group, restored);
          resolve({
            ...joinError('', error),
            generationId: group.generationId,
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            leader: currentLeader,
          });
          return;
        }
        member.awaitingJoin = null;
        if (r.supportSkippingAssignment) {
          // KIP-814: a static leader learns it leads, but skips the assignment: the group is
          // stable and would not distribute a new one.
          const isLeader = group.isLeader(newMemberId);
          resolve({ ...this.rebalancer.joinResult(group, member, isLeader), skipAssignment: isLeader });
        } else {
          // Older clients are told the old leader id, so a rejoining leader does not run an
          // assignment a stable group would ignore.
          resolve({ ...this.rebalancer.joinResult(group, member, false), leader: currentLeader });
        }
        return;
      }
      case 'CompletingRebalance':
        // The leader may be assigning to the old member id: start over.
        this.rebalancer.prepareRebalance(group, `static member ${newMemberId} with instance id ${r.groupInstanceId} rejoined during CompletingRebalance`);
        return;
      case 'PreparingRebalance':
        return; // answered when the join phase completes
      case 'Empty':
      case 'Dead':
        throw new Error(`group ${group.groupId} in state ${group.state} has static member ${r.groupInstanceId}`);
    }
  }

  /** Answers a replaced static member's parked requests with FENCED_INSTANCE_ID. */
  private fence(member: Member): void {
    const join = member.awaitingJoin;
    const sync = member.awaitingSync;
    member.awaitingJoin = null;
    member.awaitingSync = null;
    join?.(joinError(member.memberId, ErrorCode.FENCED_INSTANCE_ID));
    sync?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
  }

  // ------------------------------------------------------------------ SyncGroup

  syncGroup(r: SyncGroupRequest): Promise<SyncGroupResult> {
    const group = this.groups.get(r.groupId);
    if (group === undefined) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const validation = this.validateSyncGroup(group, r);
    if (validation !== null) return Promise.resolve(syncError(validation));
    switch (group.state) {
      case 'Empty':
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable': {
        this.rebalancer.removePendingSyncMember(group, r.memberId);
        const member = group.get(r.memberId)!;
        this.rebalancer.scheduleHeartbeat(group, member);
        return Promise.resolve({
          errorCode: ErrorCode.NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: member.assignment,
        });
      }
      case 'CompletingRebalance':
        return new Promise<SyncGroupResult>((resolve) => {
          const member = group.get(r.memberId)!;
          const superseded = member.awaitingSync;
          member.awaitingSync = resolve;
          superseded?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
          this.rebalancer.removePendingSyncMember(group, r.memberId);
          if (group.isLeader(r.memberId)) this.completeSync(group, r);
        });
      case 'Dead':
        return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private validateSyncGroup(group: Group, r: SyncGroupRequest): number | null {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const memberError = validateCurrentMember(group, r.memberId, r.groupInstanceId);
    if (memberError !== null) return memberError;
    if (r.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (r.protocolType !== null && r.protocolType !== group.protocolType) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    if (r.protocolName !== null && r.protocolName !== group.protocolName) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    return null;
  }

  /** The leader's assignment: stored, then handed to every member; the group is Stable. */
  private completeSync(group: Group, r: SyncGroupRequest): void {
    const assignment = new Map<string, Buffer>();
    for (const a of r.assignments) assignment.set(a.memberId, a.assignment);
    const missing = [...group.members.keys()].filter((id) => !assignment.has(id));
    if (missing.length > 0)
      this.logger.warn(
        { group: group.groupId, generationId: group.generationId, members: missing },
        'the leader assigned nothing to some members; they get an empty assignment',
      );
    this.logger.info({ group: group.groupId, generationId: group.generationId }, 'assignment received from the leader');
    const error = this.store.storeGroup(group, assignment, this.clock.now());
    if (error !== ErrorCode.NONE) {
      this.rebalancer.resetAndPropagateAssignmentError(group, error);
      this.rebalancer.maybePrepareRebalance(group, `error ${error} storing the group assignment`);
      return;
    }
    for (const member of group.members.values()) member.assignment = assignment.get(member.memberId) ?? EMPTY;
    this.rebalancer.propagateAssignment(group, ErrorCode.NONE);
    group.transitionTo('Stable', this.clock.now());
  }

  // ------------------------------------------------------------------ Heartbeat

  heartbeat(r: HeartbeatRequest): number {
    const group = this.groups.get(r.groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const memberError = validateCurrentMember(group, r.memberId, r.groupInstanceId);
    if (memberError !== null) return memberError;
    if (r.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = group.get(r.memberId)!;
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'CompletingRebalance':
        // Clients may heartbeat between their JoinGroup answer and their SyncGroup.
        this.rebalancer.scheduleHeartbeat(group, member);
        return ErrorCode.NONE;
      case 'PreparingRebalance':
        this.rebalancer.scheduleHeartbeat(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case 'Stable':
        this.rebalancer.scheduleHeartbeat(group, member);
        return ErrorCode.NONE;
      case 'Dead':
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  // ------------------------------------------------------------------ LeaveGroup

  leaveGroup(groupId: string, leaving: LeavingMember[]): LeaveGroupResult {
    const result = (m: LeavingMember, errorCode: number): LeaveGroupResult['members'][number] => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      errorCode,
    });
    const group = this.groups.get(groupId);
    if (group === undefined) return { errorCode: ErrorCode.NONE, members: leaving.map((m) => result(m, ErrorCode.UNKNOWN_MEMBER_ID)) };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = leaving.map((m) => {
      const reason = `removing member ${m.memberId || m.groupInstanceId} on LeaveGroup${m.reason ? `; client reason: ${m.reason}` : ''}`;
      if (m.memberId === '') {
        // Administrative removal of a static member by its group.instance.id alone.
        const current = group.staticMemberId(m.groupInstanceId);
        if (current === undefined) return result(m, ErrorCode.UNKNOWN_MEMBER_ID);
        this.rebalancer.removeMemberAndUpdateGroup(group, group.get(current)!, reason);
        return result(m, ErrorCode.NONE);
      }
      const pending = group.pendingMembers.get(m.memberId);
      if (pending !== undefined) {
        pending.cancel();
        group.pendingMembers.delete(m.memberId);
        if (group.is('PreparingRebalance')) this.rebalancer.maybeCompleteJoin(group);
        return result(m, ErrorCode.NONE);
      }
      const memberError = validateCurrentMember(group, m.memberId, m.groupInstanceId);
      if (memberError !== null) return result(m, memberError);
      this.logger.info({ group: groupId, memberId: m.memberId, groupInstanceId: m.groupInstanceId }, 'member left the group');
      this.rebalancer.removeMemberAndUpdateGroup(group, group.get(m.memberId)!, reason);
      return result(m, ErrorCode.NONE);
    });
    return { errorCode: ErrorCode.NONE, members };
  }
}
