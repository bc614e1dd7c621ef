/**
 * Topic-level configuration: every name Kafka's DescribeConfigs shows for a topic, with its
 * type, Kafka's default, and the broker settings it falls back to (its "synonyms", in Kafka's
 * order). A topic stores only its overrides (strings, Kafka names); the effective value is
 * override ?? the first broker synonym set in server.properties ?? the default.
 *
 * What is applied: the storage settings (segment.*, retention.*, flush.*, index.*,
 * max.message.bytes, message.timestamp.type, file.delete.delay.ms) go to the partition logs
 * live; message.timestamp.before/after.max.ms are checked on produce. The rest is validated and
 * stored but has no effect yet: cleanup.policy=compact (no log cleaner yet: a compacted topic
 * is retained by time/size like any other), compression.type other than `producer` (no
 * recompression), min.insync.replicas (one replica), and the cleaner, tiered-storage,
 * throttling and preallocation settings.
 */
import { KafkaError } from '../errors.js';
import { MAX_SEGMENT_INDEX_BYTES, MIN_SEGMENT_INDEX_BYTES, resolveLogConfig, type LogConfigInput } from '../storage/log-config.js';
import { ConfigSource, ConfigType, LONG_MAX } from './config-types.js';

interface Synonym {
  name: string;
  /** Multiply the broker value by this to get the topic unit (hours → ms). */
  scale?: number;
}

export interface TopicConfigDef {
  name: string;
  type: ConfigType;
  defaultValue: string;
  synonyms: Synonym[];
  doc: string;
  /** Extra check beyond the type; returns an error message or null. */
  check?: (value: string) => string | null;
}

const oneOf = (...values: string[]) => (v: string): string | null =>
  values.includes(v) ? null : `must be one of ${values.join(', ')}`;
const atLeast = (min: number) => (v: string): string | null => (Number(v) >= min ? null : `must be >= ${min}`);
const between = (min: number, max: number) => (v: string): string | null =>
  Number(v) >= min && Number(v) <= max ? null : `must be in [${min}, ${max}]`;

