/**
 * Recovery from damaged files, one named test per corruption mode (LevelDB's log_test habit).
 *
 * Every test writes real segments with a Log, closes it, damages the bytes on disk the way a
 * crash or a bad disk would, and reopens. An unclean stop is simulated by rewriting the
 * standalone state file (`sluice-log.state`) with cleanShutdown=false and recovery point 0,
 * which is what a SIGKILLed process leaves behind (crash.test.ts does it with real kills).
 *
 * What each test holds the log to:
 * - every record before the damage is readable and byte-identical to what was written;
 * - nextOffset is the offset after the last intact batch and the next append gets it;
 * - for a torn or corrupt tail, one warn line reports exactly how many bytes were cut;
 * - corrupt bytes are never returned to a reader.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Log, type LogOptions } from '../../src/storage/log.js';
import { CorruptStorageError, KafkaError } from '../../src/errors.js';
import { recordLength2Pow30 } from '../helpers/invalid-batches.js';
import { memoryLogger, quietLogger } from '../helpers/logger.js';
import { batchesOf, logFilesIn, markUnclean, readAll, readAllBytes, removeDir, segmentName, tempDir, type DiskBatch } from '../helpers/storage.js';

const HEADER_BYTES = 61;
const WARN = 40;
const ERROR = 50;

let dir: string;
const open: Log[] = [];

beforeEach(() => {
  dir = tempDir('corruption');
});

afterEach(async () => {
  for (const log of open.splice(0)) await log.close().catch(() => undefined);
  removeDir(dir);
});

/** Settings that keep rolls and retention out of the way unless a test asks for them. */
const BASE: LogOptions = { backgroundTasks: false, segmentMs: Number.MAX_SAFE_INTEGER, retentionMs: -1, fileDeleteDelayMs: 0 };

async function openLog(options: LogOptions = {}): Promise<Log> {
  const log = await Log.open(dir, { logger: quietLogger(), ...BASE, ...options });
  open.push(log);
  return log;
}

function valueFor(offset: number): string {
  return `record-${offset}-`.padEnd(40, 'x');
}

/**
 * Writes `batches` batches of `perBatch` records through a Log and closes it cleanly. Returns
 * the segment files as written, keyed by base offset.
 */
async function writeLog(batches: number, perBatch: number, options: LogOptions = {}): Promise<Map<number, { bytes: Buffer; batches: DiskBatch[] }>> {
  const log = await Log.open(dir, { logger: quietLogger(), ...BASE, ...options });
  for (let b = 0; b < batches; b++) {
    const first = b * perBatch;
    await log.append(Array.from({ length: perBatch }, (_, i) => ({ key: `k${first + i}`, value: valueFor(first + i), timestamp: 1_000_000 + first + i })));
  }
  await log.close();
  const segments = new Map<number, { bytes: Buffer; batches: DiskBatch[] }>();
  for (const base of logFilesIn(dir)) {
    const bytes = fs.readFileSync(path.join(dir, segmentName(base, '.log')));
    segments.set(Number(base), { bytes, batches: batchesOf(bytes) });
  }
  return segments;
}

function logPath(base = 0): string {
  return path.join(dir, segmentName(base, '.log'));
}

function mutate(file: string, change: (bytes: Buffer) => Buffer): void {
  fs.writeFileSync(file, change(fs.readFileSync(file)));
}

async function reopenWithLines(options: LogOptions = {}): Promise<{ log: Log; lines: Record<string, unknown>[] }> {
  const { logger, lines } = memoryLogger();
  const log = await Log.open(dir, { ...BASE, ...options, logger });
  open.push(log);
  return { log, lines };
}

function truncationLines(lines: Record<string, unknown>[]): Record<string, unknown>[] {
  return lines.filter((l) => l.level === WARN && typeof l.truncatedBytes === 'number');
}

/**
 * Checks a single-segment log recovered to its first `keptBatches` batches: contents, bytes,
 * offsets, the file on disk, and that appends and a clean reopen continue from there.
 */
