/**
 * The clock-driven half of group membership (Kafka's GroupCoordinator: prepareRebalance,
 * onCompleteJoin, the heartbeat and sync expirations): the phases of a rebalance and every
 * deadline of a group, on the injected clock.
 *
 * - The first rebalance of an empty group waits `group.initial.rebalance.delay.ms`, extended
 *   while members keep arriving, up to the rebalance timeout.
 * - Dynamic members that do not rejoin within the rebalance timeout are removed; members that
 *   do not send SyncGroup within it are removed too, and the group rebalances again.
 * - A member that sends no heartbeat within its session timeout is removed (a new member that
 *   never completes its first join, after NEW_MEMBER_JOIN_TIMEOUT_MS). A member parked in a
 *   JoinGroup or SyncGroup is kept alive without heartbeats, as in Kafka.
 * - A member id handed out with MEMBER_ID_REQUIRED (KIP-394) is forgotten after the session
 *   timeout if it does not come back.
 *
 * Every timer is cancelled by `clearGroupTimers` (a group dies, the coordinator shuts down).
 */
import type { Clock, Timer } from '../clock.js';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { GroupCoordinatorConfig } from './config.js';
import type { Group, JoinGroupResult, Member, SyncGroupResult } from './group.js';
import type { OffsetsTopicStore } from './offsets-topic-store.js';

