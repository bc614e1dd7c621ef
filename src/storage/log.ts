/**
 * Log: one Kafka partition on disk — an ordered list of segments, the active one last.
 *
 * Offsets: `logStartOffset` (first readable offset; raised by retention and DeleteRecords),
 * `nextOffset` (log end offset: the offset the next record gets), `recoveryPoint` (every
 * offset below it has been fsync'd; after an unclean stop only segments past it are scanned).
 *
 * All mutations run on the event loop and are synchronous up to the point where they wait
 * for the thread pool (fsync, recovery, unlink), so a reader always sees a consistent segment
 * list: a segment is removed from the list before its files are renamed to `.deleted`, and
 * reads copy bytes out, so a reader gets whole verified batches or OFFSET_OUT_OF_RANGE.
 */
import fs from 'node:fs';
import { BatchScanner, native, type BatchScan } from '../native.js';
import { CorruptMessageError, InvalidRecordsError, KafkaError, OffsetOutOfRangeError } from '../errors.js';
import { getDefaultLogger, type Logger } from '../logger.js';
import {
  CorruptRecordError,
  encodeRecordBatchTransient,
  readRecordsInto,
  decodeRecordBatches,
  type RecordInput,
  type Record as LogRecord,
} from '../records/index.js';
import type { Codec } from '../native.js';
import { maxUncompressedBytesFor, resolveLogConfig, type LogConfig, type LogConfigInput } from './log-config.js';
import { Segment } from './segment.js';
import type { AbortedTxn } from './transaction-index.js';
import { BATCH_FIELDS, BatchField } from '../native.js';
import { GroupCommit } from './group-commit.js';
import { LocalLogStateStore, LOCAL_STATE_FILE, type LogStateStore } from './log-state.js';
import { loadLog } from './log-loader.js';
import { DeferredDeletes } from './deferred-deletes.js';

const MAX_RELATIVE_OFFSET = 0x7fff_ffff;
const RECOVERY_CHECKPOINT_INTERVAL_MS = 60_000;
/** Default background flush interval of a standalone Log (LogManager has the same default). */
const DEFAULT_RECOVERY_POINT_FLUSH_INTERVAL_MS = 1000;

export interface LogOptions extends LogConfigInput {
  /** pino logger; defaults to the process-wide sluice logger. */
  logger?: Logger;
  /** Where recovery point / log start offset live; default: a state file in the log dir. */
  stateStore?: LogStateStore;
  /** Run retention and checkpoints on timers (default true for a standalone Log). */
  backgroundTasks?: boolean;
  /**
   * A standalone Log with background tasks: how often appends since the last flush are
   * fdatasync'd off the event loop and the recovery point checkpointed (default 1000 ms;
   * Number.MAX_SAFE_INTEGER turns it off). See LogManager for the data-dir version.
   */
  recoveryPointFlushIntervalMs?: number;
}

/** Scans appended batches for every Log: appends are synchronous, and each reads the headers before the next. */
const appendScanner = new BatchScanner();

/** The error for batches a scan refused: their records (InvalidRecordsError), else their framing or CRC. */
export function invalidBatchesError(scan: BatchScan): KafkaError {
  const e = scan.recordError;
  if (e !== undefined && e !== null) {
    const where = e.recordIndex >= 0 ? `record ${e.recordIndex} of batch ${e.batchIndex}` : `batch ${e.batchIndex}`;
    return new InvalidRecordsError(
      e.code === 'CORRUPT_MESSAGE' ? 'CORRUPT_MESSAGE' : 'INVALID_RECORD',
      `invalid ${where}: ${e.message}`,
      e.batchIndex,
      e.recordIndex,
    );
  }
  return new CorruptMessageError(`invalid record batches: ${scan.error ?? 'no batch'} at byte ${scan.errorPosition}`);
}

/**
 * Reads above this size get an ArrayBuffer of their own (Buffer.allocUnsafeSlow) rather than a
 * slice of Node's shared pool. Buffer.allocUnsafe pools everything below Buffer.poolSize / 2,
 * and the pool grew from 8 KiB (Node 20 and 22) to 64 KiB (Node 24): a 30 KB read result
 * would then pin a 64 KiB slab. 4 KiB is Node 20's threshold, fixed here so the memory a
 * read result keeps alive is the same on every Node version.
 */
const POOLED_READ_MAX_BYTES = 4096;

function readBuffer(size: number): Buffer {
  return size > POOLED_READ_MAX_BYTES ? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafe(size);
}

export interface AppendOptions {
  /** Resolve only after the appended data is fsync'd (group commit). */
  durable?: boolean;
  /** Compression codec for `append` of records (default none). */
  compression?: Codec;
  /** Leader epoch stamped into each batch (default: left as produced). */
  partitionLeaderEpoch?: number;
}

