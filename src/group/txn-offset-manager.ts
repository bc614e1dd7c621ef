/**
 * Transactional offset commits (KIP-98, KIP-447; the transactional half of Kafka's
 * GroupCoordinator and GroupMetadataManager): TxnOffsetCommit writes a group's offsets to its
 * `__consumer_offsets` partition as a transactional batch of the producer, and keeps them
 * pending in the group (pending-txn-offsets.ts) until the transaction ends. The transaction
 * coordinator ends it with a marker in that partition (Broker.onTxnMarkerWritten): on COMMIT
 * each pending offset becomes the committed one unless a plain OffsetCommit of the partition was
 * written after it (the later record wins, as at replay); on ABORT they are dropped. Replay at
 * start (offsets-topic-store.ts) does the same from the log; offsets of a transaction whose
 * marker is not written yet stay pending, and the marker completes them here later.
 *
 * KIP-890 part 1: with a verifier (the transaction coordinator, `setVerifier`) the group's
 * partition of `__consumer_offsets` must be in the producer's ongoing transaction
 * (AddOffsetsToTxn) before the offsets are written, as Kafka's handleTxnCommitOffsets checks
 * (transaction.partition.verification.enable): otherwise INVALID_TXN_STATE, PRODUCER_FENCED,
 * CONCURRENT_TRANSACTIONS, ... and nothing is written, so no offsets are left pending in a
 * partition whose transaction will never write a marker there.
 *
 * The caller (coordinator.ts) has checked the group id and that this node coordinates groups.
 */
import type { Clock } from '../clock.js';
import { ErrorCode, type ErrorName } from '../errors.js';
import type { Logger } from '../logger.js';
import type { GroupCoordinatorConfig } from './config.js';
import { Group } from './group.js';
import { validateOffsetCommit } from './offset-manager.js';
import type { OffsetCommitValue } from './offsets-topic-records.js';
import { OFFSETS_TOPIC, storeOffsetsError, type CoordinatorStorage, type OffsetsTopicStore } from './offsets-topic-store.js';
import type { TopicPartitionErrors, TxnOffsetCommitRequest } from './requests.js';

/** What TxnOffsetCommit asks the transaction coordinator (its TransactionVerifier). */
export interface TxnOffsetVerifier {
  /** null when `topic`-`partition` is in the producer's ongoing transaction, else Kafka's error. */
  verifyPartition(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): Promise<ErrorName | null>;
}

/** Kafka's GroupMetadataManager.maybeConvertOffsetCommitError for a failed verification. */
function verificationError(name: ErrorName): number {
  // NETWORK_EXCEPTION is retriable but older clients do not retry it: they do retry this one.
  return name === 'NETWORK_EXCEPTION' ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : storeOffsetsError(ErrorCode[name]);
}

export class TxnOffsetManager {
  /** producerId → ids of the groups with its pending offsets (Kafka's openGroupsForProducer). */
  private readonly groupsByProducer = new Map<bigint, Set<string>>();
  private verifier: TxnOffsetVerifier | null = null;

