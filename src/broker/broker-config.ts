/**
 * Broker settings under Kafka's names with Kafka's defaults, read from a `server.properties`
 * file and/or an object (the object wins). Unknown keys are kept in `properties` (so
 * DescribeConfigs shows them) and otherwise ignored.
 *
 * Where we differ from Kafka's defaults, on purpose:
 * - `node.id` / `broker.id` default to 0 (Kafka requires node.id in KRaft mode and its
 *   examples use 1; a single sluice node needs nothing).
 * - `listeners` defaults to PLAINTEXT://127.0.0.1:9092 (Kafka: PLAINTEXT://:9092, every
 *   interface) so a development broker is not exposed to the network by accident.
 * - the data directory is `log.dirs` (first entry; JBOD is not supported), else `log.dir`, else
 *   ./data (Kafka: /tmp/kafka-logs); the `dataDir` option (the CLI's --data-dir) wins.
 * - listeners named in `controller.listener.names` are dropped: there is no KRaft quorum here.
 * - `group.initial.rebalance.delay.ms` defaults to 0 (Kafka: 3000): a development broker
 *   should not make every new consumer group wait three seconds for its first generation.
 *
 * Every `log.*` setting (and `message.max.bytes`) becomes a LogManager default, with Kafka's
 * precedence for the unit variants (`log.retention.ms` > `.minutes` > `.hours`, `log.roll.ms` >
 * `log.roll.hours`, `log.flush.interval.ms` > `log.flush.scheduler.interval.ms`).
 */
import fs from 'node:fs';
import os from 'node:os';
import { KafkaError } from '../errors.js';
import { ConfigType, LONG_MAX } from '../config-def.js';
import { BROKER_LOG_CONFIG_DEFS } from '../storage/log-config-defs.js';
import { resolveLogConfig, type LogConfigInput } from '../storage/log-config.js';
import { parseProperties } from './properties-file.js';

export interface Listener {
  /** Listener name, upper case (PLAINTEXT, INTERNAL, …). */
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}

export interface BrokerConfig {
  nodeId: number;
  listeners: Listener[];
  advertisedListeners: Listener[];
  dataDir: string;
  numPartitions: number;
  defaultReplicationFactor: number;
  autoCreateTopicsEnable: boolean;
  deleteTopicEnable: boolean;
  messageMaxBytes: number;
  socketRequestMaxBytes: number;
  connectionsMaxIdleMs: number;
  /** queued.max.request.bytes: request bytes read and not yet handled, broker-wide; ≤ 0 unbounded. */
  queuedMaxRequestBytes: number;
  /** queued.max.response.bytes (ours): response bytes not yet sent, broker-wide; ≤ 0 unbounded. */
  queuedMaxResponseBytes: number;
  /** socket.request.min.bytes.per.second (ours): slowest accepted arrival of a request frame; 0 off. */
  socketRequestMinBytesPerSecond: number;
  /** fetch.max.bytes: the broker's cap on one Fetch response. */
  fetchMaxBytes: number;
  producerIdExpirationMs: number;
  /** cluster.id if configured; else the one in meta.properties (generated on first start). */
  clusterId: string | null;
  recoveryThreads: number;
  checkpointIntervalMs: number;
  /** log.recovery.point.flush.interval.ms (ours): background flush of unflushed appends. */
  recoveryPointFlushIntervalMs: number;
  /** write.caching (ours, as Redpanda's): acks=all answered from the page cache when true. */
  writeCaching: boolean;
  /** max.broker.partitions (KIP-578's name; ours): partitions this node may host, internal topics included. */
  maxBrokerPartitions: number;
  /** max.open.segment.files (ours): fds the segment handle cache may hold; 0 = half of RLIMIT_NOFILE. */
  maxOpenSegmentFiles: number;
  /** group.min.session.timeout.ms / group.max.session.timeout.ms: bounds of a member's session timeout. */
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits for more members. */
  groupInitialRebalanceDelayMs: number;
  /** group.max.size: members one group may hold. */
  groupMaxSize: number;
  /** offsets.topic.num.partitions: partitions of __consumer_offsets (fixed once it exists). */
  offsetsTopicNumPartitions: number;
  /** offsets.topic.segment.bytes: segment.bytes of __consumer_offsets. */
  offsetsTopicSegmentBytes: number;
  /** offsets.retention.minutes, in ms: how long offsets of an empty group are kept. */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms: how often expired offsets are removed. */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes: largest metadata string of a committed offset. */
  offsetMetadataMaxBytes: number;
  /** transaction.state.log.num.partitions: partitions of __transaction_state (fixed once it exists). */
  transactionStateLogNumPartitions: number;
  /** transaction.state.log.replication.factor: kept for Kafka parity; a single node holds one copy. */
  transactionStateLogReplicationFactor: number;
  /** transaction.state.log.segment.bytes: segment.bytes of __transaction_state. */
  transactionStateLogSegmentBytes: number;
  /** transaction.max.timeout.ms: largest transaction.timeout.ms a producer may ask for. */
  transactionMaxTimeoutMs: number;
  /** transactional.id.expiration.ms: an idle transactional id is removed after this long. */
  transactionalIdExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms: how often timed-out transactions are aborted. */
  transactionAbortTimedOutTransactionCleanupIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms: how often expired transactional ids are removed. */
  transactionRemoveExpiredTransactionCleanupIntervalMs: number;
  /** LogManager defaults (Kafka `log.*` names, validated). */
  logDefaults: LogConfigInput;
  /** Every key that was set (file, then object), as strings, Kafka names. */
  properties: Map<string, string>;
}