/**
 * What appendBatches checks: 'verify' checks every batch's CRC-32C and its records (Kafka's
 * LogValidator rules, validateBatchesInto in native.ts; a CreateTime batch's maxTimestamp is set
 * from its records); 'verified' means the caller did exactly that right before with
 * BatchScanner.validate (a Produce handler does, to answer with Kafka's error codes), so nothing
 * is validated twice; 'skip' means the bytes were encoded in this process just now. Checked
 * batches ('verify' and 'verified') are marked so that reads need not check their CRC again.
 */
export type CrcCheck = 'verify' | 'verified' | 'skip';

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The append time when message.timestamp.type is LogAppendTime, else -1. */
  logAppendTimeMs: number;
  /** Bytes written. */
  sizeBytes: number;
  recordCount: number;
}

export interface ReadOptions {
  /** Exclusive upper bound (e.g. the high watermark); batches at or past it are not returned. */
  maxOffset?: bigint;
  /** Return at least one whole batch even if larger than maxBytes (default true, as Fetch does). */
  minOneBatch?: boolean;
  /**
   * Pooled read: the batches are pread straight into this buffer and the result is a view of
   * it (`buffer.subarray(0, n)`), valid only until the caller reuses or overwrites `buffer` —
   * decode or send the bytes before the next read into it. At most `buffer.length` bytes are
   * returned (and at most maxBytes). When the first batch would be returned but is larger
   * than `buffer`, this read allocates a new Buffer instead (the result then does not share
   * memory with `buffer`). Bytes of `buffer` past the result may have been overwritten too.
   */
  buffer?: Buffer;
}

export class Log {
  readonly dir: string;
  config: LogConfig;
  private segments: Segment[] = [];
  /** Base offsets as numbers, parallel to `segments`, for binary search. */
  private bases: number[] = [];
  private _logStartOffset = 0n;
  private _recoveryPoint = 0n;
  private _recoveryScannedBytes = 0;
  private unflushedMessages = 0;
  private lastFlushMs = Date.now();
  private readonly groupCommit: GroupCommit;
  private readonly logger: Logger;
  private readonly stateStore: LogStateStore;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly deletes: DeferredDeletes;
  private unflushedSegments = new Set<Segment>();
  private closed = false;
  private closing: Promise<void> | undefined;
  private lastSavedState = '';
  /** The partition's open transactions (its producer state), set by ProducerStateManager.load. */
  private transactions: { readonly firstUnstableOffset: bigint | null } | null = null;

  private constructor(dir: string, config: LogConfig, logger: Logger, stateStore: LogStateStore) {
    this.dir = dir;
    this.config = config;
    this.logger = logger;
    this.stateStore = stateStore;
    this.groupCommit = new GroupCommit(() => this.flushUnflushed());
    this.deletes = new DeferredDeletes(logger, () => this.config.fileDeleteDelayMs);
  }

  /**
   * Opens (creating if absent) the partition log in `dir`. After an unclean stop, segments
   * past the recovery point are scanned off the event loop and a torn tail is truncated.
   */
  static async open(dir: string, options: LogOptions = {}): Promise<Log> {
    const config = resolveLogConfig(options);
    const logger = (options.logger ?? getDefaultLogger()).child({ log: dir });
    await fs.promises.mkdir(dir, { recursive: true });
    const stateStore = options.stateStore ?? new LocalLogStateStore(dir);
    const log = new Log(dir, config, logger, stateStore);
    const loaded = await loadLog(dir, config, stateStore.load(), logger, (segment) => log.prepare(segment));
    for (const segment of loaded.segments) log.attach(segment);
    log._logStartOffset = loaded.logStartOffset;
    log._recoveryPoint = loaded.recoveryPoint;
    log._recoveryScannedBytes = loaded.recoveryScannedBytes;
    log.unflushedSegments = new Set(loaded.unflushed);
    stateStore.markOpen(log.currentState());
    log.startTimers(
      options.backgroundTasks ?? options.stateStore === undefined,
      options.recoveryPointFlushIntervalMs ?? DEFAULT_RECOVERY_POINT_FLUSH_INTERVAL_MS,
    );
    return log;
  }

  get logStartOffset(): bigint {
    return this._logStartOffset;
  }

  /** The log end offset: the offset the next appended record gets. */
  get nextOffset(): bigint {
    return this.active.nextOffset;
  }

  get recoveryPoint(): bigint {
    return this._recoveryPoint;
  }

