import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BATCH_FIELDS, BatchField, native, NativeError, type SegmentFile } from '../../src/native.js';
import { makeBatch, makeBatches } from './batch-fixture.js';

let dir: string;
let open: SegmentFile[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-segment-'));
});

afterEach(() => {
  for (const f of open) f.close();
  open = [];
  fs.rmSync(dir, { recursive: true, force: true });
});

function segment(name = '00000000000000000000.log', create = true): SegmentFile {
  const f = native.openSegmentFile(path.join(dir, name), create);
  open.push(f);
  return f;
}

/** Appends the batches and returns each one's file position. */
function appendAll(f: SegmentFile, batches: Buffer[]): number[] {
  return batches.map((b) => f.append(b));
}

function catchError(fn: () => unknown): NativeError & { position?: number; reason?: string } {
  try {
    fn();
  } catch (err) {
    return err as NativeError;
  }
  throw new Error('expected an error');
}

describe('SegmentFile appends and reads', () => {
  it('append returns the position each buffer was written at and read returns the same bytes', () => {
    const f = segment();
    const a = Buffer.from('hello ');
    const b = Buffer.from('world');
    expect(f.append(a)).toBe(0);
    expect(f.append(b)).toBe(6);
    expect(f.size).toBe(11);
    expect(f.read(0, 11).toString()).toBe('hello world');
    expect(f.read(6, 5).toString()).toBe('world');
    expect(fs.readFileSync(f.path).toString()).toBe('hello world');
  });

  it('read returns fewer bytes at the end of the file and an empty buffer past it', () => {
    const f = segment();
    f.append(Buffer.from('0123456789'));
    expect(f.read(7, 100).toString()).toBe('789');
    expect(f.read(10, 5).length).toBe(0);
    expect(f.read(50, 5).length).toBe(0);
  });

  it('reopening a file restores size from its length and appends continue at the end', () => {
    const f = segment();
    f.append(Buffer.from('abc'));
    f.close();
    const g = segment(undefined, false);
    expect(g.size).toBe(3);
    expect(g.append(Buffer.from('d'))).toBe(3);
    expect(fs.readFileSync(g.path).toString()).toBe('abcd');
  });

  it('opening a missing file without create throws ENOENT with the path', () => {
    const err = catchError(() => native.openSegmentFile(path.join(dir, 'missing.log'), false));
    expect(err).toBeInstanceOf(NativeError);
    expect(err.code).toBe('ENOENT');
    expect(err.syscall).toBe('open');
    expect(err.path).toBe(path.join(dir, 'missing.log'));
  });

  it('append after close throws CLOSED and close is idempotent', () => {
    const f = segment();
    f.close();
    f.close();
    const err = catchError(() => f.append(Buffer.from('x')));
    expect(err).toBeInstanceOf(NativeError);
    expect(err.code).toBe('CLOSED');
    expect(() => f.read(0, 1)).toThrow(NativeError);
  });

  it('truncate cuts the file and moves the append position back', () => {
    const f = segment();
    f.append(Buffer.from('abcdef'));
    f.truncate(2);
    expect(f.size).toBe(2);
    expect(fs.statSync(f.path).size).toBe(2);
    expect(f.append(Buffer.from('Z'))).toBe(2);
    expect(fs.readFileSync(f.path).toString()).toBe('abZ');
    expect(() => f.truncate(100)).toThrow(NativeError);
  });
});

