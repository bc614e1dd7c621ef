/**
 * Per-log configuration under Kafka's topic-level names, with Kafka's defaults. Accepts
 * camelCase fields (`segmentBytes`) and Kafka's dotted names (`segment.bytes`) alike, as
 * numbers or strings (as they arrive from properties files and DescribeConfigs).
 */
import { KafkaError } from '../errors.js';

export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface LogConfig {
  /** segment.bytes: roll the active segment when it would exceed this size. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this. */
  segmentMs: number;
  /** segment.jitter.ms: random subtraction from segment.ms, so logs do not all roll at once. */
  segmentJitterMs: number;
  /** index.interval.bytes: bytes of batches between two offset-index entries. */
  indexIntervalBytes: number;
  /** segment.index.bytes: preallocated size of each index file. */
  segmentIndexBytes: number;
  /** retention.ms: delete segments whose newest record is older; -1 keeps forever. */
  retentionMs: number;
  /** retention.bytes: delete oldest segments while the log is larger; -1 is unbounded. */
  retentionBytes: number;
  /** flush.messages: fsync after this many appended records (Kafka default: never). */
  flushMessages: number;
  /** flush.ms: fsync when data has been unflushed this long (Kafka default: never). */
  flushMs: number;
  /** message.timestamp.type: keep the producer's timestamps or stamp the append time. */
  messageTimestampType: TimestampType;
  /** max.message.bytes: largest record batch accepted. */
  maxMessageBytes: number;
  /** file.delete.delay.ms: how long a deleted segment stays as `.deleted` before unlink. */
  fileDeleteDelayMs: number;
  /** log.retention.check.interval.ms: how often the background retention task runs. */
  retentionCheckIntervalMs: number;
}

/**
 * How far a compressed batch may expand when its records are validated: max.message.bytes times
 * this. Kafka has no such bound (it streams through any expansion); ours makes a decompression
 * bomb cost a bounded amount of work, and is far above what real data compresses by (JSON with
 * zstd: 5-20×). The decoding streams through a fixed window, so memory does not grow with it.
 */
export const MAX_DECOMPRESSION_RATIO = 64;

/** The decompression bound of record validation for a log with this max.message.bytes. */
export function maxUncompressedBytesFor(maxMessageBytes: number): number {
  return maxMessageBytes * MAX_DECOMPRESSION_RATIO;
}

/** Kafka's `Long.MAX_VALUE` defaults ("never") as the largest safe number. */
const NEVER = Number.MAX_SAFE_INTEGER;

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentJitterMs: 0,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  flushMessages: NEVER,
  flushMs: NEVER,
  messageTimestampType: 'CreateTime',
  maxMessageBytes: 1024 * 1024 + 12,
  fileDeleteDelayMs: 60_000,
  retentionCheckIntervalMs: 5 * 60 * 1000,
});

/** Kafka name → field. Broker-level `log.`-prefixed names are accepted too. */
const KAFKA_NAMES: Readonly<Record<string, keyof LogConfig>> = {
  'segment.bytes': 'segmentBytes',
  'segment.ms': 'segmentMs',
  'segment.jitter.ms': 'segmentJitterMs',
  'index.interval.bytes': 'indexIntervalBytes',
  'segment.index.bytes': 'segmentIndexBytes',
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'flush.messages': 'flushMessages',
  'flush.ms': 'flushMs',
  'message.timestamp.type': 'messageTimestampType',
  'max.message.bytes': 'maxMessageBytes',
  'file.delete.delay.ms': 'fileDeleteDelayMs',
  'log.segment.bytes': 'segmentBytes',
  'log.roll.ms': 'segmentMs',
  'log.roll.jitter.ms': 'segmentJitterMs',
  'log.index.interval.bytes': 'indexIntervalBytes',
  'log.index.size.max.bytes': 'segmentIndexBytes',
  'log.retention.ms': 'retentionMs',
  'log.retention.bytes': 'retentionBytes',
  'log.flush.interval.messages': 'flushMessages',
  'log.flush.interval.ms': 'flushMs',
  'log.message.timestamp.type': 'messageTimestampType',
  'message.max.bytes': 'maxMessageBytes',
  'log.segment.delete.delay.ms': 'fileDeleteDelayMs',
  'log.retention.check.interval.ms': 'retentionCheckIntervalMs',
};

