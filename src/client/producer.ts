/**
 * The producer: kafkajs' `send` / `sendBatch` over a ClientTransport — `Broker.produce` in this
 * process (the call the daemon's Produce handler makes) or Produce requests to each
 * partition's leader over the wire.
 *
 * Each call encodes one record batch (magic 2) per partition it touches, compressed with the
 * native codecs when `compression` is set, and appends them all in one broker call.
 *
 * Idempotence (default on, as the Java client since 3.0): the first send asks the broker for a
 * producer id (InitProducerId); each batch carries the next sequence number of its partition,
 * so the broker's producer state refuses a batch appended twice. Sequence numbers are assigned
 * in the same synchronous stretch as the hand-over to the transport (the topic is looked up
 * first; the in-process broker appends before its first await when the topic exists, the
 * network transport writes requests in call order), so concurrent sends cannot reach a
 * partition out of order. A partition whose append fails gets its sequence back.
 *
 * Over the network (and in process with `lingerMs` > 0) sends go through the record accumulator
 * (record-accumulator.ts: linger.ms / batch.size across sends, one batch per partition, one
 * Produce request per broker) and the sender (produce-sender.ts: up to 5 requests in flight,
 * retries that keep each partition's order, DUPLICATE_SEQUENCE_NUMBER and
 * OUT_OF_ORDER_SEQUENCE_NUMBER handled as the Java client does). In process with lingerMs 0 (the
 * default there) each send is one broker call, made before the send's first await.
 *
 * Transactions (`transactionalId`): the producer is idempotent, every send goes through the
 * accumulator and sender (which add each partition to the transaction before its first batch),
 * and `transaction()` opens one at a time; transaction.ts and transaction-manager.ts.
 *
 * acks semantics are the broker's (Broker.produce): acks=-1 (the default) resolves once the
 * batches are fdatasync'd (group commit: concurrent sends share the fdatasync) unless the
 * broker or topic sets write.caching; acks=1 resolves from the page cache. `durable: true`
 * (in-process transport only) makes every send wait for the fdatasync, whatever acks and
 * write.caching say; otherwise acks=1 durability follows the topic's flush.messages / flush.ms,
 * as with any Kafka producer.
 */
import { KafkaError, errorNameOf } from '../errors.js';
import { Codec, encodeRecordBatch, encodeRecordBatchTransient, parseCompression, type RecordHeader, type RecordInput } from '../records/index.js';
import { createPartitioner, DEFAULT_BATCH_SIZE_BYTES, type Partitioner, type PartitionerOption } from './partitioner.js';
import { ProduceSender } from './produce-sender.js';
import { RecordAccumulator, type SliceResult } from './record-accumulator.js';
import { TransactionManager } from './transaction-manager.js';
import { Transaction } from './transaction.js';
import type { ClientTransport } from './transport.js';
import type { Acks, CompressionType, Message, MessageBytes, MessageHeaders, ProducerBatch, ProducerRecord, RecordMetadata } from './types.js';

export interface ProducerOptions {
  /** Default acks of sends: -1 (all, the Java default), 1 or 0. */
  acks?: Acks;
  /** Default compression of sends; 'none' by default. */
  compression?: CompressionType;
  /** Idempotent sends (producer id + sequence numbers); default true unless acks is 0 or 1. */
  idempotent?: boolean;
  /** 'default' (murmur2 by key, sticky without a key), 'roundrobin', or a function. */
  partitioner?: PartitionerOption;
  /**
   * Kafka's batch.size: bytes of records after which a partition's batch is sent without
   * waiting for lingerMs, and how many bytes of keyless records stick to one partition; default 16384.
   */
  batchSizeBytes?: number;
  /**
   * Kafka's linger.ms: how long a partition's batch waits for more sends before it goes.
   * Default 5 over the network (as librdkafka and the Java client since Kafka 4.0: a few ms of
   * latency buys batches and requests shared by concurrent sends); 0 in process, where a send
   * is a function call with nothing to amortize. A send whose records fill batchSizeBytes goes
   * at once either way.
   */
  lingerMs?: number;
  /** Kafka's max.in.flight.requests.per.connection (Produce requests of this producer in flight); default 5, at most 5 when idempotent. */
  maxInFlightRequests?: number;
  /** Retries of a batch that failed with a retriable error (kafkajs' names); default 5 retries from 100 ms, doubling up to 1 s. */
  retry?: { retries?: number; initialRetryTime?: number };
  /** Create unknown topics on send when the broker's auto.create.topics.enable is on; default true. */
  allowAutoTopicCreation?: boolean;
  /** Resolve every send only once its records are fsync'd, even with acks=1 or write.caching (in-process transport only); default false (acks=-1 waits for it anyway unless write.caching). */
  durable?: boolean;
  /** Kafka's transactional.id: makes the producer transactional (and idempotent); sends then belong to `transaction()`s. */
  transactionalId?: string;
  /** transaction.timeout.ms: the coordinator aborts a transaction open longer than this; default 60000 (kafkajs' and Java's). */
  transactionTimeout?: number;
}

