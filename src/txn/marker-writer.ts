/**
 * Writes the COMMIT or ABORT markers of a transaction in PrepareCommit / PrepareAbort to every
 * partition it holds (Kafka's TransactionMarkerChannelManager and its completion handler, on
 * one node: broker.writeTxnMarkers appends the control batches locally and resolves once they
 * are durable). A partition leaves the transaction's metadata when its marker is written; the
 * write returns when none is left.
 *
 * Per-partition errors, as Kafka's TransactionMarkerRequestCompletionHandler treats them:
 *   NONE                                          done
 *   UNKNOWN_TOPIC_OR_PARTITION, topic gone        done (the topic was deleted: nothing to mark)
 *   INVALID_PRODUCER_EPOCH,                       done, logged: the partition already holds a
 *   TRANSACTION_COORDINATOR_FENCED                newer epoch of this producer or coordinator
 *   UNSUPPORTED_FOR_MESSAGE_FORMAT,               done, logged (Kafka skips such partitions)
 *   UNSUPPORTED_VERSION
 *   anything else (NOT_LEADER_OR_FOLLOWER,        retried after MARKER_RETRY_BACKOFF_MS, until
 *   KAFKA_STORAGE_ERROR, REQUEST_TIMED_OUT, …)    written or the coordinator shuts down
 */
import type { Clock, Timer } from '../clock.js';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { TxnBroker } from './broker-port.js';
import type { TransactionMetadata } from './transaction-metadata.js';
import type { TopicPartition } from './transaction-state.js';

/** Wait between attempts of a marker write that failed with a retriable error (Kafka's retry.backoff.ms). */
export const MARKER_RETRY_BACKOFF_MS = 100;

const DONE_WITH_WARNING: ReadonlySet<number> = new Set([
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.TRANSACTION_COORDINATOR_FENCED,
  ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
  ErrorCode.UNSUPPORTED_VERSION,
]);

export class TxnMarkerWriter {
  private stopped = false;
  private readonly sleeping = new Set<{ timer: Timer; wake: () => void }>();

  constructor(
    private readonly broker: TxnBroker,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * Writes the markers of `metadata` (PrepareCommit or PrepareAbort) to each of its partitions,
   * removing each partition once written. True when every marker is written; false when the
   * writer was stopped first (the transaction stays prepared in the log and is completed at
   * the next start).
   */
  async writeMarkers(metadata: TransactionMetadata, committed: boolean, coordinatorEpoch: number): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const pending = metadata.topicPartitions;
      if (pending.length === 0) return true;
      if (this.stopped) return false;
      const byTopic = new Map<string, number[]>();
      for (const tp of pending) {
        const list = byTopic.get(tp.topic);
        if (list === undefined) byTopic.set(tp.topic, [tp.partition]);
        else list.push(tp.partition);
      }
      try {
        const [result] = await this.broker.writeTxnMarkers([
          {
            producerId: metadata.producerId,
            producerEpoch: metadata.producerEpoch,
            transactionResult: committed,
            coordinatorEpoch,
            topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
          },
        ]);
        for (const t of result?.topics ?? []) {
          for (const p of t.partitions) this.handle(metadata, { topic: t.name, partition: p.partitionIndex }, p.errorCode, attempt);
        }
      } catch (err) {
        this.logger.warn({ err, transactionalId: metadata.transactionalId, attempt }, 'writing transaction markers failed; retrying');
      }
      if (metadata.topicPartitions.length === 0) return true;
      await this.sleep(MARKER_RETRY_BACKOFF_MS);
    }
  }

  private handle(metadata: TransactionMetadata, tp: TopicPartition, errorCode: number, attempt: number): void {
    if (!metadata.hasPartition(tp)) return;
    const context = { transactionalId: metadata.transactionalId, topic: tp.topic, partition: tp.partition, errorCode };
    if (errorCode === ErrorCode.NONE) {
      metadata.removePartition(tp);
    } else if (errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && !this.broker.hasPartition(tp.topic, tp.partition)) {
      this.logger.info(context, 'the partition of a transaction marker no longer exists; skipped');
      metadata.removePartition(tp);
    } else if (DONE_WITH_WARNING.has(errorCode)) {
      this.logger.warn(context, 'the partition refused the transaction marker; it is not sent again');
      metadata.removePartition(tp);
    } else if (attempt === 1 || attempt % 100 === 0) {
      this.logger.warn({ ...context, attempt }, 'transaction marker not written; retrying');
    }
  }

  /** Stops retrying: writes in progress return false after their current attempt. */
  stop(): void {
    this.stopped = true;
    for (const s of this.sleeping) {
      s.timer.cancel();
      s.wake();
    }
    this.sleeping.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: this.clock.setTimeout(() => {
          this.sleeping.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.sleeping.add(entry);
    });
  }
}
