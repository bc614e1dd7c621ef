/**
 * Builds magic-2 record batches for native tests: a real 61-byte header (layout in
 * native/src/batch_format.h) with a correct CRC-32C over [21, end), followed by filler bytes
 * standing in for records. The native scans check header, length and CRC only, so the
 * records section does not need to decode.
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
  const b = Buffer.alloc(size, spec.fill ?? (spec.baseOffset * 7 + 1) & 0xff);
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
