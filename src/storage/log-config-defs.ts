/**
 * The log settings, defined once (Kafka's LogConfig and ServerLogConfigs): every topic-level
 * config (`segment.bytes`, …) with its type, range or check, doc string and its broker-level
 * synonyms (`log.segment.bytes`, then unit variants such as `log.roll.hours`, in Kafka's
 * precedence order); and the broker-level settings of the log layer (synonyms and broker-only
 * ones such as `log.retention.check.interval.ms`, `log.dirs`) with Kafka's defaults. As in
 * Kafka, a topic config's default is its broker synonym's (`log.retention.hours`=168 gives
 * `retention.ms`=604800000); only the three without a synonym state their own.
 *
 * storage/log-config.ts derives the LogConfig defaults, the accepted names and the bounds it
 * enforces from these tables (the entries with a `field`); broker/topic-config.ts validates
 * topic overrides and DescribeConfigs describes topics from them; broker/broker-config.ts adds
 * the broker-level entries to the broker's own settings.
 *
 * A topic stores only its overrides; the effective value is override ?? the first broker
 * synonym set in server.properties ?? the default. What is applied: the settings with a
 * `field` go to the partition logs live; message.timestamp.before/after.max.ms and
 * write.caching are applied by the broker on produce. The rest is validated and stored but has
 * no effect yet: cleanup.policy=compact (no log cleaner yet: a compacted topic is retained by
 * time/size like any other), compression.type other than `producer` (no recompression),
 * min.insync.replicas (one replica), and the cleaner, tiered-storage, throttling and
 * preallocation settings.
 */
import { ConfigType, LONG_MAX, oneOf, type Check, type ConfigDef, type Range } from '../config-def.js';
import type { LogConfig } from './log-config.js';

/**
 * segment.index.bytes bounds. Kafka accepts 4 and up, but under 24 bytes the time index has
 * no slot besides the one kept for the roll entry (and under 12 none at all), so every append
 * would roll a new segment (or fail). Above 1 GiB two preallocated indexes per active
 * partition are address space and disk for nothing: 1 GiB of offset index maps 128 Mi batches.
 */
export const MIN_SEGMENT_INDEX_BYTES = 24;
export const MAX_SEGMENT_INDEX_BYTES = 1 << 30;

export interface Synonym {
  /** A broker-level setting in BROKER_LOG_CONFIG_DEFS. */
  name: string;
  /** Multiply the broker value by this to get the topic unit (hours → ms). */
  scale?: number;
}

export interface TopicConfigDef {
  /** Kafka's topic-level name. */
  name: string;
  type: ConfigType;
  /** Kafka's default: the first broker synonym's default (scaled to the topic's unit), as in Kafka. */
  defaultValue: string;
  /** Broker-level names it falls back to, most specific first; the first has the topic's unit. */
  synonyms: Synonym[];
  doc: string;
  range?: Range;
  check?: Check;
  /** The LogConfig field the storage layer applies it to; absent when storage does not. */
  field?: keyof LogConfig;
}

/** A table entry: the default is given only where no broker synonym has one. */
type TopicConfigInput = Omit<TopicConfigDef, 'defaultValue'> & { defaultValue?: string };

export interface BrokerLogConfigDef extends ConfigDef {
  /** The LogConfig field of a broker-only log setting (no topic-level name). */
  field?: keyof LogConfig;
}