const DEFS: TopicConfigDef[] = [
  { name: 'cleanup.policy', type: ConfigType.LIST, defaultValue: 'delete', synonyms: [{ name: 'log.cleanup.policy' }], doc: 'delete and/or compact (compact is stored, not yet applied).', check: (v) => (v.split(',').every((p) => p.trim() === 'delete' || p.trim() === 'compact') ? null : 'must be a list of delete, compact') },
  { name: 'compression.type', type: ConfigType.STRING, defaultValue: 'producer', synonyms: [{ name: 'compression.type' }], doc: 'Final compression (only producer is applied).', check: oneOf('producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd') },
  { name: 'compression.gzip.level', type: ConfigType.INT, defaultValue: '-1', synonyms: [{ name: 'compression.gzip.level' }], doc: 'gzip level (not applied).', check: (v) => (Number(v) === -1 || (Number(v) >= 1 && Number(v) <= 9) ? null : 'must be -1 or in [1, 9]') },
  { name: 'compression.lz4.level', type: ConfigType.INT, defaultValue: '9', synonyms: [{ name: 'compression.lz4.level' }], doc: 'lz4 level (not applied).', check: between(1, 17) },
  { name: 'compression.zstd.level', type: ConfigType.INT, defaultValue: '3', synonyms: [{ name: 'compression.zstd.level' }], doc: 'zstd level (not applied).', check: between(-131072, 22) },
  { name: 'delete.retention.ms', type: ConfigType.LONG, defaultValue: '86400000', synonyms: [{ name: 'log.cleaner.delete.retention.ms' }], doc: 'Tombstone retention (not applied).', check: atLeast(0) },
  { name: 'file.delete.delay.ms', type: ConfigType.LONG, defaultValue: '60000', synonyms: [{ name: 'log.segment.delete.delay.ms' }], doc: 'Delay before deleting a segment file.', check: atLeast(0) },
  { name: 'flush.messages', type: ConfigType.LONG, defaultValue: LONG_MAX, synonyms: [{ name: 'log.flush.interval.messages' }], doc: 'fsync after this many messages.', check: atLeast(1) },
  { name: 'flush.ms', type: ConfigType.LONG, defaultValue: LONG_MAX, synonyms: [{ name: 'log.flush.interval.ms' }, { name: 'log.flush.scheduler.interval.ms' }], doc: 'fsync after this long.', check: atLeast(0) },
  { name: 'follower.replication.throttled.replicas', type: ConfigType.LIST, defaultValue: '', synonyms: [], doc: 'Not applied (single node).' },
  { name: 'index.interval.bytes', type: ConfigType.INT, defaultValue: '4096', synonyms: [{ name: 'log.index.interval.bytes' }], doc: 'Bytes between offset index entries.', check: atLeast(0) },
  { name: 'leader.replication.throttled.replicas', type: ConfigType.LIST, defaultValue: '', synonyms: [], doc: 'Not applied (single node).' },
  { name: 'local.retention.bytes', type: ConfigType.LONG, defaultValue: '-2', synonyms: [{ name: 'log.local.retention.bytes' }], doc: 'Tiered storage (not applied).', check: atLeast(-2) },
  { name: 'local.retention.ms', type: ConfigType.LONG, defaultValue: '-2', synonyms: [{ name: 'log.local.retention.ms' }], doc: 'Tiered storage (not applied).', check: atLeast(-2) },
  { name: 'max.compaction.lag.ms', type: ConfigType.LONG, defaultValue: LONG_MAX, synonyms: [{ name: 'log.cleaner.max.compaction.lag.ms' }], doc: 'Not applied (no cleaner yet).', check: atLeast(1) },
  { name: 'max.message.bytes', type: ConfigType.INT, defaultValue: '1048588', synonyms: [{ name: 'message.max.bytes' }], doc: 'Largest record batch accepted.', check: atLeast(0) },
  { name: 'message.downconversion.enable', type: ConfigType.BOOLEAN, defaultValue: 'true', synonyms: [{ name: 'log.message.downconversion.enable' }], doc: 'Down-convert for old fetch versions.' },
  { name: 'message.timestamp.after.max.ms', type: ConfigType.LONG, defaultValue: LONG_MAX, synonyms: [{ name: 'log.message.timestamp.after.max.ms' }], doc: 'Largest accepted lead of a CreateTime timestamp.', check: atLeast(0) },
  { name: 'message.timestamp.before.max.ms', type: ConfigType.LONG, defaultValue: LONG_MAX, synonyms: [{ name: 'log.message.timestamp.before.max.ms' }], doc: 'Largest accepted age of a CreateTime timestamp.', check: atLeast(0) },
  { name: 'message.timestamp.difference.max.ms', type: ConfigType.LONG, defaultValue: LONG_MAX, synonyms: [{ name: 'log.message.timestamp.difference.max.ms' }], doc: 'Deprecated: bounds both before and after when those are not set.', check: atLeast(0) },
  { name: 'message.format.version', type: ConfigType.STRING, defaultValue: '3.0-IV1', synonyms: [{ name: 'log.message.format.version' }], doc: 'Deprecated; stored only (batches are always magic 2).' },
  { name: 'message.timestamp.type', type: ConfigType.STRING, defaultValue: 'CreateTime', synonyms: [{ name: 'log.message.timestamp.type' }], doc: 'CreateTime or LogAppendTime.', check: oneOf('CreateTime', 'LogAppendTime') },
  { name: 'min.cleanable.dirty.ratio', type: ConfigType.DOUBLE, defaultValue: '0.5', synonyms: [{ name: 'log.cleaner.min.cleanable.ratio' }], doc: 'Not applied (no cleaner yet).', check: between(0, 1) },
  { name: 'min.compaction.lag.ms', type: ConfigType.LONG, defaultValue: '0', synonyms: [{ name: 'log.cleaner.min.compaction.lag.ms' }], doc: 'Not applied (no cleaner yet).', check: atLeast(0) },
  { name: 'min.insync.replicas', type: ConfigType.INT, defaultValue: '1', synonyms: [{ name: 'min.insync.replicas' }], doc: 'Stored; one replica always.', check: atLeast(1) },
  { name: 'preallocate', type: ConfigType.BOOLEAN, defaultValue: 'false', synonyms: [{ name: 'log.preallocate' }], doc: 'Not applied.' },
  { name: 'remote.storage.enable', type: ConfigType.BOOLEAN, defaultValue: 'false', synonyms: [], doc: 'Tiered storage (not supported).', check: (v) => (v === 'false' ? null : 'tiered storage is not supported') },
  { name: 'retention.bytes', type: ConfigType.LONG, defaultValue: '-1', synonyms: [{ name: 'log.retention.bytes' }], doc: 'Retention size per partition.', check: atLeast(-1) },
  { name: 'retention.ms', type: ConfigType.LONG, defaultValue: '604800000', synonyms: [{ name: 'log.retention.ms' }, { name: 'log.retention.minutes', scale: 60_000 }, { name: 'log.retention.hours', scale: 3_600_000 }], doc: 'Retention time.', check: atLeast(-1) },
  { name: 'segment.bytes', type: ConfigType.INT, defaultValue: '1073741824', synonyms: [{ name: 'log.segment.bytes' }], doc: 'Segment size.', check: atLeast(14) },
  { name: 'segment.index.bytes', type: ConfigType.INT, defaultValue: '10485760', synonyms: [{ name: 'log.index.size.max.bytes' }], doc: `Preallocated index size (sluice: ${MIN_SEGMENT_INDEX_BYTES} to ${MAX_SEGMENT_INDEX_BYTES}; Kafka accepts 4 and up).`, check: between(MIN_SEGMENT_INDEX_BYTES, MAX_SEGMENT_INDEX_BYTES) },
  { name: 'segment.jitter.ms', type: ConfigType.LONG, defaultValue: '0', synonyms: [{ name: 'log.roll.jitter.ms' }, { name: 'log.roll.jitter.hours', scale: 3_600_000 }], doc: 'Roll jitter.', check: atLeast(0) },
  { name: 'segment.ms', type: ConfigType.LONG, defaultValue: '604800000', synonyms: [{ name: 'log.roll.ms' }, { name: 'log.roll.hours', scale: 3_600_000 }], doc: 'Segment age before a roll.', check: atLeast(1) },
  { name: 'write.caching', type: ConfigType.BOOLEAN, defaultValue: 'false', synonyms: [{ name: 'write.caching' }], doc: 'sluice (as Redpanda): true answers acks=all from the page cache, without fdatasync.' },
  { name: 'unclean.leader.election.enable', type: ConfigType.BOOLEAN, defaultValue: 'false', synonyms: [{ name: 'unclean.leader.election.enable' }], doc: 'Not applied (single node).' },
];

