/**
 * The only module that loads the C++ addon. Everything the addon offers is listed in
 * `Binding` below, so the whole native surface is reviewable in one place.
 *
 * Conventions of the boundary:
 * - Coarse calls: one call per batch set, per read or per index operation, Buffers in and out.
 * - Offsets inside a segment are relative (u32) on the native side; absolute offsets are
 *   bigint in TypeScript. Timestamps are int64 milliseconds and cross as `number` (they fit
 *   in 2^53 for the next 285,000 years).
 * - Operating errors (I/O, corruption, bad input) are thrown as `NativeError` with a
 *   `code` (errno name such as 'ENOSPC', or one of ours such as 'CORRUPT_BATCH') and a
 *   `syscall` where one failed. Programmer errors (wrong argument types) throw TypeError.
 * - fsync, recovery scans and file deletions run on the libuv thread pool and return Promises.
 * - No Buffer handed to JS ever points into an mmap'd region or a file mapping that can be
 *   unmapped or truncated: reads copy (pread into a JS-owned Buffer).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

/** Thrown by the addon for operating errors. The class is handed to C++ at init. */
export class NativeError extends Error {
  /** errno name ('ENOENT', 'ENOSPC', …) or an addon code ('CORRUPT_BATCH', 'INDEX_FULL', …). */
  code: string;
  /** The failing system call, when one failed. */
  syscall?: string;
  /** The file involved, when there is one. */
  path?: string;
  constructor(message: string, code: string, syscall?: string, filePath?: string) {
    super(message);
    this.name = 'NativeError';
    this.code = code;
    if (syscall !== undefined) this.syscall = syscall;
    if (filePath !== undefined) this.path = filePath;
  }
}

