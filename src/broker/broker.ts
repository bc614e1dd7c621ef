/**
 * Broker: one sluice node — its topics, partitions and configs, and the Kafka request
 * semantics on them (produce, fetch, list offsets, topic and config admin, idempotent producer
 * ids). It knows nothing about sockets or wire encodings: the server's handlers and the
 * embedded client call these methods with plain objects and get plain objects back, so every
 * feature works in both modes. Per-partition and per-topic failures are `errorCode` values in
 * the results; a method throws only for programmer errors (calling a closed broker).
 *
 * Single node: this node is the controller, the leader and the only in-sync replica of every
 * partition, so the high watermark is the log end offset; acks=-1 differs from acks=1 only in
 * waiting for the fdatasync of its batches (unless write.caching), see `produce`.
 *
 * Files in the data directory besides the partition logs (LogManager):
 *   meta.properties            Kafka's: version, node.id, cluster.id (created on first start)
 *   sluice-topics.meta         topic-registry.ts
 *   sluice-producer-ids.meta   producer-id-manager.ts
 *
 * Not implemented yet: transactions (InitProducerId with a transactional id answers
 * INVALID_REQUEST; transactional batches are refused), log compaction (cleanup.policy=compact
 * is stored only), recompression (compression.type other than producer is stored only),
 * dynamic broker configs (broker resources are read-only), replication.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, KafkaError, type ErrorName } from '../errors.js';
import { getDefaultLogger, type Logger } from '../logger.js';
import { native } from '../native.js';
import { LogManager } from '../storage/log-manager.js';
import { configureSegmentHandles, FDS_PER_SEGMENT } from '../storage/handle-cache.js';
import type { LogConfigInput } from '../storage/log-config.js';
import { ProducerIdManager } from './producer-id-manager.js';
import { decodeRecordBatches, encodeRecordBatchTransient, type Record as LogRecord, type RecordInput } from '../records/index.js';
import { loadBrokerConfig, type BrokerConfig, type Listener, type LoadBrokerConfigOptions } from './broker-config.js';
import { ConfigResourceType } from './config-types.js';
import { applyIncrementalOps, describeBrokerConfigs, describeTopicConfigs } from './config-describer.js';
import { FetchWaiters, partitionKey } from './fetch-waiters.js';
import { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache.js';
import { MAX_PARTITIONS_PER_TOPIC, PARTITION_OPEN_CONCURRENCY, PRODUCER_SNAPSHOT_INTERVAL_MS } from '../limits.js';
import { Partition } from './partition.js';
import { appendToPartition, errorResult, storageErrorName } from './produce.js';
import { parseProperties } from './properties-file.js';
import { TOPIC_CONFIG_DEFS, validateTopicConfigs, type TopicConfigs } from './topic-config.js';
import { INTERNAL_TOPICS, TopicRegistry, topicNameError, type TopicMetadata } from './topic-registry.js';
import { randomUuid, ZERO_UUID } from './uuid.js';
import {
  ListOffsetsTimestamp,
  type AlterConfigsResource,
  type AlterConfigsResult,
  type BrokerEndpoint,
  type CreatableTopic,
  type CreatePartitionsResult,
  type CreatePartitionsTopic,
  type CreateTopicResult,
  type DeleteRecordsTopicRequest,
  type DeleteRecordsTopicResult,
  type DeleteTopicResult,
  type DescribeClusterResult,
  type DescribeConfigsResource,
  type DescribeConfigsResult,
  type FetchPartitionResult,
  type FetchMemory,
  type FetchRequest,
  type FetchResult,
  type FetchTopicResult,
  type IncrementalAlterConfigsResource,
  type InitProducerIdRequest,
  type InitProducerIdResult,
  type ListOffsetsPartitionResult,
  type ListOffsetsTopicRequest,
  type ListOffsetsTopicResult,
  type MetadataResult,
  type MetadataTopic,
  type OffsetForLeaderEpochTopicRequest,
  type OffsetForLeaderEpochTopicResult,
  type ProduceOptions,
  type ProducePartitionResult,
  type ProduceTopicData,
  type ProduceTopicResult,
} from './types.js';

export const META_PROPERTIES = 'meta.properties';
const NEVER = Number.MAX_SAFE_INTEGER;

export interface BrokerOptions {
  logger?: Logger;
  /** Retention, checkpoints and producer snapshots on timers (default true). */
  backgroundTasks?: boolean;
}

/** A topic as the broker holds it: its metadata and its open partitions. */
interface TopicState {
  meta: TopicMetadata;
  partitions: Partition[];
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  /** write.caching (topic override, else the broker's): acks=all answered without fdatasync. */
  writeCaching: boolean;
}

function code(name: ErrorName): number {
  return ErrorCode[name];
}

function toMs(value: string | undefined): number {
  if (value === undefined) return NEVER;
  const n = Number(value);
  return Number.isFinite(n) ? Math.min(n, NEVER) : NEVER;
}

/** The currentLeaderEpoch check of Fetch, ListOffsets and OffsetsForLeaderEpoch. */
function epochError(current: number | undefined, leaderEpoch: number): ErrorName | null {
  if (current === undefined || current < 0) return null;
  if (current > leaderEpoch) return 'UNKNOWN_LEADER_EPOCH';
  if (current < leaderEpoch) return 'FENCED_LEADER_EPOCH';
  return null;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The fetch was aborted', 'AbortError');
}

export class Broker {
  readonly config: BrokerConfig;
  readonly clusterId: string;
  private readonly logger: Logger;
  private readonly logManager: LogManager;
  private readonly registry: TopicRegistry;
  private readonly producerIds: ProducerIdManager;
  private readonly topics = new Map<string, TopicState>();
  private readonly waiters = new FetchWaiters();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly topicDeletedListeners: ((topic: string) => void)[] = [];
  private lock: Promise<unknown> = Promise.resolve();
  private snapshotting = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(config: BrokerConfig, clusterId: string, logger: Logger, logManager: LogManager, registry: TopicRegistry, producerIds: ProducerIdManager) {
    this.config = config;
    this.clusterId = clusterId;
    this.logger = logger;
    this.logManager = logManager;
    this.registry = registry;
    this.producerIds = producerIds;
  }

  /**
   * Opens the data directory: meta.properties (cluster id), the topic registry, every partition
   * log (recovering after an unclean stop), leader epochs and producer state.
   */
  static async open(config: BrokerConfig | LoadBrokerConfigOptions = {}, options: BrokerOptions = {}): Promise<Broker> {
    const resolved = 'nodeId' in config ? config : loadBrokerConfig(config);
    const logger = (options.logger ?? getDefaultLogger()).child({ broker: resolved.nodeId });
    const dataDir = resolved.dataDir;
    await fs.promises.mkdir(dataDir, { recursive: true });
    const clusterId = await Broker.loadMetaProperties(dataDir, resolved);
    const registry = TopicRegistry.load(dataDir);
    const background = options.backgroundTasks ?? true;
    // Before any log opens: segments share one handle budget, below the fd limit, so neither
    // the partition count nor a burst of creations can take the fds the listener needs.
    const openSegments = configureSegmentHandles(resolved.maxOpenSegmentFiles);
    logger.info({ openSegments, fdsPerSegment: FDS_PER_SEGMENT }, 'segment handle cache sized');
    const logManager = await LogManager.open(dataDir, {
      defaults: resolved.logDefaults,
      topicConfig: (topic) => registry.get(topic)?.configs as LogConfigInput | undefined,
      logger,
      checkpointIntervalMs: resolved.checkpointIntervalMs,
      recoveryPointFlushIntervalMs: resolved.recoveryPointFlushIntervalMs,
      backgroundTasks: background,
      recoveryThreads: resolved.recoveryThreads,
    });
    const broker = new Broker(resolved, clusterId, logger, logManager, registry, ProducerIdManager.load(dataDir));
    try {
      await broker.loadTopics();
    } catch (err) {
      await logManager.close().catch(() => undefined);
      throw err;
    }
    if (background) broker.startTimers();
    logger.info({ dataDir, topics: broker.topics.size, clusterId }, 'broker started');
    return broker;
  }

