/**
 * Committed offsets (the offset half of Kafka's GroupCoordinator and GroupMetadataManager):
 * OffsetCommit's checks, OffsetFetch, OffsetDelete (KIP-496), DeleteGroups, expiry under
 * `offsets.retention.minutes` (checked every `offsets.retention.check.interval.ms` on the
 * injected clock), and removal of the offsets of a deleted topic. Offsets live in each Group
 * (group.ts); they change in memory only after their records are in `__consumer_offsets`.
 *
 * Offsets of open transactions (TxnOffsetCommit, txn-offset-manager.ts) are pending in their
 * group: OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT for their partitions, and
 * deleting a group or its offsets drops them with a tombstone, as Kafka's coordinator does.
 *
 * The caller (coordinator.ts) has checked the group id and that this node coordinates groups.
 */
import type { Clock, Timer } from '../clock.js';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { GroupCoordinatorConfig } from './config.js';
import { Group } from './group.js';
import { validateCurrentMember } from './membership.js';
import { storeGroupError, type CoordinatorStorage, type OffsetsTopicStore } from './offsets-topic-store.js';
import type { Rebalancer } from './rebalance.js';
import type { OffsetCommitValue } from './offsets-topic-records.js';
import type { FetchedOffsetsTopic, OffsetCommitRequest, TopicPartitionErrors } from './requests.js';

/**
 * Kafka's validateOffsetCommit for OffsetCommit and TxnOffsetCommit: a member's commit must come
 * from a current member of the current generation; a commit outside group management
 * (generation -1, no member id) is accepted while nobody is a member, and always when
 * transactional (TxnOffsetCommit before v3 carries no member).
 */
