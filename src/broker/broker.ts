/**
 * Broker: one sluice node, as the server's handlers, the embedded client and the coordinators
 * see it — a facade over the pieces Kafka has too:
 *
 *   replica-manager.ts   partitions, produce, fetch (long-poll), high watermark, durable acks,
 *                        list offsets, leader epochs, delete records, producer-state snapshots
 *   topic-admin.ts       create/delete topics, create partitions, auto-creation, internal topics
 *   config-manager.ts    describe/alter configs of topics and this broker
 *   metadata-cache.ts    Metadata and DescribeCluster answers
 *   meta-properties.ts   cluster and node id in meta.properties
 *
 * It knows nothing about sockets or wire encodings: callers pass plain objects and get plain
 * objects back, so every feature works in both modes. Per-partition and per-topic failures are
 * `errorCode` values in the results; a method throws only for programmer errors (calling a
 * closed broker). What it does itself: checks that it is open, checks acks and auto-creates
 * topics for Produce, hands out producer ids, and runs start and shutdown in order.
 *
 * Single node: this node is the controller, the leader and the only in-sync replica of every
 * partition, so the high watermark is the log end offset; acks=-1 differs from acks=1 only in
 * waiting for the fdatasync of its batches (unless write.caching), see `produce`.
 *
 * Files in the data directory besides the partition logs (LogManager):
 *   meta.properties            meta-properties.ts
 *   sluice-topics.meta         topic-registry.ts
 *   sluice-producer-ids.meta   producer-id-manager.ts
 *
 * Transactions, the partition side (transactions.ts): transactional produces (verified with
 * the transaction coordinator once it calls setTransactionVerifier), COMMIT/ABORT markers
 * (writeTxnMarkers), the last stable offset, read_committed fetches, coordinator-origin
 * transactional appends and DescribeProducers. The coordinator itself is src/txn/; this
 * class's initProducerId serves idempotent producers only.
 *
 * Not implemented yet: log compaction (cleanup.policy=compact is stored only), recompression
 * (compression.type other than producer is stored only), dynamic broker configs (broker
 * resources are read-only), replication.
 */
import fs from 'node:fs';
import { ErrorCode, type ErrorName } from '../errors.js';
import { getDefaultLogger, type Logger } from '../logger.js';
import { LogManager } from '../storage/log-manager.js';
import { configureSegmentHandles, FDS_PER_SEGMENT } from '../storage/handle-cache.js';
import type { LogConfigInput } from '../storage/log-config.js';
import type { Record as LogRecord, RecordInput } from '../records/index.js';
import { loadBrokerConfig, type BrokerConfig, type Listener, type LoadBrokerConfigOptions } from './broker-config.js';
import { ConfigManager } from './config-manager.js';
import { MetadataCache } from './metadata-cache.js';
import { loadMetaProperties } from './meta-properties.js';
import type { Partition } from './partition.js';
import { errorResult } from './produce.js';
import { ProducerIdManager } from './producer-id-manager.js';
import { ReplicaManager } from './replica-manager.js';
import { TopicAdmin } from './topic-admin.js';
import type { TopicConfigs } from './topic-config.js';
import { INTERNAL_TOPICS, TopicRegistry } from './topic-registry.js';
import type {
  AlterConfigsResource,
  AlterConfigsResult,
  CreatableTopic,
  CreatePartitionsResult,
  CreatePartitionsTopic,
  CreateTopicResult,
  DeleteRecordsTopicRequest,
  DeleteRecordsTopicResult,
  DeleteTopicResult,
  DescribeClusterResult,
  DescribeProducersTopicResult,
  DescribeConfigsResource,
  DescribeConfigsResult,
  FetchMemory,
  FetchRequest,
  FetchResult,
  IncrementalAlterConfigsResource,
  InitProducerIdRequest,
  InternalBatches,
  InternalTxnAppend,
  InitProducerIdResult,
  ListOffsetsTopicRequest,
  ListOffsetsTopicResult,
  MetadataResult,
  OffsetForLeaderEpochTopicRequest,
  OffsetForLeaderEpochTopicResult,
  ProduceOptions,
  ProduceTopicData,
  ProduceTopicResult,
  TransactionVerifier,
  TxnMarkerWrittenEvent,
  WriteTxnMarkerRequest,
  WriteTxnMarkerResult,
} from './types.js';

export { META_PROPERTIES } from './meta-properties.js';

export interface BrokerOptions {
  logger?: Logger;
  /** Retention, checkpoints and producer snapshots on timers (default true). */
  backgroundTasks?: boolean;
}

