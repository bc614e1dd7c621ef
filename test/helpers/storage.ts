/**
 * Helpers shared by the storage tests: temp dirs, whole-log reads, on-disk inspection and a
 * seeded RNG. Nothing here decides what is correct; the tests do.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pack } from 'msgpackr';
import type { Log } from '../../src/storage/log.js';
import { BATCH_FIELDS, BatchField, native } from '../../src/native.js';
import type { Record as LogRecord } from '../../src/records/index.js';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sluice-${prefix}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Reads every readable record, segment by segment, from logStartOffset to nextOffset. */
export async function readAll(log: Log): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  let offset = log.logStartOffset;
  while (offset < log.nextOffset) {
    const got = await log.readRecords(offset, 1 << 20);
    if (got.length === 0) throw new Error(`readRecords(${offset}) returned nothing below nextOffset ${log.nextOffset}`);
    if (got[0]!.offset !== offset) throw new Error(`readRecords(${offset}) started at ${got[0]!.offset}`);
    out.push(...got);
    offset = got[got.length - 1]!.offset + 1n;
  }
  return out;
}

/** Raw batch bytes of the whole log, from logStartOffset's batch to the end, segment by segment. */
export async function readAllBytes(log: Log): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.nextOffset) {
    const bytes = await log.read(offset, 1 << 24);
    const scan = native.scanBatches(bytes);
    if (scan.error !== null || scan.count === 0) throw new Error(`read(${offset}) returned invalid batches: ${scan.error}`);
    parts.push(bytes);
    const h = (scan.count - 1) * BATCH_FIELDS;
    offset = BigInt(scan.headers[h + BatchField.BaseOffset]! + scan.headers[h + BatchField.LastOffsetDelta]! + 1);
  }
  return Buffer.concat(parts);
}

/** One batch of a `.log` file as found on disk. */
export interface DiskBatch {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  bytes: Buffer;
}

/** Parses a `.log` file (or any buffer of batches) with the native scanner; throws unless all valid. */
export function batchesOf(bytes: Buffer): DiskBatch[] {
  const scan = native.scanBatches(bytes);
  if (scan.error !== null) throw new Error(`not a clean batch file: ${scan.error} at ${scan.errorPosition}`);
  const out: DiskBatch[] = [];
  for (let i = 0; i < scan.count; i++) {
    const h = i * BATCH_FIELDS;
    const position = scan.headers[h + BatchField.Position]!;
    const size = scan.headers[h + BatchField.Size]!;
    out.push({
      position,
      size,
      baseOffset: scan.headers[h + BatchField.BaseOffset]!,
      lastOffset: scan.headers[h + BatchField.BaseOffset]! + scan.headers[h + BatchField.LastOffsetDelta]!,
      maxTimestamp: scan.headers[h + BatchField.MaxTimestamp]!,
      bytes: Buffer.from(bytes.subarray(position, position + size)),
    });
  }
  return out;
}

export function segmentName(baseOffset: bigint | number, suffix: '.log' | '.index' | '.timeindex'): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** Base offsets of the `.log` files in `dir` (not `.deleted`), ascending. */
export function logFilesIn(dir: string): bigint[] {
  return fs
    .readdirSync(dir)
    .filter((n) => /^\d{20}\.log$/.test(n))
    .map((n) => BigInt(n.slice(0, 20)))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Makes the next `Log.open(dir)` treat the last stop as unclean with recovery point 0. */
export function markUnclean(dir: string, recoveryPoint = 0n, logStartOffset = 0n): void {
  fs.writeFileSync(
    path.join(dir, 'sluice-log.state'),
    pack({ version: 1, recoveryPoint: recoveryPoint.toString(), logStartOffset: logStartOffset.toString(), cleanShutdown: false }),
  );
}

/** Polls `check` until it returns true; throws after `limitMs` (a liveness bound, not a timing assertion). */
export async function waitFor(check: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): {
  next(): number;
  int(lo: number, hiInclusive: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
} {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
  };
}

/** A seed from `envName` if set (to reproduce a failure), else a random one. */
export function seedFrom(envName: string): number {
  const raw = process.env[envName];
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new Error(`${envName}=${raw} is not an integer seed`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
}

/**
 * Copies the files of a (possibly open) log directory, as a crash would leave them: the page
 * cache is what a copy reads. A file unlinked meanwhile (a `.deleted` segment) is skipped.
 */
export function copyDirFiles(from: string, to: string): void {
  for (const n of fs.readdirSync(from)) {
    try {
      fs.copyFileSync(path.join(from, n), path.join(to, n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