describe('SegmentFile.readBatches', () => {
  it('returns only the whole batches that fit in maxBytes', () => {
    const f = segment();
    const batches = makeBatches(5, { sizeBytes: 200 });
    appendAll(f, batches);
    const out = f.readBatches(0, 450, f.size, true);
    expect(out).toEqual(Buffer.concat(batches.slice(0, 2)));
    expect(f.readBatches(200, 600, f.size, false)).toEqual(Buffer.concat(batches.slice(1, 4)));
  });

  it('returns the first batch whole when it is larger than maxBytes and minOneBatch is set', () => {
    const f = segment();
    const big = makeBatch({ baseOffset: 0, sizeBytes: 100_000 });
    const next = makeBatch({ baseOffset: 1, sizeBytes: 100 });
    appendAll(f, [big, next]);
    expect(f.readBatches(0, 10, f.size, true)).toEqual(big);
    expect(f.readBatches(0, 10, f.size, false).length).toBe(0);
    expect(f.readBatches(0, 100_050, f.size, false)).toEqual(big);
  });

  it('stops at maxPosition even when maxBytes allows more', () => {
    const f = segment();
    const batches = makeBatches(4, { sizeBytes: 150 });
    const positions = appendAll(f, batches);
    expect(f.readBatches(0, 1 << 20, positions[2]!, true)).toEqual(Buffer.concat(batches.slice(0, 2)));
    expect(f.readBatches(positions[2]!, 1 << 20, positions[2]!, true).length).toBe(0);
  });

  it('returns an empty buffer at the end of the file', () => {
    const f = segment();
    appendAll(f, makeBatches(2));
    expect(f.readBatches(f.size, 1000, f.size, true).length).toBe(0);
  });

  it('throws CORRUPT_BATCH with the batch position when a byte of a batch on disk is flipped', () => {
    const f = segment();
    const batches = makeBatches(3, { sizeBytes: 300 });
    const positions = appendAll(f, batches);
    f.close();
    const file = path.join(dir, '00000000000000000000.log');
    const bytes = fs.readFileSync(file);
    bytes[positions[1]! + 150] ^= 0x01;
    fs.writeFileSync(file, bytes);

    const g = segment(undefined, false);
    const err = catchError(() => g.readBatches(0, 1 << 20, g.size, true));
    expect(err).toBeInstanceOf(NativeError);
    expect(err.code).toBe('CORRUPT_BATCH');
    expect(err.position).toBe(positions[1]);
    expect(err.reason).toBe('BAD_CRC');
    // The batch before the damage still reads when the range stops short of it.
    expect(g.readBatches(0, 300, g.size, true)).toEqual(batches[0]);
  });

  it('throws CORRUPT_BATCH when the first batch length points past the end of the file', () => {
    const f = segment();
    const batch = makeBatch({ baseOffset: 0, sizeBytes: 500 });
    f.append(batch.subarray(0, 200));
    const err = catchError(() => f.readBatches(0, 1000, f.size, true));
    expect(err.code).toBe('CORRUPT_BATCH');
    expect(err.reason).toBe('TRUNCATED_BODY');
    expect(err.position).toBe(0);
  });
});

