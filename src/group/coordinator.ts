/**
 * GroupCoordinator: consumer groups with the classic protocol (JoinGroup / SyncGroup /
 * Heartbeat / LeaveGroup) and committed offsets, Kafka's state machine and error codes
 * (GroupCoordinator.scala as of Kafka 3.x). On a single node this broker coordinates every
 * group; group state and offsets are records in the internal topic `__consumer_offsets`
 * (offsets-topic-records.ts), created on first use and replayed at start.
 *
 * A rebalance, in short:
 *
 *   Empty ──join──▶ PreparingRebalance ──all joined / rebalance timeout──▶ CompletingRebalance
 *     ▲                  ▲    (JoinGroup answers: the leader gets every member's metadata)   │
 *     │                  │                                              leader's SyncGroup │
 *     └──last member─────┴──join / leave / session expiry / metadata change◀── Stable ◀────┘
 *
 * - A JoinGroup or SyncGroup is parked (its promise pending) until the phase completes; a
 *   member parked this way is kept alive without heartbeats, as in Kafka.
 * - The first rebalance of an empty group waits `group.initial.rebalance.delay.ms`, extended
 *   while members keep arriving, up to the rebalance timeout.
 * - Dynamic members that do not rejoin within the rebalance timeout are removed; members that
 *   do not send SyncGroup within it are removed too, and the group rebalances again.
 * - A member that sends no heartbeat within its session timeout is removed (a new member that
 *   never completes its first join, after NEW_MEMBER_JOIN_TIMEOUT_MS).
 * - JoinGroup v4+ without a group.instance.id gets MEMBER_ID_REQUIRED and an id to rejoin with
 *   (KIP-394); that id is forgotten after the session timeout if it does not come back.
 * - Static members (group.instance.id, KIP-345): a rejoin under a new member id takes the old
 *   id's place; a stale instance is answered FENCED_INSTANCE_ID. In Stable, such a rejoin with
 *   unchanged protocols does not rebalance (the group metadata is rewritten with the new id).
 *
 * Every state change is synchronous: appends to `__consumer_offsets` are synchronous (the
 * record is in the log when `appendInternal` returns), so no request interleaves with another
 * mid-transition. Timers are unref'd and cleared by `shutdown()`.
 *
 * Not implemented: transactional offset commits (TxnOffsetCommit; OffsetFetch requireStable has
 * nothing to wait for), the KIP-848 consumer protocol, and compaction of `__consumer_offsets`
 * (there is no log cleaner yet: the topic keeps every record, and retention is off for it so
 * that committed offsets of a quiet group are never lost).
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Record as LogRecord, RecordInput } from '../records/index.js';
import type { GroupCoordinatorConfig } from './config.js';
import { Group, Member, type CommittedOffset, type GroupProtocol, type GroupState, type JoinGroupResult, type SyncGroupResult } from './group.js';
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type GroupMetadataValue,
} from './offsets-topic-records.js';
import { partitionForGroup } from './partition-for.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** Kafka's GroupCoordinator.NewMemberJoinTimeoutMs: how long a new member's first JoinGroup may stay parked. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

/** Bytes read per call while loading `__consumer_offsets` at start. */
const LOAD_CHUNK_BYTES = 4 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** What the coordinator needs from the broker (the Broker class provides it). */
export interface CoordinatorStorage {
  topicId(name: string): string | undefined;
  ensureInternalTopic(name: string, partitionCount: number, configs: Record<string, string>): Promise<{ topicId: string; partitionCount: number }>;
  appendInternal(topic: string, partition: number, records: RecordInput[], nowMs?: number): { errorCode: number; errorMessage: string | null };
  readInternal(topic: string, partition: number, offset: bigint, maxBytes: number): { records: LogRecord[]; nextOffset: bigint };
  logEndOffset(topic: string, partition: number): bigint;
  hasPartition(topic: string, partition: number): boolean;
  onTopicDeleted(listener: (topic: string) => void): void;
}

export interface JoinGroupRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  /** JoinGroup v4+ without a group.instance.id (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+ (KIP-814). */
  supportSkippingAssignment: boolean;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  reason?: string | null;
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** Checked against the group's when given (SyncGroup v5+). */
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
  reason?: string | null;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface OffsetCommitRequest {
  groupId: string;
  /** -1 for commits outside group management (standalone consumers). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-v4; -1 = the broker's retention. */
  retentionTimeMs: number;
  topics: {
    name: string;
    partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null; commitTimestamp: bigint }[];
  }[];
}

export interface TopicPartitionErrors {
  name: string;
  partitions: { partitionIndex: number; errorCode: number }[];
}

export interface FetchedOffsetsTopic {
  name: string;
  partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; metadata: string; errorCode: number }[];
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
}

function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, memberId, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, members: [] };
}

function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

function timer(ms: number, fn: () => void): NodeJS.Timeout {
  const t = setTimeout(fn, Math.max(0, ms));
  t.unref();
  return t;
}

/** Kafka's mapping of append errors when storing group metadata. */
function storeGroupError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return errorCode;
  }
}