/** Compression codec ids as in the record batch attributes (bits 0-2). */
export enum Codec {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

/**
 * The slots of one batch in `BatchScan.headers` (a Float64Array, BATCH_FIELDS doubles per
 * batch), by name: read them as `headers[i * BATCH_FIELDS + BatchField.Size]`, never by bare
 * number. native/src/batch_slots.h orders them and exports its names as `batchSlotNames`;
 * test/native/batch-scan.test.ts checks that this list agrees with it.
 * Offsets and producer ids are carried as doubles: exact below 2^53, which every offset
 * this process can produce stays under; scanBatches rejects batches whose values don't fit.
 */
export enum BatchField {
  Position = 0, // byte position of the batch in the scanned buffer (or file)
  Size = 1, // whole batch size in bytes = batchLength + 12
  BaseOffset = 2,
  LastOffsetDelta = 3,
  PartitionLeaderEpoch = 4,
  Attributes = 5,
  BaseTimestamp = 6,
  MaxTimestamp = 7,
  ProducerId = 8,
  ProducerEpoch = 9,
  BaseSequence = 10,
  RecordCount = 11,
}
/** Slots per batch in `BatchScan.headers` (kBatchSlots in native/src/batch_slots.h). */
export const BATCH_FIELDS = 12;

/** Result of validating a buffer (or a file range) of magic-2 record batches. */
export interface BatchScan {
  /** Number of whole, valid batches found from the start. */
  count: number;
  /** Bytes covered by those batches (the valid prefix). */
  validBytes: number;
  /** BATCH_FIELDS doubles per valid batch. */
  headers: Float64Array;
  /**
   * Why scanning stopped before the end, or null if the whole input was valid batches.
   * 'TRUNCATED_HEADER' (fewer than 61 bytes left), 'TRUNCATED_BODY' (length runs past the end),
   * 'BAD_LENGTH' (batchLength < 49 or > maxBatchBytes), 'BAD_MAGIC' (magic != 2),
   * 'BAD_CRC' (CRC-32C mismatch), 'ZERO_FILLED' (a zeroed region, as a preallocated or
   * torn tail leaves), 'BAD_OFFSETS' (non-increasing base offsets or lastOffsetDelta < 0
   * or recordCount inconsistent with lastOffsetDelta where count > 0), 'BAD_RECORDS' (the
   * records inside fail validation, when asked for: see `recordError`).
   */
  error: string | null;
  /** Byte position where the error was found (== validBytes when error != null). */
  errorPosition: number;
  /** With error 'BAD_RECORDS': what is wrong with the records of batch `batchIndex`. */
  recordError?: RecordValidationError | null;
}

/**
 * Why the records of a batch fail validation (native/src/record_validator.h): Kafka's error name
 * and message, and which record (Kafka's batch_index) when one record is to blame.
 */
export interface RecordValidationError {
  /** 'INVALID_RECORD' (structure, counts, offsets) or 'CORRUPT_MESSAGE' (cannot decompress, or past the bound). */
  code: string;
  message: string;
  /** Index of the failing batch among the scanned ones. */
  batchIndex: number;
  /** Index of the failing record inside its batch; -1 when the batch as a whole fails. */
  recordIndex: number;
}

/** Options for scans. */
export interface ScanOptions {
  /** Verify CRC-32C of each batch (default true). */
  verifyCrc?: boolean;
  /**
   * Largest accepted batch (whole size, bytes); default 2^31-1. Any non-negative number (past
   * 2^32-1: no limit but the format's); every call that takes maxBatchBytes reads it so.
   */
  maxBatchBytes?: number;
  /** Stop after this many bytes of input (default: to the end). */
  maxBytes?: number;
  /**
   * When set, the records inside each batch are validated too (Kafka's LogValidator rules,
   * native/src/record_validator.h), decoding at most this many bytes of a compressed batch.
   */
  maxUncompressedBytes?: number;
  /** With maxUncompressedBytes: the rules for stored (possibly compacted) batches, not a client's. */
  storedBatches?: boolean;
}

/**
 * An append-only segment `.log` file. Owns one fd; async operations in flight keep the fd
 * alive (shared ownership) so `close()` never races an fdatasync on the thread pool.
 * After `close()` every method throws NativeError('CLOSED') (Promise methods reject with it).
 * For file scans (`scan`, `headers`) positions are file positions: `headers` positions,
 * `validBytes` (the file position where the valid prefix ends) and `errorPosition`.
 */
export interface SegmentFile {
  readonly path: string;
  /** Current size in bytes (the append position). */
  readonly size: number;
  /**
   * Appends the bytes at the end; returns the position they were written at. If the write
   * fails part-way (ENOSPC), the partial bytes are cut off again so `size` stays the truth.
   */
  append(data: Buffer): number;
  /** Copies up to `length` bytes at `position` into a new Buffer (shorter at end of file). */
  read(position: number, length: number): Buffer;
  /**
   * Reads whole batches starting at `position` (a batch boundary) into a new Buffer: the bytes
   * of every batch that fits in `maxBytes`, and at least the first whole batch when
   * `minOneBatch` is set even if larger. Stops at `maxPosition` (exclusive; undefined or
   * negative: file size). Length, magic and increasing offsets of each returned batch are always
   * checked, and its CRC-32C too unless `verifyCrc` is false (default true; callers pass false
   * only for ranges this process has verified before, see Segment). A corrupt batch (or a batch
   * running past the end of the range) throws NativeError('CORRUPT_BATCH') with `position`
   * (file position of that batch) and `reason` (a BatchScan error name) set, so corrupt bytes
   * never reach a reader; batches before it are not returned either (read again up to
   * `position` for them).
   *
   * The Buffer is allocated once (uninitialised, bounded by maxBytes and the range) and pread
   * fills it directly. The result is a view of it when it holds at least 7/8 of it, else an
   * exact copy: a result never keeps more than 1/8 more memory alive than it shows.
   */
  readBatches(position: number, maxBytes: number, maxPosition: number, minOneBatch: boolean, verifyCrc?: boolean): Buffer;
  /**
   * readBatches into the caller's `target`: pread fills `target` directly (no intermediate
   * copy) and the same checks apply. Returns n, the bytes of whole batches now at
   * `target[0, n)`: those that fit in both `maxBytes` and `target.length`. When the first batch
   * would have been returned (minOneBatch, or it fits maxBytes) but is larger than
   * `target.length`, returns the negative of its whole size so the caller can retry with a
   * buffer that large; 0 when nothing is returned (end of range, or minOneBatch false and the
   * first batch larger than maxBytes).
   *
   * `target` past n may have been written too (read-ahead of a batch that did not fit, or the
   * batches before a corrupt one): only `target[0, n)` is meaningful, and a thrown
   * CORRUPT_BATCH may leave corrupt bytes in `target`, which the caller must not use.
   * When n > 0 and `nextOffset` is given, nextOffset[0] gets the offset after the last batch
   * read (its base offset + lastOffsetDelta + 1, as stored).
   */
  readBatchesInto(
    position: number,
    maxBytes: number,
    maxPosition: number,
    minOneBatch: boolean,
    target: Buffer,
    verifyCrc: boolean,
    nextOffset?: Float64Array,
  ): number;
  /**
   * Starting at `position` (a batch boundary), walks batch headers (12 + 49 bytes each, no CRC)
   * and returns the position and header of the first batch whose last offset >= `targetOffset`,
   * or null if none starts before `maxPosition`. Used after an index lookup. A malformed header
   * (bad length or magic, or a header/batch running past the end of the file) throws
   * NativeError('CORRUPT_BATCH') with `position` and `reason`, as readBatches does.
   */
  findBatch(position: number, targetOffset: number, maxPosition: number): { position: number; baseOffset: number; lastOffset: number; size: number } | null;
  /**
   * Starting at `position`, walks batch headers and returns the position of the first batch
   * whose maxTimestamp >= `timestamp`, with its base offset; null if none.
   */
  findBatchByTimestamp(
    position: number,
    timestamp: number,
    maxPosition: number,
  ): { position: number; baseOffset: number; lastOffset: number; size: number } | null;
  /**
   * Validates batches from `position` to end of file synchronously (used for small reads / tests):
   * length, magic, CRC-32C (unless verifyCrc is false) and strictly increasing offsets
   * (each baseOffset > the previous batch's lastOffset). Reads in bounded chunks.
   */
  scan(position: number, options?: ScanOptions): BatchScan;
  /**
   * Headers of the batches that start in [position, position + maxBytes), read a window at a
   * time (a large batch costs one small pread), without CRC checks: batch metadata without the
   * record bodies. Stops at a malformed header (error / errorPosition, as scan reports them).
   */
  headers(position: number, maxBytes: number): BatchScan;
  /** Truncates the file to `size` bytes (must be <= size, else NativeError('EINVAL')). */
  truncate(size: number): void;
  /** fdatasync on the thread pool. Resolves when data appended before the call is durable. */
  flush(): Promise<void>;
  /** fdatasync on the calling thread (shutdown paths only). */
  flushSync(): void;
  /**
   * Closes the fd once pending async work finishes (a close() error is not reported, as the
   * close may happen later on the pool). Idempotent.
   */
  close(): void;
}

/**
 * A sparse offset index (`.index`, 8-byte entries: relative offset u32 BE, position u32 BE)
 * or time index (`.timeindex`, 12-byte entries: timestamp i64 BE, relative offset u32 BE),
 * mmap'd and preallocated to `maxIndexBytes` while writable; trimmed to its entries on
 * `trim()` / `close()`. Entries are monotonic; appends that would break that are rejected
 * (offset index) or skipped (time index, as Kafka does when the timestamp does not grow).
 *
 * Opening: entries = file length / entryBytes, as Kafka does (a cleanly closed index was
 * trimmed). The open throws NativeError('CORRUPT_INDEX') when the length is not a multiple of
 * entryBytes, or when the last entry's key is not above the first's / its value is below the
 * first's — which is what an index left at its preallocated, zero-filled length by an unclean
 * shutdown looks like; the caller then rebuilds it from the segment. A read-only open of a
 * missing file throws ENOENT; a writable open creates it. Mutations of a read-only index
 * (append, truncate*, reset, resize) throw NativeError('INDEX_READ_ONLY'); every method but
 * the getters throws NativeError('CLOSED') after close(). Out-of-range arguments throw RangeError.
 */
export interface IndexFile {
  readonly path: string;
  readonly baseOffset: number;
  /** Number of valid entries. */
  readonly entries: number;
  /** Maximum number of entries given the preallocated size. */
  readonly maxEntries: number;
  /**
   * Offset index: entries == maxEntries. Time index: entries >= maxEntries - 1, keeping the last
   * slot for the entry written when the segment rolls (Kafka's TimeIndex.isFull); append only
   * throws INDEX_FULL once every slot is used.
   */
  readonly isFull: boolean;
  /** Bytes per entry: 8 or 12. */
  readonly entryBytes: number;
  /**
   * Offset index: append(relativeOffset, position). Time index: append(timestamp, relativeOffset).
   * Throws NativeError('INDEX_FULL') when full, ('INDEX_ORDER') when the key does not grow
   * (offset index only; the time index ignores a non-increasing timestamp and returns false).
   * Offset index: a position below the last one is INDEX_ORDER too. Time index: a relative
   * offset below the last one is INDEX_ORDER; an empty time index counts its last timestamp as
   * -1 (NO_TIMESTAMP), so timestamps < 0 are never indexed. Returns true when written.
   */
  append(key: number, value: number): boolean;
  /**
   * Appends many entries in one call (a rebuilt index), as `append` would one by one, with
   * absolute offsets as recoverSegment returns them: offset index pairs (offset, position),
   * time index pairs (timestamp, offset). Stops when the index is full (time index: at its
   * reserved last slot); returns the pairs consumed.
   */
  appendEntries(pairs: Float64Array): number;
  /**
   * Largest entry whose key <= target, as [key, value]; null if target is below the first entry.
   * Offset index: key = relative offset, value = position. Time index: key = timestamp, value = relative offset.
   * Binary search that probes the warm tail first, as Kafka's AbstractIndex does.
   */
  lookup(target: number): [number, number] | null;
  /** Entry n as [key, value]. */
  entry(n: number): [number, number];
  /** The last entry, or null when empty. */
  last(): [number, number] | null;
  /** Drops every entry whose key >= `key` (offset index: relative offset; time index: relative offset in value). */
  truncateTo(key: number): void;
  /** Keeps only the first `n` entries. */
  truncateToEntries(n: number): void;
  /** Removes all entries. */
  reset(): void;
  /**
   * Shrinks the file to exactly `entries * entryBytes` (on roll) and makes it read-only in size
   * (maxEntries = entries). No-op on a read-only index.
   */
  trim(): void;
  /** Grows (or shrinks, not below entries) the preallocation to `maxIndexBytes` rounded down to whole entries. */
  resize(maxIndexBytes: number): void;
  /** msync the mapping on the thread pool; a flush in flight keeps its mapping alive across close/resize. */
  flush(): Promise<void>;
  /** Unmaps and closes; trims the file to its entries if `trim` (default true). Idempotent. */
  close(trim?: boolean): void;
}

export interface IndexOpenOptions {
  /** Preallocated size in bytes (segment.index.bytes, default 10 MiB); rounded down to whole entries. */
  maxIndexBytes: number;
  /** Open for appends (preallocate + map read/write) or read-only. */
  writable: boolean;
  /**
   * After an unclean stop: keep the longest prefix of entries that could be valid (the file
   * may still have its zero-filled preallocated tail) instead of failing with CORRUPT_INDEX.
   * Entries so kept are hints: check them against the log before trusting them.
   */
  validPrefix?: boolean;
  /**
   * Writable opens only: grow the file to maxIndexBytes now (default true). False keeps its
   * length (a sealed segment's index reopened); reset() and resize() still grow it.
   */
  preallocate?: boolean;
}

/**
 * Result of `recoverSegment`: the valid prefix of a `.log` file and the index entries it
 * should have (Kafka's LogSegment.recover rule: an entry for the next batch after more than
 * `indexIntervalBytes` since the previous entry).
 */
export interface SegmentRecovery {
  fileBytes: number;
  validBytes: number;
  /** Bytes cut from the tail (only when truncation was requested). */
  truncatedBytes: number;
  /** Why the scan stopped before the end of file (see BatchScan.error), or null. */
  error: string | null;
  errorPosition: number;
  batchCount: number;
  /** Last offset of the last valid batch, or -1 when there is none. */
  lastOffset: number;
  /** Largest batch max timestamp, or -1. */
  maxTimestamp: number;
  /** Last offset of the batch holding maxTimestamp, or -1. */
  offsetOfMaxTimestamp: number;
  /** Max timestamp of the first batch scanned (segment.ms rolls count from it), or -1. */
  firstBatchMaxTimestamp: number;
  /** Where the scan started (the start position asked for, bounded by the file size). */
  startPosition: number;
  /** Offset index entries as pairs [absolute last offset, position]. */
  offsetIndexEntries: Float64Array;
  /** Time index entries as pairs [max timestamp so far, absolute offset of it]. */
  timeIndexEntries: Float64Array;
}

export interface Binding {
  /**
   * Off the event loop: opens the `.log` at `path`, validates every batch from `start.position`
   * (default the start; a batch boundary) to the end (length, magic, CRC-32C, increasing
   * offsets) in 4 MiB sequential reads, truncates a bad tail (and fdatasyncs) when `truncate`,
   * and returns the index entries to add past that position. `start.maxTimestamp` /
   * `offsetOfMaxTimestamp` are the largest timestamp of the batches before it and its offset
   * (-1 when none), so the time-index entries continue from them.
   * The records inside each batch are validated as stored batches (compaction allowed); a batch
   * that fails is corruption like a bad CRC: error 'BAD_RECORDS', and the tail from it is cut.
   */
  recoverSegment(
    path: string,
    truncate: boolean,
    indexIntervalBytes: number,
    maxBatchBytes: number,
    startPosition?: number,
    startMaxTimestamp?: number,
    startOffsetOfMaxTimestamp?: number,
  ): Promise<SegmentRecovery>;