/** Sequence numbers are 31-bit and wrap to 0, as the Java client's. */
const MAX_SEQUENCE = 0x7fffffff;
/** Bytes a record adds to a batch besides its key and value (lengths, deltas, attributes): an estimate, as Kafka's. */
const RECORD_OVERHEAD_BYTES = 10;

function toBytes(v: MessageBytes | undefined): Buffer | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

function toTimestamp(t: Message['timestamp']): number | undefined {
  if (t === undefined) return undefined;
  if (t instanceof Date) return t.getTime();
  const n = Number(t);
  if (!Number.isFinite(n)) throw new KafkaError('INVALID_TIMESTAMP', `invalid message timestamp ${String(t)}`);
  return n;
}

function toHeaders(h: MessageHeaders | undefined): RecordHeader[] | undefined {
  if (h === undefined) return undefined;
  const out: RecordHeader[] = [];
  for (const key of Object.keys(h)) {
    const v = h[key];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push({ key, value: x });
    else out.push({ key, value: v });
  }
  return out;
}

/**
 * The message as the batch encoder takes it. A message without headers whose timestamp is a
 * number (or absent) already is one (the encoder reads key, value, headers and timestamp and
 * accepts strings), so the common case allocates nothing per record.
 */
function asRecordInput(m: Message): RecordInput {
  const t = m.timestamp;
  if (m.headers === undefined && (t === undefined || typeof t === 'number')) return m as RecordInput;
  const timestamp = toTimestamp(t);
  const headers = toHeaders(m.headers);
  const r: RecordInput = { key: m.key ?? null, value: m.value };
  if (headers !== undefined) r.headers = headers;
  if (timestamp !== undefined) r.timestamp = timestamp;
  return r;
}

function isBytes(v: unknown): boolean {
  return v === null || v === undefined || typeof v === 'string' || Buffer.isBuffer(v);
}

function recordBytes(key: Buffer | null, value: MessageBytes | undefined): number {
  const v = value === null || value === undefined ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length;
  return (key?.length ?? 0) + v;
}

interface PartitionBatch {
  partition: number;
  records: RecordInput[];
  /** Estimated encoded size, for batch.size. */
  bytes: number;
}

export class Producer {
  private readonly acks: Acks;
  private readonly codec: Codec;
  private readonly idempotent: boolean;
  private readonly partitioner: Partitioner;
  private readonly allowAutoTopicCreation: boolean;
  private readonly durable: boolean;
  private producerId = -1n;
  private producerEpoch = -1;
  private initializing: Promise<void> | null = null;
  private readonly sequences = new Map<string, number>();
  private closed = false;
  /** Linger and batching across sends, and the ordered sender (null: one broker call per send). */
  private readonly accumulator: RecordAccumulator | null = null;
  private readonly sender: ProduceSender | null = null;
  /** Sends not yet answered, and flush() calls running (while any runs, batches go at once, as Java's flush). */
  private readonly unanswered = new Set<Promise<unknown>>();
  private flushing = 0;
  /** A transactional producer's state and coordinator requests (null: not transactional). */
  private readonly txn: TransactionManager | null = null;

