/**
 * Record batches whose framing and CRC-32C are right but whose records are not: what the
 * adversarial test of issue 10 got stored with error 0. Each comes with the Kafka error it must
 * get and, when one record is to blame, that record's index (Kafka's batch_index).
 */
import { Codec, native } from '../../src/native.js';
import { encodeRecordBatch, type RecordInput } from '../../src/records/index.js';

const RECORDS_OFFSET = 61;
const CRC_OFFSET = 17;
const CRC_START = 21;

/** Rewrites the batch's batchLength and CRC-32C after its bytes were changed. */
export function refreshBatch(batch: Buffer): Buffer {
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeUInt32BE(native.crc32cRange(batch, CRC_START, batch.length), CRC_OFFSET);
  return batch;
}

/** Zigzag varint bytes of v (int32). */
function varint(v: number): Buffer {
  let z = (v << 1) ^ (v >> 31);
  const out: number[] = [];
  z >>>= 0;
  while (z >= 0x80) {
    out.push((z & 0x7f) | 0x80);
    z >>>= 7;
  }
  out.push(z);
  return Buffer.from(out);
}

/** A fixed "random" payload (xorshift), so failures reproduce. */
export function garbage(bytes: number, seed = 0x9e3779b9): Buffer {
  const b = Buffer.alloc(bytes);
  let x = seed >>> 0;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

export interface InvalidBatch {
  name: string;
  batch: Buffer;
  errorName: 'INVALID_RECORD' | 'CORRUPT_MESSAGE';
  /** The failing record's index in its batch, or -1 for the batch as a whole. */
  recordIndex: number;
}

const RECORDS: RecordInput[] = [
  { key: 'k0', value: 'first value' },
  { key: 'k1', value: 'second value', headers: { h: 'v' } },
];

/** The second record's length varint replaced by 2^30, inside an uncompressed batch. */
export function recordLength2Pow30(): Buffer {
  const batch = encodeRecordBatch(RECORDS, { now: 1_700_000_000_000 });
  const firstLength = batch[RECORDS_OFFSET]! >> 1; // one-byte varint: a short record
  const second = RECORDS_OFFSET + 1 + firstLength;
  const rest = batch.subarray(second + 1); // the second record's own one-byte length dropped
  return refreshBatch(Buffer.concat([batch.subarray(0, second), varint(2 ** 30), rest]));
}

/** One record and lastOffsetDelta 2^31 - 1: would move the log end offset by 2^31. */
export function lastOffsetDeltaMax(): Buffer {
  const batch = encodeRecordBatch([{ value: 'one' }], { now: 1_700_000_000_000 });
  batch.writeInt32BE(0x7fff_ffff, 23);
  return refreshBatch(batch);
}

/** A batch of `codec` whose compressed payload is random bytes (right CRC). */
export function garbagePayload(codec: Codec): Buffer {
  const batch = encodeRecordBatch(RECORDS, { now: 1_700_000_000_000, compression: codec });
  return refreshBatch(Buffer.concat([batch.subarray(0, RECORDS_OFFSET), garbage(300, 0x1234 + codec)]));
}

/** Every case above, with the error each must get. */
export function invalidBatches(): InvalidBatch[] {
  return [
    { name: 'record length varint 2^30 in an uncompressed batch', batch: recordLength2Pow30(), errorName: 'INVALID_RECORD', recordIndex: 1 },
    { name: 'one record with lastOffsetDelta 2^31-1', batch: lastOffsetDeltaMax(), errorName: 'INVALID_RECORD', recordIndex: -1 },
    ...[Codec.Gzip, Codec.Snappy, Codec.Lz4, Codec.Zstd].map((codec) => ({
      name: `${Codec[codec]} batch whose payload is random bytes`,
      batch: garbagePayload(codec),
      errorName: 'CORRUPT_MESSAGE' as const,
      recordIndex: -1,
    })),
  ];
}