  /**
   * CRC-32C (Castagnoli) of `data`, continuing from `init` (default 0). AVX-512 VPCLMULQDQ
   * folding or SSE4.2 when available.
   */
  crc32c(data: Buffer, init?: number): number;
  /** CRC-32C over data[start, end). */
  crc32cRange(data: Buffer, start: number, end: number): number;
  /** The portable (table) CRC-32C, for tests and benchmarks that compare paths. */
  crc32cPortable(data: Buffer, init?: number): number;
  /**
   * Which CRC-32C path the CPU takes: 'vpclmulqdq', 'sse4.2' or 'portable'. SLUICE_CRC32C=sse4.2
   * or SLUICE_CRC32C=portable in the environment caps it.
   */
  crc32cImplementation(): string;
  /** CRC-32 (IEEE 802.3, as zlib) of `data`, continuing from `init` (default 0). */
  crc32(data: Buffer, init?: number): number;

  /** Validates magic-2 record batches in a buffer and returns their headers (see BatchScan). */
  scanBatches(data: Buffer, options?: ScanOptions): BatchScan;
  /**
   * The append path's scanBatches (see BatchScanner): writes the headers of the valid batches
   * into `out` (as many as fit) and returns their count, or -1 when `data` is not a sequence
   * of valid batches (or holds none); scanBatches then says why.
   */
  scanBatchesInto(data: Buffer, verifyCrc: boolean, maxBatchBytes: number, out: Float64Array): number;
  /**
   * scanBatchesInto with the CRC and the records of every batch checked as Kafka's LogValidator
   * checks a client's (record_validator.h; compressed records decoded as a stream, at most
   * `maxUncompressedBytes`), and the maxTimestamp of each CreateTime batch set to the largest
   * record timestamp, as Kafka's setMaxTimestamp does (CRC rewritten when it changes). Returns
   * the batch count, or -1 when `data` is not valid (scanBatches with maxUncompressedBytes says why).
   */
  validateBatchesInto(data: Buffer, maxBatchBytes: number, maxUncompressedBytes: number, out: Float64Array): number;
  /**
   * Writes absolute base offsets into each batch in place: batch i gets
   * `firstOffset + (sum of (lastOffsetDelta+1) of batches before it)`. If `logAppendTimeMs`
   * is >= 0, does what Kafka's DefaultRecordBatch.setMaxTimestamp(LOG_APPEND_TIME, t) does:
   * sets the timestamp-type bit and maxTimestamp = t (baseTimestamp and record deltas stay;
   * readers take every record's timestamp from maxTimestamp under LogAppendTime) and rewrites
   * the CRC (the only case the CRC changes). If `partitionLeaderEpoch` >= 0 it is written too
   * (outside the CRC range). Input must already be validated by scanBatches. Returns the next
   * offset after the last batch.
   */
  stampBatches(data: Buffer, firstOffset: number, logAppendTimeMs: number, partitionLeaderEpoch: number): number;