/** Kafka's GroupCoordinator.NewMemberJoinTimeoutMs: how long a new member's first JoinGroup may stay parked. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

const EMPTY = Buffer.alloc(0);

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, memberId, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, members: [] };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

export class Rebalancer {
  constructor(
    private readonly groups: Map<string, Group>,
    private readonly store: OffsetsTopicStore,
    private readonly config: GroupCoordinatorConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  private timer(delayMs: number, callback: () => void): Timer {
    return this.clock.setTimeout(callback, delayMs);
  }

  /** A JoinGroup answer for `member` in the current generation (the member list for the leader). */
  joinResult(group: Group, member: Member, withMembers: boolean): JoinGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      memberId: member.memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      members: withMembers ? group.currentMemberMetadata() : [],
    };
  }

  // ------------------------------------------------------------------ rebalance phases

  maybePrepareRebalance(group: Group, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
  }

  prepareRebalance(group: Group, reason: string): void {
    // Members waiting for an assignment of the old generation must rejoin instead.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.clearSyncDeadline(group);
    group.joinTimer?.cancel();
    const initial = group.is('Empty');
    group.transitionTo('PreparingRebalance', this.clock.now());
    this.logger.info(
      { group: group.groupId, generationId: group.generationId, partition: this.store.partitionFor(group.groupId), reason },
      'preparing to rebalance group',
    );
    if (initial) {
      const delay = this.config.initialRebalanceDelayMs;
      this.scheduleInitialJoin(group, delay, Math.max(group.rebalanceTimeoutMs - delay, 0));
    } else {
      group.inInitialDelay = false;
      group.joinTimer = this.timer(group.rebalanceTimeoutMs, () => this.completeJoin(group));
      this.maybeCompleteJoin(group);
    }
  }

  /**
   * group.initial.rebalance.delay.ms: the first join phase of an empty group waits this long,
   * and again (up to the rebalance timeout) whenever a member arrived meanwhile.
   */
  private scheduleInitialJoin(group: Group, delayMs: number, remainingMs: number): void {
    group.inInitialDelay = true;
    group.joinTimer = this.timer(delayMs, () => {
      group.joinTimer = null;
      if (!group.is('PreparingRebalance')) return;
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false;
        const delay = Math.min(this.config.initialRebalanceDelayMs, remainingMs);
        this.scheduleInitialJoin(group, delay, Math.max(remainingMs - delay, 0));
      } else {
        this.completeJoin(group);
      }
    });
  }

  /** Completes the join phase early once every member has rejoined (not during the initial delay). */
  maybeCompleteJoin(group: Group): void {
    if (group.is('PreparingRebalance') && !group.inInitialDelay && group.hasAllMembersJoined) this.completeJoin(group);
  }

  /** The join phase ends: stragglers are removed, a new generation starts, JoinGroups are answered. */
  private completeJoin(group: Group): void {
    if (!group.is('PreparingRebalance')) return;
    group.joinTimer?.cancel();
    group.joinTimer = null;
    group.inInitialDelay = false;
    group.newMemberAdded = false;
    // Dynamic members that did not rejoin in time are gone; static members keep their place
    // until their session expires.
    for (const member of [...group.members.values()]) {
      if (member.awaitingJoin === null && !member.isStatic) {
        this.logger.info({ group: group.groupId, memberId: member.memberId }, 'removing member that did not rejoin within the rebalance timeout');
        this.dropMember(group, member);
      }
    }
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that have not rejoined: wait for them (or their session timeouts).
      this.logger.warn({ group: group.groupId }, 'no member rejoined; extending the join phase');
      group.joinTimer = this.timer(group.rebalanceTimeoutMs, () => this.completeJoin(group));
      return;
    }
    const nowMs = this.clock.now();
    group.initNextGeneration(nowMs);
    if (group.is('Empty')) {
      this.logger.info({ group: group.groupId, generationId: group.generationId }, 'group is now empty');
      const error = this.store.storeGroup(group, null, nowMs);
      if (error !== ErrorCode.NONE) this.logger.warn({ group: group.groupId, errorCode: error }, 'failed to write the metadata of the empty group');
      return;
    }
    this.logger.info(
      { group: group.groupId, generationId: group.generationId, protocol: group.protocolName, members: group.size, leader: group.leaderId },
      'group stabilized',
    );
    for (const member of group.members.values()) {
      const callback = member.awaitingJoin;
      member.awaitingJoin = null;
      callback?.(this.joinResult(group, member, group.isLeader(member.memberId)));
      this.scheduleHeartbeat(group, member);
      member.isNew = false;
    }
    this.scheduleSyncDeadline(group);
  }

  /** Every member must send SyncGroup within the rebalance timeout, or it is removed. */
  scheduleSyncDeadline(group: Group): void {
    this.clearSyncDeadline(group);
    for (const id of group.members.keys()) group.pendingSyncMembers.add(id);
    const generationId = group.generationId;
    group.syncTimer = this.timer(group.rebalanceTimeoutMs, () => {
      group.syncTimer = null;
      if (group.generationId !== generationId || !(group.is('CompletingRebalance') || group.is('Stable'))) return;
      if (group.pendingSyncMembers.size === 0) return;
      const missing = [...group.pendingSyncMembers];
      this.logger.info({ group: group.groupId, generationId, members: missing }, 'removing members that did not send SyncGroup within the rebalance timeout');
      for (const id of missing) {
        const member = group.get(id);
        if (member !== undefined) this.dropMember(group, member);
      }
      this.prepareRebalance(group, `members ${missing.join(', ')} did not sync in time`);
    });
  }

  clearSyncDeadline(group: Group): void {
    group.syncTimer?.cancel();
    group.syncTimer = null;
    group.pendingSyncMembers.clear();
  }

  removePendingSyncMember(group: Group, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0 && group.syncTimer !== null) {
      group.syncTimer.cancel();
      group.syncTimer = null;
    }
  }

  resetAndPropagateAssignmentError(group: Group, errorCode: number): void {
    for (const member of group.members.values()) member.assignment = EMPTY;
    this.propagateAssignment(group, errorCode);
  }

  propagateAssignment(group: Group, errorCode: number): void {
    for (const member of group.members.values()) {
      const callback = member.awaitingSync;
      if (callback === null) continue;
      member.awaitingSync = null;
      callback({
        errorCode,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: errorCode === ErrorCode.NONE ? member.assignment : EMPTY,
      });
      // Its session restarts now: it could not heartbeat while its SyncGroup was parked.
      this.scheduleHeartbeat(group, member);
    }
  }

  // ------------------------------------------------------------------ sessions

  scheduleHeartbeat(group: Group, member: Member, timeoutMs = member.sessionTimeoutMs): void {
    member.heartbeatTimer?.cancel();
    member.heartbeatTimer = this.timer(timeoutMs, () => {
      member.heartbeatTimer = null;
      if (group.get(member.memberId) !== member || group.is('Dead')) return;
      // A parked JoinGroup / SyncGroup keeps an established member alive; a new member's first
      // join has its own (long) deadline.
      if (!member.isNew && (member.awaitingJoin !== null || member.awaitingSync !== null)) return;
      this.logger.info(
        { group: group.groupId, memberId: member.memberId, sessionTimeoutMs: member.sessionTimeoutMs },
        'member session expired; removing it from the group',
      );
      this.removeMemberAndUpdateGroup(group, member, `removing member ${member.memberId} on heartbeat expiration`);
    });
  }

  /** A member id handed out with MEMBER_ID_REQUIRED, forgotten unless it joins within `sessionTimeoutMs`. */
  addPendingMember(group: Group, memberId: string, sessionTimeoutMs: number): void {
    group.pendingMembers.set(
      memberId,
      this.timer(sessionTimeoutMs, () => this.onPendingMemberExpired(group, memberId)),
    );
  }

  private onPendingMemberExpired(group: Group, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.logger.info({ group: group.groupId, memberId }, 'pending member did not rejoin within its session timeout');
    if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group);
  }

  /** Removes a member without rebalancing (the caller does what follows). */
  dropMember(group: Group, member: Member): void {
    group.remove(member.memberId);
  }

  /** Removes a member; its parked requests are answered UNKNOWN_MEMBER_ID; the group rebalances. */
  removeMemberAndUpdateGroup(group: Group, member: Member, reason: string): void {
    this.removeMember(group, member);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, reason);
        break;
      case 'PreparingRebalance':
        this.maybeCompleteJoin(group);
        break;
      case 'Empty':
      case 'Dead':
        break;
    }
  }

  removeMember(group: Group, member: Member): void {
    const join = member.awaitingJoin;
    const sync = member.awaitingSync;
    member.awaitingJoin = null;
    member.awaitingSync = null;
    join?.(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    sync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
  }

  /** The group is gone (deleted, expired): its timers stop and it leaves the registry. */
  killGroup(group: Group): void {
    this.clearGroupTimers(group);
    group.transitionTo('Dead', this.clock.now());
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
  }

  /** Answers every parked JoinGroup and SyncGroup of the group with `errorCode` (shutdown). */
  abortParked(group: Group, errorCode: number): void {
    for (const member of group.members.values()) {
      const join = member.awaitingJoin;
      const sync = member.awaitingSync;
      member.awaitingJoin = null;
      member.awaitingSync = null;
      join?.(joinError(member.memberId, errorCode));
      sync?.(syncError(errorCode));
    }
  }

  clearGroupTimers(group: Group): void {
    group.joinTimer?.cancel();
    group.joinTimer = null;
    this.clearSyncDeadline(group);
    for (const t of group.pendingMembers.values()) t.cancel();
    group.pendingMembers.clear();
    for (const m of group.members.values()) {
      m.heartbeatTimer?.cancel();
      m.heartbeatTimer = null;
    }
  }
}
