/**
 * Decoding record batches (magic 2) into records.
 *
 * Decoded keys, values and header values are zero-copy views (see BufferView) into the buffer that was
 * decoded — or into the decompressed section for compressed batches — not copies: they stay
 * valid as long as that buffer is not reused, and writing to them writes to it.
 */
import { native, Codec } from '../native.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  checkBatch,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  CURRENT_MAGIC,
  decodeRecordBatchHeader,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
  TIMESTAMP_TYPE_MASK,
  type RecordBatchHeader,
} from './batch-header.js';
import { CorruptRecordError } from './errors.js';
import { MIN_RECORD_BODY_BYTES, MIN_RECORD_BYTES, type Record } from './record.js';
import { ByteReader, readInt64NumberBE, zigzagDecode32 } from './varint.js';

export interface DecodeRecordsOptions {
  /** Bound on a compressed batch's decompressed size (decompression bombs throw). */
  maxOutputBytes?: number;
  /** Check the batch CRC-32C before decoding (default true). */
  verifyCrc?: boolean;
}

const reader = new ByteReader(Buffer.alloc(0));
/**
 * The shared zigzag decode (protocol/varint.ts) bound to a module constant: parseRecords calls
 * it per field, and a test runner's module transform (vitest) turns each use of an imported
 * name into a getter call on the module object, which made decoding 8× slower under
 * `vitest bench`. Plain Node inlines either form.
 */
const zigzag32 = zigzagDecode32;
/**
 * Offsets up to here become BigInts from a small integer. BigInt(n) is ~8 ns when n is a Smi
 * (2^30 - 1 is one in every V8 configuration) but ~30 ns from a heap number, where
 * baseOffset + BigInt(delta), two BigInts, is ~10 ns.
 */
const MAX_SMI_OFFSET = 0x3fffffff;

/**
 * The `headers` of every decoded record without headers (most of them). A fresh empty array
 * per record was a fifth of the bytes decoding allocates, and decoding is bound by the
 * scavenges those allocations cause: sharing one measured +24% records/s on Log.readRecords.
 * Frozen so that a caller's push cannot leak into other records; decoded records are
 * read-only views (see Record).
 */
const NO_HEADERS = Object.freeze([]) as unknown as { key: string; value: Buffer | null }[];

/**
 * Zero-copy views for decoded keys and values. Buffer#subarray costs ~85 ns (it re-reads
 * `this.buffer` and goes through argument checks), which alone capped decoding near 3M
 * records/s. A Uint8Array subclass whose prototype chain runs through Buffer.prototype is built
 * in ~30 ns and is a Buffer by every ordinary test: `instanceof Buffer`, Buffer.isBuffer, every
 * Buffer method, `.constructor === Buffer` (so subarray/slice of it yield plain Buffers),
 * inspect and toJSON. The one visible difference: Object.getPrototypeOf(view) is
 * BufferView.prototype, so node:assert's deepStrictEqual against a Buffer.from(...) fails
 * (deepEqual, vitest's toEqual/toStrictEqual and Buffer#equals all pass). Node's own Buffers are
 * made the same way (FastBuffer), whose constructor it does not export.
 */
class BufferView extends Uint8Array {}
Object.setPrototypeOf(BufferView.prototype, Buffer.prototype);
Object.defineProperty(BufferView.prototype, 'constructor', { value: Buffer, writable: true, configurable: true });

function view(ab: ArrayBuffer, byteOffset: number, length: number): Buffer {
  return new BufferView(ab, byteOffset, length) as unknown as Buffer;
}

/**
 * Parses `count` records from src[pos, end) and appends those with offsetDelta >= minOffsetDelta
 * to `out`. The section must be consumed exactly: Kafka rejects batches whose declared count
 * and bytes disagree, and so do we, so a garbled section throws rather than decoding as garbage.
 * Every loop is bounded by the bytes left, so no input can make it spin.
 */