/**
 * segment.index.bytes bounds. Kafka accepts 4 and up, but under 24 bytes the time index has
 * no slot besides the one kept for the roll entry (and under 12 none at all), so every append
 * would roll a new segment (or fail). Above 1 GiB two preallocated indexes per active
 * partition are address space and disk for nothing: 1 GiB of offset index maps 128 Mi batches.
 */
export const MIN_SEGMENT_INDEX_BYTES = 24;
export const MAX_SEGMENT_INDEX_BYTES = 1 << 30;

/** Kafka's lower bounds (LogConfig.java, ours where stricter); values below are rejected with INVALID_CONFIG. */
const MINIMUMS: Partial<Record<keyof LogConfig, number>> = {
  segmentBytes: 14,
  segmentMs: 1,
  segmentJitterMs: 0,
  indexIntervalBytes: 0,
  segmentIndexBytes: MIN_SEGMENT_INDEX_BYTES,
  retentionMs: -1,
  retentionBytes: -1,
  flushMessages: 1,
  flushMs: 0,
  maxMessageBytes: 0,
  fileDeleteDelayMs: 0,
  retentionCheckIntervalMs: 1,
};

/** Upper bounds; Kafka's INT settings stop at 2^31-1 (a segment's positions are u32). */
const MAXIMUMS: Partial<Record<keyof LogConfig, number>> = {
  segmentBytes: 0x7fff_ffff,
  indexIntervalBytes: 0x7fff_ffff,
  segmentIndexBytes: MAX_SEGMENT_INDEX_BYTES,
  maxMessageBytes: 0x7fff_ffff,
};

export type LogConfigInput = Partial<Record<keyof LogConfig, number | string>> & Record<string, unknown>;

function toNumber(field: keyof LogConfig, raw: unknown): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'bigint' ? Number(raw) : typeof raw === 'string' ? Number(raw.trim()) : NaN;
  if (!Number.isFinite(n) || !Number.isInteger(n)) {
    throw new KafkaError('INVALID_CONFIG', `invalid value ${String(raw)} for ${field}: expected an integer`);
  }
  // Kafka's "never" is Long.MAX_VALUE; clamp anything that large to our safe "never".
  return Math.min(n, NEVER);
}

/** Merges `input` (camelCase or Kafka names) over `base` (defaults) and validates. */
export function resolveLogConfig(input: LogConfigInput = {}, base: Readonly<LogConfig> = DEFAULT_LOG_CONFIG): LogConfig {
  const config: LogConfig = { ...base };
  for (const [name, raw] of Object.entries(input)) {
    if (raw === undefined) continue;
    const field = (name in base ? name : KAFKA_NAMES[name]) as keyof LogConfig | undefined;
    if (field === undefined) continue; // not a log setting (e.g. a broker or Log.open option)
    if (field === 'messageTimestampType') {
      if (raw !== 'CreateTime' && raw !== 'LogAppendTime') {
        throw new KafkaError('INVALID_CONFIG', `invalid value ${String(raw)} for message.timestamp.type: expected CreateTime or LogAppendTime`);
      }
      config.messageTimestampType = raw;
      continue;
    }
    const value = toNumber(field, raw);
    const min = MINIMUMS[field];
    if (min !== undefined && value < min) {
      throw new KafkaError('INVALID_CONFIG', `invalid value ${value} for ${field}: must be >= ${min}`);
    }
    const max = MAXIMUMS[field];
    if (max !== undefined && value > max) {
      throw new KafkaError('INVALID_CONFIG', `invalid value ${value} for ${field}: must be <= ${max}`);
    }
    config[field] = value;
  }
  return config;
}
