/**
 * A partition's fetched bytes (record batches, magic 2, as the broker sent them) turned into the
 * consumer's KafkaMessages.
 *
 * The work is split so that the hot path allocates as little as possible:
 *
 *   scanFetched        one pass over the batch headers: checks each whole batch's size, magic
 *                      and (over the wire) CRC-32C, and finds the offset after the last whole
 *                      batch (where the next fetch starts; the fetch pipeline needs it before
 *                      any record is decoded). Under read_committed it also stops at the last
 *                      stable offset and marks the batches of aborted transactions
 *                      (aborted-transactions.ts: Kafka's rule);
 *   decodeMessages     every data record at or past the position, appended to one array by
 *                      records/readRecordsInto: keys and values are views into the fetched
 *                      bytes (no copy), control batches, aborted batches and batches before
 *                      the position are skipped without decoding, and no per-batch array is
 *                      built;
 *   toMessage          a decoded record becomes a KafkaMessage in place (headers as an object).
 *
 * A fetch response may end in a partial batch (the broker cuts at partitionMaxBytes): it is
 * ignored here and fetched whole next time.
 *
 * Control batches (transaction markers) and aborted batches are never handed out, but the
 * position moves past them (nextOffset, skipUnreadable): a fetch that returns only markers
 * must still move the consumer on, or it would fetch the same marker forever.
 */
import { native } from '../native.js';
import {
  CRC_START,
  CorruptRecordError,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  decodeRecordBatchHeader,
  readRecordsInto,
  type Record as LogRecord,
} from '../records/index.js';
import { ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, CONTROL_FLAG_MASK, LAST_OFFSET_DELTA_OFFSET, RECORD_COUNT_OFFSET } from '../records/record-batch.js';
import { AbortedTransactions, TxnVerdict, isAbortMarkerAt, type AbortedTransaction } from './aborted-transactions.js';
import type { KafkaMessage } from './types.js';

const EMPTY_HEADERS: KafkaMessage['headers'] = Object.freeze({}) as KafkaMessage['headers'];

/** What scanFetched learned about a partition's fetched bytes. */
export interface FetchedScan {
  /** Offset after the last whole batch (control batches included); -1n when there is none. */
  nextOffset: bigint;
  /**
   * Bytes of whole batches (the rest is a partial batch at the end, or, under read_committed,
   * batches at or past the last stable offset).
   */
  wholeBytes: number;
  /** Byte positions of the batches of aborted transactions (read_committed); null when none. */
  aborted: ReadonlySet<number> | null;
}

/** What read_committed takes from a partition's Fetch response. */
export interface ReadCommittedBounds {
  abortedTransactions: readonly AbortedTransaction[] | null;
  /** -1: not known (Fetch v0-3); the broker bounds the response then. */
  lastStableOffset: bigint;
}

/**
 * Walks the whole batches of `bytes`, checking each one's header and, when `verifyCrc`, its
 * CRC-32C (Kafka's check.crcs): a corrupt batch throws CorruptRecordError before any of its
 * records is handed out. With `readCommitted` (isolation level 1), batches at or past the
 * last stable offset end the scan (a broker sends none; this holds the line if one did), and
 * the batches of aborted transactions are listed in `aborted`.
 */
export function scanFetched(bytes: Buffer, verifyCrc: boolean, readCommitted: ReadCommittedBounds | null = null): FetchedScan {
  let nextOffset = -1n;
  let pos = 0;
  const stableEnd = readCommitted !== null && readCommitted.lastStableOffset >= 0n ? readCommitted.lastStableOffset : null;
  const aborts =
    readCommitted === null || (readCommitted.abortedTransactions?.length ?? 0) === 0 ? null : new AbortedTransactions(readCommitted.abortedTransactions);
  let aborted: Set<number> | null = null;
  while (pos + RECORD_BATCH_OVERHEAD <= bytes.length) {
    const header = decodeRecordBatchHeader(bytes, pos);
    const end = pos + LOG_OVERHEAD + header.batchLength;
    if (end > bytes.length) break; // partial tail
    if (stableEnd !== null && header.baseOffset >= stableEnd) break;
    if (verifyCrc) {
      const crc = native.crc32cRange(bytes, pos + CRC_START, end);
      if (crc !== header.crc) {
        throw new CorruptRecordError(`record batch at ${pos}: CRC-32C is ${crc.toString(16)}, header says ${header.crc.toString(16)}`, pos);
      }
    }
    if (aborts !== null) {
      const at = pos;
      if (aborts.judge(header, () => isAbortMarkerAt(bytes, at)) === TxnVerdict.Aborted) (aborted ??= new Set()).add(pos);
    }
    nextOffset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
    pos = end;
  }
  return { nextOffset, wholeBytes: pos, aborted };
}

