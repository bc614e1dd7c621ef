/**
 * Throughput of the append and read paths: `npx vitest bench test/records`.
 * Shape of the target: 1,000-record batches of 10-byte keys and 90-byte values, no compression
 * (targets: encode ≥ 6M records/s, readRecordsInto ≥ 5M records/s on a 2-core box).
 */
import { bench, describe } from 'vitest';
import { Codec } from '../../src/native.js';
import { encodeRecordBatch, readRecordsInto, type Record, type RecordInput } from '../../src/records/record-batch.js';

const RECORDS_PER_BATCH = 1000;
const bufferRecords: RecordInput[] = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
  key: Buffer.alloc(10, i & 0xff),
  value: Buffer.alloc(90, 7),
}));
const stringRecords: RecordInput[] = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
  key: `k${String(i).padStart(9, '0')}`,
  value: 'v'.repeat(80) + String(i).padStart(10, '0'),
}));
const now = Date.now();
const fetched = Buffer.concat(Array.from({ length: 16 }, (_, j) => encodeRecordBatch(bufferRecords, { now, baseOffset: BigInt(j * RECORDS_PER_BATCH) })));

describe('encodeRecordBatch, 1,000 × 100 B records (ops/s × 1,000 = records/s)', () => {
  bench('Buffer keys and values', () => {
    encodeRecordBatch(bufferRecords, { now });
  });
  bench('string keys and values', () => {
    encodeRecordBatch(stringRecords, { now });
  });
  bench('Buffer keys and values, lz4', () => {
    encodeRecordBatch(bufferRecords, { now, compression: Codec.Lz4 });
  });
});

describe('readRecordsInto, 16 × 1,000 × 100 B records (ops/s × 16,000 = records/s)', () => {
  bench('uncompressed', () => {
    const out: Record[] = [];
    readRecordsInto(fetched, out, 0n);
  });
});