function parseRecords(
  src: Buffer,
  pos: number,
  end: number,
  count: number,
  baseOffset: bigint,
  baseTimestamp: number,
  logAppendTime: number | null,
  minOffsetDelta: number,
  out: Record[],
): void {
  if (count < 0 || count > (end - pos) / MIN_RECORD_BYTES) {
    throw new CorruptRecordError(`record count ${count} does not fit in a ${end - pos}-byte records section`, pos);
  }
  const r = reader;
  const baseOffsetNumber = baseOffset >= 0n && baseOffset <= MAX_SMI_OFFSET ? Number(baseOffset) : -1;
  const ab = src.buffer as ArrayBuffer; // a SharedArrayBuffer works as well at runtime
  const bo = src.byteOffset;
  for (let i = 0; i < count; i++) {
    if (pos >= end) throw new CorruptRecordError(`batch declares ${count} records, its records section ends after ${i}`, pos);
    // Varints are read inline when they are one byte (the common case) and via the reader otherwise.
    let b = src[pos]!;
    let length: number;
    if (b < 0x80) {
      length = zigzag32(b);
      pos++;
    } else if (src[pos + 1]! < 0x80) {
      // Two-byte lengths: records of 64 B .. 8 KiB, the usual size.
      const z = (b & 0x7f) | (src[pos + 1]! << 7);
      length = zigzag32(z);
      pos += 2;
    } else {
      r.reset(src, pos, end);
      length = r.readVarint();
      pos = r.pos;
    }
    const recordEnd = pos + length;
    if (length < MIN_RECORD_BODY_BYTES || recordEnd > end) {
      throw new CorruptRecordError(`record ${i} at ${pos} has length ${length}, ${end - pos} bytes left in the batch`, pos);
    }
    pos++; // record attributes: unused

    let timestampDelta: number;
    b = src[pos]!;
    if (b < 0x80) {
      timestampDelta = zigzag32(b);
      pos++;
    } else {
      r.reset(src, pos, recordEnd);
      // Kafka allows any int64 delta (the validator only compares timestamps): one beyond ±2^52
      // is read rounded rather than refused, so such a record never makes a partition unreadable.
      timestampDelta = r.readVarlongApprox();
      pos = r.pos;
    }

    let offsetDelta: number;
    b = src[pos]!;
    if (b < 0x80) {
      offsetDelta = zigzag32(b);
      pos++;
    } else {
      r.reset(src, pos, recordEnd);
      offsetDelta = r.readVarint();
      pos = r.pos;
    }

    let keyLength: number;
    b = src[pos]!;
    if (b < 0x80) {
      keyLength = zigzag32(b);
      pos++;
    } else {
      r.reset(src, pos, recordEnd);
      keyLength = r.readVarint();
      pos = r.pos;
    }
    let key: Buffer | null = null;
    if (keyLength >= 0) {
      if (pos + keyLength > recordEnd) throw new CorruptRecordError(`record ${i}: key of ${keyLength} bytes overruns the record`, pos);
      key = view(ab, bo + pos, keyLength);
      pos += keyLength;
    } else if (keyLength !== -1) {
      throw new CorruptRecordError(`record ${i}: invalid key length ${keyLength}`, pos);
    }

    let valueLength: number;
    b = src[pos]!;
    if (b < 0x80) {
      valueLength = zigzag32(b);
      pos++;
    } else {
      r.reset(src, pos, recordEnd);
      valueLength = r.readVarint();
      pos = r.pos;
    }
    let value: Buffer | null = null;
    if (valueLength >= 0) {
      if (pos + valueLength > recordEnd) throw new CorruptRecordError(`record ${i}: value of ${valueLength} bytes overruns the record`, pos);
      value = view(ab, bo + pos, valueLength);
      pos += valueLength;
    } else if (valueLength !== -1) {
      throw new CorruptRecordError(`record ${i}: invalid value length ${valueLength}`, pos);
    }

    let headers = NO_HEADERS;
    b = src[pos]!;
    if (b === 0) {
      pos++;
    } else {
      // `new Array()` rather than `[]`: an array literal carries an allocation-site memento,
      // and with it the scavenger was the largest cost of decoding (measured +15-25% records/s).
      // eslint-disable-next-line @typescript-eslint/no-array-constructor -- see above
      headers = new Array();
      r.reset(src, pos, recordEnd);
      const headerCount = r.readVarint();
      // Each header takes at least two bytes (two one-byte lengths): bounds the loop.
      if (headerCount < 0 || headerCount > (recordEnd - r.pos) / 2) {
        throw new CorruptRecordError(`record ${i}: invalid header count ${headerCount}`, pos);
      }
      for (let h = 0; h < headerCount; h++) {
        const hk = r.readVarint();
        if (hk < 0 || r.pos + hk > recordEnd) throw new CorruptRecordError(`record ${i}: invalid header key length ${hk}`, r.pos);
        const headerKey = src.toString('utf8', r.pos, r.pos + hk);
        r.pos += hk;
        const hv = r.readVarint();
        let headerValue: Buffer | null = null;
        if (hv >= 0) {
          if (r.pos + hv > recordEnd) throw new CorruptRecordError(`record ${i}: header value of ${hv} bytes overruns the record`, r.pos);
          headerValue = view(ab, bo + r.pos, hv);
          r.pos += hv;
        } else if (hv !== -1) {
          throw new CorruptRecordError(`record ${i}: invalid header value length ${hv}`, r.pos);
        }
        headers.push({ key: headerKey, value: headerValue });
      }
      pos = r.pos;
    }
    if (pos !== recordEnd) {
      throw new CorruptRecordError(`record ${i}: declared ${length} bytes but its fields took ${length + pos - recordEnd}`, pos);
    }
    if (offsetDelta >= minOffsetDelta) {
      out.push({
        offset:
          baseOffsetNumber >= 0 && baseOffsetNumber + offsetDelta <= MAX_SMI_OFFSET ? BigInt(baseOffsetNumber + offsetDelta) : baseOffset + BigInt(offsetDelta),
        timestamp: logAppendTime ?? baseTimestamp + timestampDelta,
        key,
        value,
        headers,
      });
    }
  }
  if (pos !== end) {
    throw new CorruptRecordError(`${end - pos} bytes left over after the batch's ${count} records`, pos);
  }
}

