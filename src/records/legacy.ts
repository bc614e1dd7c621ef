/**
 * Legacy message sets, magic 0 (Kafka 0.8) and magic 1 (0.10, KIP-31/32): what Produce v0-v2
 * carry and Fetch v0-v3 return. We store magic 2 only, so these are converted at the edge.
 *
 * A message set is a sequence of entries, big-endian:
 *
 *   offset       int64
 *   messageSize  int32   bytes after this field
 *   crc          uint32  CRC-32 (IEEE, as zlib) of [magic, end of message)
 *   magic        int8    0 or 1
 *   attributes   int8    bits 0-2 codec (0 none, 1 gzip, 2 snappy, 3 lz4; zstd is magic 2 only),
 *                        bit 3 timestamp type (magic 1: 1 = log append time)
 *   timestamp    int64   magic 1 only
 *   keyLength    int32   -1 = null
 *   key          bytes
 *   valueLength  int32   -1 = null
 *   value        bytes
 *
 * Compression wraps a whole inner message set into the value of one wrapper message (key null,
 * codec in its attributes). Inner messages are uncompressed and of the wrapper's magic.
 *   - magic 0: inner offsets are absolute; the wrapper's offset is the last inner offset.
 *   - magic 1 (KIP-31): inner offsets are relative (0, 1, …); the wrapper's offset is the
 *     absolute offset of the last inner message, so inner i is at wrapper - lastInner + inner_i.
 *     A wrapper offset of 0 (some librdkafka producers) means base 0, as Kafka reads it.
 *     With log append time, the wrapper's timestamp is every inner message's timestamp.
 *   - lz4 frames of magic 0 carry the KAFKA-3160 broken header checksum (see lz4-frame.ts):
 *     we write it for magic 0 and accept either on read, as Kafka does.
 */
import { native, Codec } from '../native.js';
import { CorruptRecordError } from './errors.js';
import { withBrokenHeaderChecksum } from './lz4-frame.js';
import { decodeRecordBatches, encodeRecordBatchWithOffsetDeltas, type Record, type RecordInput } from './record-batch.js';
import { readInt64NumberBE, writeInt64NumberBE } from './varint.js';

export const LEGACY_OFFSET_OFFSET = 0;
export const LEGACY_SIZE_OFFSET = LEGACY_OFFSET_OFFSET + 8;
/** offset + messageSize (12). */
export const LEGACY_LOG_OVERHEAD = LEGACY_SIZE_OFFSET + 4;
/** Message offsets below are relative to the start of the message (after the log overhead). */
export const LEGACY_CRC_OFFSET = 0;
export const LEGACY_MAGIC_OFFSET = LEGACY_CRC_OFFSET + 4;
export const LEGACY_ATTRIBUTES_OFFSET = LEGACY_MAGIC_OFFSET + 1;
export const LEGACY_TIMESTAMP_OFFSET = LEGACY_ATTRIBUTES_OFFSET + 1; // magic 1 only
export const KEY_LENGTH_OFFSET_V0 = LEGACY_ATTRIBUTES_OFFSET + 1;
export const KEY_LENGTH_OFFSET_V1 = LEGACY_TIMESTAMP_OFFSET + 8;
/** Smallest message (null key and value): crc + magic + attributes + two lengths. */
export const RECORD_OVERHEAD_V0 = KEY_LENGTH_OFFSET_V0 + 4 + 4;
export const RECORD_OVERHEAD_V1 = KEY_LENGTH_OFFSET_V1 + 4 + 4;

const LEGACY_CODEC_MASK = 0x07;
const LEGACY_TIMESTAMP_TYPE_MASK = 0x08;
/** Timestamp of magic 0 messages, which have none (Kafka's NO_TIMESTAMP). */
export const NO_TIMESTAMP = -1;

export type LegacyMagic = 0 | 1;

export interface EncodeMessageSetOptions {
  magic: LegacyMagic;
  compression?: Codec;
  baseOffset?: bigint;
  /** Magic 1 only: 1 = log append time. */
  timestampType?: 0 | 1;
  /** Default timestamp (and log append time); defaults to Date.now(). */
  now?: number;
}

export interface DecodeMessageSetOptions {
  /** Check each message's CRC-32 (default true). */
  verifyCrc?: boolean;
  /** Bound on a wrapper's decompressed size. */
  maxOutputBytes?: number;
}