  /** Compresses `data` with `codec` (gzip, snappy raw, lz4 frame, zstd). `level` < 0 = codec default. */
  compress(codec: Codec, data: Buffer, level?: number): Buffer;
  /**
   * Decompresses `data`. Snappy accepts raw and xerial-framed (Java client) input; lz4 accepts
   * frames (and the broken-checksum frames of old Kafka clients). `maxOutputBytes` bounds the
   * output (default 256 MiB; decompression bombs throw NativeError('DECOMPRESSED_TOO_LARGE'));
   * malformed input throws NativeError('CORRUPT_COMPRESSED_DATA').
   */
  decompress(codec: Codec, data: Buffer, maxOutputBytes?: number): Buffer;

  /** Opens (creating if absent when `create`) a segment log file for append/read. */
  openSegmentFile(path: string, create: boolean): SegmentFile;
  openOffsetIndex(path: string, baseOffset: number, options: IndexOpenOptions): IndexFile;
  openTimeIndex(path: string, baseOffset: number, options: IndexOpenOptions): IndexFile;

  /** fsync a directory (after create / rename / unlink), on the thread pool. */
  fsyncDir(path: string): Promise<void>;
  /** Unlinks files on the thread pool; missing files are not an error. */
  unlinkFiles(paths: string[]): Promise<void>;
  /** Writes `data` to `path` atomically: temp file, fsync, rename, fsync dir. On the thread pool. */
  writeFileAtomic(path: string, data: Buffer): Promise<void>;
  /** Synchronous variant for shutdown paths. */
  writeFileAtomicSync(path: string, data: Buffer): void;
  /** This process's RLIMIT_NOFILE (getrlimit); Infinity when unlimited. */
  openFileLimit(): { soft: number; hard: number };
  /**
   * glibc's mallopt(M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, M_TOP_PAD) for the whole process.
   * True when glibc took all three; false without glibc. See ALLOCATOR_TUNING.
   */
  tuneAllocator(mmapThreshold: number, trimThreshold: number, topPad: number): boolean;
  /** True once tuneAllocator has called mallopt in this process (so tests can tell it did not). */
  allocatorTuningCalled(): boolean;

