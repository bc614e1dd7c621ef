/**
 * Byte-layout tests: the files a Log and a LogManager leave on disk are Kafka's formats, read
 * here with hand-written offsets taken from Kafka's DefaultRecordBatch, OffsetIndex, TimeIndex
 * and OffsetCheckpointFile (never with sluice's own constants, so a shared mistake cannot hide).
 *
 *   record batch header (61 bytes):
 *     0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8 |
 *     17 crc u32 (CRC-32C of [21, end)) | 21 attributes i16 | 23 lastOffsetDelta i32 |
 *     27 baseTimestamp i64 | 35 maxTimestamp i64 | 43 producerId i64 | 51 producerEpoch i16 |
 *     53 baseSequence i32 | 57 recordCount i32 | 61 records
 *   .index      8-byte entries, big-endian: relative offset u32, position u32
 *   .timeindex 12-byte entries, big-endian: timestamp i64, relative offset u32
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Log, type LogOptions } from '../../src/storage/log.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { Codec, native } from '../../src/native.js';
import { encodeRecordBatch, type RecordInput } from '../../src/records/index.js';
import { quietLogger } from '../helpers/logger.js';
import { batchesOf, logFilesIn, markUnclean, readAll, removeDir, segmentName, tempDir, type DiskBatch } from '../helpers/storage.js';

let dir: string;
const toClose: { close(): Promise<void> }[] = [];

beforeEach(() => {
  dir = tempDir('layout');
});

afterEach(async () => {
  for (const c of toClose.splice(0)) await c.close().catch(() => undefined);
  removeDir(dir);
});

const BASE: LogOptions = { backgroundTasks: false, segmentMs: Number.MAX_SAFE_INTEGER, retentionMs: -1 };

async function openLog(options: LogOptions = {}): Promise<Log> {
  const log = await Log.open(dir, { logger: quietLogger(), ...BASE, ...options });
  toClose.push(log);
  return log;
}

function file(base: bigint | number, suffix: '.log' | '.index' | '.timeindex'): string {
  return path.join(dir, segmentName(base, suffix));
}

function offsetIndexEntries(bytes: Buffer): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < bytes.length; p += 8) out.push([bytes.readUInt32BE(p), bytes.readUInt32BE(p + 4)]);
  return out;
}

function timeIndexEntries(bytes: Buffer): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < bytes.length; p += 12) out.push([Number(bytes.readBigInt64BE(p)), bytes.readUInt32BE(p + 8)]);
  return out;
}

/**
 * The entries Kafka's LogSegment.append writes for these batches (one append per batch): before
 * appending a batch, if more than `interval` bytes were appended since the last entry, index
 * (batch last offset, batch position) and time-index (max timestamp so far incl. this batch, the
 * last offset of the first batch that reached it) when that timestamp grew. On roll, the
 * segment's max timestamp is appended once more if it grew.
 */
function kafkaIndexes(batches: DiskBatch[], base: number, interval: number, sealed: boolean): { offsets: [number, number][]; times: [number, number][] } {
  const offsets: [number, number][] = [];
  const times: [number, number][] = [];
  let bytesSince = 0;
  let maxTs = -1;
  let offsetOfMax = -1;
  const maybeAppendTime = (): void => {
    const lastTs = times.length === 0 ? -1 : times[times.length - 1]![0];
    if (maxTs > lastTs) times.push([maxTs, offsetOfMax - base]);
  };
  for (const b of batches) {
    if (b.maxTimestamp > maxTs) {
      maxTs = b.maxTimestamp;
      offsetOfMax = b.lastOffset;
    }
    if (bytesSince > interval) {
      offsets.push([b.lastOffset - base, b.position]);
      maybeAppendTime();
      bytesSince = 0;
    }
    bytesSince += b.size;
  }
  if (sealed) maybeAppendTime();
  return { offsets, times };
}

