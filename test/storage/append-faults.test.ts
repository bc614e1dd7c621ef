/**
 * An append happens whole or not at all (issue 18): whatever fails between writing the log
 * bytes and the index entries — an injected fault, a disk that fills mid-write, a roll that
 * cannot create its files — the segment's files and the Log's state are as before that append,
 * and the next append succeeds without reopening. The reference for "as before" is a twin log
 * that received only the appends that succeeded: after close, every file is byte-identical.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Log, type LogOptions } from '../../src/storage/log.js';
import { segmentFaults } from '../../src/storage/segment.js';
import { encodeMessageSet, messageSetToRecordBatches } from '../../src/records/legacy.js';
import { Codec } from '../../src/native.js';
import type { RecordInput } from '../../src/records/index.js';
import { quietLogger } from '../helpers/logger.js';
import { readAll, removeDir, segmentName, tempDir } from '../helpers/storage.js';

const TS = 1_700_000_000_000;
const OPTIONS: LogOptions = { backgroundTasks: false, segmentMs: Number.MAX_SAFE_INTEGER, retentionMs: -1, fileDeleteDelayMs: 0, indexIntervalBytes: 100 };

const dirs: string[] = [];
const logs: Log[] = [];

afterEach(async () => {
  segmentFaults.hook = undefined;
  for (const log of logs.splice(0)) await log.close().catch(() => undefined);
  for (const d of dirs.splice(0)) removeDir(d);
});

async function openLog(dir?: string, options: LogOptions = {}): Promise<{ log: Log; dir: string }> {
  const d = dir ?? tempDir('faults');
  if (dir === undefined) dirs.push(d);
  const log = await Log.open(d, { logger: quietLogger(), ...OPTIONS, ...options });
  logs.push(log);
  return { log, dir: d };
}

function records(n: number, tag: string, size = 40): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, value: `${tag}-`.padEnd(size, 'v'), timestamp: TS + i }));
}

/** A magic-0 message set as Produce v0 carries it, converted as the broker converts it. */
function magic0(n: number, tag: string, compression = Codec.None): Buffer {
  return messageSetToRecordBatches(encodeMessageSet(records(n, tag), { magic: 0, compression }), { assignOffsets: true });
}

