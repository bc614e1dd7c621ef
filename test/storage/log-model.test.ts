/**
 * Model tests: every Log operation is run against the real Log and against a trivial in-memory
 * model (an array of records, the batch boundaries and a log start offset), and the two must
 * agree after every step. The second half is a seeded random-operation fuzzer over the same
 * pair; it prints its seed, and `SLUICE_FUZZ_SEED=<seed>` replays a failure exactly.
 *
 * The model knows nothing about segments except where the Kafka rule for a segment-level
 * operation (retention) needs their sizes, which it reads from the files on disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Log, type LogOptions } from '../../src/storage/log.js';
import { OffsetOutOfRangeError } from '../../src/errors.js';
import { BatchField, Codec, native } from '../../src/native.js';
import { segmentHandles } from '../../src/storage/handle-cache.js';
import type { RecordInput, Record as LogRecord } from '../../src/records/index.js';
import { encodeMessageSet, messageSetToRecordBatches, type LegacyMagic } from '../../src/records/legacy.js';
import { quietLogger } from '../helpers/logger.js';
import { copyDirFiles, logFilesIn, readAll, removeDir, rng, seedFrom, segmentName, tempDir } from '../helpers/storage.js';

// ------------------------------------------------------------------------------------ the model

interface ModelRecord {
  offset: bigint;
  key: string | null;
  value: string | null; // hex
  timestamp: number;
  headers: { key: string; value: string | null }[];
}

interface ModelBatch {
  baseOffset: bigint;
  lastOffset: bigint;
}

const hex = (b: Buffer | string | null | undefined): string | null => (b === null || b === undefined ? null : Buffer.from(b).toString('hex'));

class LogModel {
  /** Every record not truncated away, including those below logStartOffset (not readable). */
  records: ModelRecord[] = [];
  batches: ModelBatch[] = [];
  logStartOffset = 0n;
  nextOffset = 0n;

  append(inputs: RecordInput[], now: number): ModelBatch {
    const batch = { baseOffset: this.nextOffset, lastOffset: this.nextOffset + BigInt(inputs.length - 1) };
    for (const r of inputs) {
      const headers = Array.isArray(r.headers) ? r.headers.map((h) => ({ key: h.key, value: hex(h.value) })) : [];
      this.records.push({
        offset: this.nextOffset++,
        key: r.key === undefined || r.key === null ? null : hex(r.key),
        value: hex(r.value),
        timestamp: r.timestamp === undefined ? now : Number(r.timestamp),
        headers,
      });
    }
    this.batches.push(batch);
    return batch;
  }

  readable(): ModelRecord[] {
    return this.records.filter((r) => r.offset >= this.logStartOffset);
  }

  batchHolding(offset: bigint): ModelBatch | undefined {
    return this.batches.find((b) => b.baseOffset <= offset && offset <= b.lastOffset);
  }

  /** Batch-granular, as Kafka: a target inside a batch removes that whole batch. */
  truncateTo(offset: bigint): void {
    if (offset >= this.nextOffset) return;
    if (offset < this.logStartOffset) {
      this.records = [];
      this.batches = [];
      this.logStartOffset = offset;
      this.nextOffset = offset;
      return;
    }
    const i = this.batches.findIndex((b) => b.lastOffset >= offset);
    const cut = this.batches[i]!.baseOffset;
    this.batches = this.batches.slice(0, i);
    this.records = this.records.filter((r) => r.offset < cut);
    this.nextOffset = cut;
    if (this.logStartOffset > cut) this.logStartOffset = cut;
  }

  /** Kafka's DeleteRecords: raises logStartOffset; out of [0, nextOffset] is OFFSET_OUT_OF_RANGE. */
  deleteRecordsBefore(offset: bigint): 'ok' | 'out-of-range' {
    if (offset < 0n || offset > this.nextOffset) return 'out-of-range';
    if (offset > this.logStartOffset) this.logStartOffset = offset;
    return 'ok';
  }

  offsetForTimestamp(ts: number): bigint | null {
    return this.readable().find((r) => r.timestamp >= ts)?.offset ?? null;
  }

  /**
   * Kafka's retention.bytes rule over the segments on disk (oldest first, the active one last):
   * delete the oldest while the log stays at or above retention.bytes without it; an empty
   * active segment is never deleted; if every segment goes, a new one starts at nextOffset.
   * The new logStartOffset is the first remaining segment's base offset (if that is higher).
   * Returns the segments deleted by this rule plus those then wholly below logStartOffset.
   */
  applyRetentionBytes(segments: { baseOffset: bigint; size: number }[], retentionBytes: number): number {
    let excess = segments.reduce((n, s) => n + s.size, 0) - retentionBytes;
    let count = 0;
    while (count < segments.length) {
      const s = segments[count]!;
      if (count === segments.length - 1 && s.size === 0) break;
      if (excess - s.size < 0) break;
      excess -= s.size;
      count++;
    }
    if (count > 0) {
      const newStart = count === segments.length ? this.nextOffset : segments[count]!.baseOffset;
      if (newStart > this.logStartOffset) this.logStartOffset = newStart;
    }
    // Then, as every retention pass does, the segments wholly below logStartOffset go too.
    const rest = count === segments.length ? [] : segments.slice(count);
    let below = 0;
    while (below + 1 < rest.length && rest[below + 1]!.baseOffset <= this.logStartOffset) below++;
    return count + below;
  }
}