export const TOPIC_CONFIG_DEFS: ReadonlyMap<string, TopicConfigDef> = new Map(DEFS.map((d) => [d.name, d]));

export type TopicConfigs = Record<string, string>;

function typeError(def: TopicConfigDef, value: string): string | null {
  switch (def.type) {
    case ConfigType.INT:
    case ConfigType.LONG: {
      if (!/^-?\d+$/.test(value)) return 'expected an integer';
      if (def.type === ConfigType.INT && (Number(value) > 0x7fff_ffff || Number(value) < -0x8000_0000)) return 'out of int range';
      if (def.type === ConfigType.LONG && (BigInt(value) > BigInt(LONG_MAX) || BigInt(value) < -BigInt(LONG_MAX) - 1n)) return 'out of long range';
      return null;
    }
    case ConfigType.DOUBLE:
      return value.trim() !== '' && Number.isFinite(Number(value)) ? null : 'expected a number';
    case ConfigType.BOOLEAN:
      return value === 'true' || value === 'false' ? null : 'expected true or false';
    default:
      return null;
  }
}

/** Normalizes and validates one override; throws INVALID_CONFIG. */
export function validateTopicConfig(name: string, raw: string | null): string {
  const def = TOPIC_CONFIG_DEFS.get(name);
  if (def === undefined) throw new KafkaError('INVALID_CONFIG', `Unknown topic config name: ${name}`);
  if (raw === null) throw new KafkaError('INVALID_CONFIG', `Null value not supported for topic config ${name}`);
  let value = raw.trim();
  if (def.type === ConfigType.BOOLEAN) value = value.toLowerCase();
  if (def.type === ConfigType.LIST) value = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0).join(',');
  const problem = typeError(def, value) ?? def.check?.(value) ?? null;
  if (problem !== null) throw new KafkaError('INVALID_CONFIG', `Invalid value ${raw} for configuration ${name}: ${problem}`);
  return value;
}

/** Validates a whole override set (each value, then the storage settings together). */
export function validateTopicConfigs(configs: TopicConfigs): TopicConfigs {
  const out: TopicConfigs = {};
  for (const [name, value] of Object.entries(configs)) out[name] = validateTopicConfig(name, value);
  resolveLogConfig(out as LogConfigInput);
  return out;
}

export interface ConfigValue {
  value: string | null;
  source: ConfigSource;
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: ConfigSource;
}

/**
 * The effective value of topic config `name` and its synonyms, most specific first, as
 * DescribeConfigs with includeSynonyms lists them.
 */
export function topicConfigValue(def: TopicConfigDef, overrides: TopicConfigs, brokerProperties: ReadonlyMap<string, string>, brokerDefaults: (name: string) => string | null): { value: string; source: ConfigSource; synonyms: ConfigSynonym[] } {
  const synonyms: ConfigSynonym[] = [];
  const override = overrides[def.name];
  if (override !== undefined) synonyms.push({ name: def.name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
  let brokerValue: string | null = null;
  for (const s of def.synonyms) {
    const set = brokerProperties.get(s.name);
    if (set !== undefined) {
      synonyms.push({ name: s.name, value: set.trim(), source: ConfigSource.STATIC_BROKER_CONFIG });
      brokerValue ??= scaled(set.trim(), s.scale);
    }
  }
  for (const s of def.synonyms) {
    const d = brokerDefaults(s.name);
    if (d !== null) synonyms.push({ name: s.name, value: d, source: ConfigSource.DEFAULT_CONFIG });
  }
  if (override !== undefined) return { value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG, synonyms };
  if (brokerValue !== null) return { value: brokerValue, source: ConfigSource.STATIC_BROKER_CONFIG, synonyms };
  return { value: def.defaultValue, source: ConfigSource.DEFAULT_CONFIG, synonyms };
}

function scaled(value: string, scale: number | undefined): string {
  if (scale === undefined || !/^-?\d+$/.test(value)) return value;
  const n = BigInt(value);
  return n < 0n ? '-1' : String(n * BigInt(scale));
}