/** Whether the whole batch at `pos` is for the application: not a control batch, not aborted. */
export function isDataBatch(bytes: Buffer, pos: number, scan: FetchedScan): boolean {
  return (bytes.readInt16BE(pos + ATTRIBUTES_OFFSET) & CONTROL_FLAG_MASK) === 0 && !(scan.aborted?.has(pos) ?? false);
}

/**
 * The position after skipping, from `position`, the batches the application never sees
 * (control batches and aborted transactions) up to the first data batch with records at or
 * past it: where a consumer that resolved everything before `position` stands.
 */
export function skipUnreadable(bytes: Buffer, scan: FetchedScan, position: bigint): bigint {
  for (let pos = 0; pos < scan.wholeBytes; pos += LOG_OVERHEAD + bytes.readInt32BE(pos + BATCH_LENGTH_OFFSET)) {
    const lastOffset = bytes.readBigInt64BE(pos) + BigInt(bytes.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET));
    if (lastOffset < position) continue;
    if (isDataBatch(bytes, pos, scan)) break;
    position = lastOffset + 1n;
  }
  return position;
}

/**
 * The end of the run of whole batches from `from` (before `wholeBytes`) that holds at most
 * `maxRecords` records, or one batch when the first alone holds more: the consumer decodes and
 * hands out a fetch in such runs, so that only a few hundred decoded records are alive at a
 * time. (Records alive across a young-generation GC are copied by it; a 4 MiB fetch decoded
 * whole is ~40,000 records, and copying them was most of the consumer's time.)
 */
export function runEnd(bytes: Buffer, from: number, wholeBytes: number, maxRecords: number): number {
  let end = from;
  let count = 0;
  while (end < wholeBytes) {
    const records = bytes.readInt32BE(end + RECORD_COUNT_OFFSET);
    if (count > 0 && count + records > maxRecords) break;
    count += records;
    end += LOG_OVERHEAD + bytes.readInt32BE(end + BATCH_LENGTH_OFFSET);
  }
  return end;
}

/**
 * The data records of the whole batches in bytes[from, to) (checked by scanFetched) at or past
 * `position`, as KafkaMessages in offset order; the batches of aborted transactions
 * (`aborted`, from the scan) are left out.
 */
export function decodeMessages(bytes: Buffer, from: number, to: number, position: bigint, aborted: ReadonlySet<number> | null = null): KafkaMessage[] {
  const records: LogRecord[] = [];
  if (aborted === null) readRecordsInto(from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to), records, position);
  else {
    // Runs of batches between aborted ones, each read as one span.
    let spanStart = from;
    for (let pos = from; pos < to; pos += LOG_OVERHEAD + bytes.readInt32BE(pos + BATCH_LENGTH_OFFSET)) {
      if (!aborted.has(pos)) continue;
      if (pos > spanStart) readRecordsInto(bytes.subarray(spanStart, pos), records, position);
      spanStart = pos + LOG_OVERHEAD + bytes.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    }
    if (to > spanStart) readRecordsInto(bytes.subarray(spanStart, to), records, position);
  }
  for (let i = 0; i < records.length; i++) toMessage(records[i]!);
  return records as unknown as KafkaMessage[];
}

/**
 * Turns a decoded record into a KafkaMessage in place (same fields, headers as an object), so
 * handing out a record allocates nothing more than decoding it did.
 */
export function toMessage(r: LogRecord): KafkaMessage {
  const m = r as unknown as KafkaMessage;
  const list = r.headers;
  if (list.length === 0) {
    m.headers = EMPTY_HEADERS;
    return m;
  }
  const headers: KafkaMessage['headers'] = {};
  for (const h of list) {
    const prev = headers[h.key];
    if (prev === undefined) headers[h.key] = h.value;
    else if (Array.isArray(prev)) prev.push(h.value ?? Buffer.alloc(0));
    else headers[h.key] = [prev ?? Buffer.alloc(0), h.value ?? Buffer.alloc(0)];
  }
  m.headers = headers;
  return m;
}
