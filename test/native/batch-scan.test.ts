import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BATCH_FIELDS, BatchField, BatchScanner, native, NativeError } from '../../src/native.js';
import { makeBatch } from './batch-fixture.js';

// A magic-2 batch: a real 61-byte header (layout in native/src/batch_format.h), a correct
// CRC-32C over [21, end), then filler bytes standing in for records (the scan never decodes
// records).
interface Spec {
  baseOffset?: number;
  lastOffsetDelta?: number;
  recordCount?: number;
  partitionLeaderEpoch?: number;
  attributes?: number;
  baseTimestamp?: number;
  maxTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  recordBytes?: number;
}

function batch(spec: Spec = {}): Buffer {
  const lastOffsetDelta = spec.lastOffsetDelta ?? 2;
  const b = Buffer.alloc(61 + (spec.recordBytes ?? 40), 0x5a);
  b.writeBigInt64BE(BigInt(spec.baseOffset ?? 0), 0);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt32BE(spec.partitionLeaderEpoch ?? -1, 12);
  b.writeInt8(2, 16);
  b.writeInt16BE(spec.attributes ?? 0, 21);
  b.writeInt32BE(lastOffsetDelta, 23);
  b.writeBigInt64BE(BigInt(spec.baseTimestamp ?? 1_700_000_000_000), 27);
  b.writeBigInt64BE(BigInt(spec.maxTimestamp ?? 1_700_000_000_002), 35);
  b.writeBigInt64BE(BigInt(spec.producerId ?? -1), 43);
  b.writeInt16BE(spec.producerEpoch ?? -1, 51);
  b.writeInt32BE(spec.baseSequence ?? -1, 53);
  b.writeInt32BE(spec.recordCount ?? lastOffsetDelta + 1, 57);
  fixCrc(b);
  return b;
}

function fixCrc(b: Buffer): void {
  b.writeUInt32BE(native.crc32c(b.subarray(21)), 17);
}

/** Two good batches followed by `tail`. */
function withTail(tail: Buffer): { bytes: Buffer; goodBytes: number } {
  const good = Buffer.concat([batch({ baseOffset: 0 }), batch({ baseOffset: 3 })]);
  return { bytes: Buffer.concat([good, tail]), goodBytes: good.length };
}

function expectStop(tail: Buffer, error: string, options?: Parameters<typeof native.scanBatches>[1]): void {
  const { bytes, goodBytes } = withTail(tail);
  const scan = native.scanBatches(bytes, options);
  expect(scan.error).toBe(error);
  expect(scan.count).toBe(2);
  expect(scan.validBytes).toBe(goodBytes);
  expect(scan.errorPosition).toBe(goodBytes);
  expect(scan.headers.length).toBe(2 * BATCH_FIELDS);
}

