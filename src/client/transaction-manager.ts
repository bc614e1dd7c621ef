/**
 * The transactional producer's state and its requests to the transaction coordinator (KIP-98,
 * KIP-447), after the Java client's TransactionManager:
 *
 *   UNINITIALIZED → INITIALIZING → READY ⇄ IN_TRANSACTION → COMMITTING_TRANSACTION → READY
 *                                                          → ABORTING_TRANSACTION  → READY
 *   IN_TRANSACTION / COMMITTING_TRANSACTION → ABORTABLE_ERROR → ABORTING_TRANSACTION
 *   any state → FATAL_ERROR (for good)
 *
 * - InitProducerId with the transactional id gives the producer id and epoch (fencing any
 *   older instance with the same id and aborting its open transaction on the coordinator).
 * - The sender asks `maySend(topic, partition)` before a partition's first batch of a
 *   transaction; the partitions asked for meanwhile go together in one AddPartitionsToTxn
 *   (one request in flight at a time; what is asked during it goes in the next), and the
 *   sender sends a partition's batches only once its add succeeded (`onChange` wakes it).
 * - sendOffsets: AddOffsetsToTxn at the transaction coordinator, then TxnOffsetCommit at the
 *   group coordinator; the offsets become visible with the commit (KIP-447 group metadata
 *   fences zombie consumers' offsets).
 * - commit(): the producer flushes every batch first, then EndTxn(commit); abort(): unsent
 *   batches are dropped and in-flight ones answered first, then EndTxn(abort). A transaction
 *   that added nothing ends without EndTxn, as Java's (the coordinator has nothing to end).
 *
 * Errors as the Java client classes them: retriable ones (COORDINATOR_LOAD_IN_PROGRESS,
 * CONCURRENT_TRANSACTIONS, COORDINATOR_NOT_AVAILABLE and NOT_COORDINATOR, which make the
 * network transport look the coordinator up again, a lost connection) are retried with a
 * backoff for up to `maxBlockMs`; PRODUCER_FENCED and INVALID_PRODUCER_EPOCH from a
 * coordinator, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, INVALID_TXN_STATE and unexpected errors
 * are fatal (the producer cannot be used again: every call throws the same error); the others
 * (a produce that failed, UNKNOWN_PRODUCER_ID, authorization of a topic or group, a consumer
 * generation that moved on) are abortable: only abort() is allowed until it succeeds. A
 * Produce answered INVALID_PRODUCER_EPOCH is abortable (KIP-588: the coordinator may have
 * aborted a timed-out transaction); an abort after a sequence problem bumps the epoch with
 * InitProducerId(producerId, epoch) (KIP-360) so the next transaction starts clean.
 */
import { ErrorCode, KafkaError, errorNameOf } from '../errors.js';
import type { ClientTransport, TxnPartitionResults } from './transport.js';

export type TransactionState =
  'UNINITIALIZED' | 'INITIALIZING' | 'READY' | 'IN_TRANSACTION' | 'COMMITTING_TRANSACTION' | 'ABORTING_TRANSACTION' | 'ABORTABLE_ERROR' | 'FATAL_ERROR';

/** A newer producer with the same transactional id has initialised: this one can do nothing more. */
export class ProducerFencedError extends KafkaError {
  readonly transactionalId: string;
  constructor(transactionalId: string, message: string) {
    super('PRODUCER_FENCED', message);
    this.name = 'ProducerFencedError';
    this.transactionalId = transactionalId;
  }
}

/**
 * A transactional call made in a state that does not allow it: a second transaction while one
 * is open, a send outside a transaction, or anything but abort() after an abortable error
 * (`cause` is that error).
 */
export class TransactionStateError extends KafkaError {
  readonly state: TransactionState;
  constructor(state: TransactionState, message: string, cause?: unknown) {
    super('INVALID_TXN_STATE', message, cause === undefined ? undefined : { cause });
    this.name = 'TransactionStateError';
    this.state = state;
  }
}

/** The transport calls a transaction makes. */
export type TxnTransport = Pick<ClientTransport, 'initProducerId' | 'addPartitionsToTxn' | 'addOffsetsToTxn' | 'endTxn' | 'txnOffsetCommit'>;

