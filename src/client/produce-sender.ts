/**
 * The producer's sender: takes closed batches from the RecordAccumulator, keeps up to
 * `maxInFlightRequests` produce calls in flight (each call is one Produce request per broker),
 * and retries failed batches without ever reordering a partition — Kafka's rules for an
 * idempotent producer (the Java client's Sender / TransactionManager):
 *
 * - Sequence numbers are per partition, assigned when a batch is first sent, in the order the
 *   batches were created; a retried batch goes again with the same bytes (same producer id,
 *   epoch and sequence), so a broker that already has it answers DUPLICATE_SEQUENCE_NUMBER (or
 *   the first answer again) instead of appending it twice.
 * - A partition carries one batch per call, and several calls may be in flight for it. When one
 *   fails, the partition stops: nothing new is sent for it until every call in flight for it is
 *   answered; then its failed batches go again, in sequence order and one at a time (after a
 *   backoff and a metadata refresh), before anything newer. Batches that failed only because an
 *   earlier one did (OUT_OF_ORDER_SEQUENCE_NUMBER behind a gap) do not use up their retries.
 * - DUPLICATE_SEQUENCE_NUMBER is success (the broker has the batch; its offsets are unknown,
 *   -1), as in the Java client.
 * - OUT_OF_ORDER_SEQUENCE_NUMBER for the oldest batch in flight, or UNKNOWN_PRODUCER_ID, means
 *   the broker's state for this producer is not ours: the producer takes a new producer id once
 *   every call in flight is answered (so no partition sees old and new ids interleaved), and
 *   the batches not yet appended are sent again under it, from sequence 0 (KIP-360's idea).
 * - A batch that fails for good (a non-retriable error, or retries used up) fails its sends.
 *   When no later batch of its partition has a sequence yet, the partition's sequence goes back
 *   to the failed batch's; otherwise the producer takes a new producer id as above, because the
 *   broker would refuse every later sequence.
 *
 * In a transaction (a TransactionGate given): a partition's batches go only once the
 * partition is in the transaction (AddPartitionsToTxn, asked for by `maySend`); when the
 * transaction fails or is aborted, what is queued fails with the gate's error; a batch that
 * fails for good, or sequence numbers that cannot be kept, make the transaction abortable
 * rather than renewing the producer id (the abort bumps the epoch; transaction-manager.ts).
 *
 * Without idempotence there are no sequence numbers to keep order, so a partition has at most
 * one call in flight when retries are on (Kafka's advice: max.in.flight.requests.per.connection=1
 * for ordered retries); acks=0 has no answers, so no retries and no such limit.
 */
import { ErrorCode, isRetriableCode } from '../errors.js';
import { encodeRecordBatch } from '../records/index.js';
import type { PendingBatch } from './record-accumulator.js';
import type { ClientTransport } from './transport.js';

/** Sequence numbers are 31-bit and wrap to 0, as the Java client's. */
const MAX_SEQUENCE = 0x7fffffff;
const MAX_BACKOFF_MS = 1_000;

export interface SenderOptions {
  idempotent: boolean;
  /** max.in.flight.requests.per.connection: produce calls in flight (each one request per broker); Kafka's 5. */
  maxInFlightRequests: number;
  retries: number;
  retryBackoffMs: number;
  /** The Produce request's timeout. */
  timeoutMs: number;
}

/** The transaction manager's side of the sender (transaction-manager.ts). */
export interface TransactionGate {
  readonly transactionalId: string;
  /** Whether the partition is in the transaction; when not, asks for it and wakes the sender (drain) once added. */
  maySend(topic: string, partition: number): boolean;
  /** The error queued batches fail with now, or null. */
  failure(): Error | null;
  batchFailed(errorCode: number, message: string): void;
  sequenceLost(): void;
}

export interface ProducerIdentity {
  producerId: bigint;
  producerEpoch: number;
}

