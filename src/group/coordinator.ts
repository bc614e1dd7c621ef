/**
 * GroupCoordinator: consumer groups with the classic protocol (JoinGroup / SyncGroup /
 * Heartbeat / LeaveGroup) and committed offsets, Kafka's state machine and error codes
 * (GroupCoordinator.scala as of Kafka 3.x). On a single node this broker coordinates every
 * group; group state and offsets are records in the internal topic `__consumer_offsets`,
 * created on first use and replayed at start.
 *
 * This class is the facade the server handlers and the in-process client call; it checks that
 * this node coordinates the group and hands the request to the module that owns it:
 *
 *   membership.ts           JoinGroup, SyncGroup, Heartbeat, LeaveGroup (who may join, what each answers)
 *   rebalance.ts            rebalance phases and every deadline: session, rebalance, sync, pending id
 *   offset-manager.ts       OffsetCommit / OffsetFetch / OffsetDelete, DeleteGroups, offset expiry
 *   txn-offset-manager.ts   TxnOffsetCommit, and its pending offsets completed by transaction markers
 *   offsets-topic-store.ts  the `__consumer_offsets` records: writes, tombstones, replay at start
 *   group.ts                one group's state, members and offsets (bookkeeping only)
 *
 * Time comes from the injected Clock (../clock.ts): tests drive it with a ManualClock.
 * Every state change is synchronous: appends to `__consumer_offsets` are synchronous (the
 * record is in the log when `appendInternal` returns), so no request interleaves with another
 * mid-transition. Every timer is cancelled by `shutdown()`.
 *
 * Not implemented: the KIP-848 consumer protocol, and compaction of `__consumer_offsets`
 * (there is no log cleaner yet: the topic keeps every record, and retention is off for it so
 * that committed offsets of a quiet group are never lost).
 */
import { SYSTEM_CLOCK, type Clock } from '../clock.js';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { GroupCoordinatorConfig } from './config.js';
import type { Group, GroupState, JoinGroupResult, SyncGroupResult } from './group.js';
import { GroupMembership } from './membership.js';
import { OffsetManager } from './offset-manager.js';
import { OFFSETS_TOPIC, OffsetsTopicStore, type CoordinatorStorage, type OffsetsTopicStats } from './offsets-topic-store.js';
import { joinError, Rebalancer, syncError } from './rebalance.js';
import { TxnOffsetManager, type TxnOffsetVerifier } from './txn-offset-manager.js';
import type {
  DescribedGroup,
  FetchedOffsetsTopic,
  HeartbeatRequest,
  JoinGroupRequest,
  LeaveGroupResult,
  LeavingMember,
  ListedGroup,
  OffsetCommitRequest,
  SyncGroupRequest,
  TopicPartitionErrors,
  TxnOffsetCommitRequest,
} from './requests.js';

export { OFFSETS_TOPIC, type CoordinatorStorage, type OffsetsTopicStats } from './offsets-topic-store.js';
export { NEW_MEMBER_JOIN_TIMEOUT_MS } from './rebalance.js';
export type { TxnOffsetVerifier } from './txn-offset-manager.js';
export type * from './requests.js';

const EMPTY = Buffer.alloc(0);

export interface GroupCoordinatorOptions {
  /** Where time comes from (SYSTEM_CLOCK by default; tests pass a ManualClock). */
  clock?: Clock;
}

/** What the coordinator has done since start, for tools and metrics. */
export interface GroupCoordinatorStats {
  /** Groups held (every state but Dead). */
  groups: number;
  offsetsTopic: OffsetsTopicStats;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly store: OffsetsTopicStore;
  private readonly rebalancer: Rebalancer;
  private readonly membership: GroupMembership;
  private readonly offsets: OffsetManager;
  private readonly txnOffsets: TxnOffsetManager;
  private active = true;

