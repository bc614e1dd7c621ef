/**
 * One log segment: a `.log` file of record batches plus its sparse `.index` and `.timeindex`.
 *
 *   .log        record batches (magic 2) exactly as produced, offsets stamped
 *   .index      8-byte entries: relative offset u32 BE, byte position u32 BE
 *   .timeindex  12-byte entries: max timestamp so far i64 BE, relative offset u32 BE
 *
 * As in Kafka's LogSegment, an offset-index entry maps the *last* offset of an appended batch
 * set to the position where it starts, and is added once more than `index.interval.bytes`
 * have been appended since the previous entry; the time index records the largest timestamp
 * seen so far at the same moments. A lookup therefore lands on a batch at or before the target
 * and a short forward walk over batch headers finds the batch that holds it.
 *
 * Handles are opened on demand: the process-wide `segmentHandles` cache (handle-cache.ts)
 * closes the least recently used segments' files past its budget, and the `logFile`,
 * `offsetIndex` and `timeIndex` accessors reopen them on the next use. Everything loadState
 * and recover computed stays here meanwhile, so a reopen is two opens, two mmaps and a read
 * of the log's size. A released active segment's indexes are trimmed to their entries on
 * release (so they read back as exactly those entries) and preallocated again on reopen.
 */
import fs from 'node:fs';
import { BATCH_FIELDS, BatchField, native, NativeError, type BatchScan, type IndexFile, type SegmentFile, type SegmentRecovery } from '../native.js';
import { CorruptStorageError } from '../errors.js';
import { segmentPaths, DELETED_SUFFIX } from './file-names.js';
import { TransactionIndex, type AbortedTxn } from './transaction-index.js';
import { HandleNode, segmentFlushSlots, segmentHandles, type HandleHolder } from './handle-cache.js';
import type { LogConfig } from './log-config.js';
import { ReadEnds } from './read-ends.js';
import { durablePrefix, type DurablePrefix } from './durable-prefix.js';
import { VerifiedRanges } from './verified-ranges.js';

/**
 * Fault injection for tests: when set, `hook` runs between the steps of every append
 * ('log-written', 'offset-index-written') and may throw, as a failing disk or index would.
 */
export const segmentFaults: { hook: ((step: 'log-written' | 'offset-index-written') => void) | undefined } = { hook: undefined };

/** A located batch: its position in the segment file and its offset range. */
export interface BatchLocation {
  position: number;
  baseOffset: number;
  lastOffset: number;
  size: number;
}

/** A segment's native handles, open together and released together. */
interface SegmentHandles {
  log: SegmentFile;
  offsetIndex: IndexFile;
  timeIndex: IndexFile;
}

export class Segment implements HandleHolder {
  readonly baseOffset: bigint;
  /** baseOffset as a number for native calls (offsets stay below 2^53). */
  private readonly base: number;
  /** The open handles, or null while released to the cache (see the file comment). */
  private open: SegmentHandles | null;
  private readonly node = new HandleNode(this);
  /** The log's size when its handles were released (size and isEmpty need no reopen). */
  private releasedSize = 0;
  /** Preallocation of the indexes while this is the active segment (segment.index.bytes). */
  private maxIndexBytes: number;
  /** The indexes are trimmed to their entries (seal); reopened without preallocation. */
  private sealed = false;
  /** Kafka's final time-index entry was still due when the handles were released. */
  private finalEntryDue = false;
  /**
   * Written (log or indexes) since the last flush began: a flush of a released segment that
   * is not has nothing to sync and reopens nothing. fdatasync through a new fd syncs the
   * pages written through the old one (the page cache is per file), so a written segment may
   * be released before its flush.
   */
  private unsynced = false;
  private paths: { log: string; index: string; timeIndex: string };
  private bytesSinceLastIndexEntry = 0;
  /** Next offset after the last batch in this segment (== baseOffset when empty). */
  nextOffset: bigint;
  /** Largest batch max timestamp in the segment, -1 when none. */
  maxTimestamp = -1;
  /** Last offset of the batch holding maxTimestamp. */
  offsetOfMaxTimestamp = -1;
  /** Max timestamp of the first batch: segment.ms rolls count from it, as in Kafka. */
  rollingBasedTimestamp = -1;
  /** Wall-clock creation time, for segment.ms when the segment is still empty. */
  readonly createdMs: number;
  /** First byte position known to be corrupt; reads at or beyond it are refused. */
  corruptFrom = Number.POSITIVE_INFINITY;
  /**
   * CRC once per process. Kafka never verifies a batch's CRC-32C when serving a fetch (it
   * leaves that to consumers' check.crcs). sluice verifies each batch before it first hands it
   * to a reader, so bytes damaged on disk or in the page cache before this process started are
   * caught and never served (the guarantee README "Crash recovery" states). Verifying on every
   * read would cost about as much as the read itself, so the byte ranges whose batches this
   * process has verified are remembered here (verified-ranges.ts):
   * - an append whose batches scanBatches verified (CRC included) before the write is verified
   *   as written: what this process wrote is what the page cache holds;
   * - a recovery scan verifies [0, validBytes);
   * - a read that verified its batches adds [position, position + bytes returned), merging
   *   with its neighbours (so a reader moving forward extends `verifiedUpTo`);
   * - truncation cuts the ranges at the new size.
   * A read lying entirely inside one range skips the CRC; length, magic and offsets are still
   * checked on every read, so a file truncated or overwritten with garbage never yields it.
   * What is not caught: bytes of an already verified range that change afterwards (another
   * process writing the file, bad RAM). The next process start verifies them again.
   */
  private readonly verified = new VerifiedRanges();
  /** Where recent reads ended (read-ends.ts): the next read of a consumer starts there. */
  private readonly readEnds = new ReadEnds();
  private closed = false;
  /** Set when an index file was malformed at open and was discarded: it must be rebuilt. */
  indexRebuildNeeded = false;
  /**
   * The aborted transactions whose ABORT marker lies in this segment (`.txnindex`). Not kept by
   * the native scans: entries come from producer state (ProducerStateManager.applyEndTxnMarker,
   * live and in the replay at open), which knows each transaction's first offset and the LSO.
   */
  readonly txnIndex: TransactionIndex;
  /** The `.txnindex` was emptied at open (recovery, or a corrupt file): the producer-state replay refills it. */
  txnIndexRebuildNeeded = false;

