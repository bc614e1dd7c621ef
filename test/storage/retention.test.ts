/**
 * Retention: retention.ms and retention.bytes delete whole segments from the oldest, Kafka's way
 * (rename to `.deleted`, unlink after file.delete.delay.ms), the log start offset moves to the
 * first remaining segment and is persisted, and readers are never handed bytes that vanish.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Log, type LogOptions } from '../../src/storage/log.js';
import { OffsetOutOfRangeError } from '../../src/errors.js';
import { native } from '../../src/native.js';
import { memoryLogger, quietLogger } from '../helpers/logger.js';
import { batchesOf, copyDirFiles, logFilesIn, readAll, removeDir, segmentName, tempDir, waitFor } from '../helpers/storage.js';

let dir: string;
const open: Log[] = [];

beforeEach(() => {
  dir = tempDir('retention');
});

afterEach(async () => {
  for (const log of open.splice(0)) await log.close().catch(() => undefined);
  removeDir(dir);
});

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;
const BASE: LogOptions = { backgroundTasks: false, segmentMs: Number.MAX_SAFE_INTEGER, retentionMs: -1, retentionBytes: -1, fileDeleteDelayMs: 0 };

async function openLog(options: LogOptions = {}): Promise<Log> {
  const log = await Log.open(dir, { logger: quietLogger(), ...BASE, ...options });
  open.push(log);
  return log;
}

function value(offset: number): string {
  return `value-${offset}`.padEnd(50, '~');
}

/** Appends `n` one-record batches with the given timestamps, returning their offsets. */
async function appendAt(log: Log, timestamps: number[]): Promise<void> {
  for (const ts of timestamps) {
    const offset = Number(log.nextOffset);
    await log.append([{ key: `k${offset}`, value: value(offset), timestamp: ts }]);
  }
}

function filesNamed(suffix: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith(suffix));
}

function segmentSizes(): { base: bigint; size: number }[] {
  return logFilesIn(dir).map((base) => ({ base, size: fs.statSync(path.join(dir, segmentName(base, '.log'))).size }));
}

