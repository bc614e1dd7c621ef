/**
 * The `__transaction_state` store (the persistence half of Kafka's TransactionStateManager):
 * creates the topic on first use (compacted, transaction.state.log.num.partitions), writes
 * each transition of a transactional id as a TransactionLogValue (transaction-log-records.ts)
 * in the partition that holds the id, writes a tombstone when an expired id is removed, and
 * replays the topic at start.
 *
 * Partition of an id: Kafka's `Utils.abs(transactionalId.hashCode) % partitions`, the same
 * mapping as groups (../group/partition-for.ts), so a data directory agrees with Kafka.
 *
 * Appends are synchronous (the record is in the log when `appendInternal` returns); the
 * coordinator applies a transition only after its record is appended. A record that cannot be
 * read at load is logged, counted and skipped, as the group store does.
 *
 * Not implemented: compaction (no log cleaner yet: cleanup.policy=compact is stored, every
 * record is kept, and retention is off so that no live state is ever deleted).
 */
import { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { javaStringHashCode } from '../group/partition-for.js';
import type { Record as LogRecord } from '../records/index.js';
import type { TxnBroker } from './broker-port.js';
import type { TransactionCoordinatorConfig } from './config.js';
import {
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  metadataFromLogValue,
  readTransactionLogRecord,
  transitToLogValue,
} from './transaction-log-records.js';
import type { TransactionMetadata, TxnTransitMetadata } from './transaction-metadata.js';
import { InternalTopic } from '../broker/internal-topic.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** Bytes read per call while loading `__transaction_state` at start. */
const LOAD_CHUNK_BYTES = 4 * 1024 * 1024;

/** Kafka's TransactionStateManager.partitionFor. */
export function partitionForTransactionalId(transactionalId: string, partitionCount: number): number {
  return (javaStringHashCode(transactionalId) & 0x7fffffff) % partitionCount;
}

/** Kafka's mapping of append errors in TransactionStateManager.appendTransactionToLog. */
export function storeTransactionError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return errorCode;
  }
}

export interface TransactionStateStats {
  /** Records replayed from `__transaction_state`. */
  recordsLoaded: number;
  /** Records (or batches) skipped because they could not be read; each was logged. */
  unreadableRecords: number;
}

export class TransactionStateStore {
  readonly stats: TransactionStateStats = { recordsLoaded: 0, unreadableRecords: 0 };
  private readonly topic: InternalTopic;

  constructor(
    private readonly broker: TxnBroker,
    private readonly config: TransactionCoordinatorConfig,
    private readonly logger: Logger,
  ) {
    this.topic = new InternalTopic(
      broker,
      {
        name: TRANSACTION_STATE_TOPIC,
        partitionCount: config.transactionStateLogNumPartitions,
        partitionCountSetting: 'transaction.state.log.num.partitions',
        // Kafka's TransactionLog topic configs; retention off as long as there is no cleaner.
        configs: {
          'cleanup.policy': 'compact',
          'segment.bytes': String(config.transactionStateLogSegmentBytes),
          'compression.type': 'producer',
          'unclean.leader.election.enable': 'false',
          'retention.ms': '-1',
        },
      },
      logger,
    );
  }

  /** Whether the topic exists (this node coordinates transactions only then). */
  get ready(): boolean {
    return this.topic.partitionCount !== null;
  }

  /** Opens the topic when it exists already; true when it did (it is to be loaded). */
  openExisting(): Promise<boolean> {
    return this.topic.openExisting();
  }

  /** Creates the topic when missing (concurrent callers share one creation). */
  ensureTopic(): Promise<void> {
    return this.topic.ensure();
  }

  /** The partition of `__transaction_state` that holds `transactionalId` (null before the topic exists). */
  partitionFor(transactionalId: string): number | null {
    const count = this.topic.partitionCount;
    return count === null ? null : partitionForTransactionalId(transactionalId, count);
  }

  /**
   * Appends the record of a prepared transition (or, with null, the tombstone of a removed id);
   * with `flush`, waits for it to be on disk. Returns the coordinator-facing error code.
   */
  async append(transactionalId: string, transit: TxnTransitMetadata | null, nowMs: number, flush: boolean): Promise<number> {
    const errorCode = this.appendUnsynced(transactionalId, transit, nowMs);
    if (errorCode !== ErrorCode.NONE || !flush) return errorCode;
    return this.sync(transactionalId);
  }