  /** The names of the BatchScan.headers slots in slot order (native/src/batch_slots.h), as BatchField names them. */
  readonly batchSlotNames: readonly string[];
}

/**
 * The package root: the nearest directory above this module holding a package.json. This
 * module runs as src/native.ts (development), dist/native.js (the library) and inside the CLI
 * bundle dist/bundle/sluice.cjs, at different depths.
 */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    dir = parent;
  }
}

/**
 * The addon this process loads: SLUICE_ADDON_PATH when set; else node-gyp-build's lookup (a
 * compiled build/Release or build/Debug first, then the prebuilt binary in
 * prebuilds/<platform>-<arch>/ that matches this platform, libc and Node-API, see
 * docs/packaging.md); else a CMake build of this checkout.
 */
function locateAddon(): string {
  const root = packageRoot();
  const override = process.env.SLUICE_ADDON_PATH;
  if (override !== undefined && override.length > 0 && fs.existsSync(override)) return override;
  let lookupError: string;
  try {
    return (require('node-gyp-build') as { path(dir: string): string }).path(root);
  } catch (err) {
    lookupError = (err as Error).message.trim();
  }
  const cmakeBuilds = [path.join(root, 'build-cmake', 'Release', 'sluice_native.node'), path.join(root, 'build-cmake', 'sluice_native.node')];
  for (const candidate of cmakeBuilds) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(
    `sluice: no native addon for this platform (${lookupError}; nor in ${cmakeBuilds.join(', ')}); ` +
      'build it from source with `npm rebuild sluice` (needs python3, make and a C++17 compiler)',
  );
}

