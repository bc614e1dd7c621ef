import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Log } from '../../src/storage/log.js';
import { OffsetOutOfRangeError, KafkaError, CorruptMessageError } from '../../src/errors.js';
import { BatchField, native, Codec } from '../../src/native.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { quietLogger } from '../helpers/logger.js';

let dir: string;
const logs: Log[] = [];

async function open(options: Parameters<typeof Log.open>[1] = {}): Promise<Log> {
  const log = await Log.open(dir, { logger: quietLogger(), ...options });
  logs.push(log);
  return log;
}

function records(n: number, from = 0, ts = Date.now()): { key: string; value: string; timestamp: number }[] {
  return Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `value-${from + i}`, timestamp: ts + from + i }));
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-log-'));
});

afterEach(async () => {
  for (const log of logs.splice(0)) await log.close().catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('Log appends and reads', () => {
  it('assigns consecutive offsets across appends and reads every record back intact', async () => {
    const log = await open();
    const a = await log.append([{ key: 'k1', value: 'hello', headers: [{ key: 'h', value: 'v' }], timestamp: 1000 }]);
    const b = await log.append([
      { key: null, value: Buffer.from([0, 1, 2]) },
      { key: 'k3', value: null, timestamp: 3000 },
    ]);
    expect(a).toMatchObject({ baseOffset: 0n, lastOffset: 0n });
    expect(b).toMatchObject({ baseOffset: 1n, lastOffset: 2n });
    expect(log.nextOffset).toBe(3n);
    expect(log.logStartOffset).toBe(0n);
    const got = await log.readRecords(0n, 1 << 20);
    expect(got.map((r) => r.offset)).toEqual([0n, 1n, 2n]);
    expect(got[0]!.key!.toString()).toBe('k1');
    expect(got[0]!.value!.toString()).toBe('hello');
    expect(got[0]!.timestamp).toBe(1000);
    expect(got[0]!.headers).toHaveLength(1);
    expect(got[0]!.headers[0]!.key).toBe('h');
    expect(got[0]!.headers[0]!.value!.toString()).toBe('v');
    expect(got[1]!.key).toBeNull();
    expect([...got[1]!.value!]).toEqual([0, 1, 2]);
    expect(got[2]!.value).toBeNull();
    expect(got[2]!.timestamp).toBe(3000);
  });

  it('reads from an offset in the middle of a batch without returning earlier records', async () => {
    const log = await open();
    await log.append(records(10));
    const got = await log.readRecords(7n, 1 << 20);
    expect(got.map((r) => r.offset)).toEqual([7n, 8n, 9n]);
  });

  it('returns raw whole batches starting with the one holding the offset, with offsets stamped', async () => {
    const log = await open();
    await log.append(records(5));
    await log.append(records(5, 5));
    const bytes = await log.read(6n, 1 << 20);
    const scan = native.scanBatches(bytes);
    expect(scan.error).toBeNull();
    expect(scan.count).toBe(1);
    expect(scan.headers[BatchField.BaseOffset]).toBe(5); // the second batch
  });

  it('returns at least one whole batch even when it is larger than maxBytes', async () => {
    const log = await open();
    await log.append(records(100));
    const bytes = await log.read(0n, 10);
    const scan = native.scanBatches(bytes);
    expect(scan.count).toBe(1);
    expect(scan.validBytes).toBe(bytes.length);
    expect(bytes.length).toBeGreaterThan(10);
  });

  it('returns an empty buffer at the log end and OFFSET_OUT_OF_RANGE past it', async () => {
    const log = await open();
    await log.append(records(3));
    expect((await log.read(3n, 1000)).length).toBe(0);
    await expect(log.read(4n, 1000)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(log.read(-1n, 1000)).rejects.toMatchObject({ errorCode: 1 });
  });

  it('appends pre-encoded batches as the broker does, rewriting only the base offset', async () => {
    const log = await open();
    await log.append(records(2));
    const batch = encodeRecordBatch(records(3, 2), { baseOffset: 12345n });
    const before = Buffer.from(batch);
    const result = await log.appendBatches(batch);
    expect(result).toMatchObject({ baseOffset: 2n, lastOffset: 4n, recordCount: 3 });
    const bytes = await log.read(2n, 1 << 20);
    expect(bytes.readBigInt64BE(0)).toBe(2n);
    expect(bytes.subarray(8).equals(before.subarray(8))).toBe(true);
  });

  it('rejects batches with a bad CRC as CORRUPT_MESSAGE and appends nothing', async () => {
    const log = await open();
    const batch = encodeRecordBatch(records(3));
    batch[batch.length - 1] ^= 0xff;
    await expect(log.appendBatches(batch)).rejects.toBeInstanceOf(CorruptMessageError);
    expect(log.nextOffset).toBe(0n);
    expect(log.size).toBe(0);
  });

  it('rejects a batch larger than max.message.bytes with MESSAGE_TOO_LARGE', async () => {
    const log = await open({ 'max.message.bytes': 200 });
    await expect(log.append(records(50))).rejects.toMatchObject({ errorName: 'MESSAGE_TOO_LARGE', errorCode: 10 });
    expect(log.nextOffset).toBe(0n);
  });

  it('stamps the append time on every batch under message.timestamp.type=LogAppendTime', async () => {
    const log = await open({ 'message.timestamp.type': 'LogAppendTime' });
    const before = Date.now();
    await log.append([{ value: 'x', timestamp: 5 }]);
    const [rec] = await log.readRecords(0n, 1000);
    expect(rec!.timestamp).toBeGreaterThanOrEqual(before);
    expect(rec!.timestamp).toBeLessThanOrEqual(Date.now());
  });

  it('round-trips records through every compression codec', async () => {
    const log = await open();
    for (const codec of [Codec.Gzip, Codec.Snappy, Codec.Lz4, Codec.Zstd]) {
      await log.append(records(20, Number(log.nextOffset)), { compression: codec });
    }
    const got = await log.readRecords(0n, 1 << 20);
    expect(got.map((r) => Number(r.offset))).toEqual(Array.from({ length: 80 }, (_, i) => i));
    expect(got.map((r) => r.value!.toString())).toEqual(Array.from({ length: 80 }, (_, i) => `value-${i}`));
  });
});

describe('Log segments and indexes', () => {
  it('rolls a new segment when segment.bytes would be exceeded, named by base offset', async () => {
    const log = await open({ 'segment.bytes': 600 });
    for (let i = 0; i < 20; i++) await log.append(records(5, i * 5));
    expect(log.segmentCount).toBeGreaterThan(3);
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort();
    expect(files[0]).toBe('00000000000000000000.log');
    expect(files.map((f) => BigInt(f.slice(0, 20)))).toEqual(log.segmentBaseOffsets);
    const got = await log.readRecords(0n, 1 << 24);
    expect(got).toHaveLength(100);
    for (const base of log.segmentBaseOffsets) {
      const [first] = await log.readRecords(base, 1);
      expect(first!.offset).toBe(base);
    }
  });

  it('rolls when the first batch of the active segment is older than segment.ms', async () => {
    const log = await open({ segmentMs: 1 });
    await log.append([{ value: 'a', timestamp: Date.now() - 10_000 }]);
    await log.append([{ value: 'b' }]);
    expect(log.segmentCount).toBe(2);
  });

  it('finds the first offset with a timestamp at or after a given time', async () => {
    const log = await open({ 'segment.bytes': 3000, 'index.interval.bytes': 100 });
    for (let i = 0; i < 40; i++) await log.append(records(5, i * 5, 10_000));
    expect(log.segmentCount).toBeGreaterThan(2);
    expect(await log.offsetForTimestamp(10_000)).toBe(0n);
    expect(await log.offsetForTimestamp(10_123)).toBe(123n);
    expect(await log.offsetForTimestamp(5)).toBe(0n);
    expect(await log.offsetForTimestamp(10_199)).toBe(199n);
    expect(await log.offsetForTimestamp(10_200)).toBeNull();
  });

  it('finds offsets through the sparse index in a log with many index entries', async () => {
    const log = await open({ 'index.interval.bytes': 64 });
    for (let i = 0; i < 200; i++) await log.append(records(3, i * 3));
    for (const target of [0n, 1n, 299n, 300n, 451n, 599n]) {
      const [first] = await log.readRecords(target, 1);
      expect(first!.offset).toBe(target);
    }
    const idx = fs.statSync(path.join(dir, '00000000000000000000.index'));
    expect(idx.size).toBe(10 * 1024 * 1024); // preallocated while active
  });
});

describe('Log truncation and deletion', () => {
  it('truncates to an offset, dropping later segments, and keeps appending from there', async () => {
    const log = await open({ 'segment.bytes': 1500 });
    for (let i = 0; i < 20; i++) await log.append(records(5, i * 5));
    const segmentsBefore = log.segmentCount;
    await log.truncateTo(42n);
    // 42 is inside the batch 40..44, which goes whole.
    expect(log.nextOffset).toBe(40n);
    expect(log.segmentCount).toBeLessThan(segmentsBefore);
    const r = await log.append(records(1, 999));
    expect(r.baseOffset).toBe(40n);
    const got = await log.readRecords(0n, 1 << 24);
    expect(got.map((x) => Number(x.offset))).toEqual(Array.from({ length: 41 }, (_, i) => i));
    expect(got[40]!.value!.toString()).toBe('value-999');
  });

  it('deleteRecordsBefore raises the log start offset, deletes whole segments below it and persists it', async () => {
    const log = await open({ 'segment.bytes': 1500, 'file.delete.delay.ms': 0 });
    for (let i = 0; i < 20; i++) await log.append(records(5, i * 5));
    const segmentsBefore = log.segmentCount;
    await log.deleteRecordsBefore(52n);
    expect(log.logStartOffset).toBe(52n);
    expect(log.segmentCount).toBeLessThan(segmentsBefore);
    await expect(log.read(51n, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    const [first] = await log.readRecords(52n, 1);
    expect(first!.offset).toBe(52n);
    await expect(log.deleteRecordsBefore(1000n)).rejects.toBeInstanceOf(KafkaError);
    await log.close();
    const reopened = await open();
    expect(reopened.logStartOffset).toBe(52n);
    expect(reopened.nextOffset).toBe(100n);
  });
});

describe('Log durability and reopening', () => {
  it('keeps every record and both offsets across close and reopen', async () => {
    const log = await open({ 'segment.bytes': 4000 });
    for (let i = 0; i < 30; i++) await log.append(records(4, i * 4));
    await log.close();
    const reopened = await open({ 'segment.bytes': 4000 });
    expect(reopened.nextOffset).toBe(120n);
    const r = await reopened.append(records(1, 120));
    expect(r.baseOffset).toBe(120n);
    const got = await reopened.readRecords(0n, 1 << 24);
    expect(got.map((x) => x.value!.toString())).toEqual(Array.from({ length: 121 }, (_, i) => `value-${i}`));
  });

  it('shares one fdatasync among concurrent durable appends (group commit)', async () => {
    const log = await open();
    const before = log.flushCount;
    await Promise.all(Array.from({ length: 64 }, (_, i) => log.append(records(1, i), { durable: true })));
    const flushes = log.flushCount - before;
    expect(flushes).toBeGreaterThanOrEqual(1);
    expect(flushes).toBeLessThan(64);
    expect(log.recoveryPoint).toBe(64n);
  });

  it('lets writers released by one flush ride the next: 8 steady writers share each fdatasync', async () => {
    // Each writer awaits its durable append, then appends again. The flush that starts after
    // one ends must wait for the writers it released, or every other flush carries one batch.
    const log = await open();
    const writers = 8;
    const perWriter = 10;
    const before = log.flushCount;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let b = 0; b < perWriter; b++) await log.append(records(1, w * perWriter + b), { durable: true });
      }),
    );
    const flushes = log.flushCount - before;
    // The first flush carries writer 0's first batch alone; every later one carries all 8.
    expect(flushes).toBeLessThanOrEqual(perWriter + 2);
    expect(log.recoveryPoint).toBe(BigInt(writers * perWriter));
  });

  it('flushes after flush.messages records, advancing the recovery point', async () => {
    const log = await open({ 'flush.messages': 10 });
    await log.append(records(9));
    expect(log.recoveryPoint).toBe(0n);
    await log.append(records(1, 9));
    await log.flush(); // waits for the flush that flush.messages started
    expect(log.recoveryPoint).toBe(10n);
  });

  it('accepts Kafka dotted config names and camelCase alike, and rejects invalid values', async () => {
    await expect(Log.open(dir, { logger: quietLogger(), 'segment.bytes': 'lots' })).rejects.toMatchObject({ errorName: 'INVALID_CONFIG' });
    const log = await open({ 'segment.bytes': '1000', indexIntervalBytes: 10 });
    expect(log.config.segmentBytes).toBe(1000);
    expect(log.config.indexIntervalBytes).toBe(10);
    expect(log.config.retentionMs).toBe(7 * 86_400_000);
  });
});
