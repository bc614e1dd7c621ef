/**
 * Records inside a magic-2 batch: the layout of one record, and the record types encoding
 * takes and decoding returns.
 *
 * Record (the `records` section is recordCount of these back to back):
 *
 *   length          varint    bytes after this field
 *   attributes      int8      unused, 0
 *   timestampDelta  varlong   timestamp - baseTimestamp
 *   offsetDelta     varint    offset - baseOffset
 *   keyLength       varint    -1 = null key
 *   key             bytes
 *   valueLength     varint    -1 = null value
 *   value           bytes
 *   headerCount     varint
 *   headers         headerKeyLength varint, headerKey utf8, headerValueLength varint (-1 = null),
 *                   headerValue bytes
 */

/** A record needs at least attributes + 5 one-byte varints after its length (6 bytes). */
export const MIN_RECORD_BODY_BYTES = 6;
/** The smallest whole record: one length byte plus the minimal body. */
export const MIN_RECORD_BYTES = 1 + MIN_RECORD_BODY_BYTES;

export type Bytes = Buffer | string | null;

/** A header as given to encodeRecordBatch. */
export interface RecordHeader {
  key: string;
  value: Buffer | string | null;
}

/** A record as given to encodeRecordBatch; the offset comes from its position in the batch. */
export interface RecordInput {
  key?: Bytes;
  value: Bytes;
  /** An array (order and duplicate keys kept) or an object (one value per key). */
  headers?: RecordHeader[] | { [key: string]: Buffer | string };
  /** Milliseconds since the epoch; defaults to the batch's `now`. */
  timestamp?: number | bigint;
}

/**
 * A decoded record: a read-only view. key, value and header values are views into the decoded
 * buffer, and records without headers share one frozen empty `headers` array; copy what you
 * mean to change.
 */
export interface Record {
  offset: bigint;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

/** Alias for code that also uses TypeScript's global `Record<K, V>`. */
export type KafkaRecord = Record;