const require = createRequire(import.meta.url);
const addon = require(locateAddon()) as Binding & { init(errorClass: typeof NativeError): void };
addon.init(NativeError);

export const native: Binding = addon;

/**
 * scanBatches for hot paths (appends, produce requests): the headers land in a Float64Array
 * this scanner owns and reuses, so they are valid until its next scan. Creating scanBatches'
 * options and result objects costs ~3 µs a call, as much as checking the CRC of a 100 KB batch.
 */
export class BatchScanner {
  private headers = new Float64Array(BATCH_FIELDS * 16);

  scan(data: Buffer, verifyCrc: boolean, maxBatchBytes = 0x7fff_ffff): BatchScan {
    let count = native.scanBatchesInto(data, verifyCrc, maxBatchBytes, this.headers);
    if (count < 0) return native.scanBatches(data, { verifyCrc, maxBatchBytes });
    if (count * BATCH_FIELDS > this.headers.length) {
      this.headers = new Float64Array(count * BATCH_FIELDS * 2);
      count = native.scanBatchesInto(data, verifyCrc, maxBatchBytes, this.headers);
    }
    return { count, validBytes: data.length, headers: this.headers, error: null, errorPosition: 0 };
  }

  /**
   * validateBatchesInto: CRC and records checked, maxTimestamp of CreateTime batches set from
   * their records (in place). On failure the result says why (error, recordError).
   */
  validate(data: Buffer, maxBatchBytes: number, maxUncompressedBytes: number): BatchScan {
    let count = native.validateBatchesInto(data, maxBatchBytes, maxUncompressedBytes, this.headers);
    if (count < 0) return native.scanBatches(data, { verifyCrc: true, maxBatchBytes, maxUncompressedBytes });
    if (count * BATCH_FIELDS > this.headers.length) {
      this.headers = new Float64Array(count * BATCH_FIELDS * 2);
      count = native.validateBatchesInto(data, maxBatchBytes, maxUncompressedBytes, this.headers);
    }
    return { count, validBytes: data.length, headers: this.headers, error: null, errorPosition: 0, recordError: null };
  }
}