describe('scanBatches', () => {
  it('returns every header field of whole valid batches in BatchField order', () => {
    const a = batch({ baseOffset: 0 });
    const b = batch({
      baseOffset: 3,
      lastOffsetDelta: 0,
      partitionLeaderEpoch: 9,
      attributes: 0x13,
      baseTimestamp: 1_700_000_000_100,
      maxTimestamp: 1_700_000_000_200,
      producerId: 2 ** 40,
      producerEpoch: 4,
      baseSequence: 17,
      recordBytes: 100,
    });
    const scan = native.scanBatches(Buffer.concat([a, b]));
    expect(scan.error).toBeNull();
    expect(scan.count).toBe(2);
    expect(scan.validBytes).toBe(a.length + b.length);
    const h = scan.headers.subarray(BATCH_FIELDS, 2 * BATCH_FIELDS);
    expect(h[BatchField.Position]).toBe(a.length);
    expect(h[BatchField.Size]).toBe(b.length);
    expect(h[BatchField.BaseOffset]).toBe(3);
    expect(h[BatchField.LastOffsetDelta]).toBe(0);
    expect(h[BatchField.PartitionLeaderEpoch]).toBe(9);
    expect(h[BatchField.Attributes]).toBe(0x13);
    expect(h[BatchField.BaseTimestamp]).toBe(1_700_000_000_100);
    expect(h[BatchField.MaxTimestamp]).toBe(1_700_000_000_200);
    expect(h[BatchField.ProducerId]).toBe(2 ** 40);
    expect(h[BatchField.ProducerEpoch]).toBe(4);
    expect(h[BatchField.BaseSequence]).toBe(17);
    expect(h[BatchField.RecordCount]).toBe(1);
    expect(scan.headers[BatchField.ProducerId]).toBe(-1);
  });

  it('treats empty input as zero batches without error', () => {
    const scan = native.scanBatches(Buffer.alloc(0));
    expect(scan).toMatchObject({ count: 0, validBytes: 0, error: null });
  });

  it('stops with TRUNCATED_HEADER when fewer than 61 bytes of a batch remain', () => {
    expectStop(batch().subarray(0, 40), 'TRUNCATED_HEADER');
    expectStop(Buffer.from([0, 0, 0, 1, 2]), 'TRUNCATED_HEADER');
  });

  it('stops with TRUNCATED_BODY when the batch length runs past the end', () => {
    const b = batch();
    expectStop(b.subarray(0, b.length - 1), 'TRUNCATED_BODY');
  });

  it('stops with BAD_CRC when a byte in the CRC range is flipped', () => {
    const b = batch();
    b[b.length - 1]! ^= 1;
    expectStop(b, 'BAD_CRC');
  });

  it('accepts a bad CRC when verifyCrc is false', () => {
    const b = batch();
    b[30]! ^= 1;
    expect(native.scanBatches(b, { verifyCrc: false }).error).toBeNull();
  });

  it('stops with BAD_MAGIC when magic is not 2', () => {
    const b = batch();
    b[16] = 1;
    expectStop(b, 'BAD_MAGIC');
  });

  it('stops with BAD_LENGTH when batchLength is below 49', () => {
    const b = batch();
    b.writeInt32BE(48, 8);
    expectStop(b, 'BAD_LENGTH');
    b.writeInt32BE(-5, 8);
    expectStop(b, 'BAD_LENGTH');
  });

  it('stops with BAD_LENGTH when the batch is larger than maxBatchBytes', () => {
    const huge = batch();
    huge.writeInt32BE(0x7ffffff0, 8);
    expectStop(huge, 'BAD_LENGTH', { maxBatchBytes: 1 << 20 });
    expect(native.scanBatches(batch(), { maxBatchBytes: 100 }).error).toBe('BAD_LENGTH');
  });

  it('stops with ZERO_FILLED at a zeroed (preallocated or torn) tail', () => {
    expectStop(Buffer.alloc(4096), 'ZERO_FILLED');
    expectStop(Buffer.alloc(12), 'ZERO_FILLED');
  });

  it('stops with BAD_OFFSETS when lastOffsetDelta is negative', () => {
    expectStop(batch({ baseOffset: 3, lastOffsetDelta: -1, recordCount: 0 }), 'BAD_OFFSETS');
  });

  it('stops with BAD_OFFSETS when offsets or the producer id do not fit in 2^53', () => {
    expectStop(batch({ baseOffset: 2 ** 53 - 2 }), 'BAD_OFFSETS');
    expectStop(batch({ baseOffset: 3, producerId: 2 ** 60 }), 'BAD_OFFSETS');
  });

  it('stops with BAD_OFFSETS when recordCount exceeds lastOffsetDelta + 1', () => {
    expectStop(batch({ baseOffset: 3, lastOffsetDelta: 1, recordCount: 3 }), 'BAD_OFFSETS');
  });

  it('stops after maxBytes of input', () => {
    const b = Buffer.concat([batch(), batch()]);
    const scan = native.scanBatches(b, { maxBytes: b.length / 2 });
    expect(scan).toMatchObject({ count: 1, error: null, validBytes: b.length / 2 });
    expect(native.scanBatches(b, { maxBytes: b.length / 2 + 10 }).error).toBe('TRUNCATED_HEADER');
  });
});

