/**
 * The embedded client's public shapes. They follow kafkajs' names so code moves between the two
 * with few changes; where kafkajs uses strings for 64-bit numbers, these use bigint (offsets)
 * and number (timestamps in ms, which fit a double exactly).
 */
import type { CompressionName } from '../records/index.js';

export type MessageBytes = Buffer | string | null;

/** Header values as given: one value per key, or several (kept in order, duplicate keys kept). */
export type MessageHeaders = { [key: string]: Buffer | string | (Buffer | string)[] | undefined };

/** A record to produce. */
export interface Message {
  key?: MessageBytes;
  value: MessageBytes;
  /** Chooses the partition; otherwise the producer's partitioner does. */
  partition?: number;
  headers?: MessageHeaders;
  /** Create time, ms since the epoch (default: now). */
  timestamp?: number | bigint | string | Date;
}

export interface ProducerRecord {
  topic: string;
  messages: Message[];
  /** Overrides the producer's acks for this call. */
  acks?: Acks;
  /** Overrides the producer's compression for this call. */
  compression?: CompressionType;
  /** How long the broker may take to acknowledge (Produce's timeout_ms, kafkajs' `timeout`); default 30000. */
  timeout?: number;
}

export interface ProducerBatch {
  topicMessages: { topic: string; messages: Message[] }[];
  acks?: Acks;
  compression?: CompressionType;
  timeout?: number;
}

/** 0: no acknowledgement; 1: the leader appended; -1 (all): every in-sync replica (this node). */
export type Acks = 0 | 1 | -1;

export type CompressionType = CompressionName;

/** One partition's outcome of a send: the offset of its first record. */
export interface RecordMetadata {
  topicName: string;
  partition: number;
  errorCode: number;
  /** Offset of the first record appended to this partition by the call. */
  baseOffset: bigint;
  /** The broker's append time under LogAppendTime, else -1. */
  logAppendTime: bigint;
  logStartOffset: bigint;
}

/** A consumed record. Buffers are views into the fetched bytes: copy what you keep past the callback's promise. */
export interface KafkaMessage {
  key: Buffer | null;
  value: Buffer | null;
  /** ms since the epoch (create time or log append time, as the topic stores). */
  timestamp: number;
  offset: bigint;
  /** Header values by key; a key sent several times maps to an array in order. */
  headers: { [key: string]: Buffer | Buffer[] | null };
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: bigint;
}

export interface TopicPartitionOffsetAndMetadata extends TopicPartitionOffset {
  metadata?: string | null;
}

/** Partitions of one topic, as events and `assignment()` report them. */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}