  private constructor(
    baseOffset: bigint,
    paths: { log: string; index: string; timeIndex: string },
    handles: SegmentHandles,
    maxIndexBytes: number,
    createdMs: number,
    txnIndex: TransactionIndex,
  ) {
    this.baseOffset = baseOffset;
    this.base = Number(baseOffset);
    this.paths = paths;
    this.open = handles;
    this.maxIndexBytes = maxIndexBytes;
    this.nextOffset = baseOffset;
    this.createdMs = createdMs;
    this.txnIndex = txnIndex;
    segmentHandles.added(this.node);
  }

  private get logFile(): SegmentFile {
    return this.handles().log;
  }

  private get offsetIndex(): IndexFile {
    return this.handles().offsetIndex;
  }

  private get timeIndex(): IndexFile {
    return this.handles().timeIndex;
  }

  /** The open handles, reopened when the cache released them; marks this most recently used. */
  private handles(): SegmentHandles {
    const open = this.open;
    if (open !== null) {
      segmentHandles.touch(this.node);
      return open;
    }
    return this.reopen();
  }

  private reopen(): SegmentHandles {
    if (this.closed) throw new NativeError(`segment is closed: ${this.paths.log}`, 'CLOSED', undefined, this.paths.log);
    segmentHandles.makeRoom(this.node);
    const log = native.openSegmentFile(this.paths.log, false);
    const options = { maxIndexBytes: this.maxIndexBytes, writable: true, preallocate: !this.sealed };
    let indexes: [IndexFile, IndexFile];
    try {
      indexes = Segment.openIndexes(this.paths, this.base, options);
    } catch (err) {
      if (!(err instanceof NativeError) || err.code !== 'CORRUPT_INDEX') {
        log.close();
        throw err;
      }
      // Only a failed trim at release leaves an index so (its close reported an error): the
      // data is intact; lookups walk from the start of the segment until a restart rebuilds.
      fs.rmSync(this.paths.index, { force: true });
      fs.rmSync(this.paths.timeIndex, { force: true });
      indexes = Segment.openIndexes(this.paths, this.base, options);
      if (this.sealed) for (const index of indexes) index.trim();
      this.indexRebuildNeeded = true;
    }
    const open = { log, offsetIndex: indexes[0], timeIndex: indexes[1] };
    this.open = open;
    segmentHandles.added(this.node);
    return open;
  }

  private static openIndexes(
    paths: { index: string; timeIndex: string },
    base: number,
    options: { maxIndexBytes: number; writable: boolean; preallocate: boolean },
  ): [IndexFile, IndexFile] {
    const offsetIndex = native.openOffsetIndex(paths.index, base, options);
    try {
      return [offsetIndex, native.openTimeIndex(paths.timeIndex, base, options)];
    } catch (err) {
      offsetIndex.close(false);
      throw err;
    }
  }

  /**
   * Called by the handle cache: closes the files. An active segment's indexes are trimmed to
   * their entries (reopen preallocates them again). Never throws: a failed close has released
   * the fd all the same, and an index left untrimmed is rebuilt on reopen.
   */
  releaseHandles(): void {
    const open = this.open;
    if (open === null) return;
    this.open = null;
    this.releasedSize = open.log.size;
    this.finalEntryDue = this.finalTimeIndexEntryDue(open.timeIndex);
    for (const close of [() => open.offsetIndex.close(!this.sealed), () => open.timeIndex.close(!this.sealed), () => open.log.close()]) {
      try {
        close();
      } catch (err) {
        this.onReleaseError?.(err);
      }
    }
  }

  /** Set by the Log to report a failed close of released handles. */
  onReleaseError: ((err: unknown) => void) | undefined;

  /** True while the native handles are open (for tests and metrics). */
  get hasOpenHandles(): boolean {
    return this.open !== null;
  }

