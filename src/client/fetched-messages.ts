/**
 * A partition's fetched bytes (record batches, magic 2, as the broker sent them) turned into the
 * consumer's KafkaMessages.
 *
 * The work is split so that the hot path allocates as little as possible:
 *
 *   scanFetched        one pass over the batch headers: checks each whole batch's size, magic
 *                      and (over the wire) CRC-32C, and finds the offset after the last whole
 *                      batch (where the next fetch starts; the fetch pipeline needs it before
 *                      any record is decoded);
 *   decodeMessages     every data record at or past the position, appended to one array by
 *                      records/readRecordsInto: keys and values are views into the fetched
 *                      bytes (no copy), control batches and batches before the position are
 *                      skipped without decoding, and no per-batch array is built;
 *   toMessage          a decoded record becomes a KafkaMessage in place (headers as an object).
 *
 * A fetch response may end in a partial batch (the broker cuts at partitionMaxBytes): it is
 * ignored here and fetched whole next time.
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
import { BATCH_LENGTH_OFFSET, RECORD_COUNT_OFFSET } from '../records/record-batch.js';
import type { KafkaMessage } from './types.js';

const EMPTY_HEADERS: KafkaMessage['headers'] = Object.freeze({}) as KafkaMessage['headers'];

/** What scanFetched learned about a partition's fetched bytes. */
export interface FetchedScan {
  /** Offset after the last whole batch (control batches included); -1n when there is none. */
  nextOffset: bigint;
  /** Bytes of whole batches (the rest is a partial batch at the end). */
  wholeBytes: number;
}

/**
 * Walks the whole batches of `bytes`, checking each one's header and, when `verifyCrc`, its
 * CRC-32C (Kafka's check.crcs): a corrupt batch throws CorruptRecordError before any of its
 * records is handed out.
 */
export function scanFetched(bytes: Buffer, verifyCrc: boolean): FetchedScan {
  let nextOffset = -1n;
  let pos = 0;
  while (pos + RECORD_BATCH_OVERHEAD <= bytes.length) {
    const header = decodeRecordBatchHeader(bytes, pos);
    const end = pos + LOG_OVERHEAD + header.batchLength;
    if (end > bytes.length) break; // partial tail
    if (verifyCrc) {
      const crc = native.crc32cRange(bytes, pos + CRC_START, end);
      if (crc !== header.crc) {
        throw new CorruptRecordError(`record batch at ${pos}: CRC-32C is ${crc.toString(16)}, header says ${header.crc.toString(16)}`, pos);
      }
    }
    nextOffset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
    pos = end;
  }
  return { nextOffset, wholeBytes: pos };
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
 * `position`, as KafkaMessages in offset order.
 */
export function decodeMessages(bytes: Buffer, from: number, to: number, position: bigint): KafkaMessage[] {
  const records: LogRecord[] = [];
  readRecordsInto(from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to), records, position);
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