const TOPIC_DEFS: TopicConfigInput[] = [
  {
    name: 'cleanup.policy',
    type: ConfigType.LIST,
    synonyms: [{ name: 'log.cleanup.policy' }],
    doc: 'delete and/or compact (compact is stored, not yet applied).',
    check: (v) => (v.split(',').every((p) => p.trim() === 'delete' || p.trim() === 'compact') ? null : 'must be a list of delete, compact'),
  },
  {
    name: 'compression.type',
    type: ConfigType.STRING,
    synonyms: [{ name: 'compression.type' }],
    doc: 'Final compression (only producer is applied).',
    check: oneOf('producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'),
  },
  {
    name: 'compression.gzip.level',
    type: ConfigType.INT,
    synonyms: [{ name: 'compression.gzip.level' }],
    doc: 'gzip level (not applied).',
    check: (v) => (Number(v) === -1 || (Number(v) >= 1 && Number(v) <= 9) ? null : 'must be -1 or in [1, 9]'),
  },
  {
    name: 'compression.lz4.level',
    type: ConfigType.INT,
    synonyms: [{ name: 'compression.lz4.level' }],
    doc: 'lz4 level (not applied).',
    range: { min: 1, max: 17 },
  },
  {
    name: 'compression.zstd.level',
    type: ConfigType.INT,
    synonyms: [{ name: 'compression.zstd.level' }],
    doc: 'zstd level (not applied).',
    range: { min: -131072, max: 22 },
  },
  {
    name: 'delete.retention.ms',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.cleaner.delete.retention.ms' }],
    doc: 'Tombstone retention (not applied).',
    range: { min: 0 },
  },
  {
    name: 'file.delete.delay.ms',
    field: 'fileDeleteDelayMs',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.segment.delete.delay.ms' }],
    doc: 'Delay before deleting a segment file.',
    range: { min: 0 },
  },
  {
    name: 'flush.messages',
    field: 'flushMessages',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.flush.interval.messages' }],
    doc: 'fsync after this many messages.',
    range: { min: 1 },
  },
  {
    name: 'flush.ms',
    field: 'flushMs',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.flush.interval.ms' }, { name: 'log.flush.scheduler.interval.ms' }],
    doc: 'fsync after this long.',
    range: { min: 0 },
  },
  { name: 'follower.replication.throttled.replicas', type: ConfigType.LIST, defaultValue: '', synonyms: [], doc: 'Not applied (single node).' },
  {
    name: 'index.interval.bytes',
    field: 'indexIntervalBytes',
    type: ConfigType.INT,
    synonyms: [{ name: 'log.index.interval.bytes' }],
    doc: 'Bytes between offset index entries.',
    range: { min: 0 },
  },
  { name: 'leader.replication.throttled.replicas', type: ConfigType.LIST, defaultValue: '', synonyms: [], doc: 'Not applied (single node).' },
  {
    name: 'local.retention.bytes',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.local.retention.bytes' }],
    doc: 'Tiered storage (not applied).',
    range: { min: -2 },
  },
  {
    name: 'local.retention.ms',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.local.retention.ms' }],
    doc: 'Tiered storage (not applied).',
    range: { min: -2 },
  },
  {
    name: 'max.compaction.lag.ms',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.cleaner.max.compaction.lag.ms' }],
    doc: 'Not applied (no cleaner yet).',
    range: { min: 1 },
  },
  {
    name: 'max.message.bytes',
    field: 'maxMessageBytes',
    type: ConfigType.INT,
    synonyms: [{ name: 'message.max.bytes' }],
    doc: 'Largest record batch accepted.',
    range: { min: 0 },
  },
  {
    name: 'message.downconversion.enable',
    type: ConfigType.BOOLEAN,
    synonyms: [{ name: 'log.message.downconversion.enable' }],
    doc: 'Down-convert for old fetch versions.',
  },
  {
    name: 'message.timestamp.after.max.ms',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.message.timestamp.after.max.ms' }],
    doc: 'Largest accepted lead of a CreateTime timestamp.',
    range: { min: 0 },
  },
  {
    name: 'message.timestamp.before.max.ms',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.message.timestamp.before.max.ms' }],
    doc: 'Largest accepted age of a CreateTime timestamp.',
    range: { min: 0 },
  },
  {
    name: 'message.timestamp.difference.max.ms',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.message.timestamp.difference.max.ms' }],
    doc: 'Deprecated: bounds both before and after when those are not set.',
    range: { min: 0 },
  },
  {
    name: 'message.format.version',
    type: ConfigType.STRING,
    synonyms: [{ name: 'log.message.format.version' }],
    doc: 'Deprecated; stored only (batches are always magic 2).',
  },
  {
    name: 'message.timestamp.type',
    field: 'messageTimestampType',
    type: ConfigType.STRING,
    synonyms: [{ name: 'log.message.timestamp.type' }],
    doc: 'CreateTime or LogAppendTime.',
    check: oneOf('CreateTime', 'LogAppendTime'),
  },
  {
    name: 'min.cleanable.dirty.ratio',
    type: ConfigType.DOUBLE,
    synonyms: [{ name: 'log.cleaner.min.cleanable.ratio' }],
    doc: 'Not applied (no cleaner yet).',
    range: { min: 0, max: 1 },
  },
  {
    name: 'min.compaction.lag.ms',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.cleaner.min.compaction.lag.ms' }],
    doc: 'Not applied (no cleaner yet).',
    range: { min: 0 },
  },
  { name: 'min.insync.replicas', type: ConfigType.INT, synonyms: [{ name: 'min.insync.replicas' }], doc: 'Stored; one replica always.', range: { min: 1 } },
  { name: 'preallocate', type: ConfigType.BOOLEAN, synonyms: [{ name: 'log.preallocate' }], doc: 'Not applied.' },
  {
    name: 'remote.storage.enable',
    type: ConfigType.BOOLEAN,
    defaultValue: 'false',
    synonyms: [],
    doc: 'Tiered storage (not supported).',
    check: (v) => (v === 'false' ? null : 'tiered storage is not supported'),
  },
  {
    name: 'retention.bytes',
    field: 'retentionBytes',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.retention.bytes' }],
    doc: 'Retention size per partition.',
    range: { min: -1 },
  },
  {
    name: 'retention.ms',
    field: 'retentionMs',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.retention.ms' }, { name: 'log.retention.minutes', scale: 60_000 }, { name: 'log.retention.hours', scale: 3_600_000 }],
    doc: 'Retention time.',
    range: { min: -1 },
  },
  { name: 'segment.bytes', field: 'segmentBytes', type: ConfigType.INT, synonyms: [{ name: 'log.segment.bytes' }], doc: 'Segment size.', range: { min: 14 } },
  {
    name: 'segment.index.bytes',
    field: 'segmentIndexBytes',
    type: ConfigType.INT,
    synonyms: [{ name: 'log.index.size.max.bytes' }],
    doc: `Preallocated index size (sluice: ${MIN_SEGMENT_INDEX_BYTES} to ${MAX_SEGMENT_INDEX_BYTES}; Kafka accepts 4 and up).`,
    range: { min: MIN_SEGMENT_INDEX_BYTES, max: MAX_SEGMENT_INDEX_BYTES },
  },
  {
    name: 'segment.jitter.ms',
    field: 'segmentJitterMs',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.roll.jitter.ms' }, { name: 'log.roll.jitter.hours', scale: 3_600_000 }],
    doc: 'Roll jitter.',
    range: { min: 0 },
  },
  {
    name: 'segment.ms',
    field: 'segmentMs',
    type: ConfigType.LONG,
    synonyms: [{ name: 'log.roll.ms' }, { name: 'log.roll.hours', scale: 3_600_000 }],
    doc: 'Segment age before a roll.',
    range: { min: 1 },
  },
  {
    name: 'write.caching',
    type: ConfigType.BOOLEAN,
    synonyms: [{ name: 'write.caching' }],
    doc: 'sluice (as Redpanda): true answers acks=all from the page cache, without fdatasync.',
  },
  {
    name: 'unclean.leader.election.enable',
    type: ConfigType.BOOLEAN,
    synonyms: [{ name: 'unclean.leader.election.enable' }],
    doc: 'Not applied (single node).',
  },
];