  private constructor(storage: CoordinatorStorage, config: GroupCoordinatorConfig, logger: Logger, clock: Clock) {
    this.logger = logger.child({ component: 'group-coordinator' });
    this.clock = clock;
    this.store = new OffsetsTopicStore(storage, config, this.logger);
    this.rebalancer = new Rebalancer(this.groups, this.store, config, clock, this.logger);
    this.membership = new GroupMembership(this.groups, this.store, this.rebalancer, config, clock, this.logger);
    this.offsets = new OffsetManager(this.groups, this.store, storage, this.rebalancer, config, clock, this.logger);
    this.txnOffsets = new TxnOffsetManager(this.groups, this.store, storage, config, clock, this.logger);
  }

  /**
   * Loads the groups and offsets stored in `__consumer_offsets` (when it exists) and starts
   * the periodic offset expiration.
   */
  static async open(
    storage: CoordinatorStorage,
    config: GroupCoordinatorConfig,
    logger: Logger,
    options: GroupCoordinatorOptions = {},
  ): Promise<GroupCoordinator> {
    const coordinator = new GroupCoordinator(storage, config, logger, options.clock ?? SYSTEM_CLOCK);
    if (await coordinator.store.openExisting()) coordinator.load();
    storage.onTopicDeleted((topic) => {
      if (coordinator.active) coordinator.offsets.onTopicDeleted(topic);
    });
    storage.onTxnMarkerWritten((e) => {
      if (coordinator.active && e.topic === OFFSETS_TOPIC) coordinator.txnOffsets.onTxnMarker(e.partition, e.producerId, e.committed);
    });
    coordinator.offsets.startExpiration();
    return coordinator;
  }

  private load(): void {
    const loaded = this.store.load(this.clock.now());
    for (const group of loaded) {
      this.groups.set(group.groupId, group);
      // Loaded members must heartbeat within their session timeout from now.
      for (const m of group.members.values()) this.rebalancer.scheduleHeartbeat(group, m);
    }
    this.txnOffsets.loaded(loaded);
  }

  /** The partition of `__consumer_offsets` that holds `groupId` (null before the topic exists). */
  partitionFor(groupId: string): number | null {
    return this.store.partitionFor(groupId);
  }