  /** Creates a new empty segment (the active one), with preallocated writable indexes. */
  static create(dir: string, baseOffset: bigint, config: LogConfig): Segment {
    const paths = segmentPaths(dir, baseOffset);
    // A leftover file of the same name (e.g. after truncating everything) is stale.
    for (const p of [paths.log, paths.index, paths.timeIndex, paths.txnIndex]) fs.rmSync(p, { force: true });
    segmentHandles.makeRoom(null);
    // All three files or none: a roll that fails half-way (ENOSPC, EMFILE) leaves no stray
    // file for the next start to mistake for a segment.
    let logFile: SegmentFile | undefined;
    try {
      logFile = native.openSegmentFile(paths.log, true);
      const indexOptions = { maxIndexBytes: config.segmentIndexBytes, writable: true, preallocate: true };
      const indexes = Segment.openIndexes(paths, Number(baseOffset), indexOptions);
      // Empty files have nothing to sync: a shutdown need not reopen a released new segment.
      const txnIndex = TransactionIndex.open(paths.txnIndex, baseOffset);
      return new Segment(baseOffset, paths, { log: logFile, offsetIndex: indexes[0], timeIndex: indexes[1] }, config.segmentIndexBytes, Date.now(), txnIndex);
    } catch (err) {
      logFile?.close();
      for (const p of [paths.log, paths.index, paths.timeIndex]) fs.rmSync(p, { force: true });
      throw err;
    }
  }

  /**
   * Opens an existing segment. Indexes are opened writable (preallocated) only for the last
   * segment of a log, which may be appended to. Call `loadState` or `recover` afterwards.
   */
  static open(dir: string, baseOffset: bigint, config: LogConfig, writable: boolean, recovering = false): Segment {
    const paths = segmentPaths(dir, baseOffset);
    segmentHandles.makeRoom(null);
    const logFile = native.openSegmentFile(paths.log, false);
    // A segment about to be recovered after an unclean stop keeps the valid-looking prefix of
    // its indexes (the files still have their zero-filled preallocated tails): recovery checks
    // the entry at the recovery point against the log and scans only from there.
    const indexOptions = { maxIndexBytes: config.segmentIndexBytes, writable, validPrefix: recovering };
    let offsetIndex: IndexFile;
    let timeIndex: IndexFile;
    let rebuild = false;
    try {
      [offsetIndex, timeIndex] = Segment.openIndexes(paths, Number(baseOffset), { ...indexOptions, writable: true, preallocate: true });
    } catch (err) {
      // A malformed index (bad length) is rebuilt, never trusted.
      if (!(err instanceof NativeError) || err.code !== 'CORRUPT_INDEX') {
        logFile.close();
        throw err;
      }
      fs.rmSync(paths.index, { force: true });
      fs.rmSync(paths.timeIndex, { force: true });
      try {
        [offsetIndex, timeIndex] = Segment.openIndexes(paths, Number(baseOffset), { ...indexOptions, writable: true, preallocate: true });
      } catch (reopenErr) {
        logFile.close();
        throw reopenErr;
      }
      rebuild = true;
    }
    let mtime = Date.now();
    try {
      mtime = fs.statSync(paths.log).mtimeMs;
    } catch {
      // The file was just opened; a failed stat only loses the age hint.
    }
    let txn: ReturnType<typeof TransactionIndex.openOrReset>;
    try {
      txn = TransactionIndex.openOrReset(paths.txnIndex, baseOffset);
    } catch (err) {
      logFile.close();
      offsetIndex.close(false);
      timeIndex.close(false);
      throw err;
    }
    const segment = new Segment(baseOffset, paths, { log: logFile, offsetIndex, timeIndex }, config.segmentIndexBytes, mtime, txn.index);
    segment.indexRebuildNeeded = rebuild;
    segment.txnIndexRebuildNeeded = txn.rebuildNeeded;
    if (!writable) segment.sealIndexes();
    // A cleanly closed index is at its entries already: that trim changed nothing to sync.
    segment.unsynced = false;
    return segment;
  }

  get size(): number {
    return this.open !== null ? this.open.log.size : this.releasedSize;
  }