function fromLog(r: LogRecord): ModelRecord {
  return {
    offset: r.offset,
    key: hex(r.key),
    value: hex(r.value),
    timestamp: r.timestamp,
    headers: r.headers.map((h) => ({ key: h.key, value: hex(h.value) })),
  };
}

// ------------------------------------------------------------------------------------ harness

let dir: string;
let harness: Harness | undefined;

beforeEach(() => {
  dir = tempDir('model');
});

afterEach(async () => {
  await harness?.log.close().catch(() => undefined);
  harness = undefined;
  removeDir(dir);
});

const BASE: LogOptions = { backgroundTasks: false, segmentMs: Number.MAX_SAFE_INTEGER, retentionMs: -1, fileDeleteDelayMs: 0 };

class Harness {
  readonly model = new LogModel();
  constructor(
    public log: Log,
    public options: LogOptions,
  ) {}

  static async open(options: LogOptions = {}): Promise<Harness> {
    const full = { ...BASE, ...options };
    harness = new Harness(await Log.open(dir, { logger: quietLogger(), ...full }), full);
    return harness;
  }

  async append(inputs: RecordInput[], compression: Codec = Codec.None, context = 'append'): Promise<ModelBatch> {
    const before = Date.now();
    const result = await this.log.append(inputs, { compression });
    const after = Date.now();
    const expected = this.model.append(inputs, before);
    expect(result.baseOffset, context).toBe(expected.baseOffset);
    expect(result.lastOffset, context).toBe(expected.lastOffset);
    // Records without a timestamp take the encoder's clock reading: it must lie within the call.
    if (inputs.some((x) => x.timestamp === undefined)) {
      const stored = await this.log.readRecords(expected.baseOffset, 1);
      for (const [i, input] of inputs.entries()) {
        if (input.timestamp !== undefined) continue;
        const ts = stored[i]!.timestamp;
        expect(ts >= before && ts <= after, `${context}: default timestamp ${ts} outside [${before}, ${after}]`).toBe(true);
        this.model.records[this.model.records.length - inputs.length + i]!.timestamp = ts;
      }
    }
    return expected;
  }

  /**
   * Appends `inputs` as a legacy message set of `magic` (what Produce v0-v2 carries), converted
   * as the broker converts it: one magic-2 batch, magic-0 records without a timestamp (-1).
   */
  async appendLegacy(inputs: RecordInput[], magic: LegacyMagic, compression: Codec, context = 'appendLegacy'): Promise<ModelBatch> {
    const now = Date.now();
    const set = encodeMessageSet(inputs, { magic, compression, now });
    const result = await this.log.appendBatches(messageSetToRecordBatches(set, { assignOffsets: true }));
    const expected = this.model.append(
      inputs.map((x) => ({ ...x, timestamp: magic === 0 ? -1 : (x.timestamp ?? now) })),
      now,
    );
    expect(result.baseOffset, context).toBe(expected.baseOffset);
    expect(result.lastOffset, context).toBe(expected.lastOffset);
    return expected;
  }

  segmentsOnDisk(): { baseOffset: bigint; size: number }[] {
    return logFilesIn(dir).map((b) => ({ baseOffset: b, size: fs.statSync(path.join(dir, segmentName(b, '.log'))).size }));
  }