/**
 * Returns the uncompressed records section of the batch at `position` as [buffer, start, end].
 * Decompression failures become CorruptRecordError, except DECOMPRESSED_TOO_LARGE, a limit
 * rather than corruption, which is rethrown as the addon raised it.
 */
function recordsSection(buf: Buffer, position: number, batchEnd: number, codec: Codec, maxOutputBytes: number | undefined): [Buffer, number, number] {
  const start = position + RECORDS_OFFSET;
  if (codec === Codec.None) return [buf, start, batchEnd];
  let section: Buffer;
  try {
    section = native.decompress(codec, buf.subarray(start, batchEnd), maxOutputBytes);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'DECOMPRESSED_TOO_LARGE') throw err;
    const corrupt = new CorruptRecordError(`record batch at ${position}: cannot decompress its records (codec ${codec}): ${(err as Error).message}`, position);
    corrupt.cause = err;
    throw corrupt;
  }
  return [section, 0, section.length];
}

/** Decodes every record of the batch at `position` (decompressing if needed). */
export function decodeRecords(buf: Buffer, position: number, options: DecodeRecordsOptions = {}): Record[] {
  const header = decodeRecordBatchHeader(buf, position);
  const batchEnd = checkBatch(buf, position, header, options.verifyCrc ?? true);
  return decodeRecordsOf(buf, position, batchEnd, header, options.maxOutputBytes);
}

