import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { native, NativeError, type IndexFile } from '../../src/native.js';

let dir: string;
let open: IndexFile[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-index-'));
});

afterEach(() => {
  for (const idx of open) idx.close(false);
  open = [];
  fs.rmSync(dir, { recursive: true, force: true });
});

const OFFSET_FILE = '00000000000000001000.index';
const TIME_FILE = '00000000000000001000.timeindex';

function offsetIndex(maxIndexBytes = 10 * 1024 * 1024, writable = true, name = OFFSET_FILE): IndexFile {
  const idx = native.openOffsetIndex(path.join(dir, name), 1000, { maxIndexBytes, writable });
  open.push(idx);
  return idx;
}

function timeIndex(maxIndexBytes = 10 * 1024 * 1024, writable = true, name = TIME_FILE): IndexFile {
  const idx = native.openTimeIndex(path.join(dir, name), 1000, { maxIndexBytes, writable });
  open.push(idx);
  return idx;
}

function catchError(fn: () => unknown): NativeError {
  try {
    fn();
  } catch (err) {
    return err as NativeError;
  }
  throw new Error('expected an error');
}

/** mulberry32: a small seeded PRNG so a failing model test can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Brute-force model: largest key <= target / smallest key >= target over sorted entries. */
function modelLookup(entries: [number, number][], target: number): [number, number] | null {
  let found: [number, number] | null = null;
  for (const e of entries) if (e[0] <= target) found = e;
  return found;
}
describe('index byte layout', () => {
  it('an offset index is preallocated to maxIndexBytes and trimmed to big-endian (relOffset u32, position u32) entries on close', () => {
    const idx = offsetIndex(1024);
    expect(fs.statSync(idx.path).size).toBe(1024);
    expect(idx.maxEntries).toBe(128);
    expect(idx.entryBytes).toBe(8);
    idx.append(3, 100);
    idx.append(7, 5000);
    idx.append(0x01020304, 0xa0b0c0d0);
    idx.close();
    const bytes = fs.readFileSync(path.join(dir, OFFSET_FILE));
    expect(bytes.length).toBe(24);
    expect(bytes.toString('hex')).toBe(['00000003', '00000064', '00000007', '00001388', '01020304', 'a0b0c0d0'].join(''));
  });

  it('a time index is trimmed to big-endian (timestamp i64, relOffset u32) entries on trim', () => {
    const idx = timeIndex(1200);
    expect(idx.entryBytes).toBe(12);
    expect(idx.append(1_700_000_000_000, 0)).toBe(true);
    expect(idx.append(1_700_000_000_500, 42)).toBe(true);
    idx.trim();
    expect(idx.maxEntries).toBe(2);
    expect(idx.isFull).toBe(true);
    const bytes = fs.readFileSync(path.join(dir, TIME_FILE));
    expect(bytes.length).toBe(24);
    expect(bytes.readBigInt64BE(0)).toBe(1_700_000_000_000n);
    expect(bytes.readUInt32BE(8)).toBe(0);
    expect(bytes.readBigInt64BE(12)).toBe(1_700_000_000_500n);
    expect(bytes.readUInt32BE(20)).toBe(42);
  });

  it('maxIndexBytes is rounded down to whole entries', () => {
    const idx = timeIndex(100);
    expect(idx.maxEntries).toBe(8);
    expect(fs.statSync(idx.path).size).toBe(96);
  });
});