describe('.log files', () => {
  it('hold exactly the appended batches, base offsets stamped, with every header field at its Kafka offset', async () => {
    const log = await openLog();
    const specs: { records: RecordInput[]; codec: Codec }[] = [
      { records: [{ key: 'a', value: 'one', timestamp: 1_000 }], codec: Codec.None },
      {
        records: [
          { key: null, value: 'two', timestamp: 2_500 },
          { key: 'b', value: null, timestamp: 2_000 },
          { value: 'x', timestamp: 2_100, headers: [{ key: 'h', value: 'v' }] },
        ],
        codec: Codec.None,
      },
      { records: Array.from({ length: 5 }, (_, i) => ({ value: `gz-${i}`.repeat(10), timestamp: 3_000 + i })), codec: Codec.Gzip },
      { records: Array.from({ length: 4 }, (_, i) => ({ value: `zs-${i}`.repeat(10), timestamp: 4_000 - i })), codec: Codec.Zstd },
    ];
    const expected: Buffer[] = [];
    let next = 0n;
    for (const spec of specs) {
      const r = await log.append(spec.records, { compression: spec.codec });
      expect(r.baseOffset).toBe(next);
      expected.push(encodeRecordBatch(spec.records, { baseOffset: next, compression: spec.codec }));
      next += BigInt(spec.records.length);
    }
    await log.close();

    const bytes = fs.readFileSync(file(0, '.log'));
    expect(bytes.equals(Buffer.concat(expected))).toBe(true);

    let position = 0;
    let baseOffset = 0n;
    for (const spec of specs) {
      const b = bytes.subarray(position, position + bytes.readInt32BE(position + 8) + 12);
      const timestamps = spec.records.map((r) => Number(r.timestamp));
      expect(b.readBigInt64BE(0)).toBe(baseOffset);
      expect(b.readInt32BE(8)).toBe(b.length - 12);
      expect(b.readInt32BE(12)).toBe(-1);
      expect(b.readInt8(16)).toBe(2);
      expect(b.readUInt32BE(17)).toBe(native.crc32c(b.subarray(21)));
      expect(b.readInt16BE(21)).toBe(spec.codec); // compression in bits 0-2, CreateTime, not transactional
      expect(b.readInt32BE(23)).toBe(spec.records.length - 1);
      expect(Number(b.readBigInt64BE(27))).toBe(timestamps[0]);
      expect(Number(b.readBigInt64BE(35))).toBe(Math.max(...timestamps));
      expect(b.readBigInt64BE(43)).toBe(-1n);
      expect(b.readInt16BE(51)).toBe(-1);
      expect(b.readInt32BE(53)).toBe(-1);
      expect(b.readInt32BE(57)).toBe(spec.records.length);
      position += b.length;
      baseOffset += BigInt(spec.records.length);
    }
    expect(position).toBe(bytes.length);
  });

  it('keep a pre-encoded batch byte for byte except the base offset and a stamped leader epoch, which the CRC does not cover', async () => {
    const log = await openLog();
    await log.append([{ value: 'first', timestamp: 1 }]);
    const batch = encodeRecordBatch(
      [
        { value: 'p1', timestamp: 10 },
        { value: 'p2', timestamp: 11 },
      ],
      { baseOffset: 9999n, producerId: 42n, producerEpoch: 3, baseSequence: 17 },
    );
    const original = Buffer.from(batch);
    await log.appendBatches(batch, { partitionLeaderEpoch: 7 });
    await log.close();
    const stored = batchesOf(fs.readFileSync(file(0, '.log')))[1]!.bytes;
    expect(stored.length).toBe(original.length);
    expect(stored.readBigInt64BE(0)).toBe(1n);
    expect(stored.readInt32BE(12)).toBe(7);
    expect(stored.subarray(8, 12).equals(original.subarray(8, 12))).toBe(true);
    expect(stored.subarray(16).equals(original.subarray(16))).toBe(true); // magic, CRC and everything it covers
    expect(stored.readUInt32BE(17)).toBe(native.crc32c(stored.subarray(21)));
    expect(stored.readBigInt64BE(43)).toBe(42n);
  });

  it('are named by their base offset as 20 zero-padded digits, with .index and .timeindex beside each', async () => {
    const log = await openLog({ segmentBytes: 400 });
    for (let i = 0; i < 30; i++) await log.append([{ value: `v${i}`.padEnd(60, '.'), timestamp: 1000 + i }]);
    const bases = log.segmentBaseOffsets;
    expect(bases.length).toBeGreaterThan(3);
    await log.close();
    const names = fs
      .readdirSync(dir)
      .filter((n) => n !== 'sluice-log.state')
      .sort();
    const expected = bases
      .flatMap((b) => [`${String(b).padStart(20, '0')}.index`, `${String(b).padStart(20, '0')}.log`, `${String(b).padStart(20, '0')}.timeindex`])
      .sort();
    expect(names).toEqual(expected);
    for (const name of names) expect(name).toMatch(/^\d{20}\.(log|index|timeindex)$/);
    // Each file's base offset is the base offset of its first batch.
    for (const b of bases) expect(batchesOf(fs.readFileSync(file(b, '.log')))[0]!.baseOffset).toBe(Number(b));
  });
});