  get path(): string {
    return this.paths.log;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  get indexIsFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  get lastModifiedMs(): number {
    try {
      return fs.statSync(this.paths.log).mtimeMs;
    } catch {
      return this.createdMs;
    }
  }

  /**
   * Cheap index sanity check used on a clean start (Kafka's sanityCheck, plus the position
   * bound): entries increase and point inside the file. False means "rebuild the indexes".
   */
  indexesLookSane(): boolean {
    if (this.indexRebuildNeeded) return false;
    const n = this.offsetIndex.entries;
    if (n > 0) {
      const last = this.offsetIndex.last()!;
      if (last[1] >= this.logFile.size) return false;
      if (n > 1 && this.offsetIndex.entry(n - 2)[0] >= last[0]) return false;
    }
    const t = this.timeIndex.entries;
    if (t > 0) {
      const last = this.timeIndex.last()!;
      if (n === 0 && this.logFile.size <= 0) return false;
      if (t > 1) {
        const prev = this.timeIndex.entry(t - 2);
        if (prev[0] >= last[0] || prev[1] > last[1]) return false;
      }
    }
    return true;
  }

  /**
   * On a clean start: derives nextOffset and max timestamp from the index tail plus a walk
   * over the few batches after the last offset-index entry (no full scan).
   */
  loadState(): void {
    const lastEntry = this.offsetIndex.last();
    const from = lastEntry === null ? 0 : lastEntry[1];
    const scan = this.logFile.scan(from, { verifyCrc: false });
    const timeLast = this.timeIndex.last();
    if (timeLast !== null) {
      this.maxTimestamp = timeLast[0];
      this.offsetOfMaxTimestamp = this.base + timeLast[1];
    }
    let lastOffset = lastEntry === null ? -1 : this.base + lastEntry[0];
    for (let i = 0; i < scan.count; i++) {
      const h = i * BATCH_FIELDS;
      const batchLast = scan.headers[h + BatchField.BaseOffset]! + scan.headers[h + BatchField.LastOffsetDelta]!;
      const batchMax = scan.headers[h + BatchField.MaxTimestamp]!;
      if (batchMax > this.maxTimestamp) {
        this.maxTimestamp = batchMax;
        this.offsetOfMaxTimestamp = batchLast;
      }
      lastOffset = batchLast;
      this.bytesSinceLastIndexEntry += scan.headers[h + BatchField.Size]!;
    }
    // File scans report validBytes as the file position where the valid prefix ends.
    if (scan.validBytes < this.logFile.size) {
      this.markCorrupt(scan.validBytes, scan.error ?? 'unreadable batch header');
    }
    this.nextOffset = lastOffset < 0 ? this.baseOffset : BigInt(lastOffset) + 1n;
    if (this.logFile.size > 0) {
      const first = this.logFile.scan(0, { verifyCrc: false, maxBytes: 61 });
      this.rollingBasedTimestamp = first.count > 0 ? first.headers[BatchField.MaxTimestamp]! : -1;
    }
  }

  /**
   * Recovery off the event loop: validates every batch from where the recovery point lies in
   * this segment (or from the start), truncates a bad tail when `truncate`, and rebuilds both
   * indexes past that position from what is valid — in one native scan and one call per index.
   *
   * `recoveryPoint`: every offset below it was fsync'd, so the batches before it need no scan.
   * The scan starts at the offset-index entry with the largest key below the recovery point,
   * once that entry is checked against the log (the batch set it indexes ends at its key);
   * indexes are hints after a crash, so an entry that does not hold up, or a first batch there
   * that does not validate, means a scan from the start instead. Without it, the whole segment
   * is scanned.
   */
  async recover(config: LogConfig, truncate: boolean, recoveryPoint: bigint | null = null): Promise<SegmentRecovery> {
    const start =
      recoveryPoint === null || this.indexRebuildNeeded ? null : durablePrefix(this.logFile, this.offsetIndex, this.timeIndex, this.baseOffset, recoveryPoint);
    // Stored batches may predate a smaller max.message.bytes, so any framed size is accepted.
    const scan = (from: DurablePrefix | null): Promise<SegmentRecovery> =>
      from === null
        ? native.recoverSegment(this.paths.log, truncate, config.indexIntervalBytes, 0x7fff_ffff)
        : native.recoverSegment(this.paths.log, truncate, config.indexIntervalBytes, 0x7fff_ffff, from.position, from.maxTimestamp, from.offsetOfMaxTimestamp);
    let result = await scan(start);
    let from = start;
    if (from !== null && result.batchCount === 0) {
      // Nothing valid where the index pointed (a truncation cut it off already when `truncate`:
      // then the scan from the start finds that prefix again and stops at the same place).
      result = await scan(null);
      from = null;
    }
    this.unsynced = true;
    if (truncate && result.truncatedBytes > 0) {
      // The native side truncated the file through its own fd; bring ours in line.
      this.logFile.truncate(result.validBytes);
    }
    this.readEnds.clear();
    // Kafka's LogSegment.recover empties the transaction index too; the producer-state replay
    // at open writes it again from the markers (the scan here does not decode records).
    this.txnIndex.reset();
    this.txnIndexRebuildNeeded = true;
    const startPosition = from === null ? 0 : from.position;
    // The scan checked every batch it passed, CRC included; bytes before it are checked when first read.
    this.verified.reset(startPosition, result.validBytes);
    if (from === null) {
      this.offsetIndex.reset();
      this.timeIndex.reset();
    } else {
      // Keep the entries up to the one the scan started at; the indexes may have been trimmed.
      this.offsetIndex.truncateTo(from.relativeKey + 1);
      this.timeIndex.truncateTo(from.relativeKey + 1);
      this.offsetIndex.resize(config.segmentIndexBytes);
      this.timeIndex.resize(config.segmentIndexBytes);
    }
    // A segment written under a larger segment.index.bytes than the current one can have more
    // entries than fit: appendEntries keeps those that do (lookups scan on from the last entry),
    // as the full index then rolls the segment on the next append.
    try {
      this.offsetIndex.appendEntries(result.offsetIndexEntries);
      this.timeIndex.appendEntries(result.timeIndexEntries);
    } catch (err) {
      // Kept entries the new ones cannot follow (a stale index after a power cut): the kept
      // prefix was only a hint, so rebuild everything from a scan of the whole segment.
      if (from === null || !(err instanceof NativeError)) throw err;
      this.indexRebuildNeeded = true;
      return this.recover(config, truncate, null);
    }
    this.maxTimestamp = result.maxTimestamp;
    this.offsetOfMaxTimestamp = result.offsetOfMaxTimestamp;
    if (from === null) {
      this.rollingBasedTimestamp = result.firstBatchMaxTimestamp;
    } else {
      const first = this.logFile.scan(0, { verifyCrc: false, maxBytes: 61 });
      this.rollingBasedTimestamp = first.count > 0 ? first.headers[BatchField.MaxTimestamp]! : -1;
    }
    this.nextOffset = result.lastOffset < 0 ? this.baseOffset : BigInt(result.lastOffset) + 1n;
    // As in Kafka, the batch that received the last entry counts toward the next one.
    const lastEntry = this.offsetIndex.last();
    this.bytesSinceLastIndexEntry = lastEntry === null ? result.validBytes : result.validBytes - lastEntry[1];
    if (!truncate && result.error !== null) this.markCorrupt(result.errorPosition, result.error);
    // A truncating recovery cut the bad tail: nothing left in the file is known corrupt.
    if (truncate) this.corruptFrom = Number.POSITIVE_INFINITY;
    this.indexRebuildNeeded = false;
    return result.startPosition === startPosition ? result : { ...result, startPosition };
  }

  /**
   * Appends validated, offset-stamped batches. `lastOffset`, `maxTimestamp` and
   * `offsetOfMaxTimestamp` describe the whole buffer (maxTimestamp -1: no record has a
   * timestamp, as with magic-0 data). `crcVerified`: the caller checked every batch's CRC-32C
   * (scanBatches with verifyCrc) right before, so reads of these bytes need not.
   *
   * All or nothing: the log bytes are written first (a short write is cut off again by the
   * native side), then the index entries; when any step throws, the log is truncated back and
   * both indexes keep only the entries they had, so the segment (files and fields) is exactly
   * as before and the next append proceeds normally. Fields change only once every step has
   * succeeded.
   */
  append(data: Buffer, lastOffset: number, maxTimestamp: number, offsetOfMaxTimestamp: number, crcVerified = false): void {
    this.unsynced = true;
    const position = this.logFile.size;
    const offsetEntries = this.offsetIndex.entries;
    const timeEntries = this.timeIndex.entries;
    // Kafka's LogSegment.append: the time-index entry carries the max timestamp so far,
    // this append included.
    const newMax = maxTimestamp > this.maxTimestamp;
    const timestampSoFar = newMax ? maxTimestamp : this.maxTimestamp;
    const offsetOfTimestampSoFar = newMax ? offsetOfMaxTimestamp : this.offsetOfMaxTimestamp;
    const indexDue = this.bytesSinceLastIndexEntry > this.indexIntervalBytes;
    try {
      this.logFile.append(data);
      segmentFaults.hook?.('log-written');
      if (indexDue) {
        this.offsetIndex.append(lastOffset - this.base, position);
        segmentFaults.hook?.('offset-index-written');
        // No timestamp, no time-index entry (Kafka's TimeIndex.maybeAppend): magic-0 data
        // carries none, and -1 would index nothing.
        if (timestampSoFar >= 0 && offsetOfTimestampSoFar >= this.base) {
          this.timeIndex.append(timestampSoFar, offsetOfTimestampSoFar - this.base);
        }
      }
    } catch (err) {
      if (this.undoAppend(position, offsetEntries, timeEntries, err)) throw err;
    }
    if (position === 0) this.rollingBasedTimestamp = maxTimestamp;
    if (crcVerified) this.verified.add(position, position + data.length);
    this.maxTimestamp = timestampSoFar;
    this.offsetOfMaxTimestamp = offsetOfTimestampSoFar;
    this.bytesSinceLastIndexEntry = indexDue ? data.length : this.bytesSinceLastIndexEntry + data.length;
    this.nextOffset = BigInt(lastOffset) + 1n;
  }

  /**
   * Puts the files back as they were before a failed append: indexes to their old entry counts
   * (memory only), the log to its old size. Returns false when even the truncate fails: the
   * log then ends with the whole batches just written, so the append is kept (without index
   * entries, which are sparse anyway) rather than leave bytes that no offset accounts for.
   */
  private undoAppend(position: number, offsetEntries: number, timeEntries: number, cause: unknown): boolean {
    this.offsetIndex.truncateToEntries(offsetEntries);
    this.timeIndex.truncateToEntries(timeEntries);
    if (this.logFile.size === position) return true;
    try {
      this.logFile.truncate(position);
      return true;
    } catch (err) {
      this.onAppendKept?.(cause, err);
      return false;
    }
  }

  /** Set by the Log to report an append kept because its rollback failed (see undoAppend). */
  onAppendKept: ((cause: unknown, truncateError: unknown) => void) | undefined;

  /** Set by the Log so `append` need not take the config each call. */
  indexIntervalBytes = 4096;

  /**
   * Finds the batch holding `offset` (or the first batch after it when offset falls in a
   * gap), searching from the index; null when the segment has nothing at or after offset.
   */
  locate(offset: bigint, maxPosition = this.logFile.size): BatchLocation | null {
    const target = Number(offset);
    const rel = target - this.base;
    const entry = rel < 0 ? null : this.offsetIndex.lookup(rel);
    const from = entry === null ? 0 : entry[1];
    if (from >= this.corruptFrom) throw new CorruptStorageError(this.paths.log, this.corruptFrom, 'range marked corrupt');
    let found: BatchLocation | null;
    try {
      found = this.logFile.findBatch(from, target, Math.min(maxPosition, this.corruptFrom));
    } catch (err) {
      throw this.corruption(err, from);
    }
    // Nothing before the corrupt range holds `offset`, so it lies in that range: refuse it
    // rather than answer "not in this segment", which would let a reader skip past it.
    if (found === null && this.corruptFrom < maxPosition) {
      throw new CorruptStorageError(this.paths.log, this.corruptFrom, 'range marked corrupt');
    }
    return found;
  }

  /** `locate`, but null (instead of CorruptStorageError) when `offset` lies in a corrupt range. */
  locateOrNullIfCorrupt(offset: bigint): BatchLocation | null {
    try {
      return this.locate(offset);
    } catch (err) {
      if (err instanceof CorruptStorageError) return null;
      throw err;
    }
  }

  /** Turns a native CORRUPT_BATCH into a marked range and a CorruptStorageError. */
  private corruption(err: unknown, fallbackPosition: number): unknown {
    if (!(err instanceof NativeError) || err.code !== 'CORRUPT_BATCH') return err;
    const at = (err as NativeError & { position?: number }).position ?? fallbackPosition;
    this.markCorrupt(at, err.message);
    return new CorruptStorageError(this.paths.log, at, err.message);
  }

  /**
   * Whole batches starting with the one that holds `offset`: up to `maxBytes`, but at least
   * one batch when `minOneBatch`. Verified (length, CRC) before it is returned; a corrupt batch
   * marks the range and is never handed out.
   */
  read(offset: bigint, maxBytes: number, minOneBatch: boolean, maxPosition = this.logFile.size): Buffer | null {
    const location = this.locate(offset, maxPosition);
    if (location === null) return null;
    return this.readFrom(location.position, maxBytes, minOneBatch, maxPosition);
  }

  /**
   * Reads whole verified batches from a known batch position into a new Buffer (at most
   * 1/8 larger than what it shows; see SegmentFile.readBatches).
   */
  readFrom(position: number, maxBytes: number, minOneBatch: boolean, maxPosition = this.logFile.size): Buffer {
    if (position >= this.corruptFrom) throw new CorruptStorageError(this.paths.log, this.corruptFrom, 'range marked corrupt');
    const end = Math.min(maxPosition, this.corruptFrom);
    const verify = !this.verified.covers(position, Math.min(end, position + maxBytes));
    let bytes: Buffer;
    try {
      bytes = this.logFile.readBatches(position, maxBytes, end, minOneBatch, verify);
    } catch (err) {
      const mapped = this.corruption(err, position);
      // Serve the verified batches before the corrupt one; the corrupt range is refused.
      if (!(mapped instanceof CorruptStorageError && mapped.position > position)) throw mapped;
      bytes = this.logFile.readBatches(position, maxBytes, mapped.position, minOneBatch, verify);
    }
    if (verify) this.verified.add(position, position + bytes.length);
    return bytes;
  }

  /**
   * Reads whole verified batches from a known batch position into `target` (pread straight
   * into it): returns n, the bytes now at target[0, n), or the negative of the first batch's
   * size when it would be returned but does not fit (see SegmentFile.readBatchesInto).
   * target past n may have been written to.
   */
  readInto(position: number, maxBytes: number, minOneBatch: boolean, maxPosition: number, target: Buffer): number {
    if (position >= this.corruptFrom) throw new CorruptStorageError(this.paths.log, this.corruptFrom, 'range marked corrupt');
    const end = Math.min(maxPosition, this.corruptFrom);
    const verify = !this.verified.covers(position, Math.min(end, position + Math.min(maxBytes, target.length)));
    const next = Segment.nextOffsetOut;
    let n: number;
    try {
      n = this.logFile.readBatchesInto(position, maxBytes, end, minOneBatch, target, verify, next);
    } catch (err) {
      const mapped = this.corruption(err, position);
      if (!(mapped instanceof CorruptStorageError && mapped.position > position)) throw mapped;
      n = this.logFile.readBatchesInto(position, maxBytes, mapped.position, minOneBatch, target, verify, next);
    }
    if (n > 0) {
      if (verify) this.verified.add(position, position + n);
      this.readEnds.remember(next[0]!, position + n);
    }
    return n;
  }

  /** Receives readBatchesInto's next offset; one for all segments (reads are synchronous). */
  private static readonly nextOffsetOut = new Float64Array(1);

  /**
   * The position of the batch a read of `offset` starts with, bounded by maxPosition: from a
   * remembered read end when one matches, with `size` -1 (unknown: readInto reports a first
   * batch too large for its buffer), else as `locate` finds it.
   */
  locateForRead(offset: bigint, maxPosition: number): { position: number; size: number } | null {
    const position = this.readEnds.positionOf(Number(offset));
    if (position >= 0 && position < maxPosition && position < this.corruptFrom) return { position, size: -1 };
    return this.locate(offset, maxPosition);
  }

  /**
   * End of the verified range that starts at byte 0: every batch below it has had its CRC-32C
   * checked by this process (0 when none has). Other verified ranges may exist above it.
   */
  get verifiedUpTo(): number {
    return this.verified.upTo;
  }

  /**
   * Headers (no record bodies, no CRC check) of the batches from the one holding `offset`
   * (or the first after it) that start within `maxBytes` of it; null when there is none.
   */
  headersFrom(offset: bigint, maxBytes: number): BatchScan | null {
    const location = this.locate(offset, Math.min(this.logFile.size, this.corruptFrom));
    if (location === null) return null;
    const scan = this.logFile.headers(location.position, Math.max(1, Math.min(maxBytes, this.corruptFrom - location.position)));
    return scan.count === 0 ? null : scan;
  }

  /** Raw bytes (no batch framing) for benchmarks and tools. */
  readRaw(position: number, length: number): Buffer {
    return this.logFile.read(position, length);
  }

  /** First batch whose max timestamp >= `timestamp`, starting from the time index. */
  locateByTimestamp(timestamp: number, startingOffset: bigint): BatchLocation | null {
    if (this.maxTimestamp < timestamp) return null;
    const timeEntry = this.timeIndex.lookup(timestamp);
    const fromRel = Math.max(timeEntry === null ? 0 : timeEntry[1], Number(startingOffset) - this.base);
    const entry = fromRel <= 0 ? null : this.offsetIndex.lookup(fromRel);
    const from = entry === null ? 0 : entry[1];
    return this.logFile.findBatchByTimestamp(from, timestamp, this.logFile.size);
  }

  /** Continues a timestamp search from a batch position (after a batch that did not qualify). */
  locateByTimestampFrom(position: number, timestamp: number): BatchLocation | null {
    return this.logFile.findBatchByTimestamp(position, timestamp, this.logFile.size);
  }

  /**
   * Removes every batch that holds an offset >= `offset`. Returns the bytes removed. The
   * segment's nextOffset becomes the base offset of the first removed batch, so a target in the
   * middle of a batch removes that whole batch (batches are never split).
   */
  truncateTo(offset: bigint): number {
    this.txnIndex.truncateTo(offset);
    const location = this.locate(offset);
    if (location === null) return 0;
    this.unsynced = true;
    const removed = this.logFile.size - location.position;
    this.logFile.truncate(location.position);
    this.readEnds.clear();
    this.verified.clip(location.position);
    const rel = location.baseOffset - this.base;
    this.offsetIndex.truncateTo(rel);
    this.timeIndex.truncateTo(rel);
    this.nextOffset = BigInt(location.baseOffset);
    if (this.corruptFrom >= location.position) this.corruptFrom = Number.POSITIVE_INFINITY;
    this.recomputeAfterTruncate();
    return removed;
  }

  private recomputeAfterTruncate(): void {
    const lastEntry = this.offsetIndex.last();
    const timeLast = this.timeIndex.last();
    // Batches without a timestamp (-1) leave both at -1, as Kafka's NO_TIMESTAMP.
    let maxTimestamp = timeLast === null ? -1 : timeLast[0];
    let offsetOfMaxTimestamp = timeLast === null ? -1 : this.base + timeLast[1];
    const from = lastEntry === null ? 0 : lastEntry[1];
    const scan = this.logFile.scan(from, { verifyCrc: false });
    let bytesSinceLastIndexEntry = 0;
    for (let i = 0; i < scan.count; i++) {
      const h = i * BATCH_FIELDS;
      if (scan.headers[h + BatchField.MaxTimestamp]! > maxTimestamp) {
        maxTimestamp = scan.headers[h + BatchField.MaxTimestamp]!;
        offsetOfMaxTimestamp = scan.headers[h + BatchField.BaseOffset]! + scan.headers[h + BatchField.LastOffsetDelta]!;
      }
      bytesSinceLastIndexEntry += scan.headers[h + BatchField.Size]!;
    }
    this.maxTimestamp = maxTimestamp;
    this.offsetOfMaxTimestamp = offsetOfMaxTimestamp;
    this.bytesSinceLastIndexEntry = bytesSinceLastIndexEntry;
    if (this.logFile.size === 0) this.rollingBasedTimestamp = -1;
  }

  /**
   * Called when the segment stops being the active one: final time-index entry, trim indexes.
   * All or nothing: when a trim fails the segment stays active as it was (its final entry
   * removed, both indexes grown back), so a failed roll leaves the old segment appendable.
   */
  seal(): void {
    const timeEntries = this.timeIndex.entries;
    const offsetBytes = this.offsetIndex.maxEntries * this.offsetIndex.entryBytes;
    const timeBytes = this.timeIndex.maxEntries * this.timeIndex.entryBytes;
    try {
      this.appendFinalTimeIndexEntry();
      this.sealIndexes();
    } catch (err) {
      this.timeIndex.truncateToEntries(timeEntries);
      this.offsetIndex.resize(offsetBytes);
      this.timeIndex.resize(timeBytes);
      throw err;
    }
  }

  /** Closes and removes a segment that never held data (a roll that failed after creating it). */
  discard(): void {
    this.close(false);
    for (const p of [this.paths.log, this.paths.index, this.paths.timeIndex]) fs.rmSync(p, { force: true });
    this.txnIndex.deleteIfExists();
  }

  /** Kafka ends a segment's time index with its max timestamp, on roll and on close. */
  private appendFinalTimeIndexEntry(): void {
    const timeIndex = this.timeIndex;
    if (this.finalTimeIndexEntryDue(timeIndex)) {
      this.unsynced = true;
      timeIndex.append(this.maxTimestamp, this.offsetOfMaxTimestamp - this.base);
    }
  }

  private finalTimeIndexEntryDue(timeIndex: IndexFile): boolean {
    if (this.maxTimestamp < 0 || this.offsetOfMaxTimestamp < 0) return false;
    const last = timeIndex.last();
    // The time index keeps its last slot free for exactly this entry.
    return (last === null || last[0] < this.maxTimestamp) && timeIndex.entries < timeIndex.maxEntries;
  }

  private sealIndexes(): void {
    this.unsynced = true;
    this.offsetIndex.trim();
    this.timeIndex.trim();
    this.sealed = true;
  }

  /** Grows sealed indexes back to the preallocated size (the segment becomes active again after truncation). */
  unseal(config: LogConfig): void {
    this.unsynced = true;
    this.offsetIndex.resize(config.segmentIndexBytes);
    this.timeIndex.resize(config.segmentIndexBytes);
    this.maxIndexBytes = config.segmentIndexBytes;
    this.sealed = false;
  }

  /** fdatasync of the log file (thread pool) and msync of the indexes. */
  /**
   * fdatasync of the log file on the thread pool, plus msync of the indexes when `indexes`.
   * Group commits of the active segment skip the indexes: after an unclean stop the active
   * segment is past the recovery point and its indexes are rebuilt from the log anyway, so
   * syncing them would triple the syncs per commit for nothing. Sealed segments sync both.
   */
  async flush(indexes = true): Promise<void> {
    // Released and not written since the last flush began: nothing to sync, nothing to reopen.
    // Closed: deleted (nothing to keep) or closed by a Log that flushed first.
    if ((this.open === null && !this.unsynced) || this.closed) return;
    return segmentFlushSlots.run(() => this.flushNow(indexes));
  }

  private async flushNow(indexes: boolean): Promise<void> {
    if (this.open === null && !this.unsynced) return;
    const open = this.handles();
    const wasUnsynced = this.unsynced;
    // A flush covers what was written before it began; writes meanwhile set this again.
    if (indexes) this.unsynced = false;
    try {
      if (!indexes) return await open.log.flush();
      await Promise.all([open.log.flush(), open.offsetIndex.flush(), open.timeIndex.flush(), this.txnIndex.flush()]);
    } catch (err) {
      if (indexes && wasUnsynced) this.unsynced = true;
      throw err;
    }
  }

  flushSync(): void {
    if (this.open === null && !this.unsynced) return;
    this.logFile.flushSync();
  }

  /**
   * Kafka's LogSegment.updateTxnIndex for an aborted transaction whose marker is in this
   * segment. An entry already there (lastOffset at or past this one) is kept: the replay at
   * open offers the markers the index may already hold.
   */
  appendAbortedTxn(txn: AbortedTxn): boolean {
    const last = this.txnIndex.lastOffset;
    if (last !== null && last >= txn.lastOffset) return false;
    this.unsynced = true;
    this.txnIndex.append(txn);
    return true;
  }

  markCorrupt(position: number, reason: string): void {
    if (position < this.corruptFrom) {
      this.corruptFrom = position;
      this.onCorrupt?.(position, reason);
    }
  }

  /** Set by the Log to report corruption. */
  onCorrupt: ((position: number, reason: string) => void) | undefined;

  /**
   * Renames the files to `<name>.deleted` (Kafka's first step of deletion) and closes the
   * handles; the caller unlinks the renamed files later. Returns the renamed paths.
   */
  renameForDeletion(): string[] {
    const renamed: string[] = [];
    for (const p of [this.paths.log, this.paths.index, this.paths.timeIndex]) {
      try {
        fs.renameSync(p, p + DELETED_SUFFIX);
        renamed.push(p + DELETED_SUFFIX);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    const txnIndexExisted = fs.existsSync(this.txnIndex.path);
    this.txnIndex.renameTo(this.txnIndex.path + DELETED_SUFFIX);
    if (txnIndexExisted) renamed.push(this.txnIndex.path);
    this.close(false);
    return renamed;
  }

  close(trim = true): void {
    if (this.closed) return;
    this.txnIndex.close();
    // A released segment reopens only for Kafka's final time-index entry; its indexes were
    // trimmed on release.
    if (this.open === null && !(trim && this.finalEntryDue)) {
      this.closed = true;
      return;
    }
    const open = this.handles();
    this.closed = true;
    segmentHandles.removed(this.node);
    this.open = null;
    this.releasedSize = open.log.size;
    if (trim && this.finalTimeIndexEntryDue(open.timeIndex)) open.timeIndex.append(this.maxTimestamp, this.offsetOfMaxTimestamp - this.base);
    try {
      open.offsetIndex.close(trim);
      open.timeIndex.close(trim);
    } finally {
      open.log.close();
    }
  }

  /** Closes and removes the files at once (used when truncating segments away). */
  async delete(): Promise<void> {
    this.close(false);
    await native.unlinkFiles([this.paths.log, this.paths.index, this.paths.timeIndex, this.txnIndex.path]);
  }
}
