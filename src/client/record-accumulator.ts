/**
 * Linger and batch size across sends (Kafka's `linger.ms` and `batch.size`, as the Java client
 * and librdkafka do it; kafkajs has neither): the records of many `send()` calls for one
 * partition are gathered into one record batch, and the batches of every partition are handed
 * to the sender (produce-sender.ts) together, which makes one Produce request per broker of
 * them. Each send's records keep their place in the batch, so each send learns its own offsets.
 *
 * A partition's open batch is closed when
 *   - its records reach `batchSizeBytes` (it goes at once, with every batch closed with it), or
 *   - `lingerMs` have passed since the first record of the oldest open batch (every open batch
 *     goes then), or
 *   - a send for it asks for other acks or another codec (a batch has one of each), or
 *   - `flush()` is called (the producer's flush and disconnect).
 * `abortBatches()` fails what has not been handed over (a transaction's abort).
 * With `lingerMs` 0 the batches close at the end of the current microtask run, so sends made in
 * one synchronous stretch (a loop of unawaited sends) still share batches and requests.
 */
import { ErrorCode } from '../errors.js';
import type { Codec, RecordInput } from '../records/index.js';

/** What one send learns about its records in one partition. */
export interface SliceResult {
  errorCode: number;
  errorMessage: string | null;
  /** Offset of the slice's first record (-1 when unknown: an error, acks=0, a duplicate). */
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  /** The client's own error, when the records never reached a broker (the encoder refused them). */
  error?: Error;
}

interface Slice {
  /** Index of the slice's first record in the batch. */
  start: number;
  resolve(result: SliceResult): void;
}

let nextOrder = 0;

/** One partition's record batch, from its first record to its last answer. */
export class PendingBatch {
  /** Creation order across the producer: the order a partition's batches must be appended in. */
  readonly order = nextOrder++;
  readonly records: RecordInput[] = [];
  readonly slices: Slice[] = [];
  sizeBytes = 0;
  /** The encoded batch, kept for retries (re-encoded only under a new producer id). */
  bytes: Buffer | null = null;
  baseSequence = -1;
  producerId = -1n;
  /** Sends that failed on this batch's own account (not as a consequence of an earlier batch's failure). */
  attempts = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly acks: number,
    readonly codec: Codec,
  ) {}

  /** Adds one send's records; resolves with that send's share of the answer. */
  add(records: readonly RecordInput[], sizeBytes: number): Promise<SliceResult> {
    const start = this.records.length;
    for (const r of records) this.records.push(r);
    this.sizeBytes += sizeBytes;
    return new Promise((resolve) => this.slices.push({ start, resolve }));
  }

  /** Answers every send of the batch: offsets of each send's first record follow the batch's. */
  complete(result: SliceResult): void {
    for (const s of this.slices) {
      s.resolve(result.baseOffset < 0n || s.start === 0 ? result : { ...result, baseOffset: result.baseOffset + BigInt(s.start) });
    }
  }
}

export class RecordAccumulator {
  private readonly open = new Map<string, PendingBatch>();
  private closed: PendingBatch[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushQueued = false;

  constructor(
    private readonly lingerMs: number,
    private readonly batchSizeBytes: number,
    /** Takes the closed batches, in the order they were created. */
    private readonly onReady: (batches: PendingBatch[]) => void,
  ) {}

  append(topic: string, partition: number, acks: number, codec: Codec, records: readonly RecordInput[], sizeBytes: number): Promise<SliceResult> {
    const k = `${topic}\0${partition}`;
    let batch = this.open.get(k);
    if (batch !== undefined && (batch.acks !== acks || batch.codec !== codec)) {
      this.open.delete(k);
      this.closed.push(batch);
      batch = undefined;
    }
    if (batch === undefined) this.open.set(k, (batch = new PendingBatch(topic, partition, acks, codec)));
    const answer = batch.add(records, sizeBytes);
    if (batch.sizeBytes >= this.batchSizeBytes) {
      // Full: later sends start a new batch (the broker's message.max.bytes bounds a batch).
      this.open.delete(k);
      this.closed.push(batch);
      this.flushSoon();
    } else if (this.lingerMs === 0) this.flushSoon();
    else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    return answer;
  }

  /** Closes every open batch and hands them over now. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const ready = this.closed;
    this.closed = [];
    for (const b of this.open.values()) ready.push(b);
    this.open.clear();
    if (ready.length === 0) return;
    ready.sort((a, b) => a.order - b.order);
    this.onReady(ready);
  }

  /** Fails every batch not yet handed over (an aborted transaction's), with `error`. */
  abortBatches(error: Error): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const dropped = [...this.closed, ...this.open.values()];
    this.closed = [];
    this.open.clear();
    for (const b of dropped)
      b.complete({ errorCode: ErrorCode.INVALID_TXN_STATE, errorMessage: error.message, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, error });
  }

  /** At the end of this microtask run: the sends of the current synchronous stretch join first. */
  private flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }
}