/** Kafka's mapping of append errors when storing offsets. */
function storeOffsetsError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return storeGroupError(errorCode);
  }
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly storage: CoordinatorStorage;
  private readonly config: GroupCoordinatorConfig;
  private readonly logger: Logger;
  /** Partitions of __consumer_offsets, or null until the topic exists. */
  private partitionCount: number | null = null;
  private creating: Promise<void> | null = null;
  private expirationTimer: NodeJS.Timeout | null = null;
  private active = true;

  private constructor(storage: CoordinatorStorage, config: GroupCoordinatorConfig, logger: Logger) {
    this.storage = storage;
    this.config = config;
    this.logger = logger.child({ component: 'group-coordinator' });
  }

  /**
   * Loads the groups and offsets stored in `__consumer_offsets` (when it exists) and starts
   * the periodic offset expiration.
   */
  static async open(storage: CoordinatorStorage, config: GroupCoordinatorConfig, logger: Logger): Promise<GroupCoordinator> {
    const coordinator = new GroupCoordinator(storage, config, logger);
    if (storage.topicId(OFFSETS_TOPIC) !== undefined) {
      const { partitionCount } = await storage.ensureInternalTopic(OFFSETS_TOPIC, config.offsetsTopicNumPartitions, coordinator.offsetsTopicConfigs());
      coordinator.setPartitionCount(partitionCount);
      coordinator.load();
    }
    storage.onTopicDeleted((topic) => coordinator.onTopicDeleted(topic));
    coordinator.expirationTimer = setInterval(() => coordinator.expireOffsets(), config.offsetsRetentionCheckIntervalMs);
    coordinator.expirationTimer.unref();
    return coordinator;
  }

  /**
   * cleanup.policy=compact as Kafka's; retention off because there is no log cleaner yet: with
   * time retention a quiet group's offsets would be deleted with its old segments.
   */
  private offsetsTopicConfigs(): Record<string, string> {
    return {
      'cleanup.policy': 'compact',
      'segment.bytes': String(this.config.offsetsTopicSegmentBytes),
      'compression.type': 'producer',
      'retention.ms': '-1',
    };
  }

  private setPartitionCount(partitionCount: number): void {
    if (partitionCount !== this.config.offsetsTopicNumPartitions) {
      this.logger.warn({ partitionCount, configured: this.config.offsetsTopicNumPartitions }, `${OFFSETS_TOPIC} exists with a different partition count than offsets.topic.num.partitions; keeping the existing one`);
    }
    this.partitionCount = partitionCount;
  }

  /** The partition of `__consumer_offsets` that holds `groupId` (null before the topic exists). */
  partitionFor(groupId: string): number | null {
    return this.partitionCount === null ? null : partitionForGroup(groupId, this.partitionCount);
  }

  /**
   * FindCoordinator for a group: creates `__consumer_offsets` on first use (as Kafka does) and
   * answers NONE when this node can coordinate, else the error code.
   */
  async findCoordinator(): Promise<number> {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.partitionCount !== null) return ErrorCode.NONE;
    this.creating ??= this.storage
      .ensureInternalTopic(OFFSETS_TOPIC, this.config.offsetsTopicNumPartitions, this.offsetsTopicConfigs())
      .then(({ partitionCount }) => this.setPartitionCount(partitionCount))
      .finally(() => {
        this.creating = null;
      });
    try {
      await this.creating;
    } catch (err) {
      this.logger.error({ err }, `creating ${OFFSETS_TOPIC} failed`);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    return this.active ? ErrorCode.NONE : ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }

  /**
   * Kafka's validateGroupStatus. JoinGroup, SyncGroup, Heartbeat, LeaveGroup and OffsetDelete
   * need a non-empty group id; OffsetCommit, OffsetFetch, DescribeGroups and DeleteGroups accept
   * "" (old consumers committed offsets without a group).
   */
  private groupStatusError(groupId: string, allowEmptyId: boolean): number | null {
    if (!allowEmptyId && groupId.length === 0) return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // Before __consumer_offsets exists this node coordinates nothing yet: the client's
    // FindCoordinator creates it.
    if (this.partitionCount === null) return ErrorCode.NOT_COORDINATOR;
    return null;
  }

  // ------------------------------------------------------------------ JoinGroup

  joinGroup(r: JoinGroupRequest): Promise<JoinGroupResult> {
    const statusError = this.groupStatusError(r.groupId, false);
    if (statusError !== null) return Promise.resolve(joinError(r.memberId, statusError));
    if (r.sessionTimeoutMs < this.config.minSessionTimeoutMs || r.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(r.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isUnknownMember = r.memberId === '';
    let group = this.groups.get(r.groupId);
    if (group === undefined) {
      // Only a new member creates a group; a known member id for a group we do not have is stale.
      if (!isUnknownMember) return Promise.resolve(joinError(r.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = new Group(r.groupId, 'Empty', Date.now());
      this.groups.set(r.groupId, group);
    }
    const g = group;
    return new Promise<JoinGroupResult>((resolve) => {
      if (!this.acceptJoiningMember(g, r.memberId)) {
        const member = g.get(r.memberId);
        if (member !== undefined) this.removeMember(g, member);
        resolve(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
      } else if (isUnknownMember) {
        this.doNewMemberJoin(g, r, resolve);
      } else {
        this.doCurrentMemberJoin(g, r, resolve);
      }
      if (g.is('PreparingRebalance')) this.maybeCompleteJoin(g);
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
      group.pendingMembers.set(
        newMemberId,
        timer(r.sessionTimeoutMs, () => this.onPendingMemberExpired(group, newMemberId)),
      );
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
      clearTimeout(group.pendingMembers.get(r.memberId)!);
      this.addMemberAndRebalance(group, r, r.memberId, resolve);
      return;
    }
    const memberError = this.validateCurrentMember(group, r.memberId, r.groupInstanceId);
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
          resolve(this.joinResult(group, member, group.isLeader(member.memberId)));
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
          resolve(this.joinResult(group, member, false));
        }
        return;
      case 'Empty':
      case 'Dead':
        resolve(joinError(r.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
    }
  }

  private joinResult(group: Group, member: Member, withMembers: boolean): JoinGroupResult {
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
    this.scheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalance(group, `adding new member ${memberId} with group instance id ${r.groupInstanceId ?? 'null'}${r.reason ? `; client reason: ${r.reason}` : ''}`);
  }

  private updateMember(group: Group, member: Member, r: { protocols: GroupProtocol[]; rebalanceTimeoutMs: number; sessionTimeoutMs: number }, resolve: ((result: JoinGroupResult) => void) | null): void {
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
    this.maybePrepareRebalance(group, `updating metadata for member ${member.memberId}${r.reason ? `; client reason: ${r.reason}` : ''}`);
  }

  /** A known static member rejoined with an unknown member id (it restarted). */
  private updateStaticMemberAndRebalance(group: Group, r: JoinGroupRequest, oldMemberId: string, newMemberId: string, resolve: (result: JoinGroupResult) => void): void {
    const currentLeader = group.leaderId ?? '';
    const old = group.get(oldMemberId)!;
    const unchanged = old.matches(r.protocols);
    const previous = { protocols: old.protocols, rebalanceTimeoutMs: old.rebalanceTimeoutMs, sessionTimeoutMs: old.sessionTimeoutMs };
    // A request still parked for the old instance is answered: that instance is fenced.
    this.fence(old);
    const member = group.replaceStaticMember(r.groupInstanceId!, oldMemberId, newMemberId);
    this.updateMember(group, member, r, resolve);
    this.scheduleHeartbeat(group, member);
    this.logger.info({ group: group.groupId, groupInstanceId: r.groupInstanceId, oldMemberId, newMemberId, state: group.state }, 'static member rejoined with a new member id');
    switch (group.state) {
      case 'Stable': {
        if (!unchanged) {
          this.maybePrepareRebalance(group, `static member ${newMemberId} with instance id ${r.groupInstanceId} rejoined with changed protocols`);
          return;
        }
        const error = this.storeGroup(group, null);
        if (error !== ErrorCode.NONE) {
          // The new id is not durable: put the old one back and let the client retry.
          member.awaitingJoin = null;
          member.protocols = previous.protocols;
          member.rebalanceTimeoutMs = previous.rebalanceTimeoutMs;
          member.sessionTimeoutMs = previous.sessionTimeoutMs;
          const restored = group.replaceStaticMember(r.groupInstanceId!, newMemberId, oldMemberId);
          this.scheduleHeartbeat(group, restored);
          resolve({ ...joinError('', error), generationId: group.generationId, protocolType: group.protocolType, protocolName: group.protocolName, leader: currentLeader });
          return;
        }
        member.awaitingJoin = null;
        if (r.supportSkippingAssignment) {
          // KIP-814: a static leader learns it leads, but skips the assignment: the group is
          // stable and would not distribute a new one.
          const isLeader = group.isLeader(newMemberId);
          resolve({ ...this.joinResult(group, member, isLeader), skipAssignment: isLeader });
        } else {
          // Older clients are told the old leader id, so a rejoining leader does not run an
          // assignment a stable group would ignore.
          resolve({ ...this.joinResult(group, member, false), leader: currentLeader });
        }
        return;
      }
      case 'CompletingRebalance':
        // The leader may be assigning to the old member id: start over.
        this.prepareRebalance(group, `static member ${newMemberId} with instance id ${r.groupInstanceId} rejoined during CompletingRebalance`);
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

  /**
   * Kafka's validateCurrentMember: with a group.instance.id, it must be known and mapped to
   * `memberId` (else UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID); without, `memberId` must be a member.
   */
  private validateCurrentMember(group: Group, memberId: string, groupInstanceId: string | null): number | null {
    if (groupInstanceId !== null) {
      const current = group.staticMemberId(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
      return null;
    }
    return group.has(memberId) ? null : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  // ------------------------------------------------------------------ rebalance phases

  private maybePrepareRebalance(group: Group, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
  }

  private prepareRebalance(group: Group, reason: string): void {
    // Members waiting for an assignment of the old generation must rejoin instead.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.clearSyncDeadline(group);
    if (group.joinTimer !== null) clearTimeout(group.joinTimer);
    const initial = group.is('Empty');
    group.transitionTo('PreparingRebalance', Date.now());
    this.logger.info({ group: group.groupId, generationId: group.generationId, partition: this.partitionFor(group.groupId), reason }, 'preparing to rebalance group');
    if (initial) {
      const delay = this.config.initialRebalanceDelayMs;
      this.scheduleInitialJoin(group, delay, Math.max(group.rebalanceTimeoutMs - delay, 0));
    } else {
      group.inInitialDelay = false;
      group.joinTimer = timer(group.rebalanceTimeoutMs, () => this.completeJoin(group));
      this.maybeCompleteJoin(group);
    }
  }

  /**
   * group.initial.rebalance.delay.ms: the first join phase of an empty group waits this long,
   * and again (up to the rebalance timeout) whenever a member arrived meanwhile.
   */
  private scheduleInitialJoin(group: Group, delayMs: number, remainingMs: number): void {
    group.inInitialDelay = true;
    group.joinTimer = timer(delayMs, () => {
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
  private maybeCompleteJoin(group: Group): void {
    if (group.is('PreparingRebalance') && !group.inInitialDelay && group.hasAllMembersJoined) this.completeJoin(group);
  }

  /** The join phase ends: stragglers are removed, a new generation starts, JoinGroups are answered. */
  private completeJoin(group: Group): void {
    if (!group.is('PreparingRebalance')) return;
    if (group.joinTimer !== null) clearTimeout(group.joinTimer);
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
      group.joinTimer = timer(group.rebalanceTimeoutMs, () => this.completeJoin(group));
      return;
    }
    const nowMs = Date.now();
    group.initNextGeneration(nowMs);
    if (group.is('Empty')) {
      this.logger.info({ group: group.groupId, generationId: group.generationId }, 'group is now empty');
      const error = this.storeGroup(group, null);
      if (error !== ErrorCode.NONE) this.logger.warn({ group: group.groupId, errorCode: error }, 'failed to write the metadata of the empty group');
      return;
    }
    this.logger.info({ group: group.groupId, generationId: group.generationId, protocol: group.protocolName, members: group.size, leader: group.leaderId }, 'group stabilized');
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
  private scheduleSyncDeadline(group: Group): void {
    this.clearSyncDeadline(group);
    for (const id of group.members.keys()) group.pendingSyncMembers.add(id);
    const generationId = group.generationId;
    group.syncTimer = timer(group.rebalanceTimeoutMs, () => {
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

  private clearSyncDeadline(group: Group): void {
    if (group.syncTimer !== null) clearTimeout(group.syncTimer);
    group.syncTimer = null;
    group.pendingSyncMembers.clear();
  }

  private removePendingSyncMember(group: Group, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0 && group.syncTimer !== null) {
      clearTimeout(group.syncTimer);
      group.syncTimer = null;
    }
  }

  private resetAndPropagateAssignmentError(group: Group, errorCode: number): void {
    for (const member of group.members.values()) member.assignment = EMPTY;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: Group, errorCode: number): void {
    for (const member of group.members.values()) {
      const callback = member.awaitingSync;
      if (callback === null) continue;
      member.awaitingSync = null;
      callback({ errorCode, protocolType: group.protocolType, protocolName: group.protocolName, assignment: errorCode === ErrorCode.NONE ? member.assignment : EMPTY });
      // Its session restarts now: it could not heartbeat while its SyncGroup was parked.
      this.scheduleHeartbeat(group, member);
    }
  }

  // ------------------------------------------------------------------ sessions

  private scheduleHeartbeat(group: Group, member: Member, timeoutMs = member.sessionTimeoutMs): void {
    if (member.heartbeatTimer !== null) clearTimeout(member.heartbeatTimer);
    member.heartbeatTimer = timer(timeoutMs, () => {
      member.heartbeatTimer = null;
      if (group.get(member.memberId) !== member || group.is('Dead')) return;
      // A parked JoinGroup / SyncGroup keeps an established member alive; a new member's first
      // join has its own (long) deadline.
      if (!member.isNew && (member.awaitingJoin !== null || member.awaitingSync !== null)) return;
      this.logger.info({ group: group.groupId, memberId: member.memberId, sessionTimeoutMs: member.sessionTimeoutMs }, 'member session expired; removing it from the group');
      this.removeMemberAndUpdateGroup(group, member, `removing member ${member.memberId} on heartbeat expiration`);
    });
  }

  private onPendingMemberExpired(group: Group, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.logger.info({ group: group.groupId, memberId }, 'pending member did not rejoin within its session timeout');
    if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group);
  }

  /** Removes a member without rebalancing (the caller does what follows). */
  private dropMember(group: Group, member: Member): void {
    group.remove(member.memberId);
  }

  /** Removes a member; its parked requests are answered UNKNOWN_MEMBER_ID; the group rebalances. */
  private removeMemberAndUpdateGroup(group: Group, member: Member, reason: string): void {
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

  private removeMember(group: Group, member: Member): void {
    const join = member.awaitingJoin;
    const sync = member.awaitingSync;
    member.awaitingJoin = null;
    member.awaitingSync = null;
    join?.(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    sync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
  }

  // ------------------------------------------------------------------ SyncGroup

  syncGroup(r: SyncGroupRequest): Promise<SyncGroupResult> {
    const statusError = this.groupStatusError(r.groupId, false);
    if (statusError !== null) return Promise.resolve(syncError(statusError));
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
        this.removePendingSyncMember(group, r.memberId);
        const member = group.get(r.memberId)!;
        this.scheduleHeartbeat(group, member);
        return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      }
      case 'CompletingRebalance':
        return new Promise<SyncGroupResult>((resolve) => {
          const member = group.get(r.memberId)!;
          const superseded = member.awaitingSync;
          member.awaitingSync = resolve;
          superseded?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
          this.removePendingSyncMember(group, r.memberId);
          if (group.isLeader(r.memberId)) this.completeSync(group, r);
        });
      case 'Dead':
        return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private validateSyncGroup(group: Group, r: SyncGroupRequest): number | null {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const memberError = this.validateCurrentMember(group, r.memberId, r.groupInstanceId);
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
    if (missing.length > 0) this.logger.warn({ group: group.groupId, generationId: group.generationId, members: missing }, 'the leader assigned nothing to some members; they get an empty assignment');
    this.logger.info({ group: group.groupId, generationId: group.generationId }, 'assignment received from the leader');
    const error = this.storeGroup(group, assignment);
    if (error !== ErrorCode.NONE) {
      this.resetAndPropagateAssignmentError(group, error);
      this.maybePrepareRebalance(group, `error ${error} storing the group assignment`);
      return;
    }
    for (const member of group.members.values()) member.assignment = assignment.get(member.memberId) ?? EMPTY;
    this.propagateAssignment(group, ErrorCode.NONE);
    group.transitionTo('Stable', Date.now());
  }

  // ------------------------------------------------------------------ Heartbeat

  heartbeat(r: HeartbeatRequest): number {
    const statusError = this.groupStatusError(r.groupId, false);
    if (statusError !== null) return statusError;
    const group = this.groups.get(r.groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const memberError = this.validateCurrentMember(group, r.memberId, r.groupInstanceId);
    if (memberError !== null) return memberError;
    if (r.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = group.get(r.memberId)!;
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'CompletingRebalance':
        // Clients may heartbeat between their JoinGroup answer and their SyncGroup.
        this.scheduleHeartbeat(group, member);
        return ErrorCode.NONE;
      case 'PreparingRebalance':
        this.scheduleHeartbeat(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case 'Stable':
        this.scheduleHeartbeat(group, member);
        return ErrorCode.NONE;
      case 'Dead':
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  // ------------------------------------------------------------------ LeaveGroup

  leaveGroup(groupId: string, leaving: LeavingMember[]): LeaveGroupResult {
    const statusError = this.groupStatusError(groupId, false);
    if (statusError !== null) return { errorCode: statusError, members: [] };
    const result = (m: LeavingMember, errorCode: number): LeaveGroupResult['members'][number] => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    const group = this.groups.get(groupId);
    if (group === undefined) return { errorCode: ErrorCode.NONE, members: leaving.map((m) => result(m, ErrorCode.UNKNOWN_MEMBER_ID)) };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = leaving.map((m) => {
      const reason = `removing member ${m.memberId || m.groupInstanceId} on LeaveGroup${m.reason ? `; client reason: ${m.reason}` : ''}`;
      if (m.memberId === '') {
        // Administrative removal of a static member by its group.instance.id alone.
        const current = group.staticMemberId(m.groupInstanceId);
        if (current === undefined) return result(m, ErrorCode.UNKNOWN_MEMBER_ID);
        this.removeMemberAndUpdateGroup(group, group.get(current)!, reason);
        return result(m, ErrorCode.NONE);
      }
      const pending = group.pendingMembers.get(m.memberId);
      if (pending !== undefined) {
        clearTimeout(pending);
        group.pendingMembers.delete(m.memberId);
        if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group);
        return result(m, ErrorCode.NONE);
      }
      const memberError = this.validateCurrentMember(group, m.memberId, m.groupInstanceId);
      if (memberError !== null) return result(m, memberError);
      this.logger.info({ group: groupId, memberId: m.memberId, groupInstanceId: m.groupInstanceId }, 'member left the group');
      this.removeMemberAndUpdateGroup(group, group.get(m.memberId)!, reason);
      return result(m, ErrorCode.NONE);
    });
    return { errorCode: ErrorCode.NONE, members };
  }

  // ------------------------------------------------------------------ OffsetCommit

  commitOffsets(r: OffsetCommitRequest): TopicPartitionErrors[] {
    const nowMs = Date.now();
    const errors = new Map<string, Map<number, number>>();
    const setError = (topic: string, partition: number, errorCode: number): void => {
      let m = errors.get(topic);
      if (m === undefined) errors.set(topic, (m = new Map()));
      m.set(partition, errorCode);
    };
    const answer = (): TopicPartitionErrors[] =>
      r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors.get(t.name)?.get(p.partitionIndex) ?? ErrorCode.NONE })) }));

    // Partitions the broker does not have are refused before the group is looked at.
    const candidates: { topic: string; partition: OffsetCommitRequest['topics'][number]['partitions'][number] }[] = [];
    for (const t of r.topics) {
      for (const p of t.partitions) {
        if (!this.storage.hasPartition(t.name, p.partitionIndex)) setError(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        else candidates.push({ topic: t.name, partition: p });
      }
    }
    if (candidates.length === 0) return answer();
    const failAll = (errorCode: number): TopicPartitionErrors[] => {
      for (const c of candidates) setError(c.topic, c.partition.partitionIndex, errorCode);
      return answer();
    };

    const statusError = this.groupStatusError(r.groupId, true);
    if (statusError !== null) return failAll(statusError);
    let group = this.groups.get(r.groupId);
    if (group === undefined) {
      // Without group management (generation -1) a commit creates the group; a generation
      // for a group we do not know is from a generation long gone.
      if (r.generationId >= 0) return failAll(ErrorCode.ILLEGAL_GENERATION);
      group = new Group(r.groupId, 'Empty', nowMs);
      this.groups.set(r.groupId, group);
    }
    const validation = this.validateOffsetCommit(group, r);
    if (validation !== null) return failAll(validation);
    switch (group.state) {
      case 'CompletingRebalance':
        // The member has its new generation but not its assignment yet.
        return failAll(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
      case 'PreparingRebalance': {
        // Commits go on during a rebalance; the heartbeat answer tells the member to rejoin.
        const member = group.get(r.memberId);
        if (member !== undefined) this.scheduleHeartbeat(group, member);
        break;
      }
      case 'Empty':
        break;
      case 'Dead':
        return failAll(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }

    const records: RecordInput[] = [];
    const accepted: [string, number, CommittedOffset][] = [];
    for (const { topic, partition: p } of candidates) {
      const metadata = p.committedMetadata ?? '';
      if (metadata.length > this.config.offsetMetadataMaxBytes) {
        setError(topic, p.partitionIndex, ErrorCode.OFFSET_METADATA_TOO_LARGE);
        continue;
      }
      const commitTimestamp = p.commitTimestamp < 0n ? nowMs : Number(p.commitTimestamp);
      const value: CommittedOffset = {
        offset: p.committedOffset,
        leaderEpoch: p.committedLeaderEpoch,
        metadata,
        commitTimestamp,
        expireTimestamp: r.retentionTimeMs >= 0 ? commitTimestamp + r.retentionTimeMs : null,
      };
      records.push({ key: encodeOffsetCommitKey(r.groupId, topic, p.partitionIndex), value: encodeOffsetCommitValue(value), timestamp: nowMs });
      accepted.push([topic, p.partitionIndex, value]);
    }
    if (records.length === 0) return answer();
    const appended = this.append(r.groupId, records, nowMs);
    if (appended !== ErrorCode.NONE) {
      const mapped = storeOffsetsError(appended);
      for (const [topic, partition] of accepted) setError(topic, partition, mapped);
      return answer();
    }
    for (const [topic, partition, value] of accepted) group.setOffset(topic, partition, value);
    return answer();
  }

  private validateOffsetCommit(group: Group, r: OffsetCommitRequest): number | null {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (r.generationId >= 0 || r.memberId !== '' || r.groupInstanceId !== null) {
      const memberError = this.validateCurrentMember(group, r.memberId, r.groupInstanceId);
      if (memberError !== null) return memberError;
      if (r.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
      return null;
    }
    // Outside group management only while nobody is a member: members' commits are checked.
    return group.is('Empty') ? null : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  // ------------------------------------------------------------------ OffsetFetch

  /**
   * Committed offsets of `groupId` for `topics` (null: every partition with one). A partition
   * without a committed offset answers offset -1 and NONE, whatever the group's state (the group
   * may use Kafka for offsets only). With nothing transactional here, requireStable has nothing
   * to wait for.
   */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): { errorCode: number; topics: FetchedOffsetsTopic[] } {
    const statusError = this.groupStatusError(groupId, true);
    if (statusError !== null) return { errorCode: statusError, topics: [] };
    const group = this.groups.get(groupId);
    const entry = (topic: string, partition: number): FetchedOffsetsTopic['partitions'][number] => {
      const o = group?.offset(topic, partition);
      return o === undefined
        ? { partitionIndex: partition, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }
        : { partitionIndex: partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE };
    };
    if (topics === null) {
      if (group === undefined) return { errorCode: ErrorCode.NONE, topics: [] };
      return {
        errorCode: ErrorCode.NONE,
        topics: [...group.offsets].map(([name, partitions]) => ({ name, partitions: [...partitions.keys()].map((p) => entry(name, p)) })),
      };
    }
    return { errorCode: ErrorCode.NONE, topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => entry(t.name, p)) })) };
  }

  // ------------------------------------------------------------------ ListGroups / DescribeGroups

  /** Every group, optionally only those in `statesFilter` (case-insensitive, as Kafka 4 compares). */
  listGroups(statesFilter: string[] = []): { errorCode: number; groups: ListedGroup[] } {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
    const groups: ListedGroup[] = [];
    for (const g of this.groups.values()) {
      if (g.is('Dead')) continue;
      if (wanted.size > 0 && !wanted.has(g.state.toLowerCase())) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state });
    }
    return { errorCode: ErrorCode.NONE, groups };
  }

  /**
   * A group's state and members; member metadata and assignments only when Stable (Kafka's
   * GroupSummary). An unknown group is described as Dead with no error.
   */
  describeGroup(groupId: string): DescribedGroup {
    const base = { groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    const statusError = this.groupStatusError(groupId, true);
    if (statusError !== null) return { ...base, errorCode: statusError, groupState: '' };
    const group = this.groups.get(groupId);
    if (group === undefined) return { ...base, errorCode: ErrorCode.NONE };
    const stable = group.is('Stable');
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(group.protocolName ?? '') : EMPTY,
        memberAssignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  /** The state of a group (Dead when unknown), for tests and tools. */
  groupState(groupId: string): GroupState {
    return this.groups.get(groupId)?.state ?? 'Dead';
  }

  // ------------------------------------------------------------------ DeleteGroups / OffsetDelete

  /** Deletes empty groups with their offsets (tombstones); NON_EMPTY_GROUP while members remain. */
  deleteGroups(groupIds: string[]): { groupId: string; errorCode: number }[] {
    return groupIds.map((groupId) => {
      const statusError = this.groupStatusError(groupId, true);
      if (statusError !== null) return { groupId, errorCode: statusError };
      const group = this.groups.get(groupId);
      if (group === undefined || group.is('Dead')) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
      if (!group.is('Empty')) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
      const nowMs = Date.now();
      const records: RecordInput[] = [...group.allOffsets()].map(([topic, partition]) => ({ key: encodeOffsetCommitKey(groupId, topic, partition), value: null, timestamp: nowMs }));
      records.push({ key: encodeGroupMetadataKey(groupId), value: null, timestamp: nowMs });
      const appended = this.append(groupId, records, nowMs);
      if (appended !== ErrorCode.NONE) return { groupId, errorCode: storeGroupError(appended) };
      this.killGroup(group);
      this.logger.info({ group: groupId, offsets: records.length - 1 }, 'deleted group');
      return { groupId, errorCode: ErrorCode.NONE };
    });
  }

  /**
   * OffsetDelete (KIP-496): committed offsets of an empty group, or of topics a consumer group
   * does not subscribe to (GROUP_SUBSCRIBED_TO_TOPIC for the others).
   */
  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): { errorCode: number; topics: TopicPartitionErrors[] } {
    const statusError = this.groupStatusError(groupId, false);
    if (statusError !== null) return { errorCode: statusError, topics: [] };
    const group = this.groups.get(groupId);
    if (group === undefined || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    let deletable: (topic: string) => boolean;
    if (group.is('Empty')) deletable = () => true;
    else if (group.isConsumerGroup) deletable = (topic) => !group.isSubscribedToTopic(topic);
    else return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };

    const nowMs = Date.now();
    const records: RecordInput[] = [];
    const removed: [string, number][] = [];
    const answer = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((partitionIndex) => {
        if (!this.storage.hasPartition(t.name, partitionIndex)) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        if (!deletable(t.name)) return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        if (group.offset(t.name, partitionIndex) !== undefined) {
          records.push({ key: encodeOffsetCommitKey(groupId, t.name, partitionIndex), value: null, timestamp: nowMs });
          removed.push([t.name, partitionIndex]);
        }
        return { partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    if (records.length > 0) {
      const appended = this.append(groupId, records, nowMs);
      if (appended !== ErrorCode.NONE) return { errorCode: storeGroupError(appended), topics: [] };
      for (const [topic, partition] of removed) group.removeOffset(topic, partition);
    }
    return { errorCode: ErrorCode.NONE, topics: answer };
  }

  // ------------------------------------------------------------------ expiration and cleanup

  /**
   * offsets.retention.minutes: removes expired offsets (tombstones) and groups left empty
   * without offsets. Runs every offsets.retention.check.interval.ms; public for tests.
   */
  expireOffsets(nowMs = Date.now()): number {
    if (!this.active) return 0;
    let removed = 0;
    for (const group of [...this.groups.values()]) {
      removed += this.cleanupGroup(group, group.expiredOffsets(nowMs, this.config.offsetsRetentionMs), nowMs);
    }
    if (removed > 0) this.logger.info({ offsets: removed }, 'removed expired offsets');
    return removed;
  }

  /** A topic was deleted: its committed offsets go too (a new topic of that name starts afresh). */
  private onTopicDeleted(topic: string): void {
    if (!this.active) return;
    const nowMs = Date.now();
    let removed = 0;
    for (const group of [...this.groups.values()]) {
      const partitions = group.offsets.get(topic);
      removed += this.cleanupGroup(group, partitions === undefined ? [] : [...partitions.keys()].map((p) => [topic, p] as [string, number]), nowMs);
    }
    if (removed > 0) this.logger.info({ topic, offsets: removed }, 'removed offsets of a deleted topic');
  }

  /** Kafka's cleanupGroupMetadata for one group: drop `offsets`; an empty group without offsets dies. */
  private cleanupGroup(group: Group, offsets: [string, number][], nowMs: number): number {
    for (const [topic, partition] of offsets) group.removeOffset(topic, partition);
    const dies = group.is('Empty') && !group.hasOffsets;
    if (offsets.length === 0 && !dies) return 0;
    const records: RecordInput[] = offsets.map(([topic, partition]) => ({ key: encodeOffsetCommitKey(group.groupId, topic, partition), value: null, timestamp: nowMs }));
    if (dies) {
      records.push({ key: encodeGroupMetadataKey(group.groupId), value: null, timestamp: nowMs });
      this.killGroup(group);
      this.logger.info({ group: group.groupId, generationId: group.generationId }, 'group is empty without offsets: removed');
    }
    const appended = this.append(group.groupId, records, nowMs);
    if (appended !== ErrorCode.NONE) this.logger.warn({ group: group.groupId, errorCode: appended }, 'failed to write tombstones; they reappear after a restart');
    return offsets.length;
  }

  private killGroup(group: Group): void {
    this.clearGroupTimers(group);
    group.transitionTo('Dead', Date.now());
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
  }

  // ------------------------------------------------------------------ persistence

  /** Appends records for `groupId` to its partition; the error code of the append. */
  private append(groupId: string, records: RecordInput[], nowMs: number): number {
    const partition = this.partitionFor(groupId);
    if (partition === null) return ErrorCode.NOT_COORDINATOR;
    try {
      return this.storage.appendInternal(OFFSETS_TOPIC, partition, records, nowMs).errorCode;
    } catch (err) {
      this.logger.error({ err, group: groupId }, `append to ${OFFSETS_TOPIC} failed`);
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }

  /**
   * Writes the group's metadata record: generation, protocol, leader and members with their
   * subscription and assignment (`assignment`, or each member's current one when null).
   * Returns the coordinator-facing error code.
   */
  private storeGroup(group: Group, assignment: Map<string, Buffer> | null): number {
    const protocol = group.protocolName ?? '';
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generationId: group.generationId,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      currentStateTimestamp: group.currentStateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.metadataFor(protocol),
        assignment: assignment === null ? m.assignment : (assignment.get(m.memberId) ?? EMPTY),
      })),
    };
    const nowMs = Date.now();
    let bytes: Buffer;
    try {
      bytes = encodeGroupMetadataValue(value);
    } catch (err) {
      this.logger.error({ err, group: group.groupId }, 'group metadata does not fit its record format');
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    const appended = this.append(group.groupId, [{ key: encodeGroupMetadataKey(group.groupId), value: bytes, timestamp: nowMs }], nowMs);
    return appended === ErrorCode.NONE ? ErrorCode.NONE : storeGroupError(appended);
  }

  /** Replays every partition of __consumer_offsets: last record per key wins, tombstones delete. */
  private load(): void {
    const started = performance.now();
    const offsets = new Map<string, Map<string, { topic: string; partition: number; value: CommittedOffset }>>();
    const metadata = new Map<string, GroupMetadataValue | null>();
    let records = 0;
    let skipped = 0;
    for (let p = 0; p < this.partitionCount!; p++) {
      const end = this.storage.logEndOffset(OFFSETS_TOPIC, p);
      let offset = 0n;
      while (offset < end) {
        const chunk = this.storage.readInternal(OFFSETS_TOPIC, p, offset, LOAD_CHUNK_BYTES);
        if (chunk.nextOffset <= offset) break;
        offset = chunk.nextOffset;
        for (const record of chunk.records) {
          records++;
          try {
            this.replay(record, offsets, metadata);
          } catch (err) {
            skipped++;
            this.logger.error({ err, partition: p, offset: record.offset }, `skipping an unreadable ${OFFSETS_TOPIC} record`);
          }
        }
      }
    }
    const nowMs = Date.now();
    const ids = new Set<string>([...offsets.keys()]);
    for (const [id, value] of metadata) if (value !== null) ids.add(id);
    for (const id of ids) {
      const value = metadata.get(id) ?? null;
      const group = new Group(id, value !== null && value.members.length > 0 ? 'Stable' : 'Empty', value !== null && value.currentStateTimestamp >= 0 ? value.currentStateTimestamp : nowMs);
      if (value !== null) this.restoreGroup(group, value);
      for (const { topic, partition, value: o } of offsets.get(id)?.values() ?? []) group.setOffset(topic, partition, o);
      this.groups.set(id, group);
      // Loaded members must heartbeat within their session timeout from now.
      for (const m of group.members.values()) this.scheduleHeartbeat(group, m);
    }
    this.logger.info({ groups: this.groups.size, records, skipped, ms: Math.round(performance.now() - started) }, `loaded ${OFFSETS_TOPIC}`);
  }

  private replay(record: LogRecord, offsets: Map<string, Map<string, { topic: string; partition: number; value: CommittedOffset }>>, metadata: Map<string, GroupMetadataValue | null>): void {
    if (record.key === null) throw new Error('record without a key');
    const key = decodeKey(record.key);
    if (key.type === 'offset') {
      let group = offsets.get(key.group);
      const id = `${key.partition}:${key.topic}`;
      if (record.value === null) {
        group?.delete(id);
        if (group?.size === 0) offsets.delete(key.group);
        return;
      }
      if (group === undefined) offsets.set(key.group, (group = new Map()));
      group.set(id, { topic: key.topic, partition: key.partition, value: decodeOffsetCommitValue(record.value) });
    } else {
      metadata.set(key.group, record.value === null ? null : decodeGroupMetadataValue(record.value));
    }
  }

  private restoreGroup(group: Group, value: GroupMetadataValue): void {
    group.generationId = value.generationId;
    group.protocolName = value.protocolName;
    for (const m of value.members) {
      const member = new Member({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        protocolType: value.protocolType,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        protocols: [{ name: value.protocolName ?? '', metadata: m.subscription }],
      });
      member.assignment = m.assignment;
      group.add(member, null);
    }
    // add() takes the protocol type and leader from the first member; the stored ones count.
    group.protocolType = value.protocolType.length > 0 ? value.protocolType : null;
    group.leaderId = value.members.length > 0 ? value.leaderId : null;
    if (group.leaderId !== null && !group.members.has(group.leaderId)) group.leaderId = group.members.keys().next().value ?? null;
    group.subscribedTopics = group.computeSubscribedTopics();
  }

  // ------------------------------------------------------------------ shutdown

  /**
   * Stops coordinating: parked JoinGroup / SyncGroup requests are answered NOT_COORDINATOR
   * (the client looks for the coordinator again, as when Kafka moves a group), every timer is
   * cleared, and further requests get COORDINATOR_NOT_AVAILABLE. Idempotent.
   */
  shutdown(): void {
    if (!this.active) return;
    this.active = false;
    if (this.expirationTimer !== null) clearInterval(this.expirationTimer);
    this.expirationTimer = null;
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) {
        const join = member.awaitingJoin;
        const sync = member.awaitingSync;
        member.awaitingJoin = null;
        member.awaitingSync = null;
        join?.(joinError(member.memberId, ErrorCode.NOT_COORDINATOR));
        sync?.(syncError(ErrorCode.NOT_COORDINATOR));
      }
      this.clearGroupTimers(group);
    }
  }

  private clearGroupTimers(group: Group): void {
    if (group.joinTimer !== null) clearTimeout(group.joinTimer);
    group.joinTimer = null;
    this.clearSyncDeadline(group);
    for (const t of group.pendingMembers.values()) clearTimeout(t);
    group.pendingMembers.clear();
    for (const m of group.members.values()) {
      if (m.heartbeatTimer !== null) clearTimeout(m.heartbeatTimer);
      m.heartbeatTimer = null;
    }
  }
}
