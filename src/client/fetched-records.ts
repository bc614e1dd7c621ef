/**
 * Turns the `records` bytes of a Fetch response into records a console can print.
 *
 * A fetch may return magic 2 record batches, legacy magic 0/1 message sets (old data on an
 * Apache Kafka broker, or Fetch v0-v3), or a mix; it may end with a partial batch, which is
 * dropped (the next fetch starts at the next offset and gets it whole). Control batches
 * (transaction markers) are not records and are skipped, the next offset moving past them.
 * Under read_committed, records of aborted transactions are dropped using the response's
 * abortedTransactions list, as the Java consumer does (aborted-transactions.ts: a producer's
 * aborted range runs from the listed first offset to that producer's ABORT marker), and
 * batches at or past the response's last stable offset are left for a later fetch.
 */
import { decodeRecordBatches, messageSetToRecordBatches, type DecodedRecordBatch } from '../records/index.js';
import { AbortedTransactions, TxnVerdict, isAbortRecord, type AbortedTransaction } from './aborted-transactions.js';

export type { AbortedTransaction } from './aborted-transactions.js';

export type TimestampTypeName = 'CreateTime' | 'LogAppendTime' | 'NoTimestamp';

export interface FetchedRecord {
  offset: bigint;
  timestamp: number;
  timestampType: TimestampTypeName;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

const OFFSET_AND_SIZE_BYTES = 12;
const MAGIC_POSITION = 16;

export interface DecodedFetch {
  records: FetchedRecord[];
  /**
   * The offset after the last whole batch, control batches included: where the next fetch
   * starts even when every batch was skipped. Null when no whole batch was returned.
   */
  nextOffset: bigint | null;
}

/** Decodes every whole batch / message in `records`; see the file comment. */
export function decodeFetchedRecords(
  records: Buffer | null,
  options: {
    abortedTransactions?: readonly AbortedTransaction[] | null;
    readCommitted?: boolean;
    /** The response's last stable offset (read_committed; -1 or absent: not known, Fetch v0-3). */
    lastStableOffset?: bigint;
    maxOutputBytes?: number;
  } = {},
): DecodedFetch {
  if (records === null || records.length === 0) return { records: [], nextOffset: null };
  const batches = decodeBatches(records, options.maxOutputBytes);
  let nextOffset: bigint | null = null;
  const readCommitted = options.readCommitted === true;
  const aborts = readCommitted ? new AbortedTransactions(options.abortedTransactions) : null;
  const stableEnd = readCommitted && options.lastStableOffset !== undefined && options.lastStableOffset >= 0n ? options.lastStableOffset : null;
  const out: FetchedRecord[] = [];
  for (const { batch, legacy } of batches) {
    const h = batch.header;
    if (stableEnd !== null && h.baseOffset >= stableEnd) break;
    const batchNext = legacy && batch.records.length > 0 ? batch.records[batch.records.length - 1]!.offset + 1n : h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
    if (nextOffset === null || batchNext > nextOffset) nextOffset = batchNext;
    const verdict = aborts === null ? (h.isControl ? TxnVerdict.Control : TxnVerdict.Deliver) : aborts.judge(h, () => isAbortRecord(batch.records[0]));
    if (verdict !== TxnVerdict.Deliver) continue;
    const timestampType: TimestampTypeName = h.timestampType === 1 ? 'LogAppendTime' : 'CreateTime';
    for (const r of batch.records) {
      // Magic 0 messages have no timestamp (-1 after up-conversion).
      const type = legacy && r.timestamp < 0 ? 'NoTimestamp' : timestampType;
      out.push({ offset: r.offset, timestamp: r.timestamp, timestampType: type, key: r.key, value: r.value, headers: r.headers });
    }
  }
  return { records: out, nextOffset };
}

/** Splits `buf` into runs of magic 2 batches and legacy messages and decodes each run. */
function decodeBatches(buf: Buffer, maxOutputBytes: number | undefined): { batch: DecodedRecordBatch; legacy: boolean }[] {
  const out: { batch: DecodedRecordBatch; legacy: boolean }[] = [];
  let position = 0;
  let runStart = 0;
  let runLegacy: boolean | undefined;
  const flush = (end: number): void => {
    if (runLegacy === undefined || end <= runStart) return;
    const slice = buf.subarray(runStart, end);
    const opts = maxOutputBytes === undefined ? {} : { maxOutputBytes };
    const batches = runLegacy ? decodeRecordBatches(messageSetToRecordBatches(slice, opts), opts) : decodeRecordBatches(slice, opts);
    for (const batch of batches) out.push({ batch, legacy: runLegacy });
  };
  while (position + MAGIC_POSITION < buf.length) {
    const size = buf.readInt32BE(position + 8);
    const end = position + OFFSET_AND_SIZE_BYTES + size;
    if (size < 0 || end > buf.length) break; // partial tail
    const legacy = buf[position + MAGIC_POSITION]! < 2;
    if (runLegacy !== undefined && legacy !== runLegacy) {
      flush(position);
      runStart = position;
    }
    runLegacy = legacy;
    position = end;
  }
  flush(position);
  return out;
}