export interface BrokerConfigDef {
  type: ConfigType;
  /** Kafka's default as Kafka prints it, or null when there is none. */
  defaultValue: string | null;
  doc: string;
  sensitive?: boolean;
}

/** The broker's own settings (not the log layer's). */
const OWN_DEFS: Readonly<Record<string, BrokerConfigDef>> = {
  'node.id': { type: ConfigType.INT, defaultValue: '0', doc: 'The node id of this broker (sluice default 0).' },
  'broker.id': { type: ConfigType.INT, defaultValue: '0', doc: 'Alias of node.id.' },
  listeners: { type: ConfigType.STRING, defaultValue: 'PLAINTEXT://127.0.0.1:9092', doc: 'Comma-separated listener URIs to bind.' },
  'advertised.listeners': { type: ConfigType.STRING, defaultValue: null, doc: 'Listeners published to clients, when different from listeners.' },
  'listener.security.protocol.map': {
    type: ConfigType.STRING,
    defaultValue: 'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT',
    doc: 'Listener name to security protocol.',
  },
  'controller.listener.names': { type: ConfigType.STRING, defaultValue: null, doc: 'Listener names used by the KRaft controller (ignored by sluice).' },
  'num.partitions': { type: ConfigType.INT, defaultValue: '1', doc: 'Default partition count of new topics.' },
  'default.replication.factor': { type: ConfigType.INT, defaultValue: '1', doc: 'Default replication factor of new topics.' },
  'auto.create.topics.enable': { type: ConfigType.BOOLEAN, defaultValue: 'true', doc: 'Create unknown topics on metadata requests.' },
  'delete.topic.enable': { type: ConfigType.BOOLEAN, defaultValue: 'true', doc: 'Allow DeleteTopics.' },
  'socket.request.max.bytes': { type: ConfigType.INT, defaultValue: '104857600', doc: 'Largest request accepted.' },
  'connections.max.idle.ms': { type: ConfigType.LONG, defaultValue: '600000', doc: 'Idle connections are closed after this long.' },
  'queued.max.request.bytes': {
    type: ConfigType.LONG,
    defaultValue: '268435456',
    doc: 'Bytes of requests read but not yet handled, broker-wide, before connections stop being read; -1 unbounded (sluice default 256 MiB; Kafka: -1).',
  },
  'queued.max.response.bytes': {
    type: ConfigType.LONG,
    defaultValue: '268435456',
    doc: 'Bytes of responses not yet handed to the kernel, broker-wide, before connections stop being read and fetches read less; -1 unbounded (sluice only).',
  },
  'socket.request.min.bytes.per.second': {
    type: ConfigType.INT,
    defaultValue: '1024',
    doc: 'A request frame gets 10 s plus 1 s per this many bytes received to arrive whole, else its connection is closed; 0 disables (sluice only).',
  },
  'fetch.max.bytes': { type: ConfigType.INT, defaultValue: '57671680', doc: 'Largest fetch response.' },
  'producer.id.expiration.ms': { type: ConfigType.INT, defaultValue: '86400000', doc: 'Idle producer ids are forgotten after this long.' },
  'max.broker.partitions': {
    type: ConfigType.INT,
    defaultValue: '200000',
    doc: 'Partitions this broker may host, internal topics included; CreateTopics and CreatePartitions past it answer POLICY_VIOLATION (sluice; the name KIP-578 proposed).',
  },
  'cluster.id': { type: ConfigType.STRING, defaultValue: null, doc: 'Cluster id (sluice); else meta.properties.' },
  'group.min.session.timeout.ms': { type: ConfigType.INT, defaultValue: '6000', doc: 'Smallest session timeout a group member may ask for.' },
  'group.max.session.timeout.ms': { type: ConfigType.INT, defaultValue: '1800000', doc: 'Largest session timeout a group member may ask for.' },
  'group.initial.rebalance.delay.ms': {
    type: ConfigType.INT,
    defaultValue: '0',
    doc: 'How long the first rebalance of an empty group waits for more members (sluice default 0).',
  },
  'group.max.size': { type: ConfigType.INT, defaultValue: '2147483647', doc: 'Members one consumer group may hold.' },
  'offsets.topic.num.partitions': { type: ConfigType.INT, defaultValue: '50', doc: 'Partitions of __consumer_offsets (fixed once the topic exists).' },
  'offsets.topic.segment.bytes': { type: ConfigType.INT, defaultValue: '104857600', doc: 'Segment size of __consumer_offsets.' },
  'offsets.retention.minutes': { type: ConfigType.INT, defaultValue: '10080', doc: 'Committed offsets of a group that has been empty this long are deleted.' },
  'offsets.retention.check.interval.ms': { type: ConfigType.LONG, defaultValue: '600000', doc: 'How often expired committed offsets are removed.' },
  'offset.metadata.max.bytes': { type: ConfigType.INT, defaultValue: '4096', doc: 'Largest metadata string of a committed offset.' },
  'transaction.state.log.num.partitions': {
    type: ConfigType.INT,
    defaultValue: '50',
    doc: 'Partitions of __transaction_state (fixed once the topic exists).',
  },
  'transaction.state.log.replication.factor': {
    type: ConfigType.SHORT,
    defaultValue: '3',
    doc: 'Replication factor of __transaction_state (a single sluice node keeps one copy).',
  },
  'transaction.state.log.segment.bytes': { type: ConfigType.INT, defaultValue: '104857600', doc: 'Segment size of __transaction_state.' },
  'transaction.max.timeout.ms': {
    type: ConfigType.INT,
    defaultValue: '900000',
    doc: 'Largest transaction timeout a producer may ask for; InitProducerId above it answers INVALID_TRANSACTION_TIMEOUT.',
  },
  'transactional.id.expiration.ms': {
    type: ConfigType.INT,
    defaultValue: '604800000',
    doc: 'A transactional id with no transaction running and no update for this long is removed.',
  },
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': {
    type: ConfigType.INT,
    defaultValue: '10000',
    doc: 'How often transactions that ran past their timeout are aborted.',
  },
  'transaction.remove.expired.transaction.cleanup.interval.ms': {
    type: ConfigType.INT,
    defaultValue: '3600000',
    doc: 'How often expired transactional ids are removed.',
  },
};