  /**
   * FindCoordinator for a group: creates `__consumer_offsets` on first use (as Kafka does) and
   * answers NONE when this node can coordinate, else the error code.
   */
  async findCoordinator(): Promise<number> {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    try {
      await this.store.ensureTopic();
    } catch (err) {
      this.logger.error({ err }, `creating ${OFFSETS_TOPIC} failed`);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    return this.active ? ErrorCode.NONE : ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }

  /**
   * Kafka's validateGroupStatus. JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetDelete and TxnOffsetCommit
   * need a non-empty group id; OffsetCommit, OffsetFetch, DescribeGroups and DeleteGroups accept
   * "" (old consumers committed offsets without a group).
   */
  private groupStatusError(groupId: string, allowEmptyId: boolean): number | null {
    if (!allowEmptyId && groupId.length === 0) return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // Before __consumer_offsets exists this node coordinates nothing yet: the client's
    // FindCoordinator creates it.
    if (!this.store.ready) return ErrorCode.NOT_COORDINATOR;
    return null;
  }

  // ------------------------------------------------------------------ membership

  joinGroup(r: JoinGroupRequest): Promise<JoinGroupResult> {
    const statusError = this.groupStatusError(r.groupId, false);
    if (statusError !== null) return Promise.resolve(joinError(r.memberId, statusError));
    return this.membership.joinGroup(r);
  }

  syncGroup(r: SyncGroupRequest): Promise<SyncGroupResult> {
    const statusError = this.groupStatusError(r.groupId, false);
    if (statusError !== null) return Promise.resolve(syncError(statusError));
    return this.membership.syncGroup(r);
  }

  heartbeat(r: HeartbeatRequest): number {
    return this.groupStatusError(r.groupId, false) ?? this.membership.heartbeat(r);
  }

  leaveGroup(groupId: string, leaving: LeavingMember[]): LeaveGroupResult {
    const statusError = this.groupStatusError(groupId, false);
    if (statusError !== null) return { errorCode: statusError, members: [] };
    return this.membership.leaveGroup(groupId, leaving);
  }

  // ------------------------------------------------------------------ offsets

  commitOffsets(r: OffsetCommitRequest): TopicPartitionErrors[] {
    return this.offsets.commitOffsets(r, this.groupStatusError(r.groupId, true));
  }

  /**
   * TxnOffsetCommit (KIP-98; member checks of v3+, KIP-447): the offsets are written in the
   * producer's transaction and become visible when its COMMIT marker reaches the group's
   * partition of `__consumer_offsets`; see TxnOffsetManager.
   */
  txnOffsetCommit(r: TxnOffsetCommitRequest): Promise<{ topics: TopicPartitionErrors[] }> {
    return this.txnOffsets.txnOffsetCommit(r, () => this.groupStatusError(r.groupId, false));
  }

  /**
   * KIP-890 part 1: TxnOffsetCommit first checks with `verifier` (the transaction coordinator)
   * that the group's partition of `__consumer_offsets` is in the producer's transaction; null
   * turns the check off.
   */
  setTransactionVerifier(verifier: TxnOffsetVerifier | null): void {
    this.txnOffsets.setVerifier(verifier);
  }

  /**
   * Committed offsets of `groupId` for `topics` (null: every partition with one); with
   * `requireStable`, UNSTABLE_OFFSET_COMMIT for partitions with pending transactional offsets.
   * See OffsetManager.fetchOffsets.
   */
  fetchOffsets(
    groupId: string,
    topics: { name: string; partitionIndexes: number[] }[] | null,
    requireStable = false,
  ): { errorCode: number; topics: FetchedOffsetsTopic[] } {
    const statusError = this.groupStatusError(groupId, true);
    if (statusError !== null) return { errorCode: statusError, topics: [] };
    return this.offsets.fetchOffsets(groupId, topics, requireStable);
  }

  /** Deletes empty groups with their offsets (tombstones); NON_EMPTY_GROUP while members remain. */
  deleteGroups(groupIds: string[]): { groupId: string; errorCode: number }[] {
    const statusError = this.groupStatusError('', true);
    if (statusError !== null) return groupIds.map((groupId) => ({ groupId, errorCode: statusError }));
    return this.offsets.deleteGroups(groupIds);
  }

  /** OffsetDelete (KIP-496); see OffsetManager.deleteOffsets. */
  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): { errorCode: number; topics: TopicPartitionErrors[] } {
    const statusError = this.groupStatusError(groupId, false);
    if (statusError !== null) return { errorCode: statusError, topics: [] };
    return this.offsets.deleteOffsets(groupId, topics);
  }

  /**
   * offsets.retention.minutes: removes expired offsets (tombstones) and groups left empty
   * without offsets. Runs every offsets.retention.check.interval.ms; public for tests.
   */
  expireOffsets(nowMs = this.clock.now()): number {
    return this.active ? this.offsets.expireOffsets(nowMs) : 0;
  }

  // ------------------------------------------------------------------ ListGroups / DescribeGroups / stats

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

  /** Counters for tools and metrics (a snapshot: later changes do not show in it). */
  stats(): GroupCoordinatorStats {
    return { groups: this.groups.size, offsetsTopic: { ...this.store.stats } };
  }

  // ------------------------------------------------------------------ shutdown

  /**
   * Stops coordinating: parked JoinGroup / SyncGroup requests are answered NOT_COORDINATOR
   * (the client looks for the coordinator again, as when Kafka moves a group), every timer is
   * cancelled, and further requests get COORDINATOR_NOT_AVAILABLE. Idempotent.
   */
  shutdown(): void {
    if (!this.active) return;
    this.active = false;
    this.offsets.stopExpiration();
    for (const group of this.groups.values()) {
      this.rebalancer.abortParked(group, ErrorCode.NOT_COORDINATOR);
      this.rebalancer.clearGroupTimers(group);
    }
  }
}