  /** Reads or creates Kafka's meta.properties; a mismatch with the config is an error. */
  private static async loadMetaProperties(dataDir: string, config: BrokerConfig): Promise<string> {
    const file = path.join(dataDir, META_PROPERTIES);
    let stored: Map<string, string> | null = null;
    try {
      stored = parseProperties(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (stored !== null) {
      const clusterId = stored.get('cluster.id');
      if (clusterId === undefined) throw new KafkaError('INVALID_CONFIG', `${file} has no cluster.id`);
      if (config.clusterId !== null && config.clusterId !== clusterId) {
        throw new KafkaError('INVALID_CONFIG', `cluster.id ${config.clusterId} does not match ${clusterId} in ${file}`);
      }
      const nodeId = stored.get('node.id') ?? stored.get('broker.id');
      if (nodeId !== undefined && Number(nodeId) !== config.nodeId) {
        throw new KafkaError('INVALID_CONFIG', `node.id ${config.nodeId} does not match ${nodeId} stored in ${file}`);
      }
      return clusterId;
    }
    const clusterId = config.clusterId ?? randomUuid();
    const text = `#\n#${new Date().toString()}\nnode.id=${config.nodeId}\nversion=1\ncluster.id=${clusterId}\n`;
    await native.writeFileAtomic(file, Buffer.from(text));
    return clusterId;
  }

  /**
   * Opens a Partition for every registered topic partition. Logs of a topic whose deletion a
   * crash interrupted are deleted; logs of unknown topics (a partition directory copied in
   * from Kafka, or a data directory from before the registry) are adopted as topics.
   */
  private async loadTopics(): Promise<void> {
    const unclean = !this.logManager.wasCleanShutdown;
    const orphans = new Map<string, number>();
    for (const { topic, partition } of [...this.logManager.allLogs()]) {
      const meta = this.registry.get(topic);
      if (meta !== undefined) {
        if (partition >= meta.partitionCount) this.logger.warn({ topic, partition, partitionCount: meta.partitionCount }, 'ignoring the log of a partition the topic does not have');
        continue;
      }
      if (this.registry.deleting.has(topic)) {
        this.logger.info({ topic, partition }, 'finishing an interrupted topic deletion');
        await this.logManager.deleteLog(topic, partition);
      } else if (topicNameError(topic) === null && this.registry.collidesWith(topic) === null) {
        orphans.set(topic, Math.max(orphans.get(topic) ?? 0, partition + 1));
      } else {
        this.logger.warn({ topic, partition }, 'ignoring a partition directory with an invalid topic name');
      }
    }
    for (const name of [...this.registry.deleting]) await this.registry.deleted(name);
    for (const [name, partitionCount] of orphans) {
      const topicId = this.readPartitionMetadataId(name) ?? randomUuid();
      this.logger.info({ topic: name, partitionCount }, 'adopting existing partition logs as a topic');
      await this.registry.add({ name, topicId, partitionCount, replicationFactor: 1, configs: {}, internal: INTERNAL_TOPICS.has(name), createdMs: Date.now() });
    }
    for (const meta of this.registry.all()) {
      const state = this.newTopicState(meta);
      await this.openPartitions(meta, 0, meta.partitionCount, unclean, state.partitions);
      this.topics.set(meta.name, state);
    }
  }

  private readPartitionMetadataId(topic: string): string | null {
    try {
      const text = fs.readFileSync(path.join(this.config.dataDir, `${topic}-0`, 'partition.metadata'), 'utf8');
      const m = /topic_id:\s*(\S{22})/.exec(text);
      return m === null ? null : m[1]!;
    } catch {
      return null;
    }
  }

  private newTopicState(meta: TopicMetadata): TopicState {
    const state: TopicState = { meta, partitions: [], timestampBeforeMaxMs: NEVER, timestampAfterMaxMs: NEVER, writeCaching: this.config.writeCaching };
    this.refreshTopicLimits(state);
    return state;
  }

  private refreshTopicLimits(state: TopicState): void {
    const props = this.config.properties;
    const c = state.meta.configs;
    // The deprecated difference.max.ms bounds both sides when the new settings are not given.
    const difference = c['message.timestamp.difference.max.ms'] ?? props.get('log.message.timestamp.difference.max.ms');
    state.timestampBeforeMaxMs = toMs(c['message.timestamp.before.max.ms'] ?? props.get('log.message.timestamp.before.max.ms') ?? difference);
    state.timestampAfterMaxMs = toMs(c['message.timestamp.after.max.ms'] ?? props.get('log.message.timestamp.after.max.ms') ?? difference);
    const writeCaching = c['write.caching'];
    state.writeCaching = writeCaching === undefined ? this.config.writeCaching : writeCaching === 'true';
  }

  /**
   * Opens (creating when absent) partitions [from, to) of a topic, PARTITION_OPEN_CONCURRENCY
   * at a time so the fsyncs of their metadata files overlap on the thread pool, and appends
   * them to `into` in order once all are open. On a failure the rest are not started and the
   * first error is thrown; partitions already opened stay in the log manager for the caller
   * to remove.
   */
  private async openPartitions(meta: TopicMetadata, from: number, to: number, uncleanStart: boolean, into: Partition[]): Promise<void> {
    const opened: Partition[] = new Array<Partition>(Math.max(0, to - from));
    let next = from;
    let failure: { err: unknown } | null = null;
    const worker = async (): Promise<void> => {
      while (failure === null && next < to) {
        const i = next++;
        try {
          opened[i - from] = await this.openPartition(meta, i, uncleanStart);
        } catch (err) {
          failure ??= { err };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARTITION_OPEN_CONCURRENCY, to - from) }, worker));
    if (failure !== null) throw (failure as { err: unknown }).err;
    into.push(...opened);
  }

  /** Removes partitions [from, to) of a topic whose creation failed: logs, directories, fds. */
  private async undoCreate(meta: TopicMetadata, from: number, to: number): Promise<void> {
    const partitions: { topic: string; partition: number }[] = [];
    for (let i = from; i < Math.min(to, meta.partitionCount); i++) partitions.push({ topic: meta.name, partition: i });
    await this.logManager.deleteLogs(partitions);
  }

  /** Partitions this node hosts, internal topics included (what max.broker.partitions bounds). */
  get hostedPartitionCount(): number {
    let n = 0;
    for (const state of this.topics.values()) n += state.meta.partitionCount;
    return n;
  }

  /** POLICY_VIOLATION when `adding` more partitions would pass max.broker.partitions. */
  private checkPartitionCap(adding: number): void {
    const current = this.hostedPartitionCount;
    const max = this.config.maxBrokerPartitions;
    if (current + adding > max) {
      throw new KafkaError('POLICY_VIOLATION', `Adding ${adding} partition(s) to the ${current} this broker hosts would exceed max.broker.partitions (${max}).`);
    }
  }

  private async openPartition(meta: TopicMetadata, index: number, uncleanStart: boolean): Promise<Partition> {
    const log = await this.logManager.getOrCreateLog(meta.name, index, meta.configs as LogConfigInput);
    return Partition.open(meta.name, index, log, { topicId: meta.topicId, uncleanStart, logger: this.logger });
  }

  private startTimers(): void {
    const timer = setInterval(() => {
      this.snapshotProducerState().catch((err: unknown) => this.logger.error({ err }, 'producer state snapshot failed'));
    }, PRODUCER_SNAPSHOT_INTERVAL_MS);
    timer.unref();
    this.timers.push(timer);
  }

  /** Expires idle producer ids and snapshots producer state where the log moved. */
  async snapshotProducerState(): Promise<void> {
    if (this.snapshotting) return;
    this.snapshotting = true;
    try {
      const now = Date.now();
      for (const state of [...this.topics.values()]) {
        for (const p of state.partitions) {
          if (this.closed) return;
          p.producers.expire(now, this.config.producerIdExpirationMs);
          try {
            await p.producers.takeSnapshot(p.logEndOffset, true);
          } catch (err) {
            if (this.topics.get(state.meta.name) === state) throw err; // else: deleted meanwhile
          }
        }
      }
    } finally {
      this.snapshotting = false;
    }
  }

  // ------------------------------------------------------------------ identity

  get brokerId(): number {
    return this.config.nodeId;
  }

  get listeners(): readonly Listener[] {
    return this.config.listeners;
  }

  get advertisedListeners(): readonly Listener[] {
    return this.config.advertisedListeners;
  }

  get dataDir(): string {
    return this.config.dataDir;
  }

  /** After the server bound a listener configured with port 0: publish the real port. */
  updateListenerPort(listenerName: string, port: number): void {
    for (const list of [this.config.listeners, this.config.advertisedListeners]) {
      for (const l of list) if (l.name === listenerName && l.port === 0) l.port = port;
    }
  }

  /**
   * Replaces the listeners (and the advertised ones) before a server binds them: the embedded
   * broker opens without a network and is given its listeners by `listen()`.
   */
  setListeners(listeners: Listener[], advertisedListeners: Listener[]): void {
    this.config.listeners = listeners;
    this.config.advertisedListeners = advertisedListeners;
  }

  /** The topic name of a topic id, for handlers of id-based requests. */
  topicName(topicId: string): string | undefined {
    return this.registry.getById(topicId)?.name;
  }

  topicId(name: string): string | undefined {
    return this.registry.get(name)?.topicId;
  }

  /** The number of partitions of `topic`, or -1 when there is no such topic (the producer's per-send lookup). */
  partitionCount(topic: string): number {
    return this.topics.get(topic)?.partitions.length ?? -1;
  }

  /**
   * Makes everything appended to a partition so far durable (fsync, shared with concurrent
   * callers through the log's group commit): the embedded producer's `durable` sends.
   */
  async flushPartition(topic: string, partition: number): Promise<void> {
    this.ensureOpen();
    const p = this.topics.get(topic)?.partitions[partition];
    if (p === undefined) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `unknown partition ${topic}-${partition}`);
    await p.log.flush();
  }