async function expectRecoveredTo(log: Log, original: { bytes: Buffer; batches: DiskBatch[] }, keptBatches: number, perBatch: number): Promise<void> {
  const keptRecords = keptBatches * perBatch;
  const keptBytes = keptBatches === 0 ? 0 : original.batches[keptBatches - 1]!.position + original.batches[keptBatches - 1]!.size;
  expect(log.nextOffset).toBe(BigInt(keptRecords));
  const got = await readAll(log);
  expect(got.map((r) => Number(r.offset))).toEqual(Array.from({ length: keptRecords }, (_, i) => i));
  expect(got.map((r) => r.value!.toString())).toEqual(Array.from({ length: keptRecords }, (_, i) => valueFor(i)));
  if (keptRecords > 0) expect((await readAllBytes(log)).equals(original.bytes.subarray(0, keptBytes))).toBe(true);
  expect(fs.statSync(logPath()).size).toBe(keptBytes);

  const appended = await log.append([{ key: 'after', value: 'after-recovery' }]);
  expect(appended.baseOffset).toBe(BigInt(keptRecords));
  await log.close();
  const reopened = await openLog();
  expect(reopened.nextOffset).toBe(BigInt(keptRecords + 1));
  const all = await readAll(reopened);
  expect(all).toHaveLength(keptRecords + 1);
  expect(all[keptRecords]!.value!.toString()).toBe('after-recovery');
}