describe('IndexFile lookups', () => {
  for (const kind of ['offset', 'time'] as const) {
    it(`${kind} index lookup agrees with a brute-force model on random entries, and so does truncateTo`, () => {
      const seed = (Date.now() ^ (kind === 'offset' ? 1 : 2)) >>> 0;
      const rnd = prng(seed);
      const idx = kind === 'offset' ? offsetIndex() : timeIndex();
      const entries: [number, number][] = [];
      // More entries than the 8 KiB warm section (1024 offset / 682 time entries), so both
      // the warm tail and the cold head are searched.
      let key = kind === 'offset' ? Math.floor(rnd() * 5) : 1_600_000_000_000 + Math.floor(rnd() * 1000);
      let value = 0;
      for (let i = 0; i < 3000; i++) {
        entries.push([key, value]);
        expect(idx.append(key, value), `seed ${seed}`).toBe(true);
        key += 1 + Math.floor(rnd() * 20);
        value += kind === 'offset' ? 1 + Math.floor(rnd() * 5000) : Math.floor(rnd() * 3);
      }
      const lo = entries[0]![0] - 10;
      const hi = entries[entries.length - 1]![0] + 10;
      for (let i = 0; i < 4000; i++) {
        const target = i % 4 === 0 ? entries[Math.floor(rnd() * entries.length)]![0] : lo + Math.floor(rnd() * (hi - lo));
        expect(idx.lookup(target), `seed ${seed} target ${target}`).toEqual(modelLookup(entries, target));
      }
      // truncateTo drops every entry from the first whose relative offset (key of .index, value of .timeindex) is >= its argument.
      const cut = kind === 'offset' ? entries[1 + Math.floor(rnd() * (entries.length - 2))]![0] - (rnd() < 0.5 ? 0 : 1) : entries[entries.length - 1]![1];
      idx.truncateTo(cut);
      const kept = entries.filter((e) => (kind === 'offset' ? e[0] : e[1]) < cut);
      expect(idx.entries, `seed ${seed} cut ${cut}`).toBe(kept.length);
      expect(idx.last(), `seed ${seed} cut ${cut}`).toEqual(kept[kept.length - 1] ?? null);
    });
  }

  it('finds entries in the warm tail, at the warm boundary and in the cold head', () => {
    const idx = offsetIndex();
    const n = 10_000;
    for (let i = 0; i < n; i++) idx.append(i * 10, i * 100);
    const warmEntries = 8192 / 8;
    const firstHot = n - 1 - warmEntries;
    for (const slot of [0, 1, 17, firstHot - 1, firstHot, firstHot + 1, n - 2, n - 1]) {
      expect(idx.lookup(slot * 10)).toEqual([slot * 10, slot * 100]);
      expect(idx.lookup(slot * 10 + 5)).toEqual([slot * 10, slot * 100]);
    }
    expect(idx.lookup(-1)).toBeNull();
    expect(idx.lookup(n * 10 + 100)).toEqual([(n - 1) * 10, (n - 1) * 100]);
  });

  it('an empty index finds nothing', () => {
    const idx = offsetIndex();
    expect(idx.lookup(5)).toBeNull();
    expect(idx.last()).toBeNull();
  });

  it('a single-entry index finds its entry on an exact lookup', () => {
    const idx = offsetIndex();
    idx.append(5, 50);
    expect(idx.lookup(5)).toEqual([5, 50]);
  });

  it('entry(n) and last() return entries and entry out of range throws RangeError', () => {
    const idx = offsetIndex();
    idx.append(1, 10);
    idx.append(2, 20);
    expect(idx.entry(0)).toEqual([1, 10]);
    expect(idx.last()).toEqual([2, 20]);
    expect(() => idx.entry(2)).toThrow(RangeError);
  });
});