/** What one top-level entry of a message set holds, with absolute offsets. */
interface LegacyGroup {
  magic: LegacyMagic;
  codec: Codec;
  timestampType: 0 | 1;
  /** Wrapper timestamp (log append time); -1 when none. */
  wrapperTimestamp: number;
  records: Record[];
}

interface ParsedMessage {
  offset: bigint;
  end: number;
  magic: LegacyMagic;
  codec: Codec;
  timestampType: 0 | 1;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/**
 * Parses the entry at `position` if it is whole; returns null for a partial trailing entry.
 * Throws CorruptRecordError for anything malformed inside a whole entry.
 */
function parseMessage(buf: Buffer, position: number, verifyCrc: boolean): ParsedMessage | null {
  if (position + LEGACY_LOG_OVERHEAD > buf.length) return null;
  const size = buf.readInt32BE(position + LEGACY_SIZE_OFFSET);
  const start = position + LEGACY_LOG_OVERHEAD;
  const end = start + size;
  if (size < RECORD_OVERHEAD_V0) throw new CorruptRecordError(`message at ${position} has size ${size}, below the minimum ${RECORD_OVERHEAD_V0}`, position);
  if (end > buf.length) return null;
  const magic = buf[start + LEGACY_MAGIC_OFFSET]!;
  if (magic !== 0 && magic !== 1) {
    throw new CorruptRecordError(`message at ${position} has magic ${magic}; legacy message sets are magic 0 or 1`, position);
  }
  if (magic === 1 && size < RECORD_OVERHEAD_V1) {
    throw new CorruptRecordError(`message at ${position} has size ${size}, below the magic 1 minimum ${RECORD_OVERHEAD_V1}`, position);
  }
  if (verifyCrc) {
    const stored = buf.readUInt32BE(start + LEGACY_CRC_OFFSET);
    const computed = native.crc32(buf.subarray(start + LEGACY_MAGIC_OFFSET, end));
    if (stored !== computed) {
      throw new CorruptRecordError(`message at ${position}: CRC-32 is ${computed.toString(16)}, message says ${stored.toString(16)}`, position);
    }
  }
  const attributes = buf[start + LEGACY_ATTRIBUTES_OFFSET]!;
  const codec = attributes & LEGACY_CODEC_MASK;
  if (codec > Codec.Lz4) throw new CorruptRecordError(`message at ${position} has codec id ${codec}, not valid before magic 2`, position);
  let pos = start + (magic === 0 ? KEY_LENGTH_OFFSET_V0 : KEY_LENGTH_OFFSET_V1);
  const timestamp = magic === 0 ? NO_TIMESTAMP : readInt64NumberBE(buf, start + LEGACY_TIMESTAMP_OFFSET);

  const readBytes = (what: string): Buffer | null => {
    if (pos + 4 > end) throw new CorruptRecordError(`message at ${position}: ${what} length runs past the message`, position);
    const length = buf.readInt32BE(pos);
    pos += 4;
    if (length === -1) return null;
    if (length < 0 || pos + length > end) throw new CorruptRecordError(`message at ${position}: invalid ${what} length ${length}`, position);
    const bytes = buf.subarray(pos, pos + length);
    pos += length;
    return bytes;
  };
  const key = readBytes('key');
  const value = readBytes('value');
  if (pos !== end) throw new CorruptRecordError(`message at ${position}: ${end - pos} bytes left over after the value`, position);
  return {
    offset: buf.readBigInt64BE(position + LEGACY_OFFSET_OFFSET),
    end,
    magic,
    codec: codec as Codec,
    timestampType: magic === 1 && (attributes & LEGACY_TIMESTAMP_TYPE_MASK) !== 0 ? 1 : 0,
    timestamp,
    key,
    value,
  };
}

function decompressWrapper(message: ParsedMessage, position: number, maxOutputBytes: number | undefined): Buffer {
  if (message.value === null) throw new CorruptRecordError(`compressed message at ${position} has a null value`, position);
  try {
    return native.decompress(message.codec, message.value, maxOutputBytes);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'DECOMPRESSED_TOO_LARGE') throw err;
    const corrupt = new CorruptRecordError(
      `compressed message at ${position}: cannot decompress (codec ${message.codec}): ${(err as Error).message}`,
      position,
    );
    corrupt.cause = err;
    throw corrupt;
  }
}

