/**
 * Recovery after an unclean stop scans only past the recovery point: from the position of the
 * recovery point inside its segment (the offset-index entry below it, checked against the log),
 * not from the segment start; and the recovery point follows the appends in the background
 * (log.recovery.point.flush.interval.ms), so little lies past it when a broker is killed.
 * Assertions are on bytes scanned (Log.recoveryScannedBytes), never on time.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sluice } from '../../src/sluice.js';
import { Log } from '../../src/storage/log.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { readCheckpoint } from '../../src/storage/checkpoint-file.js';
import { LocalLogStateStore } from '../../src/storage/log-state.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { quietLogger } from '../helpers/logger.js';
import { markUnclean, readAll, removeDir, segmentName, tempDir, waitFor } from '../helpers/storage.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const VITE_NODE = path.join(ROOT, 'node_modules', 'vite-node', 'vite-node.mjs');
const FIXTURE = path.join(HERE, 'fixtures', 'recovery-writer.ts');
const INDEX_INTERVAL_BYTES = 4096;

// Must match the fixture.
function batchFor(partition: number, n: number): Buffer {
  return encodeRecordBatch(Array.from({ length: 4 }, (_, i) => ({ key: `p${partition}`, value: `p${partition}-b${n}-r${i}|${'x'.repeat(200)}` })));
}

interface ChildState {
  partitions: { recoveryPoint: string; nextOffset: string; sizeBytes: number; unflushedBytes: number }[];
}

function runWriterUntilKilled(args: { dir: string; partitions: number; flushedBatches: number; unflushedBatches: number }): Promise<ChildState> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VITE_NODE, FIXTURE], {
      cwd: ROOT,
      env: { ...process.env, SLUICE_RECOVERY_ARGS: JSON.stringify(args) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('state '));
      if (signal !== 'SIGKILL' || line === undefined) reject(new Error(`writer ended with code ${code} signal ${signal}:\n${out}\n${err}`));
      else resolve(JSON.parse(line.slice('state '.length)) as ChildState);
    });
  });
}

let dir: string;

beforeEach(() => {
  dir = tempDir('recovery-point');
});

afterEach(() => {
  removeDir(dir);
});

describe('a broker killed with SIGKILL after its recovery point was checkpointed', () => {
  it('recovers every acks=1 record while scanning only the bytes past the recovery point, and keeps that recovery point until the next flush', async () => {
    const flushedBatches = 300;
    const unflushedBatches = 20;
    const state = await runWriterUntilKilled({ dir, partitions: 2, flushedBatches, unflushedBatches });
    const maxBatchBytes = Math.max(...Array.from({ length: flushedBatches + unflushedBatches }, (_, n) => batchFor(0, n).length));

    const sluice = await Sluice.open({ dir, logger: quietLogger(), backgroundTasks: false });
    try {
      for (const [p, s] of state.partitions.entries()) {
        const log = sluice.broker.partition('recovery', p)!.log;
        expect(s.unflushedBytes, 'the child left data past the recovery point').toBeGreaterThan(0);
        expect(log.nextOffset).toBe(BigInt(s.nextOffset));
        expect(log.size).toBe(s.sizeBytes);
        // The scan starts at the index entry below the recovery point: at most one index
        // interval (plus the batch that crossed it) before the first unflushed byte.
        expect(log.recoveryScannedBytes).toBeGreaterThanOrEqual(s.unflushedBytes);
        expect(log.recoveryScannedBytes).toBeLessThanOrEqual(s.unflushedBytes + INDEX_INTERVAL_BYTES + 2 * maxBatchBytes);
        expect(log.recoveryScannedBytes).toBeLessThan(s.sizeBytes / 4);

        const values = (await readAll(log)).map((r) => r.value!.toString().split('|')[0]);
        const expected = Array.from({ length: flushedBatches + unflushedBatches }, (_, n) => Array.from({ length: 4 }, (_, i) => `p${p}-b${n}-r${i}`)).flat();
        expect(values).toEqual(expected);

        // As Kafka's LogLoader: the recovered bytes are not claimed durable until flushed.
        expect(log.recoveryPoint).toBe(BigInt(s.recoveryPoint));
        await log.flush();
        expect(log.recoveryPoint).toBe(log.nextOffset);
      }
    } finally {
      await sluice.close();
    }
  }, 120_000);
});

describe('the background recovery-point flush', () => {
  it('fdatasyncs what a LogManager log appended and checkpoints the new recovery point, with nothing asking for a flush', async () => {
    const manager = await LogManager.open(dir, { logger: quietLogger(), recoveryPointFlushIntervalMs: 10 });
    try {
      const log = await manager.getOrCreateLog('bg', 0);
      const before = log.flushCount;
      await log.append([{ value: 'a' }, { value: 'b' }]);
      await waitFor(() => log.recoveryPoint === log.nextOffset, 'the recovery point to reach the log end');
      expect(log.flushCount).toBeGreaterThan(before);
      const file = path.join(dir, 'recovery-point-offset-checkpoint');
      await waitFor(() => fs.existsSync(file) && readCheckpoint(file).get('bg-0') === 2n, 'the checkpoint file to hold the recovery point');
    } finally {
      await manager.close();
    }
  });

  it('fdatasyncs what a standalone Log appended and saves the recovery point in its state file', async () => {
    const log = await Log.open(dir, { logger: quietLogger(), recoveryPointFlushIntervalMs: 10 });
    try {
      await log.append([{ value: 'a' }]);
      await waitFor(() => new LocalLogStateStore(dir).load().recoveryPoint === 1n, 'the state file to hold the recovery point');
      expect(log.flushCount).toBeGreaterThan(0);
    } finally {
      await log.close();
    }
  });

  it('leaves the recovery point alone when turned off', async () => {
    const log = await Log.open(dir, { logger: quietLogger(), recoveryPointFlushIntervalMs: Number.MAX_SAFE_INTEGER });
    try {
      await log.append([{ value: 'a' }]);
      expect(log.recoveryPoint).toBe(0n);
      expect(log.hasUnflushedData).toBe(true);
      await log.flush();
      expect(log.hasUnflushedData).toBe(false);
    } finally {
      await log.close();
    }
  });
});

describe('recovery from the recovery point inside a segment', () => {
  const config = { indexIntervalBytes: 1024, segmentMs: Number.MAX_SAFE_INTEGER, retentionMs: -1 };

  /** A log of `flushed` batches (recovery point after them) and `unflushed` more, left as after an unclean stop. */
  async function writeLog(flushed: number, unflushed: number): Promise<{ recoveryPoint: bigint; size: number; unflushedBytes: number; values: string[] }> {
    const log = await Log.open(dir, { ...config, logger: quietLogger(), backgroundTasks: false });
    const values: string[] = [];
    const add = async (n: number): Promise<void> => {
      const batch = Array.from({ length: 3 }, (_, i) => `b${n}-r${i}-${'y'.repeat(100)}`);
      values.push(...batch);
      await log.append(batch.map((value) => ({ value })));
    };
    for (let n = 0; n < flushed; n++) await add(n);
    await log.flush();
    const recoveryPoint = log.recoveryPoint;
    const flushedSize = log.size;
    for (let n = flushed; n < flushed + unflushed; n++) await add(n);
    const size = log.size;
    await log.close();
    markUnclean(dir, recoveryPoint);
    return { recoveryPoint, size, unflushedBytes: size - flushedSize, values };
  }

  it('scans from the offset-index entry below the recovery point and rebuilds the indexes past it', async () => {
    const written = await writeLog(200, 10);
    const log = await Log.open(dir, { ...config, logger: quietLogger(), backgroundTasks: false });
    try {
      expect(log.recoveryScannedBytes).toBeGreaterThanOrEqual(written.unflushedBytes);
      expect(log.recoveryScannedBytes).toBeLessThan(written.size / 4);
      expect((await readAll(log)).map((r) => r.value!.toString())).toEqual(written.values);
      // Reads that start at every offset find their batch through the rebuilt index.
      for (let offset = 0n; offset < log.nextOffset; offset += 7n) {
        expect((await log.readRecords(offset, 1))[0]!.offset).toBe(offset);
      }
      await log.append([{ value: 'after' }]);
      expect((await log.readRecords(log.nextOffset - 1n, 100))[0]!.value!.toString()).toBe('after');
    } finally {
      await log.close();
    }
  });

  it('scans the whole segment when the index entry below the recovery point does not match the log', async () => {
    const written = await writeLog(200, 10);
    // Every entry points one byte into a batch: no batch starts there.
    const indexPath = path.join(dir, segmentName(0, '.index'));
    const index = fs.readFileSync(indexPath);
    for (let at = 0; at + 8 <= index.length; at += 8) index.writeUInt32BE(index.readUInt32BE(at + 4) + 1, at + 4);
    fs.writeFileSync(indexPath, index);
    const log = await Log.open(dir, { ...config, logger: quietLogger(), backgroundTasks: false });
    try {
      expect(log.recoveryScannedBytes).toBe(written.size);
      expect((await readAll(log)).map((r) => r.value!.toString())).toEqual(written.values);
    } finally {
      await log.close();
    }
  });

  it('scans the whole segment when the index is gone', async () => {
    const written = await writeLog(50, 5);
    fs.rmSync(path.join(dir, segmentName(0, '.index')));
    const log = await Log.open(dir, { ...config, logger: quietLogger(), backgroundTasks: false });
    try {
      expect(log.recoveryScannedBytes).toBe(written.size);
      expect((await readAll(log)).map((r) => r.value!.toString())).toEqual(written.values);
    } finally {
      await log.close();
    }
  });

  it('truncates a torn tail past the recovery point without rescanning what lies before it', async () => {
    const written = await writeLog(200, 10);
    fs.appendFileSync(path.join(dir, segmentName(0, '.log')), Buffer.from([0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 1, 0, 0xde, 0xad]));
    const log = await Log.open(dir, { ...config, logger: quietLogger(), backgroundTasks: false });
    try {
      expect(log.size).toBe(written.size);
      expect(log.recoveryScannedBytes).toBeLessThan(written.size / 4);
      expect((await readAll(log)).map((r) => r.value!.toString())).toEqual(written.values);
    } finally {
      await log.close();
    }
  });

  it('keeps an index still at its preallocated length (zero-filled tail) and starts from it', async () => {
    const written = await writeLog(200, 10);
    // As after kill -9: the active segment's index was never trimmed.
    const indexPath = path.join(dir, segmentName(0, '.index'));
    fs.truncateSync(indexPath, 10 * 1024 * 1024);
    const log = await Log.open(dir, { ...config, logger: quietLogger(), backgroundTasks: false });
    try {
      expect(log.recoveryScannedBytes).toBeLessThan(written.size / 4);
      expect((await readAll(log)).map((r) => r.value!.toString())).toEqual(written.values);
    } finally {
      await log.close();
    }
  });
});