  /** The append half of `append`, synchronous: the record is in the log (page cache) on return. */
  appendUnsynced(transactionalId: string, transit: TxnTransitMetadata | null, nowMs: number): number {
    const partition = this.partitionFor(transactionalId);
    if (partition === null) return ErrorCode.NOT_COORDINATOR;
    try {
      const value = transit === null ? null : encodeTransactionLogValue(transitToLogValue(transit));
      const appended = this.broker.appendInternal(TRANSACTION_STATE_TOPIC, partition, [
        { key: encodeTransactionLogKey(transactionalId), value, timestamp: nowMs },
      ]);
      if (appended.errorCode !== ErrorCode.NONE) {
        this.logger.warn({ transactionalId, errorCode: appended.errorCode, reason: appended.errorMessage }, `append to ${TRANSACTION_STATE_TOPIC} failed`);
        return storeTransactionError(appended.errorCode);
      }
      return ErrorCode.NONE;
    } catch (err) {
      this.logger.error({ err, transactionalId }, `append to ${TRANSACTION_STATE_TOPIC} failed`);
      return ErrorCode.NOT_COORDINATOR;
    }
  }

  /** fsync of the partition holding `transactionalId`: every record appended there so far is on disk when it resolves NONE. */
  async sync(transactionalId: string): Promise<number> {
    const partition = this.partitionFor(transactionalId);
    if (partition === null) return ErrorCode.NOT_COORDINATOR;
    try {
      await this.broker.flushPartition(TRANSACTION_STATE_TOPIC, partition);
      return ErrorCode.NONE;
    } catch (err) {
      this.logger.error({ err, transactionalId }, `fsync of ${TRANSACTION_STATE_TOPIC}-${partition} failed`);
      return ErrorCode.NOT_COORDINATOR;
    }
  }

  // ------------------------------------------------------------------ replay

  /** Replays every partition: the last record of each id wins, a tombstone removes it. */
  load(): Map<string, TransactionMetadata> {
    const started = performance.now();
    const out = new Map<string, TransactionMetadata>();
    const before = { ...this.stats };
    for (let p = 0; p < this.topic.partitionCount!; p++) this.loadPartition(p, out);
    const summary = {
      transactionalIds: out.size,
      records: this.stats.recordsLoaded - before.recordsLoaded,
      unreadable: this.stats.unreadableRecords - before.unreadableRecords,
      ms: Math.round(performance.now() - started),
    };
    if (summary.unreadable > 0) this.logger.warn(summary, `loaded ${TRANSACTION_STATE_TOPIC}; ${summary.unreadable} unreadable record(s) skipped`);
    else this.logger.info(summary, `loaded ${TRANSACTION_STATE_TOPIC}`);
    return out;
  }

  private loadPartition(partition: number, out: Map<string, TransactionMetadata>): void {
    const end = this.broker.logEndOffset(TRANSACTION_STATE_TOPIC, partition);
    let offset = 0n;
    while (offset < end) {
      let chunk: { records: LogRecord[]; nextOffset: bigint };
      try {
        chunk = this.broker.readInternal(TRANSACTION_STATE_TOPIC, partition, offset, LOAD_CHUNK_BYTES);
      } catch (err) {
        this.unreadable(partition, offset, err, 'the rest of this partition is not loaded: where the next batch starts is unknown');
        return;
      }
      if (chunk.nextOffset <= offset) return;
      offset = chunk.nextOffset;
      for (const record of chunk.records) {
        this.stats.recordsLoaded++;
        try {
          if (record.key === null) throw new Error('record without a key');
          const read = readTransactionLogRecord(record.key, record.value);
          if (read.type === 'value') out.set(read.transactionalId, metadataFromLogValue(read.transactionalId, read.value));
          else if (read.type === 'tombstone') out.delete(read.transactionalId);
          else throw new Error(`unknown ${read.type === 'unknown-key-version' ? 'key' : 'value'} version ${read.version}`);
        } catch (err) {
          this.unreadable(partition, record.offset, err, 'skipped');
        }
      }
    }
  }

  private unreadable(partition: number, offset: bigint, err: unknown, consequence: string): void {
    this.stats.unreadableRecords++;
    const reason = err instanceof Error ? err.message : String(err);
    this.logger.error(
      { topic: TRANSACTION_STATE_TOPIC, partition, offset: offset.toString(), reason },
      `unreadable record in ${TRANSACTION_STATE_TOPIC}-${partition} at offset ${offset}: ${reason}; ${consequence}`,
    );
  }
}
