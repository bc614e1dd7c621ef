/**
 * The segment handle cache (src/storage/handle-cache.ts): segments open their files on demand
 * and the least recently used are closed past a budget, so open fds stay bounded whatever the
 * number of logs and segments, and nothing read or written depends on a segment being open.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Log } from '../../src/storage/log.js';
import { HandleCache, HandleNode, MAX_CONCURRENT_SEGMENT_FLUSHES, segmentHandles } from '../../src/storage/handle-cache.js';
import { quietLogger } from '../helpers/logger.js';
import { removeDir, tempDir } from '../helpers/storage.js';

let dir: string;
let savedMaxOpen: number;
const logs: Log[] = [];

beforeEach(() => {
  dir = tempDir('handle-cache');
  savedMaxOpen = segmentHandles.maxOpen;
});
afterEach(async () => {
  for (const log of logs.splice(0)) await log.close().catch(() => undefined);
  segmentHandles.setMaxOpen(savedMaxOpen);
  removeDir(dir);
});

/** This process's descriptors open on files under the test directory (from /proc/self/fd). */
function fdsInDir(): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)) n++;
    } catch {
      // closed between readdir and readlink
    }
  }
  return n;
}

async function openLog(name: string, segmentBytes = 700): Promise<Log> {
  // No background tasks: the recovery-point flush timer would start flushes of its own, each
  // holding an fd until its fdatasync returns, at moments this test does not choose.
  const log = await Log.open(path.join(dir, name), {
    segmentBytes,
    indexIntervalBytes: 100,
    segmentIndexBytes: 4000,
    logger: quietLogger(),
    backgroundTasks: false,
  });
  logs.push(log);
  return log;
}

const value = (log: number, i: number): string => `log${log}-record${i}-${'x'.repeat(40)}`;

describe('the segment handle cache', () => {
  it('keeps at most its budget of segments open while many logs are written and read, and every record reads back after release and reopen', async () => {
    const MAX_OPEN = 4;
    const ROUNDS = 24;
    segmentHandles.setMaxOpen(MAX_OPEN);
    const evictionsBefore = segmentHandles.stats().evictions;
    const opened = await Promise.all(Array.from({ length: 60 }, (_, i) => openLog(`t-${i}`)));
    let maxFds = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let l = 0; l < opened.length; l++) {
        await opened[l]!.append([{ value: value(l, round), timestamp: 1_000_000 + round }]);
        maxFds = Math.max(maxFds, fdsInDir());
      }
    }
    expect(opened[0]!.segmentCount).toBeGreaterThan(2);
    expect(segmentHandles.stats().open).toBeLessThanOrEqual(MAX_OPEN);
    // Flushes in flight (after each roll) keep their log fd until the fdatasync returns.
    expect(maxFds).toBeLessThanOrEqual(MAX_OPEN * 3 + MAX_CONCURRENT_SEGMENT_FLUSHES);
    expect(segmentHandles.stats().evictions).toBeGreaterThan(evictionsBefore);

    const readBack = async (): Promise<void> => {
      for (let l = 0; l < opened.length; l++) {
        const got = (await opened[l]!.readRecords(0n, 1 << 20)).map((r) => r.value!.toString());
        expect(got).toEqual(Array.from({ length: ROUNDS }, (_, i) => value(l, i)));
        expect(await opened[l]!.offsetForTimestamp(1_000_000 + 17)).toBe(17n);
        expect(fdsInDir()).toBeLessThanOrEqual(MAX_OPEN * 3);
      }
    };
    // A flush of every log reopens the written, released segments a few at a time; once the
    // flushes are done only the cache's segments hold fds.
    await Promise.all(opened.map((log) => log.flush()));
    expect(fdsInDir()).toBeLessThanOrEqual(MAX_OPEN * 3);
    await readBack();

    // Closed cleanly and opened again: indexes released mid-life read back as their entries.
    for (const log of logs.splice(0)) await log.close();
    expect(fdsInDir()).toBe(0);
    opened.splice(0, opened.length, ...(await Promise.all(opened.map((_, i) => openLog(`t-${i}`)))));
    expect(fdsInDir()).toBeLessThanOrEqual(MAX_OPEN * 3);
    await readBack();
  });

  it("trims a released active segment's indexes to their entries, preallocates them again when it is written, and writes the final time-index entry at close", async () => {
    segmentHandles.setMaxOpen(1);
    const a = await openLog('a', 1 << 20);
    for (let i = 0; i < 6; i++) await a.append([{ value: value(0, i), timestamp: 2_000_000 + i }]);
    const indexFile = path.join(dir, 'a', '00000000000000000000.index');
    const timeIndexFile = path.join(dir, 'a', '00000000000000000000.timeindex');
    expect(fs.statSync(indexFile).size).toBe(4000 - (4000 % 8));
    // Another log opening takes the only slot: a's files are closed, its indexes trimmed.
    await openLog('b');
    expect(fdsInDir()).toBeLessThanOrEqual(3);
    const entries = fs.statSync(indexFile).size / 8;
    expect(entries).toBeGreaterThan(0);
    expect(entries).toBeLessThan(4000 / 8);
    await a.append([{ value: value(0, 6), timestamp: 2_000_000 + 6 }]);
    expect(fs.statSync(indexFile).size).toBe(4000 - (4000 % 8));
    await openLog('c');
    await a.close();
    logs.splice(logs.indexOf(a), 1);
    const timeIndex = fs.readFileSync(timeIndexFile);
    expect(timeIndex.length % 12).toBe(0);
    expect(Number(timeIndex.readBigInt64BE(timeIndex.length - 12))).toBe(2_000_006);
    const reopened = await openLog('a', 1 << 20);
    expect((await reopened.readRecords(0n, 1 << 20)).map((r) => r.value!.toString())).toEqual(Array.from({ length: 7 }, (_, i) => value(0, i)));
  });

  it('evicts least recently used first and never the holder being opened', () => {
    const released: string[] = [];
    const cache = new HandleCache(2);
    const [a, b, c] = ['a', 'b', 'c'].map((name) => new HandleNode({ releaseHandles: () => released.push(name) }));
    cache.added(a!);
    cache.added(b!);
    cache.touch(a!);
    cache.makeRoom(c!);
    cache.added(c!);
    expect(released).toEqual(['b']);
    expect(cache.stats()).toMatchObject({ open: 2, evictions: 1 });
  });
});