function broker(
  name: string,
  type: ConfigType,
  defaultValue: string | null,
  doc: string,
  extra: Pick<BrokerLogConfigDef, 'field' | 'range'> = {},
): BrokerLogConfigDef {
  return { name, type, defaultValue, doc, ...extra };
}

const BROKER_DEFS: BrokerLogConfigDef[] = [
  broker('log.dirs', ConfigType.STRING, null, 'Data directory (first entry used).'),
  broker('log.dir', ConfigType.STRING, './data', 'Data directory when log.dirs is not set.'),
  broker('message.max.bytes', ConfigType.INT, '1048588', 'Largest record batch accepted.'),
  broker('num.recovery.threads.per.data.dir', ConfigType.INT, '2', 'Logs recovered in parallel at start.'),
  broker(
    'log.recovery.point.flush.interval.ms',
    ConfigType.LONG,
    '1000',
    "sluice: how often appends since the last flush are fdatasync'd in the background and the recovery points checkpointed, so a restart after a crash scans only about this much data. Not flush.ms: nothing waits for it.",
  ),
  broker(
    'write.caching',
    ConfigType.BOOLEAN,
    'false',
    "sluice (as Redpanda's write caching): true acknowledges acks=all produces from the page cache, without waiting for fdatasync. Default false: acks=all is acknowledged once its batch is on disk. Topic-level override: write.caching.",
  ),
  broker(
    'max.open.segment.files',
    ConfigType.INT,
    '0',
    'File descriptors the segment handle cache may keep open (least recently used segments are closed past it); 0: half of RLIMIT_NOFILE (sluice).',
  ),
  broker('log.flush.offset.checkpoint.interval.ms', ConfigType.INT, '60000', 'How often recovery points are checkpointed (and every log flushed first).'),
  broker('log.retention.hours', ConfigType.INT, '168', 'Retention time in hours.'),
  broker('log.retention.minutes', ConfigType.INT, null, 'Retention time in minutes.'),
  broker('log.retention.ms', ConfigType.LONG, null, 'Retention time in ms.'),
  broker('log.retention.bytes', ConfigType.LONG, '-1', 'Retention size per partition.'),
  broker('log.retention.check.interval.ms', ConfigType.LONG, '300000', 'How often retention runs.', { field: 'retentionCheckIntervalMs', range: { min: 1 } }),
  broker('log.segment.bytes', ConfigType.INT, '1073741824', 'Segment size.'),
  broker('log.roll.hours', ConfigType.INT, '168', 'Segment age before a roll, hours.'),
  broker('log.roll.ms', ConfigType.LONG, null, 'Segment age before a roll, ms.'),
  broker('log.roll.jitter.hours', ConfigType.INT, '0', 'Roll jitter, hours.'),
  broker('log.roll.jitter.ms', ConfigType.LONG, null, 'Roll jitter, ms.'),
  broker('log.index.size.max.bytes', ConfigType.INT, '10485760', 'Preallocated index size.'),
  broker('log.index.interval.bytes', ConfigType.INT, '4096', 'Bytes between offset index entries.'),
  broker('log.flush.interval.messages', ConfigType.LONG, LONG_MAX, 'fsync after this many messages.'),
  broker('log.flush.interval.ms', ConfigType.LONG, null, 'fsync after this long.'),
  broker('log.flush.scheduler.interval.ms', ConfigType.LONG, LONG_MAX, 'Fallback for log.flush.interval.ms.'),
  broker('log.segment.delete.delay.ms', ConfigType.LONG, '60000', 'Delay before a deleted segment is unlinked.'),
  broker('log.message.timestamp.type', ConfigType.STRING, 'CreateTime', 'CreateTime or LogAppendTime.'),
  broker('log.message.timestamp.before.max.ms', ConfigType.LONG, LONG_MAX, 'Largest accepted age of a record timestamp.'),
  broker('log.message.timestamp.after.max.ms', ConfigType.LONG, LONG_MAX, 'Largest accepted lead of a record timestamp.'),
  broker('log.message.timestamp.difference.max.ms', ConfigType.LONG, LONG_MAX, 'Deprecated: largest accepted timestamp difference.'),
  broker('log.message.format.version', ConfigType.STRING, '3.0-IV1', 'Deprecated; batches are always magic 2.'),
  broker('log.cleanup.policy', ConfigType.LIST, 'delete', 'delete and/or compact.'),
  broker('log.cleaner.delete.retention.ms', ConfigType.LONG, '86400000', 'Tombstone retention.'),
  broker('log.cleaner.min.compaction.lag.ms', ConfigType.LONG, '0', 'Minimum age before compaction.'),
  broker('log.cleaner.max.compaction.lag.ms', ConfigType.LONG, LONG_MAX, 'Maximum age before compaction.'),
  broker('log.cleaner.min.cleanable.ratio', ConfigType.DOUBLE, '0.5', 'Dirty ratio before cleaning.'),
  broker('log.preallocate', ConfigType.BOOLEAN, 'false', 'Preallocate segment files.'),
  broker('log.message.downconversion.enable', ConfigType.BOOLEAN, 'true', 'Down-convert for old fetch versions.'),
  broker('log.local.retention.ms', ConfigType.LONG, '-2', 'Local retention with tiered storage.'),
  broker('log.local.retention.bytes', ConfigType.LONG, '-2', 'Local retention with tiered storage.'),
  broker('compression.type', ConfigType.STRING, 'producer', 'Final compression of topic data.'),
  broker('compression.gzip.level', ConfigType.INT, '-1', 'gzip level.'),
  broker('compression.lz4.level', ConfigType.INT, '9', 'lz4 level.'),
  broker('compression.zstd.level', ConfigType.INT, '3', 'zstd level.'),
  broker('min.insync.replicas', ConfigType.INT, '1', 'Replicas that must acknowledge acks=all.'),
  broker('unclean.leader.election.enable', ConfigType.BOOLEAN, 'false', 'Allow out-of-sync leaders.'),
];

