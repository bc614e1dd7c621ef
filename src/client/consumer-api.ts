/**
 * The consumer's public shapes (kafkajs' names): options, run handlers and their payloads, and
 * the events a Consumer emits. The class itself is consumer.ts.
 */
import type { PartitionAssignor } from '../group/assignors/index.js';
import type { KafkaMessage, TopicPartitionOffsetAndMetadata, TopicPartitions } from './types.js';

export type AssignorOption = 'range' | 'roundrobin' | 'sticky' | 'cooperative-sticky' | PartitionAssignor;

export interface ConsumerOptions {
  groupId: string;
  /** group.instance.id: a static member (KIP-345). */
  groupInstanceId?: string;
  /** session.timeout.ms; default 30000. */
  sessionTimeout?: number;
  /** max.poll.interval.ms, sent as the rebalance timeout; default 60000. */
  rebalanceTimeout?: number;
  /** heartbeat.interval.ms; default 3000. */
  heartbeatInterval?: number;
  /** Assignors in preference order; default ['range', 'cooperative-sticky'] as the Java client. */
  partitionAssigners?: AssignorOption[];
  /** fetch.max.wait.ms; default 500. */
  maxWaitTimeInMs?: number;
  /** fetch.min.bytes; default 1. */
  minBytes?: number;
  /** fetch.max.bytes; default 52428800. */
  maxBytes?: number;
  /** max.partition.fetch.bytes; default 1048576. */
  maxBytesPerPartition?: number;
  /**
   * max.poll.records: eachBatch gets a partition's fetched records in runs of whole record
   * batches of up to this many records (a record batch holding more comes whole); default 500,
   * as the Java consumer. Fewer records alive at once keeps decoding out of the garbage
   * collector's way.
   */
  maxPollRecords?: number;
  /** How often subscriptions by RegExp and partition counts are looked at again; default 300000. */
  metadataMaxAge?: number;
  /** isolation.level=read_uncommitted; default false (read_committed, as kafkajs). */
  readUncommitted?: boolean;
  /** Retries of a failing handler before the consumer crashes; kafkajs' names and defaults. */
  retry?: { retries?: number; initialRetryTime?: number; maxRetryTime?: number };
  /** client.id shown by DescribeGroups. */
  clientId?: string;
}

export interface SubscribeOptions {
  topics?: (string | RegExp)[];
  topic?: string | RegExp;
  /** Where partitions without a committed offset start: earliest (true) or latest (false, default). */
  fromBeginning?: boolean;
}

export interface Batch {
  topic: string;
  partition: number;
  highWatermark: bigint;
  messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): bigint | null;
  lastOffset(): bigint;
  /**
   * Records after this batch's last one (kafkajs' offsetLag): to the high watermark, or under
   * read_committed to the last stable offset (the Java consumer's lag).
   */
  offsetLag(): bigint;
  /** Records after this batch's first one (kafkajs' offsetLagLow), counted the same way. */
  offsetLagLow(): bigint;
}

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

export interface EachBatchPayload {
  batch: Batch;
  /** Marks `offset` processed: the position (and the next commit) moves past it. */
  resolveOffset(offset: bigint): void;
  heartbeat(): Promise<void>;
  commitOffsetsIfNecessary(): Promise<void>;
  uncommittedOffsets(): TopicPartitionOffsetAndMetadata[];
  /** False once the consumer stops. */
  isRunning(): boolean;
  /** True when the batch should be abandoned: a rebalance, seek or pause happened. */
  isStale(): boolean;
  pause(): () => void;
}

export interface RunOptions {
  eachMessage?: (payload: EachMessagePayload) => Promise<void>;
  eachBatch?: (payload: EachBatchPayload) => Promise<void>;
  /** Default true. */
  autoCommit?: boolean;
  /** ms; default 5000. null: no time-based commits. */
  autoCommitInterval?: number | null;
  /** Commit after this many resolved records; default null (off). */
  autoCommitThreshold?: number | null;
  /** Resolve the whole batch when eachBatch returns; default true. */
  eachBatchAutoResolve?: boolean;
  /** Partitions handled at the same time; default 1. */
  partitionsConsumedConcurrently?: number;
}

export const ConsumerEvents = {
  GROUP_JOIN: 'consumer.group_join',
  REBALANCING: 'consumer.rebalancing',
  PARTITIONS_ASSIGNED: 'consumer.partitions_assigned',
  PARTITIONS_REVOKED: 'consumer.partitions_revoked',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  HEARTBEAT: 'consumer.heartbeat',
  CRASH: 'consumer.crash',
  STOP: 'consumer.stop',
  DISCONNECT: 'consumer.disconnect',
} as const;

export interface ConsumerEventPayloads {
  'consumer.group_join': {
    groupId: string;
    memberId: string;
    leaderId: string;
    isLeader: boolean;
    memberAssignment: { [topic: string]: number[] };
    groupProtocol: string;
    duration: number;
  };
  'consumer.rebalancing': { groupId: string; memberId: string };
  'consumer.partitions_assigned': { groupId: string; partitions: TopicPartitions[] };
  'consumer.partitions_revoked': { groupId: string; partitions: TopicPartitions[] };
  'consumer.commit_offsets': {
    groupId: string;
    memberId: string;
    groupGenerationId: number;
    topics: { topic: string; partitions: { partition: number; offset: bigint }[] }[];
  };
  'consumer.heartbeat': { groupId: string; memberId: string; groupGenerationId: number };
  'consumer.crash': { groupId: string; error: Error; restart: false };
  'consumer.stop': null;
  'consumer.disconnect': null;
}

export type ConsumerEventName = keyof ConsumerEventPayloads;

export interface ConsumerEvent<E extends ConsumerEventName> {
  type: E;
  timestamp: number;
  payload: ConsumerEventPayloads[E];
}