  constructor(
    private readonly groups: Map<string, Group>,
    private readonly store: OffsetsTopicStore,
    private readonly storage: CoordinatorStorage,
    private readonly config: GroupCoordinatorConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  setVerifier(verifier: TxnOffsetVerifier | null): void {
    this.verifier = verifier;
  }

  /** Indexes the pending offsets of groups loaded at start by their producers. */
  loaded(groups: Iterable<Group>): void {
    for (const group of groups) for (const producerId of group.pendingTxnOffsets.producers()) this.index(producerId, group.groupId);
  }

  /**
   * TxnOffsetCommit. `statusError` gives the coordinator's verdict on the group id (asked
   * again after the verification, which waits): it applies only to partitions the broker has
   * (the others are UNKNOWN_TOPIC_OR_PARTITION whatever it is). A group that does not exist yet
   * is created (empty) when the commit carries no generation.
   */
  async txnOffsetCommit(r: TxnOffsetCommitRequest, statusError: () => number | null): Promise<{ topics: TopicPartitionErrors[] }> {
    const errors = new Map<string, number>();
    const id = (topic: string, partition: number): string => `${partition}:${topic}`;
    const answer = (): { topics: TopicPartitionErrors[] } => ({
      topics: r.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors.get(id(t.name, p.partitionIndex)) ?? ErrorCode.NONE })),
      })),
    });

    const candidates: [string, TxnOffsetCommitRequest['topics'][number]['partitions'][number]][] = [];
    for (const t of r.topics) {
      for (const p of t.partitions) {
        if (!this.storage.hasPartition(t.name, p.partitionIndex)) errors.set(id(t.name, p.partitionIndex), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        else candidates.push([t.name, p]);
      }
    }
    if (candidates.length === 0) return answer();
    const failAll = (errorCode: number): { topics: TopicPartitionErrors[] } => {
      for (const [topic, p] of candidates) errors.set(id(topic, p.partitionIndex), errorCode);
      return answer();
    };

    const before = statusError();
    if (before !== null) return failAll(before);
    if (this.verifier !== null) {
      const partition = this.store.partitionFor(r.groupId)!;
      let verified: ErrorName | null;
      try {
        verified = await this.verifier.verifyPartition(r.transactionalId, r.producerId, r.producerEpoch, OFFSETS_TOPIC, partition);
      } catch (err) {
        this.logger.warn({ err, transactionalId: r.transactionalId, group: r.groupId }, 'transaction verification failed');
        verified = 'COORDINATOR_NOT_AVAILABLE';
      }
      if (verified !== null) return failAll(verificationError(verified));
      const after = statusError();
      if (after !== null) return failAll(after);
    }
    const nowMs = this.clock.now();
    let group = this.groups.get(r.groupId);
    const created = group === undefined;
    if (group === undefined) {
      // A generation for a group we do not know is from a generation long gone (Kafka's
      // OffsetMetadataManager.validateTransactionalOffsetCommit).
      if (r.generationId >= 0) return failAll(ErrorCode.ILLEGAL_GENERATION);
      group = new Group(r.groupId, 'Empty', nowMs);
    }
    const validation = validateOffsetCommit(group, r, true);
    if (validation !== null) return failAll(validation);

    const accepted: [string, number, OffsetCommitValue][] = [];
    for (const [topic, p] of candidates) {
      const metadata = p.committedMetadata ?? '';
      if (metadata.length > this.config.offsetMetadataMaxBytes) {
        errors.set(id(topic, p.partitionIndex), ErrorCode.OFFSET_METADATA_TOO_LARGE);
        continue;
      }
      accepted.push([
        topic,
        p.partitionIndex,
        { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata, commitTimestamp: nowMs, expireTimestamp: null },
      ]);
    }
    if (accepted.length === 0) return answer();
    const stored = this.store.storeOffsets(r.groupId, accepted, nowMs, { producerId: r.producerId, producerEpoch: r.producerEpoch });
    if (stored.errorCode !== ErrorCode.NONE) {
      for (const [topic, partition] of accepted) errors.set(id(topic, partition), stored.errorCode);
      return answer();
    }
    if (created) this.groups.set(r.groupId, group);
    accepted.forEach(([topic, partition, value], i) =>
      group.pendingTxnOffsets.add(r.producerId, topic, partition, { ...value, recordOffset: stored.baseOffset + BigInt(i) }),
    );
    this.index(r.producerId, r.groupId);
    return answer();
  }

  /**
   * A COMMIT or ABORT marker of `producerId` was written to `partition` of `__consumer_offsets`
   * (Kafka's handleTxnCompletion): the producer's pending offsets of the groups in that
   * partition become committed (each unless a later plain commit exists) or are dropped.
   */
  onTxnMarker(partition: number, producerId: bigint, committed: boolean): void {
    const groupIds = this.groupsByProducer.get(producerId);
    if (groupIds === undefined) return;
    for (const groupId of [...groupIds]) {
      if (this.store.partitionFor(groupId) !== partition) continue;
      groupIds.delete(groupId);
      const group = this.groups.get(groupId);
      if (group === undefined || group.is('Dead')) continue;
      const offsets = group.pendingTxnOffsets.take(producerId);
      let applied = 0;
      if (committed) {
        for (const [topic, p, value] of offsets) {
          const current = group.offset(topic, p);
          if (current !== undefined && current.recordOffset > value.recordOffset) continue;
          group.setOffset(topic, p, value);
          applied++;
        }
      }
      this.logger.debug({ group: groupId, producerId: producerId.toString(), committed, offsets: offsets.length, applied }, 'transactional offsets completed');
    }
    if (groupIds.size === 0) this.groupsByProducer.delete(producerId);
  }

  private index(producerId: bigint, groupId: string): void {
    let groupIds = this.groupsByProducer.get(producerId);
    if (groupIds === undefined) this.groupsByProducer.set(producerId, (groupIds = new Set()));
    groupIds.add(groupId);
  }
}
