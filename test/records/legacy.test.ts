import CRC32 from 'crc-32';
import { describe, expect, it } from 'vitest';
import { Codec, native } from '../../src/native.js';
import { CorruptRecordError } from '../../src/records/errors.js';
import { decodeMessageSet, encodeMessageSet, messageSetToRecordBatches, recordBatchesToMessageSet } from '../../src/records/legacy.js';
import { brokenHeaderChecksum, headerChecksum, headerChecksumPosition } from '../../src/records/lz4-frame.js';
import { decodeRecordBatchHeader, decodeRecordBatches, encodeRecordBatch, type Record } from '../../src/records/record-batch.js';

const T0 = 1_700_000_000_000;

function bytes(hexWithComments: string): Buffer {
  return Buffer.from(
    hexWithComments
      .split('\n')
      .map((line) => line.replace(/#.*/, ''))
      .join('')
      .replace(/\s+/g, ''),
    'hex',
  );
}

function crc32Oracle(data: Buffer): number {
  return CRC32.buf(data) >>> 0;
}

function str(b: Buffer | null): string | null {
  return b === null ? null : b.toString('utf8');
}

function summary(records: Record[]): [bigint, number, string | null, string | null][] {
  return records.map((r) => [r.offset, r.timestamp, str(r.key), str(r.value)]);
}

/** Splits a message set into its entries' [offset, message bytes]. */
function entries(buf: Buffer): { offset: bigint; message: Buffer }[] {
  const out: { offset: bigint; message: Buffer }[] = [];
  for (let p = 0; p + 12 <= buf.length;) {
    const size = buf.readInt32BE(p + 8);
    out.push({ offset: buf.readBigInt64BE(p), message: buf.subarray(p + 12, p + 12 + size) });
    p += 12 + size;
  }
  return out;
}

/** The value of a wrapper message (magic at 4, attributes at 5, key length after the optional timestamp). */
function wrapperValue(message: Buffer): Buffer {
  const keyAt = message[4] === 0 ? 6 : 14;
  const valueAt = keyAt + 4; // wrappers have a null key
  return message.subarray(valueAt + 4, valueAt + 4 + message.readInt32BE(valueAt));
}

const INPUT = [
  { key: 'a', value: 'first', timestamp: T0 },
  { key: null, value: 'second', timestamp: T0 + 7 },
  { key: 'c', value: null, timestamp: T0 + 3 },
];

describe('legacy message layout', () => {
  it('encodes a magic 0 message to the bytes derived by hand, with the CRC-32 of magic..end', () => {
    const set = encodeMessageSet([{ key: 'k', value: 'v' }], { magic: 0, baseOffset: 4n });
    const expected = bytes(`
      0000000000000004   # offset 4
      00000010           # messageSize 16 = 14 + 1 + 1
      00000000           # crc, checked below
      00                 # magic 0
      00                 # attributes
      00000001 6b        # key "k"
      00000001 76        # value "v"
    `);
    const withoutCrc = Buffer.from(set);
    withoutCrc.writeUInt32BE(0, 12);
    expect(withoutCrc.toString('hex')).toBe(expected.toString('hex'));
    expect(set.readUInt32BE(12)).toBe(crc32Oracle(set.subarray(16)));
  });

  it('encodes a magic 1 message to the bytes derived by hand, timestamp included in the CRC', () => {
    const set = encodeMessageSet([{ key: null, value: 'hi', timestamp: T0 }], { magic: 1, baseOffset: 3n });
    const expected = bytes(`
      0000000000000003   # offset 3
      00000018           # messageSize 24 = 22 + 0 + 2
      00000000           # crc, checked below
      01                 # magic 1
      00                 # attributes: create time
      0000018bcfe56800   # timestamp 1700000000000
      ffffffff           # key null
      00000002 6869      # value "hi"
    `);
    const withoutCrc = Buffer.from(set);
    withoutCrc.writeUInt32BE(0, 12);
    expect(withoutCrc.toString('hex')).toBe(expected.toString('hex'));
    expect(set.readUInt32BE(12)).toBe(crc32Oracle(set.subarray(16)));
  });

  it('decodes hand-built v0 and v1 messages (v0 timestamps are -1, no headers)', () => {
    const v0 = bytes('0000000000000004 00000010 00000000 00 00 00000001 6b 00000001 76');
    v0.writeUInt32BE(crc32Oracle(v0.subarray(16)), 12);
    const v1 = bytes('0000000000000005 00000018 00000000 01 08 0000018bcfe56800 ffffffff 00000002 6869');
    v1.writeUInt32BE(crc32Oracle(v1.subarray(16)), 12);
    const records = decodeMessageSet(Buffer.concat([v0, v1]));
    expect(summary(records)).toEqual([
      [4n, -1, 'k', 'v'],
      [5n, T0, null, 'hi'],
    ]);
    expect(records[0]!.headers).toEqual([]);
  });

  it('rejects a message whose CRC-32 does not match', () => {
    const set = encodeMessageSet([{ key: 'k', value: 'v' }], { magic: 1 });
    set[set.length - 1] ^= 1;
    expect(() => decodeMessageSet(set)).toThrow(CorruptRecordError);
    expect(() => decodeMessageSet(set)).toThrow(/CRC-32/);
  });

  it('rejects magic 2 and sizes below the message minimum', () => {
    const set = encodeMessageSet([{ key: 'k', value: 'v' }], { magic: 1 });
    const magic2 = Buffer.from(set);
    magic2[16] = 2;
    expect(() => decodeMessageSet(magic2, { verifyCrc: false })).toThrow(/magic 2/);
    const tiny = Buffer.from(set);
    tiny.writeInt32BE(5, 8);
    expect(() => decodeMessageSet(tiny, { verifyCrc: false })).toThrow(/size 5/);
  });

  it('ignores a trailing partial message', () => {
    const set = encodeMessageSet(INPUT, { magic: 1 });
    expect(decodeMessageSet(set.subarray(0, set.length - 3))).toHaveLength(2);
  });

  it('refuses headers, which messages before magic 2 cannot carry', () => {
    expect(() => encodeMessageSet([{ value: 'x', headers: [{ key: 'h', value: 'v' }] }], { magic: 1 })).toThrow(/headers/);
  });
});

describe('legacy compressed wrappers', () => {
  for (const codec of [Codec.Gzip, Codec.Snappy, Codec.Lz4] as const) {
    it(`magic 0 with codec ${codec}: inner offsets absolute, wrapper offset the last one`, () => {
      const set = encodeMessageSet(INPUT, { magic: 0, compression: codec, baseOffset: 10n });
      const [wrapper, ...rest] = entries(set);
      expect(rest).toHaveLength(0);
      expect(wrapper!.offset).toBe(12n);
      expect(wrapper!.message[5]! & 7).toBe(codec);
      const inner = entries(native.decompress(codec, wrapperValue(wrapper!.message)));
      expect(inner.map((e) => e.offset)).toEqual([10n, 11n, 12n]);
      expect(summary(decodeMessageSet(set))).toEqual([
        [10n, -1, 'a', 'first'],
        [11n, -1, null, 'second'],
        [12n, -1, 'c', null],
      ]);
    });

    it(`magic 1 with codec ${codec}: inner offsets relative, wrapper offset the last absolute one (KIP-31)`, () => {
      const set = encodeMessageSet(INPUT, { magic: 1, compression: codec, baseOffset: 10n });
      const [wrapper] = entries(set);
      expect(wrapper!.offset).toBe(12n);
      expect(wrapper!.message.readBigInt64BE(6)).toBe(BigInt(T0 + 7)); // wrapper timestamp = max
      const inner = entries(native.decompress(codec, wrapperValue(wrapper!.message)));
      expect(inner.map((e) => e.offset)).toEqual([0n, 1n, 2n]);
      expect(summary(decodeMessageSet(set))).toEqual([
        [10n, T0, 'a', 'first'],
        [11n, T0 + 7, null, 'second'],
        [12n, T0 + 3, 'c', null],
      ]);
    });
  }

  it('writes the KAFKA-3160 broken lz4 header checksum for magic 0 and the correct one for magic 1', () => {
    const v0 = wrapperValue(entries(encodeMessageSet(INPUT, { magic: 0, compression: Codec.Lz4 }))[0]!.message);
    const v1 = wrapperValue(entries(encodeMessageSet(INPUT, { magic: 1, compression: Codec.Lz4 }))[0]!.message);
    const hc0 = headerChecksumPosition(v0);
    const hc1 = headerChecksumPosition(v1);
    expect(v0[hc0]).toBe(brokenHeaderChecksum(v0, hc0));
    expect(v0[hc0]).not.toBe(headerChecksum(v0, hc0));
    expect(v1[hc1]).toBe(headerChecksum(v1, hc1));
  });

  it('writes lz4 frames with independent blocks, which Kafka’s Java reader requires', () => {
    const frame = wrapperValue(entries(encodeMessageSet(INPUT, { magic: 1, compression: Codec.Lz4 }))[0]!.message);
    expect(frame[4]! & 0x20).toBe(0x20);
  });

  it('gives inner messages the wrapper timestamp under log append time', () => {
    const set = encodeMessageSet(INPUT, { magic: 1, compression: Codec.Gzip, timestampType: 1, now: T0 + 99 });
    expect(decodeMessageSet(set).map((r) => r.timestamp)).toEqual([T0 + 99, T0 + 99, T0 + 99]);
  });

  it('reads a magic 1 wrapper with offset 0 (some librdkafka producers) as base 0', () => {
    const set = encodeMessageSet(INPUT, { magic: 1, compression: Codec.Gzip, baseOffset: 0n });
    // Offset 2 → 0 and fix nothing else: the entry offset is outside the CRC.
    set.writeBigInt64BE(0n, 0);
    expect(decodeMessageSet(set).map((r) => r.offset)).toEqual([0n, 1n, 2n]);
  });

  it('rejects zstd, which needs magic 2', () => {
    expect(() => encodeMessageSet(INPUT, { magic: 1, compression: Codec.Zstd })).toThrow(/zstd/);
  });
});

describe('legacy conversions', () => {
  it('up-converts compressed v1 wrappers to one v2 batch each, keeping codec, offsets and timestamps', () => {
    const set = Buffer.concat([
      encodeMessageSet(INPUT, { magic: 1, compression: Codec.Snappy, baseOffset: 20n }),
      encodeMessageSet(INPUT, { magic: 1, compression: Codec.Gzip, baseOffset: 23n }),
    ]);
    const batches = messageSetToRecordBatches(set);
    expect(native.scanBatches(batches).error).toBeNull();
    const decoded = decodeRecordBatches(batches);
    expect(decoded.map((b) => [b.header.baseOffset, b.header.compression, b.header.lastOffsetDelta, b.header.maxTimestamp])).toEqual([
      [20n, Codec.Snappy, 2, T0 + 7],
      [23n, Codec.Gzip, 2, T0 + 7],
    ]);
    expect(decoded.flatMap((b) => summary(b.records))).toEqual(summary(decodeMessageSet(set)));
  });

  it('up-converts uncompressed messages into one batch per run, keeping offset gaps as deltas', () => {
    const set = Buffer.concat([
      encodeMessageSet([INPUT[0]!], { magic: 1, baseOffset: 5n }),
      encodeMessageSet([INPUT[1]!], { magic: 1, baseOffset: 9n }),
      encodeMessageSet([INPUT[2]!], { magic: 1, baseOffset: 10n }),
    ]);
    const batches = messageSetToRecordBatches(set);
    const decoded = decodeRecordBatches(batches);
    expect(decoded).toHaveLength(1);
    expect(decoded[0]!.header.baseOffset).toBe(5n);
    expect(decoded[0]!.header.lastOffsetDelta).toBe(5);
    expect(decoded[0]!.header.recordCount).toBe(3);
    expect(summary(decoded[0]!.records)).toEqual([
      [5n, T0, 'a', 'first'],
      [9n, T0 + 7, null, 'second'],
      [10n, T0 + 3, 'c', null],
    ]);
  });

  it('up-converts magic 0 messages with timestamp -1', () => {
    const batches = messageSetToRecordBatches(encodeMessageSet(INPUT, { magic: 0, compression: Codec.Lz4, baseOffset: 1n }));
    const [batch] = decodeRecordBatches(batches);
    expect(batch!.header.compression).toBe(Codec.Lz4);
    expect(batch!.header.maxTimestamp).toBe(-1);
    expect(summary(batch!.records)).toEqual([
      [1n, -1, 'a', 'first'],
      [2n, -1, null, 'second'],
      [3n, -1, 'c', null],
    ]);
  });

  it('refuses to up-convert a compressed magic 0 set whose inner offsets do not increase', () => {
    // A v0 wrapper around two messages that both claim offset 5 (built by hand, gzip).
    const inner = Buffer.concat([encodeMessageSet([INPUT[0]!], { magic: 0, baseOffset: 5n }), encodeMessageSet([INPUT[1]!], { magic: 0, baseOffset: 5n })]);
    const value = native.compress(Codec.Gzip, inner);
    const message = Buffer.alloc(12 + 14 + value.length);
    message.writeBigInt64BE(5n, 0);
    message.writeInt32BE(14 + value.length, 8);
    message[16] = 0; // magic
    message[17] = Codec.Gzip;
    message.writeInt32BE(-1, 18); // null key
    message.writeInt32BE(value.length, 22);
    value.copy(message, 26);
    message.writeUInt32BE(crc32Oracle(message.subarray(16)), 12);
    expect(decodeMessageSet(message).map((r) => r.offset)).toEqual([5n, 5n]);
    expect(() => messageSetToRecordBatches(message)).toThrow(/offsets must increase/);
    // A producer's set: offsets are the broker's to assign, as Kafka does.
    const [batch] = decodeRecordBatches(messageSetToRecordBatches(message, { assignOffsets: true }));
    expect(batch!.header.compression).toBe(Codec.Gzip);
    expect(summary(batch!.records)).toEqual([
      [0n, -1, 'a', 'first'],
      [1n, -1, null, 'second'],
    ]);
  });

  it('down-converts v2 batches to magic 1, dropping headers and skipping control batches', () => {
    const buf = Buffer.concat([
      encodeRecordBatch(
        INPUT.map((r) => ({ ...r, headers: { dropped: 'yes' } })),
        { baseOffset: 100n, compression: Codec.Gzip },
      ),
      encodeRecordBatch([{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], {
        baseOffset: 103n,
        isControl: true,
        isTransactional: true,
      }),
      encodeRecordBatch(INPUT, { baseOffset: 104n }),
    ]);
    const set = recordBatchesToMessageSet(buf, 1);
    const top = entries(set);
    expect(top.map((e) => e.offset)).toEqual([102n, 104n, 105n, 106n]); // one gzip wrapper, then three plain messages
    expect(top[0]!.message[5]! & 7).toBe(Codec.Gzip);
    const records = decodeMessageSet(set);
    expect(summary(records)).toEqual([
      [100n, T0, 'a', 'first'],
      [101n, T0 + 7, null, 'second'],
      [102n, T0 + 3, 'c', null],
      [104n, T0, 'a', 'first'],
      [105n, T0 + 7, null, 'second'],
      [106n, T0 + 3, 'c', null],
    ]);
    expect(records.every((r) => r.headers.length === 0)).toBe(true);
  });

  it('down-converts to magic 0 without timestamps, and zstd batches to uncompressed messages', () => {
    const buf = encodeRecordBatch(INPUT, { baseOffset: 7n, compression: Codec.Zstd });
    const set = recordBatchesToMessageSet(buf, 0);
    expect(entries(set).map((e) => [e.offset, e.message[4], e.message[5]])).toEqual([
      [7n, 0, 0],
      [8n, 0, 0],
      [9n, 0, 0],
    ]);
    expect(summary(decodeMessageSet(set))).toEqual([
      [7n, -1, 'a', 'first'],
      [8n, -1, null, 'second'],
      [9n, -1, 'c', null],
    ]);
  });

  it('round-trips v2 → v1 → v2 with the same offsets, keys, values, timestamps and codec', () => {
    const original = Buffer.concat([encodeRecordBatch(INPUT, { baseOffset: 0n, compression: Codec.Lz4 }), encodeRecordBatch(INPUT, { baseOffset: 3n })]);
    const back = messageSetToRecordBatches(recordBatchesToMessageSet(original, 1));
    const a = decodeRecordBatches(original);
    const b = decodeRecordBatches(back);
    expect(b.flatMap((x) => summary(x.records))).toEqual(a.flatMap((x) => summary(x.records)));
    expect(b.map((x) => decodeRecordBatchHeader(back, 0) && x.header.compression)).toEqual([Codec.Lz4, Codec.None]);
  });
});