export function validateOffsetCommit(
  group: Group,
  r: { generationId: number; memberId: string; groupInstanceId: string | null },
  isTransactional: boolean,
): number | null {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (r.generationId >= 0 || r.memberId !== '' || r.groupInstanceId !== null) {
    const memberError = validateCurrentMember(group, r.memberId, r.groupInstanceId);
    if (memberError !== null) return memberError;
    if (r.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return null;
  }
  return isTransactional || group.is('Empty') ? null : ErrorCode.UNKNOWN_MEMBER_ID;
}

export class OffsetManager {
  private expirationTimer: Timer | null = null;

  constructor(
    private readonly groups: Map<string, Group>,
    private readonly store: OffsetsTopicStore,
    private readonly storage: CoordinatorStorage,
    private readonly rebalancer: Rebalancer,
    private readonly config: GroupCoordinatorConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Starts the periodic expiry (every offsets.retention.check.interval.ms). */
  startExpiration(): void {
    this.expirationTimer = this.clock.setTimeout(() => {
      this.expireOffsets(this.clock.now());
      this.startExpiration();
    }, this.config.offsetsRetentionCheckIntervalMs);
  }

  stopExpiration(): void {
    this.expirationTimer?.cancel();
    this.expirationTimer = null;
  }

  // ------------------------------------------------------------------ OffsetCommit

  /**
   * OffsetCommit. `statusError` is the coordinator's verdict on the group id: it applies only
   * to partitions the broker has (the others are UNKNOWN_TOPIC_OR_PARTITION whatever it is).
   */
  commitOffsets(r: OffsetCommitRequest, statusError: number | null): TopicPartitionErrors[] {
    const nowMs = this.clock.now();
    const errors = new Map<string, Map<number, number>>();
    const setError = (topic: string, partition: number, errorCode: number): void => {
      let m = errors.get(topic);
      if (m === undefined) errors.set(topic, (m = new Map()));
      m.set(partition, errorCode);
    };
    const answer = (): TopicPartitionErrors[] =>
      r.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors.get(t.name)?.get(p.partitionIndex) ?? ErrorCode.NONE })),
      }));

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

    if (statusError !== null) return failAll(statusError);
    let group = this.groups.get(r.groupId);
    if (group === undefined) {
      // Without group management (generation -1) a commit creates the group; a generation
      // for a group we do not know is from a generation long gone.
      if (r.generationId >= 0) return failAll(ErrorCode.ILLEGAL_GENERATION);
      group = new Group(r.groupId, 'Empty', nowMs);
      this.groups.set(r.groupId, group);
    }
    const validation = validateOffsetCommit(group, r, false);
    if (validation !== null) return failAll(validation);
    switch (group.state) {
      case 'CompletingRebalance':
        // The member has its new generation but not its assignment yet.
        return failAll(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
      case 'PreparingRebalance': {
        // Commits go on during a rebalance; the heartbeat answer tells the member to rejoin.
        const member = group.get(r.memberId);
        if (member !== undefined) this.rebalancer.scheduleHeartbeat(group, member);
        break;
      }
      case 'Empty':
        break;
      case 'Dead':
        return failAll(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }

    const accepted: [string, number, OffsetCommitValue][] = [];
    for (const { topic, partition: p } of candidates) {
      const metadata = p.committedMetadata ?? '';
      if (metadata.length > this.config.offsetMetadataMaxBytes) {
        setError(topic, p.partitionIndex, ErrorCode.OFFSET_METADATA_TOO_LARGE);
        continue;
      }
      const commitTimestamp = p.commitTimestamp < 0n ? nowMs : Number(p.commitTimestamp);
      const value: OffsetCommitValue = {
        offset: p.committedOffset,
        leaderEpoch: p.committedLeaderEpoch,
        metadata,
        commitTimestamp,
        expireTimestamp: r.retentionTimeMs >= 0 ? commitTimestamp + r.retentionTimeMs : null,
      };
      accepted.push([topic, p.partitionIndex, value]);
    }
    if (accepted.length === 0) return answer();
    const stored = this.store.storeOffsets(r.groupId, accepted, nowMs);
    if (stored.errorCode !== ErrorCode.NONE) {
      for (const [topic, partition] of accepted) setError(topic, partition, stored.errorCode);
      return answer();
    }
    accepted.forEach(([topic, partition, value], i) => group.setOffset(topic, partition, { ...value, recordOffset: stored.baseOffset + BigInt(i) }));
    return answer();
  }

  // ------------------------------------------------------------------ OffsetFetch

  /**
   * Committed offsets of `groupId` for `topics` (null: every partition with one). A partition
   * without a committed offset answers offset -1 and NONE, whatever the group's state (the group
   * may use Kafka for offsets only). Offsets of open transactions are not shown; with
   * `requireStable` (OffsetFetch v7+, KIP-447) a partition that has one answers offset -1 and
   * UNSTABLE_OFFSET_COMMIT (retriable: the client asks again once the transaction ended).
   */
  fetchOffsets(
    groupId: string,
    topics: { name: string; partitionIndexes: number[] }[] | null,
    requireStable = false,
  ): { errorCode: number; topics: FetchedOffsetsTopic[] } {
    const group = this.groups.get(groupId);
    const entry = (topic: string, partition: number): FetchedOffsetsTopic['partitions'][number] => {
      if (requireStable && group?.pendingTxnOffsets.has(topic, partition) === true) {
        return { partitionIndex: partition, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
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

  // ------------------------------------------------------------------ DeleteGroups / OffsetDelete

  /**
   * Deletes empty groups with their offsets (tombstones); NON_EMPTY_GROUP while members remain.
   * Offsets of open transactions go too: a tombstone for each partition that has only a pending
   * one, so that the transaction's COMMIT cannot bring them back at replay (Kafka's
   * OffsetMetadataManager.deleteAllOffsets).
   */
  deleteGroups(groupIds: string[]): { groupId: string; errorCode: number }[] {
    return groupIds.map((groupId) => {
      const group = this.groups.get(groupId);
      if (group === undefined || group.is('Dead')) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
      if (!group.is('Empty')) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
      const nowMs = this.clock.now();
      const offsets = offsetsAndPending(group, () => true);
      const appended = this.store.writeTombstones(groupId, offsets, true, nowMs);
      if (appended !== ErrorCode.NONE) return { groupId, errorCode: storeGroupError(appended) };
      group.pendingTxnOffsets.clear();
      this.rebalancer.killGroup(group);
      this.logger.info({ group: groupId, offsets: offsets.length }, 'deleted group');
      return { groupId, errorCode: ErrorCode.NONE };
    });
  }

  /**
   * OffsetDelete (KIP-496): committed offsets of an empty group, or of topics a consumer group
   * does not subscribe to (GROUP_SUBSCRIBED_TO_TOPIC for the others). Pending transactional
   * offsets of those partitions go with them (the tombstone drops them, live and at replay).
   */
  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): { errorCode: number; topics: TopicPartitionErrors[] } {
    const group = this.groups.get(groupId);
    if (group === undefined || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    let deletable: (topic: string) => boolean;
    if (group.is('Empty')) deletable = () => true;
    else if (group.isConsumerGroup) deletable = (topic) => !group.isSubscribedToTopic(topic);
    else return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };

    const nowMs = this.clock.now();
    const removed: [string, number][] = [];
    const answer = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((partitionIndex) => {
        if (!this.storage.hasPartition(t.name, partitionIndex)) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        if (!deletable(t.name)) return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        if (group.offset(t.name, partitionIndex) !== undefined || group.pendingTxnOffsets.has(t.name, partitionIndex)) removed.push([t.name, partitionIndex]);
        return { partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    if (removed.length > 0) {
      const appended = this.store.writeTombstones(groupId, removed, false, nowMs);
      if (appended !== ErrorCode.NONE) return { errorCode: storeGroupError(appended), topics: [] };
      for (const [topic, partition] of removed) group.removeOffset(topic, partition);
    }
    return { errorCode: ErrorCode.NONE, topics: answer };
  }

  // ------------------------------------------------------------------ expiration and cleanup

  /**
   * offsets.retention.minutes: removes expired offsets (tombstones) and groups left empty
   * without offsets; the number of offsets removed. An offset with a pending transactional one
   * for its partition does not expire, and a group with pending ones stays (as in Kafka).
   */
  expireOffsets(nowMs: number): number {
    let removed = 0;
    for (const group of [...this.groups.values()]) {
      const expired = group.expiredOffsets(nowMs, this.config.offsetsRetentionMs).filter(([t, p]) => !group.pendingTxnOffsets.has(t, p));
      removed += this.cleanupGroup(group, expired, nowMs);
    }
    if (removed > 0) this.logger.info({ offsets: removed }, 'removed expired offsets');
    return removed;
  }

  /** A topic was deleted: its committed and pending offsets go too (a new topic of that name starts afresh). */
  onTopicDeleted(topic: string): void {
    const nowMs = this.clock.now();
    let removed = 0;
    for (const group of [...this.groups.values()]) {
      removed += this.cleanupGroup(
        group,
        offsetsAndPending(group, (t) => t === topic),
        nowMs,
      );
    }
    if (removed > 0) this.logger.info({ topic, offsets: removed }, 'removed offsets of a deleted topic');
  }

  /** Kafka's cleanupGroupMetadata for one group: drop `offsets`; an empty group without offsets dies. */
  private cleanupGroup(group: Group, offsets: [string, number][], nowMs: number): number {
    for (const [topic, partition] of offsets) group.removeOffset(topic, partition);
    const dies = group.is('Empty') && !group.hasOffsets;
    if (offsets.length === 0 && !dies) return 0;
    if (dies) {
      this.rebalancer.killGroup(group);
      this.logger.info({ group: group.groupId, generationId: group.generationId }, 'group is empty without offsets: removed');
    }
    const appended = this.store.writeTombstones(group.groupId, offsets, dies, nowMs);
    if (appended !== ErrorCode.NONE)
      this.logger.warn({ group: group.groupId, errorCode: appended }, 'failed to write tombstones; they reappear after a restart');
    return offsets.length;
  }
}

/** Partitions of `group`'s topics matching `which` that have a committed or a pending transactional offset, each once. */
function offsetsAndPending(group: Group, which: (topic: string) => boolean): [string, number][] {
  const out: [string, number][] = [];
  for (const [topic, partition] of group.allOffsets()) if (which(topic)) out.push([topic, partition]);
  for (const [topic, partition] of group.pendingTxnOffsets.partitions()) {
    if (which(topic) && group.offset(topic, partition) === undefined) out.push([topic, partition]);
  }
  return out;
}
