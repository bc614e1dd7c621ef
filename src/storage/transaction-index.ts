/**
 * The aborted-transaction index of one segment, `<20-digit base offset>.txnindex`: Kafka's
 * TransactionIndex, byte for byte (storage/.../log/TransactionIndex.java and AbortedTxn.java).
 * It lists the transactions whose ABORT marker was written in this segment, so a
 * read_committed fetch can answer `aborted_transactions` without scanning records.
 *
 * The file is a plain sequence of 34-byte entries, big-endian, no header, no padding:
 *
 *   offset  size  field
 *        0     2  version           int16, 0 (AbortedTxn.CURRENT_VERSION)
 *        2     8  producerId        int64
 *       10     8  firstOffset       int64  first offset of the transaction (may lie in an
 *                                          earlier segment: transactions span segments)
 *       18     8  lastOffset        int64  offset of the ABORT marker
 *       26     8  lastStableOffset  int64  the partition's LSO when the marker was written
 *
 * Entries are appended in ascending lastOffset order (append refuses anything else, as
 * Kafka's does). The file is created on the first append, so a segment that never held an
 * aborted transaction has none (Kafka: "the file is not created until we need it").
 *
 * Not a hot path: an entry is written once per aborted transaction per partition. So this is
 * plain Node `fs` (positional writes through an fd, `fsync` through libuv's thread pool), no
 * native code. The entries are also kept in memory (34 bytes each on disk, a few per segment),
 * so `collectAbortedTxns` — on the read_committed fetch path — does no I/O; the file is read
 * once, at open. The fd is held only between a write and the next flush or close, so idle
 * segments hold no descriptor.
 *
 * A torn tail (a crash mid-append: the length is not a multiple of 34) is cut off at open and
 * reported in `tornTailBytes`; Kafka's iterator ignores such bytes and rebuilds the index on
 * recovery, we drop them so that the next append lands on an entry boundary.
 */
import fs from 'node:fs';
import path from 'node:path';
import { KafkaError } from '../errors.js';

export const ABORTED_TXN_VERSION = 0;
export const ABORTED_TXN_BYTES = 34;

const PRODUCER_ID_AT = 2;
const FIRST_OFFSET_AT = 10;
const LAST_OFFSET_AT = 18;
const LAST_STABLE_OFFSET_AT = 26;

export interface AbortedTxn {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  readonly lastStableOffset: bigint;
}

/** Kafka's TxnIndexSearchResult. */
export interface TxnIndexSearchResult {
  readonly abortedTransactions: AbortedTxn[];
  /**
   * True when an entry's lastStableOffset reached the upper bound: no later segment can hold
   * an aborted transaction overlapping the range, so the search stops here.
   */
  readonly isComplete: boolean;
}

/** The file breaks the format (Kafka's CorruptIndexException); the index must be rebuilt. */
export class CorruptTransactionIndexError extends KafkaError {
  readonly path: string;
  readonly position: number;
  constructor(file: string, position: number, reason: string) {
    super('KAFKA_STORAGE_ERROR', `corrupt transaction index ${file} at byte ${position}: ${reason}`);
    this.name = 'CorruptTransactionIndexError';
    this.path = file;
    this.position = position;
  }
}

/** The 34 bytes of one entry. */
export function encodeAbortedTxn(txn: AbortedTxn, out: Buffer = Buffer.alloc(ABORTED_TXN_BYTES), at = 0): Buffer {
  out.writeInt16BE(ABORTED_TXN_VERSION, at);
  out.writeBigInt64BE(txn.producerId, at + PRODUCER_ID_AT);
  out.writeBigInt64BE(txn.firstOffset, at + FIRST_OFFSET_AT);
  out.writeBigInt64BE(txn.lastOffset, at + LAST_OFFSET_AT);
  out.writeBigInt64BE(txn.lastStableOffset, at + LAST_STABLE_OFFSET_AT);
  return out;
}

function decodeAbortedTxn(buf: Buffer, at: number, file: string): AbortedTxn {
  const version = buf.readInt16BE(at);
  if (version !== ABORTED_TXN_VERSION) {
    throw new CorruptTransactionIndexError(file, at, `aborted transaction version ${version}, expected ${ABORTED_TXN_VERSION}`);
  }
  return {
    producerId: buf.readBigInt64BE(at + PRODUCER_ID_AT),
    firstOffset: buf.readBigInt64BE(at + FIRST_OFFSET_AT),
    lastOffset: buf.readBigInt64BE(at + LAST_OFFSET_AT),
    lastStableOffset: buf.readBigInt64BE(at + LAST_STABLE_OFFSET_AT),
  };
}