/** Every file of a log directory (state files aside), name → bytes. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    if (/\.(log|index|timeindex)$/.test(name)) out[name] = fs.readFileSync(path.join(dir, name)).toString('hex');
  }
  return out;
}

function sizes(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of fs.readdirSync(dir).sort()) if (/\.(log|index|timeindex)$/.test(name)) out[name] = fs.statSync(path.join(dir, name)).size;
  return out;
}

describe('an append that fails part-way leaves nothing behind', () => {
  for (const step of ['log-written', 'offset-index-written'] as const) {
    it(`a failure after ${step} restores log, indexes and offsets, and the next append (magic 0 or 2) succeeds without reopening`, async () => {
      const { log, dir } = await openLog();
      const { log: twin, dir: twinDir } = await openLog();
      // Enough bytes that the failing append is due an index entry.
      for (let i = 0; i < 4; i++) {
        await log.appendBatches(magic0(5, `a${i}`));
        await twin.appendBatches(magic0(5, `a${i}`));
      }
      const before = sizes(dir);
      const next = log.nextOffset;
      segmentFaults.hook = (at) => {
        if (at === step) throw new Error(`injected fault at ${step}`);
      };
      await expect(log.appendBatches(magic0(5, 'lost'))).rejects.toThrow(`injected fault at ${step}`);
      await expect(log.append(records(3, 'lost-modern'))).rejects.toThrow(`injected fault at ${step}`);
      segmentFaults.hook = undefined;
      expect(sizes(dir)).toEqual(before);
      expect(log.nextOffset).toBe(next);

      // The partition keeps serving: a legacy and a modern producer append at the same offsets
      // as on the twin that never saw the failures.
      for (const l of [log, twin]) {
        expect((await l.appendBatches(magic0(5, 'after'))).baseOffset).toBe(next);
        expect((await l.append(records(3, 'modern'))).baseOffset).toBe(next + 5n);
        for (let i = 0; i < 6; i++) await l.appendBatches(magic0(5, `more${i}`));
      }
      expect((await readAll(log)).map((r) => r.value?.toString())).toEqual((await readAll(twin)).map((r) => r.value?.toString()));
      await log.close();
      await twin.close();
      expect(files(dir)).toEqual(files(twinDir));
    });
  }

  it('a roll that cannot create the new segment leaves the old one active and appendable', async () => {
    const { log, dir } = await openLog(undefined, { segmentBytes: 600 });
    await log.append(records(10, 'fill'));
    expect(log.segmentCount).toBe(1);
    // A directory where the new segment's time index must go: the roll fails.
    const blocker = path.join(dir, segmentName(log.nextOffset, '.timeindex'));
    fs.mkdirSync(blocker);
    fs.writeFileSync(path.join(blocker, 'x'), 'x');
    const before = sizes(dir);
    await expect(log.append(records(10, 'rolls'))).rejects.toThrow();
    expect(log.segmentCount).toBe(1);
    expect(sizes(dir)).toEqual(before);
    fs.rmSync(blocker, { recursive: true });
    const next = log.nextOffset;
    expect((await log.append(records(10, 'rolls'))).baseOffset).toBe(next);
    expect(log.segmentCount).toBe(2);
    expect((await readAll(log)).length).toBe(20);
  });
});

describe('a disk that fills mid-append (a small tmpfs)', () => {
  const mountPoint = tempDir('tmpfs');
  let mounted = false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    removeDir(mountPoint);
    console.log(`skipping the full-disk test: cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`);
  }
  afterEach(() => {
    if (!mounted) return;
    for (const name of fs.readdirSync(mountPoint)) fs.rmSync(path.join(mountPoint, name), { recursive: true, force: true });
  });
  afterAll(() => {
    if (!mounted) return;
    execFileSync('umount', [mountPoint]);
    fs.rmdirSync(mountPoint);
  });

  /** Fills the tmpfs to the last byte with a file; returns its path. */
  function fillDisk(): string {
    const filler = path.join(mountPoint, 'filler');
    const fd = fs.openSync(filler, 'w');
    for (const size of [65536, 4096, 1]) {
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(size, 1));
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
    }
    fs.closeSync(fd);
    return filler;
  }

  it.skipIf(!mounted)(
    'an index entry due on a full disk fails that append with ENOSPC (not SIGBUS on the sparse index page), and the log is cut back',
    async () => {
      const dir = path.join(mountPoint, 'p-0');
      const { log } = await openLog(dir, { indexIntervalBytes: 1000, segmentIndexBytes: 8192 });
      // Over one index interval in the log, no index entry yet: the next append is due one.
      await log.append([{ value: 'x'.repeat(1100), timestamp: TS }]);
      const before = sizes(dir);
      const filler = fillDisk();
      // 100 bytes still fit in the log file's last page; the index page has no block yet.
      await expect(log.append([{ value: 'y'.repeat(100), timestamp: TS + 1 }])).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(sizes(dir)).toEqual(before);
      fs.rmSync(filler);
      expect((await log.append([{ value: 'y'.repeat(100), timestamp: TS + 1 }])).baseOffset).toBe(1n);
      expect((await readAll(log)).map((r) => r.value!.length)).toEqual([1100, 100]);
    },
  );

  it.skipIf(!mounted)('ENOSPC part-way through a batch leaves the log and indexes as they were, and the next append succeeds once space is free', async () => {
    const dir = path.join(mountPoint, 'p-0');
    const { log } = await openLog(dir, { segmentIndexBytes: 4096 });
    for (let i = 0; i < 5; i++) await log.appendBatches(magic0(20, `a${i}`, Codec.Gzip));
    await log.append(records(20, 'b'));
    const before = sizes(dir);
    const next = log.nextOffset;
    // Fill the disk but for a few KiB, then append a batch larger than what is left.
    const filler = path.join(mountPoint, 'filler');
    const fd = fs.openSync(filler, 'w');
    const chunk = Buffer.alloc(4096, 1);
    try {
      for (;;) fs.writeSync(fd, chunk);
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    fs.closeSync(fd);
    fs.truncateSync(filler, fs.statSync(filler).size - 3 * 4096);
    const big = records(40, 'big', 1000).map((r, i) => ({ ...r, value: Buffer.alloc(1000, i) }));
    await expect(log.append(big)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(sizes(dir)).toEqual(before);
    expect(log.nextOffset).toBe(next);

    fs.rmSync(filler);
    expect((await log.append(big)).baseOffset).toBe(next);
    expect((await log.appendBatches(magic0(5, 'after'))).baseOffset).toBe(next + 40n);
    const all = await readAll(log);
    expect(all.length).toBe(Number(next) + 45);
    expect(all.map((r) => r.offset)).toEqual(all.map((_, i) => BigInt(i)));
    // And a restart finds the indexes sane (no rebuild) and the same records.
    await log.close();
    const { log: reopened } = await openLog(dir, { segmentIndexBytes: 4096 });
    expect((await readAll(reopened)).map((r) => r.value?.toString('hex'))).toEqual(all.map((r) => r.value?.toString('hex')));
  });
});
