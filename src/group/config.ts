/**
 * The group coordinator's settings, under Kafka's names in the broker configuration
 * (broker-config.ts parses and validates them): session timeout bounds, the initial rebalance
 * delay, the group size limit, and how committed offsets are stored and expired.
 */
import type { BrokerConfig } from '../broker/broker-config.js';

export interface GroupCoordinatorConfig {
  /** group.min.session.timeout.ms */
  minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  initialRebalanceDelayMs: number;
  /** group.max.size */
  maxSize: number;
  /** offsets.topic.num.partitions (used when the topic is created; an existing topic keeps its count) */
  offsetsTopicNumPartitions: number;
  /** offsets.topic.segment.bytes */
  offsetsTopicSegmentBytes: number;
  /** offsets.retention.minutes, in ms */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
}

export function groupCoordinatorConfig(config: BrokerConfig): GroupCoordinatorConfig {
  return {
    minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
    maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
    initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
    maxSize: config.groupMaxSize,
    offsetsTopicNumPartitions: config.offsetsTopicNumPartitions,
    offsetsTopicSegmentBytes: config.offsetsTopicSegmentBytes,
    offsetsRetentionMs: config.offsetsRetentionMs,
    offsetsRetentionCheckIntervalMs: config.offsetsRetentionCheckIntervalMs,
    offsetMetadataMaxBytes: config.offsetMetadataMaxBytes,
  };
}

/** Kafka's defaults, except group.initial.rebalance.delay.ms (0 here, 3000 in Kafka). */
export const DEFAULT_GROUP_COORDINATOR_CONFIG: Readonly<GroupCoordinatorConfig> = {
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 0,
  maxSize: 0x7fff_ffff,
  offsetsTopicNumPartitions: 50,
  offsetsTopicSegmentBytes: 104_857_600,
  offsetsRetentionMs: 10_080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
};