export class TransactionIndex {
  /** The segment's base offset. */
  readonly startOffset: bigint;
  private filePath: string;
  private entries: AbortedTxn[];
  private fd: number | null = null;
  /** Bytes of a torn last entry cut off at open (0 when the file was whole). */
  readonly tornTailBytes: number;

  private constructor(file: string, startOffset: bigint, entries: AbortedTxn[], tornTailBytes: number) {
    this.filePath = file;
    this.startOffset = startOffset;
    this.entries = entries;
    this.tornTailBytes = tornTailBytes;
  }

  /**
   * Opens the index of the segment at `startOffset`, reading the file if it exists (it need
   * not). A torn last entry is truncated away; an entry of an unknown version throws
   * CorruptTransactionIndexError (the caller deletes the file and rebuilds it from the log).
   */
  static open(file: string, startOffset: bigint): TransactionIndex {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new TransactionIndex(file, startOffset, [], 0);
      throw storageError(file, 'read', err);
    }
    const whole = bytes.length - (bytes.length % ABORTED_TXN_BYTES);
    const torn = bytes.length - whole;
    const entries: AbortedTxn[] = [];
    for (let at = 0; at < whole; at += ABORTED_TXN_BYTES) entries.push(decodeAbortedTxn(bytes, at, file));
    if (torn > 0) {
      try {
        fs.truncateSync(file, whole);
      } catch (err) {
        throw storageError(file, 'truncate', err);
      }
    }
    return new TransactionIndex(file, startOffset, entries, torn);
  }

  /**
   * Opens a segment's index for a segment opened from disk: a torn tail or a corrupt file
   * (deleted, started empty) means entries may be missing, so `rebuildNeeded` asks the
   * producer-state replay to refill it. Other errors (I/O) are thrown.
   */
  static openOrReset(file: string, startOffset: bigint): { index: TransactionIndex; rebuildNeeded: boolean } {
    try {
      const index = TransactionIndex.open(file, startOffset);
      return { index, rebuildNeeded: index.tornTailBytes > 0 };
    } catch (err) {
      if (!(err instanceof CorruptTransactionIndexError)) throw err;
      fs.rmSync(file, { force: true });
      return { index: TransactionIndex.open(file, startOffset), rebuildNeeded: true };
    }
  }

  get path(): string {
    return this.filePath;
  }

  /** Whether a descriptor is open (between a write and the next flush or close). */
  get hasOpenFd(): boolean {
    return this.fd !== null;
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** The last entry's lastOffset, or null when the index is empty. */
  get lastOffset(): bigint | null {
    return this.entries.length === 0 ? null : this.entries[this.entries.length - 1]!.lastOffset;
  }

  /** Appends one entry; its lastOffset must be above the previous entry's. */
  append(txn: AbortedTxn): void {
    const last = this.lastOffset;
    if (last !== null && last >= txn.lastOffset) {
      throw new RangeError(
        `The last offset of appended transactions must increase sequentially, but ${txn.lastOffset} is not greater than current last offset ${last} of index ${this.filePath}`,
      );
    }
    const entry: AbortedTxn = { producerId: txn.producerId, firstOffset: txn.firstOffset, lastOffset: txn.lastOffset, lastStableOffset: txn.lastStableOffset };
    const bytes = encodeAbortedTxn(entry); // throws RangeError on a value outside int64 before anything is written
    // Positional: a failed or short write leaves the entry count where it was, and the next
    // append overwrites the same slot.
    writeFully(this.openFd(), bytes, this.entries.length * ABORTED_TXN_BYTES, this.filePath);
    this.entries.push(entry);
  }

  /** Every entry, oldest first. */
  allAbortedTxns(): AbortedTxn[] {
    return this.entries.slice();
  }

  /**
   * The aborted transactions overlapping [fetchOffset, upperBoundOffset): lastOffset ≥
   * fetchOffset and firstOffset < upperBoundOffset. Kafka's loop: the search is complete at
   * the first entry whose lastStableOffset ≥ upperBoundOffset (that entry still counts).
   */
  collectAbortedTxns(fetchOffset: bigint, upperBoundOffset: bigint): TxnIndexSearchResult {
    const abortedTransactions: AbortedTxn[] = [];
    for (const txn of this.entries) {
      if (txn.lastOffset >= fetchOffset && txn.firstOffset < upperBoundOffset) abortedTransactions.push(txn);
      if (txn.lastStableOffset >= upperBoundOffset) return { abortedTransactions, isComplete: true };
    }
    return { abortedTransactions, isComplete: false };
  }

  /** Drops every entry whose lastOffset ≥ offset (the log was truncated to `offset`). */
  truncateTo(offset: bigint): void {
    const keep = this.entries.findIndex((txn) => txn.lastOffset >= offset);
    if (keep < 0) return;
    this.truncateEntries(keep);
  }

  /** Removes every entry (Kafka: the file is truncated to 0, not deleted). */
  reset(): void {
    this.truncateEntries(0);
  }

  /** fsyncs the file (off the event loop) and releases the descriptor. */
  async flush(): Promise<void> {
    const fd = this.fd;
    if (fd === null) return;
    this.fd = null;
    try {
      await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(storageError(this.filePath, 'fsync', err)) : resolve())));
    } finally {
      // After fsync (or its reported failure) a failing close loses nothing more.
      fs.close(fd, () => {});
    }
  }

  /** Releases the descriptor without syncing. The index stays usable (a write reopens it). */
  close(): void {
    const fd = this.fd;
    if (fd === null) return;
    this.fd = null;
    fs.closeSync(fd);
  }

  /**
   * Checks what Kafka's sanityCheck checks (no entry ends before the segment's base offset)
   * and what our reader relies on: the file holds whole entries, exactly the ones in memory,
   * with strictly ascending lastOffsets. Throws CorruptTransactionIndexError.
   */
  sanityCheck(): void {
    let size = 0;
    try {
      size = fs.statSync(this.filePath).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(this.filePath, 'stat', err);
    }
    if (size % ABORTED_TXN_BYTES !== 0) {
      throw new CorruptTransactionIndexError(this.filePath, size - (size % ABORTED_TXN_BYTES), `file length ${size} is not a multiple of ${ABORTED_TXN_BYTES}`);
    }
    if (size !== this.entries.length * ABORTED_TXN_BYTES) {
      throw new CorruptTransactionIndexError(this.filePath, size, `file holds ${size / ABORTED_TXN_BYTES} entries, ${this.entries.length} expected`);
    }
    let previous: bigint | null = null;
    this.entries.forEach((txn, i) => {
      if (txn.lastOffset < this.startOffset) {
        throw new CorruptTransactionIndexError(
          this.filePath,
          i * ABORTED_TXN_BYTES,
          `last offset ${txn.lastOffset} is less than start offset ${this.startOffset}`,
        );
      }
      if (previous !== null && txn.lastOffset <= previous) {
        throw new CorruptTransactionIndexError(this.filePath, i * ABORTED_TXN_BYTES, `last offset ${txn.lastOffset} does not follow ${previous}`);
      }
      previous = txn.lastOffset;
    });
  }

  /**
   * Renames the file (e.g. to `.deleted` before a segment is removed); when there is no file
   * yet only the path changes, and a later append creates the file there.
   */
  renameTo(newPath: string): void {
    this.close();
    try {
      fs.renameSync(this.filePath, newPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(this.filePath, 'rename', err);
    }
    this.filePath = newPath;
  }

  /** The partition directory moved (topic deletion renames it): same file name, new parent. */
  updateParentDir(parentDir: string): void {
    this.filePath = path.join(parentDir, path.basename(this.filePath));
  }

  /** Deletes the file; false when there was none. The entries are dropped as well. */
  deleteIfExists(): boolean {
    this.close();
    this.entries = [];
    try {
      fs.unlinkSync(this.filePath);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw storageError(this.filePath, 'delete', err);
    }
  }

  private openFd(): number {
    if (this.fd === null) {
      try {
        this.fd = fs.openSync(this.filePath, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o644);
      } catch (err) {
        throw storageError(this.filePath, 'open', err);
      }
    }
    return this.fd;
  }

  private truncateEntries(count: number): void {
    if (count === this.entries.length) return;
    try {
      fs.truncateSync(this.filePath, count * ABORTED_TXN_BYTES);
    } catch (err) {
      // No file: nothing was ever written (or it was deleted), the entries are all in memory.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(this.filePath, 'truncate', err);
    }
    this.entries.length = count;
  }
}

function writeFully(fd: number, bytes: Buffer, position: number, file: string): void {
  let done = 0;
  try {
    while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
  } catch (err) {
    throw storageError(file, 'write', err);
  }
}

function storageError(file: string, op: string, err: unknown): KafkaError {
  return new KafkaError('KAFKA_STORAGE_ERROR', `transaction index ${file}: ${op} failed: ${(err as Error).message}`, { cause: err });
}
