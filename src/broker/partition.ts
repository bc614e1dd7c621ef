/**
 * A partition this node leads (every partition, on a single node): its Log, its leader epoch
 * (with the leader-epoch-checkpoint history), its high watermark and its producer state.
 *
 * With one replica the in-sync replica set is this node, so every successful append is
 * replicated "to all in-sync replicas" at once: the high watermark equals the log end offset
 * after each append, for acks 0, 1 and -1 alike. The last stable offset is the first offset of
 * the oldest open transaction (the log's, from producer state), capped at the high watermark.
 *
 * Transactions: `writeTxnMarker` appends a COMMIT/ABORT control batch (Kafka's
 * Partition.appendRecordsToLeader with AppendOrigin.COORDINATOR and a marker); KIP-890 part 1
 * verification guards (`startTransactionVerification`) are kept per producer until its
 * transaction's first batch is appended or a marker ends it.
 *
 * Also written, for Kafka tools: `partition.metadata` ("version: 0\ntopic_id: <id>\n").
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ErrorName } from '../errors.js';
import { native } from '../native.js';
import type { Logger } from '../logger.js';
import type { Log } from '../storage/log.js';
import { ProducerStateManager, type CompletedTxn, type SequenceCheck } from '../storage/producer-state.js';
import { ControlRecordType, encodeEndTxnMarker } from '../records/control-record.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { ListOffsetsTimestamp } from './types.js';
import { storageErrorName } from './produce.js';

export const PARTITION_METADATA_FILE = 'partition.metadata';

/**
 * Kafka's VerificationGuard: an identity handed out when a produce starts verifying a
 * producer's first transactional batch on this partition. The append must present the guard
 * that is still registered; a marker in between (the transaction ended) removes it, so a
 * verified-then-stale batch cannot open a transaction the coordinator no longer knows.
 */
export class VerificationGuard {
  constructor(
    readonly producerId: bigint,
    readonly producerEpoch: number,
  ) {}
}

/** A COMMIT/ABORT marker for one partition (see Partition.writeTxnMarker). */
export interface TxnMarkerAppend {
  producerId: bigint;
  producerEpoch: number;
  committed: boolean;
  coordinatorEpoch: number;
  nowMs?: number;
}

export type TxnMarkerOutcome =
  { kind: 'ok'; offset: bigint; sizeBytes: number; completed: CompletedTxn | null } | { kind: 'error'; errorName: ErrorName; message: string };

export class Partition {
  readonly topic: string;
  readonly index: number;
  readonly log: Log;
  readonly epochs: LeaderEpochCache;
  readonly producers: ProducerStateManager;
  /** KIP-890 verification in progress, per producer id. */
  private readonly verificationGuards = new Map<bigint, VerificationGuard>();
  private readonly logger: Logger;

  private constructor(topic: string, index: number, log: Log, epochs: LeaderEpochCache, producers: ProducerStateManager, logger: Logger) {
    this.topic = topic;
    this.index = index;
    this.log = log;
    this.epochs = epochs;
    this.producers = producers;
    this.logger = logger;
  }

  /**
   * Wraps an open log: loads the epoch history (starting epoch 0 at the log start for a new
   * partition), bumps the leader epoch when the last stop was unclean (as a new election would,
   * so consumers detect a truncated tail through OffsetsForLeaderEpoch), and rebuilds producer
   * state from its snapshot plus the log tail.
   */
  static async open(topic: string, index: number, log: Log, options: { topicId: string; uncleanStart: boolean; logger: Logger }): Promise<Partition> {
    const epochs = LeaderEpochCache.load(log.dir);
    await epochs.truncateFromEnd(log.nextOffset);
    if (epochs.latestEpoch < 0) await epochs.assign(0, log.logStartOffset);
    else if (options.uncleanStart) await epochs.assign(epochs.latestEpoch + 1, log.nextOffset);
    const { state, replayedBatches } = ProducerStateManager.load(log, options.logger);
    if (replayedBatches > 0) options.logger.debug({ topic, partition: index, batches: replayedBatches }, 'rebuilt producer state from the log');
    const metadataFile = path.join(log.dir, PARTITION_METADATA_FILE);
    if (!fs.existsSync(metadataFile)) {
      await native.writeFileAtomic(metadataFile, Buffer.from(`version: 0\ntopic_id: ${options.topicId}\n`));
    }
    return new Partition(topic, index, log, epochs, state, options.logger);
  }