/**
 * The broker settings this node knows, with Kafka's defaults (ours where noted above): the
 * broker's own and the log layer's (storage/log-config-defs.ts: every `log.*` setting and the
 * broker synonyms of topic configs).
 */
export const BROKER_CONFIG_DEFS: Readonly<Record<string, BrokerConfigDef>> = { ...OWN_DEFS, ...BROKER_LOG_CONFIG_DEFS };

export type BrokerConfigInput = Record<string, string | number | boolean | bigint | null | undefined>;

export interface LoadBrokerConfigOptions {
  /** Path of a server.properties file. */
  propertiesFile?: string;
  /** Settings under Kafka names; win over the file. */
  properties?: BrokerConfigInput | Map<string, string>;
  /** Data directory (the CLI's --data-dir); wins over log.dirs / log.dir. */
  dataDir?: string;
}

function invalid(message: string): KafkaError {
  return new KafkaError('INVALID_CONFIG', message);
}

/** Reads settings from a file and/or object and applies Kafka's defaults. Throws INVALID_CONFIG. */
export function loadBrokerConfig(options: LoadBrokerConfigOptions = {}): BrokerConfig {
  const properties = new Map<string, string>();
  if (options.propertiesFile !== undefined) {
    for (const [k, v] of parseProperties(fs.readFileSync(options.propertiesFile, 'utf8'))) properties.set(k, v);
  }
  const input = options.properties instanceof Map ? options.properties : new Map(Object.entries(options.properties ?? {}));
  for (const [k, v] of input) {
    if (v === undefined || v === null) continue;
    properties.set(k, String(v));
  }
  return resolveBrokerConfig(properties, options.dataDir);
}