/** One partition's batches: waiting to be sent (in order) and in flight. */
interface Line {
  topic: string;
  partition: number;
  queued: PendingBatch[];
  inFlight: number;
  /** Next sequence number to assign. */
  nextSequence: number;
  /** Stopped after a failure: one batch at a time until one succeeds. */
  stopped: boolean;
  /** The oldest failed batch of the current stop (later failures of the line are its consequence). */
  causeOrder: number;
  /** Backing off before a retry (and refreshing the partition's leader): nothing is sent meanwhile. */
  refreshing: boolean;
  /** The newest batch (creation order) the broker acknowledged, and under which producer id. */
  ackedOrder: number;
  ackedProducerId: bigint;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class ProduceSender {
  private readonly lines = new Map<string, Line>();
  private callsInFlight = 0;
  private needNewIdentity = false;
  private renewing = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly transport: ClientTransport,
    private readonly options: SenderOptions,
    /** The producer id and epoch batches are sent under now (-1 without idempotence). */
    private readonly identity: () => ProducerIdentity,
    /** InitProducerId for a new producer id (idempotent producers); the next identity() returns it. */
    private readonly newIdentity: () => Promise<void>,
    private readonly txn: TransactionGate | null = null,
  ) {}

  /** After a new producer id or epoch (a transactional producer's abort): every partition starts again at sequence 0. */
  resetSequences(): void {
    for (const l of this.lines.values()) {
      l.nextSequence = 0;
      l.ackedOrder = -1;
      l.ackedProducerId = -1n;
    }
  }

  /** Batches closed by the accumulator, in creation order. */
  enqueue(batches: readonly PendingBatch[]): void {
    for (const b of batches) this.line(b.topic, b.partition).queued.push(b);
    this.drain();
  }

  /** Resolves once nothing is queued or in flight. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private isIdle(): boolean {
    if (this.callsInFlight > 0) return false;
    for (const l of this.lines.values()) if (l.queued.length > 0) return false;
    return true;
  }

  private line(topic: string, partition: number): Line {
    const k = `${topic}\0${partition}`;
    let l = this.lines.get(k);
    if (l === undefined) {
      l = {
        topic,
        partition,
        queued: [],
        inFlight: 0,
        nextSequence: 0,
        stopped: false,
        causeOrder: -1,
        refreshing: false,
        ackedOrder: -1,
        ackedProducerId: -1n,
      };
      this.lines.set(k, l);
    }
    return l;
  }

  /** Sends what may go now: one batch per partition per call, calls up to the in-flight limit. */
  drain(): void {
    const txnFailure = this.txn?.failure() ?? null;
    if (txnFailure !== null) this.failQueued(txnFailure);
    if (this.needNewIdentity) {
      if (this.callsInFlight === 0 && !this.renewing) void this.renew();
      return;
    }
    while (this.callsInFlight < this.options.maxInFlightRequests) {
      let acks: number | null = null;
      const picked: [Line, PendingBatch][] = [];
      for (const l of this.lines.values()) {
        while (l.queued.length > 0 && this.appendedBefore(l, l.queued[0]!)) {
          const done = l.queued.shift()!;
          if (done.order === l.causeOrder) l.causeOrder = -1;
          done.complete({ errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n });
        }
        const b = l.queued[0];
        if (b === undefined || l.refreshing) continue;
        if (l.stopped && l.inFlight > 0) continue;
        if (this.txn !== null && !this.txn.maySend(l.topic, l.partition)) continue;
        if (!this.options.idempotent && b.acks !== 0 && this.options.retries > 0 && l.inFlight > 0) continue;
        if (acks === null) acks = b.acks;
        else if (b.acks !== acks) continue;
        picked.push([l, b]);
      }
      if (picked.length === 0) break;
      for (const [l] of picked) {
        l.queued.shift();
        l.inFlight++;
      }
      this.send(acks!, picked);
    }
    if (this.isIdle()) for (const resolve of this.idle.splice(0)) resolve();
  }