  /** The open partition, for tests and in-process tools. */
  partition(topic: string, index: number): Partition | undefined {
    return this.topics.get(topic)?.partitions[index];
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error('broker is closed');
  }

  /** Runs `fn` after every earlier metadata change finished (topic create/delete/alter). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private endpoints(listenerName?: string): BrokerEndpoint[] {
    const list = this.config.advertisedListeners;
    const l = list.find((x) => x.name === listenerName) ?? list[0]!;
    return [{ nodeId: this.config.nodeId, host: l.host, port: l.port, rack: null }];
  }

  // ------------------------------------------------------------------ Metadata / DescribeCluster

  /**
   * Metadata for `topicNames` (null: every topic). Unknown topics are created when
   * auto.create.topics.enable and `allowAutoTopicCreation` are both on, and returned ready.
   */
  async metadata(topicNames: string[] | null, allowAutoTopicCreation: boolean, options: { listenerName?: string } = {}): Promise<MetadataResult> {
    this.ensureOpen();
    const topics: MetadataTopic[] = [];
    const names = topicNames ?? [...this.topics.keys()];
    for (const name of names) {
      let state = this.topics.get(name);
      // A creation in flight (another request's auto-creation, FindCoordinator's
      // __consumer_offsets) holds the admin lock: wait for it rather than answer
      // UNKNOWN_TOPIC_OR_PARTITION for a topic that exists a moment later.
      if (state === undefined && topicNames !== null) state = await this.exclusive(async () => this.topics.get(name));
      if (state === undefined && topicNames !== null) {
        if (allowAutoTopicCreation && this.config.autoCreateTopicsEnable && !INTERNAL_TOPICS.has(name)) {
          const created = await this.autoCreate(name);
          if (typeof created === 'number') {
            topics.push({ errorCode: created, name, topicId: ZERO_UUID, isInternal: false, partitions: [] });
            continue;
          }
          state = created;
        } else {
          topics.push({ errorCode: code('UNKNOWN_TOPIC_OR_PARTITION'), name, topicId: ZERO_UUID, isInternal: INTERNAL_TOPICS.has(name), partitions: [] });
          continue;
        }
      }
      if (state === undefined) continue;
      topics.push(this.describeTopic(state));
    }
    return { brokers: this.endpoints(options.listenerName), clusterId: this.clusterId, controllerId: this.config.nodeId, topics };
  }

  private describeTopic(state: TopicState): MetadataTopic {
    const id = this.config.nodeId;
    return {
      errorCode: code('NONE'),
      name: state.meta.name,
      topicId: state.meta.topicId,
      isInternal: state.meta.internal,
      partitions: state.partitions.map((p) => ({
        errorCode: code('NONE'),
        partitionIndex: p.index,
        leaderId: id,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: [id],
        isrNodes: [id],
        offlineReplicas: [],
      })),
    };
  }

  describeCluster(options: { listenerName?: string } = {}): DescribeClusterResult {
    this.ensureOpen();
    return { errorCode: code('NONE'), errorMessage: null, clusterId: this.clusterId, controllerId: this.config.nodeId, brokers: this.endpoints(options.listenerName) };
  }

  /** Creates `name` with the broker defaults; an error code when it cannot. */
  private async autoCreate(name: string): Promise<TopicState | number> {
    const nameError = topicNameError(name);
    if (nameError !== null || this.registry.collidesWith(name) !== null) return code('INVALID_TOPIC_EXCEPTION');
    return this.exclusive(async () => {
      const existing = this.topics.get(name);
      if (existing !== undefined) return existing;
      if (this.config.defaultReplicationFactor > 1) return code('INVALID_REPLICATION_FACTOR');
      try {
        return await this.createTopicNow(name, this.config.numPartitions, 1, {}, false);
      } catch (err) {
        this.logger.error({ err, topic: name }, 'auto-creating a topic failed');
        return code(storageErrorName(err));
      }
    });
  }