describe('.index and .timeindex files', () => {
  const INTERVAL = 300;

  async function writeVaried(options: LogOptions): Promise<Log> {
    const log = await openLog({ indexIntervalBytes: INTERVAL, ...options });
    for (let i = 0; i < 60; i++) {
      const n = (i % 5) + 1;
      // Timestamps wander up and down, so the time index must keep the max so far.
      const ts = 10_000 + ((i * 7919) % 300) - (i % 3) * 50;
      await log.append(Array.from({ length: n }, (_, j) => ({ key: `k${i}`, value: `v${i}-${j}`.repeat(1 + (i % 4)), timestamp: ts + j })));
    }
    return log;
  }

  it("follow Kafka's rule: an entry (batch last offset, batch position) once more than index.interval.bytes were appended", async () => {
    const log = await writeVaried({});
    await log.close();
    const batches = batchesOf(fs.readFileSync(file(0, '.log')));
    const index = fs.readFileSync(file(0, '.index'));
    expect(index.length % 8).toBe(0); // trimmed to whole entries on close
    const entries = offsetIndexEntries(index);
    expect(entries.length).toBeGreaterThan(5);
    expect(entries).toEqual(kafkaIndexes(batches, 0, INTERVAL, false).offsets);
    for (const [rel, position] of entries) {
      const batch = batches.find((b) => b.position === position);
      expect(batch, `entry (${rel}, ${position}) points at a batch start`).toBeDefined();
      expect(batch!.lastOffset).toBe(rel);
    }
  });

  it('use offsets relative to the segment base and end every segment, rolled or closed, with its final time-index entry (the segment max timestamp)', async () => {
    const log = await writeVaried({ segmentBytes: 2500 });
    const bases = log.segmentBaseOffsets.map(Number);
    expect(bases.length).toBeGreaterThan(3);
    await log.close();
    for (const base of bases) {
      // Kafka writes the final time-index entry on roll and on close alike.
      const sealed = true;
      const batches = batchesOf(fs.readFileSync(file(base, '.log')));
      const expected = kafkaIndexes(batches, base, INTERVAL, sealed);
      expect(offsetIndexEntries(fs.readFileSync(file(base, '.index'))), `index of ${base}`).toEqual(expected.offsets);
      const times = timeIndexEntries(fs.readFileSync(file(base, '.timeindex')));
      expect(times, `timeindex of ${base}`).toEqual(expected.times);
      for (let t = 1; t < times.length; t++) {
        expect(times[t]![0]).toBeGreaterThanOrEqual(times[t - 1]![0]);
        expect(times[t]![1]).toBeGreaterThanOrEqual(times[t - 1]![1]);
      }
      if (sealed) {
        const segmentMax = Math.max(...batches.map((b) => b.maxTimestamp));
        expect(times.at(-1)![0]).toBe(segmentMax);
        expect(times.at(-1)![1] + base).toBe(batches.find((b) => b.maxTimestamp === segmentMax)!.lastOffset);
      }
    }
  });

  it('are preallocated to segment.index.bytes while active, trimmed on roll and on close', async () => {
    const log = await openLog({ segmentIndexBytes: 8000, indexIntervalBytes: 50, segmentBytes: 3000 });
    for (let i = 0; i < 8; i++) await log.append([{ value: `v${i}`.repeat(20), timestamp: 100 + i }]);
    expect(log.segmentCount).toBe(1);
    expect(fs.statSync(file(0, '.index')).size).toBe(8000);
    expect(fs.statSync(file(0, '.timeindex')).size).toBe(7992); // whole 12-byte entries
    while (log.segmentCount < 3) await log.append([{ value: 'w'.repeat(100), timestamp: 200 }]);
    const [first, second, active] = log.segmentBaseOffsets as [bigint, bigint, bigint];
    for (const sealed of [first, second]) {
      const batches = batchesOf(fs.readFileSync(file(sealed, '.log')));
      const expected = kafkaIndexes(batches, Number(sealed), 50, true);
      expect(fs.statSync(file(sealed, '.index')).size).toBe(expected.offsets.length * 8);
      expect(fs.statSync(file(sealed, '.timeindex')).size).toBe(expected.times.length * 12);
    }
    expect(fs.statSync(file(active, '.index')).size).toBe(8000);
    await log.close();
    const batches = batchesOf(fs.readFileSync(file(active, '.log')));
    const expected = kafkaIndexes(batches, Number(active), 50, false);
    expect(fs.statSync(file(active, '.index')).size).toBe(expected.offsets.length * 8);
    expect(offsetIndexEntries(fs.readFileSync(file(active, '.index')))).toEqual(expected.offsets);
  });

  it('are grown back to segment.index.bytes when a closed log is reopened for appends', async () => {
    const log = await openLog({ segmentIndexBytes: 4000, indexIntervalBytes: 50 });
    for (let i = 0; i < 10; i++) await log.append([{ value: `v${i}`.repeat(20), timestamp: 100 + i }]);
    await log.close();
    const trimmed = fs.statSync(file(0, '.index')).size;
    expect(trimmed).toBeLessThan(4000);
    const reopened = await openLog({ segmentIndexBytes: 4000, indexIntervalBytes: 50 });
    expect(fs.statSync(file(0, '.index')).size).toBe(4000);
    for (let i = 10; i < 20; i++) await reopened.append([{ value: `v${i}`.repeat(20), timestamp: 100 + i }]);
    await reopened.close();
    const batches = batchesOf(fs.readFileSync(file(0, '.log')));
    expect(offsetIndexEntries(fs.readFileSync(file(0, '.index')))).toEqual(kafkaIndexes(batches, 0, 50, false).offsets);
  });

  it.each([
    ['recovered after an unclean stop', true],
    ['rebuilt after failing the sanity check', false],
  ])('of sealed segments %s are trimmed to their entries again, the active one stays preallocated', async (_what, unclean) => {
    const options = { segmentIndexBytes: 8000, indexIntervalBytes: 50, segmentBytes: 3000 };
    const log = await openLog(options);
    while (log.segmentCount < 3) await log.append([{ value: 'w'.repeat(100), timestamp: 200 + log.segmentCount }]);
    const bases = log.segmentBaseOffsets.map(Number);
    await log.close();
    if (unclean) {
      markUnclean(dir);
    } else {
      // Zeroed entries are out of order: the sanity check on a clean start rejects them.
      for (const base of bases.slice(0, -1)) fs.writeFileSync(file(base, '.index'), Buffer.alloc(fs.statSync(file(base, '.index')).size));
    }
    const reopened = await openLog(options);
    for (const base of bases.slice(0, -1)) {
      const expected = kafkaIndexes(batchesOf(fs.readFileSync(file(base, '.log'))), base, 50, true);
      expect(fs.statSync(file(base, '.index')).size, `index of ${base}`).toBe(expected.offsets.length * 8);
      expect(offsetIndexEntries(fs.readFileSync(file(base, '.index')))).toEqual(expected.offsets);
      expect(timeIndexEntries(fs.readFileSync(file(base, '.timeindex')))).toEqual(expected.times);
    }
    expect(fs.statSync(file(bases.at(-1)!, '.index')).size).toBe(8000);
    await reopened.close();
  });

  it('keep what fits when a recovered segment holds more entries than the current segment.index.bytes allows, and the log stays readable and appendable', async () => {
    const log = await openLog({ segmentIndexBytes: 8000, indexIntervalBytes: 0 });
    for (let i = 0; i < 20; i++) await log.append([{ value: `v${i}`, timestamp: 100 + i }]);
    await log.close();
    markUnclean(dir);
    // 48 bytes: six offset entries, where every one of the 20 batches had one.
    const reopened = await openLog({ segmentIndexBytes: 48, indexIntervalBytes: 0 });
    expect(offsetIndexEntries(fs.readFileSync(file(0, '.index'))).length).toBe(6);
    const values = (await readAll(reopened)).map((r) => r.value!.toString());
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
    expect((await reopened.readRecords(17n, 1))[0]!.value!.toString()).toBe('v17');
    const { baseOffset } = await reopened.append([{ value: 'after', timestamp: 200 }]);
    expect(baseOffset).toBe(20n);
    expect(reopened.segmentCount).toBe(2); // the full index rolled the segment
    await reopened.close();
  });
});