  async reopen(options: LogOptions = this.options): Promise<void> {
    await this.log.close();
    this.options = { ...BASE, ...options };
    this.log = await Log.open(dir, { logger: quietLogger(), ...this.options });
  }

  /**
   * Simulates a crash: copies the files of the open log (as the page cache holds them) to a new
   * directory, drops the old one, and opens the copy, which sees an unclean stop and recovers.
   */
  async crashAndReopen(): Promise<void> {
    const copy = tempDir('model');
    copyDirFiles(dir, copy);
    await this.log.close();
    removeDir(dir);
    dir = copy;
    this.log = await Log.open(dir, { logger: quietLogger(), ...this.options });
  }

  /**
   * Simulates a crash in the middle of writing one more batch (which the model never sees):
   * appends it, copies the files, and cuts the copy of the active `.log` somewhere inside that
   * batch, sometimes followed by zeros as a preallocated tail would be. Recovery must remove
   * exactly that batch.
   */
  async crashWithTornAppend(inputs: RecordInput[], cut: (size: number) => number, zeros: number): Promise<void> {
    const result = await this.log.append(inputs);
    const copy = tempDir('model');
    copyDirFiles(dir, copy);
    await this.log.close();
    removeDir(dir);
    dir = copy;
    const active = path.join(dir, segmentName(logFilesIn(dir).at(-1)!, '.log'));
    const size = fs.statSync(active).size;
    const removed = cut(result.sizeBytes);
    // A batch ends in zero bytes when its last record has no headers: zeros written over a cut
    // of only such bytes rebuild the batch exactly (seed 596001601). Keep it torn: fewer zeros.
    const tail = Buffer.alloc(removed);
    const fd = fs.openSync(active, 'r');
    fs.readSync(fd, tail, 0, removed, size - removed);
    fs.closeSync(fd);
    if (zeros >= removed && tail.every((b) => b === 0)) zeros = removed - 1;
    fs.truncateSync(active, size - removed);
    if (zeros > 0) fs.appendFileSync(active, Buffer.alloc(zeros));
    this.log = await Log.open(dir, { logger: quietLogger(), ...this.options });
  }

  /** The whole observable state agrees with the model. */
  async check(context = ''): Promise<void> {
    const { log, model } = this;
    expect(log.nextOffset, `nextOffset ${context}`).toBe(model.nextOffset);
    expect(log.logStartOffset, `logStartOffset ${context}`).toBe(model.logStartOffset);
    const got = (await readAll(log)).map(fromLog);
    expect(got, `records ${context}`).toEqual(model.readable());
    expect(log.segmentBaseOffsets, `segments ${context}`).toEqual(logFilesIn(dir));
    expect(log.segmentBaseOffsets[0]! <= log.logStartOffset, `first segment holds logStartOffset ${context}`).toBe(true);
  }
}

const TS = 1_700_000_000_000;

function textRecords(n: number, tag: string, tsFrom = TS): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, value: `${tag}-value-${i}`, timestamp: tsFrom + i }));
}

// ------------------------------------------------------------------------------------ model tests