describe('IndexFile appends', () => {
  it('offset index append throws INDEX_ORDER when the relative offset does not grow', () => {
    const idx = offsetIndex();
    idx.append(10, 0);
    expect(catchError(() => idx.append(10, 100)).code).toBe('INDEX_ORDER');
    expect(catchError(() => idx.append(9, 100)).code).toBe('INDEX_ORDER');
    expect(idx.entries).toBe(1);
  });

  it('offset index append throws INDEX_FULL when every preallocated slot is used', () => {
    const idx = offsetIndex(32);
    for (let i = 0; i < 4; i++) idx.append(i, i * 10);
    expect(idx.isFull).toBe(true);
    const err = catchError(() => idx.append(4, 40));
    expect(err).toBeInstanceOf(NativeError);
    expect(err.code).toBe('INDEX_FULL');
  });

  it('time index skips a timestamp that does not grow and returns false', () => {
    const idx = timeIndex();
    expect(idx.append(1000, 0)).toBe(true);
    expect(idx.append(1000, 5)).toBe(false);
    expect(idx.append(999, 6)).toBe(false);
    expect(idx.append(1001, 7)).toBe(true);
    expect(idx.entries).toBe(2);
    expect(idx.last()).toEqual([1001, 7]);
    expect(catchError(() => idx.append(2000, 6)).code).toBe('INDEX_ORDER');
  });

  it('time index never indexes a missing (-1) timestamp', () => {
    const idx = timeIndex();
    expect(idx.append(-1, 0)).toBe(false);
    expect(idx.entries).toBe(0);
  });

  it('time index reports full one slot early, keeping the last slot for the roll entry', () => {
    const idx = timeIndex(48);
    expect(idx.maxEntries).toBe(4);
    for (let i = 0; i < 3; i++) idx.append(100 + i, i);
    expect(idx.isFull).toBe(true);
    expect(idx.append(200, 3)).toBe(true);
    expect(catchError(() => idx.append(300, 4)).code).toBe('INDEX_FULL');
  });

  it('a read-only index rejects appends with INDEX_READ_ONLY', () => {
    const w = offsetIndex(1024);
    w.append(1, 1);
    w.close();
    const r = offsetIndex(1024, false);
    expect(r.entries).toBe(1);
    expect(r.isFull).toBe(true);
    expect(catchError(() => r.append(2, 2)).code).toBe('INDEX_READ_ONLY');
  });
});

describe('IndexFile truncation and sizing', () => {
  it('offset index truncateTo drops entries at or above the relative offset', () => {
    const idx = offsetIndex();
    for (const k of [10, 20, 30, 40]) idx.append(k, k * 2);
    idx.truncateTo(35);
    expect(idx.entries).toBe(3);
    idx.truncateTo(20);
    expect(idx.entries).toBe(1);
    expect(idx.last()).toEqual([10, 20]);
    idx.truncateTo(1000);
    expect(idx.entries).toBe(1);
    idx.truncateTo(0);
    expect(idx.entries).toBe(0);
    idx.append(5, 0);
    expect(idx.last()).toEqual([5, 0]);
  });

  it('time index truncateTo drops entries whose relative offset is at or above the key, duplicates included', () => {
    const idx = timeIndex();
    idx.append(100, 1);
    idx.append(200, 5);
    idx.append(300, 5);
    idx.append(400, 9);
    idx.truncateTo(5);
    expect(idx.entries).toBe(1);
    expect(idx.last()).toEqual([100, 1]);
    // After truncation the last timestamp is the kept one, so smaller timestamps index again.
    expect(idx.append(150, 2)).toBe(true);
  });

  it('truncateToEntries keeps the first n entries', () => {
    const idx = offsetIndex();
    for (let i = 0; i < 5; i++) idx.append(i, i);
    idx.truncateToEntries(2);
    expect(idx.entries).toBe(2);
    idx.truncateToEntries(10);
    expect(idx.entries).toBe(2);
  });

  it('reset removes every entry and restores the preallocation after a trim', () => {
    const idx = offsetIndex(800);
    idx.append(1, 1);
    idx.trim();
    expect(fs.statSync(idx.path).size).toBe(8);
    idx.reset();
    expect(idx.entries).toBe(0);
    expect(idx.maxEntries).toBe(100);
    expect(fs.statSync(idx.path).size).toBe(800);
  });

  it('resize grows the preallocation and never shrinks below the entries', () => {
    const idx = offsetIndex(80);
    for (let i = 0; i < 5; i++) idx.append(i, i);
    idx.resize(1000);
    expect(idx.maxEntries).toBe(125);
    expect(fs.statSync(idx.path).size).toBe(1000);
    idx.resize(8);
    expect(idx.maxEntries).toBe(5);
    expect(fs.statSync(idx.path).size).toBe(40);
    expect(idx.entry(4)).toEqual([4, 4]);
  });
});