  private encode(l: Line, b: PendingBatch): { index: number; records: Buffer } {
    if (b.bytes === null || (this.options.idempotent && b.producerId !== this.identity().producerId)) {
      let baseSequence = -1;
      if (this.options.idempotent) {
        baseSequence = l.nextSequence;
        l.nextSequence = (baseSequence + b.records.length) % (MAX_SEQUENCE + 1);
      }
      const { producerId, producerEpoch } = this.identity();
      b.baseSequence = baseSequence;
      b.producerId = producerId;
      b.bytes = encodeRecordBatch(b.records, {
        compression: b.codec,
        now: Date.now(),
        ...(this.options.idempotent ? { producerId, producerEpoch, baseSequence } : {}),
        ...(this.txn === null ? {} : { isTransactional: true }),
      });
    }
    return { index: b.partition, records: b.bytes };
  }

  private send(acks: number, picked: [Line, PendingBatch][]): void {
    const topicData: { name: string; partitions: { index: number; records: Buffer }[] }[] = [];
    try {
      for (const [l, b] of picked) {
        let t = topicData.find((x) => x.name === b.topic);
        if (t === undefined) topicData.push((t = { name: b.topic, partitions: [] }));
        t.partitions.push(this.encode(l, b));
      }
    } catch (err) {
      // Records the encoder refuses (a value of the wrong type, a codec failing) fail the picked
      // batches, with the encoder's error, and nothing else.
      for (const [l, b] of picked) {
        l.inFlight--;
        this.fail(l, b, ErrorCode.UNKNOWN_SERVER_ERROR, (err as Error).message, err as Error);
      }
      queueMicrotask(() => this.drain());
      return;
    }
    this.callsInFlight++;
    const options = this.txn === null ? { retries: 0 } : { retries: 0, transactionalId: this.txn.transactionalId };
    this.transport.produce(acks, this.options.timeoutMs, topicData, options).then(
      (results) => {
        const byKey = new Map<
          string,
          { errorCode: number; errorMessage: string | null; baseOffset: bigint; logAppendTimeMs: bigint; logStartOffset: bigint }
        >();
        for (const t of results) for (const p of t.partitions) byKey.set(`${t.name}\0${p.index}`, p);
        this.answered(acks, picked, (l) => byKey.get(`${l.topic}\0${l.partition}`));
      },
      (err: unknown) =>
        this.answered(acks, picked, () => ({
          errorCode: ErrorCode.REQUEST_TIMED_OUT,
          errorMessage: (err as Error).message,
          baseOffset: -1n,
          logAppendTimeMs: -1n,
          logStartOffset: -1n,
        })),
    );
  }

  private answered(
    acks: number,
    picked: [Line, PendingBatch][],
    resultOf: (l: Line) => { errorCode: number; errorMessage: string | null; baseOffset: bigint; logAppendTimeMs: bigint; logStartOffset: bigint } | undefined,
  ): void {
    this.callsInFlight--;
    for (const [l, b] of picked) {
      l.inFlight--;
      const r = resultOf(l) ?? {
        errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
        errorMessage: `the Produce response has no entry for ${l.topic}-${l.partition}`,
        baseOffset: -1n,
        logAppendTimeMs: -1n,
        logStartOffset: -1n,
      };
      const code = r.errorCode;
      if (code === ErrorCode.NONE || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER || acks === 0 || this.appendedBefore(l, b)) {
        if (b.order === l.causeOrder) l.causeOrder = -1;
        if (l.causeOrder < 0 && l.inFlight === 0) l.stopped = false;
        if (this.options.idempotent && b.order > l.ackedOrder) {
          l.ackedOrder = b.order;
          l.ackedProducerId = b.producerId;
        }
        b.complete({ ...r, errorCode: ErrorCode.NONE, errorMessage: null, ...(code === ErrorCode.NONE ? {} : { baseOffset: -1n }) });
        continue;
      }
      // A failure behind an earlier failed batch of the partition still unresolved is its
      // consequence (the broker refuses sequences past a gap): retried, not counted.
      const consequence = l.causeOrder >= 0 && b.order > l.causeOrder;
      if (!consequence) {
        l.causeOrder = b.order;
        b.attempts++;
      }
      l.stopped = true;
      const sequenceTrouble =
        this.options.idempotent &&
        this.txn === null &&
        (code === ErrorCode.UNKNOWN_PRODUCER_ID || (code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER && !consequence));
      const retriable = consequence || sequenceTrouble || isRetriableCode(code);
      if (retriable && b.attempts <= this.options.retries) {
        if (sequenceTrouble) this.needNewIdentity = true;
        this.requeue(l, b);
        this.backOff(l, b.attempts);
      } else {
        this.fail(l, b, code, r.errorMessage);
      }
    }
    this.drain();
  }

