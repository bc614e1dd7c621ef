/**
 * ReplicaManager (Kafka's name): the partitions this node hosts and the data path on them —
 * produce (appendRecords), fetch with long-poll (fetchMessages), durable acks, ListOffsets,
 * OffsetsForLeaderEpoch, DeleteRecords, the coordinators' internal appends and reads, and the
 * periodic producer-state snapshots. Topic creation and deletion (topic-admin.ts) and config
 * changes (config-manager.ts) call in here to open, grow, reconfigure and drop partitions.
 *
 * Single node: this node leads every partition and is its only in-sync replica, so the high
 * watermark is the log end offset and acks=-1 differs from acks=1 only in waiting for the
 * fdatasync of its batches (unless write.caching). Replication (followers fetching, ISR, the
 * high watermark as the ISR's minimum) goes here.
 *
 * Per-partition and per-topic failures are `errorCode` values in the results, never throws.
 */
import { ErrorCode, KafkaError, type ErrorName } from '../errors.js';
import type { Logger } from '../logger.js';
import { PARTITION_OPEN_CONCURRENCY, PRODUCER_SNAPSHOT_INTERVAL_MS } from '../limits.js';
import { decodeRecordBatches, encodeRecordBatchTransient, type Record as LogRecord, type RecordInput } from '../records/index.js';
import type { LogConfigInput } from '../storage/log-config.js';
import type { LogManager } from '../storage/log-manager.js';
import type { BrokerConfig } from './broker-config.js';
import { FetchWaiters, partitionKey } from './fetch-waiters.js';
import { readFetch } from './fetch-read.js';
import { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache.js';
import { Partition, type VerificationGuard } from './partition.js';
import { appendToPartition, errorResult, storageErrorName, type AppendOutcome } from './produce.js';
import { describeProducers, readBatches, verifyTransactionalProduce, writeTxnMarkers, type PartitionVerification } from './transactions.js';
import { INTERNAL_TOPICS, type TopicMetadata, type TopicRegistry } from './topic-registry.js';
import type { TopicConfigs } from './topic-config.js';
import type {
  DeleteRecordsTopicRequest,
  DeleteRecordsTopicResult,
  DescribeProducersTopicResult,
  FetchMemory,
  FetchRequest,
  FetchResult,
  InternalBatches,
  InternalTxnAppend,
  ListOffsetsPartitionResult,
  ListOffsetsTopicRequest,
  ListOffsetsTopicResult,
  OffsetForLeaderEpochTopicRequest,
  OffsetForLeaderEpochTopicResult,
  ProducePartitionResult,
  ProduceTopicData,
  ProduceTopicResult,
  TransactionVerifier,
  TxnMarkerWrittenEvent,
  WriteTxnMarkerRequest,
  WriteTxnMarkerResult,
} from './types.js';
import { flushEach } from './flush-each.js';

const NEVER = Number.MAX_SAFE_INTEGER;

/** A topic as this node hosts it: its metadata, its open partitions and its append limits. */
export interface HostedTopic {
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

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The fetch was aborted', 'AbortError');
}

export class ReplicaManager {
  private readonly config: BrokerConfig;
  private readonly logger: Logger;
  private readonly logManager: LogManager;
  /** The topics' metadata (names and ids), as Kafka's ReplicaManager reads its MetadataCache. */
  private readonly registry: TopicRegistry;
  private readonly topics = new Map<string, HostedTopic>();
  private readonly waiters = new FetchWaiters();
  private readonly timers: NodeJS.Timeout[] = [];
  private snapshotting = false;
  private closed = false;
  /** KIP-890 part 1: the transaction coordinator, once it set itself (Broker.setTransactionVerifier). */
  private verifier: TransactionVerifier | null = null;
  private readonly markerListeners: ((e: TxnMarkerWrittenEvent) => void)[] = [];

  constructor(config: BrokerConfig, logger: Logger, logManager: LogManager, registry: TopicRegistry) {
    this.config = config;
    this.logger = logger;
    this.logManager = logManager;
    this.registry = registry;
  }

  // ------------------------------------------------------------------ hosted partitions

  topic(name: string): HostedTopic | undefined {
    return this.topics.get(name);
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  get topicCount(): number {
    return this.topics.size;
  }

  /** Partitions this node hosts, internal topics included (what max.broker.partitions bounds). */
  get hostedPartitionCount(): number {
    let n = 0;
    for (const state of this.topics.values()) n += state.meta.partitionCount;
    return n;
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.topics.get(topic)?.partitions[index];
  }

  /**
   * Opens (creating when absent) every partition of `meta` and hosts the topic. On a failure
   * the topic is not hosted and the error is thrown; logs already created stay in the log
   * manager for the caller to remove (deletePartitionLogs).
   */
  async hostTopic(meta: TopicMetadata, uncleanStart: boolean): Promise<HostedTopic> {
    const state: HostedTopic = { meta, partitions: [], timestampBeforeMaxMs: NEVER, timestampAfterMaxMs: NEVER, writeCaching: this.config.writeCaching };
    this.refreshTopicLimits(state);
    await this.openPartitions(meta, 0, meta.partitionCount, uncleanStart, state.partitions);
    this.topics.set(meta.name, state);
    return state;
  }

  /** Opens partitions [current, count) of a hosted topic; on a failure the same as hostTopic. */
  async addPartitions(state: HostedTopic, current: number, count: number): Promise<void> {
    await this.openPartitions(state.meta, current, count, false, state.partitions);
  }

  /**
   * Stops hosting a topic at once (appends and fetches see it gone; parked fetches on it wake);
   * its logs stay until deletePartitionLogs.
   */
  unhostTopic(meta: TopicMetadata): void {
    this.topics.delete(meta.name);
    for (let i = 0; i < meta.partitionCount; i++) this.waiters.changed(partitionKey(meta.name, i));
  }

  /** Removes the logs of partitions [from, to) of a topic: files, directories, fds. */
  async deletePartitionLogs(topic: string, from: number, to: number): Promise<void> {
    const partitions: { topic: string; partition: number }[] = [];
    for (let i = from; i < to; i++) partitions.push({ topic, partition: i });
    await this.logManager.deleteLogs(partitions);
  }

  /** Applies a topic's new overrides (already in `state.meta.configs`) to its live logs and append limits. */
  applyTopicConfigs(state: HostedTopic, configs: TopicConfigs): void {
    const input = { ...this.logManager.defaults, ...configs } as unknown as LogConfigInput;
    for (const p of state.partitions) p.log.updateConfig(input);
    this.refreshTopicLimits(state);
  }

  private refreshTopicLimits(state: HostedTopic): void {
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
   * Opens partitions [from, to) of a topic, PARTITION_OPEN_CONCURRENCY at a time so the fsyncs
   * of their metadata files overlap on the thread pool, and appends them to `into` in order
   * once all are open. On a failure the rest are not started and the first error is thrown.
   */
  private async openPartitions(meta: TopicMetadata, from: number, to: number, uncleanStart: boolean, into: Partition[]): Promise<void> {
    const opened: Partition[] = new Array<Partition>(Math.max(0, to - from));
    let next = from;
    let failure: { err: unknown } | null = null;
    const worker = async (): Promise<void> => {
      while (failure === null && next < to) {
        const i = next++;
        try {
          const log = await this.logManager.getOrCreateLog(meta.name, i, meta.configs as LogConfigInput);
          opened[i - from] = await Partition.open(meta.name, i, log, { topicId: meta.topicId, uncleanStart, logger: this.logger });
        } catch (err) {
          failure ??= { err };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARTITION_OPEN_CONCURRENCY, to - from) }, worker));
    if (failure !== null) throw (failure as { err: unknown }).err;
    into.push(...opened);
  }

  // ------------------------------------------------------------------ Produce

  /**
   * Appends each partition's record batches (`acks` already checked by the caller). acks=-1
   * resolves only once the appended batches are on disk: the partitions' group commits
   * fdatasync them off the event loop, one fdatasync shared by every produce waiting on the
   * same partition; a failed flush answers KAFKA_STORAGE_ERROR for that partition. With
   * `write.caching` acks=-1 is answered from the page cache, as acks=1 always is.
   * `unknownTopicErrors` holds the error code of topics whose auto-creation failed.
   */
  async appendRecords(
    acks: number,
    topicData: ProduceTopicData[],
    transactionalId: string | null,
    unknownTopicErrors: ReadonlyMap<string, number>,
  ): Promise<ProduceTopicResult[]> {
    // KIP-890 part 1: the partitions a transaction starts on are checked with its coordinator first.
    const verifier = this.verifier;
    const verified =
      verifier !== null && transactionalId !== null ? await verifyTransactionalProduce(this, verifier, transactionalId, topicData, this.logger) : null;
    // From here to the flush nothing awaits: lookups and appends see one consistent state.
    const nowMs = Date.now();
    const results: ProduceTopicResult[] = [];
    /** Results of acks=-1 appends that wait for their partition's flush. */
    const durable: { result: ProducePartitionResult; log: Partition['log'] }[] = [];
    for (const t of topicData) {
      const state = this.topics.get(t.name);
      const partitions = t.partitions.map((p) => {
        const partition = state?.partitions[p.index];
        if (state === undefined || partition === undefined) {
          const unknown = unknownTopicErrors.get(t.name) === code('INVALID_TOPIC_EXCEPTION') ? 'INVALID_TOPIC_EXCEPTION' : 'UNKNOWN_TOPIC_OR_PARTITION';
          return errorResult(p.index, unknown, `unknown topic or partition ${t.name}-${p.index}`);
        }
        // Only coordinators write to internal topics (Kafka: internalTopicsAllowed is for admin requests).
        if (state.meta.internal) return errorResult(p.index, 'INVALID_TOPIC_EXCEPTION', `Cannot append to internal topic ${t.name}`);
        let verification: { guard: VerificationGuard | null } | undefined;
        if (verified !== null) {
          const v: PartitionVerification = verified.get(partitionKey(t.name, p.index)) ?? { guard: null };
          if ('errorName' in v) return errorResult(p.index, v.errorName, v.message, partition.logStartOffset);
          verification = v;
        }
        const outcome = this.appendAndNotify(partition, p.records, {
          transactionalId,
          timestampBeforeMaxMs: state.timestampBeforeMaxMs,
          timestampAfterMaxMs: state.timestampAfterMaxMs,
          nowMs,
          verification,
        });
        if (outcome.appendedBytes > 0 && acks === -1 && !state.writeCaching) durable.push({ result: outcome.result, log: partition.log });
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

  /**
   * appendToPartition, then wakes the partition's parked fetches: read_committed ones count the
   * appended bytes only when they are stable at once (no transaction open before or after).
   */
  private appendAndNotify(partition: Partition, records: Buffer | null, ctx: Parameters<typeof appendToPartition>[3]): AppendOutcome {
    const stableBefore = partition.lastStableOffset === partition.logEndOffset;
    const outcome = appendToPartition(partition, partition.index, records, ctx);
    if (outcome.appendedBytes > 0) {
      const stable = stableBefore && partition.lastStableOffset === partition.logEndOffset;
      this.waiters.appended(partitionKey(partition.topic, partition.index), outcome.appendedBytes, stable ? outcome.appendedBytes : 0);
    }
    return outcome;
  }

  /** Waits for each partition's flush (one group-commit request per partition) and fails the results whose flush failed. */
  private async flushAcked(durable: { result: ProducePartitionResult; log: Partition['log'] }[]): Promise<void> {
    const failed = await flushEach(durable.map((d) => d.log));
    for (const { result, log } of durable) {
      if (!failed.has(log)) continue;
      const err = failed.get(log);
      this.logger.error({ err, log: log.dir }, 'flush for acks=all failed');
      result.errorCode = code('KAFKA_STORAGE_ERROR');
      result.errorMessage = `flush failed: ${(err as Error).message}`;
      result.baseOffset = -1n;
    }
  }

  /** Makes everything appended to a partition so far durable (the log's group commit). */
  async flushPartition(topic: string, partition: number): Promise<void> {
    const p = this.partition(topic, partition);
    if (p === undefined) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `unknown partition ${topic}-${partition}`);
    await p.log.flush();
  }

  // ------------------------------------------------------------------ internal topics

  /**
   * Appends `records` as one batch to a partition of an internal topic (see Broker.appendInternal);
   * with `txn`, a transactional batch of that producer, appended with coordinator origin.
   */
  appendInternal(
    topic: string,
    partition: number,
    records: RecordInput[],
    nowMs: number,
    txn?: InternalTxnAppend,
  ): { errorCode: number; errorMessage: string | null; baseOffset: bigint } {
    if (!INTERNAL_TOPICS.has(topic)) throw new Error(`${topic} is not an internal topic`);
    const p = this.partition(topic, partition);
    if (p === undefined) return { errorCode: code('UNKNOWN_TOPIC_OR_PARTITION'), errorMessage: `unknown partition ${topic}-${partition}`, baseOffset: -1n };
    const producer = txn === undefined ? {} : { producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: 0, isTransactional: true };
    // The transient encoder's buffer is safe here: appendToPartition pwrite()s the bytes before returning and keeps none.
    const outcome = this.appendAndNotify(p, encodeRecordBatchTransient(records, { now: nowMs, ...producer }), {
      transactionalId: null,
      origin: 'coordinator',
      timestampBeforeMaxMs: NEVER,
      timestampAfterMaxMs: NEVER,
      nowMs,
    });
    const { errorCode, errorMessage, baseOffset } = outcome.result;
    if (errorCode !== code('NONE')) this.logger.error({ topic, partition, errorCode, reason: errorMessage }, 'internal append failed');
    return { errorCode, errorMessage, baseOffset };
  }

  /** Records of a partition from `offset` on, and the offset to read next (see Broker.readInternal). */
  readInternal(topic: string, partition: number, offset: bigint, maxBytes: number): { records: LogRecord[]; nextOffset: bigint } {
    const p = this.partition(topic, partition);
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

  /** Batches with their producer fields, control batches included (see Broker.readInternalBatches). */
  readInternalBatches(topic: string, partition: number, offset: bigint, maxBytes: number): InternalBatches {
    const p = this.partition(topic, partition);
    if (p === undefined) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `unknown partition ${topic}-${partition}`);
    return readBatches(p, offset, maxBytes);
  }

  // ------------------------------------------------------------------ transactions (transactions.ts)

  setTransactionVerifier(verifier: TransactionVerifier | null): void {
    this.verifier = verifier;
  }

  onTxnMarkerWritten(listener: (e: TxnMarkerWrittenEvent) => void): void {
    this.markerListeners.push(listener);
  }

  writeTxnMarkers(markers: WriteTxnMarkerRequest[]): Promise<WriteTxnMarkerResult[]> {
    return writeTxnMarkers(this, markers, this.waiters, this.markerListeners, this.logger);
  }

  describeProducers(topics: { name: string; partitionIndexes: number[] }[]): DescribeProducersTopicResult[] {
    return describeProducers(this, topics);
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
  async fetchMessages(request: FetchRequest, signal?: AbortSignal, memory?: FetchMemory): Promise<FetchResult> {
    if (signal?.aborted === true) throw abortError(signal);
    const maxBytes = Math.max(0, Math.min(request.maxBytes, this.config.fetchMaxBytes));
    const first = this.readFetch(request, maxBytes, memory);
    if (request.maxWaitMs <= 0 || first.bytes >= request.minBytes || first.anyError || first.keys.size === 0) return first.result;
    const waiting = this.waiters.wait(first.keys, first.bytes, request.minBytes, request.maxWaitMs, signal, request.isolationLevel === 1);
    if (waiting === null) return first.result;
    const reason = await waiting;
    if (reason === 'aborted') throw abortError(signal!);
    if (this.closed) return first.result;
    return this.readFetch(request, maxBytes, memory).result;
  }

  private readFetch(request: FetchRequest, maxBytes: number, memory: FetchMemory | undefined): ReturnType<typeof readFetch> {
    return readFetch({ registry: this.registry, partitions: (name) => this.topics.get(name)?.partitions, logger: this.logger }, request, maxBytes, memory);
  }

  // ------------------------------------------------------------------ ListOffsets / OffsetsForLeaderEpoch / DeleteRecords

  async listOffsets(isolationLevel: number, topics: ListOffsetsTopicRequest[]): Promise<ListOffsetsTopicResult[]> {
    const out: ListOffsetsTopicResult[] = [];
    for (const t of topics) {
      const partitions: ListOffsetsPartitionResult[] = [];
      for (const p of t.partitions) {
        const failed = (name: ErrorName): ListOffsetsPartitionResult => ({
          partitionIndex: p.partition,
          errorCode: code(name),
          timestamp: -1n,
          offset: -1n,
          leaderEpoch: -1,
        });
        const partition = this.partition(t.name, p.partition);
        if (partition === undefined) {
          partitions.push(failed('UNKNOWN_TOPIC_OR_PARTITION'));
          continue;
        }
        const fenced = partition.checkLeaderEpoch(p.currentLeaderEpoch);
        if (fenced !== null) {
          partitions.push(failed(fenced));
          continue;
        }
        try {
          partitions.push({ partitionIndex: p.partition, errorCode: code('NONE'), ...(await partition.fetchOffsetForTimestamp(p.timestamp, isolationLevel)) });
        } catch (err) {
          this.logger.error({ err, topic: t.name, partition: p.partition }, 'list offsets failed');
          partitions.push(failed(storageErrorName(err)));
        }
      }
      out.push({ name: t.name, partitions });
    }
    return out;
  }

  lastOffsetForLeaderEpoch(topics: OffsetForLeaderEpochTopicRequest[]): OffsetForLeaderEpochTopicResult[] {
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const failed = (name: ErrorName) => ({
          partition: p.partition,
          errorCode: code(name),
          leaderEpoch: UNDEFINED_EPOCH,
          endOffset: UNDEFINED_EPOCH_OFFSET,
        });
        const partition = this.partition(t.name, p.partition);
        if (partition === undefined) return failed('UNKNOWN_TOPIC_OR_PARTITION');
        const fenced = partition.checkLeaderEpoch(p.currentLeaderEpoch);
        if (fenced !== null) return failed(fenced);
        const { epoch, endOffset } = partition.lastOffsetForLeaderEpoch(p.leaderEpoch);
        return { partition: p.partition, errorCode: code('NONE'), leaderEpoch: epoch, endOffset };
      }),
    }));
  }

  async deleteRecords(topics: DeleteRecordsTopicRequest[]): Promise<DeleteRecordsTopicResult[]> {
    const out: DeleteRecordsTopicResult[] = [];
    for (const t of topics) {
      const partitions = [];
      for (const p of t.partitions) {
        const partition = this.partition(t.name, p.partition);
        if (partition === undefined) {
          partitions.push({ partitionIndex: p.partition, lowWatermark: -1n, errorCode: code('UNKNOWN_TOPIC_OR_PARTITION') });
          continue;
        }
        try {
          const lowWatermark = await partition.deleteRecordsOnLeader(p.offset);
          if (lowWatermark === 'OFFSET_OUT_OF_RANGE') {
            partitions.push({ partitionIndex: p.partition, lowWatermark: -1n, errorCode: code('OFFSET_OUT_OF_RANGE') });
            continue;
          }
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

  // ------------------------------------------------------------------ producer state, shutdown

  startTimers(): void {
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

  /** Stops timers and releases parked fetches; the first step of a shutdown. */
  stop(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.waiters.releaseAll();
  }

  /** Snapshots every partition's producer state (overlapped: each is an fsync'd file). */
  async snapshotAllAtClose(): Promise<void> {
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
  }
}