function decodeGroups(buf: Buffer, options: DecodeMessageSetOptions): LegacyGroup[] {
  const verifyCrc = options.verifyCrc ?? true;
  const groups: LegacyGroup[] = [];
  let position = 0;
  for (;;) {
    const message = parseMessage(buf, position, verifyCrc);
    if (message === null) break;
    if (message.codec === Codec.None) {
      groups.push({
        magic: message.magic,
        codec: Codec.None,
        timestampType: message.timestampType,
        wrapperTimestamp: NO_TIMESTAMP,
        records: [{ offset: message.offset, timestamp: message.timestamp, key: message.key, value: message.value, headers: [] }],
      });
    } else {
      const inner = decompressWrapper(message, position, options.maxOutputBytes);
      const records: Record[] = [];
      let innerPosition = 0;
      for (;;) {
        const innerMessage = parseMessage(inner, innerPosition, verifyCrc);
        if (innerMessage === null) break;
        if (innerMessage.codec !== Codec.None) {
          throw new CorruptRecordError(`compressed message at ${position} nests another compressed message`, position);
        }
        if (innerMessage.magic !== message.magic) {
          throw new CorruptRecordError(
            `compressed message at ${position}: inner magic ${innerMessage.magic} differs from the wrapper's ${message.magic}`,
            position,
          );
        }
        const logAppendTime = message.timestampType === 1;
        records.push({
          offset: innerMessage.offset,
          timestamp: logAppendTime ? message.timestamp : innerMessage.timestamp,
          key: innerMessage.key,
          value: innerMessage.value,
          headers: [],
        });
        innerPosition = innerMessage.end;
      }
      if (innerPosition !== inner.length) {
        throw new CorruptRecordError(`compressed message at ${position}: its inner message set ends with a partial message`, position);
      }
      if (records.length === 0) throw new CorruptRecordError(`compressed message at ${position} holds no messages`, position);
      if (message.magic === 1) {
        const lastInner = records[records.length - 1]!.offset;
        if (message.offset !== 0n && message.offset < lastInner) {
          throw new CorruptRecordError(
            `compressed message at ${position}: wrapper offset ${message.offset} is below its last inner offset ${lastInner}`,
            position,
          );
        }
        const absoluteBase = message.offset === 0n ? 0n : message.offset - lastInner;
        for (const record of records) record.offset += absoluteBase;
      }
      groups.push({
        magic: message.magic,
        codec: message.codec,
        timestampType: message.timestampType,
        wrapperTimestamp: message.timestamp,
        records,
      });
    }
    position = message.end;
  }
  return groups;
}

/**
 * Decodes a message set of magic 0 / 1 messages, expanding compressed wrappers, into records
 * with absolute offsets (timestamp -1 for magic 0; no headers). A trailing partial message is
 * ignored. Keys and values of uncompressed messages are views into `buf`.
 */