  /**
   * Registers the topic (durably) and then creates its partition logs, all or nothing: when a
   * partition cannot be created the topic is removed again (registry entry, every partition
   * directory made so far, their fds) and the error is thrown for the caller to answer. The
   * registry entry comes first so a crash half-way leaves a topic whose missing partitions
   * the next start creates, never orphan directories; the removal goes through the registry's
   * "deleting" list, so a crash during it is finished at the next start.
   */
  private async createTopicNow(name: string, partitionCount: number, replicationFactor: number, configs: TopicConfigs, internal: boolean): Promise<TopicState> {
    this.checkPartitionCap(partitionCount);
    const meta: TopicMetadata = { name, topicId: randomUuid(), partitionCount, replicationFactor, configs, internal, createdMs: Date.now() };
    await this.registry.add(meta);
    const state = this.newTopicState(meta);
    try {
      await this.openPartitions(meta, 0, partitionCount, false, state.partitions);
    } catch (err) {
      this.logger.error({ err, topic: name, partitionCount }, 'creating a topic failed; removing what was created');
      try {
        await this.registry.remove(name);
        await this.undoCreate(meta, 0, partitionCount);
        await this.registry.deleted(name);
      } catch (undoErr) {
        this.logger.error({ err: undoErr, topic: name }, 'removing a half-created topic failed; the next start finishes it');
      }
      throw err;
    }
    this.topics.set(name, state);
    this.logger.info({ topic: name, partitions: partitionCount, topicId: meta.topicId }, 'created topic');
    return state;
  }

  // ------------------------------------------------------------------ Produce