/**
 * Reads that return a fresh Buffer allocate up to their max bytes (1 MiB by default) each.
 * Under glibc's defaults those blocks are often fresh pages: the heap top is trimmed back to
 * the kernel once 2 MiB lie free there, and a page fault per 4 KiB costs more than the read
 * (native/src/allocator_tuning.cc). These values let blocks of up to 4 MiB
 * come from the heap and keep up to 64 MiB of freed heap for reuse: the process keeps that
 * much more memory after a burst, in exchange for reads at page-cache speed.
 */
export const ALLOCATOR_TUNING = { mmapThreshold: 4 << 20, trimThreshold: 64 << 20, topPad: 128 << 10 } as const;

let allocatorTunedInProcess = false;

/**
 * Applies ALLOCATOR_TUNING to this process's allocator (glibc's mallopt, process-wide; see
 * docs/memory.md). Loading the library never does: `sluice serve` calls this at start, and an
 * embedding application opts in with `Sluice.open({ tuneAllocator: true })` or by calling it.
 * SLUICE_MALLOC_TUNING=0 in the environment makes it do nothing. Returns true when the tuning
 * is in effect (false without glibc). Calling it again changes nothing.
 */
export function tuneAllocator(): boolean {
  if (!allocatorTunedInProcess && process.env.SLUICE_MALLOC_TUNING !== '0') {
    allocatorTunedInProcess = addon.tuneAllocator(ALLOCATOR_TUNING.mmapThreshold, ALLOCATOR_TUNING.trimThreshold, ALLOCATOR_TUNING.topPad);
  }
  return allocatorTunedInProcess;
}

/** True when tuneAllocator() has put the allocator tuning in effect in this process. */
export function allocatorTuned(): boolean {
  return allocatorTunedInProcess;
}