describe('recovery of a torn or corrupt tail after an unclean stop', () => {
  const BATCHES = 6;
  const PER_BATCH = 4;

  it('cuts a batch whose 61-byte header was torn and reports the bytes cut', async () => {
    const original = (await writeLog(BATCHES, PER_BATCH)).get(0)!;
    const last = original.batches[BATCHES - 1]!;
    fs.truncateSync(logPath(), last.position + 30); // inside the last header
    markUnclean(dir);
    const { log, lines } = await reopenWithLines();
    const warned = truncationLines(lines);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ truncatedBytes: 30, reason: 'TRUNCATED_HEADER', position: last.position });
    await expectRecoveredTo(log, original, BATCHES - 1, PER_BATCH);
  });

  it('cuts a batch whose CRC is right but whose records are invalid (a record length of 2^30), like a corrupt tail', async () => {
    const original = (await writeLog(BATCHES, PER_BATCH)).get(0)!;
    // Written past the validator, as an older version or another tool could have stored it.
    const invalid = recordLength2Pow30();
    invalid.writeBigInt64BE(BigInt(BATCHES * PER_BATCH), 0);
    fs.appendFileSync(logPath(), invalid);
    markUnclean(dir);
    const { log, lines } = await reopenWithLines();
    const warned = truncationLines(lines);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ truncatedBytes: invalid.length, reason: 'BAD_RECORDS', position: original.bytes.length });
    await expectRecoveredTo(log, original, BATCHES, PER_BATCH);
  });

  it('cuts a batch whose body was torn and reports the bytes cut', async () => {
    const original = (await writeLog(BATCHES, PER_BATCH)).get(0)!;
    const last = original.batches[BATCHES - 1]!;
    fs.truncateSync(logPath(), last.position + last.size - 10);
    markUnclean(dir);
    const { log, lines } = await reopenWithLines();
    const warned = truncationLines(lines);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ truncatedBytes: last.size - 10, reason: 'TRUNCATED_BODY', position: last.position });
    await expectRecoveredTo(log, original, BATCHES - 1, PER_BATCH);
  });

  it('cuts a last batch whose records fail the CRC-32C', async () => {
    const original = (await writeLog(BATCHES, PER_BATCH)).get(0)!;
    const last = original.batches[BATCHES - 1]!;
    mutate(logPath(), (b) => {
      b[last.position + last.size - 3]! ^= 0x5a;
      return b;
    });
    markUnclean(dir);
    const { log, lines } = await reopenWithLines();
    const warned = truncationLines(lines);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ truncatedBytes: last.size, reason: 'BAD_CRC', position: last.position });
    await expectRecoveredTo(log, original, BATCHES - 1, PER_BATCH);
  });

  it('cuts a last batch whose magic byte is not 2', async () => {
    const original = (await writeLog(BATCHES, PER_BATCH)).get(0)!;
    const last = original.batches[BATCHES - 1]!;
    mutate(logPath(), (b) => {
      b[last.position + 16] = 1; // magic sits outside the CRC range
      return b;
    });
    markUnclean(dir);
    const { log, lines } = await reopenWithLines();
    const warned = truncationLines(lines);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ truncatedBytes: last.size, reason: 'BAD_MAGIC', position: last.position });
    await expectRecoveredTo(log, original, BATCHES - 1, PER_BATCH);
  });

  it('cuts a last batch whose batchLength overflows to 0x7fffffff instead of reading past the file', async () => {
    const original = (await writeLog(BATCHES, PER_BATCH)).get(0)!;
    const last = original.batches[BATCHES - 1]!;
    mutate(logPath(), (b) => {
      b.writeInt32BE(0x7fff_ffff, last.position + 8);
      return b;
    });
    markUnclean(dir);
    const { log, lines } = await reopenWithLines();
    const warned = truncationLines(lines);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ truncatedBytes: last.size, reason: 'BAD_LENGTH', position: last.position });
    await expectRecoveredTo(log, original, BATCHES - 1, PER_BATCH);
  });

  it('cuts a zero-filled preallocated tail and keeps every batch before it', async () => {
    const original = (await writeLog(BATCHES, PER_BATCH)).get(0)!;
    fs.appendFileSync(logPath(), Buffer.alloc(4096));
    markUnclean(dir);
    const { log, lines } = await reopenWithLines();
    const warned = truncationLines(lines);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ truncatedBytes: 4096, reason: 'ZERO_FILLED', position: original.bytes.length });
    await expectRecoveredTo(log, original, BATCHES, PER_BATCH);
  });

  it('cuts a segment whose very first batch is torn down to an empty log at its base offset', async () => {
    const original = (await writeLog(1, PER_BATCH)).get(0)!;
    fs.truncateSync(logPath(), 20);
    markUnclean(dir);
    const { log, lines } = await reopenWithLines();
    expect(truncationLines(lines)[0]).toMatchObject({ truncatedBytes: 20, reason: 'TRUNCATED_HEADER', position: 0 });
    await expectRecoveredTo(log, original, 0, PER_BATCH);
  });

  it('truncates at a corrupt batch in the middle of the last segment, dropping the intact batches after it', async () => {
    const original = (await writeLog(BATCHES, PER_BATCH)).get(0)!;
    const bad = original.batches[2]!;
    mutate(logPath(), (b) => {
      b[bad.position + HEADER_BYTES + 5]! ^= 0xff;
      return b;
    });
    markUnclean(dir);
    const { log, lines } = await reopenWithLines();
    const warned = truncationLines(lines);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ truncatedBytes: original.bytes.length - bad.position, reason: 'BAD_CRC', position: bad.position });
    await expectRecoveredTo(log, original, 2, PER_BATCH);
  });

  it('reports nothing truncated and keeps everything when the unclean stop left the files intact', async () => {
    const original = (await writeLog(BATCHES, PER_BATCH)).get(0)!;
    markUnclean(dir);
    const { log, lines } = await reopenWithLines();
    expect(truncationLines(lines)).toHaveLength(0);
    await expectRecoveredTo(log, original, BATCHES, PER_BATCH);
  });
});

describe('a damaged tail on the active segment after a clean start', () => {
  it('cuts a zero-filled tail before taking appends, so what is appended next stays readable', async () => {
    const original = (await writeLog(6, 4)).get(0)!;
    fs.appendFileSync(logPath(), Buffer.alloc(4096)); // the state file still says: clean shutdown
    const { log, lines } = await reopenWithLines();
    expect(truncationLines(lines)[0]).toMatchObject({ truncatedBytes: 4096, reason: 'ZERO_FILLED', position: original.bytes.length });
    await expectRecoveredTo(log, original, 6, 4);
  });

  it('cuts a zero-filled tail found while rebuilding an index that failed its sanity check', async () => {
    const original = (await writeLog(30, 2, { indexIntervalBytes: 200 })).get(0)!;
    const bogus = Buffer.alloc(8);
    bogus.writeUInt32BE(10_000, 0);
    bogus.writeUInt32BE(original.bytes.length + 9000, 4);
    fs.appendFileSync(path.join(dir, segmentName(0, '.index')), bogus);
    fs.appendFileSync(logPath(), Buffer.alloc(512));
    const { log, lines } = await reopenWithLines({ indexIntervalBytes: 200 });
    expect(truncationLines(lines)[0]).toMatchObject({ truncatedBytes: 512, reason: 'ZERO_FILLED', position: original.bytes.length });
    await expectRecoveredTo(log, original, 30, 2);
  });

  it('cuts a torn last batch before taking appends', async () => {
    const original = (await writeLog(6, 4)).get(0)!;
    const last = original.batches[5]!;
    fs.truncateSync(logPath(), last.position + last.size - 7);
    const { log, lines } = await reopenWithLines();
    expect(truncationLines(lines)[0]).toMatchObject({ truncatedBytes: last.size - 7, reason: 'TRUNCATED_BODY', position: last.position });
    await expectRecoveredTo(log, original, 5, 4);
  });
});