  constructor(
    private readonly transport: ClientTransport,
    options: ProducerOptions = {},
    private readonly onClose: (p: Producer) => void = () => undefined,
  ) {
    this.acks = options.acks ?? -1;
    if (this.acks !== 0 && this.acks !== 1 && this.acks !== -1) throw new RangeError(`acks must be 0, 1 or -1, not ${String(options.acks)}`);
    this.codec = parseCompression(options.compression ?? 'none');
    // As the Java client since 3.2: idempotence is on unless asked off or acks conflicts with it.
    if (options.idempotent === true && this.acks !== -1) throw new KafkaError('INVALID_CONFIG', 'an idempotent producer must use acks=-1 (all)');
    if (options.transactionalId !== undefined) {
      if (options.idempotent === false || this.acks !== -1)
        throw new KafkaError('INVALID_CONFIG', 'a transactional producer is idempotent: acks=-1, idempotent not false');
      this.txn = new TransactionManager(transport, {
        transactionalId: options.transactionalId,
        ...(options.transactionTimeout === undefined ? {} : { transactionTimeoutMs: options.transactionTimeout }),
        ...(options.retry?.initialRetryTime === undefined ? {} : { retryBackoffMs: options.retry.initialRetryTime }),
      });
    }
    this.idempotent = options.idempotent ?? this.acks === -1;
    this.partitioner = createPartitioner(options.partitioner ?? 'default', options.batchSizeBytes ?? DEFAULT_BATCH_SIZE_BYTES);
    this.allowAutoTopicCreation = options.allowAutoTopicCreation ?? true;
    this.durable = options.durable ?? false;
    const lingerMs = options.lingerMs ?? (transport.kind === 'network' ? 5 : 0);
    if (!Number.isFinite(lingerMs) || lingerMs < 0) throw new RangeError(`lingerMs must be 0 or more, not ${String(options.lingerMs)}`);
    const maxInFlightRequests = options.maxInFlightRequests ?? 5;
    if (!Number.isInteger(maxInFlightRequests) || maxInFlightRequests < 1)
      throw new RangeError(`maxInFlightRequests must be a positive integer, not ${String(options.maxInFlightRequests)}`);
    // As Kafka: the broker keeps the last 5 batches of a producer per partition to spot duplicates.
    if (this.idempotent && maxInFlightRequests > 5) throw new KafkaError('INVALID_CONFIG', 'an idempotent producer needs maxInFlightRequests at most 5');
    if (transport.kind === 'network' || lingerMs > 0 || this.txn !== null) {
      this.sender = new ProduceSender(
        transport,
        {
          idempotent: this.idempotent,
          maxInFlightRequests,
          retries: options.retry?.retries ?? 5,
          retryBackoffMs: options.retry?.initialRetryTime ?? 100,
          timeoutMs: 30_000,
        },
        () => ({ producerId: this.producerId, producerEpoch: this.producerEpoch }),
        () => this.initProducerId(true),
        this.txn,
      );
      const sender = this.sender;
      // Not re-entrant: the manager changes state from inside the sender's own callbacks.
      this.txn?.onChange(() => queueMicrotask(() => sender.drain()));
      this.txn?.onIdentity((producerId, producerEpoch) => {
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        sender.resetSequences();
      });
      this.accumulator = new RecordAccumulator(lingerMs, options.batchSizeBytes ?? DEFAULT_BATCH_SIZE_BYTES, (batches) => sender.enqueue(batches));
    }
    if (this.durable && transport.flushPartition === undefined)
      throw new KafkaError('INVALID_CONFIG', "durable sends need the in-process transport; over the network use acks=-1 and the topic's min.insync.replicas");
  }

  /** Gets the producer id now rather than on the first send (kafkajs' connect). */
  async connect(): Promise<void> {
    this.ensureOpen();
    if (this.idempotent) await this.initProducerId();
  }

  /** Begins a transaction (kafkajs' shape); only one at a time. The first one gets the producer id (InitProducerId). */
  async transaction(): Promise<Transaction> {
    this.ensureOpen();
    const txn = this.txn;
    if (txn === null) throw new KafkaError('INVALID_CONFIG', 'transaction() needs a transactional producer: producer({ transactionalId })');
    await txn.initTransactions();
    txn.beginTransaction();
    const accumulator = this.accumulator!;
    const sender = this.sender!;
    return new Transaction(
      {
        send: (record) => this.send(record),
        sendBatch: (batch) => this.sendBatch(batch),
        flush: () => this.flush(),
        dropUnsent: (err) => {
          accumulator.abortBatches(err);
          sender.failQueued(err);
        },
        drained: async () => {
          await Promise.allSettled([...this.unanswered]);
          await sender.whenIdle();
        },
      },
      txn,
    );
  }