/** Broker-level settings of the log layer by name: every topic config's synonyms and the broker-only ones. */
export const BROKER_LOG_CONFIG_DEFS: Readonly<Record<string, BrokerLogConfigDef>> = Object.fromEntries(BROKER_DEFS.map((d) => [d.name, d]));

/** A broker value in the topic's unit: times `scale` (hours → ms), negative meaning "never" (-1). */
export function scaleSynonymValue(value: string, scale: number | undefined): string {
  if (scale === undefined || !/^-?\d+$/.test(value)) return value;
  const n = BigInt(value);
  return n < 0n ? '-1' : String(n * BigInt(scale));
}

/** The default of a topic config: its broker synonyms' (log.retention.hours=168 → retention.ms=604800000). */
function topicDefault(def: TopicConfigInput): string {
  if (def.defaultValue !== undefined) return def.defaultValue;
  for (const s of def.synonyms) {
    const broker = BROKER_LOG_CONFIG_DEFS[s.name];
    if (broker === undefined) throw new Error(`topic config ${def.name}: synonym ${s.name} has no broker-level definition`);
    if (broker.defaultValue !== null) return scaleSynonymValue(broker.defaultValue, s.scale);
  }
  throw new Error(`topic config ${def.name} has no default: neither its own nor a synonym's`);
}

/** Topic-level configs by name, in the order DescribeConfigs lists them. */
export const TOPIC_CONFIG_DEFS: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_DEFS.map((d) => [d.name, { ...d, defaultValue: topicDefault(d) }]));

for (const def of TOPIC_DEFS) {
  for (const s of def.synonyms) {
    if (BROKER_LOG_CONFIG_DEFS[s.name] === undefined) throw new Error(`topic config ${def.name}: synonym ${s.name} has no broker-level definition`);
  }
}
