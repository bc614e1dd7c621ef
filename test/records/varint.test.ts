import { describe, expect, it } from 'vitest';
import {
  ByteReader,
  MAX_SAFE_VARLONG,
  readInt64NumberBE,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
  sizeOfVarlongBigInt,
  writeInt64NumberBE,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
  writeVarlongBigInt,
} from '../../src/records/varint.js';
import { CorruptRecordError } from '../../src/records/errors.js';
import { Reader } from '../../src/protocol/primitives.js';

function hex(write: (buf: Uint8Array, pos: number) => number): string {
  const buf = Buffer.alloc(16);
  const end = write(buf, 0);
  return buf.subarray(0, end).toString('hex');
}

const INT32_BOUNDARIES = [0, 1, -1, 63, -63, 64, -64, 65, -65, 8191, -8192, 8192, 2 ** 20, -(2 ** 20), 2 ** 27, 2 ** 31 - 1, -(2 ** 31)];
const LONG_BOUNDARIES = [
  ...INT32_BOUNDARIES,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  -(2 ** 35),
  1_700_000_000_000,
  -1_700_000_000_000,
  2 ** 52 - 1,
  MAX_SAFE_VARLONG,
  -MAX_SAFE_VARLONG,
];

describe('varint', () => {
  it('encodes the zigzag examples of the Kafka and protobuf specs to known bytes', () => {
    expect(hex((b, p) => writeVarint(b, p, 0))).toBe('00');
    expect(hex((b, p) => writeVarint(b, p, -1))).toBe('01');
    expect(hex((b, p) => writeVarint(b, p, 1))).toBe('02');
    expect(hex((b, p) => writeVarint(b, p, -2))).toBe('03');
    expect(hex((b, p) => writeVarint(b, p, 63))).toBe('7e');
    expect(hex((b, p) => writeVarint(b, p, -64))).toBe('7f');
    expect(hex((b, p) => writeVarint(b, p, 64))).toBe('8001');
    expect(hex((b, p) => writeVarint(b, p, 300))).toBe('d804');
    expect(hex((b, p) => writeVarint(b, p, 2 ** 31 - 1))).toBe('feffffff0f');
    expect(hex((b, p) => writeVarint(b, p, -(2 ** 31)))).toBe('ffffffff0f');
  });

  it('encodes unsigned varints without zigzag (150 → 96 01, 300 → ac 02)', () => {
    expect(hex((b, p) => writeUnsignedVarint(b, p, 150))).toBe('9601');
    expect(hex((b, p) => writeUnsignedVarint(b, p, 300))).toBe('ac02');
    expect(hex((b, p) => writeUnsignedVarint(b, p, 0xffffffff))).toBe('ffffffff0f');
  });

  it('round-trips int32 boundaries and reports the size it writes', () => {
    const buf = Buffer.alloc(16);
    for (const v of INT32_BOUNDARIES) {
      const end = writeVarint(buf, 3, v);
      expect(end - 3, `size of ${v}`).toBe(sizeOfVarint(v));
      const reader = new ByteReader(buf, 3, end);
      expect(reader.readVarint(), `value ${v}`).toBe(v);
      expect(reader.pos).toBe(end);
    }
  });

  it('round-trips unsigned varints across each byte-length boundary', () => {
    const buf = Buffer.alloc(16);
    for (const v of [0, 127, 128, 16383, 16384, 2097151, 2097152, 268435455, 268435456, 0xffffffff]) {
      const end = writeUnsignedVarint(buf, 0, v);
      expect(end).toBe(sizeOfUnsignedVarint(v));
      expect(new ByteReader(buf, 0, end).readUnsignedVarint()).toBe(v);
    }
  });

  it('writes the same varlong bytes on the number path as on the bigint path', () => {
    for (const v of LONG_BOUNDARIES) {
      const viaNumber = hex((b, p) => writeVarlong(b, p, v));
      const viaBigInt = hex((b, p) => writeVarlongBigInt(b, p, BigInt(v)));
      expect(viaNumber, `value ${v}`).toBe(viaBigInt);
      expect(sizeOfVarlong(v)).toBe(viaNumber.length / 2);
      expect(sizeOfVarlongBigInt(BigInt(v))).toBe(viaNumber.length / 2);
    }
  });

  it('round-trips varlongs as numbers up to ±2^52 and as bigints over the whole int64 range', () => {
    const buf = Buffer.alloc(16);
    for (const v of LONG_BOUNDARIES) {
      const end = writeVarlong(buf, 0, v);
      expect(new ByteReader(buf, 0, end).readVarlong(), `value ${v}`).toBe(v);
    }
    for (const v of [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, -(2n ** 60n), 0n]) {
      const end = writeVarlongBigInt(buf, 0, v);
      expect(new ByteReader(buf, 0, end).readVarlongBigInt(), `value ${v}`).toBe(v);
    }
  });

  it('encodes the int64 extremes in ten bytes', () => {
    expect(hex((b, p) => writeVarlongBigInt(b, p, 2n ** 63n - 1n))).toBe('feffffffffffffffff01');
    expect(hex((b, p) => writeVarlongBigInt(b, p, -(2n ** 63n)))).toBe('ffffffffffffffffff01');
  });

  it('takes the bigint path for numbers beyond ±2^52 instead of losing precision', () => {
    const v = 2 ** 53;
    expect(hex((b, p) => writeVarlong(b, p, v))).toBe(hex((b, p) => writeVarlongBigInt(b, p, 2n ** 53n)));
  });

  it('refuses to read a varlong as a number when it does not fit exactly', () => {
    const buf = Buffer.alloc(16);
    const end = writeVarlongBigInt(buf, 0, 2n ** 60n);
    expect(() => new ByteReader(buf, 0, end).readVarlong()).toThrow(CorruptRecordError);
  });

  it('throws CorruptRecordError for a varint longer than five bytes', () => {
    const buf = Buffer.from('ffffffffff01', 'hex');
    expect(() => new ByteReader(buf).readVarint()).toThrow(/longer than 5 bytes/);
  });

  it('throws CorruptRecordError for a varint cut off by the end of its range', () => {
    const buf = Buffer.from('ff ff 01'.replace(/ /g, ''), 'hex');
    expect(() => new ByteReader(buf, 0, 2).readVarint()).toThrow(CorruptRecordError);
    expect(() => new ByteReader(buf, 0, 2).readVarlong()).toThrow(CorruptRecordError);
    expect(() => new ByteReader(buf, 0, 2).readVarlongBigInt()).toThrow(CorruptRecordError);
  });

  it('writes and reads int64 numbers big-endian, negative ones included', () => {
    const buf = Buffer.alloc(8);
    for (const v of [0, -1, 1_700_000_000_000, -1_700_000_000_000, 2 ** 53 - 1, -(2 ** 53 - 1)]) {
      writeInt64NumberBE(buf, 0, v);
      expect(buf.readBigInt64BE(0)).toBe(BigInt(v));
      expect(readInt64NumberBE(buf, 0)).toBe(v);
    }
  });
});