describe('SegmentFile.findBatch and findBatchByTimestamp', () => {
  it('findBatch returns the first batch whose last offset reaches the target', () => {
    const f = segment();
    const batches = makeBatches(6, { recordsPerBatch: 10, sizeBytes: 120 });
    const positions = appendAll(f, batches);
    expect(f.findBatch(0, 25, f.size)).toEqual({ position: positions[2], baseOffset: 20, lastOffset: 29, size: 120 });
    expect(f.findBatch(0, 0, f.size)).toEqual({ position: 0, baseOffset: 0, lastOffset: 9, size: 120 });
    expect(f.findBatch(positions[3]!, 5, f.size)).toEqual({ position: positions[3], baseOffset: 30, lastOffset: 39, size: 120 });
    expect(f.findBatch(0, 60, f.size)).toBeNull();
    expect(f.findBatch(0, 45, positions[4]!)).toBeNull();
  });

  it('findBatch walks batches of varying sizes beyond its read window', () => {
    const f = segment();
    const batches = [0, 1, 2, 3].map((i) => makeBatch({ baseOffset: i, sizeBytes: i === 1 ? 40_000 : 90 }));
    const positions = appendAll(f, batches);
    expect(f.findBatch(0, 3, f.size)?.position).toBe(positions[3]);
  });

  it('findBatchByTimestamp returns the first batch whose max timestamp reaches the target', () => {
    const f = segment();
    const batches = makeBatches(5, { recordsPerBatch: 2, firstTimestamp: 1000 });
    const positions = appendAll(f, batches);
    // batch i: timestamps [1000 + 1000 i, 1010 + 1000 i]
    expect(f.findBatchByTimestamp(0, 3005, f.size)).toMatchObject({ position: positions[2], baseOffset: 4, lastOffset: 5 });
    expect(f.findBatchByTimestamp(0, 3011, f.size)).toMatchObject({ position: positions[3], baseOffset: 6, lastOffset: 7 });
    expect(f.findBatchByTimestamp(0, 0, f.size)).toMatchObject({ position: 0, baseOffset: 0 });
    expect(f.findBatchByTimestamp(0, 99_999, f.size)).toBeNull();
  });

  it('findBatch throws CORRUPT_BATCH on a zero-filled header instead of looping', () => {
    const f = segment();
    appendAll(f, makeBatches(2));
    f.append(Buffer.alloc(200));
    const err = catchError(() => f.findBatch(0, 100, f.size));
    expect(err.code).toBe('CORRUPT_BATCH');
    expect(err.reason).toBe('ZERO_FILLED');
    expect(err.position).toBe(200);
  });
});

describe('SegmentFile.scan', () => {
  it('returns every header in BatchField order with file positions', () => {
    const f = segment();
    f.append(Buffer.from('junk-prefix'));
    const batches = makeBatches(3, { firstOffset: 100, recordsPerBatch: 4, sizeBytes: 128, firstTimestamp: 5000 });
    const positions = appendAll(f, batches);
    const scan = f.scan(positions[0]!);
    expect(scan.count).toBe(3);
    expect(scan.error).toBeNull();
    expect(scan.validBytes).toBe(f.size);
    expect(scan.headers.length).toBe(3 * BATCH_FIELDS);
    const h = (i: number, field: BatchField) => scan.headers[i * BATCH_FIELDS + field];
    expect(h(1, BatchField.Position)).toBe(positions[1]);
    expect(h(1, BatchField.Size)).toBe(128);
    expect(h(1, BatchField.BaseOffset)).toBe(104);
    expect(h(1, BatchField.LastOffsetDelta)).toBe(3);
    expect(h(1, BatchField.BaseTimestamp)).toBe(6000);
    expect(h(1, BatchField.MaxTimestamp)).toBe(6010);
    expect(h(1, BatchField.ProducerId)).toBe(-1);
    expect(h(1, BatchField.RecordCount)).toBe(4);
  });

  it('stops after maxBytes of input', () => {
    const f = segment();
    appendAll(f, makeBatches(4, { sizeBytes: 100 }));
    const scan = f.scan(0, { maxBytes: 280 });
    expect(scan.count).toBe(2);
    expect(scan.validBytes).toBe(200);
    expect(scan.error).toBe('TRUNCATED_BODY');
  });
});