  /** The producer id and epoch of an idempotent producer (-1 before the first send). */
  get producerIdentity(): { producerId: bigint; producerEpoch: number } {
    return { producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.sendBatch({
      topicMessages: [{ topic: record.topic, messages: record.messages }],
      ...(record.acks === undefined ? {} : { acks: record.acks }),
      ...(record.compression === undefined ? {} : { compression: record.compression }),
      ...(record.timeout === undefined ? {} : { timeout: record.timeout }),
    });
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    if (this.accumulator === null) return this.sendNow(batch);
    const sending = this.sendNow(batch);
    this.unanswered.add(sending);
    const forget = (): void => void this.unanswered.delete(sending);
    sending.then(forget, forget);
    return sending;
  }

  private async sendNow(batch: ProducerBatch): Promise<RecordMetadata[]> {
    this.ensureOpen();
    const acks = batch.acks ?? this.acks;
    const codec = batch.compression === undefined ? this.codec : parseCompression(batch.compression);
    if (this.idempotent && acks !== -1) throw new KafkaError('INVALID_CONFIG', 'an idempotent producer sends with acks=-1 (all) only');
    this.txn?.checkSend();
    if (this.idempotent && this.producerId < 0n) await this.initProducerId();

    // Topic lookups (and auto-creation) first: from the encoding to the append nothing awaits.
    const counts = new Map<string, number>();
    for (const { topic, messages } of batch.topicMessages) {
      if (!counts.has(topic)) counts.set(topic, await this.partitionCount(topic, false));
      // A partition past the known count: the topic may have grown since the metadata was read.
      let highest = -1;
      for (const m of messages) if (m.partition !== undefined && m.partition > highest) highest = m.partition;
      if (highest >= counts.get(topic)!) counts.set(topic, await this.partitionCount(topic, true));
    }
    this.ensureOpen();

    const nowMs = Date.now();
    const topicData: { name: string; partitions: { index: number; records: Buffer }[] }[] = [];
    const sequenced: { topic: string; partition: number; baseSequence: number }[] = [];
    const grouped: { topic: string; batches: PartitionBatch[] }[] = [];
    try {
      for (const { topic, messages } of batch.topicMessages) {
        const partitionCount = counts.get(topic)!;
        const byPartition = new Map<number, PartitionBatch>();
        for (const m of messages) {
          // Checked here, so that with batching across sends a bad message fails its own send only.
          if (!isBytes(m.key) || !isBytes(m.value))
            throw new TypeError(`a message key and value are strings, Buffers or null; topic ${topic} got ${typeof m.key} and ${typeof m.value}`);
          const key = toBytes(m.key);
          const partition = this.partitioner.partition(topic, partitionCount, m, key);
          if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
            throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${partition} of topic ${topic} does not exist (it has ${partitionCount})`);
          }
          const bytes = recordBytes(key, m.value);
          if (key === null && m.partition === undefined) this.partitioner.placedKeyless(topic, partition, bytes);
          let pb = byPartition.get(partition);
          if (pb === undefined) byPartition.set(partition, (pb = { partition, records: [], bytes: 0 }));
          pb.records.push(asRecordInput(m));
          pb.bytes += bytes + RECORD_OVERHEAD_BYTES;
        }
        grouped.push({ topic, batches: [...byPartition.values()] });
      }
      if (this.accumulator !== null) return this.accumulate(acks, codec, grouped);
      // A send to one partition (the usual case with sticky partitioning) is encoded into the
      // encoder's reused buffer: the in-process broker copies it into the log before produce()
      // first awaits (the topic exists, and auto-creation is off for this call), keeping no
      // reference. The network transport keeps the bytes for retries: it gets its own copy.
      const single = this.transport.kind === 'in-process' && grouped.length === 1 && grouped[0]!.batches.length === 1;
      const encode = single ? encodeRecordBatchTransient : encodeRecordBatch;
      for (const { topic, batches } of grouped) {
        const partitions: { index: number; records: Buffer }[] = [];
        for (const pb of batches) {
          let baseSequence = -1;
          if (this.idempotent) {
            const k = `${topic}\0${pb.partition}`;
            baseSequence = this.sequences.get(k) ?? 0;
            this.sequences.set(k, (baseSequence + pb.records.length) % (MAX_SEQUENCE + 1));
            sequenced.push({ topic, partition: pb.partition, baseSequence });
          }
          const records = encode(pb.records, {
            compression: codec,
            now: nowMs,
            ...(this.idempotent ? { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence } : {}),
          });
          partitions.push({ index: pb.partition, records });
        }
        if (partitions.length > 0) topicData.push({ name: topic, partitions });
      }
    } catch (err) {
      this.rollBack(sequenced, null);
      throw err;
    } finally {
      this.partitioner.endBatch();
    }
    if (topicData.length === 0) return [];

    const results = await this.transport.produce(acks, batch.timeout ?? 30_000, topicData);
    const failed = new Set<string>();
    const metadata: RecordMetadata[] = [];
    let firstError: { topic: string; partition: number; errorCode: number; message: string | null } | null = null;
    for (const t of results) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) {
          failed.add(`${t.name}\0${p.index}`);
          firstError ??= { topic: t.name, partition: p.index, errorCode: p.errorCode, message: p.errorMessage };
        }
        metadata.push({
          topicName: t.name,
          partition: p.index,
          errorCode: p.errorCode,
          baseOffset: p.baseOffset,
          logAppendTime: p.logAppendTimeMs,
          logStartOffset: p.logStartOffset,
        });
      }
    }
    if (failed.size > 0) this.rollBack(sequenced, failed);
    if (acks === 0) return [];
    if (firstError !== null) {
      const name = errorNameOf(firstError.errorCode);
      throw new KafkaError(
        name,
        `produce to ${firstError.topic}-${firstError.partition} failed: ${name}${firstError.message ? ` (${firstError.message})` : ''}`,
      );
    }
    if (this.durable) await Promise.all(metadata.map((m) => this.transport.flushPartition!(m.topicName, m.partition)));
    return metadata;
  }

  /** The accumulator's path: each partition's records join its open batch; the send waits for its share of the answers. */
  private async accumulate(acks: number, codec: Codec, grouped: { topic: string; batches: PartitionBatch[] }[]): Promise<RecordMetadata[]> {
    const pending: Promise<[string, number, SliceResult]>[] = [];
    for (const { topic, batches } of grouped) {
      for (const pb of batches) {
        pending.push(this.accumulator!.append(topic, pb.partition, acks, codec, pb.records, pb.bytes).then((r) => [topic, pb.partition, r]));
      }
    }
    if (this.flushing > 0) this.accumulator!.flush();
    const answers = await Promise.all(pending);
    for (const [, , r] of answers) if (r.error !== undefined) throw r.error;
    if (acks === 0) return [];
    const metadata: RecordMetadata[] = [];
    for (const [topic, partition, r] of answers) {
      if (r.errorCode !== 0) {
        const name = errorNameOf(r.errorCode);
        throw new KafkaError(name, `produce to ${topic}-${partition} failed: ${name}${r.errorMessage ? ` (${r.errorMessage})` : ''}`);
      }
      metadata.push({
        topicName: topic,
        partition,
        errorCode: 0,
        baseOffset: r.baseOffset,
        logAppendTime: r.logAppendTimeMs,
        logStartOffset: r.logStartOffset,
      });
    }
    if (this.durable) await Promise.all(metadata.map((m) => this.transport.flushPartition!(m.topicName, m.partition)));
    return metadata;
  }

  /**
   * Sends every batch waiting for lingerMs now and resolves once every send made before the
   * call is answered (Kafka's flush()); sends made meanwhile do not linger either.
   */
  async flush(): Promise<void> {
    if (this.accumulator === null) return;
    this.flushing++;
    try {
      this.accumulator.flush();
      await Promise.allSettled([...this.unanswered]);
      await this.sender!.whenIdle();
    } finally {
      this.flushing--;
    }
  }

  /** Gives failed partitions (null: all of `sequenced`) their sequence numbers back. */
  private rollBack(sequenced: { topic: string; partition: number; baseSequence: number }[], failed: Set<string> | null): void {
    for (const s of sequenced) {
      const k = `${s.topic}\0${s.partition}`;
      if (failed === null || failed.has(k)) this.sequences.set(k, s.baseSequence);
    }
  }

  private async partitionCount(topic: string, refresh: boolean): Promise<number> {
    let count = this.transport.partitionCount(topic);
    if (count > 0 && !refresh) return count;
    const metadata = await this.transport.metadata([topic], this.allowAutoTopicCreation);
    const t = metadata.topics[0];
    if (t !== undefined && t.errorCode !== 0) {
      const name = errorNameOf(t.errorCode);
      throw new KafkaError(name, `topic ${topic}: ${name}`);
    }
    count = this.transport.partitionCount(topic);
    if (count <= 0) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} does not exist`);
    return count;
  }

  /** InitProducerId; `renew` asks for a new id even when one is held (see produce-sender.ts). */
  private initProducerId(renew = false): Promise<void> {
    if (this.txn !== null) return this.txn.initTransactions();
    if (renew && this.initializing === null) this.producerId = -1n;
    this.initializing ??= (async () => {
      const r = await this.transport.initProducerId({ transactionalId: null, transactionTimeoutMs: 60_000 });
      if (r.errorCode !== 0) {
        const name = errorNameOf(r.errorCode);
        throw new KafkaError(name, `InitProducerId failed: ${name}${r.errorMessage ? ` (${r.errorMessage})` : ''}`);
      }
      this.producerId = r.producerId;
      this.producerEpoch = r.producerEpoch;
    })().finally(() => {
      this.initializing = null;
    });
    return this.initializing;
  }

  private ensureOpen(): void {
    if (this.closed) throw new KafkaError('INVALID_REQUEST', 'the producer is disconnected');
  }

  /** Further sends are refused; sends waiting for lingerMs go now, and it resolves once sends in flight are answered. */
  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      this.onClose(this);
    }
  }
}