describe('stampBatches', () => {
  it('assigns consecutive offsets and leaves the CRC alone', () => {
    const bytes = Buffer.concat([batch({ lastOffsetDelta: 2 }), batch({ lastOffsetDelta: 0 }), batch({ lastOffsetDelta: 4 })]);
    const crcs = [17, 17 + 101, 17 + 202].map((p) => bytes.readUInt32BE(p));
    const next = native.stampBatches(bytes, 1000, -1, -1);
    expect(next).toBe(1000 + 3 + 1 + 5);
    const scan = native.scanBatches(bytes);
    expect(scan.error).toBeNull();
    expect([0, 1, 2].map((i) => scan.headers[i * BATCH_FIELDS + BatchField.BaseOffset])).toEqual([1000, 1003, 1004]);
    expect([17, 17 + 101, 17 + 202].map((p) => bytes.readUInt32BE(p))).toEqual(crcs);
    expect(scan.headers[BatchField.PartitionLeaderEpoch]).toBe(-1);
  });

  it('writes the partition leader epoch when it is >= 0', () => {
    const bytes = batch();
    native.stampBatches(bytes, 0, -1, 42);
    const scan = native.scanBatches(bytes);
    expect(scan.error).toBeNull();
    expect(scan.headers[BatchField.PartitionLeaderEpoch]).toBe(42);
  });

  it('sets LogAppendTime like Kafka: timestamp-type bit and maxTimestamp, with a fresh CRC', () => {
    const bytes = Buffer.concat([batch({ attributes: 0x02 }), batch()]);
    native.stampBatches(bytes, 7, 1_800_000_000_000, -1);
    const scan = native.scanBatches(bytes);
    expect(scan.error).toBeNull();
    for (let i = 0; i < 2; i++) {
      const h = scan.headers.subarray(i * BATCH_FIELDS);
      expect(h[BatchField.Attributes]! & 0x08).toBe(0x08);
      expect(h[BatchField.MaxTimestamp]).toBe(1_800_000_000_000);
      expect(h[BatchField.BaseTimestamp]).toBe(1_700_000_000_000);
    }
    expect(scan.headers[BatchField.Attributes]! & 0x07).toBe(0x02);
  });

  it('throws CORRUPT_BATCH and changes nothing when the bytes are not whole batches', () => {
    const bytes = Buffer.concat([batch(), batch()]).subarray(0, 150);
    const before = Buffer.from(bytes);
    let err: unknown;
    try {
      native.stampBatches(bytes, 5, 5, 5);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NativeError);
    expect((err as NativeError).code).toBe('CORRUPT_BATCH');
    expect(bytes.equals(before)).toBe(true);
  });
});

describe('scanBatchesInto and BatchScanner (the append path)', () => {
  const three = Buffer.concat([batch({ baseOffset: 0 }), batch({ baseOffset: 3, producerId: 42, baseSequence: 7 }), batch({ baseOffset: 6 })]);

  it('writes the same headers as scanBatches into the given array and returns the count', () => {
    const out = new Float64Array(3 * BATCH_FIELDS);
    expect(native.scanBatchesInto(three, true, 0x7fff_ffff, out)).toBe(3);
    expect(Array.from(out)).toEqual(Array.from(native.scanBatches(three).headers));
  });

  it('writes only what fits, still returning the full count', () => {
    const out = new Float64Array(BATCH_FIELDS + 3).fill(-9);
    expect(native.scanBatchesInto(three, true, 0x7fff_ffff, out)).toBe(3);
    expect(Array.from(out.subarray(0, BATCH_FIELDS))).toEqual(Array.from(native.scanBatches(three).headers.subarray(0, BATCH_FIELDS)));
    expect(Array.from(out.subarray(BATCH_FIELDS))).toEqual([-9, -9, -9]);
  });

  it('returns -1 for a bad CRC (unless told not to check), a torn tail, or no batch at all', () => {
    const out = new Float64Array(3 * BATCH_FIELDS);
    const flipped = Buffer.from(three);
    flipped[flipped.length - 1]! ^= 1;
    expect(native.scanBatchesInto(flipped, true, 0x7fff_ffff, out)).toBe(-1);
    expect(native.scanBatchesInto(flipped, false, 0x7fff_ffff, out)).toBe(3);
    expect(native.scanBatchesInto(three.subarray(0, three.length - 5), true, 0x7fff_ffff, out)).toBe(-1);
    expect(native.scanBatchesInto(Buffer.alloc(0), true, 0x7fff_ffff, out)).toBe(-1);
    expect(native.scanBatchesInto(three, true, 50, out)).toBe(-1);
    expect(() => native.scanBatchesInto(three, true, 0x7fff_ffff, new Float32Array(12) as unknown as Float64Array)).toThrow(TypeError);
  });

  it('BatchScanner grows its array for many batches, and on bad input says what scanBatches says', () => {
    const scanner = new BatchScanner();
    const many = Buffer.concat(Array.from({ length: 40 }, (_, i) => batch({ baseOffset: i * 3 })));
    const scan = scanner.scan(many, true);
    expect(scan.count).toBe(40);
    expect(scan.error).toBeNull();
    expect(scan.validBytes).toBe(many.length);
    expect(Array.from(scan.headers.subarray(0, 40 * BATCH_FIELDS))).toEqual(Array.from(native.scanBatches(many).headers));
    const flipped = Buffer.from(many);
    flipped[many.length - 1]! ^= 1;
    const bad = scanner.scan(flipped, true);
    expect(bad.error).toBe('BAD_CRC');
    expect(bad.count).toBe(39);
  });
});