describe('Log against an in-memory model, operation by operation', () => {
  it('appends get the offsets the model assigns and every offset reads back the model record', async () => {
    const h = await Harness.open({ segmentBytes: 600, indexIntervalBytes: 100 });
    const codecs = [Codec.None, Codec.Gzip, Codec.Snappy, Codec.Lz4, Codec.Zstd];
    for (let i = 0; i < 25; i++) {
      await h.append(
        [
          { key: null, value: Buffer.from([i, 0, 255]), timestamp: TS + 5 - i },
          {
            key: `k${i}`,
            value: null,
            headers: [
              { key: 'h', value: `v${i}` },
              { key: 'h', value: null },
            ],
          },
          { key: `k${i}b`, value: 'x'.repeat(i * 7), timestamp: TS + i * 1000 },
        ],
        codecs[i % codecs.length],
      );
    }
    await h.check();
    expect(h.log.segmentCount).toBeGreaterThan(3);
    for (let o = 0n; o < h.model.nextOffset; o++) {
      const [first] = await h.log.readRecords(o, 1 << 20);
      expect(fromLog(first!)).toEqual(h.model.records[Number(o)]);
    }
    expect(await h.log.readRecords(h.model.nextOffset, 1 << 20)).toEqual([]);
    await expect(h.log.read(h.model.nextOffset + 1n, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
  });

  it('legacy message sets (magic 0 without timestamps, magic 1; plain and compressed) append across index entries, rolls, a reopen and a crash recovery', async () => {
    const h = await Harness.open({ segmentBytes: 700, indexIntervalBytes: 60 });
    const codecs = [Codec.None, Codec.Gzip, Codec.Snappy, Codec.Lz4];
    const round = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const inputs = [
          { key: `k${i}`, value: `legacy-record-number-${i}`, timestamp: TS + i },
          { key: null, value: 'y'.repeat(i * 3), timestamp: TS - i },
        ];
        await h.appendLegacy(inputs, (i % 3 === 2 ? 1 : 0) as LegacyMagic, codecs[i % codecs.length]!);
      }
      await h.append(textRecords(2, `modern-${n}`));
      await h.check();
    };
    await round(30);
    expect(h.log.segmentCount).toBeGreaterThan(3);
    await h.reopen();
    await round(10);
    await h.crashAndReopen();
    await round(10);
    expect(await h.log.offsetForTimestamp(TS + 1)).toBe(h.model.offsetForTimestamp(TS + 1));
  });

  it('readRecords with maxBytes smaller than any batch returns exactly the batch holding the offset', async () => {
    const h = await Harness.open({ segmentBytes: 1000 });
    for (let i = 0; i < 30; i++) await h.append(textRecords((i % 4) + 1, `b${i}`), i % 2 === 0 ? Codec.None : Codec.Zstd);
    for (let o = 0n; o < h.model.nextOffset; o++) {
      const batch = h.model.batchHolding(o)!;
      const got = await h.log.readRecords(o, 1);
      expect(got.map((r) => r.offset)).toEqual(
        h.model
          .readable()
          .filter((r) => r.offset >= o && r.offset <= batch.lastOffset)
          .map((r) => r.offset),
      );
      const raw = await h.log.read(o, 1);
      const scan = native.scanBatches(raw);
      expect(scan.error).toBeNull();
      expect(scan.count).toBe(1);
      expect(BigInt(scan.headers[BatchField.BaseOffset]!)).toBe(batch.baseOffset);
    }
  });

  it('offsetForTimestamp returns the first readable offset whose timestamp is at or after the target, as the model does', async () => {
    const h = await Harness.open({ segmentBytes: 900, indexIntervalBytes: 60 });
    const r = rng(7);
    for (let i = 0; i < 40; i++) {
      // Timestamps jump back and forth, inside and across batches.
      await h.append(Array.from({ length: r.int(1, 4) }, (_, j) => ({ value: `v${i}-${j}`, timestamp: TS + r.int(-5000, 5000) })));
    }
    expect(h.log.segmentCount).toBeGreaterThan(3);
    const targets = [0, TS - 6000, TS + 5001, ...h.model.records.map((x) => x.timestamp), ...h.model.records.map((x) => x.timestamp + 1)];
    for (const t of targets) expect(await h.log.offsetForTimestamp(t), `ts ${t}`).toBe(h.model.offsetForTimestamp(t));
    for (const start of [3n, 17n, 40n, h.model.nextOffset]) {
      await h.log.deleteRecordsBefore(start);
      h.model.deleteRecordsBefore(start);
      for (const t of targets) expect(await h.log.offsetForTimestamp(t), `ts ${t} from ${start}`).toBe(h.model.offsetForTimestamp(t));
    }
  });

  it('truncateTo at every offset removes whole batches exactly as the model does', async () => {
    const sizes = [3, 1, 4, 1, 5, 2, 6, 1, 3];
    const total = sizes.reduce((a, b) => a + b, 0);
    for (let target = 0; target <= total + 1; target++) {
      removeDir(dir);
      dir = tempDir('model');
      const h = await Harness.open({ segmentBytes: 500, indexIntervalBytes: 50 });
      for (const [i, n] of sizes.entries()) await h.append(textRecords(n, `t${i}`));
      await h.log.truncateTo(BigInt(target));
      h.model.truncateTo(BigInt(target));
      await h.check(`after truncateTo(${target})`);
      const r = await h.append(textRecords(2, 'after'));
      expect(r.baseOffset).toBe(h.model.batches.at(-1)!.baseOffset);
      await h.check(`after appending past truncateTo(${target})`);
      await h.reopen();
      await h.check(`after reopening past truncateTo(${target})`);
      await h.log.close();
      harness = undefined;
    }
  });

  it('truncateTo below the log start offset empties the log and restarts it at the target', async () => {
    const h = await Harness.open({ segmentBytes: 500 });
    for (let i = 0; i < 10; i++) await h.append(textRecords(3, `t${i}`));
    await h.log.deleteRecordsBefore(20n);
    h.model.deleteRecordsBefore(20n);
    await h.log.truncateTo(12n);
    h.model.truncateTo(12n);
    await h.check();
    expect(h.log.segmentCount).toBe(1);
    await h.append(textRecords(2, 'again'));
    await h.check();
  });

  it('deleteRecordsBefore raises the log start offset as the model does and rejects targets past nextOffset', async () => {
    const h = await Harness.open({ segmentBytes: 600 });
    for (let i = 0; i < 20; i++) await h.append(textRecords(3, `d${i}`));
    for (const target of [0n, 4n, 4n, 2n, 19n, 33n, 60n]) {
      expect(await h.log.deleteRecordsBefore(target)).toBe((h.model.deleteRecordsBefore(target), h.model.logStartOffset));
      await h.check(`deleteRecordsBefore(${target})`);
    }
    await expect(h.log.deleteRecordsBefore(61n)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(h.log.deleteRecordsBefore(-1n)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await h.check();
    await h.reopen();
    await h.check('after reopen');
  });

  it('roll starts a new segment at nextOffset without changing what is readable, and an empty active segment does not roll', async () => {
    const h = await Harness.open();
    await h.append(textRecords(3, 'a'));
    h.log.roll();
    expect(h.log.segmentBaseOffsets).toEqual([0n, 3n]);
    h.log.roll();
    expect(h.log.segmentBaseOffsets).toEqual([0n, 3n]);
    await h.append(textRecords(2, 'b'));
    h.log.roll();
    expect(h.log.segmentBaseOffsets).toEqual([0n, 3n, 5n]);
    await h.check();
    await h.reopen();
    await h.check('after reopen');
  });

  it('applyRetention with retention.bytes deletes the oldest segments the Kafka rule selects', async () => {
    for (const retentionBytes of [0, 1, 700, 1500, 3000, 1 << 30]) {
      removeDir(dir);
      dir = tempDir('model');
      const h = await Harness.open({ segmentBytes: 700 });
      for (let i = 0; i < 30; i++) await h.append(textRecords(2, `r${i}`));
      const before = h.segmentsOnDisk();
      h.log.updateConfig({ retentionBytes });
      const deleted = await h.log.applyRetention();
      expect(deleted, `retention.bytes ${retentionBytes}`).toBe(h.model.applyRetentionBytes(before, retentionBytes));
      await h.check(`retention.bytes ${retentionBytes}`);
      await h.reopen({ ...h.options, retentionBytes });
      await h.check(`after reopen, retention.bytes ${retentionBytes}`);
      await h.log.close();
      harness = undefined;
    }
  });
});

// ------------------------------------------------------------------------------------ fuzzer

describe('Log against the model under a seeded random sequence of operations', () => {
  it('agrees with the model after every one of ~1500 random operations', async () => {
    await fuzzAgainstModel(Number(process.env.SLUICE_FUZZ_OPS ?? 1500));
  });

  it('agrees with the model when the handle cache keeps one segment open, so every other segment is released and reopened', async () => {
    const before = segmentHandles.maxOpen;
    segmentHandles.setMaxOpen(1);
    try {
      const evictionsBefore = segmentHandles.stats().evictions;
      await fuzzAgainstModel(Number(process.env.SLUICE_FUZZ_OPS ?? 1500) / 2);
      expect(segmentHandles.stats().evictions).toBeGreaterThan(evictionsBefore);
    } finally {
      segmentHandles.setMaxOpen(before);
    }
  });
});

async function fuzzAgainstModel(OPS: number): Promise<void> {
  {
    const seed = seedFrom('SLUICE_FUZZ_SEED');
    console.log(`log-model fuzzer seed: ${seed} (replay with SLUICE_FUZZ_SEED=${seed})`);
    const r = rng(seed);
    const codecs = [Codec.None, Codec.None, Codec.Gzip, Codec.Snappy, Codec.Lz4, Codec.Zstd];
    const legacyCodecs = [Codec.None, Codec.None, Codec.Gzip, Codec.Snappy, Codec.Lz4];

    const randomConfig = (): LogOptions => ({
      segmentBytes: r.pick([300, 800, 2000, 8000]),
      indexIntervalBytes: r.pick([0, 50, 200, 4096]),
      segmentIndexBytes: r.pick([48, 120, 10 * 1024 * 1024]),
    });
    const randomBytes = (n: number): Buffer => {
      const b = Buffer.alloc(n);
      const compressible = r.chance(0.5);
      for (let i = 0; i < n; i++) b[i] = compressible ? 97 + (i % 5) : r.int(0, 255);
      return b;
    };
    const randomRecord = (): RecordInput => {
      const rec: RecordInput = { value: r.chance(0.1) ? null : randomBytes(r.int(0, 200)) };
      if (r.chance(0.7)) rec.key = r.chance(0.2) ? null : `key-${r.int(0, 50)}`;
      if (r.chance(0.3))
        rec.headers = Array.from({ length: r.int(1, 2) }, (_, i) => ({ key: `h${i}`, value: r.chance(0.2) ? null : randomBytes(r.int(0, 20)) }));
      // Non-monotonic timestamps; a few records take the batch's own `now`.
      if (r.chance(0.9)) rec.timestamp = TS + r.int(-100_000, 100_000);
      return rec;
    };

    const h = await Harness.open(randomConfig());
    const stats: Record<string, number> = {};
    const trace: string[] = [];
    let maxSegments = 0;
    let lastReadEnd: bigint | null = null;
    for (let step = 0; step < OPS; step++) {
      const { log, model } = h;
      const roll = r.next();
      let op = '?';
      try {
        if (roll < 0.45) {
          const inputs = Array.from({ length: r.int(1, 8) }, randomRecord);
          if (r.chance(0.3)) {
            // A legacy producer (Produce v0-v2): magic 0 (no timestamps) or 1, no headers.
            const magic = r.pick([0, 1] as const);
            const codec = r.pick(legacyCodecs);
            for (const x of inputs) delete x.headers;
            op = `appendLegacy(${inputs.length}, magic ${magic}, codec ${codec})`;
            await h.appendLegacy(inputs, magic, codec, op);
          } else {
            const codec = r.pick(codecs);
            op = `append(${inputs.length}, codec ${codec})`;
            await h.append(inputs, codec, op);
          }
        } else if (roll < 0.55) {
          // Often where the last read ended, as a consumer reads along (the segments' remembered
          // read ends), else anywhere around the log.
          const offset: bigint =
            lastReadEnd !== null && r.chance(0.4) ? lastReadEnd : BigInt(r.int(Number(model.logStartOffset) - 3, Number(model.nextOffset) + 3));
          op = `read(${offset})`;
          if (offset < model.logStartOffset || offset > model.nextOffset) {
            await expect(log.read(offset, r.int(1, 5000)), op).rejects.toBeInstanceOf(OffsetOutOfRangeError);
            await expect(log.readRecords(offset, 1), op).rejects.toBeInstanceOf(OffsetOutOfRangeError);
          } else if (offset === model.nextOffset) {
            expect((await log.read(offset, 5000)).length, op).toBe(0);
          } else if (r.chance(0.3)) {
            // Bounded by a high watermark: batches holding or past maxOffset are not returned.
            const maxOffset = BigInt(r.int(Number(offset), Number(model.nextOffset)));
            const maxBytes = r.pick([1, r.int(1, 3000)]);
            op = `read(${offset}, maxOffset ${maxOffset})`;
            const got = (await log.readRecords(offset, maxBytes, { maxOffset })).map(fromLog);
            const eligible = model.readable().filter((x) => x.offset >= offset && model.batchHolding(x.offset)!.lastOffset < maxOffset);
            expect(got, op).toEqual(eligible.slice(0, got.length));
            if (eligible.length > 0) expect(got.length, op).toBeGreaterThanOrEqual(Number(model.batchHolding(offset)!.lastOffset - offset) + 1);
          } else {
            const maxBytes = r.pick([1, r.int(1, 3000)]);
            const got = (await log.readRecords(offset, maxBytes)).map(fromLog);
            if (got.length > 0) lastReadEnd = got[got.length - 1]!.offset + 1n;
            const batch = model.batchHolding(offset)!;
            // At least the whole batch holding the offset, then a contiguous run of the model's records.
            expect(got.length, op).toBeGreaterThanOrEqual(Number(batch.lastOffset - offset) + 1);
            const readable = model.readable();
            const from = readable.findIndex((x) => x.offset === offset);
            expect(got, op).toEqual(readable.slice(from, from + got.length));
            if (maxBytes === 1) expect(got.length, op).toBe(Number(batch.lastOffset - offset) + 1);
            const raw = await log.read(offset, maxBytes);
            const scan = native.scanBatches(raw);
            expect(scan.error, op).toBeNull();
            expect(scan.validBytes, op).toBe(raw.length);
            expect(BigInt(scan.headers[BatchField.BaseOffset]!), op).toBe(batch.baseOffset);
            // More than one batch only while they fit in maxBytes.
            if (scan.count > 1) expect(raw.length, op).toBeLessThanOrEqual(maxBytes);
          }
        } else if (roll < 0.62) {
          const t = r.chance(0.5) && model.records.length > 0 ? r.pick(model.records).timestamp + r.int(-1, 1) : TS + r.int(-120_000, 120_000);
          op = `offsetForTimestamp(${t})`;
          expect(await log.offsetForTimestamp(t), op).toBe(model.offsetForTimestamp(t));
        } else if (roll < 0.69) {
          // Mostly a follower's short truncation near the end; sometimes anywhere, even below the start.
          const low = r.chance(0.2) ? Math.max(0, Number(model.logStartOffset) - 5) : Math.max(0, Number(model.nextOffset) - 40);
          const offset = BigInt(r.int(low, Number(model.nextOffset) + 2));
          op = `truncateTo(${offset})`;
          await log.truncateTo(offset);
          model.truncateTo(offset);
        } else if (roll < 0.75) {
          op = 'roll()';
          log.roll();
        } else if (roll < 0.82) {
          const high = r.chance(0.2) ? Number(model.nextOffset) + 2 : Math.min(Number(model.nextOffset), Number(model.logStartOffset) + 60);
          const offset = BigInt(r.int(Number(model.logStartOffset) - 2, high));
          op = `deleteRecordsBefore(${offset})`;
          const expected = model.deleteRecordsBefore(offset);
          if (expected === 'out-of-range') await expect(log.deleteRecordsBefore(offset), op).rejects.toBeInstanceOf(OffsetOutOfRangeError);
          else expect(await log.deleteRecordsBefore(offset), op).toBe(model.logStartOffset);
        } else if (roll < 0.9) {
          const retentionBytes = r.chance(0.2) ? r.int(0, log.size + 500) : r.int(Math.floor(log.size * 0.7), log.size + 500);
          op = `applyRetention(retention.bytes ${retentionBytes})`;
          const before = h.segmentsOnDisk();
          log.updateConfig({ retentionBytes });
          const deleted = await log.applyRetention();
          log.updateConfig({ retentionBytes: -1 });
          expect(deleted, op).toBe(model.applyRetentionBytes(before, retentionBytes));
        } else if (roll < 0.93) {
          op = 'flush()';
          await log.flush();
        } else if (roll < 0.95) {
          op = 'crashAndReopen()';
          await h.crashAndReopen();
        } else if (roll < 0.97) {
          const zeros = r.chance(0.3) ? r.int(1, 5000) : 0;
          op = `crashWithTornAppend(zeros ${zeros})`;
          await h.crashWithTornAppend(Array.from({ length: r.int(1, 5) }, randomRecord), (size) => r.int(1, size - 1), zeros);
        } else {
          const config = r.chance(0.5) ? randomConfig() : h.options;
          op = `reopen(${JSON.stringify(config)})`;
          await h.reopen(config);
        }
        trace.push(op);
        await h.check(`after step ${step}: ${op}`);
      } catch (err) {
        console.log(`seed ${seed}: failed at step ${step} (${op}); operations before it:\n  ${trace.slice(-15).join('\n  ')}`);
        throw err;
      }
      stats[op.replace(/\(.*$/, '')] = (stats[op.replace(/\(.*$/, '')] ?? 0) + 1;
      maxSegments = Math.max(maxSegments, h.log.segmentCount);
    }
    console.log(
      `seed ${seed}: ${JSON.stringify(stats)}; up to ${maxSegments} segments; final log ${h.log.segmentCount} segments, offsets [${h.log.logStartOffset}, ${h.log.nextOffset})`,
    );
  }
}