describe('recovery of a corrupt batch inside a segment past the recovery point that is not the last', () => {
  it('truncates that segment at the corrupt batch, deletes every later segment and appends from there', async () => {
    const PER_BATCH = 3;
    const segments = await writeLog(40, PER_BATCH, { segmentBytes: 1500 });
    const bases = [...segments.keys()];
    expect(bases.length).toBeGreaterThanOrEqual(4);
    const victimBase = bases[1]!;
    const victim = segments.get(victimBase)!;
    const bad = victim.batches[Math.floor(victim.batches.length / 2)]!;
    mutate(logPath(victimBase), (b) => {
      b[bad.position + HEADER_BYTES + 2]! ^= 0x01;
      return b;
    });
    // Recovery point at the victim's base: segment 0 is trusted, the rest are scanned.
    markUnclean(dir, BigInt(victimBase));
    const { log, lines } = await reopenWithLines({ segmentBytes: 1500 });

    const warned = truncationLines(lines);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ truncatedBytes: victim.bytes.length - bad.position, reason: 'BAD_CRC', position: bad.position });
    expect(lines.some((l) => l.level === WARN && Array.isArray(l.segments) && (l.segments as string[]).length === bases.length - 2)).toBe(true);
    expect(log.segmentBaseOffsets).toEqual([BigInt(bases[0]!), BigInt(victimBase)]);
    expect(logFilesIn(dir)).toEqual([BigInt(bases[0]!), BigInt(victimBase)]);
    for (const gone of bases.slice(2)) {
      expect(fs.existsSync(path.join(dir, segmentName(gone, '.index')))).toBe(false);
      expect(fs.existsSync(path.join(dir, segmentName(gone, '.timeindex')))).toBe(false);
    }
    expect(log.nextOffset).toBe(BigInt(bad.baseOffset));

    const expectedBytes = Buffer.concat([segments.get(bases[0]!)!.bytes, victim.bytes.subarray(0, bad.position)]);
    expect((await readAllBytes(log)).equals(expectedBytes)).toBe(true);
    const got = await readAll(log);
    expect(got.map((r) => r.value!.toString())).toEqual(Array.from({ length: bad.baseOffset }, (_, i) => valueFor(i)));

    // The victim became the active segment again: it takes appends (and rolls) normally.
    for (let i = 0; i < 30; i++) {
      const r = await log.append([{ value: `again-${i}` }]);
      expect(r.baseOffset).toBe(BigInt(bad.baseOffset + i));
    }
    await log.close();
    const reopened = await openLog({ segmentBytes: 1500 });
    const all = await readAll(reopened);
    expect(all).toHaveLength(bad.baseOffset + 30);
    expect(all.slice(bad.baseOffset).map((r) => r.value!.toString())).toEqual(Array.from({ length: 30 }, (_, i) => `again-${i}`));
  });

  it('does not scan (or cut) segments wholly below the recovery point', async () => {
    const segments = await writeLog(40, 3, { segmentBytes: 1500 });
    const bases = [...segments.keys()];
    const first = segments.get(bases[0]!)!;
    // A torn tail in segment 0 would be cut if it were scanned; below the recovery point it is trusted.
    fs.appendFileSync(logPath(bases[0]!), Buffer.alloc(100));
    markUnclean(dir, BigInt(bases[2]!));
    const { log, lines } = await reopenWithLines({ segmentBytes: 1500 });
    expect(truncationLines(lines)).toHaveLength(0);
    expect(fs.statSync(logPath(bases[0]!)).size).toBe(first.bytes.length + 100);
    expect(log.nextOffset).toBe(120n);
  });
});

