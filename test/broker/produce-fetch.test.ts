import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { ErrorCode } from '../../src/errors.js';
import { Codec } from '../../src/native.js';
import { encodeMessageSet, recordBatchesToMessageSet, decodeMessageSet } from '../../src/records/index.js';
import { removeDir, tempDir } from '../helpers/storage.js';
import { batch, fetchOne, fetchRequest, openBroker, produceOne, recordsOf, valuesOf } from './helpers.js';

let dir: string;
let broker: Broker;

beforeEach(async () => {
  dir = tempDir('broker-pf');
  broker = await openBroker(dir);
  await broker.createTopics([{ name: 't', numPartitions: 2, replicationFactor: 1 }], false);
});
afterEach(async () => {
  await broker.close().catch(() => undefined);
  removeDir(dir);
});

describe('Produce', () => {
  it('appends batches, assigns offsets, and a fetch returns the same records with the high watermark', async () => {
    const a = await produceOne(broker, 't', 0, batch(3, 'a'));
    const b = await produceOne(broker, 't', 0, batch(2, 'b', { compression: Codec.Gzip }));
    expect(a).toMatchObject({ errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null });
    expect(b).toMatchObject({ errorCode: 0, baseOffset: 3n });
    const f = await fetchOne(broker, 't', 0, 0n);
    expect(f).toMatchObject({ errorCode: 0, highWatermark: 5n, lastStableOffset: 5n, logStartOffset: 0n, preferredReadReplica: -1 });
    expect(valuesOf(f.records)).toEqual(['a-0', 'a-1', 'a-2', 'b-0', 'b-1']);
    expect(recordsOf(f.records).map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n, 4n]);
    // Stored batches carry the partition leader epoch.
    expect(f.records.readInt32BE(12)).toBe(0);
    const other = await fetchOne(broker, 't', 1, 0n);
    expect(other).toMatchObject({ errorCode: 0, highWatermark: 0n });
    expect(other.records.length).toBe(0);
  });

  it('stamps the append time under LogAppendTime and reports it', async () => {
    await broker.createTopics(
      [{ name: 'lat', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }],
      false,
    );
    const before = Date.now();
    const r = await produceOne(broker, 'lat', 0, batch(2, 'x', { timestamp: 1000 }));
    expect(r.errorCode).toBe(0);
    expect(Number(r.logAppendTimeMs)).toBeGreaterThanOrEqual(before);
    const f = await fetchOne(broker, 'lat', 0, 0n);
    expect(recordsOf(f.records).every((rec) => rec.timestamp === Number(r.logAppendTimeMs))).toBe(true);
  });

  it('rejects a batch larger than max.message.bytes with MESSAGE_TOO_LARGE and appends nothing', async () => {
    await broker.createTopics([{ name: 'small', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'max.message.bytes', value: '500' }] }], false);
    const r = await produceOne(broker, 'small', 0, batch(10, 'y'.repeat(100)));
    expect(r).toMatchObject({ errorCode: ErrorCode.MESSAGE_TOO_LARGE, baseOffset: -1n });
    expect((await produceOne(broker, 'small', 0, batch(1))).baseOffset).toBe(0n);
  });

  it('rejects CreateTime timestamps outside message.timestamp.before/after.max.ms with INVALID_TIMESTAMP', async () => {
    await broker.createTopics(
      [
        {
          name: 'ts',
          numPartitions: 1,
          replicationFactor: 1,
          configs: [
            { name: 'message.timestamp.before.max.ms', value: '60000' },
            { name: 'message.timestamp.after.max.ms', value: '60000' },
          ],
        },
      ],
      false,
    );
    expect((await produceOne(broker, 'ts', 0, batch(1, 'old', { timestamp: Date.now() - 3_600_000 }))).errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect((await produceOne(broker, 'ts', 0, batch(1, 'future', { timestamp: Date.now() + 3_600_000 }))).errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect((await produceOne(broker, 'ts', 0, batch(1, 'now'))).errorCode).toBe(ErrorCode.NONE);
  });

  it('rejects a batch with a bad CRC with CORRUPT_MESSAGE', async () => {
    const bytes = batch(3);
    bytes[bytes.length - 1]! ^= 0xff;
    const r = await produceOne(broker, 't', 0, bytes);
    expect(r.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const truncated = batch(3).subarray(0, 40);
    expect((await produceOne(broker, 't', 0, truncated)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(broker.partition('t', 0)!.logEndOffset).toBe(0n);
  });

  it('rejects a batch that declares no records with INVALID_RECORD', async () => {
    // A hand-made empty batch: header only, recordCount 0, valid CRC.
    const empty = batch(1);
    const header = Buffer.from(empty.subarray(0, 61));
    header.writeInt32BE(61 - 12, 8);
    header.writeInt32BE(0, 23); // lastOffsetDelta
    header.writeInt32BE(0, 57); // recordCount
    const { native } = await import('../../src/native.js');
    header.writeUInt32BE(native.crc32cRange(header, 21, 61), 17);
    expect((await produceOne(broker, 't', 0, header)).errorCode).toBe(ErrorCode.INVALID_RECORD);
  });

  it('converts magic 0 and magic 1 message sets to record batches on produce', async () => {
    const v0 = encodeMessageSet(
      [
        { key: 'k', value: 'old-0' },
        { key: null, value: 'old-1' },
      ],
      { magic: 0 },
    );
    const v1 = encodeMessageSet([{ key: 'k', value: 'mid-0', timestamp: 5000 }], { magic: 1, compression: Codec.Gzip });
    expect((await produceOne(broker, 't', 0, v0)).baseOffset).toBe(0n);
    expect((await produceOne(broker, 't', 0, v1)).baseOffset).toBe(2n);
    const f = await fetchOne(broker, 't', 0, 0n);
    expect(f.records[16]).toBe(2);
    const records = recordsOf(f.records);
    expect(records.map((r) => [r.offset, r.value!.toString()])).toEqual([
      [0n, 'old-0'],
      [1n, 'old-1'],
      [2n, 'mid-0'],
    ]);
    expect(records[2]!.timestamp).toBe(5000);
    // Old producers may number every message 0; offsets are assigned anyway.
    const zeros = Buffer.concat([encodeMessageSet([{ value: 'z-0' }], { magic: 0 }), encodeMessageSet([{ value: 'z-1' }], { magic: 0 })]);
    expect(await produceOne(broker, 't', 1, zeros)).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(recordsOf((await fetchOne(broker, 't', 1, 0n)).records).map((r) => [r.offset, r.value!.toString()])).toEqual([
      [0n, 'z-0'],
      [1n, 'z-1'],
    ]);
    // And back for old fetch versions.
    const down = recordBatchesToMessageSet(f.records, 1);
    expect(decodeMessageSet(down).map((r) => r.value!.toString())).toEqual(['old-0', 'old-1', 'mid-0']);
  });

  it('answers INVALID_REQUIRED_ACKS for acks other than 0, 1 and -1, and still appends with acks=0', async () => {
    const [bad] = await broker.produce(2, 1000, [{ name: 't', partitions: [{ index: 0, records: batch(1) }] }]);
    expect(bad!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
    const zero = await produceOne(broker, 't', 0, batch(2), 0);
    expect(zero.baseOffset).toBe(0n);
    expect(broker.partition('t', 0)!.highWatermark).toBe(2n);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a partition the topic does not have', async () => {
    expect((await produceOne(broker, 't', 7, batch(1))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe('Fetch', () => {
  it('answers OFFSET_OUT_OF_RANGE below the log start and past the log end, and empty at the end', async () => {
    await produceOne(broker, 't', 0, batch(5));
    expect((await fetchOne(broker, 't', 0, 6n)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    await broker.deleteRecords([{ name: 't', partitions: [{ partition: 0, offset: 3n }] }]);
    expect((await fetchOne(broker, 't', 0, 2n)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const atEnd = await fetchOne(broker, 't', 0, 5n);
    expect(atEnd).toMatchObject({ errorCode: 0, highWatermark: 5n, logStartOffset: 3n });
    expect(atEnd.records.length).toBe(0);
  });

  it('answers UNKNOWN_TOPIC_ID for an unknown topic id and reads by topic id', async () => {
    await produceOne(broker, 't', 1, batch(1, 'id'));
    const id = broker.topicId('t')!;
    const byId = await broker.fetch({
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ topicId: id, partitions: [{ partition: 1, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    });
    expect(byId.topics[0]!.name).toBe('t');
    expect(valuesOf(byId.topics[0]!.partitions[0]!.records)).toEqual(['id-0']);
    const unknown = await broker.fetch({
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAABA', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    });
    expect(unknown.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
  });

  it('fences a stale currentLeaderEpoch and refuses a future one', async () => {
    const req = (epoch: number) => ({
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ name: 't', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: epoch }] }],
    });
    expect((await broker.fetch(req(0))).topics[0]!.partitions[0]!.errorCode).toBe(0);
    expect((await broker.fetch(req(1))).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
  });

  it('returns whole batches up to partitionMaxBytes, but at least one batch for the first partition with data', async () => {
    const big = batch(50, 'z'.repeat(50));
    await produceOne(broker, 't', 0, big);
    await produceOne(broker, 't', 0, batch(1, 'after'));
    await produceOne(broker, 't', 1, batch(50, 'w'.repeat(50)));
    const result = await broker.fetch({
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [
        {
          name: 't',
          partitions: [
            { partition: 0, fetchOffset: 0n, partitionMaxBytes: 100 },
            { partition: 1, fetchOffset: 0n, partitionMaxBytes: 100 },
          ],
        },
      ],
    });
    const [p0, p1] = result.topics[0]!.partitions;
    // First partition with data: one whole batch although larger than 100 bytes, and no more.
    expect(p0!.records.length).toBe(big.length);
    expect(recordsOf(p0!.records)).toHaveLength(50);
    // Second partition: its only batch exceeds the limit, so nothing.
    expect(p1!.records.length).toBe(0);
    expect(p1!.highWatermark).toBe(50n);
  });

  it('stops at maxBytes across partitions once the first batch is in', async () => {
    const one = batch(1, 'p0-0');
    for (let i = 0; i < 4; i++) await produceOne(broker, 't', 0, batch(1, `p0-${i}`));
    for (let i = 0; i < 4; i++) await produceOne(broker, 't', 1, batch(1, `p1-${i}`));
    const result = await broker.fetch({
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: one.length * 3,
      isolationLevel: 0,
      topics: [
        {
          name: 't',
          partitions: [
            { partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 },
            { partition: 1, fetchOffset: 0n, partitionMaxBytes: 1 << 20 },
          ],
        },
      ],
    });
    const [p0, p1] = result.topics[0]!.partitions;
    expect(recordsOf(p0!.records)).toHaveLength(3);
    expect(p1!.records.length).toBe(0);
  });

  it('answers an empty fetch after maxWaitMs when nothing arrives', async () => {
    const f = await fetchOne(broker, 't', 0, 0n, { maxWaitMs: 20, minBytes: 1 });
    expect(f.errorCode).toBe(0);
    expect(f.records.length).toBe(0);
  });

  it('long-polls: a waiting fetch resolves when a produce brings data', async () => {
    let resolved = false;
    const pending = broker.fetch(fetchRequest('t', 0, 0n, { maxWaitMs: 600_000, minBytes: 1 })).then((r) => {
      resolved = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(false);
    await produceOne(broker, 't', 0, batch(2, 'late'));
    const result = await pending;
    expect(valuesOf(result.topics[0]!.partitions[0]!.records)).toEqual(['late-0', 'late-1']);
  });

  it('waits for minBytes: a small append does not release a fetch that needs more', async () => {
    const small = batch(1, 's');
    let resolved = false;
    const pending = broker.fetch(fetchRequest('t', 0, 0n, { maxWaitMs: 600_000, minBytes: small.length * 2 + 1 })).then((r) => {
      resolved = true;
      return r;
    });
    await produceOne(broker, 't', 0, small);
    await produceOne(broker, 't', 1, batch(5, 'other-partition'));
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(false);
    await produceOne(broker, 't', 0, batch(1, 's'));
    await produceOne(broker, 't', 0, batch(1, 's'));
    const result = await pending;
    expect(recordsOf(result.topics[0]!.partitions[0]!.records)).toHaveLength(3);
  });

  it('rejects a parked fetch when its signal aborts, and releases parked fetches on close', async () => {
    const controller = new AbortController();
    const aborted = broker.fetch(fetchRequest('t', 0, 0n, { maxWaitMs: 600_000, minBytes: 1 }), controller.signal);
    controller.abort(new Error('connection closed'));
    await expect(aborted).rejects.toThrow('connection closed');
    const parked = broker.fetch(fetchRequest('t', 0, 0n, { maxWaitMs: 600_000, minBytes: 1 }));
    await broker.close();
    expect((await parked).topics[0]!.partitions[0]!.records.length).toBe(0);
  });
});

describe('ListOffsets and DeleteRecords', () => {
  it('answers earliest, latest, by timestamp and max timestamp', async () => {
    await produceOne(broker, 't', 0, batch(3, 'a', { timestamp: 1000 })); // 1000,1001,1002 at 0..2
    await produceOne(broker, 't', 0, batch(3, 'b', { timestamp: 9000 })); // 9000.. at 3..5
    await produceOne(broker, 't', 0, batch(2, 'c', { timestamp: 2000 })); // 2000.. at 6..7
    const q = (timestamp: bigint) => broker.listOffsets(0, [{ name: 't', partitions: [{ partition: 0, timestamp }] }]).then((r) => r[0]!.partitions[0]!);
    expect(await q(-2n)).toMatchObject({ errorCode: 0, offset: 0n, timestamp: -1n, leaderEpoch: 0 });
    expect(await q(-1n)).toMatchObject({ errorCode: 0, offset: 8n, timestamp: -1n, leaderEpoch: 0 });
    expect(await q(1001n)).toMatchObject({ offset: 1n, timestamp: 1001n });
    expect(await q(1003n)).toMatchObject({ offset: 3n, timestamp: 9000n });
    expect(await q(99_999n)).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n });
    expect(await q(-3n)).toMatchObject({ offset: 5n, timestamp: 9002n });
    const missing = await broker.listOffsets(0, [{ name: 'nope', partitions: [{ partition: 0, timestamp: -1n }] }]);
    expect(missing[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('recomputes a maxTimestamp the producer left at -1 (sarama < 1.23), so lookups by time find the batch', async () => {
    const bytes = batch(3, 'm', { timestamp: 1000, compression: Codec.Gzip }); // 1000, 1001, 1002
    bytes.writeBigInt64BE(-1n, 35); // maxTimestamp
    const { native } = await import('../../src/native.js');
    bytes.writeUInt32BE(native.crc32cRange(bytes, 21, bytes.length), 17);
    expect((await produceOne(broker, 't', 0, bytes)).errorCode).toBe(ErrorCode.NONE);
    const f = await fetchOne(broker, 't', 0, 0n);
    expect(Number(f.records.readBigInt64BE(35))).toBe(1002);
    const [r] = await broker.listOffsets(0, [{ name: 't', partitions: [{ partition: 0, timestamp: 1001n }] }]);
    expect(r!.partitions[0]).toMatchObject({ errorCode: 0, offset: 1n, timestamp: 1001n });
  });

  it('answers max timestamp with offset -1 on an empty partition', async () => {
    const [r] = await broker.listOffsets(0, [{ name: 't', partitions: [{ partition: 1, timestamp: -3n }] }]);
    expect(r!.partitions[0]).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n });
  });

  it('deletes records below an offset, to the high watermark with -1, and refuses offsets past it', async () => {
    await produceOne(broker, 't', 0, batch(10));
    const [a] = await broker.deleteRecords([
      {
        name: 't',
        partitions: [
          { partition: 0, offset: 4n },
          { partition: 1, offset: 1n },
        ],
      },
    ]);
    expect(a!.partitions).toEqual([
      { partitionIndex: 0, lowWatermark: 4n, errorCode: 0 },
      { partitionIndex: 1, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE },
    ]);
    const earliest = await broker.listOffsets(0, [{ name: 't', partitions: [{ partition: 0, timestamp: -2n }] }]);
    expect(earliest[0]!.partitions[0]!.offset).toBe(4n);
    const f = await fetchOne(broker, 't', 0, 4n);
    expect(recordsOf(f.records).filter((r) => r.offset >= 4n)[0]!.offset).toBe(4n);
    const [b] = await broker.deleteRecords([
      { name: 't', partitions: [{ partition: 0, offset: -1n }] },
      { name: 'nope', partitions: [{ partition: 0, offset: 0n }] },
    ]);
    expect(b!.partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: 10n, errorCode: 0 });
    const [c] = await broker.deleteRecords([{ name: 'nope', partitions: [{ partition: 0, offset: 0n }] }]);
    expect(c!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe('OffsetForLeaderEpoch', () => {
  it('answers the log end for the current epoch and UNDEFINED for an unknown one', async () => {
    await produceOne(broker, 't', 0, batch(4));
    const [r] = broker.offsetForLeaderEpoch([
      {
        name: 't',
        partitions: [
          { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 },
          { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 3 },
          { partition: 0, currentLeaderEpoch: 2, leaderEpoch: 0 },
          { partition: 9, currentLeaderEpoch: -1, leaderEpoch: 0 },
        ],
      },
    ]);
    expect(r!.partitions).toEqual([
      { partition: 0, errorCode: 0, leaderEpoch: 0, endOffset: 4n },
      { partition: 0, errorCode: 0, leaderEpoch: -1, endOffset: -1n },
      { partition: 0, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1n },
      { partition: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderEpoch: -1, endOffset: -1n },
    ]);
  });
});
