/**
 * The transaction coordinator's settings, under Kafka's names in the broker configuration
 * (broker-config.ts parses and validates them; Kafka's TransactionConfig).
 */
import type { BrokerConfig } from '../broker/broker-config.js';

export interface TransactionCoordinatorConfig {
  /** transaction.state.log.num.partitions (used when the topic is created; an existing topic keeps its count) */
  transactionStateLogNumPartitions: number;
  /** transaction.state.log.replication.factor (a single node keeps one copy: recorded only) */
  transactionStateLogReplicationFactor: number;
  /** transaction.state.log.segment.bytes */
  transactionStateLogSegmentBytes: number;
  /** transaction.max.timeout.ms */
  transactionMaxTimeoutMs: number;
  /** transactional.id.expiration.ms */
  transactionalIdExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortTimedOutTransactionsIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  removeExpiredTransactionalIdsIntervalMs: number;
}

export function transactionCoordinatorConfig(config: BrokerConfig): TransactionCoordinatorConfig {
  return {
    transactionStateLogNumPartitions: config.transactionStateLogNumPartitions,
    transactionStateLogReplicationFactor: config.transactionStateLogReplicationFactor,
    transactionStateLogSegmentBytes: config.transactionStateLogSegmentBytes,
    transactionMaxTimeoutMs: config.transactionMaxTimeoutMs,
    transactionalIdExpirationMs: config.transactionalIdExpirationMs,
    abortTimedOutTransactionsIntervalMs: config.transactionAbortTimedOutTransactionCleanupIntervalMs,
    removeExpiredTransactionalIdsIntervalMs: config.transactionRemoveExpiredTransactionCleanupIntervalMs,
  };
}

/** Kafka's defaults. */
export const DEFAULT_TRANSACTION_COORDINATOR_CONFIG: Readonly<TransactionCoordinatorConfig> = {
  transactionStateLogNumPartitions: 50,
  transactionStateLogReplicationFactor: 3,
  transactionStateLogSegmentBytes: 104_857_600,
  transactionMaxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000,
  abortTimedOutTransactionsIntervalMs: 10_000,
  removeExpiredTransactionalIdsIntervalMs: 3_600_000,
};