describe('damaged index files', () => {
  /** Indexes as Kafka would have them after a clean close (for comparison after a rebuild). */
  function indexFiles(base = 0): { index: Buffer; timeIndex: Buffer } {
    return {
      index: fs.readFileSync(path.join(dir, segmentName(base, '.index'))),
      timeIndex: fs.readFileSync(path.join(dir, segmentName(base, '.timeindex'))),
    };
  }

  async function expectEveryOffsetReadable(log: Log, count: number): Promise<void> {
    for (let o = 0; o < count; o++) {
      const [first] = await log.readRecords(BigInt(o), 1);
      expect(first?.offset).toBe(BigInt(o));
      expect(first!.value!.toString()).toBe(valueFor(o));
    }
  }

  it('rebuilds an offset index whose last entry points past the end of the log on a clean start', async () => {
    const options = { indexIntervalBytes: 200 };
    const original = (await writeLog(30, 2, options)).get(0)!;
    const before = indexFiles();
    expect(before.index.length).toBeGreaterThanOrEqual(16);
    const entries = before.index.length / 8;
    const lastRel = before.index.readUInt32BE((entries - 1) * 8);
    const bogus = Buffer.alloc(8);
    bogus.writeUInt32BE(lastRel + 1, 0);
    bogus.writeUInt32BE(original.bytes.length + 4096, 4);
    fs.appendFileSync(path.join(dir, segmentName(0, '.index')), bogus);

    const { log, lines } = await reopenWithLines(options);
    expect(lines.some((l) => l.level === WARN && /sanity check/.test(String(l.msg)))).toBe(true);
    expect(log.nextOffset).toBe(60n);
    await expectEveryOffsetReadable(log, 60);
    expect((await readAllBytes(log)).equals(original.bytes)).toBe(true);
    const r = await log.append([{ value: 'next' }]);
    expect(r.baseOffset).toBe(60n);
    await log.truncateTo(60n); // back to the original content, so the rebuilt index is comparable
    await log.close();
    const after = indexFiles();
    expect(after.index.equals(before.index)).toBe(true);
    expect(after.timeIndex.equals(before.timeIndex)).toBe(true);
  });

  it('rebuilds an offset index whose last entry points past the end of the log after an unclean stop', async () => {
    const options = { indexIntervalBytes: 200 };
    const original = (await writeLog(30, 2, options)).get(0)!;
    const before = indexFiles();
    const bogus = Buffer.alloc(8);
    bogus.writeUInt32BE(10_000, 0);
    bogus.writeUInt32BE(original.bytes.length + 4096, 4);
    fs.appendFileSync(path.join(dir, segmentName(0, '.index')), bogus);
    markUnclean(dir);
    const { log } = await reopenWithLines(options);
    await expectEveryOffsetReadable(log, 60);
    await log.close();
    expect(indexFiles().index.equals(before.index)).toBe(true);
  });

  it('rebuilds the index of a sealed segment whose last entry points past the end of its log on a clean start', async () => {
    const options = { indexIntervalBytes: 200, segmentBytes: 2000 };
    const segments = await writeLog(40, 2, options);
    const bases = [...segments.keys()];
    expect(bases.length).toBeGreaterThan(2);
    const before = indexFiles(bases[0]);
    const entries = before.index.length / 8;
    expect(entries).toBeGreaterThan(0);
    const bogus = Buffer.alloc(8);
    bogus.writeUInt32BE(before.index.readUInt32BE((entries - 1) * 8) + 1, 0);
    bogus.writeUInt32BE(segments.get(bases[0]!)!.bytes.length + 100, 4);
    fs.appendFileSync(path.join(dir, segmentName(bases[0]!, '.index')), bogus);
    const { log, lines } = await reopenWithLines(options);
    expect(lines.some((l) => l.level === WARN && /sanity check/.test(String(l.msg)))).toBe(true);
    expect(lines.filter((l) => l.level === ERROR)).toEqual([]);
    await expectEveryOffsetReadable(log, 80);
    await log.close();
    expect(indexFiles(bases[0]).index.equals(before.index)).toBe(true);
  });

  it('rebuilds the index of a sealed segment whose index length is not a whole number of entries', async () => {
    const options = { indexIntervalBytes: 200, segmentBytes: 2000 };
    const segments = await writeLog(40, 2, options);
    const bases = [...segments.keys()];
    expect(bases.length).toBeGreaterThan(2);
    const before = indexFiles(bases[0]);
    expect(before.index.length).toBeGreaterThan(0);
    fs.appendFileSync(path.join(dir, segmentName(bases[0]!, '.index')), Buffer.from([1, 2, 3]));
    const { log, lines } = await reopenWithLines(options);
    expect(lines.some((l) => l.level === WARN && /sanity check/.test(String(l.msg)))).toBe(true);
    await expectEveryOffsetReadable(log, 80);
    await log.close();
    expect(indexFiles(bases[0]).index.equals(before.index)).toBe(true);
  });

  it('rebuilds the indexes of a sealed segment past the recovery point whose index files are missing', async () => {
    const options = { indexIntervalBytes: 200, segmentBytes: 2000 };
    const segments = await writeLog(40, 2, options);
    const bases = [...segments.keys()];
    const before = indexFiles(bases[0]);
    expect(before.index.length).toBeGreaterThan(0);
    fs.rmSync(path.join(dir, segmentName(bases[0]!, '.index')));
    fs.rmSync(path.join(dir, segmentName(bases[0]!, '.timeindex')));
    markUnclean(dir);
    const { log } = await reopenWithLines(options);
    await expectEveryOffsetReadable(log, 80);
    await log.close();
    expect(indexFiles(bases[0]).index.equals(before.index)).toBe(true);
  });
});