  /**
   * Whether the broker must have appended `b` although its own answer was lost or refused: a
   * later batch of its partition under the same producer id was acknowledged, and the broker
   * appends a producer's sequences only without gaps. (A resend that comes after more than the 5
   * batches a broker remembers would otherwise be refused as OUT_OF_ORDER_SEQUENCE_NUMBER.)
   */
  private appendedBefore(l: Line, b: PendingBatch): boolean {
    return this.options.idempotent && b.bytes !== null && b.producerId === l.ackedProducerId && b.order < l.ackedOrder;
  }

  /** Puts a batch back at its place (creation order) in its partition's queue. */
  private requeue(l: Line, b: PendingBatch): void {
    let i = 0;
    while (i < l.queued.length && l.queued[i]!.order < b.order) i++;
    l.queued.splice(i, 0, b);
  }

  /** Backoff doubling per attempt, with the partition's leader looked up again meanwhile. */
  private backOff(l: Line, attempts: number): void {
    if (l.refreshing) return;
    l.refreshing = true;
    const ms = Math.min(this.options.retryBackoffMs * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
    void Promise.all([sleep(ms), this.transport.metadata([l.topic], false).catch(() => undefined)]).then(() => {
      l.refreshing = false;
      this.drain();
    });
  }

  private fail(l: Line, b: PendingBatch, errorCode: number, errorMessage: string | null, error?: Error): void {
    const producerId = this.identity().producerId;
    if (this.options.idempotent && b.baseSequence >= 0 && b.producerId === producerId) {
      const after = (b.baseSequence + b.records.length) % (MAX_SEQUENCE + 1);
      const laterSequenced = l.inFlight > 0 || l.queued.some((q) => q.bytes !== null && q.producerId === producerId);
      if (!laterSequenced && l.nextSequence === after) l.nextSequence = b.baseSequence;
      else if (this.txn !== null) this.txn.sequenceLost();
      else this.needNewIdentity = true;
    }
    this.txn?.batchFailed(errorCode, errorMessage ?? `produce to ${l.topic}-${l.partition} failed`);
    if (b.order === l.causeOrder) l.causeOrder = -1;
    if (l.inFlight === 0 && l.queued.length === 0) l.stopped = false;
    b.complete({ errorCode, errorMessage, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, ...(error === undefined ? {} : { error }) });
  }

  /** Fails every batch waiting to be sent (a failed or aborted transaction); batches in flight get their answers. */
  failQueued(err: Error): void {
    for (const l of this.lines.values()) {
      for (const b of l.queued.splice(0)) {
        if (b.bytes !== null && b.producerId === this.identity().producerId) this.txn?.sequenceLost();
        b.complete({
          errorCode: ErrorCode.INVALID_TXN_STATE,
          errorMessage: err.message,
          baseOffset: -1n,
          logAppendTimeMs: -1n,
          logStartOffset: -1n,
          error: err,
        });
      }
      l.stopped = false;
      l.causeOrder = -1;
    }
  }

  /** A new producer id, once nothing is in flight; every partition's sequence starts again at 0. */
  private async renew(): Promise<void> {
    this.renewing = true;
    try {
      try {
        await this.newIdentity();
      } catch (err) {
        // Nothing can be sent under the old id: what waits fails, as a send without an id would.
        const message = (err as Error).message;
        for (const l of this.lines.values()) {
          for (const b of l.queued.splice(0))
            b.complete({ errorCode: ErrorCode.UNKNOWN_PRODUCER_ID, errorMessage: message, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n });
          l.stopped = false;
          l.causeOrder = -1;
        }
        return;
      }
      for (const l of this.lines.values()) l.nextSequence = 0;
    } finally {
      this.needNewIdentity = false;
      this.renewing = false;
      this.drain();
    }
  }
}
