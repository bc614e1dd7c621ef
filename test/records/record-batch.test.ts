import { describe, expect, it } from 'vitest';
import { Codec, native } from '../../src/native.js';
import {
  decodeRecordBatchHeader,
  decodeRecordBatches,
  decodeRecords,
  encodeRecordBatch,
  encodeRecordBatchTransient,
  encodeRecordBatchWithOffsetDeltas,
  readRecordsInto,
  recordBatchSize,
  type Record,
  type RecordInput,
} from '../../src/records/record-batch.js';
import { crc32cOracle } from './crc32c-oracle.js';

const T0 = 1_700_000_000_000;
const CODECS = [Codec.Gzip, Codec.Snappy, Codec.Lz4, Codec.Zstd] as const;

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

function str(b: Buffer | null): string | null {
  return b === null ? null : b.toString('utf8');
}

function makeRecords(count: number): RecordInput[] {
  const records: RecordInput[] = [];
  for (let i = 0; i < count; i++) {
    records.push({
      key: `key-${i % 97}`,
      value: Buffer.from(`value ${i} `.repeat((i % 7) + 1)),
      timestamp: T0 + i * 3,
      headers: i % 10 === 0 ? [{ key: 'n', value: String(i) }] : undefined,
    });
  }
  return records;
}

describe('record batch layout', () => {
  const records: RecordInput[] = [
    { key: 'k', value: 'v1', headers: [{ key: 'h', value: 'x' }], timestamp: T0 },
    { key: null, value: null, timestamp: T0 + 5 },
  ];
  const options = {
    baseOffset: 5n,
    partitionLeaderEpoch: 2,
    producerId: 7n,
    producerEpoch: 1,
    baseSequence: 3,
    isTransactional: true,
  };
  const expectedWithoutCrc = bytes(`
    0000000000000005   # baseOffset 5
    00000046           # batchLength 70 = 82 - 12
    00000002           # partitionLeaderEpoch 2
    02                 # magic
    00000000           # crc, checked separately
    0010               # attributes: transactional (bit 4), no codec, create time
    00000001           # lastOffsetDelta 1
    0000018bcfe56800   # baseTimestamp 1700000000000 (first record)
    0000018bcfe56805   # maxTimestamp 1700000000005
    0000000000000007   # producerId 7
    0001               # producerEpoch 1
    00000003           # baseSequence 3
    00000002           # recordCount 2
    1a                 # record 0: length 13 (zigzag 26)
    00                 #   attributes
    00                 #   timestampDelta 0
    00                 #   offsetDelta 0
    02 6b              #   keyLength 1, "k"
    04 7631            #   valueLength 2, "v1"
    02                 #   headerCount 1
    02 68              #     header key length 1, "h"
    02 78              #     header value length 1, "x"
    0c                 # record 1: length 6
    00                 #   attributes
    0a                 #   timestampDelta 5 (zigzag 10)
    02                 #   offsetDelta 1
    01                 #   keyLength -1 (null)
    01                 #   valueLength -1 (null)
    00                 #   headerCount 0
  `);

  it('encodes a batch with known fields to the bytes derived by hand from the spec', () => {
    const batch = encodeRecordBatch(records, options);
    const withoutCrc = Buffer.from(batch);
    withoutCrc.writeUInt32BE(0, 17);
    expect(withoutCrc.toString('hex')).toBe(expectedWithoutCrc.toString('hex'));
  });

  it('stores the CRC-32C of attributes..end at byte 17, as an independent table CRC computes it', () => {
    const batch = encodeRecordBatch(records, options);
    const crc = batch.readUInt32BE(17);
    expect(crc).toBe(crc32cOracle(batch.subarray(21)));
    expect(crc).toBe(native.crc32c(batch.subarray(21)));
  });

  it('is accepted by the native batch scan with the same header fields', () => {
    const batch = encodeRecordBatch(records, options);
    const scan = native.scanBatches(batch);
    expect(scan.error).toBeNull();
    expect(scan.count).toBe(1);
    expect(scan.validBytes).toBe(batch.length);
    expect(Array.from(scan.headers.subarray(0, 12))).toEqual([0, 82, 5, 1, 2, 0x10, T0, T0 + 5, 7, 1, 3, 2]);
  });

  it('decodes its header fields back', () => {
    const batch = encodeRecordBatch(records, options);
    expect(decodeRecordBatchHeader(batch, 0)).toEqual({
      baseOffset: 5n,
      batchLength: 70,
      partitionLeaderEpoch: 2,
      magic: 2,
      crc: batch.readUInt32BE(17),
      attributes: 0x10,
      compression: Codec.None,
      timestampType: 0,
      isTransactional: true,
      isControl: false,
      lastOffsetDelta: 1,
      baseTimestamp: T0,
      maxTimestamp: T0 + 5,
      producerId: 7n,
      producerEpoch: 1,
      baseSequence: 3,
      recordCount: 2,
    });
    expect(recordBatchSize(batch, 0)).toBe(82);
  });
});

