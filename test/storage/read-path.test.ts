/**
 * The raw read path: pooled reads into a caller's buffer (Log.readSync's `buffer` option),
 * their multi-segment continuation, and CRC-32C verified once per process (Segment.verified).
 *
 * Batches come from the native test fixture (real headers and CRCs, filler records), appended
 * with appendBatchesSync as a Produce request would be, so these tests do not depend on the
 * record encoder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Log, type LogOptions } from '../../src/storage/log.js';
import type { Segment } from '../../src/storage/segment.js';
import { CorruptStorageError } from '../../src/errors.js';
import { quietLogger } from '../helpers/logger.js';
import { batchesOf, markUnclean, removeDir, segmentName, tempDir } from '../helpers/storage.js';
import { makeBatch } from '../native/batch-fixture.js';

let dir: string;
const open: Log[] = [];

beforeEach(() => {
  dir = tempDir('read-path');
});

afterEach(async () => {
  for (const log of open.splice(0)) await log.close().catch(() => undefined);
  removeDir(dir);
});

const BASE: LogOptions = { backgroundTasks: false, segmentMs: Number.MAX_SAFE_INTEGER, retentionMs: -1, fileDeleteDelayMs: 0 };

async function openLog(options: LogOptions = {}): Promise<Log> {
  const log = await Log.open(dir, { logger: quietLogger(), ...BASE, ...options });
  open.push(log);
  return log;
}

function segmentsOf(log: Log): Segment[] {
  return (log as unknown as { segments: Segment[] }).segments;
}

/** Appends `count` batches of `perBatch` offsets and `sizeBytes` bytes each (offsets are stamped by the log). */
function appendBatches(log: Log, count: number, sizeBytes: number, perBatch = 1, verifyCrc = true): void {
  for (let i = 0; i < count; i++) {
    log.appendBatchesSync(makeBatch({ baseOffset: 0, lastOffsetDelta: perBatch - 1, sizeBytes, fill: (i * 13 + 5) & 0xff }), {}, verifyCrc ? 'verify' : 'skip');
  }
}

/** Flips one byte in the records part of the batch at `position` of a segment file, through another fd. */
function flipByteAt(file: string, position: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, position);
    b[0] ^= 0x5a;
    fs.writeSync(fd, b, 0, 1, position);
  } finally {
    fs.closeSync(fd);
  }
}

function isViewOf(result: Buffer, buffer: Buffer): boolean {
  return result.buffer === buffer.buffer && result.byteOffset === buffer.byteOffset;
}

describe('pooled reads (ReadOptions.buffer)', () => {
  it('return exactly the bytes the allocating read returns, as a view of the buffer', async () => {
    const log = await openLog();
    appendBatches(log, 20, 700, 3);
    const buffer = Buffer.alloc(1 << 16, 0xcc);
    for (const [offset, maxBytes] of [
      [0n, 5000],
      [7n, 2100],
      [30n, 1 << 20],
      [59n, 1],
      [0n, 700],
      [3n, 699],
    ] as const) {
      const allocated = log.readSync(offset, maxBytes);
      const pooled = log.readSync(offset, maxBytes, { buffer });
      expect(pooled).toEqual(allocated);
      expect(isViewOf(pooled, buffer)).toBe(true);
    }
    // maxOffset and minOneBatch behave the same too.
    expect(log.readSync(0n, 5000, { buffer, maxOffset: 6n })).toEqual(log.readSync(0n, 5000, { maxOffset: 6n }));
    expect(log.readSync(0n, 699, { buffer, minOneBatch: false }).length).toBe(0);
    expect(log.readSync(60n, 5000, { buffer }).length).toBe(0);
    expect(log.readSync(10n, 5000, { buffer, maxOffset: 10n }).length).toBe(0);
  });

  it('the view is only valid until the buffer is reused', async () => {
    const log = await openLog();
    appendBatches(log, 4, 500);
    const buffer = Buffer.alloc(4096);
    const first = log.readSync(0n, 500, { buffer });
    const copy = Buffer.from(first);
    log.readSync(2n, 500, { buffer });
    expect(first).not.toEqual(copy);
    expect(first).toEqual(log.readSync(2n, 500));
  });

  it('stop at buffer.length (whole batches) when maxBytes allows more', async () => {
    const log = await openLog();
    appendBatches(log, 10, 1000);
    const buffer = Buffer.alloc(3500);
    const got = log.readSync(0n, 1 << 20, { buffer });
    expect(got.length).toBe(3000);
    expect(got).toEqual(log.readSync(0n, 3000));
  });

  it('allocate a new Buffer when the first batch is larger than the buffer', async () => {
    const log = await openLog();
    appendBatches(log, 3, 5000);
    const buffer = Buffer.alloc(1000);
    const got = log.readSync(0n, 10, { buffer });
    expect(got.length).toBe(5000);
    expect(isViewOf(got, buffer)).toBe(false);
    expect(got).toEqual(log.readSync(0n, 10));
    // The same when the first batch fits maxBytes but not the buffer.
    expect(log.readSync(1n, 20_000, { buffer, minOneBatch: false })).toEqual(log.readSync(1n, 20_000, { minOneBatch: false }));
  });

  it('continue into the next segments after the first ones in the same buffer', async () => {
    const log = await openLog({ segmentBytes: 2000 });
    appendBatches(log, 12, 600, 2);
    expect(log.segmentCount).toBeGreaterThan(3);
    const whole = Buffer.concat(segmentsOf(log).map((s) => fs.readFileSync(s.path)));
    const buffer = Buffer.alloc(1 << 16, 0xcc);
    const all = log.readSync(0n, 1 << 20, { buffer });
    expect(all).toEqual(whole);
    expect(isViewOf(all, buffer)).toBe(true);
    expect(log.readSync(0n, 1 << 20)).toEqual(whole);
    // From the middle of a segment, bounded by maxBytes, by maxOffset, and by the buffer.
    expect(log.readSync(5n, 3000, { buffer })).toEqual(whole.subarray(1200, 4200));
    expect(log.readSync(5n, 3000)).toEqual(whole.subarray(1200, 4200));
    expect(log.readSync(5n, 1 << 20, { buffer, maxOffset: 16n })).toEqual(whole.subarray(1200, 4800));
    expect(log.readSync(5n, 1 << 20, { buffer: buffer.subarray(0, 2500) })).toEqual(whole.subarray(1200, 3600));
  });

  it('an allocating read keeps at most 1/8 of its memory hidden behind the result', async () => {
    // (Sizes above 4 KiB, so each read gets an ArrayBuffer of its own, on every Node version:
    // Node 24's 64 KiB Buffer pool would otherwise hand out slices of a shared slab.)
    const log = await openLog();
    appendBatches(log, 10, 10_000);
    const tight = log.readSync(0n, 31_000);
    expect(tight.length).toBe(30_000);
    expect(tight.buffer.byteLength - tight.length).toBeLessThanOrEqual(31_000 / 8);
    const loose = log.readSync(0n, 39_000);
    expect(loose.length).toBe(30_000);
    expect(loose.buffer.byteLength).toBe(30_000);
    expect(loose).toEqual(tight);
  });
});