describe('recoverSegment', () => {
  async function recoverAfter(damage: (f: SegmentFile) => void) {
    const f = segment();
    const batches = makeBatches(3, { sizeBytes: 200 });
    appendAll(f, batches);
    const validEnd = f.size;
    damage(f);
    const fileBytes = f.size;
    f.close();
    const result = await native.recoverSegment(f.path, true, 4096, 0x7fff_ffff);
    return { f, result, validEnd, fileBytes };
  }

  async function expectTruncated(damage: (f: SegmentFile) => void, error: string) {
    const { f, result, validEnd, fileBytes } = await recoverAfter(damage);
    expect(result.error).toBe(error);
    expect(result.batchCount).toBe(3);
    expect(result.validBytes).toBe(validEnd);
    expect(result.errorPosition).toBe(validEnd);
    expect(result.fileBytes).toBe(fileBytes);
    expect(result.truncatedBytes).toBe(fileBytes - validEnd);
    expect(fs.statSync(f.path).size).toBe(validEnd);
    // Appends continue at the cut.
    const g = segment(undefined, false);
    expect(g.append(makeBatch({ baseOffset: 3 }))).toBe(validEnd);
  }

  it('truncates a torn tail that ends inside a batch header', async () => {
    await expectTruncated((f) => f.append(makeBatch({ baseOffset: 3, sizeBytes: 200 }).subarray(0, 30)), 'TRUNCATED_HEADER');
  });

  it('truncates a torn tail that ends inside a batch body', async () => {
    await expectTruncated((f) => f.append(makeBatch({ baseOffset: 3, sizeBytes: 200 }).subarray(0, 150)), 'TRUNCATED_BODY');
  });

  it('truncates a tail batch whose CRC does not match', async () => {
    await expectTruncated((f) => {
      const b = makeBatch({ baseOffset: 3, sizeBytes: 200 });
      b[190] ^= 0xff;
      f.append(b);
    }, 'BAD_CRC');
  });

  it('truncates a zero-filled tail', async () => {
    await expectTruncated((f) => f.append(Buffer.alloc(4096)), 'ZERO_FILLED');
  });

  it('truncates a tail batch whose offsets go backwards', async () => {
    await expectTruncated((f) => f.append(makeBatch({ baseOffset: 1, sizeBytes: 200 })), 'BAD_OFFSETS');
  });

  it('reports a damaged tail without touching the file when truncate is false', async () => {
    const f = segment();
    appendAll(f, makeBatches(2, { sizeBytes: 200 }));
    f.append(Buffer.alloc(50, 1));
    const result = await native.recoverSegment(f.path, false, 4096, 0x7fff_ffff);
    expect(result.error).not.toBeNull();
    expect(result.validBytes).toBe(400);
    expect(result.truncatedBytes).toBe(0);
    expect(fs.statSync(f.path).size).toBe(450);
  });

  it('reports a clean file as valid to the end and truncates nothing', async () => {
    const f = segment();
    appendAll(f, makeBatches(10, { sizeBytes: 333 }));
    const result = await native.recoverSegment(f.path, true, 4096, 0x7fff_ffff);
    expect(result).toMatchObject({ batchCount: 10, validBytes: 3330, fileBytes: 3330, truncatedBytes: 0, error: null, lastOffset: 9 });
  });

  it('scans a file larger than its read chunk, across chunk boundaries and a batch larger than a chunk', async () => {
    const f = segment();
    const batches = [
      ...makeBatches(30, { sizeBytes: 150_001 }),
      makeBatch({ baseOffset: 30, sizeBytes: 5 << 20 }),
      ...makeBatches(3, { firstOffset: 31, sizeBytes: 77 }),
    ];
    appendAll(f, batches);
    f.append(Buffer.from([1, 2, 3]));
    const result = await native.recoverSegment(f.path, true, 4096, 0x7fff_ffff);
    expect(result.batchCount).toBe(34);
    expect(result.error).toBe('TRUNCATED_HEADER');
    expect(result.truncatedBytes).toBe(3);
    expect(result.lastOffset).toBe(33);
  });
});