describe('IndexFile open, reopen and corruption', () => {
  it('reopening after trim keeps the entries, read-only and writable', () => {
    const idx = offsetIndex(4096);
    for (let i = 1; i <= 50; i++) idx.append(i * 3, i * 4096);
    idx.close();
    expect(fs.statSync(path.join(dir, OFFSET_FILE)).size).toBe(400);

    const r = offsetIndex(4096, false);
    expect(r.entries).toBe(50);
    expect(r.lookup(100)).toEqual([99, 33 * 4096]);
    r.close();

    const w = offsetIndex(4096, true);
    expect(w.entries).toBe(50);
    expect(w.maxEntries).toBe(512);
    expect(fs.statSync(w.path).size).toBe(4096);
    w.append(1000, 51 * 4096);
    expect(w.last()).toEqual([1000, 51 * 4096]);
  });

  it('opening an index whose length is not a multiple of the entry size throws CORRUPT_INDEX', () => {
    fs.writeFileSync(path.join(dir, OFFSET_FILE), Buffer.alloc(13));
    const err = catchError(() => offsetIndex(1024, false));
    expect(err).toBeInstanceOf(NativeError);
    expect(err.code).toBe('CORRUPT_INDEX');
    fs.writeFileSync(path.join(dir, TIME_FILE), Buffer.alloc(16));
    expect(catchError(() => timeIndex(1024, true)).code).toBe('CORRUPT_INDEX');
    // The corrupt file is reported untouched, not grown.
    expect(fs.statSync(path.join(dir, TIME_FILE)).size).toBe(16);
  });

  it('an index left at its preallocated length by an unclean shutdown is reported as CORRUPT_INDEX', () => {
    const idx = offsetIndex(1024);
    idx.append(5, 100);
    idx.append(9, 200);
    idx.close(false);
    expect(fs.statSync(path.join(dir, OFFSET_FILE)).size).toBe(1024);
    expect(catchError(() => offsetIndex(1024)).code).toBe('CORRUPT_INDEX');
  });

  it('opening a missing index read-only throws ENOENT', () => {
    expect(catchError(() => offsetIndex(1024, false, 'missing.index')).code).toBe('ENOENT');
  });

  it('operations after close throw CLOSED and close is idempotent', async () => {
    const idx = offsetIndex(1024);
    idx.append(1, 1);
    idx.close();
    idx.close();
    expect(catchError(() => idx.lookup(1)).code).toBe('CLOSED');
    await expect(idx.flush()).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('flush resolves, and a flush in flight survives close', async () => {
    const idx = offsetIndex(1 << 20);
    for (let i = 0; i < 1000; i++) idx.append(i, i * 10);
    await expect(idx.flush()).resolves.toBeUndefined();
    const pending = idx.flush();
    idx.close();
    await expect(pending).resolves.toBeUndefined();
    expect(fs.statSync(path.join(dir, OFFSET_FILE)).size).toBe(8000);
  });
});

describe('IndexFile for recovery: appendEntries and validPrefix', () => {
  it('appends many absolute (offset, position) pairs in one call, as append would one by one', () => {
    const idx = offsetIndex();
    expect(idx.appendEntries(new Float64Array([1005, 100, 1010, 250, 1020, 900]))).toBe(3);
    expect([0, 1, 2].map((n) => idx.entry(n))).toEqual([
      [5, 100],
      [10, 250],
      [20, 900],
    ]);
  });

  it('converts a time index pair (timestamp, absolute offset) and skips a timestamp that does not grow', () => {
    const idx = timeIndex();
    expect(idx.appendEntries(new Float64Array([50, 1003, 50, 1004, 70, 1009]))).toBe(3);
    expect(idx.entries).toBe(2);
    expect(idx.last()).toEqual([70, 9]);
  });

  it('stops at a full index and reports the pairs it took', () => {
    const idx = offsetIndex(16);
    expect(idx.appendEntries(new Float64Array([1001, 10, 1002, 20, 1003, 30]))).toBe(2);
    expect(idx.isFull).toBe(true);
  });

  it('refuses entries out of order like append (INDEX_ORDER)', () => {
    const idx = offsetIndex();
    expect(catchError(() => idx.appendEntries(new Float64Array([1005, 100, 1004, 200]))).code).toBe('INDEX_ORDER');
  });

  it('keeps the valid prefix of an index with a zero-filled preallocated tail instead of reporting CORRUPT_INDEX', () => {
    const file = path.join(dir, OFFSET_FILE);
    const idx = offsetIndex();
    idx.appendEntries(new Float64Array([1005, 100, 1010, 250]));
    idx.close(false); // as after kill -9: the file keeps its preallocated length
    expect(catchError(() => native.openOffsetIndex(file, 1000, { maxIndexBytes: 10 * 1024 * 1024, writable: true })).code).toBe('CORRUPT_INDEX');
    const reopened = native.openOffsetIndex(file, 1000, { maxIndexBytes: 10 * 1024 * 1024, writable: true, validPrefix: true });
    open.push(reopened);
    expect(reopened.entries).toBe(2);
    expect(reopened.last()).toEqual([10, 250]);
  });

  it('ends the valid prefix at the first entry that does not follow the one before', () => {
    const file = path.join(dir, OFFSET_FILE);
    const bytes = Buffer.alloc(4 * 8);
    [[5, 100], [10, 250], [8, 300], [20, 400]].forEach(([k, v], i) => {
      bytes.writeUInt32BE(k!, i * 8);
      bytes.writeUInt32BE(v!, i * 8 + 4);
    });
    fs.writeFileSync(file, bytes);
    const idx = native.openOffsetIndex(file, 1000, { maxIndexBytes: 1024, writable: true, validPrefix: true });
    open.push(idx);
    expect(idx.entries).toBe(2);
  });
});

describe('a writable open without preallocation (a sealed index reopened)', () => {
  it('keeps the file at its entries, reads them, is full, and grows again on resize and reset', () => {
    const file = path.join(dir, OFFSET_FILE);
    const first = offsetIndex(4096);
    first.append(1, 100);
    first.append(5, 900);
    first.close(true);
    expect(fs.statSync(file).size).toBe(16);
    const idx = native.openOffsetIndex(file, 1000, { maxIndexBytes: 4096, writable: true, preallocate: false });
    open.push(idx);
    expect(fs.statSync(file).size).toBe(16);
    expect([idx.entries, idx.maxEntries, idx.isFull]).toEqual([2, 2, true]);
    expect(idx.lookup(7)).toEqual([5, 900]);
    idx.resize(4096);
    expect(fs.statSync(file).size).toBe(4096);
    idx.append(9, 1200);
    expect(idx.last()).toEqual([9, 1200]);
    idx.trim();
    idx.reset();
    expect([idx.entries, fs.statSync(file).size]).toEqual([0, 4096]);
  });

  it('maps nothing for an empty file and still takes entries after a resize', () => {
    const file = path.join(dir, TIME_FILE);
    fs.writeFileSync(file, Buffer.alloc(0));
    const idx = native.openTimeIndex(file, 1000, { maxIndexBytes: 1200, writable: true, preallocate: false });
    open.push(idx);
    expect([idx.entries, idx.maxEntries, idx.last()]).toEqual([0, 0, null]);
    idx.resize(1200);
    expect(idx.append(5_000, 3)).toBe(true);
    expect(idx.last()).toEqual([5_000, 3]);
  });
});