describe('record batch round trips', () => {
  it('keeps null, empty, multibyte utf8 and Buffer keys and values', () => {
    const input: RecordInput[] = [
      { key: null, value: null },
      { key: '', value: '' },
      { key: 'ключ', value: 'значение ✓ 🚀' },
      { key: Buffer.from([0, 1, 2, 255]), value: Buffer.alloc(300, 7) },
      { value: 'no key given' },
    ];
    const decoded = decodeRecords(encodeRecordBatch(input, { now: T0 }), 0);
    expect(decoded.map((r) => [str(r.key), str(r.value)])).toEqual([
      [null, null],
      ['', ''],
      ['ключ', 'значение ✓ 🚀'],
      [Buffer.from([0, 1, 2, 255]).toString('utf8'), Buffer.alloc(300, 7).toString('utf8')],
      [null, 'no key given'],
    ]);
    expect(decoded[3]!.key).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(decoded[3]!.value).toEqual(Buffer.alloc(300, 7));
    expect(decoded[1]!.key).toEqual(Buffer.alloc(0));
  });

  it('keeps headers given as an array (order, duplicates, null values) or as an object', () => {
    const decoded = decodeRecords(
      encodeRecordBatch(
        [
          {
            value: 'a',
            headers: [
              { key: 'x', value: '1' },
              { key: 'x', value: null },
              { key: 'é', value: Buffer.from([9]) },
            ],
          },
          { value: 'b', headers: { trace: 'abc', bin: Buffer.from([1, 2]) } },
          { value: 'c', headers: [] },
        ],
        { now: T0 },
      ),
      0,
    );
    expect(decoded[0]!.headers).toEqual([
      { key: 'x', value: Buffer.from('1') },
      { key: 'x', value: null },
      { key: 'é', value: Buffer.from([9]) },
    ]);
    expect(decoded[1]!.headers).toEqual([
      { key: 'trace', value: Buffer.from('abc') },
      { key: 'bin', value: Buffer.from([1, 2]) },
    ]);
    expect(decoded[2]!.headers).toEqual([]);
  });

  it('keeps timestamps: defaults to now, accepts bigint, deltas below the first and large gaps', () => {
    const batch = encodeRecordBatch(
      [{ value: 'a', timestamp: T0 }, { value: 'b' }, { value: 'c', timestamp: BigInt(T0 - 1000) }, { value: 'd', timestamp: T0 + 2 ** 40 }],
      { now: T0 + 77 },
    );
    expect(decodeRecords(batch, 0).map((r) => r.timestamp)).toEqual([T0, T0 + 77, T0 - 1000, T0 + 2 ** 40]);
    const header = decodeRecordBatchHeader(batch, 0);
    expect(header.baseTimestamp).toBe(T0);
    expect(header.maxTimestamp).toBe(T0 + 2 ** 40);
  });

  it('gives every record the batch maxTimestamp under log append time', () => {
    const batch = encodeRecordBatch(
      [
        { value: 'a', timestamp: T0 },
        { value: 'b', timestamp: T0 + 1 },
      ],
      { timestampType: 1, now: T0 + 500 },
    );
    const header = decodeRecordBatchHeader(batch, 0);
    expect(header.timestampType).toBe(1);
    expect(header.maxTimestamp).toBe(T0 + 500);
    expect(decodeRecords(batch, 0).map((r) => r.timestamp)).toEqual([T0 + 500, T0 + 500]);
  });

  it('assigns offsets baseOffset + index, or the explicit deltas given', () => {
    const batch = encodeRecordBatch(makeRecords(3), { baseOffset: 2n ** 40n });
    expect(decodeRecords(batch, 0).map((r) => r.offset)).toEqual([2n ** 40n, 2n ** 40n + 1n, 2n ** 40n + 2n]);
    const gaps = encodeRecordBatchWithOffsetDeltas(makeRecords(3), [0, 5, 300], { baseOffset: 10n });
    expect(decodeRecordBatchHeader(gaps, 0).lastOffsetDelta).toBe(300);
    expect(decodeRecords(gaps, 0).map((r) => r.offset)).toEqual([10n, 15n, 310n]);
    expect(native.scanBatches(gaps).error).toBeNull();
  });

  it('decodes offsets on both sides of the small-integer fast path and past 2^53', () => {
    for (const base of [0x3fffffffn - 1n, 2n ** 31n - 2n, 2n ** 53n + 7n, 2n ** 62n]) {
      const batch = encodeRecordBatchWithOffsetDeltas(makeRecords(3), [0, 1, 2 ** 31 - 1], { baseOffset: base });
      expect(decodeRecords(batch, 0).map((r) => r.offset)).toEqual([base, base + 1n, base + 2n ** 31n - 1n]);
    }
  });

  it('keeps the headers of each record apart when records with and without headers alternate', () => {
    const records: RecordInput[] = Array.from({ length: 50 }, (_, i) => ({
      value: `v${i}`,
      headers:
        i % 3 === 0
          ? undefined
          : i % 3 === 1
            ? [
                { key: `a${i}`, value: `x${i}` },
                { key: 'b', value: null },
              ]
            : { [`o${i}`]: `y${i}` },
    }));
    const decoded = decodeRecords(encodeRecordBatch(records), 0);
    decoded.forEach((r, i) => {
      const want =
        i % 3 === 0
          ? []
          : i % 3 === 1
            ? [
                { key: `a${i}`, value: Buffer.from(`x${i}`) },
                { key: 'b', value: null },
              ]
            : [{ key: `o${i}`, value: Buffer.from(`y${i}`) }];
      expect(r.headers).toEqual(want);
    });
  });

  it('gives records without headers one shared, frozen empty array; records with headers their own', () => {
    const decoded = decodeRecords(encodeRecordBatch([{ value: 'a' }, { value: 'b' }, { value: 'c', headers: [{ key: 'h', value: 'v' }] }]), 0);
    expect(decoded[0]!.headers).toBe(decoded[1]!.headers);
    expect(Object.isFrozen(decoded[0]!.headers)).toBe(true);
    expect(() => decoded[0]!.headers.push({ key: 'x', value: null })).toThrow(TypeError);
    expect(decoded[1]!.headers).toEqual([]);
    expect(Object.isFrozen(decoded[2]!.headers)).toBe(false);
  });

  it('encodes the same bytes transiently, into memory the next call reuses', () => {
    const first = encodeRecordBatchTransient(makeRecords(20), { now: T0, baseOffset: 5n });
    expect(first.equals(encodeRecordBatch(makeRecords(20), { now: T0, baseOffset: 5n }))).toBe(true);
    const lz4 = encodeRecordBatchTransient(makeRecords(20), { now: T0, compression: Codec.Lz4 });
    expect(decodeRecords(lz4, 0).map((r) => str(r.value))).toEqual(makeRecords(20).map((r) => r.value!.toString()));
    expect(lz4.buffer).toBe(first.buffer);
    // Larger than the reused area: a buffer of its own, still correct.
    const big = [{ value: Buffer.alloc(5 * 1024 * 1024, 1) }];
    const own = encodeRecordBatchTransient(big, { now: T0 });
    expect(own.buffer).not.toBe(first.buffer);
    expect(own.equals(encodeRecordBatch(big, { now: T0 }))).toBe(true);
  });

  it('keeps producer fields and the transactional and control bits', () => {
    const batch = encodeRecordBatch([{ value: 'x' }], {
      producerId: 2n ** 50n,
      producerEpoch: 32767,
      baseSequence: 2 ** 31 - 1,
      isTransactional: true,
      isControl: true,
      partitionLeaderEpoch: 9,
    });
    const h = decodeRecordBatchHeader(batch, 0);
    expect([h.producerId, h.producerEpoch, h.baseSequence, h.isTransactional, h.isControl, h.partitionLeaderEpoch]).toEqual([
      2n ** 50n,
      32767,
      2 ** 31 - 1,
      true,
      true,
      9,
    ]);
    expect(h.attributes).toBe(0x30);
    const plain = decodeRecordBatchHeader(encodeRecordBatch([{ value: 'x' }]), 0);
    expect([plain.producerId, plain.producerEpoch, plain.baseSequence, plain.partitionLeaderEpoch, plain.attributes]).toEqual([-1n, -1, -1, -1, 0]);
  });

  for (const codec of CODECS) {
    for (const count of [1, 1000]) {
      it(`round-trips ${count} record(s) compressed with codec ${codec}`, () => {
        const input = makeRecords(count);
        const batch = encodeRecordBatch(input, { compression: codec, baseOffset: 100n });
        const header = decodeRecordBatchHeader(batch, 0);
        expect(header.compression).toBe(codec);
        expect(header.attributes & 7).toBe(codec);
        expect(native.scanBatches(batch).error).toBeNull();
        if (count === 1000) expect(batch.length).toBeLessThan(encodeRecordBatch(input).length);
        const decoded = decodeRecords(batch, 0);
        expect(decoded).toHaveLength(count);
        decoded.forEach((r, i) => {
          expect(r.offset).toBe(100n + BigInt(i));
          expect(r.timestamp).toBe(input[i]!.timestamp);
          expect(str(r.key)).toBe(input[i]!.key);
          expect(r.value).toEqual(input[i]!.value);
          expect(r.headers).toEqual(i % 10 === 0 ? [{ key: 'n', value: Buffer.from(String(i)) }] : []);
        });
      });
    }
  }

  it('decodes several concatenated batches and ignores a trailing partial batch', () => {
    const a = encodeRecordBatch(makeRecords(3), { baseOffset: 0n });
    const b = encodeRecordBatch(makeRecords(2), { baseOffset: 3n, compression: Codec.Gzip });
    const c = encodeRecordBatch(makeRecords(4), { baseOffset: 5n });
    const d = encodeRecordBatch(makeRecords(1), { baseOffset: 9n });
    for (const cut of [1, 30, 61, d.length - 1]) {
      const batches = decodeRecordBatches(Buffer.concat([a, b, c, d.subarray(0, cut)]));
      expect(batches.map((x) => x.header.baseOffset)).toEqual([0n, 3n, 5n]);
      expect(batches.flatMap((x) => x.records.map((r) => r.offset))).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
    }
  });

  it('rejects an empty record list', () => {
    expect(() => encodeRecordBatch([])).toThrow(RangeError);
  });

  it('rejects a timestamp that is not an integer', () => {
    expect(() => encodeRecordBatch([{ value: 'x', timestamp: 1.5 }])).toThrow(/not an integer/);
    expect(() => encodeRecordBatch([{ value: 'x', timestamp: Number.NaN }])).toThrow(RangeError);
  });
});