async function expectReadableFrom(log: Log, start: bigint): Promise<void> {
  expect(log.logStartOffset).toBe(start);
  await expect(log.read(start - 1n, 1 << 20)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
  if (start > 0n) await expect(log.readRecords(0n, 1)).rejects.toMatchObject({ errorName: 'OFFSET_OUT_OF_RANGE', errorCode: 1 });
  const got = await readAll(log);
  expect(got.map((r) => Number(r.offset))).toEqual(Array.from({ length: Number(log.nextOffset - start) }, (_, i) => Number(start) + i));
  expect(got.map((r) => r.value!.toString())).toEqual(got.map((r) => value(Number(r.offset))));
}

describe('retention.ms', () => {
  it('deletes the segments whose newest record is older than retention.ms and moves logStartOffset to the first one kept', async () => {
    const log = await openLog({ segmentBytes: 600, retentionMs: 24 * HOUR });
    await appendAt(
      log,
      Array.from({ length: 20 }, (_, i) => NOW - 48 * HOUR + i),
    ); // expired
    const boundary = log.nextOffset;
    log.roll();
    await appendAt(
      log,
      Array.from({ length: 20 }, (_, i) => NOW - HOUR + i),
    ); // fresh
    const before = log.segmentBaseOffsets;
    expect(before).toContain(boundary);
    const expired = before.filter((b) => b < boundary).length;
    expect(expired).toBeGreaterThan(2);

    expect(await log.applyRetention(NOW)).toBe(expired);
    expect(log.segmentBaseOffsets).toEqual(before.filter((b) => b >= boundary));
    await expectReadableFrom(log, boundary);
    expect(await log.applyRetention(NOW)).toBe(0); // idempotent
  });

  it('keeps a segment while any record in it is within retention.ms (the largest timestamp decides)', async () => {
    const log = await openLog({ retentionMs: 24 * HOUR });
    await appendAt(log, [NOW - 72 * HOUR, NOW - 70 * HOUR, NOW - HOUR, NOW - 71 * HOUR]);
    log.roll();
    await appendAt(log, [NOW]);
    expect(await log.applyRetention(NOW)).toBe(0);
    expect(log.logStartOffset).toBe(0n);
    // Once the newest record of the first segment is old enough, the whole segment goes.
    expect(await log.applyRetention(NOW + 24 * HOUR)).toBe(1);
    await expectReadableFrom(log, 4n);
  });

  it('rolls the active segment first when every segment expired, leaving an empty log at nextOffset', async () => {
    const log = await openLog({ segmentBytes: 600, retentionMs: HOUR });
    await appendAt(
      log,
      Array.from({ length: 25 }, (_, i) => NOW - 10 * HOUR + i),
    );
    const count = log.segmentCount;
    expect(await log.applyRetention(NOW)).toBe(count);
    expect(log.segmentBaseOffsets).toEqual([25n]);
    expect(log.logStartOffset).toBe(25n);
    expect(log.nextOffset).toBe(25n);
    expect((await log.read(25n, 1000)).length).toBe(0);
    await expect(log.read(24n, 1000)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expect(logFilesIn(dir)).toEqual([25n]);
    // The empty active segment is not deleted again, and appends continue at 25.
    expect(await log.applyRetention(NOW + 100 * HOUR)).toBe(0);
    const r = await log.append([{ value: value(25), timestamp: NOW }]);
    expect(r.baseOffset).toBe(25n);
    await expectReadableFrom(log, 25n);
  });

  it('keeps everything when retention.ms is -1', async () => {
    const log = await openLog({ segmentBytes: 600, retentionMs: -1 });
    await appendAt(
      log,
      Array.from({ length: 25 }, () => 1),
    );
    expect(await log.applyRetention(NOW)).toBe(0);
    await expectReadableFrom(log, 0n);
  });
});

describe('retention.bytes', () => {
  it('deletes the oldest segments while the log would still be at least retention.bytes without them', async () => {
    const log = await openLog({ segmentBytes: 700 });
    await appendAt(
      log,
      Array.from({ length: 40 }, () => NOW),
    );
    const sizes = segmentSizes();
    expect(sizes.length).toBeGreaterThan(4);
    const total = sizes.reduce((n, s) => n + s.size, 0);
    expect(total).toBe(log.size);
    // Keep room for the newest three segments and a little of the fourth-newest.
    const keep = sizes.slice(-3).reduce((n, s) => n + s.size, 0) + 1;
    log.updateConfig({ retentionBytes: keep });
    const deleted = await log.applyRetention(NOW);
    expect(deleted).toBe(sizes.length - 4);
    expect(log.segmentBaseOffsets).toEqual(sizes.slice(-4).map((s) => s.base));
    expect(log.size).toBeGreaterThanOrEqual(keep);
    expect(log.size - sizes.at(-4)!.size).toBeLessThan(keep);
    await expectReadableFrom(log, sizes.at(-4)!.base);
  });

  it('deletes nothing while the log is within retention.bytes', async () => {
    const log = await openLog({ segmentBytes: 700 });
    await appendAt(
      log,
      Array.from({ length: 20 }, () => NOW),
    );
    log.updateConfig({ retentionBytes: log.size });
    expect(await log.applyRetention(NOW)).toBe(0);
    await expectReadableFrom(log, 0n);
  });
});

describe('deleting segment files', () => {
  it('renames deleted segments to .deleted first and unlinks them after file.delete.delay.ms', async () => {
    const { logger, lines } = memoryLogger();
    const log = await Log.open(dir, { ...BASE, logger, segmentBytes: 600, retentionMs: HOUR, fileDeleteDelayMs: 1000 });
    open.push(log);
    await appendAt(
      log,
      Array.from({ length: 20 }, (_, i) => NOW - 10 * HOUR + i),
    );
    log.roll();
    await appendAt(log, [NOW]);
    const doomed = log.segmentBaseOffsets.slice(0, -1);
    expect(await log.applyRetention(NOW)).toBe(doomed.length);

    // Right after: every file of every doomed segment exists only under its .deleted name.
    for (const base of doomed) {
      for (const suffix of ['.log', '.index', '.timeindex'] as const) {
        expect(fs.existsSync(path.join(dir, segmentName(base, suffix)))).toBe(false);
        expect(fs.existsSync(path.join(dir, segmentName(base, suffix) + '.deleted'))).toBe(true);
      }
    }
    expect(filesNamed('.deleted')).toHaveLength(doomed.length * 3);
    expect(lines.some((l) => l.reason === 'retention.ms' && Array.isArray(l.segments) && (l.segments as string[]).length === doomed.length)).toBe(true);

    await waitFor(() => filesNamed('.deleted').length === 0, '.deleted files to be unlinked');
    expect(logFilesIn(dir)).toEqual(log.segmentBaseOffsets);
  });

  it('unlinks pending .deleted files at close instead of leaving them behind', async () => {
    const log = await openLog({ segmentBytes: 600, retentionMs: HOUR, fileDeleteDelayMs: 60_000 });
    await appendAt(
      log,
      Array.from({ length: 20 }, (_, i) => NOW - 10 * HOUR + i),
    );
    log.roll();
    await appendAt(log, [NOW]);
    expect(await log.applyRetention(NOW)).toBeGreaterThan(0);
    expect(filesNamed('.deleted').length).toBeGreaterThan(0);
    await log.close();
    expect(filesNamed('.deleted')).toEqual([]);
  });

  it('removes .deleted leftovers of a crash at the next open', async () => {
    const log = await openLog({ segmentBytes: 600, retentionMs: HOUR, fileDeleteDelayMs: 60_000 });
    await appendAt(
      log,
      Array.from({ length: 20 }, (_, i) => NOW - 10 * HOUR + i),
    );
    log.roll();
    await appendAt(log, [NOW]);
    await log.applyRetention(NOW);
    const leftovers = filesNamed('.deleted');
    expect(leftovers.length).toBeGreaterThan(0);
    // Copy the leftovers aside and restore them after a clean close, as if the process had died.
    const saved = leftovers.map((n) => [n, fs.readFileSync(path.join(dir, n))] as const);
    await log.close();
    for (const [n, bytes] of saved) fs.writeFileSync(path.join(dir, n), bytes);
    const reopened = await openLog({ segmentBytes: 600 });
    expect(filesNamed('.deleted')).toEqual([]);
    await expectReadableFrom(reopened, 20n);
  });

  it('leaves a reader holding bytes read before the deletion with valid, unchanged bytes (reads copy)', async () => {
    const log = await openLog({ segmentBytes: 600, retentionMs: HOUR, fileDeleteDelayMs: 0 });
    await appendAt(
      log,
      Array.from({ length: 20 }, (_, i) => NOW - 10 * HOUR + i),
    );
    log.roll();
    await appendAt(log, [NOW]);
    const firstFile = path.join(dir, segmentName(0, '.log'));
    const onDisk = fs.readFileSync(firstFile);
    const held = await log.read(0n, onDisk.length);
    const copy = Buffer.from(held);
    expect(held.equals(onDisk)).toBe(true);

    expect(await log.applyRetention(NOW)).toBeGreaterThan(0);
    await waitFor(() => filesNamed('.deleted').length === 0, '.deleted files to be unlinked');
    expect(fs.existsSync(firstFile)).toBe(false);
    // New data in new files must not show through either.
    await appendAt(
      log,
      Array.from({ length: 30 }, () => NOW),
    );
    expect(held.equals(copy)).toBe(true);
    expect(native.scanBatches(held).error).toBeNull();
    expect(batchesOf(held)[0]!.baseOffset).toBe(0);
  });
});

describe('retention across a restart', () => {
  it('persists the advanced logStartOffset, and reads below it stay out of range after reopening', async () => {
    const log = await openLog({ segmentBytes: 600, retentionMs: 24 * HOUR });
    await appendAt(
      log,
      Array.from({ length: 20 }, (_, i) => NOW - 48 * HOUR + i),
    );
    log.roll();
    const boundary = log.nextOffset;
    await appendAt(
      log,
      Array.from({ length: 10 }, (_, i) => NOW + i),
    );
    await log.applyRetention(NOW);
    expect(log.logStartOffset).toBe(boundary);
    await log.close();

    const reopened = await openLog({ segmentBytes: 600, retentionMs: 24 * HOUR });
    expect(reopened.segmentBaseOffsets[0]).toBe(boundary);
    await expectReadableFrom(reopened, boundary);
    expect(reopened.nextOffset).toBe(boundary + 10n);
  });

  it('persists a logStartOffset raised inside a segment even after an unclean stop', async () => {
    const log = await openLog({ segmentBytes: 600 });
    await appendAt(
      log,
      Array.from({ length: 30 }, () => NOW),
    );
    const second = log.segmentBaseOffsets[1]!;
    const start = second + 2n; // inside the second segment: the first is deleted, the second kept
    await log.deleteRecordsBefore(start);
    // Copy the files as they are now (state file says: open, start offset raised) and reopen the copy.
    const crashed = tempDir('retention-crash');
    try {
      copyDirFiles(dir, crashed);
      const reopened = await Log.open(crashed, { logger: quietLogger(), ...BASE, segmentBytes: 600 });
      open.push(reopened);
      expect(reopened.segmentBaseOffsets[0]).toBe(second);
      expect(reopened.logStartOffset).toBe(start);
      expect(reopened.nextOffset).toBe(30n);
      await expect(reopened.read(start - 1n, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
      const [first] = await reopened.readRecords(start, 1);
      expect(first!.value!.toString()).toBe(value(Number(start)));
      await reopened.close();
    } finally {
      removeDir(crashed);
    }
  });
});