function value(props: Map<string, string>, name: string): string | null {
  const v = props.get(name);
  if (v !== undefined) return v.trim();
  return BROKER_CONFIG_DEFS[name]?.defaultValue ?? null;
}

function intValue(props: Map<string, string>, name: string, min = Number.MIN_SAFE_INTEGER, max = 0x7fff_ffff): number {
  const raw = value(props, name);
  const n = raw === null ? NaN : Number(raw);
  if (raw === null || !/^-?\d+$/.test(raw) || (!Number.isSafeInteger(n) && raw !== LONG_MAX)) {
    throw invalid(`invalid value ${String(raw)} for ${name}: expected an integer`);
  }
  const clamped = Math.min(n, Number.MAX_SAFE_INTEGER);
  if (clamped < min || clamped > max) throw invalid(`invalid value ${raw} for ${name}: must be in [${min}, ${max}]`);
  return clamped;
}

function boolValue(props: Map<string, string>, name: string): boolean {
  const raw = (value(props, name) ?? '').toLowerCase();
  if (raw !== 'true' && raw !== 'false') throw invalid(`invalid value ${raw} for ${name}: expected true or false`);
  return raw === 'true';
}

const LISTENER = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/;

function parseProtocolMap(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const [name, protocol] = part.split(':');
    if (name === undefined || protocol === undefined) throw invalid(`invalid listener.security.protocol.map entry "${part}"`);
    map.set(name.toUpperCase(), protocol.toUpperCase());
  }
  return map;
}

/** Parses `NAME://host:port,…`. */
export function parseListeners(text: string, protocols: Map<string, string>, setting = 'listeners'): Listener[] {
  const out: Listener[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const m = LISTENER.exec(part);
    if (m === null) throw invalid(`invalid ${setting} entry "${part}": expected NAME://host:port`);
    const name = m[1]!.toUpperCase();
    const port = Number(m[3]);
    if (port > 65535) throw invalid(`invalid port in ${setting} entry "${part}"`);
    const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
    const securityProtocol = protocols.get(name);
    if (securityProtocol === undefined) throw invalid(`listener ${name} in ${setting} has no entry in listener.security.protocol.map`);
    if (out.some((l) => l.name === name)) throw invalid(`listener name ${name} appears twice in ${setting}`);
    out.push({ name, host, port, securityProtocol });
  }
  return out;
}