export function decodeMessageSet(buf: Buffer, options: DecodeMessageSetOptions = {}): Record[] {
  const out: Record[] = [];
  for (const group of decodeGroups(buf, options)) for (const record of group.records) out.push(record);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

interface LegacyEntry {
  offset: bigint;
  timestamp: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
}

function byteLength(bytes: Buffer | string | null): number {
  if (bytes === null) return -1;
  return typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
}

function messageSize(magic: LegacyMagic, keyLength: number, valueLength: number): number {
  return (magic === 0 ? RECORD_OVERHEAD_V0 : RECORD_OVERHEAD_V1) + Math.max(0, keyLength) + Math.max(0, valueLength);
}

/** Writes one message entry at `pos`; returns the end. The CRC is one native call per message. */
function writeMessage(buf: Buffer, pos: number, magic: LegacyMagic, attributes: number, entry: LegacyEntry, keyLength: number, valueLength: number): number {
  const size = messageSize(magic, keyLength, valueLength);
  buf.writeBigInt64BE(entry.offset, pos + LEGACY_OFFSET_OFFSET);
  buf.writeInt32BE(size, pos + LEGACY_SIZE_OFFSET);
  const start = pos + LEGACY_LOG_OVERHEAD;
  buf[start + LEGACY_MAGIC_OFFSET] = magic;
  buf[start + LEGACY_ATTRIBUTES_OFFSET] = attributes;
  let p = start + (magic === 0 ? KEY_LENGTH_OFFSET_V0 : KEY_LENGTH_OFFSET_V1);
  if (magic === 1) writeInt64NumberBE(buf, start + LEGACY_TIMESTAMP_OFFSET, entry.timestamp);
  for (const [bytes, length] of [
    [entry.key, keyLength],
    [entry.value, valueLength],
  ] as const) {
    buf.writeInt32BE(length, p);
    p += 4;
    if (bytes !== null && length > 0) {
      if (typeof bytes === 'string') buf.write(bytes, p, length, 'utf8');
      else buf.set(bytes, p);
      p += length;
    }
  }
  buf.writeUInt32BE(native.crc32(buf.subarray(start + LEGACY_MAGIC_OFFSET, p)), start + LEGACY_CRC_OFFSET);
  return p;
}

function encodeUncompressed(entries: readonly LegacyEntry[], magic: LegacyMagic, timestampType: 0 | 1): Buffer {
  const lengths = entries.map((e) => [byteLength(e.key), byteLength(e.value)] as const);
  let total = 0;
  for (const [k, v] of lengths) total += LEGACY_LOG_OVERHEAD + messageSize(magic, k, v);
  const buf = Buffer.allocUnsafe(total);
  const attributes = magic === 1 && timestampType === 1 ? LEGACY_TIMESTAMP_TYPE_MASK : 0;
  let pos = 0;
  for (let i = 0; i < entries.length; i++) pos = writeMessage(buf, pos, magic, attributes, entries[i]!, lengths[i]![0], lengths[i]![1]);
  return buf;
}

/**
 * Encodes entries (absolute offsets, increasing) as a message set; compressed sets become one
 * wrapper message whose offset is the last entry's, with inner offsets absolute (magic 0) or
 * relative to the first entry (magic 1).
 */
function encodeEntries(entries: readonly LegacyEntry[], magic: LegacyMagic, codec: Codec, timestampType: 0 | 1, logAppendTime: number): Buffer {
  if (codec === Codec.None) return encodeUncompressed(entries, magic, timestampType);
  if (codec === Codec.Zstd) throw new RangeError('zstd compression needs message format v2 (magic 2)');
  const first = entries[0]!.offset;
  const inner = magic === 0 ? entries : entries.map((e) => ({ ...e, offset: e.offset - first }));
  let compressed = native.compress(codec, encodeUncompressed(inner, magic, timestampType));
  if (codec === Codec.Lz4 && magic === 0) compressed = withBrokenHeaderChecksum(compressed);
  let wrapperTimestamp = NO_TIMESTAMP;
  if (magic === 1) {
    if (timestampType === 1) wrapperTimestamp = logAppendTime;
    else for (const e of entries) if (e.timestamp > wrapperTimestamp) wrapperTimestamp = e.timestamp;
  }
  const wrapper: LegacyEntry = { offset: entries[entries.length - 1]!.offset, timestamp: wrapperTimestamp, key: null, value: compressed };
  const buf = Buffer.allocUnsafe(LEGACY_LOG_OVERHEAD + messageSize(magic, -1, compressed.length));
  const attributes = codec | (magic === 1 && timestampType === 1 ? LEGACY_TIMESTAMP_TYPE_MASK : 0);
  writeMessage(buf, 0, magic, attributes, wrapper, -1, compressed.length);
  return buf;
}

/**
 * Encodes records as a magic 0 or 1 message set at offsets baseOffset, baseOffset + 1, …
 * Headers cannot be represented before magic 2, so records carrying any are rejected.
 */
export function encodeMessageSet(records: readonly RecordInput[], options: EncodeMessageSetOptions): Buffer {
  const { magic } = options;
  if (magic !== 0 && magic !== 1) throw new RangeError(`legacy message sets are magic 0 or 1, not ${String(magic)}`);
  if (records.length === 0) return Buffer.alloc(0);
  const now = options.now ?? Date.now();
  const baseOffset = options.baseOffset ?? 0n;
  const timestampType = magic === 1 ? (options.timestampType ?? 0) : 0;
  const entries = records.map((record, i): LegacyEntry => {
    const headers = record.headers;
    if (headers !== undefined && (Array.isArray(headers) ? headers.length > 0 : Object.keys(headers).length > 0)) {
      throw new RangeError(`record ${i}: magic ${magic} messages cannot carry headers`);
    }
    const ts = record.timestamp;
    return {
      offset: baseOffset + BigInt(i),
      timestamp: magic === 0 ? NO_TIMESTAMP : timestampType === 1 ? now : ts === undefined ? now : Number(ts),
      key: record.key ?? null,
      value: record.value ?? null,
    };
  });
  return encodeEntries(entries, magic, options.compression ?? Codec.None, timestampType, now);
}

// ---------------------------------------------------------------------------------------------
// Conversion
// ---------------------------------------------------------------------------------------------

/** Offset deltas in a batch are int32. */
const MAX_OFFSET_DELTA = 0x7fffffffn;

function toBatch(records: readonly Record[], codec: Codec, timestampType: 0 | 1, logAppendTime: number): Buffer {
  const baseOffset = records[0]!.offset;
  const deltas = new Int32Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const delta = records[i]!.offset - baseOffset;
    if (delta > MAX_OFFSET_DELTA || (i > 0 && delta <= BigInt(deltas[i - 1]!))) {
      throw new CorruptRecordError(`message offsets must increase within int32 deltas: ${records[i]!.offset} after base ${baseOffset}`);
    }
    deltas[i] = Number(delta);
  }
  return encodeRecordBatchWithOffsetDeltas(
    records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })),
    deltas,
    { baseOffset, compression: codec, timestampType, now: logAppendTime },
  );
}