  /**
   * Appends each partition's record batches. `acks` is checked (0, 1 or -1; anything else
   * answers INVALID_REQUIRED_ACKS for every partition). acks=-1 (all) resolves only once the
   * appended batches are on disk: the partitions' group commits fdatasync them off the event
   * loop, one fdatasync shared by every produce waiting on the same partition; a failed flush
   * answers KAFKA_STORAGE_ERROR for that partition. With `write.caching` true (broker setting
   * or topic override) acks=-1 is answered from the page cache, as acks=1 always is. With
   * acks=0 the handler sends no response, but the records are appended all the same.
   * `timeoutMs` is not used: nothing but the local disk is waited for.
   */
  async produce(acks: number, timeoutMs: number, topicData: ProduceTopicData[], options: ProduceOptions = {}): Promise<ProduceTopicResult[]> {
    this.ensureOpen();
    void timeoutMs; // nothing to wait for on a single node
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      return topicData.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => errorResult(p.index, 'INVALID_REQUIRED_ACKS', `acks must be 0, 1 or -1, not ${acks}`)) }));
    }
    const allowCreate = (options.allowAutoTopicCreation ?? true) && this.config.autoCreateTopicsEnable;
    const created = new Map<string, number>();
    for (const t of topicData) {
      if (allowCreate && !this.topics.has(t.name) && !created.has(t.name) && !INTERNAL_TOPICS.has(t.name)) {
        const result = await this.autoCreate(t.name);
        if (typeof result === 'number') created.set(t.name, result);
      }
    }
    // From here to the end nothing awaits: lookups and appends see one consistent state.
    const transactionalId = options.transactionalId ?? null;
    const nowMs = Date.now();
    const results: ProduceTopicResult[] = [];
    /** Results of acks=-1 appends that wait for their partition's flush. */
    const durable: { result: ProducePartitionResult; log: Partition['log'] }[] = [];
    for (const t of topicData) {
      const state = this.topics.get(t.name);
      const partitions = t.partitions.map((p) => {
        const partition = state?.partitions[p.index];
        if (state === undefined || partition === undefined) {
          const err = created.get(t.name);
          return errorResult(p.index, err === code('INVALID_TOPIC_EXCEPTION') ? 'INVALID_TOPIC_EXCEPTION' : 'UNKNOWN_TOPIC_OR_PARTITION', `unknown topic or partition ${t.name}-${p.index}`);
        }
        // Only coordinators write to internal topics (Kafka: internalTopicsAllowed is for admin requests).
        if (state.meta.internal) return errorResult(p.index, 'INVALID_TOPIC_EXCEPTION', `Cannot append to internal topic ${t.name}`);
        const outcome = appendToPartition(partition, p.index, p.records, {
          transactionalId,
          timestampBeforeMaxMs: state.timestampBeforeMaxMs,
          timestampAfterMaxMs: state.timestampAfterMaxMs,
          nowMs,
        });
        if (outcome.appendedBytes > 0) {
          this.waiters.appended(partitionKey(t.name, p.index), outcome.appendedBytes);
          if (acks === -1 && !state.writeCaching) durable.push({ result: outcome.result, log: partition.log });
        }
        const failure = outcome.result.errorCode;
        if (failure === code('KAFKA_STORAGE_ERROR') || failure === code('UNKNOWN_SERVER_ERROR')) {
          this.logger.error({ topic: t.name, partition: p.index, errorCode: failure, reason: outcome.result.errorMessage }, 'append failed');
        }
        return outcome.result;
      });
      results.push({ name: t.name, partitions });
    }
    if (durable.length > 0) await this.flushAcked(durable);
    return results;
  }

  /** Waits for each partition's flush (one group-commit request per partition) and fails the results whose flush failed. */
  private async flushAcked(durable: { result: ProducePartitionResult; log: Partition['log'] }[]): Promise<void> {
    const flushes = new Map<Partition['log'], Promise<unknown>>();
    for (const { log } of durable) {
      if (!flushes.has(log)) flushes.set(log, log.flush().then(() => null, (err: unknown) => err));
    }
    for (const { result, log } of durable) {
      const err = await flushes.get(log)!;
      if (err === null) continue;
      this.logger.error({ err, log: log.dir }, 'flush for acks=all failed');
      result.errorCode = code('KAFKA_STORAGE_ERROR');
      result.errorMessage = `flush failed: ${(err as Error).message}`;
      result.baseOffset = -1n;
    }
  }

  // ------------------------------------------------------------------ internal topics

  /**
   * Appends `records` as one batch to a partition of an internal topic, for its coordinator.
   * Synchronous, like a produce append: when it returns the records are in the log, not yet
   * fsync'd. Unlike a client's acks=all produce, coordinator writes do not wait for fdatasync
   * (the coordinator's state transitions are synchronous, and Kafka's coordinators do not fsync
   * either): the background flush (log.recovery.point.flush.interval.ms) makes them durable
   * within about a second. A kill -9 loses none of them (page cache); a power cut can lose the
   * last second of commits, so consumers re-read from an older committed offset (at-least-once
   * holds). Failures are an error code, never a throw.
   */
  appendInternal(topic: string, partition: number, records: RecordInput[], nowMs = Date.now()): { errorCode: number; errorMessage: string | null; baseOffset: bigint } {
    this.ensureOpen();
    if (!INTERNAL_TOPICS.has(topic)) throw new Error(`${topic} is not an internal topic`);
    const state = this.topics.get(topic);
    const p = state?.partitions[partition];
    if (state === undefined || p === undefined) return { errorCode: code('UNKNOWN_TOPIC_OR_PARTITION'), errorMessage: `unknown partition ${topic}-${partition}`, baseOffset: -1n };
    // The transient encoder's buffer is safe here: appendToPartition pwrite()s the bytes before returning and keeps none.
    const outcome = appendToPartition(p, partition, encodeRecordBatchTransient(records, { now: nowMs }), {
      transactionalId: null,
      timestampBeforeMaxMs: NEVER,
      timestampAfterMaxMs: NEVER,
      nowMs,
    });
    if (outcome.appendedBytes > 0) this.waiters.appended(partitionKey(topic, partition), outcome.appendedBytes);
    const { errorCode, errorMessage, baseOffset } = outcome.result;
    if (errorCode !== code('NONE')) this.logger.error({ topic, partition, errorCode, reason: errorMessage }, 'internal append failed');
    return { errorCode, errorMessage, baseOffset };
  }

  /**
   * Records of a partition from `offset` on (up to about `maxBytes` of batches, at least one),
   * and the offset to read next; for coordinators loading their state. Throws on I/O errors
   * and corrupt batches.
   */
  readInternal(topic: string, partition: number, offset: bigint, maxBytes: number): { records: LogRecord[]; nextOffset: bigint } {
    this.ensureOpen();
    const p = this.topics.get(topic)?.partitions[partition];
    if (p === undefined) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `unknown partition ${topic}-${partition}`);
    const from = offset < p.logStartOffset ? p.logStartOffset : offset;
    const bytes = p.log.readSync(from, maxBytes, { maxOffset: p.highWatermark, minOneBatch: true });
    const records: LogRecord[] = [];
    let nextOffset = from;
    for (const batch of decodeRecordBatches(bytes, { verifyCrc: false })) {
      nextOffset = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
      if (batch.header.isControl) continue;
      for (const r of batch.records) if (r.offset >= from) records.push(r);
    }
    return { records, nextOffset };
  }

  /** The log end offset of a partition, or -1 when there is no such partition. */
  logEndOffset(topic: string, partition: number): bigint {
    return this.topics.get(topic)?.partitions[partition]?.logEndOffset ?? -1n;
  }

  /** Whether `topic` has a partition `partition` (what Kafka's metadata cache `contains` answers). */
  hasPartition(topic: string, partition: number): boolean {
    const state = this.topics.get(topic);
    return state !== undefined && partition >= 0 && partition < state.partitions.length;
  }

  /** Calls `listener(topic)` after each topic deletion (coordinators drop what they hold for it). */
  onTopicDeleted(listener: (topic: string) => void): void {
    this.topicDeletedListeners.push(listener);
  }

  // ------------------------------------------------------------------ Fetch

  /**
   * Reads from each requested partition, Kafka's way: up to partitionMaxBytes per partition and
   * maxBytes (capped by fetch.max.bytes) overall, but the first partition with data returns at
   * least one whole batch even if larger (KIP-74). If fewer than minBytes are available and no
   * partition has an error, waits (event-driven) until enough are appended or maxWaitMs
   * passes, then reads again. Aborting `signal` rejects with its reason. `memory` bounds each
   * read further (see FetchMemory): with no room left a partition answers without records.
   */
  async fetch(request: FetchRequest, signal?: AbortSignal, memory?: FetchMemory): Promise<FetchResult> {
    this.ensureOpen();
    if (signal?.aborted === true) throw abortError(signal);
    const maxBytes = Math.max(0, Math.min(request.maxBytes, this.config.fetchMaxBytes));
    const first = this.readFetch(request, maxBytes, memory);
    if (request.maxWaitMs <= 0 || first.bytes >= request.minBytes || first.anyError || first.keys.size === 0) return first.result;
    const waiting = this.waiters.wait(first.keys, first.bytes, request.minBytes, request.maxWaitMs, signal);
    if (waiting === null) return first.result;
    const reason = await waiting;
    if (reason === 'aborted') throw abortError(signal!);
    if (this.closed) return first.result;
    return this.readFetch(request, maxBytes, memory).result;
  }

  private readFetch(request: FetchRequest, maxBytes: number, memory: FetchMemory | undefined): { result: FetchResult; bytes: number; anyError: boolean; keys: Map<string, number> } {
    let remaining = maxBytes;
    let minOneBatch = true;
    let bytes = 0;
    let anyError = false;
    const keys = new Map<string, number>();
    const topics: FetchTopicResult[] = [];
    for (const t of request.topics) {
      const byId = t.topicId !== undefined && t.topicId !== null && t.topicId !== ZERO_UUID;
      const meta = byId ? this.registry.getById(t.topicId!) : this.registry.get(t.name ?? '');
      const state = meta === undefined ? undefined : this.topics.get(meta.name);
      const unknown: ErrorName = byId ? 'UNKNOWN_TOPIC_ID' : 'UNKNOWN_TOPIC_OR_PARTITION';
      const partitions: FetchPartitionResult[] = t.partitions.map((p) => {
        const failed = (name: ErrorName): FetchPartitionResult => {
          anyError = true;
          return { partitionIndex: p.partition, errorCode: code(name), highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, preferredReadReplica: -1, records: Buffer.alloc(0) };
        };
        const partition = state?.partitions[p.partition];
        if (state === undefined || partition === undefined) return failed(state === undefined ? unknown : 'UNKNOWN_TOPIC_OR_PARTITION');
        const fenced = epochError(p.currentLeaderEpoch, partition.leaderEpoch);
        if (fenced !== null) return failed(fenced);
        const hw = partition.highWatermark;
        if (p.fetchOffset < partition.logStartOffset || p.fetchOffset > partition.logEndOffset) return failed('OFFSET_OUT_OF_RANGE');
        keys.set(partitionKey(state.meta.name, p.partition), Math.max(0, p.partitionMaxBytes));
        const room = memory === undefined ? Infinity : memory.room();
        const limit = Math.min(Math.max(0, p.partitionMaxBytes), remaining, Math.max(0, room));
        let records: Buffer = Buffer.alloc(0);
        if (limit > 0 || (minOneBatch && room > 0)) {
          try {
            const maxOffset = request.isolationLevel === 1 ? partition.lastStableOffset : hw;
            records = partition.log.readSync(p.fetchOffset, limit, { maxOffset, minOneBatch });
            memory?.take(records.length);
          } catch (err) {
            this.logger.error({ err, topic: state.meta.name, partition: p.partition }, 'fetch read failed');
            return failed(storageErrorName(err));
          }
        }
        if (records.length > 0) minOneBatch = false;
        remaining = Math.max(0, remaining - records.length);
        bytes += records.length;
        return {
          partitionIndex: p.partition,
          errorCode: code('NONE'),
          highWatermark: hw,
          lastStableOffset: partition.lastStableOffset,
          logStartOffset: partition.logStartOffset,
          abortedTransactions: request.isolationLevel === 1 ? [] : null,
          preferredReadReplica: -1,
          records,
        };
      });
      topics.push({ name: meta?.name ?? t.name ?? '', topicId: meta?.topicId ?? t.topicId ?? ZERO_UUID, partitions });
    }
    return { result: { errorCode: code('NONE'), topics }, bytes, anyError, keys };
  }

  // ------------------------------------------------------------------ ListOffsets

  /**
   * Offsets by timestamp: -1 latest (the high watermark), -2 earliest (log start), -3 the
   * record with the largest timestamp (KIP-734), -4 earliest local (= earliest), -5 latest
   * tiered (none: offset -1), >= 0 the first record with a timestamp at or after it (offset -1
   * when there is none).
   */
  async listOffsets(isolationLevel: number, topics: ListOffsetsTopicRequest[]): Promise<ListOffsetsTopicResult[]> {
    this.ensureOpen();
    const out: ListOffsetsTopicResult[] = [];
    for (const t of topics) {
      const state = this.topics.get(t.name);
      const partitions: ListOffsetsPartitionResult[] = [];
      for (const p of t.partitions) {
        const failed = (name: ErrorName): ListOffsetsPartitionResult => ({ partitionIndex: p.partition, errorCode: code(name), timestamp: -1n, offset: -1n, leaderEpoch: -1 });
        const partition = state?.partitions[p.partition];
        if (partition === undefined) {
          partitions.push(failed('UNKNOWN_TOPIC_OR_PARTITION'));
          continue;
        }
        const fenced = epochError(p.currentLeaderEpoch, partition.leaderEpoch);
        if (fenced !== null) {
          partitions.push(failed(fenced));
          continue;
        }
        try {
          partitions.push({ partitionIndex: p.partition, errorCode: code('NONE'), ...(await this.offsetFor(partition, p.timestamp, isolationLevel)) });
        } catch (err) {
          this.logger.error({ err, topic: t.name, partition: p.partition }, 'list offsets failed');
          partitions.push(failed(storageErrorName(err)));
        }
      }
      out.push({ name: t.name, partitions });
    }
    return out;
  }

  private async offsetFor(partition: Partition, timestamp: bigint, isolationLevel: number): Promise<{ timestamp: bigint; offset: bigint; leaderEpoch: number }> {
    const none = { timestamp: -1n, offset: -1n, leaderEpoch: -1 };
    switch (timestamp) {
      case ListOffsetsTimestamp.LATEST: {
        const offset = isolationLevel === 1 ? partition.lastStableOffset : partition.highWatermark;
        return { timestamp: -1n, offset, leaderEpoch: partition.leaderEpoch };
      }
      case ListOffsetsTimestamp.EARLIEST:
      case ListOffsetsTimestamp.EARLIEST_LOCAL:
        return { timestamp: -1n, offset: partition.logStartOffset, leaderEpoch: partition.epochs.epochForOffset(partition.logStartOffset) };
      case ListOffsetsTimestamp.LATEST_TIERED:
        return none;
      case ListOffsetsTimestamp.MAX_TIMESTAMP: {
        const max = partition.log.maxTimestampAndOffset();
        if (max === null) return none;
        return { timestamp: BigInt(max.timestamp), offset: max.offset, leaderEpoch: partition.epochs.epochForOffset(max.offset) };
      }
      default: {
        const offset = await partition.log.offsetForTimestamp(timestamp);
        if (offset === null || offset >= partition.highWatermark) return none;
        const record = partition.log.readRecordsSync(offset, 1)[0];
        return { timestamp: BigInt(record?.timestamp ?? -1), offset, leaderEpoch: partition.epochs.epochForOffset(offset) };
      }
    }
  }

  // ------------------------------------------------------------------ OffsetForLeaderEpoch

  /** The end offset of each requested leader epoch (Kafka's LeaderEpochFileCache.endOffsetFor). */
  offsetForLeaderEpoch(topics: OffsetForLeaderEpochTopicRequest[]): OffsetForLeaderEpochTopicResult[] {
    this.ensureOpen();
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const failed = (name: ErrorName) => ({ partition: p.partition, errorCode: code(name), leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET });
        const partition = this.topics.get(t.name)?.partitions[p.partition];
        if (partition === undefined) return failed('UNKNOWN_TOPIC_OR_PARTITION');
        const fenced = epochError(p.currentLeaderEpoch, partition.leaderEpoch);
        if (fenced !== null) return failed(fenced);
        const { epoch, endOffset } = partition.epochs.endOffsetFor(p.leaderEpoch, partition.logEndOffset);
        return { partition: p.partition, errorCode: code('NONE'), leaderEpoch: epoch, endOffset };
      }),
    }));
  }

  // ------------------------------------------------------------------ DeleteRecords

  /** Raises each partition's log start offset (-1: to the high watermark); answers the new one. */
  async deleteRecords(topics: DeleteRecordsTopicRequest[]): Promise<DeleteRecordsTopicResult[]> {
    this.ensureOpen();
    const out: DeleteRecordsTopicResult[] = [];
    for (const t of topics) {
      const partitions = [];
      for (const p of t.partitions) {
        const partition = this.topics.get(t.name)?.partitions[p.partition];
        if (partition === undefined) {
          partitions.push({ partitionIndex: p.partition, lowWatermark: -1n, errorCode: code('UNKNOWN_TOPIC_OR_PARTITION') });
          continue;
        }
        const target = p.offset === -1n ? partition.highWatermark : p.offset;
        if (target < 0n || target > partition.highWatermark) {
          partitions.push({ partitionIndex: p.partition, lowWatermark: -1n, errorCode: code('OFFSET_OUT_OF_RANGE') });
          continue;
        }
        try {
          const lowWatermark = await partition.log.deleteRecordsBefore(target);
          await partition.epochs.truncateFromStart(lowWatermark);
          this.waiters.changed(partitionKey(t.name, p.partition));
          partitions.push({ partitionIndex: p.partition, lowWatermark, errorCode: code('NONE') });
        } catch (err) {
          partitions.push({ partitionIndex: p.partition, lowWatermark: -1n, errorCode: code(storageErrorName(err)) });
        }
      }
      out.push({ name: t.name, partitions });
    }
    return out;
  }

  // ------------------------------------------------------------------ CreateTopics

  async createTopics(topics: CreatableTopic[], validateOnly: boolean): Promise<CreateTopicResult[]> {
    this.ensureOpen();
    const counts = new Map<string, number>();
    for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    return this.exclusive(async () => {
      const out: CreateTopicResult[] = [];
      for (const t of topics) {
        const fail = (name: ErrorName, message: string): CreateTopicResult => ({ name: t.name, topicId: ZERO_UUID, errorCode: code(name), errorMessage: message, numPartitions: -1, replicationFactor: -1, configs: [] });
        if (counts.get(t.name)! > 1) {
          out.push(fail('INVALID_REQUEST', `Create topics request contains multiple entries for topic ${t.name}`));
          continue;
        }
        try {
          out.push(await this.createOne(t, validateOnly));
        } catch (err) {
          if (err instanceof KafkaError) out.push(fail(err.errorName, err.message));
          else {
            this.logger.error({ err, topic: t.name }, 'create topic failed');
            out.push(fail(storageErrorName(err), (err as Error).message));
          }
        }
      }
      return out;
    });
  }

  private async createOne(t: CreatableTopic, validateOnly: boolean): Promise<CreateTopicResult> {
    const nameError = topicNameError(t.name);
    if (nameError !== null) throw new KafkaError('INVALID_TOPIC_EXCEPTION', nameError);
    if (this.topics.has(t.name)) throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${t.name}' already exists.`);
    if (INTERNAL_TOPICS.has(t.name)) throw new KafkaError('INVALID_REQUEST', `Creation of internal topic ${t.name} is reserved for its coordinator.`);
    const collision = this.registry.collidesWith(t.name);
    if (collision !== null) throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Topic '${t.name}' collides with existing topic: ${collision}`);
    const assignments = t.assignments ?? [];
    let partitionCount: number;
    let replicationFactor: number;
    if (assignments.length > 0) {
      if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
        throw new KafkaError('INVALID_REQUEST', 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      const sorted = [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      sorted.forEach((a, i) => {
        if (a.partitionIndex !== i) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'Partitions should be a consecutive 0-based integer sequence');
      });
      for (const a of assignments) this.checkAssignment(a.brokerIds);
      partitionCount = assignments.length;
      replicationFactor = assignments[0]!.brokerIds.length;
    } else {
      partitionCount = t.numPartitions === -1 ? this.config.numPartitions : t.numPartitions;
      replicationFactor = t.replicationFactor === -1 ? this.config.defaultReplicationFactor : t.replicationFactor;
      if (partitionCount <= 0) throw new KafkaError('INVALID_PARTITIONS', 'Number of partitions was set to an invalid non-positive value.');
      if (replicationFactor <= 0) throw new KafkaError('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0, or -1 to use the default value.');
      if (replicationFactor > 1) {
        throw new KafkaError('INVALID_REPLICATION_FACTOR', `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only 1 broker(s) are registered.`);
      }
    }
    if (partitionCount > MAX_PARTITIONS_PER_TOPIC) throw new KafkaError('INVALID_PARTITIONS', `Number of partitions ${partitionCount} exceeds the limit of ${MAX_PARTITIONS_PER_TOPIC}`);
    const raw: TopicConfigs = {};
    for (const c of t.configs ?? []) {
      if (c.name in raw) throw new KafkaError('INVALID_REQUEST', `Duplicate config ${c.name}`);
      if (c.value === null) throw new KafkaError('INVALID_CONFIG', `Null value not supported for topic configs: ${c.name}`);
      raw[c.name] = c.value;
    }
    const configs = validateTopicConfigs(raw);
    this.checkPartitionCap(partitionCount);
    let topicId = ZERO_UUID;
    if (!validateOnly) topicId = (await this.createTopicNow(t.name, partitionCount, replicationFactor, configs, false)).meta.topicId;
    return {
      name: t.name,
      topicId,
      errorCode: code('NONE'),
      errorMessage: null,
      numPartitions: partitionCount,
      replicationFactor,
      configs: describeTopicConfigs(configs, this.config.properties, null, false, false).map((e) => ({ name: e.name, value: e.value, readOnly: e.readOnly, configSource: e.configSource, isSensitive: e.isSensitive })),
    };
  }

  private checkAssignment(brokerIds: number[]): void {
    if (brokerIds.length === 0) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'A partition needs at least one replica');
    if (new Set(brokerIds).size !== brokerIds.length) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Duplicate brokers in replica assignment ${brokerIds.join(',')}`);
    for (const id of brokerIds) {
      if (id !== this.config.nodeId) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Unknown broker ${id} in replica assignment (only ${this.config.nodeId} is registered)`);
    }
  }

  /**
   * Creates an internal topic (`__consumer_offsets`, `__transaction_state`) for a coordinator;
   * returns the existing one when present.
   */
  async ensureInternalTopic(name: string, partitionCount: number, configs: TopicConfigs = {}): Promise<{ topicId: string; partitionCount: number }> {
    this.ensureOpen();
    if (!INTERNAL_TOPICS.has(name)) throw new Error(`${name} is not an internal topic`);
    const state = await this.exclusive(async () => this.topics.get(name) ?? (await this.createTopicNow(name, partitionCount, 1, validateTopicConfigs(configs), true)));
    return { topicId: state.meta.topicId, partitionCount: state.meta.partitionCount };
  }

  // ------------------------------------------------------------------ DeleteTopics

  /** Deletes topics by name or by id: metadata first (durably), then the partition logs. */
  async deleteTopics(topics: ({ name?: string | null; topicId?: string | null } | string)[]): Promise<DeleteTopicResult[]> {
    this.ensureOpen();
    return this.exclusive(async () => {
      const out: DeleteTopicResult[] = [];
      for (const entry of topics) {
        const req = typeof entry === 'string' ? { name: entry, topicId: null } : entry;
        const byId = req.topicId !== undefined && req.topicId !== null && req.topicId !== ZERO_UUID;
        const meta = byId ? this.registry.getById(req.topicId!) : this.registry.get(req.name ?? '');
        if (meta === undefined) {
          out.push({ name: req.name ?? null, topicId: req.topicId ?? ZERO_UUID, errorCode: code(byId ? 'UNKNOWN_TOPIC_ID' : 'UNKNOWN_TOPIC_OR_PARTITION'), errorMessage: 'This server does not host this topic.' });
          continue;
        }
        if (!this.config.deleteTopicEnable) {
          out.push({ name: meta.name, topicId: meta.topicId, errorCode: code('TOPIC_DELETION_DISABLED'), errorMessage: 'Topic deletion is disabled.' });
          continue;
        }
        if (meta.internal) {
          out.push({ name: meta.name, topicId: meta.topicId, errorCode: code('INVALID_REQUEST'), errorMessage: `Internal topic ${meta.name} cannot be deleted.` });
          continue;
        }
        try {
          await this.deleteTopicNow(meta);
          out.push({ name: meta.name, topicId: meta.topicId, errorCode: code('NONE'), errorMessage: null });
        } catch (err) {
          this.logger.error({ err, topic: meta.name }, 'delete topic failed');
          out.push({ name: meta.name, topicId: meta.topicId, errorCode: code(storageErrorName(err)), errorMessage: (err as Error).message });
        }
      }
      return out;
    });
  }

  private async deleteTopicNow(meta: TopicMetadata): Promise<void> {
    this.topics.delete(meta.name);
    await this.registry.remove(meta.name);
    for (let i = 0; i < meta.partitionCount; i++) this.waiters.changed(partitionKey(meta.name, i));
    await this.undoCreate(meta, 0, meta.partitionCount);
    await this.registry.deleted(meta.name);
    this.logger.info({ topic: meta.name, topicId: meta.topicId }, 'deleted topic');
    for (const listener of this.topicDeletedListeners) {
      try {
        listener(meta.name);
      } catch (err) {
        this.logger.error({ err, topic: meta.name }, 'topic deletion listener failed');
      }
    }
  }

  // ------------------------------------------------------------------ CreatePartitions

  async createPartitions(topics: CreatePartitionsTopic[], validateOnly: boolean): Promise<CreatePartitionsResult[]> {
    this.ensureOpen();
    const counts = new Map<string, number>();
    for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    return this.exclusive(async () => {
      const out: CreatePartitionsResult[] = [];
      for (const t of topics) {
        const fail = (name: ErrorName, message: string): CreatePartitionsResult => ({ name: t.name, errorCode: code(name), errorMessage: message });
        if (counts.get(t.name)! > 1) {
          out.push(fail('INVALID_REQUEST', `Duplicate topic ${t.name} in request`));
          continue;
        }
        const state = this.topics.get(t.name);
        if (state === undefined) {
          out.push(fail('UNKNOWN_TOPIC_OR_PARTITION', `The topic '${t.name}' does not exist.`));
          continue;
        }
        const current = state.meta.partitionCount;
        if (t.count < current) {
          out.push(fail('INVALID_PARTITIONS', `The topic ${t.name} currently has ${current} partition(s); ${t.count} would not be an increase.`));
          continue;
        }
        if (t.count === current) {
          out.push(fail('INVALID_PARTITIONS', `Topic already has ${current} partition(s).`));
          continue;
        }
        if (t.count > MAX_PARTITIONS_PER_TOPIC) {
          out.push(fail('INVALID_PARTITIONS', `Number of partitions ${t.count} exceeds the limit of ${MAX_PARTITIONS_PER_TOPIC}`));
          continue;
        }
        try {
          if (t.assignments !== undefined && t.assignments !== null) {
            if (t.assignments.length !== t.count - current) {
              throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Attempted to add ${t.count - current} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`);
            }
            for (const a of t.assignments) this.checkAssignment(a.brokerIds);
          }
          this.checkPartitionCap(t.count - current);
          if (!validateOnly) await this.addPartitions(state, t.count);
          out.push({ name: t.name, errorCode: code('NONE'), errorMessage: null });
        } catch (err) {
          if (err instanceof KafkaError) out.push(fail(err.errorName, err.message));
          else out.push(fail(storageErrorName(err), (err as Error).message));
        }
      }
      return out;
    });
  }

  /**
   * Grows a topic to `count` partitions, all or nothing: when one cannot be created, the ones
   * created are removed and the registry keeps the old count.
   */
  private async addPartitions(state: TopicState, count: number): Promise<void> {
    const current = state.meta.partitionCount;
    await this.registry.update(state.meta.name, { partitionCount: count });
    try {
      await this.openPartitions(state.meta, current, count, false, state.partitions);
    } catch (err) {
      this.logger.error({ err, topic: state.meta.name, from: current, to: count }, 'adding partitions failed; removing what was created');
      await this.registry.update(state.meta.name, { partitionCount: current }).catch(() => undefined);
      await this.undoCreate({ ...state.meta, partitionCount: count }, current, count).catch((undoErr: unknown) => {
        this.logger.error({ err: undoErr, topic: state.meta.name }, 'removing half-created partitions failed');
      });
      throw err;
    }
  }

  // ------------------------------------------------------------------ configs

  /** DescribeConfigs for topics (2) and this broker (4). */
  describeConfigs(resources: DescribeConfigsResource[], includeSynonyms: boolean, includeDocumentation: boolean): DescribeConfigsResult[] {
    this.ensureOpen();
    return resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const fail = (name: ErrorName, message: string): DescribeConfigsResult => ({ ...base, errorCode: code(name), errorMessage: message, configs: [] });
      if (r.resourceType === ConfigResourceType.TOPIC) {
        const state = this.topics.get(r.resourceName);
        if (state === undefined) return fail('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${r.resourceName} does not exist`);
        return { ...base, errorCode: code('NONE'), errorMessage: null, configs: describeTopicConfigs(state.meta.configs, this.config.properties, r.configurationKeys, includeSynonyms, includeDocumentation) };
      }
      if (r.resourceType === ConfigResourceType.BROKER) {
        if (r.resourceName === '') return { ...base, errorCode: code('NONE'), errorMessage: null, configs: [] }; // no dynamic cluster defaults
        if (r.resourceName !== String(this.config.nodeId)) return fail('INVALID_REQUEST', `Unexpected broker id, expected ${this.config.nodeId} but received ${r.resourceName}`);
        return { ...base, errorCode: code('NONE'), errorMessage: null, configs: describeBrokerConfigs(this.config.properties, r.configurationKeys, includeSynonyms, includeDocumentation) };
      }
      return fail('INVALID_REQUEST', `Unsupported resource type ${r.resourceType}`);
    });
  }

  /** AlterConfigs: replaces all of a topic's overrides with the given set. */
  alterConfigs(resources: AlterConfigsResource[], validateOnly: boolean): Promise<AlterConfigsResult[]> {
    return this.alterTopicConfigs(resources, validateOnly, (current, r) => {
      void current;
      const next: TopicConfigs = {};
      for (const c of (r as AlterConfigsResource).configs) {
        if (c.name in next) throw new KafkaError('INVALID_REQUEST', `Duplicate config ${c.name}`);
        if (c.value === null) throw new KafkaError('INVALID_REQUEST', `Null value not supported for : ${c.name}`);
        next[c.name] = c.value;
      }
      return next;
    });
  }

  /** IncrementalAlterConfigs: SET, DELETE, APPEND, SUBTRACT on a topic's overrides. */
  incrementalAlterConfigs(resources: IncrementalAlterConfigsResource[], validateOnly: boolean): Promise<AlterConfigsResult[]> {
    return this.alterTopicConfigs(resources, validateOnly, (current, r) => {
      const ops = (r as IncrementalAlterConfigsResource).configs;
      const seen = new Set<string>();
      for (const op of ops) {
        if (seen.has(op.name)) throw new KafkaError('INVALID_REQUEST', `Error due to duplicate config keys: ${op.name}`);
        seen.add(op.name);
      }
      return applyIncrementalOps(current, ops);
    });
  }

  private async alterTopicConfigs(
    resources: (AlterConfigsResource | IncrementalAlterConfigsResource)[],
    validateOnly: boolean,
    compute: (current: TopicConfigs, resource: AlterConfigsResource | IncrementalAlterConfigsResource) => TopicConfigs,
  ): Promise<AlterConfigsResult[]> {
    this.ensureOpen();
    return this.exclusive(async () => {
      const out: AlterConfigsResult[] = [];
      for (const r of resources) {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        const fail = (name: ErrorName, message: string): AlterConfigsResult => ({ ...base, errorCode: code(name), errorMessage: message });
        if (r.resourceType === ConfigResourceType.BROKER) {
          out.push(fail('INVALID_REQUEST', 'Dynamic broker configs are not supported; edit server.properties and restart'));
          continue;
        }
        if (r.resourceType !== ConfigResourceType.TOPIC) {
          out.push(fail('INVALID_REQUEST', `Unsupported resource type ${r.resourceType}`));
          continue;
        }
        const state = this.topics.get(r.resourceName);
        if (state === undefined) {
          out.push(fail('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${r.resourceName} does not exist`));
          continue;
        }
        try {
          const next = validateTopicConfigs(compute(state.meta.configs, r));
          if (!validateOnly) await this.applyTopicConfigs(state, next);
          out.push({ ...base, errorCode: code('NONE'), errorMessage: null });
        } catch (err) {
          if (err instanceof KafkaError) out.push(fail(err.errorName, err.message));
          else out.push(fail(storageErrorName(err), (err as Error).message));
        }
      }
      return out;
    });
  }

  /** Persists new overrides and applies them to the live logs. */
  private async applyTopicConfigs(state: TopicState, configs: TopicConfigs): Promise<void> {
    await this.registry.update(state.meta.name, { configs });
    const input = { ...this.logManager.defaults, ...configs } as unknown as LogConfigInput;
    for (const p of state.partitions) p.log.updateConfig(input);
    this.refreshTopicLimits(state);
    this.logger.info({ topic: state.meta.name, configs }, 'updated topic configs');
  }

  /** The effective value of one topic config (for tools and tests). */
  topicConfig(topic: string, name: string): string | null {
    const state = this.topics.get(topic);
    if (state === undefined || !TOPIC_CONFIG_DEFS.has(name)) return null;
    return describeTopicConfigs(state.meta.configs, this.config.properties, [name], false, false)[0]?.value ?? null;
  }

  // ------------------------------------------------------------------ InitProducerId

  /**
   * A new producer id with epoch 0 for an idempotent producer (transactionalId null), as Kafka
   * does whatever producerId/epoch the request carries. Transactions are not supported yet: a
   * transactional id answers INVALID_REQUEST.
   */
  async initProducerId(request: InitProducerIdRequest): Promise<InitProducerIdResult> {
    this.ensureOpen();
    if (request.transactionalId !== null) {
      return { errorCode: code('INVALID_REQUEST'), errorMessage: 'Transactions are not supported by this broker yet', producerId: -1n, producerEpoch: -1 };
    }
    try {
      const producerId = await this.producerIds.generate();
      return { errorCode: code('NONE'), errorMessage: null, producerId, producerEpoch: 0 };
    } catch (err) {
      this.logger.error({ err }, 'producer id allocation failed');
      return { errorCode: code('KAFKA_STORAGE_ERROR'), errorMessage: (err as Error).message, producerId: -1n, producerEpoch: -1 };
    }
  }

  // ------------------------------------------------------------------ shutdown

  /**
   * Stops: releases parked fetches, waits for metadata changes in flight, snapshots producer
   * state, then closes every log (flush, clean-shutdown marker).
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.waiters.releaseAll();
    await this.lock.catch(() => undefined);
    // Each snapshot is an fsync'd file: overlapped, a broker of many partitions stops in time.
    const partitions = [...this.topics.values()].flatMap((state) => state.partitions);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < partitions.length) {
        const p = partitions[next++]!;
        try {
          await p.producers.takeSnapshot(p.logEndOffset, true);
        } catch (err) {
          this.logger.error({ err, topic: p.topic, partition: p.index }, 'producer state snapshot at close failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARTITION_OPEN_CONCURRENCY, partitions.length) }, worker));
    await this.logManager.close();
    this.logger.info('broker stopped');
  }
}