function resolveBrokerConfig(props: Map<string, string>, dataDirOption: string | undefined): BrokerConfig {
  const brokerId = props.has('broker.id') ? intValue(props, 'broker.id', 0) : null;
  const nodeIdSet = props.has('node.id') ? intValue(props, 'node.id', 0) : null;
  if (brokerId !== null && nodeIdSet !== null && brokerId !== nodeIdSet) {
    throw invalid(`broker.id ${brokerId} and node.id ${nodeIdSet} differ; set one of them`);
  }
  const nodeId = nodeIdSet ?? brokerId ?? 0;

  const protocols = parseProtocolMap(value(props, 'listener.security.protocol.map')!);
  const controllerNames = new Set(
    (value(props, 'controller.listener.names') ?? '')
      .split(',')
      .map((s) => s.trim().toUpperCase())
      .filter((s) => s.length > 0),
  );
  for (const name of controllerNames) if (!protocols.has(name)) protocols.set(name, 'PLAINTEXT');
  const listeners = parseListeners(value(props, 'listeners')!, protocols).filter((l) => !controllerNames.has(l.name));
  if (listeners.length === 0) throw invalid('listeners names no broker listener');
  const advertisedText = value(props, 'advertised.listeners');
  const advertisedGiven = advertisedText === null ? [] : parseListeners(advertisedText, protocols, 'advertised.listeners');
  const advertisedListeners = listeners.map((l) => {
    const given = advertisedGiven.find((a) => a.name === l.name);
    const chosen = given ?? { ...l };
    if (chosen.host === '') chosen.host = os.hostname();
    if (chosen.host === '0.0.0.0' || chosen.host === '::') {
      throw invalid(`listener ${l.name} binds ${chosen.host}; set advertised.listeners to an address clients can reach`);
    }
    return chosen;
  });
  for (const a of advertisedGiven) {
    if (!listeners.some((l) => l.name === a.name)) throw invalid(`advertised listener ${a.name} is not in listeners`);
  }

  const logDirs = props.get('log.dirs');
  const dirs = (logDirs ?? props.get('log.dir') ?? './data')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const dataDir = dataDirOption ?? dirs[0] ?? './data';

  const messageMaxBytes = intValue(props, 'message.max.bytes', 0);
  const logDefaults = logDefaultsFrom(props, messageMaxBytes);
  try {
    resolveLogConfig(logDefaults);
  } catch (err) {
    throw invalid(`invalid log.* setting: ${(err as Error).message}`);
  }

  return {
    nodeId,
    listeners,
    advertisedListeners,
    dataDir,
    numPartitions: intValue(props, 'num.partitions', 1),
    defaultReplicationFactor: intValue(props, 'default.replication.factor', 1, 32767),
    autoCreateTopicsEnable: boolValue(props, 'auto.create.topics.enable'),
    deleteTopicEnable: boolValue(props, 'delete.topic.enable'),
    messageMaxBytes,
    ...socketSettings(props),
    fetchMaxBytes: intValue(props, 'fetch.max.bytes', 1024),
    producerIdExpirationMs: intValue(props, 'producer.id.expiration.ms', 1),
    clusterId: props.get('cluster.id')?.trim() ?? null,
    recoveryThreads: intValue(props, 'num.recovery.threads.per.data.dir', 1),
    checkpointIntervalMs: intValue(props, 'log.flush.offset.checkpoint.interval.ms', 0),
    recoveryPointFlushIntervalMs: intValue(props, 'log.recovery.point.flush.interval.ms', 1, Number.MAX_SAFE_INTEGER),
    writeCaching: boolValue(props, 'write.caching'),
    maxBrokerPartitions: intValue(props, 'max.broker.partitions', 1),
    maxOpenSegmentFiles: intValue(props, 'max.open.segment.files', 0),
    ...groupSettings(props),
    ...transactionSettings(props),
    logDefaults,
    properties: props,
  };
}

/** The network layer's bounds; queued.max.request.bytes must hold one whole request, as Kafka requires. */
function socketSettings(
  props: Map<string, string>,
): Pick<
  BrokerConfig,
  'socketRequestMaxBytes' | 'connectionsMaxIdleMs' | 'queuedMaxRequestBytes' | 'queuedMaxResponseBytes' | 'socketRequestMinBytesPerSecond'
> {
  const socketRequestMaxBytes = intValue(props, 'socket.request.max.bytes', 1);
  const queuedMaxRequestBytes = intValue(props, 'queued.max.request.bytes', -1, Number.MAX_SAFE_INTEGER);
  if (queuedMaxRequestBytes > 0 && queuedMaxRequestBytes < socketRequestMaxBytes) {
    throw invalid(`queued.max.request.bytes ${queuedMaxRequestBytes} must be larger or equal to socket.request.max.bytes ${socketRequestMaxBytes}`);
  }
  return {
    socketRequestMaxBytes,
    connectionsMaxIdleMs: intValue(props, 'connections.max.idle.ms', -1, Number.MAX_SAFE_INTEGER),
    queuedMaxRequestBytes,
    queuedMaxResponseBytes: intValue(props, 'queued.max.response.bytes', -1, Number.MAX_SAFE_INTEGER),
    socketRequestMinBytesPerSecond: intValue(props, 'socket.request.min.bytes.per.second', 0),
  };
}

/** The group coordinator's settings; the session timeout bounds must be in order, as Kafka requires. */
function groupSettings(
  props: Map<string, string>,
): Pick<
  BrokerConfig,
  | 'groupMinSessionTimeoutMs'
  | 'groupMaxSessionTimeoutMs'
  | 'groupInitialRebalanceDelayMs'
  | 'groupMaxSize'
  | 'offsetsTopicNumPartitions'
  | 'offsetsTopicSegmentBytes'
  | 'offsetsRetentionMs'
  | 'offsetsRetentionCheckIntervalMs'
  | 'offsetMetadataMaxBytes'