describe('one header-slot writer and one options parser for every scan', () => {
  it('names the header slots as BatchField does, in the same order', () => {
    expect(native.batchSlotNames.length).toBe(BATCH_FIELDS);
    const names = Object.keys(BatchField).filter((k) => Number.isNaN(Number(k)));
    expect(names).toEqual([...native.batchSlotNames]);
    native.batchSlotNames.forEach((name, slot) => expect(BatchField[name as keyof typeof BatchField], name).toBe(slot));
  });

  it('a file scan, a header walk and a buffer scan give the same header slots for the same batches', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-slots-'));
    try {
      const bytes = Buffer.concat([batch({ baseOffset: 0, producerId: 7, producerEpoch: 2, baseSequence: 5 }), batch({ baseOffset: 3, partitionLeaderEpoch: 4, attributes: 0x10 })]);
      const f = native.openSegmentFile(path.join(dir, '00000000000000000000.log'), true);
      f.append(bytes);
      const fromBuffer = Array.from(native.scanBatches(bytes).headers);
      expect(Array.from(f.scan(0).headers)).toEqual(fromBuffer);
      expect(Array.from(f.headers(0, bytes.length).headers)).toEqual(fromBuffer);
      const into = new Float64Array(2 * BATCH_FIELDS);
      expect(native.scanBatchesInto(bytes, true, 0x7fff_ffff, into)).toBe(2);
      expect(Array.from(into)).toEqual(fromBuffer);
      f.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every call that takes maxBatchBytes reads it the same way: a bound on the whole batch size, any non-negative number', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-maxbatch-'));
    try {
      // Real records: recoverSegment validates them.
      const one = makeBatch({ baseOffset: 0, sizeBytes: 161 });
      const file = path.join(dir, '00000000000000000000.log');
      const f = native.openSegmentFile(file, true);
      f.append(one);
      const out = new Float64Array(BATCH_FIELDS);
      for (const [maxBatchBytes, accepted] of [
        [one.length, true],
        [one.length - 1, false],
        [0, false],
        [2 ** 40, true],
      ] as const) {
        const what = `maxBatchBytes ${maxBatchBytes}`;
        expect(native.scanBatches(one, { maxBatchBytes }).count, what).toBe(accepted ? 1 : 0);
        expect(native.scanBatchesInto(one, true, maxBatchBytes, out), what).toBe(accepted ? 1 : -1);
        expect(f.scan(0, { maxBatchBytes }).count, what).toBe(accepted ? 1 : 0);
        expect((await native.recoverSegment(file, false, 4096, maxBatchBytes)).batchCount, what).toBe(accepted ? 1 : 0);
      }
      for (const bad of [-1, Number.NaN, '100' as unknown as number]) {
        expect(() => native.scanBatches(one, { maxBatchBytes: bad }), String(bad)).toThrow(TypeError);
        expect(() => native.scanBatchesInto(one, true, bad, out), String(bad)).toThrow(TypeError);
        expect(() => native.validateBatchesInto(one, bad, 1 << 20, out), String(bad)).toThrow(TypeError);
        expect(() => f.scan(0, { maxBatchBytes: bad }), String(bad)).toThrow(TypeError);
        expect(() => native.recoverSegment(file, false, 4096, bad), String(bad)).toThrow(TypeError);
      }
      f.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