describe('corruption inside a sealed segment below the recovery point after a clean start', () => {
  const PER_BATCH = 3;
  const OPTIONS: LogOptions = { segmentBytes: 1500 };

  async function setUp(): Promise<{
    segments: Map<number, { bytes: Buffer; batches: DiskBatch[] }>;
    bases: number[];
    bad: DiskBatch;
    log: Log;
    lines: Record<string, unknown>[];
  }> {
    const segments = await writeLog(40, PER_BATCH, OPTIONS);
    const bases = [...segments.keys()];
    expect(bases.length).toBeGreaterThanOrEqual(3);
    const first = segments.get(bases[0]!)!;
    expect(first.batches.length).toBeGreaterThanOrEqual(5);
    const bad = first.batches[Math.floor(first.batches.length / 2)]!;
    mutate(logPath(bases[0]!), (b) => {
      b[bad.position + HEADER_BYTES + 4]! ^= 0x10; // inside the records: only the CRC can tell
      return b;
    });
    const { log, lines } = await reopenWithLines(OPTIONS);
    return { segments, bases, bad, log, lines };
  }

  it('keeps serving the batches before the corrupt one, byte for byte', async () => {
    const { segments, bases, bad, log } = await setUp();
    const first = segments.get(bases[0]!)!;
    for (const batch of first.batches.filter((b) => b.lastOffset < bad.baseOffset)) {
      const bytes = await log.read(BigInt(batch.baseOffset), 1);
      expect(bytes.equals(batch.bytes)).toBe(true);
    }
    // A read that would run into the corrupt batch stops before it.
    const upTo = await log.read(0n, 1 << 20);
    expect(upTo.equals(first.bytes.subarray(0, bad.position))).toBe(true);
  });

  it('refuses a read at the corrupt batch with KAFKA_STORAGE_ERROR and logs an error line', async () => {
    const { bases, bad, log, lines } = await setUp();
    const err = await log.read(BigInt(bad.baseOffset), 1 << 20).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CorruptStorageError);
    expect(err).toBeInstanceOf(KafkaError);
    expect(err).toMatchObject({ errorName: 'KAFKA_STORAGE_ERROR', position: bad.position });
    const errors = lines.filter((l) => l.level === ERROR);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ segment: logPath(bases[0]!), position: bad.position });
    await expect(log.readRecords(BigInt(bad.baseOffset + 1), 1)).rejects.toMatchObject({ errorName: 'KAFKA_STORAGE_ERROR' });
  });

  it('refuses every read at or after the corrupt batch in that segment once the corruption is known', async () => {
    const { segments, bases, bad, log } = await setUp();
    await expect(log.read(BigInt(bad.baseOffset), 1)).rejects.toBeInstanceOf(CorruptStorageError);
    const endOfFirst = bases[1]!;
    for (let o = bad.baseOffset; o < endOfFirst; o++) {
      await expect(log.read(BigInt(o), 1 << 20)).rejects.toMatchObject({ errorName: 'KAFKA_STORAGE_ERROR' });
    }
    // Earlier batches are still served, and never with bytes from the corrupt range.
    const before = await log.read(BigInt(bad.baseOffset - 1), 1 << 20);
    expect(before.equals(segments.get(bases[0]!)!.batches.find((b) => b.lastOffset === bad.baseOffset - 1)!.bytes)).toBe(true);
  });

  it('still serves the batches before the corrupt one to a read bounded by a high watermark inside the corrupt range', async () => {
    const { segments, bases, bad, log } = await setUp();
    await expect(log.read(BigInt(bad.baseOffset), 1)).rejects.toBeInstanceOf(CorruptStorageError);
    for (const maxOffset of [bad.baseOffset + 1, bad.lastOffset + 1, bases[1]!]) {
      const bytes = await log.read(0n, 1 << 20, { maxOffset: BigInt(maxOffset) });
      expect(bytes.equals(segments.get(bases[0]!)!.bytes.subarray(0, bad.position)), `maxOffset ${maxOffset}`).toBe(true);
    }
  });

  it('never returns the corrupt bytes from any read anywhere in the log', async () => {
    const { segments, bases, bad, log } = await setUp();
    const originalBad = bad.bytes; // as written, before the flip
    const corrupted = fs.readFileSync(logPath(bases[0]!)).subarray(bad.position, bad.position + bad.size);
    expect(corrupted.equals(originalBad)).toBe(false);
    const whole = Buffer.concat(bases.map((b) => segments.get(b)!.bytes));
    const written: { lastOffset: number; globalPosition: number }[] = [];
    let globalBase = 0;
    for (const b of bases) {
      for (const batch of segments.get(b)!.batches) written.push({ lastOffset: batch.lastOffset, globalPosition: globalBase + batch.position });
      globalBase += segments.get(b)!.bytes.length;
    }
    let refused = 0;
    for (let o = 0; o < Number(log.nextOffset); o++) {
      let bytes: Buffer;
      try {
        bytes = await log.read(BigInt(o), 1 << 20);
      } catch (err) {
        expect(err).toMatchObject({ errorName: 'KAFKA_STORAGE_ERROR' });
        refused++;
        continue;
      }
      expect(bytes.indexOf(corrupted)).toBe(-1);
      expect(bytes.indexOf(originalBad)).toBe(-1);
      // Whatever is returned is exactly what was written from the batch holding `o` on.
      const start = written.find((b) => b.lastOffset >= o)!;
      expect(bytes.equals(whole.subarray(start.globalPosition, start.globalPosition + bytes.length))).toBe(true);
    }
    // Exactly the offsets from the corrupt batch to the end of its segment were refused.
    expect(refused).toBe(bases[1]! - bad.baseOffset);
  });

  it('keeps serving every later segment intact', async () => {
    const { segments, bases, bad, log } = await setUp();
    await expect(log.read(BigInt(bad.baseOffset), 1)).rejects.toBeInstanceOf(CorruptStorageError);
    for (const base of bases.slice(1)) {
      const seg = segments.get(base)!;
      const bytes = await log.read(BigInt(base), seg.bytes.length);
      expect(bytes.equals(seg.bytes)).toBe(true);
      const records = await log.readRecords(BigInt(base), seg.bytes.length);
      expect(records.map((r) => r.value!.toString())).toEqual(Array.from({ length: seg.batches.at(-1)!.lastOffset - base + 1 }, (_, i) => valueFor(base + i)));
    }
    expect(log.nextOffset).toBe(120n);
    const r = await log.append([{ value: 'still-appendable' }]);
    expect(r.baseOffset).toBe(120n);
  });
});