describe('recoverSegment from a start position', () => {
  it('scans only from the given batch boundary and continues the time index from the running max given', async () => {
    const f = segment();
    const positions = appendAll(f, makeBatches(10, { sizeBytes: 200 }));
    f.flushSync();
    const full = await native.recoverSegment(f.path, false, 0, 0x7fff_ffff);
    const from = await native.recoverSegment(f.path, false, 0, 0x7fff_ffff, positions[6]!, 1_700_000_005_000, 5);
    expect(full.startPosition).toBe(0);
    expect(from.startPosition).toBe(positions[6]);
    expect(from.batchCount).toBe(4);
    expect(from.validBytes).toBe(full.validBytes);
    expect(from.lastOffset).toBe(full.lastOffset);
    expect(from.maxTimestamp).toBe(full.maxTimestamp);
    // The same entries as the full scan makes past that position (the batch there starts a new interval).
    const fullOffsets = Array.from(full.offsetIndexEntries);
    const tail = Array.from(from.offsetIndexEntries);
    expect(fullOffsets.slice(fullOffsets.length - tail.length)).toEqual(tail);
    expect(tail.every((v, i) => i % 2 === 0 || v > positions[6]!)).toBe(true);
  });

  it('reports no batch when the start position is not a batch boundary', async () => {
    const f = segment();
    const positions = appendAll(f, makeBatches(3, { sizeBytes: 200 }));
    f.flushSync();
    const r = await native.recoverSegment(f.path, false, 0, 0x7fff_ffff, positions[1]! + 1, -1, -1);
    expect(r.batchCount).toBe(0);
    expect(r.error).not.toBeNull();
  });
});

describe('SegmentFile.headers', () => {
  it('returns the headers of the batches starting in the range without reading bodies', () => {
    const f = segment();
    const positions = appendAll(f, makeBatches(5, { sizeBytes: 300, recordsPerBatch: 2 }));
    const scan = f.headers(positions[1]!, positions[3]! - positions[1]! + 1);
    expect(scan.count).toBe(3);
    expect(scan.headers[BatchField.BaseOffset]).toBe(2);
    expect(scan.error).toBeNull();
  });

  it('stops at a malformed header', () => {
    const f = segment();
    appendAll(f, makeBatches(2, { sizeBytes: 300 }));
    f.append(Buffer.alloc(100));
    const scan = f.headers(0, f.size);
    expect(scan.count).toBe(2);
    expect(scan.error).not.toBeNull();
    expect(scan.errorPosition).toBe(600);
  });
});

