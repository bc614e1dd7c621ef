/**
 * Per-log configuration under Kafka's topic-level names, with Kafka's defaults. Accepts
 * camelCase fields (`segmentBytes`) and Kafka's dotted names (`segment.bytes`) alike, as
 * numbers or strings (as they arrive from properties files and DescribeConfigs). The names,
 * defaults and bounds come from log-config-defs.ts, the one table of the log settings.
 */
import { CONFIG_INT_MAX, ConfigType } from '../config-def.js';
import { KafkaError } from '../errors.js';
import { BROKER_LOG_CONFIG_DEFS, TOPIC_CONFIG_DEFS } from './log-config-defs.js';

export { MAX_SEGMENT_INDEX_BYTES, MIN_SEGMENT_INDEX_BYTES } from './log-config-defs.js';

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

/** Each LogConfig field with its Kafka names (topic-level first), default and bounds, from log-config-defs.ts. */
interface FieldDef {
  field: keyof LogConfig;
  names: string[];
  defaultValue: string;
  min?: number;
  max?: number;
}

function fieldDefs(): FieldDef[] {
  const out: FieldDef[] = [];
  const add = (
    field: keyof LogConfig,
    names: string[],
    def: { type: ConfigType; defaultValue: string | null; range?: { min?: number; max?: number } },
  ): void => {
    if (def.defaultValue === null) throw new Error(`log setting ${names[0]} (${field}) has no default`);
    // Kafka's INT settings stop at 2^31-1 (a segment's positions are u32).
    const max = def.range?.max ?? (def.type === ConfigType.INT ? CONFIG_INT_MAX : undefined);
    out.push({ field, names, defaultValue: def.defaultValue, min: def.range?.min, max });
  };
  for (const def of TOPIC_CONFIG_DEFS.values()) {
    // The first synonym has the topic's unit (log.roll.ms for segment.ms); unit variants are folded by the broker.
    if (def.field !== undefined) add(def.field, [def.name, def.synonyms[0]!.name], def);
  }
  for (const def of Object.values(BROKER_LOG_CONFIG_DEFS)) if (def.field !== undefined) add(def.field, [def.name], def);
  return out;
}

const FIELDS = fieldDefs();

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze(
  Object.fromEntries(
    FIELDS.map((f) => [f.field, f.field === 'messageTimestampType' ? f.defaultValue : Math.min(Number(f.defaultValue), NEVER)]),
  ) as unknown as LogConfig,
);

/** Kafka name → field. Broker-level names (`log.segment.bytes`) are accepted too. */
const KAFKA_NAMES: Readonly<Record<string, keyof LogConfig>> = Object.fromEntries(FIELDS.flatMap((f) => f.names.map((n) => [n, f.field])));

/** Kafka's lower bounds (LogConfig.java, ours where stricter); values below are rejected with INVALID_CONFIG. */
const MINIMUMS: Partial<Record<keyof LogConfig, number>> = Object.fromEntries(FIELDS.filter((f) => f.min !== undefined).map((f) => [f.field, f.min]));

/** Upper bounds: the range's, else an INT setting's 2^31-1. */
const MAXIMUMS: Partial<Record<keyof LogConfig, number>> = Object.fromEntries(FIELDS.filter((f) => f.max !== undefined).map((f) => [f.field, f.max]));

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
        throw new KafkaError('INVALID_CONFIG', `invalid value ${JSON.stringify(raw)} for message.timestamp.type: expected CreateTime or LogAppendTime`);
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