/** Counts the index lookups (each walks batch headers in the file) of a log's segments. */
function countHeaderWalks(log: Log): { walks: number } {
  const counter = { walks: 0 };
  for (const segment of segmentsOf(log)) {
    const locate = segment.locate.bind(segment);
    segment.locate = (...args: Parameters<Segment['locate']>) => {
      counter.walks++;
      return locate(...args);
    };
  }
  return counter;
}

describe('reads that start where an earlier read ended', () => {
  it('skip the index: a sequential reader walks batch headers once, and gets the same bytes', async () => {
    const log = await openLog();
    appendBatches(log, 20, 700, 3);
    const whole = log.readSync(0n, 1 << 20);
    const counter = countHeaderWalks(log);
    const parts: Buffer[] = [];
    for (let offset = 0n; offset < log.nextOffset; offset += 3n) parts.push(log.readSync(offset, 700));
    expect(Buffer.concat(parts)).toEqual(whole);
    expect(counter.walks).toBe(1);
    // A read from inside a batch is not a remembered end: it asks the index.
    expect(log.readSync(4n, 700)).toEqual(whole.subarray(700, 1400));
    expect(counter.walks).toBe(2);
  });

  it('forget the ends after truncateTo, so new batches of other sizes are found where they are', async () => {
    const log = await openLog();
    appendBatches(log, 10, 700, 3);
    for (let offset = 0n; offset < log.nextOffset; offset += 3n) log.readSync(offset, 700); // remembers 3, 6, ... 30
    await log.truncateTo(9n);
    appendBatches(log, 10, 1000, 1); // offsets 9..18 at 2100, 3100, ...
    const got = log.readSync(12n, 1000);
    expect(got.length).toBe(1000);
    expect(got.readBigInt64BE(0)).toBe(12n);
    expect(got).toEqual(fs.readFileSync(segmentsOf(log)[0]!.path).subarray(2100 + 3 * 1000, 2100 + 4 * 1000));
  });

  it('still return a first batch larger than the caller buffer whole, and none when minOneBatch is off', async () => {
    const log = await openLog();
    log.appendBatchesSync(makeBatch({ baseOffset: 0, sizeBytes: 300 }));
    log.appendBatchesSync(makeBatch({ baseOffset: 0, sizeBytes: 5000 }));
    log.appendBatchesSync(makeBatch({ baseOffset: 0, sizeBytes: 300 }));
    const buffer = Buffer.alloc(1000);
    expect(log.readSync(0n, 300, { buffer }).length).toBe(300); // remembers offset 1 at 300
    const counter = countHeaderWalks(log);
    expect(log.readSync(1n, 10, { buffer, minOneBatch: false }).length).toBe(0);
    const big = log.readSync(1n, 10, { buffer });
    expect(big.length).toBe(5000);
    expect(isViewOf(big, buffer)).toBe(false);
    expect(big.readBigInt64BE(0)).toBe(1n);
    const rest = log.readSync(1n, 1 << 20);
    expect(rest.length).toBe(5300);
    expect(counter.walks).toBe(0);
  });
});