describe('readRecordsInto', () => {
  it('appends records at or past minOffset, skipping earlier batches and earlier records of a batch', () => {
    const buf = Buffer.concat([
      encodeRecordBatch(makeRecords(3), { baseOffset: 0n }),
      encodeRecordBatch(makeRecords(3), { baseOffset: 3n, compression: Codec.Lz4 }),
      encodeRecordBatch(makeRecords(3), { baseOffset: 6n }),
    ]);
    const out: Record[] = [];
    expect(readRecordsInto(buf, out, 4n)).toBe(5);
    expect(out.map((r) => r.offset)).toEqual([4n, 5n, 6n, 7n, 8n]);
    expect(str(out[0]!.key)).toBe('key-1');
  });

  it('appends to what is already in `out` and returns only the new count', () => {
    const out: Record[] = [];
    readRecordsInto(encodeRecordBatch(makeRecords(2)), out, 0n);
    expect(readRecordsInto(encodeRecordBatch(makeRecords(2), { baseOffset: 2n }), out, 0n)).toBe(2);
    expect(out).toHaveLength(4);
  });

  it('skips control batches (transaction markers)', () => {
    const buf = Buffer.concat([
      encodeRecordBatch([{ value: 'data' }], { baseOffset: 0n, isTransactional: true, producerId: 1n, producerEpoch: 0 }),
      encodeRecordBatch([{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], {
        baseOffset: 1n,
        isTransactional: true,
        isControl: true,
      }),
    ]);
    const out: Record[] = [];
    expect(readRecordsInto(buf, out, 0n)).toBe(1);
    expect(str(out[0]!.value)).toBe('data');
  });

  it('returns keys and values as views into the fetched buffer, not copies', () => {
    const buf = encodeRecordBatch([{ key: 'k', value: 'v' }]);
    const out: Record[] = [];
    readRecordsInto(buf, out, 0n);
    expect(out[0]!.value!.buffer).toBe(buf.buffer);
    buf[buf.length - 2] = 'w'.charCodeAt(0);
    expect(str(out[0]!.value)).toBe('w');
  });

  it('returns views that behave as Buffers: instanceof, isBuffer, constructor, methods, equality', () => {
    const out: Record[] = [];
    readRecordsInto(encodeRecordBatch([{ key: 'key', value: 'value', headers: [{ key: 'h', value: 'hv' }] }]), out, 0n);
    const { key, value, headers } = out[0]!;
    for (const b of [key!, value!, headers[0]!.value!]) {
      expect(b).toBeInstanceOf(Buffer);
      expect(Buffer.isBuffer(b)).toBe(true);
      expect(b.constructor).toBe(Buffer);
      expect(Object.getPrototypeOf(b.subarray(1))).toBe(Buffer.prototype);
    }
    expect(value!.equals(Buffer.from('value'))).toBe(true);
    expect(value!.toString('base64')).toBe(Buffer.from('value').toString('base64'));
    expect(value!.readUInt8(0)).toBe(0x76);
    expect(value).toStrictEqual(Buffer.from('value'));
    expect(JSON.stringify(key)).toBe(JSON.stringify(Buffer.from('key')));
  });

  it('ignores a trailing partial batch', () => {
    const whole = encodeRecordBatch(makeRecords(2));
    const next = encodeRecordBatch(makeRecords(2), { baseOffset: 2n });
    const out: Record[] = [];
    expect(readRecordsInto(Buffer.concat([whole, next.subarray(0, next.length - 3)]), out, 0n)).toBe(2);
  });
});