function decodeRecordsOf(buf: Buffer, position: number, batchEnd: number, header: RecordBatchHeader, maxOutputBytes: number | undefined): Record[] {
  const [section, start, end] = recordsSection(buf, position, batchEnd, header.compression, maxOutputBytes);
  const out: Record[] = [];
  parseRecords(
    section,
    start,
    end,
    header.recordCount,
    header.baseOffset,
    header.baseTimestamp,
    header.timestampType === 1 ? header.maxTimestamp : null,
    -Infinity,
    out,
  );
  return out;
}

export interface DecodedRecordBatch {
  header: RecordBatchHeader;
  records: Record[];
}

/**
 * Decodes every whole batch in `buf`, control batches included. A trailing partial batch is
 * ignored, as fetch responses may end mid-batch; a whole batch that is corrupt throws.
 */
export function decodeRecordBatches(buf: Buffer, options: DecodeRecordsOptions = {}): DecodedRecordBatch[] {
  const batches: DecodedRecordBatch[] = [];
  const verifyCrc = options.verifyCrc ?? true;
  let position = 0;
  while (position + RECORD_BATCH_OVERHEAD <= buf.length) {
    const size = buf.readInt32BE(position + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
    if (size >= RECORD_BATCH_OVERHEAD && position + size > buf.length) break; // partial tail
    const header = decodeRecordBatchHeader(buf, position);
    const batchEnd = checkBatch(buf, position, header, verifyCrc);
    batches.push({ header, records: decodeRecordsOf(buf, position, batchEnd, header, options.maxOutputBytes) });
    position = batchEnd;
  }
  return batches;
}

/**
 * The read path of Log.readRecords: appends the data records of every whole batch in `buf`
 * whose offset is >= `minOffset` to `out`, and returns how many it appended. Control batches
 * (transaction markers) are skipped, as consumers skip them; batches ending before `minOffset`
 * are skipped without decompressing. A trailing partial batch is ignored.
 *
 * CRCs are not checked here: the input comes from SegmentFile.readBatches, which has verified
 * each batch. Structural corruption still throws CorruptRecordError.
 */
export function readRecordsInto(buf: Buffer, out: Record[], minOffset: bigint, options: { maxOutputBytes?: number } = {}): number {
  const before = out.length;
  let position = 0;
  while (position + RECORD_BATCH_OVERHEAD <= buf.length) {
    const batchLength = buf.readInt32BE(position + BATCH_LENGTH_OFFSET);
    const batchEnd = position + LOG_OVERHEAD + batchLength;
    if (batchLength >= RECORD_BATCH_OVERHEAD - LOG_OVERHEAD && batchEnd > buf.length) break;
    const magic = buf[position + MAGIC_OFFSET];
    if (magic !== CURRENT_MAGIC || batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
      throw new CorruptRecordError(`record batch at ${position}: magic ${String(magic)}, batchLength ${batchLength}`, position);
    }
    const attributes = buf.readInt16BE(position + ATTRIBUTES_OFFSET);
    const baseOffset = buf.readBigInt64BE(position + BASE_OFFSET_OFFSET);
    const lastOffsetDelta = buf.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET);
    if ((attributes & CONTROL_FLAG_MASK) === 0 && baseOffset + BigInt(lastOffsetDelta) >= minOffset) {
      const codec = attributes & COMPRESSION_CODEC_MASK;
      if (codec > Codec.Zstd) throw new CorruptRecordError(`record batch at ${position} has unknown compression codec id ${codec}`, position);
      const [section, start, end] = recordsSection(buf, position, batchEnd, codec as Codec, options.maxOutputBytes);
      const maxTimestamp = readInt64NumberBE(buf, position + MAX_TIMESTAMP_OFFSET);
      parseRecords(
        section,
        start,
        end,
        buf.readInt32BE(position + RECORD_COUNT_OFFSET),
        baseOffset,
        readInt64NumberBE(buf, position + BASE_TIMESTAMP_OFFSET),
        (attributes & TIMESTAMP_TYPE_MASK) !== 0 ? maxTimestamp : null,
        minOffset > baseOffset ? Number(minOffset - baseOffset) : 0,
        out,
      );
    }
    position = batchEnd;
  }
  return out.length - before;
}