describe('LogManager data directory', () => {
  it("writes Kafka's checkpoint files and the clean-shutdown marker on close", async () => {
    const manager = await LogManager.open(dir, {
      logger: quietLogger(),
      backgroundTasks: false,
      defaults: { segmentMs: Number.MAX_SAFE_INTEGER, retentionMs: -1 },
    });
    toClose.push(manager);
    expect(fs.existsSync(path.join(dir, '.kafka_cleanshutdown'))).toBe(false);
    const counts: [string, number, number][] = [
      ['orders', 0, 5],
      ['orders', 1, 3],
      ['my-topic', 2, 7],
    ];
    for (const [topic, partition, n] of counts) {
      const log = await manager.getOrCreateLog(topic, partition);
      for (let i = 0; i < n; i++) await log.append([{ value: `${topic}-${i}`, timestamp: 1000 + i }]);
    }
    await manager.getLog('my-topic', 2)!.deleteRecordsBefore(4n);
    await manager.close();

    expect(fs.existsSync(path.join(dir, 'orders-0', '00000000000000000000.log'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'my-topic-2', '00000000000000000000.log'))).toBe(true);
    const marker = path.join(dir, '.kafka_cleanshutdown');
    expect(fs.existsSync(marker)).toBe(true);
    expect(fs.statSync(marker).size).toBe(0);

    const parse = (name: string): { header: string[]; entries: string[]; text: string } => {
      const text = fs.readFileSync(path.join(dir, name), 'utf8');
      const lines = text.split('\n');
      expect(lines.at(-1)).toBe(''); // newline-terminated
      return { header: lines.slice(0, 2), entries: lines.slice(2, -1).sort(), text };
    };
    const recovery = parse('recovery-point-offset-checkpoint');
    expect(recovery.header).toEqual(['0', '3']);
    expect(recovery.entries).toEqual(['my-topic 2 7', 'orders 0 5', 'orders 1 3']);
    const start = parse('log-start-offset-checkpoint');
    expect(start.header).toEqual(['0', '3']);
    expect(start.entries).toEqual(['my-topic 2 4', 'orders 0 0', 'orders 1 0']);
    expect(recovery.text).toMatch(/^0\n3\n([^ \n]+ \d+ \d+\n){3}$/);

    // The next start consumes the marker (so a crash from here on reads as unclean) and the offsets.
    const again = await LogManager.open(dir, { logger: quietLogger(), backgroundTasks: false });
    toClose.push(again);
    expect(again.wasCleanShutdown).toBe(true);
    expect(fs.existsSync(marker)).toBe(false);
    expect(again.getLog('my-topic', 2)!.logStartOffset).toBe(4n);
    expect(again.getLog('orders', 0)!.nextOffset).toBe(5n);
    expect(logFilesIn(path.join(dir, 'orders-1'))).toEqual([0n]);
  });
});