  /** Total bytes of all segments. */
  get size(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): bigint[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /**
   * Bytes the recovery scans at open read (from the recovery point's position in its segment to
   * the end of the log; 0 after a clean stop), for tests and metrics.
   */
  get recoveryScannedBytes(): number {
    return this._recoveryScannedBytes;
  }

  /** False once close() has begun. */
  get isOpen(): boolean {
    return !this.closed && this.closing === undefined;
  }

  /** True when something was appended (or a segment sealed) since the last flush. */
  get hasUnflushedData(): boolean {
    return this.nextOffset > this._recoveryPoint || this.unflushedSegments.size > 0;
  }

  /** fdatasync calls made by group commit (for tests and metrics). */
  get flushCount(): number {
    return this.groupCommit.flushes;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  // ---------------------------------------------------------------- segments

  /** Wires a segment's callbacks to this log's logger and settings (before it is used). */
  private prepare(segment: Segment): void {
    segment.indexIntervalBytes = this.config.indexIntervalBytes;
    segment.onCorrupt = (position, reason) => {
      this.logger.error({ segment: segment.path, position, reason }, 'corrupt record batch; the range from this position will not be served');
    };
    segment.onAppendKept = (cause, truncateError) => {
      this.logger.error(
        { segment: segment.path, err: cause, truncateError },
        'append failed after its bytes were written and could not be cut off; kept without index entries',
      );
    };
    segment.onReleaseError = (err) => {
      this.logger.warn({ err, segment: segment.path }, 'closing released segment handles failed');
    };
  }

  /** Appends a prepared segment to the list (the new active segment). */
  private attach(segment: Segment): void {
    this.segments.push(segment);
    this.bases.push(Number(segment.baseOffset));
  }

  /** flush.ms always runs here; retention and checkpoints only when no manager does them. */
  private startTimers(retentionAndCheckpoints: boolean, recoveryPointFlushIntervalMs: number): void {
    const every = (ms: number, task: () => Promise<unknown>): void => {
      const timer = setInterval(() => {
        task().catch((err: unknown) => this.logger.error({ err }, 'background task failed'));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    if (retentionAndCheckpoints) {
      every(this.config.retentionCheckIntervalMs, () => this.applyRetention());
      every(RECOVERY_CHECKPOINT_INTERVAL_MS, () => this.checkpoint());
      if (recoveryPointFlushIntervalMs < Number.MAX_SAFE_INTEGER) {
        // The recovery point follows the appends (see LogManager): a restart scans only what came after.
        every(Math.max(1, recoveryPointFlushIntervalMs), async () => {
          if (this.closed || this.closing !== undefined) return;
          if (this.hasUnflushedData) await this.flush();
          await this.checkpoint();
        });
      }
    }
    if (this.config.flushMs < Number.MAX_SAFE_INTEGER) {
      every(Math.max(1, Math.min(this.config.flushMs, 1000)), async () => {
        if (this.unflushedMessages > 0 && Date.now() - this.lastFlushMs >= this.config.flushMs) await this.flush();
      });
    }
  }

  // ---------------------------------------------------------------- appends

  /**
   * Encodes `records` as one record batch and appends it. Offsets are assigned here; the
   * result gives the first and last. With `durable`, resolves after the data is fsync'd.
   */
  async append(records: RecordInput[], options: AppendOptions = {}): Promise<AppendResult> {
    if (records.length === 0) throw new KafkaError('INVALID_RECORD', 'append needs at least one record');
    // The transient encoder reuses one buffer across calls: safe because appendBatchesSync
    // runs before the first await and pwrite()s the bytes, keeping no reference to them.
    const batch = encodeRecordBatchTransient(records, { compression: options.compression });
    return this.appendBatches(batch, options, 'skip');
  }

  /**
   * The broker path: appends a buffer of already-encoded record batches (as a Produce request
   * carries them). Validates framing and CRC-32C, rewrites only the base offsets (and the
   * timestamps under LogAppendTime), and writes the bytes as they are.
   */
  async appendBatches(data: Buffer, options: AppendOptions = {}, crc: CrcCheck = 'verify'): Promise<AppendResult> {
    const result = this.appendBatchesSync(data, options, crc);
    if (options.durable === true) await this.groupCommit.request();
    return result;
  }

  /** Synchronous part of an append (no durability wait). */
  appendBatchesSync(data: Buffer, options: AppendOptions = {}, crc: CrcCheck = 'verify'): AppendResult {
    this.ensureOpen();
    const scan =
      crc === 'verify' ? appendScanner.validate(data, 0x7fff_ffff, maxUncompressedBytesFor(this.config.maxMessageBytes)) : appendScanner.scan(data, false);
    if (scan.error !== null || scan.count === 0) throw invalidBatchesError(scan);
    const headers = scan.headers;
    let recordCount = 0;
    let maxTimestamp = -1;
    let offsetDeltaOfMax = 0;
    let offsetSpan = 0;
    for (let i = 0; i < scan.count; i++) {
      const h = i * BATCH_FIELDS;
      const size = headers[h + BatchField.Size]!;
      if (size > this.config.maxMessageBytes) {
        throw new KafkaError('MESSAGE_TOO_LARGE', `record batch of ${size} bytes exceeds max.message.bytes ${this.config.maxMessageBytes}`);
      }
      // The time index holds JS numbers: a max timestamp past 2^53 ms (the year 287,000)
      // could be stored but not indexed, and closing the segment would then throw. (Negative
      // ones are never indexed.)
      if (headers[h + BatchField.MaxTimestamp]! > Number.MAX_SAFE_INTEGER) {
        throw new KafkaError('INVALID_TIMESTAMP', `record batch ${i} has a max timestamp past 2^53 - 1 ms`);
      }
      const lastDelta = headers[h + BatchField.LastOffsetDelta]!;
      recordCount += headers[h + BatchField.RecordCount]!;
      if (headers[h + BatchField.MaxTimestamp]! > maxTimestamp) {
        maxTimestamp = headers[h + BatchField.MaxTimestamp]!;
        offsetDeltaOfMax = offsetSpan + lastDelta;
      }
      offsetSpan += lastDelta + 1;
    }
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime';
    const now = Date.now();
    if (logAppendTime) {
      maxTimestamp = now;
      offsetDeltaOfMax = offsetSpan - 1;
    }
    const segment = this.maybeRoll(data.length, offsetSpan, maxTimestamp, now);
    const firstOffset = Number(segment.nextOffset);
    native.stampBatches(data, firstOffset, logAppendTime ? now : -1, options.partitionLeaderEpoch ?? -1);
    const lastOffset = firstOffset + offsetSpan - 1;
    // Batches whose CRC was just checked need no check when read (Segment.verified).
    segment.append(data, lastOffset, maxTimestamp, firstOffset + offsetDeltaOfMax, crc !== 'skip');
    this.unflushedMessages += recordCount;
    if (this.unflushedMessages >= this.config.flushMessages) {
      this.groupCommit.request().catch((err: unknown) => this.logger.error({ err }, 'flush after flush.messages failed'));
    }
    return {
      baseOffset: BigInt(firstOffset),
      lastOffset: BigInt(lastOffset),
      logAppendTimeMs: logAppendTime ? now : -1,
      sizeBytes: data.length,
      recordCount,
    };
  }

  /**
   * Rolls to a new segment when the active one is full by size, time, index, or offset span.
   * Time is Kafka's: the incoming batch's max timestamp minus the first batch's (so replaying
   * old data does not roll on every append), or wall-clock age when timestamps are absent.
   */
  private maybeRoll(sizeBytes: number, offsetSpan: number, maxTimestamp: number, now: number): Segment {
    const segment = this.active;
    if (segment.size === 0) return segment;
    const waitedMs = segment.rollingBasedTimestamp >= 0 ? maxTimestamp - segment.rollingBasedTimestamp : now - segment.createdMs;
    const full =
      segment.size > this.config.segmentBytes - sizeBytes ||
      waitedMs > this.config.segmentMs - this.config.segmentJitterMs ||
      segment.indexIsFull ||
      Number(segment.nextOffset - segment.baseOffset) + offsetSpan - 1 > MAX_RELATIVE_OFFSET;
    return full ? this.roll() : segment;
  }

  /** Seals the active segment and starts a new one at nextOffset; the old one is flushed in the background. */
  roll(): Segment {
    this.ensureOpen();
    const old = this.active;
    if (old.size === 0) return old;
    // A failed roll changes nothing: Segment.create removes what it made, seal() restores the
    // old segment's indexes, and the old segment stays active for the next append.
    const segment = Segment.create(this.dir, old.nextOffset, this.config);
    try {
      old.seal();
    } catch (err) {
      segment.discard();
      throw err;
    }
    this.unflushedSegments.add(old);
    this.prepare(segment);
    this.attach(segment);
    // As Kafka does on roll: flush the sealed segment soon, off the event loop.
    this.groupCommit.request().catch((err: unknown) => this.logger.error({ err }, 'flush after roll failed'));
    this.logger.debug({ baseOffset: String(segment.baseOffset) }, 'rolled new segment');
    return segment;
  }

  // ---------------------------------------------------------------- durability

  /** fsyncs everything appended so far (shares the fsync with concurrent callers). */
  async flush(): Promise<void> {
    this.ensureOpen();
    await this.groupCommit.request();
  }

  private async flushUnflushed(): Promise<void> {
    const target = this.nextOffset;
    const targets = [...this.unflushedSegments, this.active];
    this.unflushedSegments = new Set();
    this.unflushedMessages = 0;
    this.lastFlushMs = Date.now();
    try {
      const active = this.active;
      await Promise.all(targets.map((s) => s.flush(s !== active)));
    } catch (err) {
      for (const s of targets) if (s !== this.active) this.unflushedSegments.add(s);
      throw new KafkaError('KAFKA_STORAGE_ERROR', `flush of ${this.dir} failed: ${(err as Error).message}`, { cause: err });
    }
    if (target > this._recoveryPoint) this._recoveryPoint = target;
  }

  /** Persists recovery point and log start offset (periodic; cheap when nothing changed). */
  async checkpoint(): Promise<void> {
    if (this.closed) return;
    const state = this.currentState();
    const key = `${state.recoveryPoint}:${state.logStartOffset}`;
    if (key === this.lastSavedState) return;
    await this.stateStore.save(state);
    this.lastSavedState = key;
  }

  private currentState(): { recoveryPoint: bigint; logStartOffset: bigint } {
    return { recoveryPoint: this._recoveryPoint, logStartOffset: this._logStartOffset };
  }

  // ---------------------------------------------------------------- reads

  private segmentIndexFor(offset: bigint): number {
    const target = Number(offset);
    let lo = 0;
    let hi = this.bases.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.bases[mid]! <= target) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private checkRange(offset: bigint): void {
    if (offset < this._logStartOffset || offset > this.nextOffset) {
      throw new OffsetOutOfRangeError(offset, this._logStartOffset, this.nextOffset);
    }
  }

  /**
   * Raw record-batch bytes as a Fetch returns them: whole batches, starting with the one that
   * holds `offset`, up to `maxBytes` but at least one batch. Empty at the log end. Without
   * `options.buffer` the result is a new Buffer (at most 1/8 larger than what it shows); with
   * it, a view of that buffer (see ReadOptions.buffer).
   */
  readSync(offset: bigint, maxBytes: number, options: ReadOptions = {}): Buffer {
    this.ensureOpen();
    this.checkRange(offset);
    const minOneBatch = options.minOneBatch ?? true;
    const maxOffset = options.maxOffset ?? this.nextOffset;
    const pooled = options.buffer;
    if (offset >= maxOffset) return pooled === undefined ? Buffer.alloc(0) : pooled.subarray(0, 0);
    // Unlike Kafka, a read continues into the next segments until maxBytes is filled, so a
    // reader is not cut short at every segment boundary. Every segment's batches are read into
    // one buffer, one after the other.
    let out = pooled;
    let total = 0;
    let from = offset;
    for (let i = this.segmentIndexFor(offset); i < this.segments.length && total < maxBytes; i++) {
      const segment = this.segments[i]!;
      let maxPosition = segment.size;
      if (maxOffset < segment.nextOffset) {
        // A bound inside a corrupt range needs no position: reads stop before that range anyway.
        const bound = segment.locateOrNullIfCorrupt(maxOffset);
        if (bound !== null) maxPosition = bound.position;
      }
      // location.size is -1 when the position came from where an earlier read ended.
      const location = segment.locateForRead(from < segment.baseOffset ? segment.baseOffset : from, maxPosition);
      if (location !== null) {
        let n = 0;
        if (total === 0) {
          if (minOneBatch || location.size <= maxBytes) {
            if (out === undefined || location.size > out.length) {
              out = readBuffer(this.readBound(i, location.position, location.size, maxPosition, maxBytes, minOneBatch));
            }
            n = segment.readInto(location.position, maxBytes, minOneBatch, maxPosition, out);
            if (n < 0) {
              // The first batch is larger than `out` (its size was not known): size to it.
              out = readBuffer(this.readBound(i, location.position, -n, maxPosition, maxBytes, minOneBatch));
              n = Math.max(0, segment.readInto(location.position, maxBytes, minOneBatch, maxPosition, out));
            }
          }
        } else if (out !== undefined && total < out.length) {
          // Continuation: after the bytes already read, within the room left.
          const room = Math.min(maxBytes - total, out.length - total);
          n = Math.max(0, segment.readInto(location.position, room, false, maxPosition, out.subarray(total)));
        }
        total += n;
        // Move on only when this segment gave everything it has below maxOffset.
        if (location.position + n < maxPosition) break;
      }
      if (maxPosition < segment.size || maxOffset <= segment.nextOffset) break;
      from = segment.nextOffset;
    }
    if (out === undefined) return Buffer.alloc(0);
    if (out === pooled || total === out.length) return total === out.length ? out : out.subarray(0, total);
    // An allocated buffer larger than the result: a view while little memory hides behind it,
    // else an exact copy (as SegmentFile.readBatches does).
    if (out.length - total <= out.length / 8) return out.subarray(0, total);
    const exact = readBuffer(total);
    out.copy(exact, 0, 0, total);
    return exact;
  }

  /**
   * Bytes to allocate for a read starting at `position` of segment `i`: maxBytes (or the first
   * batch when larger and minOneBatch), but no more than this segment up to maxPosition and
   * the segments after it hold.
   */
  private readBound(i: number, position: number, firstBatch: number, maxPosition: number, maxBytes: number, minOneBatch: boolean): number {
    let available = maxPosition - position;
    for (let j = i + 1; j < this.segments.length && available < maxBytes; j++) available += this.segments[j]!.size;
    const bound = Math.min(maxBytes, available);
    return minOneBatch && firstBatch > bound ? firstBatch : bound;
  }

  async read(offset: bigint, maxBytes: number, options: ReadOptions = {}): Promise<Buffer> {
    return this.readSync(offset, maxBytes, options);
  }

  /** Decoded records from `offset` on, reading up to `maxBytes` of batches (at least one batch). */
  async readRecords(offset: bigint, maxBytes: number, options: ReadOptions = {}): Promise<LogRecord[]> {
    return this.readRecordsSync(offset, maxBytes, options);
  }

  readRecordsSync(offset: bigint, maxBytes: number, options: ReadOptions = {}): LogRecord[] {
    const bytes = this.readSync(offset, maxBytes, options);
    const out: LogRecord[] = [];
    const from = offset > this._logStartOffset ? offset : this._logStartOffset;
    readRecordsInto(bytes, out, from);
    return out;
  }

  /**
   * Batch headers (BatchScan layout; no record bodies read, no CRC checked) from the batch
   * holding `offset` on, within one segment and about `maxBytes` of batches (at least one):
   * for replaying batch metadata such as producer state. Null at the log end. Continue from
   * the last header's last offset + 1.
   */
  batchHeadersSync(offset: bigint, maxBytes: number): BatchScan | null {
    this.ensureOpen();
    this.checkRange(offset);
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      const segment = this.segments[i]!;
      const scan = segment.headersFrom(offset < segment.baseOffset ? segment.baseOffset : offset, maxBytes);
      if (scan !== null) return scan;
      if (segment.corruptFrom !== Number.POSITIVE_INFINITY) return null;
    }
    return null;
  }

  /** The first offset whose record timestamp is >= `timestamp`, or null when there is none. */
  async offsetForTimestamp(timestamp: number | bigint): Promise<bigint | null> {
    this.ensureOpen();
    const ts = Number(timestamp);
    for (const segment of this.segments) {
      if (segment.maxTimestamp < ts) continue;
      let location = segment.locateByTimestamp(ts, this._logStartOffset);
      while (location !== null) {
        const bytes = segment.readFrom(location.position, 1, true);
        for (const { records } of decodeRecordBatches(bytes)) {
          for (const record of records) {
            if (record.timestamp >= ts && record.offset >= this._logStartOffset) return record.offset;
          }
        }
        const next = location.position + location.size;
        location = next < segment.size ? segment.locateByTimestampFrom(next, ts) : null;
      }
    }
    return null;
  }

  /**
   * The largest record timestamp in the log and the offset of the first record carrying it
   * (ListOffsets MAX_TIMESTAMP, KIP-734, as Kafka 3.7+ answers it: the record, not the end of
   * its batch). The earliest segment wins a tie. Null when no record has a timestamp.
   */
  maxTimestampAndOffset(): { timestamp: number; offset: bigint } | null {
    this.ensureOpen();
    let best: Segment | undefined;
    for (const s of this.segments) {
      if (s.maxTimestamp >= 0 && s.offsetOfMaxTimestamp >= 0 && (best === undefined || s.maxTimestamp > best.maxTimestamp)) best = s;
    }
    if (best === undefined) return null;
    const timestamp = best.maxTimestamp;
    const fallback = { timestamp, offset: BigInt(best.offsetOfMaxTimestamp) };
    const location = best.locateOrNullIfCorrupt(BigInt(best.offsetOfMaxTimestamp));
    if (location === null) return fallback;
    try {
      for (const { records } of decodeRecordBatches(best.readFrom(location.position, 1, true))) {
        for (const record of records) if (record.timestamp === timestamp) return { timestamp, offset: record.offset };
      }
    } catch (err) {
      // A batch that does not decode is reported by reads; answer with its last offset here.
      if (!(err instanceof KafkaError) && !(err instanceof CorruptRecordError)) throw err;
    }
    return fallback;
  }

  // ---------------------------------------------------------------- transactions

  /** Makes `source` (the partition's producer state) the one that bounds `lastStableOffset`; the replay that set it refilled the `.txnindex` files. */
  trackTransactions(source: { readonly firstUnstableOffset: bigint | null }): void {
    this.transactions = source;
    for (const segment of this.segments) segment.txnIndexRebuildNeeded = false;
  }

  /**
   * Base offset of the first segment whose `.txnindex` was emptied at open (recovery or a
   * corrupt file); null when every index is whole. The producer-state replay starts no later.
   */
  get txnIndexRebuildFrom(): bigint | null {
    return this.segments.find((s) => s.txnIndexRebuildNeeded)?.baseOffset ?? null;
  }

  /**
   * The storage-level last stable offset: the first offset of the oldest open transaction, or
   * the log end when none is open (the partition takes the minimum with its high watermark).
   * Never below the log start offset: a transaction whose start was deleted (DeleteRecords,
   * retention) bounds it there, as in Kafka's maybeIncrementFirstUnstableOffset.
   */
  get lastStableOffset(): bigint {
    const first = this.transactions?.firstUnstableOffset ?? null;
    if (first === null || first >= this.nextOffset) return this.nextOffset;
    return first < this._logStartOffset ? this._logStartOffset : first;
  }

  /**
   * Records an aborted transaction in the `.txnindex` of the segment holding its ABORT marker
   * (Kafka's segment.updateTxnIndex). An entry the index already has is kept (see
   * Segment.appendAbortedTxn); a marker below the log start has no segment and is dropped.
   */
  appendAbortedTxn(txn: AbortedTxn): void {
    this.ensureOpen();
    if (txn.lastOffset < this.segments[0]!.baseOffset || txn.lastOffset >= this.nextOffset) return;
    const segment = this.segments[this.segmentIndexFor(txn.lastOffset)]!;
    // A sealed segment's indexes are synced by the next flush (the active one's are rebuilt after a crash).
    if (segment.appendAbortedTxn(txn) && segment !== this.active) this.unflushedSegments.add(segment);
  }

  /**
   * The aborted transactions overlapping [fetchOffset, upperBoundOffset), oldest marker first,
   * as Kafka's LocalLog.collectAbortedTransactions: from the segment holding fetchOffset on,
   * until a segment's search is complete (an entry's LSO reached the upper bound).
   */
  collectAbortedTransactions(fetchOffset: bigint, upperBoundOffset: bigint): AbortedTxn[] {
    this.ensureOpen();
    const out: AbortedTxn[] = [];
    for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
      const result = this.segments[i]!.txnIndex.collectAbortedTxns(fetchOffset, upperBoundOffset);
      out.push(...result.abortedTransactions);
      if (result.isComplete) break;
    }
    return out;
  }

  // ---------------------------------------------------------------- truncation and deletion

  /**
   * Removes every batch holding an offset >= `offset` (a follower's truncation). A target in
   * the middle of a batch removes that whole batch, so nextOffset may end below `offset`.
   */
  async truncateTo(offset: bigint): Promise<void> {
    this.ensureOpen();
    if (offset >= this.nextOffset) return;
    await this.groupCommit.idle();
    if (offset < this._logStartOffset) {
      await this.truncateFullyAndStartAt(offset);
      return;
    }
    // Renamed to `.deleted` before it leaves the list: a failed rename leaves the segment in
    // place, and a failed unlink leaves only `.deleted` files, swept at the next start, so no
    // truncated batch can come back.
    while (this.segments.length > 1 && this.active.baseOffset >= offset) {
      const removed = this.active;
      const renamed = removed.renameForDeletion();
      this.segments.pop();
      this.bases.pop();
      this.unflushedSegments.delete(removed);
      await native
        .unlinkFiles(renamed)
        .catch((err: unknown) => this.logger.error({ err, files: renamed }, 'unlink after truncation failed; the files are swept at the next start'));
    }
    const segment = this.active;
    if (segment.baseOffset >= offset) {
      // Only one segment is left and all of it goes.
      await this.truncateFullyAndStartAt(offset < this._logStartOffset ? this._logStartOffset : segment.baseOffset);
      return;
    }
    segment.unseal(this.config);
    segment.truncateTo(offset);
    await segment.flush();
    if (this._recoveryPoint > this.nextOffset) this._recoveryPoint = this.nextOffset;
    if (this._logStartOffset > this.nextOffset) this._logStartOffset = this.nextOffset;
    await this.checkpoint();
  }

  /** Deletes every segment and starts an empty log at `offset` (which becomes logStartOffset). */
  async truncateFullyAndStartAt(offset: bigint): Promise<void> {
    this.ensureOpen();
    await this.groupCommit.idle();
    const old = this.segments;
    this.segments = [];
    this.bases = [];
    this.unflushedSegments.clear();
    for (const s of old) await s.delete();
    const segment = Segment.create(this.dir, offset, this.config);
    this.prepare(segment);
    this.attach(segment);
    this._logStartOffset = offset;
    this._recoveryPoint = offset;
    await this.checkpoint();
  }

  /**
   * Raises the log start offset to `offset` (Kafka's DeleteRecords): records below it are no
   * longer readable and whole segments below it are deleted. Returns the new log start offset.
   */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    this.ensureOpen();
    if (offset > this.nextOffset || offset < 0n) throw new OffsetOutOfRangeError(offset, this._logStartOffset, this.nextOffset);
    if (offset > this._logStartOffset) {
      this._logStartOffset = offset;
      await this.checkpoint();
      await this.deleteOldSegments((segment, next) => next !== undefined && next.baseOffset <= this._logStartOffset, 'log start offset');
    }
    return this._logStartOffset;
  }

  /**
   * Applies retention.ms, retention.bytes and the log start offset: deletes whole segments
   * from the oldest while they qualify. Returns how many segments were deleted.
   */
  async applyRetention(now = Date.now()): Promise<number> {
    if (this.closed) return 0;
    let deleted = 0;
    if (this.config.retentionMs >= 0) {
      deleted += await this.deleteOldSegments((segment) => now - this.largestTimestamp(segment) > this.config.retentionMs, 'retention.ms');
    }
    if (this.config.retentionBytes >= 0) {
      let excess = this.size - this.config.retentionBytes;
      deleted += await this.deleteOldSegments((segment) => {
        if (excess - segment.size < 0) return false;
        excess -= segment.size;
        return true;
      }, 'retention.bytes');
    }
    deleted += await this.deleteOldSegments((_, next) => next !== undefined && next.baseOffset <= this._logStartOffset, 'log start offset');
    return deleted;
  }

  private largestTimestamp(segment: Segment): number {
    return segment.maxTimestamp >= 0 ? segment.maxTimestamp : segment.lastModifiedMs;
  }

  private async deleteOldSegments(predicate: (segment: Segment, next: Segment | undefined) => boolean, reason: string): Promise<number> {
    if (this.closed) return 0;
    let count = 0;
    while (count < this.segments.length) {
      const segment = this.segments[count]!;
      const next = this.segments[count + 1];
      if (next === undefined && segment.size === 0) break;
      if (!predicate(segment, next)) break;
      count++;
    }
    if (count === 0) return 0;
    if (count === this.segments.length) this.roll();
    const doomed = this.segments.splice(0, count);
    this.bases.splice(0, count);
    const newStart = this.segments[0]!.baseOffset;
    if (newStart > this._logStartOffset) this._logStartOffset = newStart;
    const renamed: string[] = [];
    for (const segment of doomed) {
      this.unflushedSegments.delete(segment);
      renamed.push(...segment.renameForDeletion());
    }
    this.logger.info(
      { reason, segments: doomed.map((s) => String(s.baseOffset)), logStartOffset: String(this._logStartOffset) },
      `deleted ${doomed.length} segment(s)`,
    );
    this.deletes.schedule(renamed);
    await this.checkpoint();
    return count;
  }

  /** Applies new settings (as AlterConfigs does); segment files keep their current sizes. */
  updateConfig(input: LogConfigInput): void {
    this.config = resolveLogConfig(input, this.config);
    for (const s of this.segments) s.indexIntervalBytes = this.config.indexIntervalBytes;
  }

  // ---------------------------------------------------------------- shutdown

  /** Flushes, trims indexes, records a clean shutdown and releases every file. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.groupCommit.idle();
    await Promise.all(this.segments.map((s) => s.flush()));
    this._recoveryPoint = this.nextOffset;
    this.closed = true;
    await this.deletes.runAll();
    for (const s of this.segments) s.close(true);
    this.stateStore.saveClean(this.currentState());
  }

  private ensureOpen(): void {
    if (this.closed) throw new KafkaError('KAFKA_STORAGE_ERROR', `log ${this.dir} is closed`);
  }

  /** The name of the standalone state file, for tools that list a log directory. */
  static readonly stateFileName = LOCAL_STATE_FILE;
}