> {
  const groupMinSessionTimeoutMs = intValue(props, 'group.min.session.timeout.ms', 0);
  const groupMaxSessionTimeoutMs = intValue(props, 'group.max.session.timeout.ms', 0);
  if (groupMaxSessionTimeoutMs < groupMinSessionTimeoutMs) {
    throw invalid(`group.max.session.timeout.ms ${groupMaxSessionTimeoutMs} is below group.min.session.timeout.ms ${groupMinSessionTimeoutMs}`);
  }
  return {
    groupMinSessionTimeoutMs,
    groupMaxSessionTimeoutMs,
    groupInitialRebalanceDelayMs: intValue(props, 'group.initial.rebalance.delay.ms', 0),
    groupMaxSize: intValue(props, 'group.max.size', 1),
    offsetsTopicNumPartitions: intValue(props, 'offsets.topic.num.partitions', 1),
    offsetsTopicSegmentBytes: intValue(props, 'offsets.topic.segment.bytes', 1),
    offsetsRetentionMs: intValue(props, 'offsets.retention.minutes', 1) * 60_000,
    offsetsRetentionCheckIntervalMs: intValue(props, 'offsets.retention.check.interval.ms', 1, Number.MAX_SAFE_INTEGER),
    offsetMetadataMaxBytes: intValue(props, 'offset.metadata.max.bytes', 0),
  };
}

/** The transaction coordinator's settings, with Kafka's lower bounds. */
function transactionSettings(
  props: Map<string, string>,
): Pick<
  BrokerConfig,
  | 'transactionStateLogNumPartitions'
  | 'transactionStateLogReplicationFactor'
  | 'transactionStateLogSegmentBytes'
  | 'transactionMaxTimeoutMs'
  | 'transactionalIdExpirationMs'
  | 'transactionAbortTimedOutTransactionCleanupIntervalMs'
  | 'transactionRemoveExpiredTransactionCleanupIntervalMs'
> {
  return {
    transactionStateLogNumPartitions: intValue(props, 'transaction.state.log.num.partitions', 1),
    transactionStateLogReplicationFactor: intValue(props, 'transaction.state.log.replication.factor', 1, 32767),
    transactionStateLogSegmentBytes: intValue(props, 'transaction.state.log.segment.bytes', 1),
    transactionMaxTimeoutMs: intValue(props, 'transaction.max.timeout.ms', 1),
    transactionalIdExpirationMs: intValue(props, 'transactional.id.expiration.ms', 1),
    transactionAbortTimedOutTransactionCleanupIntervalMs: intValue(props, 'transaction.abort.timed.out.transaction.cleanup.interval.ms', 1),
    transactionRemoveExpiredTransactionCleanupIntervalMs: intValue(props, 'transaction.remove.expired.transaction.cleanup.interval.ms', 1),
  };
}

/** `log.*` settings as LogManager defaults, the unit variants folded into their ms names. */
function logDefaultsFrom(props: Map<string, string>, messageMaxBytes: number): LogConfigInput {
  const out: LogConfigInput = {};
  for (const [k, v] of props) if (k.startsWith('log.')) out[k] = v.trim();
  const ms = (msName: string, variants: [string, number][]): void => {
    if (props.has(msName)) return;
    for (const [name, scale] of variants) {
      const raw = value(props, name);
      if (raw === null) continue;
      const n = intValue(props, name);
      out[msName] = n < 0 ? -1 : n * scale;
      return;
    }
  };
  ms('log.retention.ms', [
    ['log.retention.minutes', 60_000],
    ['log.retention.hours', 3_600_000],
  ]);
  ms('log.roll.ms', [['log.roll.hours', 3_600_000]]);
  ms('log.roll.jitter.ms', [['log.roll.jitter.hours', 3_600_000]]);
  if (!props.has('log.flush.interval.ms')) out['log.flush.interval.ms'] = value(props, 'log.flush.scheduler.interval.ms')!;
  out['message.max.bytes'] = messageMaxBytes;
  delete out['log.dirs'];
  delete out['log.dir'];
  return out;
}
