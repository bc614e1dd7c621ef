/**
 * Crash tests with real processes: a child (fixtures/crash-writer.ts, run with vite-node)
 * appends durably from several concurrent writers and prints every acknowledged append; the
 * parent SIGKILLs it after a random delay (seeded: the seed is printed, and
 * `SLUICE_CRASH_SEED=<seed>` replays the same delays and segment sizes), then reopens the log
 * and checks that every acknowledged record is there, intact, once, in per-writer order, and
 * that the log is consistent. Iterations reuse the same directory, so each child starts from
 * the previous crash (or from the parent's clean close) and recovery runs on both sides.
 *
 * A SIGKILL loses no page-cache data, so beyond "acked records survive" the test can demand
 * more: every writer's records form a gap-free prefix of its sequence (a writer only issues
 * its next append after the previous one was acknowledged).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Log } from '../../src/storage/log.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { quietLogger } from '../helpers/logger.js';
import { copyDirFiles, readAll, removeDir, rng, seedFrom, tempDir } from '../helpers/storage.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const VITE_NODE = path.join(ROOT, 'node_modules', 'vite-node', 'vite-node.mjs');
const FIXTURE = path.join(HERE, 'fixtures', 'crash-writer.ts');
const ITERATIONS = Number(process.env.SLUICE_CRASH_ITERATIONS ?? 24);

interface Ack {
  run: number;
  partition: number;
  writer: number;
  firstSeq: number;
  baseOffset: bigint;
  lastOffset: bigint;
  hash: string;
}

interface ChildResult {
  acks: Ack[];
  ready: bigint[];
}

// Must match the fixture.
function recordValue(run: number, writer: number, seq: number): string {
  const id = `r${run}-w${writer}-s${seq}`;
  return `${id}|${id.repeat(1 + (seq % 7))}`;
}

function hashValues(values: string[]): string {
  return createHash('sha256').update(values.join('\n')).digest('hex');
}

/** Runs the writer, SIGKILLs it `killAfterMs` after it reports ready, and collects its acks. */
function runAndKill(args: Record<string, unknown> & { run: number }, killAfterMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VITE_NODE, FIXTURE], {
      cwd: ROOT,
      env: { ...process.env, SLUICE_CRASH_ARGS: JSON.stringify(args) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result: ChildResult = { acks: [], ready: [] };
    let pending = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const parts = line.split(' ');
        if (parts[0] === 'ready') {
          result.ready = parts[1]!.split(',').map((x) => BigInt(x));
          killTimer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        } else if (parts[0] === 'ack') {
          result.acks.push({
            run: args.run,
            partition: Number(parts[1]),
            writer: Number(parts[2]),
            firstSeq: Number(parts[3]),
            baseOffset: BigInt(parts[4]!),
            lastOffset: BigInt(parts[5]!),
            hash: parts[6]!,
          });
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with code ${code} signal ${signal} before the kill:\n${stderr}`));
      else if (result.ready.length === 0) reject(new Error(`writer was killed before it was ready:\n${stderr}`));
      else resolve(result);
    });
  });
}

/**
 * Checks one partition's log against every ack ever received for it: acked records present at
 * their acked offsets with the acked content, every identity once, each writer's records a
 * gap-free prefix of its sequence in offset order, offsets contiguous from 0 to nextOffset.
 */
async function verifyPartition(log: Log, acks: Ack[], context: string): Promise<number> {
  const records = await readAll(log);
  expect(log.logStartOffset, context).toBe(0n);
  expect(log.nextOffset, `${context}: nextOffset = record count`).toBe(BigInt(records.length));
  const misplaced = records.findIndex((r, i) => r.offset !== BigInt(i));
  expect(misplaced, `${context}: offsets contiguous from 0`).toBe(-1);

  const byIdentity = new Map<string, bigint>();
  const seqsByWriter = new Map<string, { seq: number; offset: bigint }[]>();
  for (const r of records) {
    const value = r.value!.toString();
    const m = /^r(\d+)-w(\d+)-s(\d+)\|/.exec(value);
    if (m === null) expect.fail(`${context}: record ${r.offset} has a malformed value ${JSON.stringify(value.slice(0, 80))}`);
    const [, run, writer, seq] = m;
    if (value !== recordValue(Number(run), Number(writer), Number(seq))) expect.fail(`${context}: record ${r.offset} payload damaged`);
    if (byIdentity.has(value)) expect.fail(`${context}: ${value.split('|')[0]} appears twice (offsets ${byIdentity.get(value)} and ${r.offset})`);
    byIdentity.set(value, r.offset);
    const key = `r${run}-w${writer}`;
    if (!seqsByWriter.has(key)) seqsByWriter.set(key, []);
    seqsByWriter.get(key)!.push({ seq: Number(seq), offset: r.offset });
  }
  for (const [key, list] of seqsByWriter) {
    // In offset order, each writer's sequence numbers are exactly 0, 1, 2, … (no gap, no reorder).
    expect(
      list.map((x) => x.seq),
      `${context}: ${key} in order without gaps`,
    ).toEqual(list.map((_, i) => i));
  }
  for (const ack of acks) {
    const count = Number(ack.lastOffset - ack.baseOffset) + 1;
    const values = Array.from({ length: count }, (_, i) => recordValue(ack.run, ack.writer, ack.firstSeq + i));
    if (hashValues(values) !== ack.hash) expect.fail(`${context}: ack hash mismatch for r${ack.run}-w${ack.writer}-s${ack.firstSeq}`);
    for (const [i, v] of values.entries()) {
      const at = byIdentity.get(v);
      if (at !== ack.baseOffset + BigInt(i)) {
        expect.fail(
          `${context}: acked ${v.split('|')[0]} expected at offset ${ack.baseOffset + BigInt(i)}, found ${at === undefined ? 'nowhere' : `at ${at}`}`,
        );
      }
    }
  }
  return records.length;
}

let dir: string;

beforeEach(() => {
  dir = tempDir('crash');
});

afterEach(() => {
  removeDir(dir);
});

describe('a durable writer killed with SIGKILL', () => {
  it('loses no acknowledged record and leaves a consistent log, across many kills of the same log', async () => {
    const seed = seedFrom('SLUICE_CRASH_SEED');
    console.log(`crash test seed: ${seed} (replay with SLUICE_CRASH_SEED=${seed})`);
    const r = rng(seed);
    const acks: Ack[] = [];
    let totalKillsWithAcks = 0;
    for (let run = 0; run < ITERATIONS; run++) {
      // Alternate tiny and roomy segments so rolls happen around the kill, and vary the index.
      const config = {
        segmentBytes: run % 2 === 0 ? r.pick([600, 1024, 2048]) : 64 * 1024,
        indexIntervalBytes: r.pick([0, 128, 4096]),
        segmentMs: Number.MAX_SAFE_INTEGER,
        retentionMs: -1,
      };
      const delay = r.int(0, 150);
      const context = `seed ${seed} run ${run} (delay ${delay} ms, ${JSON.stringify(config)})`;
      const t0 = Date.now();
      const child = await runAndKill({ mode: 'log', dir, run, writers: 4, config }, delay);
      const t1 = Date.now();
      acks.push(...child.acks);
      if (child.acks.length > 0) totalKillsWithAcks++;

      // Odd runs verify a copy, so the next child itself recovers from this crash; even runs
      // recover the log in place and close it cleanly.
      const target = run % 2 === 1 ? tempDir('crash-copy') : dir;
      try {
        if (target !== dir) copyDirFiles(dir, target);
        const log = await Log.open(target, { ...config, logger: quietLogger(), backgroundTasks: false });
        try {
          const count = await verifyPartition(log, acks, context);
          expect(BigInt(count) >= child.ready[0]!, context).toBe(true);
        } finally {
          await log.close();
        }
      } finally {
        if (target !== dir) removeDir(target);
      }
      if (process.env.SLUICE_CRASH_TIMING) console.log(`run ${run}: child ${t1 - t0} ms, verify ${Date.now() - t1} ms, ${child.acks.length} acks`);
    }
    console.log(`seed ${seed}: ${ITERATIONS} kills, ${acks.length} acknowledged appends checked (${totalKillsWithAcks} kills after at least one ack)`);
    expect(totalKillsWithAcks).toBeGreaterThan(ITERATIONS / 2);
  }, 300_000);
});

describe('a LogManager data dir killed mid-append', () => {
  it('recovers every partition, and has .kafka_cleanshutdown only after a clean close', async () => {
    const seed = seedFrom('SLUICE_CRASH_SEED');
    console.log(`log manager crash test seed: ${seed} (replay with SLUICE_CRASH_SEED=${seed})`);
    const r = rng(seed);
    const PARTITIONS = 3;
    const marker = path.join(dir, '.kafka_cleanshutdown');
    const acks: Ack[] = [];
    const config = { segmentBytes: 1500, indexIntervalBytes: 256, segmentMs: Number.MAX_SAFE_INTEGER, retentionMs: -1 };
    for (let run = 0; run < 4; run++) {
      const delay = r.int(20, 150);
      const context = `seed ${seed} run ${run} (delay ${delay} ms)`;
      const child = await runAndKill({ mode: 'manager', dir, run, writers: 2, partitions: PARTITIONS, config }, delay);
      acks.push(...child.acks);
      expect(fs.existsSync(marker), `${context}: no clean-shutdown marker after a kill`).toBe(false);

      const manager = await LogManager.open(dir, { logger: quietLogger(), backgroundTasks: false, defaults: config });
      try {
        expect(manager.wasCleanShutdown, context).toBe(false);
        for (let p = 0; p < PARTITIONS; p++) {
          const log = manager.getLog('crash', p);
          expect(log, `${context}: partition ${p} reopened`).toBeDefined();
          await verifyPartition(
            log!,
            acks.filter((a) => a.partition === p),
            `${context} partition ${p}`,
          );
        }
      } finally {
        await manager.close();
      }
      expect(fs.existsSync(marker), `${context}: marker after a clean close`).toBe(true);
    }
    expect(acks.length).toBeGreaterThan(0);
    const again = await LogManager.open(dir, { logger: quietLogger(), backgroundTasks: false, defaults: config });
    expect(again.wasCleanShutdown).toBe(true);
    expect(fs.existsSync(marker)).toBe(false);
    await again.close();
  }, 120_000);
});