describe('one varint decoder for records and the wire protocol', () => {
  it('the records ByteReader and the protocol Reader read the same values from the same bytes', () => {
    const values = [0, 1, -1, 63, -64, 64, 300, -300, 2 ** 20, -(2 ** 20), 2 ** 31 - 1, -(2 ** 31)];
    for (const v of values) {
      const buf = Buffer.alloc(10);
      const end = writeVarint(buf, 0, v);
      expect(new ByteReader(buf, 0, end).readVarint(), `varint ${v}`).toBe(v);
      expect(new Reader(buf.subarray(0, end)).readVarint(), `varint ${v}`).toBe(v);
    }
    for (const v of [0n, -1n, 2n ** 40n, -(2n ** 62n), 2n ** 63n - 1n, -(2n ** 63n)]) {
      const buf = Buffer.alloc(10);
      const end = writeVarlongBigInt(buf, 0, v);
      expect(new ByteReader(buf, 0, end).readVarlongBigInt(), `varlong ${v}`).toBe(v);
      expect(new Reader(buf.subarray(0, end)).readVarlong(), `varlong ${v}`).toBe(v);
    }
  });

  it('a fifth byte past 32 bits is dropped in records, as Kafka and the native validator read it, and refused on the wire', () => {
    // 0x81 0x80 0x80 0x80 0x10: 1, plus bit 32 (dropped) → 1 → zigzag -1.
    const bytes = Buffer.from('8180808010', 'hex');
    expect(new ByteReader(bytes).readVarint()).toBe(-1);
    expect(() => new Reader(bytes).readUnsignedVarint()).toThrow(/32 bits/);
  });
});