describe('SegmentFile.flush and close', () => {
  it('flush resolves after appended data is synced', async () => {
    const f = segment();
    f.append(Buffer.from('durable'));
    await expect(f.flush()).resolves.toBeUndefined();
    f.flushSync();
  });

  it('close while a flush is in flight does not crash and the flush resolves', async () => {
    const f = segment();
    f.append(Buffer.alloc(1 << 20, 1));
    const pending = [f.flush(), f.flush(), f.flush()];
    f.close();
    await expect(Promise.all(pending)).resolves.toEqual([undefined, undefined, undefined]);
    // The fd was released once the flushes finished: the file is intact and reopenable.
    expect(fs.statSync(f.path).size).toBe(1 << 20);
    const g = segment(undefined, false);
    expect(g.size).toBe(1 << 20);
  });

  it('flush after close rejects with CLOSED', async () => {
    const f = segment();
    f.close();
    await expect(f.flush()).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('SegmentFile.readBatchesInto', () => {
  it('writes the whole batches that fit at the front of target and returns their size, as readBatches does', () => {
    const f = segment();
    const batches = makeBatches(5, { sizeBytes: 200 });
    appendAll(f, batches);
    const target = Buffer.alloc(4096);
    const n = f.readBatchesInto(0, 450, f.size, true, target, true);
    expect(n).toBe(400);
    expect(target.subarray(0, n)).toEqual(Buffer.concat(batches.slice(0, 2)));
    expect(target.subarray(0, n)).toEqual(f.readBatches(0, 450, f.size, true));
    expect(f.readBatchesInto(200, 600, f.size, false, target, true)).toBe(600);
    expect(target.subarray(0, 600)).toEqual(Buffer.concat(batches.slice(1, 4)));
  });

  it('reports the offset after the last batch it read, when given a Float64Array for it', () => {
    const f = segment();
    appendAll(f, makeBatches(5, { sizeBytes: 200, recordsPerBatch: 3 }));
    const target = Buffer.alloc(4096);
    const next = new Float64Array([-7]);
    expect(f.readBatchesInto(200, 450, f.size, true, target, true, next)).toBe(400);
    expect(next[0]).toBe(9); // batches at offsets 3..5 and 6..8
    // Nothing read: left as it was.
    expect(f.readBatchesInto(f.size, 450, f.size, true, target, true, next)).toBe(0);
    expect(next[0]).toBe(9);
  });

  it('returns no more than target holds, in whole batches, even when maxBytes allows more', () => {
    const f = segment();
    const batches = makeBatches(5, { sizeBytes: 200 });
    appendAll(f, batches);
    const target = Buffer.alloc(650);
    expect(f.readBatchesInto(0, 1 << 20, f.size, true, target, true)).toBe(600);
    expect(target.subarray(0, 600)).toEqual(Buffer.concat(batches.slice(0, 3)));
  });

  it('returns minus the size of the first batch when it would be returned but does not fit in target', () => {
    const f = segment();
    const big = makeBatch({ baseOffset: 0, sizeBytes: 5000 });
    appendAll(f, [big, makeBatch({ baseOffset: 1, sizeBytes: 100 })]);
    const small = Buffer.alloc(1000);
    // minOneBatch: the first batch is owed whatever maxBytes says.
    expect(f.readBatchesInto(0, 10, f.size, true, small, true)).toBe(-5000);
    // It fits maxBytes, so it would be returned: the target is what is short.
    expect(f.readBatchesInto(0, 8000, f.size, false, small, true)).toBe(-5000);
    // Smaller than a batch header still tells the size.
    expect(f.readBatchesInto(0, 10, f.size, true, Buffer.alloc(0), true)).toBe(-5000);
    expect(f.readBatchesInto(0, 10, f.size, true, Buffer.alloc(20), true)).toBe(-5000);
    // Retrying with that size gets it.
    const retry = Buffer.alloc(5000);
    expect(f.readBatchesInto(0, 10, f.size, true, retry, true)).toBe(5000);
    expect(retry).toEqual(big);
  });

  it('returns 0 when minOneBatch is false and the first batch is larger than maxBytes', () => {
    const f = segment();
    appendAll(f, [makeBatch({ baseOffset: 0, sizeBytes: 5000 })]);
    expect(f.readBatchesInto(0, 4999, f.size, false, Buffer.alloc(10_000), true)).toBe(0);
    expect(f.readBatchesInto(0, 4999, f.size, false, Buffer.alloc(100), true)).toBe(0);
    expect(f.readBatchesInto(0, 10, f.size, false, Buffer.alloc(0), true)).toBe(0);
  });

  it('stops at maxPosition and returns 0 at the end of the range', () => {
    const f = segment();
    const batches = makeBatches(4, { sizeBytes: 150 });
    const positions = appendAll(f, batches);
    const target = Buffer.alloc(4096);
    expect(f.readBatchesInto(0, 1 << 20, positions[2]!, true, target, true)).toBe(300);
    expect(target.subarray(0, 300)).toEqual(Buffer.concat(batches.slice(0, 2)));
    expect(f.readBatchesInto(positions[2]!, 1 << 20, positions[2]!, true, target, true)).toBe(0);
    expect(f.readBatchesInto(f.size, 1 << 20, -1, true, target, true)).toBe(0);
  });

  it('may write target past the returned bytes (read-ahead), never past target', () => {
    const f = segment();
    const batches = makeBatches(3, { sizeBytes: 200 });
    appendAll(f, batches);
    const parent = Buffer.alloc(1000, 0xee);
    const target = parent.subarray(0, 500);
    // maxBytes 250 with minOneBatch reads ahead (up to target.length) but returns one batch.
    expect(f.readBatchesInto(0, 250, f.size, true, target, true)).toBe(200);
    expect(target.subarray(0, 200)).toEqual(batches[0]);
    expect(target.subarray(200, 500)).toEqual(Buffer.concat(batches.slice(1)).subarray(0, 300));
    expect(parent.subarray(500).every((b) => b === 0xee)).toBe(true);
  });

  it('checks the CRC only when verifyCrc is set, but framing always', () => {
    const f = segment();
    const batches = makeBatches(3, { sizeBytes: 300 });
    const positions = appendAll(f, batches);
    f.close();
    const file = path.join(dir, '00000000000000000000.log');
    const bytes = fs.readFileSync(file);
    bytes[positions[1]! + 150] ^= 0x01; // inside the records: only the CRC can tell
    fs.writeFileSync(file, bytes);
    const g = segment(undefined, false);
    const target = Buffer.alloc(4096);
    const err = catchError(() => g.readBatchesInto(0, 1 << 20, -1, true, target, true));
    expect(err.code).toBe('CORRUPT_BATCH');
    expect(err.reason).toBe('BAD_CRC');
    expect(err.position).toBe(positions[1]);
    expect(g.readBatchesInto(0, 1 << 20, -1, true, target, false)).toBe(900);
    expect(g.readBatches(0, 1 << 20, -1, true, false).length).toBe(900);
    expect(() => g.readBatches(0, 1 << 20, -1, true)).toThrow(NativeError);
    g.close();

    // A bad magic or a length running past the end is refused without the CRC.
    bytes[positions[1]! + 150] ^= 0x01;
    bytes[positions[2]! + 16] = 1;
    fs.writeFileSync(file, bytes);
    const h = segment(undefined, false);
    const magic = catchError(() => h.readBatchesInto(0, 1 << 20, -1, true, target, false));
    expect(magic.reason).toBe('BAD_MAGIC');
    expect(magic.position).toBe(positions[2]);
    fs.truncateSync(file, positions[2]! + 100);
    h.close();
    const k = segment(undefined, false);
    const torn = catchError(() => k.readBatchesInto(positions[2]!, 1 << 20, -1, true, target, false));
    expect(torn.reason).toBe('TRUNCATED_BODY');
    // As readBatches: a corrupt batch in the range throws; the caller reads up to it again.
    expect(catchError(() => k.readBatchesInto(0, 1 << 20, -1, true, target, false)).position).toBe(positions[2]);
    expect(k.readBatchesInto(0, 1 << 20, positions[2]!, true, target, false)).toBe(600);
  });

  it('rejects a target that is not a Buffer and throws CLOSED after close', () => {
    const f = segment();
    appendAll(f, makeBatches(1));
    expect(() => f.readBatchesInto(0, 100, -1, true, 'x' as unknown as Buffer, true)).toThrow(TypeError);
    f.close();
    expect(catchError(() => f.readBatchesInto(0, 100, -1, true, Buffer.alloc(100), true)).code).toBe('CLOSED');
  });

  it('readBatches returns a view only when at most 1/8 of its buffer is hidden, else an exact copy', () => {
    const f = segment();
    const batches = makeBatches(4, { sizeBytes: 1000 });
    appendAll(f, batches);
    // 3500 bytes allowed, 3000 returned: 500 hidden (1/7) -> copy of exactly 3000.
    const a = f.readBatches(0, 3500, -1, false);
    expect(a).toEqual(Buffer.concat(batches.slice(0, 3)));
    expect(a.buffer.byteLength).toBe(3000);
    // 3100 allowed, 3000 returned: a view.
    const b = f.readBatches(0, 3100, -1, false);
    expect(b).toEqual(Buffer.concat(batches.slice(0, 3)));
    expect(b.buffer.byteLength).toBeGreaterThanOrEqual(3000);
    // The first batch larger than the read-ahead with minOneBatch: sized to it.
    const big = segment('00000000000000000100.log');
    const huge = makeBatch({ baseOffset: 0, sizeBytes: 100_000 });
    big.append(huge);
    expect(big.readBatches(0, 1, -1, true)).toEqual(huge);
  });
});
