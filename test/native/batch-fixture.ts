/**
 * Builds magic-2 record batches for native tests: a real 61-byte header (layout in
 * native/src/batch_format.h) with a correct CRC-32C over [21, end), followed by
 * lastOffsetDelta + 1 real records (null keys, values of the `fill` byte) sized to make the batch
 * exactly `sizeBytes`, the last record's timestamp being maxTimestamp — so the batch passes
 * record validation too. When that many records cannot fit in sizeBytes, the section is filler
 * bytes instead (such a batch passes scans that check framing and CRC only).
 */
import { native } from '../../src/native.js';

export const BATCH_HEADER_BYTES = 61;

export interface BatchSpec {
  baseOffset: number;
  /** Offsets in the batch minus one (default 0: one record). */
  lastOffsetDelta?: number;
  baseTimestamp?: number;
  /** Default: baseTimestamp. */
  maxTimestamp?: number;
  /** Whole batch size in bytes (>= 61; default 100). */
  sizeBytes?: number;
  /** Byte the records section is filled with (default derived from baseOffset). */
  fill?: number;
}

export function makeBatch(spec: BatchSpec): Buffer {
  const size = spec.sizeBytes ?? 100;
  if (size < BATCH_HEADER_BYTES) throw new Error(`batch size ${size} below the 61-byte header`);
  const lastOffsetDelta = spec.lastOffsetDelta ?? 0;
  const baseTimestamp = spec.baseTimestamp ?? 1_700_000_000_000;
  const maxTimestamp = spec.maxTimestamp ?? baseTimestamp;
  const fill = spec.fill ?? (spec.baseOffset * 7 + 1) & 0xff;
  const b = Buffer.alloc(size, fill);
  writeRecords(b, lastOffsetDelta + 1, maxTimestamp - baseTimestamp, fill);
  b.writeBigInt64BE(BigInt(spec.baseOffset), 0);
  b.writeInt32BE(size - 12, 8); // batchLength
  b.writeInt32BE(0, 12); // partitionLeaderEpoch
  b.writeInt8(2, 16); // magic
  b.writeInt16BE(0, 21); // attributes
  b.writeInt32BE(lastOffsetDelta, 23);
  b.writeBigInt64BE(BigInt(baseTimestamp), 27);
  b.writeBigInt64BE(BigInt(maxTimestamp), 35);
  b.writeBigInt64BE(-1n, 43); // producerId
  b.writeInt16BE(-1, 51); // producerEpoch
  b.writeInt32BE(-1, 53); // baseSequence
  b.writeInt32BE(lastOffsetDelta + 1, 57); // recordCount
  b.writeUInt32BE(native.crc32cRange(b, 21, size), 17);
  return b;
}

function varintBytes(v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

function putVarint(b: Buffer, pos: number, v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  while (z >= 0x80) {
    b[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  b[pos++] = z;
  return pos;
}

/** Record i: attributes, timestampDelta, offsetDelta i, null key, `value` bytes, no headers. */
function recordBytes(i: number, timestampDelta: number, value: number): number {
  const body = 1 + varintBytes(timestampDelta) + varintBytes(i) + 1 + varintBytes(value) + value + 1;
  return varintBytes(body) + body;
}

/** Fills b[61, end) with `count` records when they fit exactly; leaves the filler otherwise. */
function writeRecords(b: Buffer, count: number, lastTimestampDelta: number, fill: number): void {
  const room = b.length - BATCH_HEADER_BYTES;
  const values = new Array<number>(count).fill(0);
  const tsDelta = (i: number): number => (i === count - 1 ? lastTimestampDelta : 0);
  let used = 0;
  for (let i = 0; i < count - 1; i++) used += recordBytes(i, tsDelta(i), 0);
  const left = room - used;
  let last = -1;
  for (let v = Math.max(0, left - 24); v <= left; v++) if (recordBytes(count - 1, tsDelta(count - 1), v) === left) last = v;
  if (count === 0 || left <= 0 || last < 0) return;
  values[count - 1] = last;
  let pos = BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    pos = putVarint(b, pos, 1 + varintBytes(tsDelta(i)) + varintBytes(i) + 1 + varintBytes(v) + v + 1);
    b[pos++] = 0;
    pos = putVarint(b, pos, tsDelta(i));
    pos = putVarint(b, pos, i);
    pos = putVarint(b, pos, -1);
    pos = putVarint(b, pos, v);
    b.fill(fill, pos, pos + v);
    pos += v;
    b[pos++] = 0;
  }
}

/** Batches with consecutive offsets: batch i holds `recordsPerBatch` offsets and `sizeBytes` bytes. */
export function makeBatches(
  count: number,
  options: { firstOffset?: number; recordsPerBatch?: number; sizeBytes?: number; firstTimestamp?: number } = {},
): Buffer[] {
  const perBatch = options.recordsPerBatch ?? 1;
  const out: Buffer[] = [];
  let offset = options.firstOffset ?? 0;
  for (let i = 0; i < count; i++) {
    const ts = (options.firstTimestamp ?? 1_700_000_000_000) + i * 1000;
    out.push(
      makeBatch({
        baseOffset: offset,
        lastOffsetDelta: perBatch - 1,
        baseTimestamp: ts,
        maxTimestamp: ts + 10,
        sizeBytes: options.sizeBytes ?? 100,
      }),
    );
    offset += perBatch;
  }
  return out;
}