export interface MessageSetToRecordBatchesOptions extends DecodeMessageSetOptions {
  /**
   * Number the messages 0, 1, 2, … in order instead of keeping their offsets: for a producer's
   * set, whose offsets the broker assigns at append. Kafka ignores them there (old producers,
   * e.g. sarama before 0.10, send every inner message of a compressed wrapper as offset 0).
   */
  assignOffsets?: boolean;
}

/**
 * Up-converts a magic 0 / 1 message set (Produce v0-v2) to magic 2 batches, keeping each
 * message's offset (unless `assignOffsets`), timestamp (-1 for magic 0) and codec: a
 * compressed wrapper becomes one batch with the same codec; consecutive uncompressed messages
 * share a batch while their timestamp type is the same and their offsets stay within an int32
 * delta.
 */
export function messageSetToRecordBatches(buf: Buffer, options: MessageSetToRecordBatchesOptions = {}): Buffer {
  const batches: Buffer[] = [];
  let nextOffset = 0n;
  let run: Record[] = [];
  let runTimestampType: 0 | 1 = 0;
  let runMaxTimestamp = NO_TIMESTAMP;
  const flush = (): void => {
    if (run.length > 0) batches.push(toBatch(run, Codec.None, runTimestampType, runMaxTimestamp));
    run = [];
    runMaxTimestamp = NO_TIMESTAMP;
  };
  for (const group of decodeGroups(buf, options)) {
    if (options.assignOffsets === true) for (const r of group.records) r.offset = nextOffset++;
    if (group.codec !== Codec.None) {
      flush();
      let maxTimestamp = group.wrapperTimestamp;
      for (const r of group.records) if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
      batches.push(toBatch(group.records, group.codec, group.timestampType, maxTimestamp));
      continue;
    }
    const record = group.records[0]!;
    if (
      run.length > 0 &&
      (group.timestampType !== runTimestampType || record.offset - run[0]!.offset > MAX_OFFSET_DELTA || record.offset <= run[run.length - 1]!.offset)
    ) {
      flush();
    }
    runTimestampType = group.timestampType;
    if (record.timestamp > runMaxTimestamp) runMaxTimestamp = record.timestamp;
    run.push(record);
  }
  flush();
  return Buffer.concat(batches);
}

/**
 * Down-converts magic 2 batches (Fetch v0-v3) to a magic 0 or 1 message set. Headers are
 * dropped, control batches (transaction markers) skipped, offsets and (magic 1) timestamps
 * kept. A compressed batch becomes one wrapper with the same codec, except zstd, which old
 * clients cannot read: its records are sent uncompressed. A trailing partial batch is ignored.
 */
export function recordBatchesToMessageSet(buf: Buffer, magic: LegacyMagic, options: { maxOutputBytes?: number } = {}): Buffer {
  if (magic !== 0 && magic !== 1) throw new RangeError(`legacy message sets are magic 0 or 1, not ${String(magic)}`);
  const parts: Buffer[] = [];
  for (const { header, records } of decodeRecordBatches(buf, options)) {
    if (header.isControl || records.length === 0) continue;
    const timestampType = magic === 1 ? header.timestampType : 0;
    const entries = records.map((r): LegacyEntry => ({
      offset: r.offset,
      timestamp: magic === 0 ? NO_TIMESTAMP : r.timestamp,
      key: r.key,
      value: r.value,
    }));
    const codec = header.compression === Codec.Zstd ? Codec.None : header.compression;
    parts.push(encodeEntries(entries, magic, codec, timestampType, header.maxTimestamp));
  }
  return Buffer.concat(parts);
}