function code(name: ErrorName): number {
  return ErrorCode[name];
}

export class Broker {
  readonly config: BrokerConfig;
  readonly clusterId: string;
  private readonly logger: Logger;
  private readonly logManager: LogManager;
  private readonly registry: TopicRegistry;
  private readonly producerIds: ProducerIdManager;
  private readonly replicas: ReplicaManager;
  private readonly admin: TopicAdmin;
  private readonly configs: ConfigManager;
  private readonly metadataCache: MetadataCache;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    config: BrokerConfig,
    clusterId: string,
    logger: Logger,
    logManager: LogManager,
    registry: TopicRegistry,
    producerIds: ProducerIdManager,
  ) {
    this.config = config;
    this.clusterId = clusterId;
    this.logger = logger;
    this.logManager = logManager;
    this.registry = registry;
    this.producerIds = producerIds;
    this.replicas = new ReplicaManager(config, logger, logManager, registry);
    this.admin = new TopicAdmin(config, logger, registry, this.replicas);
    this.configs = new ConfigManager(config, logger, registry, this.replicas, (fn) => this.admin.exclusive(fn));
    this.metadataCache = new MetadataCache(config, clusterId, this.replicas, this.admin);
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
    const clusterId = await loadMetaProperties(dataDir, resolved);
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
      await broker.admin.load(logManager.allLogs(), !logManager.wasCleanShutdown);
    } catch (err) {
      await logManager.close().catch(() => undefined);
      throw err;
    }
    if (background) broker.replicas.startTimers();
    logger.info({ dataDir, topics: broker.replicas.topicCount, clusterId }, 'broker started');
    return broker;
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error('broker is closed');
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

  // ------------------------------------------------------------------ lookups

  /** Partitions this node hosts, internal topics included (what max.broker.partitions bounds). */
  get hostedPartitionCount(): number {
    return this.replicas.hostedPartitionCount;
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
    return this.replicas.topic(topic)?.partitions.length ?? -1;
  }

  /** The open partition, for tests and in-process tools. */
  partition(topic: string, index: number): Partition | undefined {
    return this.replicas.partition(topic, index);
  }

  /** The log end offset of a partition, or -1 when there is no such partition. */
  logEndOffset(topic: string, partition: number): bigint {
    return this.replicas.partition(topic, partition)?.logEndOffset ?? -1n;
  }

  /** Whether `topic` has a partition `partition` (what Kafka's metadata cache `contains` answers). */
  hasPartition(topic: string, partition: number): boolean {
    const state = this.replicas.topic(topic);
    return state !== undefined && partition >= 0 && partition < state.partitions.length;
  }

  /** Calls `listener(topic)` after each topic deletion (coordinators drop what they hold for it). */
  onTopicDeleted(listener: (topic: string) => void): void {
    this.admin.onTopicDeleted(listener);
  }

  // ------------------------------------------------------------------ Metadata / DescribeCluster (metadata-cache.ts)

  /**
   * Metadata for `topicNames` (null: every topic). Unknown topics are created when
   * auto.create.topics.enable and `allowAutoTopicCreation` are both on, and returned ready.
   */
  async metadata(topicNames: string[] | null, allowAutoTopicCreation: boolean, options: { listenerName?: string } = {}): Promise<MetadataResult> {
    this.ensureOpen();
    return this.metadataCache.metadata(topicNames, allowAutoTopicCreation, options.listenerName);
  }

  describeCluster(options: { listenerName?: string } = {}): DescribeClusterResult {
    this.ensureOpen();
    return this.metadataCache.describeCluster(options.listenerName);
  }

  // ------------------------------------------------------------------ data path (replica-manager.ts)

  /**
   * Appends each partition's record batches. `acks` is checked (0, 1 or -1; anything else
   * answers INVALID_REQUIRED_ACKS for every partition); unknown topics are auto-created when
   * auto.create.topics.enable and `allowAutoTopicCreation` (default true). acks=-1 resolves once
   * the batches are on disk (see ReplicaManager.appendRecords); with acks=0 the handler sends
   * no response, but the records are appended all the same. `timeoutMs` is not used: nothing
   * but the local disk is waited for.
   */
  async produce(acks: number, timeoutMs: number, topicData: ProduceTopicData[], options: ProduceOptions = {}): Promise<ProduceTopicResult[]> {
    this.ensureOpen();
    void timeoutMs; // nothing to wait for on a single node
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      return topicData.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => errorResult(p.index, 'INVALID_REQUIRED_ACKS', `acks must be 0, 1 or -1, not ${acks}`)),
      }));
    }
    const allowCreate = (options.allowAutoTopicCreation ?? true) && this.config.autoCreateTopicsEnable;
    const failed = new Map<string, number>();
    for (const t of topicData) {
      if (allowCreate && this.replicas.topic(t.name) === undefined && !failed.has(t.name) && !INTERNAL_TOPICS.has(t.name)) {
        const result = await this.admin.autoCreate(t.name);
        if (typeof result === 'number') failed.set(t.name, result);
      }
    }
    return this.replicas.appendRecords(acks, topicData, options.transactionalId ?? null, failed);
  }

  /**
   * Makes everything appended to a partition so far durable (fsync, shared with concurrent
   * callers through the log's group commit): the embedded producer's `durable` sends.
   */
  async flushPartition(topic: string, partition: number): Promise<void> {
    this.ensureOpen();
    await this.replicas.flushPartition(topic, partition);
  }

  /**
   * Reads from each requested partition, Kafka's way, waiting up to maxWaitMs for minBytes
   * (see ReplicaManager.fetchMessages). Aborting `signal` rejects with its reason.
   */
  async fetch(request: FetchRequest, signal?: AbortSignal, memory?: FetchMemory): Promise<FetchResult> {
    this.ensureOpen();
    return this.replicas.fetchMessages(request, signal, memory);
  }

  /** Offsets by timestamp (see Partition.fetchOffsetForTimestamp for the special timestamps). */
  async listOffsets(isolationLevel: number, topics: ListOffsetsTopicRequest[]): Promise<ListOffsetsTopicResult[]> {
    this.ensureOpen();
    return this.replicas.listOffsets(isolationLevel, topics);
  }

  /** The end offset of each requested leader epoch (Kafka's LeaderEpochFileCache.endOffsetFor). */
  offsetForLeaderEpoch(topics: OffsetForLeaderEpochTopicRequest[]): OffsetForLeaderEpochTopicResult[] {
    this.ensureOpen();
    return this.replicas.lastOffsetForLeaderEpoch(topics);
  }

  /** Raises each partition's log start offset (-1: to the high watermark); answers the new one. */
  async deleteRecords(topics: DeleteRecordsTopicRequest[]): Promise<DeleteRecordsTopicResult[]> {
    this.ensureOpen();
    return this.replicas.deleteRecords(topics);
  }

  /**
   * Appends `records` as one batch to a partition of an internal topic, for its coordinator.
   * Synchronous, like a produce append: when it returns the records are in the log, not yet
   * fsync'd. Unlike a client's acks=all produce, coordinator writes do not wait for fdatasync
   * (the coordinator's state transitions are synchronous, and Kafka's coordinators do not fsync
   * either): the background flush (log.recovery.point.flush.interval.ms) makes them durable
   * within about a second. A kill -9 loses none of them (page cache); a power cut can lose the
   * last second of commits, so consumers re-read from an older committed offset (at-least-once
   * holds). Failures are an error code, never a throw.
   *
   * With `txn` the batch is transactional for that producer (a TxnOffsetCommit), appended as
   * Kafka's AppendOrigin.COORDINATOR: no sequence or duplicate check, but an older producer
   * epoch answers INVALID_PRODUCER_EPOCH; it opens the producer's transaction on the partition
   * (holding its LSO) until a marker ends it.
   */
  appendInternal(
    topic: string,
    partition: number,
    records: RecordInput[],
    nowMs = Date.now(),
    txn?: InternalTxnAppend,
  ): { errorCode: number; errorMessage: string | null; baseOffset: bigint } {
    this.ensureOpen();
    return this.replicas.appendInternal(topic, partition, records, nowMs, txn);
  }

  /**
   * Batches of a partition from `offset` on (up to about `maxBytes`, at least one) with their
   * producer id and epoch, transactional and control flags, and records (a marker's control
   * record included), and the offset to read next; for coordinators replaying logs with
   * transactions. Throws on I/O errors and corrupt batches.
   */
  readInternalBatches(topic: string, partition: number, offset: bigint, maxBytes: number): InternalBatches {
    this.ensureOpen();
    return this.replicas.readInternalBatches(topic, partition, offset, maxBytes);
  }

  /**
   * Records of a partition from `offset` on (up to about `maxBytes` of batches, at least one),
   * and the offset to read next; for coordinators loading their state. Throws on I/O errors
   * and corrupt batches.
   */
  readInternal(topic: string, partition: number, offset: bigint, maxBytes: number): { records: LogRecord[]; nextOffset: bigint } {
    this.ensureOpen();
    return this.replicas.readInternal(topic, partition, offset, maxBytes);
  }

  /** Expires idle producer ids and snapshots producer state where the log moved. */
  snapshotProducerState(): Promise<void> {
    return this.replicas.snapshotProducerState();
  }

  // ------------------------------------------------------------------ transactions (transactions.ts)

  /**
   * WriteTxnMarkers: appends a COMMIT/ABORT control batch to each partition of each marker and
   * resolves once they are durable (fsync'd, like acks=all). Per-partition errors as Kafka's
   * codes: INVALID_PRODUCER_EPOCH (older producer epoch), TRANSACTION_COORDINATOR_FENCED (older
   * coordinator epoch), UNKNOWN_TOPIC_OR_PARTITION, KAFKA_STORAGE_ERROR.
   */
  async writeTxnMarkers(markers: WriteTxnMarkerRequest[]): Promise<WriteTxnMarkerResult[]> {
    this.ensureOpen();
    return this.replicas.writeTxnMarkers(markers);
  }

  /** Calls `listener` synchronously after each marker append (the group coordinator completes transactional offset commits). */
  onTxnMarkerWritten(listener: (e: TxnMarkerWrittenEvent) => void): void {
    this.replicas.onTxnMarkerWritten(listener);
  }

  /**
   * KIP-890 part 1: from now on the first transactional batch of a producer on a partition is
   * appended only after `verifier` confirmed the partition is in its transaction (null: no
   * verification, the partition's own checks only).
   */
  setTransactionVerifier(verifier: TransactionVerifier | null): void {
    this.replicas.setTransactionVerifier(verifier);
  }

  /** DescribeProducers: the producers each partition tracks, with their open transaction's first offset. */
  async describeProducers(topics: { name: string; partitionIndexes: number[] }[]): Promise<DescribeProducersTopicResult[]> {
    this.ensureOpen();
    return this.replicas.describeProducers(topics);
  }

  // ------------------------------------------------------------------ topics (topic-admin.ts)

  async createTopics(topics: CreatableTopic[], validateOnly: boolean): Promise<CreateTopicResult[]> {
    this.ensureOpen();
    return this.admin.createTopics(topics, validateOnly);
  }

  /** Deletes topics by name or by id: metadata first (durably), then the partition logs. */
  async deleteTopics(topics: ({ name?: string | null; topicId?: string | null } | string)[]): Promise<DeleteTopicResult[]> {
    this.ensureOpen();
    return this.admin.deleteTopics(topics);
  }

  async createPartitions(topics: CreatePartitionsTopic[], validateOnly: boolean): Promise<CreatePartitionsResult[]> {
    this.ensureOpen();
    return this.admin.createPartitions(topics, validateOnly);
  }

  /**
   * Creates an internal topic (`__consumer_offsets`, `__transaction_state`) for a coordinator;
   * returns the existing one when present.
   */
  async ensureInternalTopic(name: string, partitionCount: number, configs: TopicConfigs = {}): Promise<{ topicId: string; partitionCount: number }> {
    this.ensureOpen();
    return this.admin.ensureInternalTopic(name, partitionCount, configs);
  }

  // ------------------------------------------------------------------ configs (config-manager.ts)

  /** DescribeConfigs for topics (2) and this broker (4). */
  describeConfigs(resources: DescribeConfigsResource[], includeSynonyms: boolean, includeDocumentation: boolean): DescribeConfigsResult[] {
    this.ensureOpen();
    return this.configs.describeConfigs(resources, includeSynonyms, includeDocumentation);
  }

  /** AlterConfigs: replaces all of a topic's overrides with the given set. */
  alterConfigs(resources: AlterConfigsResource[], validateOnly: boolean): Promise<AlterConfigsResult[]> {
    this.ensureOpen();
    return this.configs.alterConfigs(resources, validateOnly);
  }

  /** IncrementalAlterConfigs: SET, DELETE, APPEND, SUBTRACT on a topic's overrides. */
  incrementalAlterConfigs(resources: IncrementalAlterConfigsResource[], validateOnly: boolean): Promise<AlterConfigsResult[]> {
    this.ensureOpen();
    return this.configs.incrementalAlterConfigs(resources, validateOnly);
  }

  /** The effective value of one topic config (for tools and tests). */
  topicConfig(topic: string, name: string): string | null {
    return this.configs.topicConfig(topic, name);
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
    this.replicas.stop();
    await this.admin.idle();
    await this.replicas.snapshotAllAtClose();
    await this.logManager.close();
    this.logger.info('broker stopped');
  }
}