export interface TransactionManagerOptions {
  transactionalId: string;
  /** transaction.timeout.ms: the coordinator aborts a transaction open longer; default 60000. */
  transactionTimeoutMs?: number;
  /** First retry backoff of coordinator requests; doubles up to 1 s. Default 100. */
  retryBackoffMs?: number;
  /** max.block.ms: how long retriable coordinator errors are retried before a call fails; default 60000. */
  maxBlockMs?: number;
}

export interface OffsetsToSend {
  consumerGroupId: string;
  topics: { topic: string; partitions: { partition: number; offset: string | number | bigint; metadata?: string | null }[] }[];
  /** The consumer's group metadata (KIP-447): offsets of a member the group has moved past are refused. */
  consumer?: { generationId?: number; memberId?: string; groupInstanceId?: string | null };
}

/** Errors worth asking again, maybe at another coordinator (the network transport forgets the old one). */
const RETRIABLE = new Set<number>([
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.CONCURRENT_TRANSACTIONS,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIMED_OUT,
]);
/** Fatal whatever the request: the producer was fenced or may not use the id. */
const FENCED = new Set<number>([ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH]);
/** Abortable coordinator errors (Java's handlers); UNKNOWN_PRODUCER_ID and the mapping error also need a new epoch. */
const ABORTABLE = new Set<number>([
  ErrorCode.UNKNOWN_PRODUCER_ID,
  ErrorCode.INVALID_PRODUCER_ID_MAPPING,
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.TRANSACTION_ABORTABLE,
]);
/** TxnOffsetCommit: the consumer's generation moved on (Java's CommitFailedException), abortable. */
const COMMIT_FAILED = new Set<number>([
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.REBALANCE_IN_PROGRESS,
]);
/** Retried per partition in AddPartitionsToTxn and TxnOffsetCommit. */
const PARTITION_RETRIABLE = new Set<number>([...RETRIABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
const MAX_BACKOFF_MS = 1_000;
/** Java's backoff for AddPartitionsToTxn answered CONCURRENT_TRANSACTIONS (the previous transaction's markers are being written). */
const CONCURRENT_TXN_BACKOFF_MS = 20;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const key = (topic: string, partition: number): string => `${topic}\0${partition}`;

export class TransactionManager {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  private readonly retryBackoffMs: number;
  private readonly maxBlockMs: number;
  private stateNow: TransactionState = 'UNINITIALIZED';
  private producerId = -1n;
  private producerEpoch = -1;
  private initializing: Promise<void> | null = null;
  /** Partitions the coordinator has in the transaction, asked for, and in the request in flight. */
  private readonly added = new Set<string>();
  private readonly pending = new Map<string, { topic: string; partition: number }>();
  private readonly adding = new Set<string>();
  private addRequest: Promise<void> | null = null;
  /** Whether the coordinator has the transaction (a partition or the offsets were added): EndTxn is needed. */
  private started = false;
  /** The error that put the manager in ABORTABLE_ERROR or FATAL_ERROR. */
  private lastError: Error | null = null;
  /** The next abort bumps the epoch (KIP-360): the broker's sequences for this producer are not ours. */
  private epochBumpRequired = false;
  private readonly listeners: (() => void)[] = [];
  private readonly identityListeners: ((producerId: bigint, producerEpoch: number) => void)[] = [];

  constructor(
    private readonly transport: TxnTransport,
    options: TransactionManagerOptions,
  ) {
    if (typeof options.transactionalId !== 'string' || options.transactionalId.length === 0)
      throw new KafkaError('INVALID_CONFIG', 'transactionalId must be a non-empty string');
    this.transactionalId = options.transactionalId;
    this.transactionTimeoutMs = options.transactionTimeoutMs ?? 60_000;
    if (!Number.isInteger(this.transactionTimeoutMs) || this.transactionTimeoutMs <= 0)
      throw new KafkaError('INVALID_CONFIG', `transactionTimeout must be a positive integer (ms), not ${String(options.transactionTimeoutMs)}`);
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.maxBlockMs = options.maxBlockMs ?? 60_000;
  }

  get state(): TransactionState {
    return this.stateNow;
  }

  get identity(): { producerId: bigint; producerEpoch: number } {
    return { producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  /** Called when partitions were added or the state changed: the sender looks at its queue again. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Called when InitProducerId gave a new producer id or epoch: every partition's sequence starts at 0. */
  onIdentity(listener: (producerId: bigint, producerEpoch: number) => void): void {
    this.identityListeners.push(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  // ------------------------------------------------------------------ init and begin

  /** InitProducerId with the transactional id, once (concurrent callers share it). */
  initTransactions(): Promise<void> {
    if (this.stateNow !== 'UNINITIALIZED' && this.stateNow !== 'INITIALIZING') {
      this.throwIfFailed();
      return Promise.resolve();
    }
    this.initializing ??= this.initProducerId(-1n, -1).finally(() => {
      this.initializing = null;
    });
    return this.initializing;
  }

  private async initProducerId(producerId: bigint, producerEpoch: number): Promise<void> {
    this.stateNow = 'INITIALIZING';
    const r = await this.retrying('InitProducerId', () =>
      this.transport.initProducerId({ transactionalId: this.transactionalId, transactionTimeoutMs: this.transactionTimeoutMs, producerId, producerEpoch }),
    );
    if (r.errorCode !== ErrorCode.NONE) throw this.fatal('InitProducerId', r.errorCode);
    this.producerId = r.producerId;
    this.producerEpoch = r.producerEpoch;
    this.epochBumpRequired = false;
    this.stateNow = 'READY';
    for (const l of this.identityListeners) l(r.producerId, r.producerEpoch);
  }

  /** READY → IN_TRANSACTION; only one transaction at a time. */
  beginTransaction(): void {
    this.throwIfFailed();
    if (this.stateNow === 'UNINITIALIZED' || this.stateNow === 'INITIALIZING')
      throw new TransactionStateError(this.stateNow, 'the producer has no producer id yet: await initTransactions() first');
    if (this.stateNow !== 'READY')
      throw new TransactionStateError(
        this.stateNow,
        `transactional id ${this.transactionalId} already has a transaction in progress (${this.stateNow}): commit or abort it first`,
      );
    this.stateNow = 'IN_TRANSACTION';
    this.started = false;
    this.added.clear();
  }

  /** Throws unless records may be sent now (a transaction is open and healthy). */
  checkSend(): void {
    this.throwIfFailed();
    if (this.stateNow !== 'IN_TRANSACTION')
      throw new TransactionStateError(
        this.stateNow,
        `a transactional producer sends inside a transaction only (state ${this.stateNow}): use producer.transaction()`,
      );
  }

  private throwIfFailed(): void {
    if (this.stateNow === 'FATAL_ERROR') throw this.lastError!;
    if (this.stateNow === 'ABORTABLE_ERROR')
      throw new TransactionStateError(this.stateNow, `the transaction failed and must be aborted: ${this.lastError!.message}`, this.lastError);
  }

  // ------------------------------------------------------------------ the sender's side

  /**
   * Whether the sender may send batches of this partition now. When the partition is not yet
   * in the transaction, asks for it (AddPartitionsToTxn soon, with the others asked meanwhile).
   */
  maySend(topic: string, partition: number): boolean {
    const k = key(topic, partition);
    if (this.added.has(k)) return true;
    if (this.stateNow !== 'IN_TRANSACTION' && this.stateNow !== 'COMMITTING_TRANSACTION') return false;
    if (!this.adding.has(k) && !this.pending.has(k)) {
      this.pending.set(k, { topic, partition });
      if (this.addRequest === null) this.addRequest = this.addPartitionsSoon();
    }
    return false;
  }

  /** The error queued batches fail with now (the transaction failed or is being aborted), or null. */
  failure(): Error | null {
    if (this.stateNow === 'ABORTABLE_ERROR' || this.stateNow === 'FATAL_ERROR') return this.lastError;
    if (this.stateNow === 'ABORTING_TRANSACTION') return new KafkaError('INVALID_TXN_STATE', `the transaction of ${this.transactionalId} is being aborted`);
    return null;
  }

  /** A batch of the transaction failed for good (after the sender's retries). */
  batchFailed(errorCode: number, message: string): void {
    if (errorCode === ErrorCode.PRODUCER_FENCED || errorCode === ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) {
      this.toFatal(this.errorFor('Produce', errorCode, message));
      return;
    }
    if (errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || errorCode === ErrorCode.UNKNOWN_PRODUCER_ID) this.epochBumpRequired = true;
    this.toAbortable(new KafkaError(errorNameOf(errorCode), message));
  }

  /** The sender could not keep a partition's sequence numbers gapless: the next abort bumps the epoch. */
  sequenceLost(): void {
    this.epochBumpRequired = true;
  }

  /** Partitions asked for in this microtask run go in one request. */
  private async addPartitionsSoon(): Promise<void> {
    await Promise.resolve();
    try {
      while (this.pending.size > 0 && (this.stateNow === 'IN_TRANSACTION' || this.stateNow === 'COMMITTING_TRANSACTION')) {
        const batch = [...this.pending.entries()];
        this.pending.clear();
        for (const [k] of batch) this.adding.add(k);
        try {
          await this.addPartitions(batch.map(([, tp]) => tp));
        } finally {
          for (const [k] of batch) this.adding.delete(k);
        }
        this.changed();
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.pending.clear();
      this.addRequest = null;
      this.changed();
    }
  }

  /** One AddPartitionsToTxn, partitions answered with retriable errors asked again after a backoff. */
  private async addPartitions(partitions: { topic: string; partition: number }[]): Promise<void> {
    let todo = partitions;
    const deadline = Date.now() + this.maxBlockMs;
    for (let attempt = 0; todo.length > 0; attempt++) {
      const topics = new Map<string, number[]>();
      for (const { topic, partition } of todo) {
        let list = topics.get(topic);
        if (list === undefined) topics.set(topic, (list = []));
        list.push(partition);
      }
      const r = await this.call('AddPartitionsToTxn', () =>
        this.transport.addPartitionsToTxn({ ...this.txnProducer(), topics: [...topics].map(([name, parts]) => ({ name, partitions: parts })) }),
      );
      const again: { topic: string; partition: number }[] = [];
      let backoffMs = this.backoffMs(attempt);
      let failure: { code: number; where: string } | null = null;
      for (const { topic, partition } of todo) {
        const code = codeOf(r, topic, partition);
        if (code === ErrorCode.NONE) {
          this.added.add(key(topic, partition));
          this.started = true;
        } else if (PARTITION_RETRIABLE.has(code)) {
          again.push({ topic, partition });
          if (code === ErrorCode.CONCURRENT_TRANSACTIONS) backoffMs = Math.min(backoffMs, CONCURRENT_TXN_BACKOFF_MS * 2 ** attempt);
        } else if (code !== ErrorCode.OPERATION_NOT_ATTEMPTED) {
          // OPERATION_NOT_ATTEMPTED: another partition of the request failed; its error is the one that counts.
          if (failure === null || FENCED.has(code)) failure = { code, where: `${topic}-${partition}` };
        } else again.push({ topic, partition });
      }
      if (failure !== null) throw this.classify('AddPartitionsToTxn', failure.code, `partition ${failure.where}`);
      // An abort needs no more partitions; a fatal or abortable error already ended the transaction.
      if (again.length === 0 || this.stateNow === 'ABORTING_TRANSACTION' || this.stateNow === 'ABORTABLE_ERROR' || this.stateNow === 'FATAL_ERROR') return;
      if (Date.now() + backoffMs > deadline) throw this.timeout('AddPartitionsToTxn', codeOf(r, again[0]!.topic, again[0]!.partition));
      await sleep(backoffMs);
      todo = again;
    }
  }

  // ------------------------------------------------------------------ offsets, commit, abort

  /** AddOffsetsToTxn, then TxnOffsetCommit at the group coordinator. */
  async sendOffsets(offsets: OffsetsToSend): Promise<void> {
    this.checkSend();
    const groupId = offsets.consumerGroupId;
    if (typeof groupId !== 'string' || groupId.length === 0) throw new KafkaError('INVALID_GROUP_ID', 'sendOffsets needs a consumerGroupId');
    let todo = offsets.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: BigInt(p.offset), metadata: p.metadata ?? null })),
    );
    try {
      const r = await this.retrying('AddOffsetsToTxn', () => this.transport.addOffsetsToTxn({ ...this.txnProducer(), groupId }));
      if (r.errorCode !== ErrorCode.NONE) throw this.classify('AddOffsetsToTxn', r.errorCode, `group ${groupId}`);
      this.started = true;
      const deadline = Date.now() + this.maxBlockMs;
      for (let attempt = 0; todo.length > 0; attempt++) {
        const byTopic = new Map<string, typeof todo>();
        for (const o of todo) {
          let list = byTopic.get(o.topic);
          if (list === undefined) byTopic.set(o.topic, (list = []));
          list.push(o);
        }
        const res = await this.call('TxnOffsetCommit', () =>
          this.transport.txnOffsetCommit({
            ...this.txnProducer(),
            groupId,
            generationId: offsets.consumer?.generationId ?? -1,
            memberId: offsets.consumer?.memberId ?? '',
            groupInstanceId: offsets.consumer?.groupInstanceId ?? null,
            topics: [...byTopic].map(([name, list]) => ({
              name,
              partitions: list.map((o) => ({
                partitionIndex: o.partition,
                committedOffset: o.offset,
                committedLeaderEpoch: -1,
                committedMetadata: o.metadata,
              })),
            })),
          }),
        );
        const again: typeof todo = [];
        for (const o of todo) {
          const code = codeOf(res, o.topic, o.partition);
          if (code === ErrorCode.NONE) continue;
          if (PARTITION_RETRIABLE.has(code)) again.push(o);
          else if (COMMIT_FAILED.has(code))
            throw this.toAbortable(
              new KafkaError(errorNameOf(code), `TxnOffsetCommit for group ${groupId} failed: ${errorNameOf(code)} (the consumer's generation moved on)`),
            );
          else throw this.classify('TxnOffsetCommit', code, `group ${groupId}, ${o.topic}-${o.partition}`);
        }
        if (again.length === 0) break;
        if (Date.now() >= deadline) throw this.timeout('TxnOffsetCommit', codeOf(res, again[0]!.topic, again[0]!.partition));
        await sleep(this.backoffMs(attempt));
        todo = again;
      }
    } catch (err) {
      throw this.fail(err as Error);
    }
  }

  /** Flushes with `flush` (every batch answered), then EndTxn(commit). */
  async commit(flush: () => Promise<void>): Promise<void> {
    this.throwIfFailed();
    if (this.stateNow !== 'IN_TRANSACTION' && this.stateNow !== 'COMMITTING_TRANSACTION')
      throw new TransactionStateError(this.stateNow, `no transaction to commit (state ${this.stateNow})`);
    this.stateNow = 'COMMITTING_TRANSACTION';
    await flush();
    await this.addRequest;
    this.throwIfFailed();
    await this.endTxn(true);
  }

  /**
   * Drops unsent batches with `dropUnsent`, waits with `drained` for those in flight, then
   * EndTxn(abort) — and a new epoch when the broker's sequences for this producer were lost.
   */
  async abort(dropUnsent: (err: Error) => void, drained: () => Promise<void>): Promise<void> {
    if (this.stateNow === 'FATAL_ERROR') throw this.lastError!;
    if (this.stateNow !== 'IN_TRANSACTION' && this.stateNow !== 'ABORTABLE_ERROR' && this.stateNow !== 'ABORTING_TRANSACTION')
      throw new TransactionStateError(this.stateNow, `no transaction to abort (state ${this.stateNow})`);
    this.stateNow = 'ABORTING_TRANSACTION';
    const err = this.failure()!;
    dropUnsent(err);
    this.changed();
    await drained();
    await this.addRequest;
    await this.endTxn(false);
  }

  private async endTxn(committed: boolean): Promise<void> {
    const api = committed ? 'EndTxn(commit)' : 'EndTxn(abort)';
    try {
      if (this.started) {
        const r = await this.retrying(api, () => this.transport.endTxn({ ...this.txnProducer(), committed }));
        if (r.errorCode !== ErrorCode.NONE) throw this.classify(api, r.errorCode, `transactional id ${this.transactionalId}`);
      }
      this.started = false;
      this.added.clear();
      if (!committed && this.epochBumpRequired) await this.initProducerId(this.producerId, this.producerEpoch);
      this.stateNow = 'READY';
    } catch (err) {
      throw this.fail(err as Error);
    }
  }

  // ------------------------------------------------------------------ errors and retries

  private txnProducer(): { transactionalId: string; producerId: bigint; producerEpoch: number } {
    return { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  /** A transport call; a lost connection (thrown) is NETWORK_EXCEPTION, retried as the codes are. */
  private async call<T>(api: string, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.maxBlockMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const retriable = err instanceof KafkaError ? err.retriable : false;
        const connection = (err as Error).name === 'KafkaConnectionError' || (err as Error).name === 'RequestTimeoutError';
        if (!(retriable || connection)) throw this.toFatal(err instanceof Error ? err : new Error(String(err)));
        if (Date.now() >= deadline) throw this.timeout(api, ErrorCode.NETWORK_EXCEPTION);
        await sleep(this.backoffMs(attempt));
      }
    }
  }

  /** A request answered with one error code, asked again while the code is retriable. */
  private async retrying<T extends { errorCode: number }>(api: string, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.maxBlockMs;
    for (let attempt = 0; ; attempt++) {
      const r = await this.call(api, fn);
      if (!RETRIABLE.has(r.errorCode)) return r;
      if (Date.now() >= deadline) throw this.timeout(api, r.errorCode);
      await sleep(this.backoffMs(attempt));
    }
  }

  private backoffMs(attempt: number): number {
    return Math.min(this.retryBackoffMs * 2 ** attempt, MAX_BACKOFF_MS);
  }

  /** Retriable errors for longer than maxBlockMs: the call fails, the state stays (Java's TimeoutException); it may be called again. */
  private timeout(api: string, code: number): KafkaError {
    return new KafkaError(
      'REQUEST_TIMED_OUT',
      `${api} for transactional id ${this.transactionalId} still failed with ${errorNameOf(code)} after ${this.maxBlockMs} ms`,
    );
  }

  private errorFor(api: string, code: number, context: string): KafkaError {
    if (FENCED.has(code))
      return new ProducerFencedError(
        this.transactionalId,
        `${api}: producer ${this.producerId} epoch ${this.producerEpoch} of transactional id ${this.transactionalId} was fenced by a newer instance (${errorNameOf(code)})`,
      );
    return new KafkaError(errorNameOf(code), `${api} failed: ${errorNameOf(code)} (${context})`);
  }

  /** The error for a coordinator's answer, with the manager moved to the state it implies. */
  private classify(api: string, code: number, context: string): KafkaError {
    const err = this.errorFor(api, code, context);
    if (ABORTABLE.has(code)) {
      if (code === ErrorCode.UNKNOWN_PRODUCER_ID || code === ErrorCode.INVALID_PRODUCER_ID_MAPPING) this.epochBumpRequired = true;
      return this.toAbortable(err);
    }
    return this.toFatal(err);
  }

  private fatal(api: string, code: number): KafkaError {
    return this.toFatal(this.errorFor(api, code, `transactional id ${this.transactionalId}`));
  }

  private toFatal<E extends Error>(err: E): E {
    if (this.stateNow !== 'FATAL_ERROR') {
      this.stateNow = 'FATAL_ERROR';
      this.lastError = err;
      this.changed();
    }
    return err;
  }

  private toAbortable<E extends Error>(err: E): E {
    if (this.stateNow === 'FATAL_ERROR' || this.stateNow === 'ABORTING_TRANSACTION') return err;
    if (this.stateNow !== 'ABORTABLE_ERROR') {
      this.stateNow = 'ABORTABLE_ERROR';
      this.lastError = err;
      this.changed();
    }
    return err;
  }

  /** An error on the way: timeouts leave the state as it was; anything else already moved it. */
  private fail(err: Error): Error {
    if (this.stateNow !== 'FATAL_ERROR' && this.stateNow !== 'ABORTABLE_ERROR' && !(err instanceof KafkaError && err.errorName === 'REQUEST_TIMED_OUT'))
      return this.toFatal(err);
    return err;
  }
}

/** A partition's error code in a per-partition response (UNKNOWN_SERVER_ERROR when it has no entry). */
function codeOf(r: TxnPartitionResults, topic: string, partition: number): number {
  const p = r.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
  return p === undefined ? ErrorCode.UNKNOWN_SERVER_ERROR : p.errorCode;
}