  get leaderEpoch(): number {
    return this.epochs.latestEpoch;
  }

  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }

  get logEndOffset(): bigint {
    return this.log.nextOffset;
  }

  get highWatermark(): bigint {
    return this.log.nextOffset;
  }

  /** Kafka's Partition LSO: the log's (first open transaction's offset, else its end), at most the high watermark. */
  get lastStableOffset(): bigint {
    const lso = this.log.lastStableOffset;
    const hw = this.highWatermark;
    return lso < hw ? lso : hw;
  }

  // ------------------------------------------------------------------ transactions

  /** Whether `producerId` has an open transaction here at `producerEpoch` (Kafka's hasOngoingTransaction). */
  hasOngoingTransaction(producerId: bigint, producerEpoch: number): boolean {
    const entry = this.producers.entry(producerId);
    return entry !== undefined && entry.currentTxnFirstOffset !== null && entry.epoch === producerEpoch;
  }

  /**
   * Kafka's maybeStartTransactionVerification: null when the producer's transaction is already
   * open here (nothing to verify), else the guard the append must present after the
   * coordinator confirmed the partition is in the transaction. A newer request replaces an
   * older guard of the same producer.
   */
  startTransactionVerification(producerId: bigint, producerEpoch: number): VerificationGuard | null {
    if (this.hasOngoingTransaction(producerId, producerEpoch)) return null;
    const current = this.verificationGuards.get(producerId);
    if (current !== undefined && current.producerEpoch === producerEpoch) return current;
    const guard = new VerificationGuard(producerId, producerEpoch);
    this.verificationGuards.set(producerId, guard);
    return guard;
  }

  /** Whether a transactional batch of `producerId` may be appended with `guard` (Kafka's batchMissingRequiredVerification, negated). */
  verificationHolds(producerId: bigint, producerEpoch: number, guard: VerificationGuard | null | undefined): boolean {
    if (this.hasOngoingTransaction(producerId, producerEpoch)) return true;
    return guard !== undefined && guard !== null && this.verificationGuards.get(producerId) === guard;
  }

  /** The producer's transaction is open here now (or ended): its guard has done its job. */
  clearVerification(producerId: bigint): void {
    this.verificationGuards.delete(producerId);
  }

  /**
   * Appends a COMMIT/ABORT control batch for `m` and completes the producer's transaction
   * (Kafka's appendEndTxnMarker): a marker with an older producer epoch answers
   * INVALID_PRODUCER_EPOCH, one from an older coordinator epoch TRANSACTION_COORDINATOR_FENCED.
   * Synchronous: the marker is in the log, and the LSO moved, when it returns; not yet fsync'd.
   * Storage errors are an error outcome, never a throw.
   */
  writeTxnMarker(m: TxnMarkerAppend): TxnMarkerOutcome {
    const type = m.committed ? ControlRecordType.Commit : ControlRecordType.Abort;
    const check: SequenceCheck = this.producers.checkEndTxnMarker({ producerId: m.producerId, epoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch });
    if (check.kind === 'error') return { kind: 'error', errorName: check.errorName, message: check.message };
    const timestamp = m.nowMs ?? Date.now();
    let appended;
    try {
      const batch = encodeEndTxnMarker({ type, producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, timestamp });
      appended = this.log.appendBatchesSync(batch, { partitionLeaderEpoch: this.leaderEpoch }, 'skip');
    } catch (err) {
      return { kind: 'error', errorName: storageErrorName(err), message: (err as Error).message };
    }
    const done = this.producers.applyEndTxnMarker(
      { producerId: m.producerId, epoch: m.producerEpoch, type, coordinatorEpoch: m.coordinatorEpoch, offset: appended.baseOffset, timestamp },
      this.log,
    );
    this.clearVerification(m.producerId);
    return { kind: 'ok', offset: appended.baseOffset, sizeBytes: appended.sizeBytes, completed: done?.completed ?? null };
  }

  /**
   * Removes every batch from `offset` on (a follower's truncation, or a tool's), then rebuilds
   * producer state from its snapshots and the log (Kafka's truncateAndReload): transactions
   * opened or closed in the removed range are undone, and the LSO follows. Throws storage errors.
   */
  async truncateTo(offset: bigint): Promise<void> {
    await this.log.truncateTo(offset);
    await this.epochs.truncateFromEnd(this.log.nextOffset);
    this.producers.reload(this.log, this.logger);
    this.verificationGuards.clear();
  }

  /**
   * Kafka's checkCurrentLeaderEpoch, for Fetch, ListOffsets and OffsetsForLeaderEpoch: a client
   * that knows a newer epoch than ours answers UNKNOWN_LEADER_EPOCH, an older one
   * FENCED_LEADER_EPOCH; no epoch (undefined or -1) is not checked.
   */
  checkLeaderEpoch(current: number | undefined): ErrorName | null {
    if (current === undefined || current < 0) return null;
    if (current > this.leaderEpoch) return 'UNKNOWN_LEADER_EPOCH';
    if (current < this.leaderEpoch) return 'FENCED_LEADER_EPOCH';
    return null;
  }

  /**
   * ListOffsets by timestamp: -1 latest (the high watermark, or the last stable offset for
   * read_committed), -2 earliest (log start), -3 the record with the largest timestamp
   * (KIP-734), -4 earliest local (= earliest), -5 latest tiered (none: offset -1), >= 0 the
   * first record with a timestamp at or after it (offset -1 when there is none). As in Kafka's
   * Partition.fetchOffsetForTimestamp, -3 and timestamp lookups answer only offsets below the
   * last fetchable one: the LSO for read_committed, the high watermark otherwise.
   */
  async fetchOffsetForTimestamp(timestamp: bigint, isolationLevel: number): Promise<{ timestamp: bigint; offset: bigint; leaderEpoch: number }> {
    const none = { timestamp: -1n, offset: -1n, leaderEpoch: -1 };
    const lastFetchable = isolationLevel === 1 ? this.lastStableOffset : this.highWatermark;
    switch (timestamp) {
      case ListOffsetsTimestamp.LATEST:
        return { timestamp: -1n, offset: lastFetchable, leaderEpoch: this.leaderEpoch };
      case ListOffsetsTimestamp.EARLIEST:
      case ListOffsetsTimestamp.EARLIEST_LOCAL:
        return { timestamp: -1n, offset: this.logStartOffset, leaderEpoch: this.epochs.epochForOffset(this.logStartOffset) };
      case ListOffsetsTimestamp.LATEST_TIERED:
        return none;
      case ListOffsetsTimestamp.MAX_TIMESTAMP: {
        const max = this.log.maxTimestampAndOffset();
        if (max === null || max.offset >= lastFetchable) return none;
        return { timestamp: BigInt(max.timestamp), offset: max.offset, leaderEpoch: this.epochs.epochForOffset(max.offset) };
      }
      default: {
        const offset = await this.log.offsetForTimestamp(timestamp);
        if (offset === null || offset >= lastFetchable) return none;
        const record = this.log.readRecordsSync(offset, 1)[0];
        return { timestamp: BigInt(record?.timestamp ?? -1), offset, leaderEpoch: this.epochs.epochForOffset(offset) };
      }
    }
  }

  /** The end offset of `leaderEpoch` here (Kafka's LeaderEpochFileCache.endOffsetFor). */
  lastOffsetForLeaderEpoch(leaderEpoch: number): { epoch: number; endOffset: bigint } {
    return this.epochs.endOffsetFor(leaderEpoch, this.logEndOffset);
  }

  /**
   * DeleteRecords on the leader: raises the log start offset to `offset` (-1: the high
   * watermark) and drops the epochs below it; the new log start offset, or
   * OFFSET_OUT_OF_RANGE past the high watermark. Storage errors are thrown.
   */
  async deleteRecordsOnLeader(offset: bigint): Promise<bigint | 'OFFSET_OUT_OF_RANGE'> {
    const target = offset === -1n ? this.highWatermark : offset;
    if (target < 0n || target > this.highWatermark) return 'OFFSET_OUT_OF_RANGE';
    const lowWatermark = await this.log.deleteRecordsBefore(target);
    await this.epochs.truncateFromStart(lowWatermark);
    return lowWatermark;
  }
}