describe('CRC-32C verified once per process', () => {
  it('appends validated by appendBatchesSync count as verified; unvalidated ones are verified by the first read', async () => {
    const log = await openLog();
    appendBatches(log, 5, 400);
    const segment = segmentsOf(log)[0]!;
    expect(segment.verifiedUpTo).toBe(2000);
    appendBatches(log, 2, 400, 1, false);
    expect(segment.verifiedUpTo).toBe(2000);
    log.readSync(0n, 1 << 20);
    expect(segment.verifiedUpTo).toBe(2800);
  });

  it('a byte flipped in a verified range is not caught by this process, but a fresh open catches it', async () => {
    const log = await openLog();
    appendBatches(log, 6, 500);
    const file = path.join(dir, segmentName(0, '.log'));
    const before = log.readSync(0n, 1 << 20);
    flipByteAt(file, 2 * 500 + 300); // inside batch 2's records: only its CRC can tell
    // Expected: this process verified these bytes when they were appended and does not again.
    const after = log.readSync(0n, 1 << 20);
    expect(after.length).toBe(before.length);
    expect(after).not.toEqual(before);
    await log.close();
    open.splice(0);

    // A new process state (clean open: no recovery scan) verifies on first read.
    const reopened = await openLog();
    expect(segmentsOf(reopened)[0]!.verifiedUpTo).toBe(0);
    expect(() => reopened.readSync(2n, 1 << 20)).toThrow(CorruptStorageError);
    // The batches before the damage are still served, and only those.
    expect(reopened.readSync(0n, 1 << 20)).toEqual(before.subarray(0, 1000));
    const pooled = reopened.readSync(0n, 1 << 20, { buffer: Buffer.alloc(1 << 16) });
    expect(pooled).toEqual(before.subarray(0, 1000));
    expect(() => reopened.readSync(3n, 1 << 20, { buffer: Buffer.alloc(1 << 16) })).toThrow(CorruptStorageError);
  });

  it('a byte flipped in a range not yet verified is caught on read, into a caller buffer too', async () => {
    const log = await openLog();
    appendBatches(log, 4, 500, 1, false);
    flipByteAt(path.join(dir, segmentName(0, '.log')), 500 + 200);
    const buffer = Buffer.alloc(4096);
    expect(log.readSync(0n, 1 << 20, { buffer }).length).toBe(500);
    expect(() => log.readSync(1n, 1 << 20, { buffer })).toThrow(CorruptStorageError);
    expect(segmentsOf(log)[0]!.verifiedUpTo).toBe(500);
  });

  it('reads extend verifiedUpTo after a clean open, and reads below it skip the CRC', async () => {
    const first = await openLog();
    appendBatches(first, 8, 500);
    await first.close();
    open.splice(0);
    const log = await openLog();
    const segment = segmentsOf(log)[0]!;
    expect(segment.verifiedUpTo).toBe(0);
    const head = log.readSync(0n, 1500);
    expect(segment.verifiedUpTo).toBe(1500);
    log.readSync(3n, 1000, { buffer: Buffer.alloc(1000) });
    expect(segment.verifiedUpTo).toBe(2500);
    // Below verifiedUpTo: a flipped record byte goes unnoticed (the CRC is not checked again)...
    flipByteAt(path.join(dir, segmentName(0, '.log')), 600);
    expect(log.readSync(0n, 1500)).not.toEqual(head);
    // ...but framing still is: a batch length pointing past the end is refused.
    const fd = fs.openSync(path.join(dir, segmentName(0, '.log')), 'r+');
    const len = Buffer.alloc(4);
    len.writeInt32BE(1 << 20);
    fs.writeSync(fd, len, 0, 4, 1000 + 8);
    fs.closeSync(fd);
    expect(() => log.readSync(2n, 1500, { buffer: Buffer.alloc(4096) })).toThrow(CorruptStorageError);
  });

  it('a recovery scan verifies what it scanned; truncation lowers verifiedUpTo', async () => {
    const first = await openLog();
    appendBatches(first, 6, 500, 2, false);
    await first.close();
    open.splice(0);
    markUnclean(dir);
    const log = await openLog();
    const segment = segmentsOf(log)[0]!;
    expect(segment.verifiedUpTo).toBe(3000);
    await log.truncateTo(6n);
    expect(segment.size).toBe(1500);
    expect(segment.verifiedUpTo).toBe(1500);
    appendBatches(log, 1, 500);
    expect(segment.verifiedUpTo).toBe(2000);
    expect(batchesOf(log.readSync(0n, 1 << 20)).length).toBe(4);
  });
});
