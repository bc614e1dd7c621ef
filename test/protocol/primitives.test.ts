import { describe, expect, test, vi } from 'vitest';
import { ProtocolError } from '../../src/protocol/errors.js';
import { Reader, Writer, ZERO_UUID, sizeOfUnsignedVarint } from '../../src/protocol/primitives.js';

function written(fn: (w: Writer) => void): Buffer {
  const w = new Writer(16);
  fn(w);
  return w.toBuffer();
}

function expectMalformed(fn: () => unknown, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  expect((caught as ProtocolError).code).toBe('MALFORMED_REQUEST');
  if (message) expect((caught as ProtocolError).message).toMatch(message);
}

describe('unsigned varints', () => {
  test.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [2 ** 21 - 1, 'ffff7f'],
    [2 ** 21, '80808001'],
    [2 ** 28, '8080808001'],
    [2 ** 32 - 1, 'ffffffff0f'],
  ])('%i is written as %s and read back', (value, hex) => {
    const buf = written((w) => w.writeUnsignedVarint(value));
    expect(buf.toString('hex')).toBe(hex);
    expect(sizeOfUnsignedVarint(value)).toBe(buf.length);
    const r = new Reader(buf);
    expect(r.readUnsignedVarint()).toBe(value);
    expect(r.remaining()).toBe(0);
  });

  test('a varint longer than five bytes is rejected', () => {
    expectMalformed(() => new Reader(Buffer.from('8080808080', 'hex')).readUnsignedVarint());
    expectMalformed(() => new Reader(Buffer.from('ffffffff7f', 'hex')).readUnsignedVarint(), /32 bits/);
  });

  test('a varint cut off in the middle throws instead of reading past the end', () => {
    expectMalformed(() => new Reader(Buffer.from('8080', 'hex')).readUnsignedVarint(), /truncated/);
  });

  test('negative or fractional values cannot be written as unsigned varints', () => {
    expect(() => written((w) => w.writeUnsignedVarint(-1))).toThrow(ProtocolError);
    expect(() => written((w) => w.writeUnsignedVarint(1.5))).toThrow(ProtocolError);
  });
});

describe('zigzag varints and varlongs', () => {
  test.each([
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-64, '7f'],
    [64, '8001'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ])('varint %i is %s', (value, hex) => {
    const buf = written((w) => w.writeVarint(value));
    expect(buf.toString('hex')).toBe(hex);
    expect(new Reader(buf).readVarint()).toBe(value);
  });

  test.each([
    [0n, '00'],
    [-1n, '01'],
    [1n, '02'],
    [9223372036854775807n, 'feffffffffffffffff01'],
    [-9223372036854775808n, 'ffffffffffffffffff01'],
  ])('varlong %s is %s', (value, hex) => {
    const buf = written((w) => w.writeVarlong(value));
    expect(buf.toString('hex')).toBe(hex);
    expect(new Reader(buf).readVarlong()).toBe(value);
  });
});

describe('fixed-width integers', () => {
  test('int64 accepts bigints and safe-integer numbers and reads back as bigint', () => {
    expect(written((w) => w.writeInt64(-1n)).toString('hex')).toBe('ffffffffffffffff');
    expect(written((w) => w.writeInt64(-1)).toString('hex')).toBe('ffffffffffffffff');
    expect(written((w) => w.writeInt64(2 ** 40 + 3)).toString('hex')).toBe('0000010000000003');
    expect(written((w) => w.writeInt64(-(2 ** 40) - 3)).toString('hex')).toBe('fffffefffffffffd');
    expect(new Reader(Buffer.from('8000000000000000', 'hex')).readInt64()).toBe(-9223372036854775808n);
    expect(() => written((w) => w.writeInt64(2 ** 60))).toThrow(ProtocolError);
  });

  test('values out of range are refused rather than truncated', () => {
    expect(() => written((w) => w.writeInt16(40000))).toThrow(ProtocolError);
    expect(() => written((w) => w.writeInt8(200))).toThrow(ProtocolError);
    expect(() => written((w) => w.writeInt32(2 ** 31))).toThrow(ProtocolError);
    expect(() => written((w) => w.writeInt32(1.5))).toThrow(ProtocolError);
    expect(() => written((w) => w.writeUInt32(-1))).toThrow(ProtocolError);
    expect(() => written((w) => w.writeUInt16(65536))).toThrow(ProtocolError);
    expect(() => written((w) => w.writeInt32(undefined as unknown as number))).toThrow(ProtocolError);
    expect(written((w) => w.writeInt32(-2)).toString('hex')).toBe('fffffffe');
    expect(written((w) => w.writeUInt32(0xfffffffe)).toString('hex')).toBe('fffffffe');
    expect(written((w) => w.writeInt16(-32768)).toString('hex')).toBe('8000');
  });

  test('a truncated int32 throws a ProtocolError naming the offset', () => {
    const r = new Reader(Buffer.from([0, 0, 1]));
    expectMalformed(() => r.readInt32(), /int32 needs 4 bytes at offset 0, 3 left/);
  });

  test('the writer grows past its initial size', () => {
    const w = new Writer(16);
    for (let i = 0; i < 1000; i++) w.writeInt32(i);
    const r = new Reader(w.toBuffer());
    for (let i = 0; i < 1000; i++) expect(r.readInt32()).toBe(i);
  });
});

describe('strings', () => {
  test('a nullable string of null is length -1; a compact one is 0', () => {
    expect(written((w) => w.writeNullableString(null)).toString('hex')).toBe('ffff');
    expect(written((w) => w.writeCompactNullableString(null)).toString('hex')).toBe('00');
    expect(new Reader(Buffer.from('ffff', 'hex')).readNullableString()).toBeNull();
    expect(new Reader(Buffer.from('00', 'hex')).readCompactNullableString()).toBeNull();
  });

  test('an empty compact string is the single byte 1', () => {
    expect(written((w) => w.writeCompactString('')).toString('hex')).toBe('01');
    expect(new Reader(Buffer.from('01', 'hex')).readCompactString()).toBe('');
  });

  test('lengths count UTF-8 bytes, not characters', () => {
    const buf = written((w) => w.writeString('é€'));
    expect(buf.toString('hex')).toBe('0005c3a9e282ac');
    expect(new Reader(buf).readString()).toBe('é€');
    const compact = written((w) => w.writeCompactString('é€'));
    expect(compact[0]).toBe(6);
    expect(new Reader(compact).readCompactString()).toBe('é€');
  });

  test('a 126- and a 127-character ASCII compact string get 1- and 2-byte prefixes', () => {
    const a = written((w) => w.writeCompactString('x'.repeat(126)));
    expect(a.length).toBe(127);
    expect(a[0]).toBe(127);
    const b = written((w) => w.writeCompactString('x'.repeat(127)));
    expect(b.subarray(0, 2).toString('hex')).toBe('8001');
    expect(new Reader(b).readCompactString()).toBe('x'.repeat(127));
  });

  test('a null in a non-nullable string is malformed', () => {
    expectMalformed(() => new Reader(Buffer.from('ffff', 'hex')).readString());
    expectMalformed(() => new Reader(Buffer.from('00', 'hex')).readCompactString());
    expect(() => written((w) => w.writeString(null as unknown as string))).toThrow(ProtocolError);
  });

  test('a string longer than the bytes left throws', () => {
    expectMalformed(() => new Reader(Buffer.from('000a616263', 'hex')).readString(), /truncated/);
  });

  test('a string over 32767 bytes cannot take the int16 form', () => {
    expect(() => written((w) => w.writeString('x'.repeat(40000)))).toThrow(ProtocolError);
  });
});

describe('bytes and arrays', () => {
  test('nullable bytes: null is -1, compact null is 0, and a value reads back as a view', () => {
    expect(written((w) => w.writeNullableBytes(null)).toString('hex')).toBe('ffffffff');
    expect(written((w) => w.writeCompactNullableBytes(null)).toString('hex')).toBe('00');
    const buf = written((w) => w.writeCompactBytes(Buffer.from([9, 8, 7])));
    expect(buf.toString('hex')).toBe('04090807');
    const out = new Reader(buf).readCompactBytes();
    expect([...out]).toEqual([9, 8, 7]);
    expect(out.buffer).toBe(buf.buffer);
  });

  test('a declared length of 2^31-1 with 10 bytes left throws without allocating', () => {
    const buf = Buffer.alloc(14);
    buf.writeInt32BE(0x7fffffff, 0);
    const alloc = vi.spyOn(Buffer, 'alloc');
    const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe');
    try {
      expectMalformed(() => new Reader(buf).readBytes(), /needs 2147483647 bytes .* 10 left/);
      expectMalformed(() => new Reader(buf).readArrayLength(false), /exceeds the 10 bytes left/);
      expectMalformed(() => new Reader(buf).readArray(false, (r) => r.readInt8()), /exceeds/);
      expect(alloc).not.toHaveBeenCalled();
      expect(allocUnsafe).not.toHaveBeenCalled();
    } finally {
      alloc.mockRestore();
      allocUnsafe.mockRestore();
    }
  });

  test('an array count is checked against the minimum size of its items', () => {
    // 3 int32 items need 12 bytes; 8 are there.
    const buf = Buffer.from('00000003' + '00000001' + '00000002', 'hex');
    expectMalformed(() => new Reader(buf).readArrayLength(false, 4), /3 items/);
    expect(new Reader(buf).readArrayLength(false, 1)).toBe(3);
  });

  test('arrays: null is -1 (compact 0), elements follow the count', () => {
    expect(written((w) => w.writeArray(null, false, (ww, x: number) => ww.writeInt8(x))).toString('hex')).toBe('ffffffff');
    expect(written((w) => w.writeArray(null, true, (ww, x: number) => ww.writeInt8(x))).toString('hex')).toBe('00');
    const buf = written((w) => w.writeArray([1, 2], true, (ww, x: number) => ww.writeInt8(x)));
    expect(buf.toString('hex')).toBe('030102');
    expect(new Reader(buf).readArray(true, (r) => r.readInt8())).toEqual([1, 2]);
    expect(new Reader(Buffer.from('00', 'hex')).readArray(true, (r) => r.readInt8())).toBeNull();
  });

  test('a negative non-null array length is malformed', () => {
    expectMalformed(() => new Reader(Buffer.from('fffffffe', 'hex')).readArrayLength(false), /length -2/);
  });
});

describe('uuids', () => {
  test('a uuid is 16 raw bytes, read and written as 22 base64url characters', () => {
    const raw = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
    const id = raw.toString('base64url');
    expect(id).toHaveLength(22);
    expect(written((w) => w.writeUuid(id))).toEqual(raw);
    expect(new Reader(raw).readUuid()).toBe(id);
  });

  test('the zero uuid is sixteen zero bytes', () => {
    expect(written((w) => w.writeUuid(ZERO_UUID))).toEqual(Buffer.alloc(16));
  });

  test('a uuid that is not 22 base64url characters is refused', () => {
    expect(() => written((w) => w.writeUuid('abc'))).toThrow(ProtocolError);
    expect(() => written((w) => w.writeUuid('!!!!!!!!!!!!!!!!!!!!!!'))).toThrow(ProtocolError);
  });

  test('a truncated uuid throws', () => {
    expectMalformed(() => new Reader(Buffer.alloc(15)).readUuid());
  });
});

describe('tagged fields', () => {
  test('an empty section is the byte 0 and reads as undefined', () => {
    expect(written((w) => w.writeTaggedFields(undefined)).toString('hex')).toBe('00');
    expect(new Reader(Buffer.from('00', 'hex')).readTaggedFields()).toBeUndefined();
  });

  test('fields are written in ascending tag order with their sizes', () => {
    const buf = written((w) =>
      w.writeTaggedFields([
        { tag: 5, data: Buffer.from([0xaa]) },
        { tag: 1, data: Buffer.from([0xbb, 0xcc]) },
      ]),
    );
    expect(buf.toString('hex')).toBe('020102bbcc0501aa');
    expect(new Reader(buf).readTaggedFields()).toEqual([
      { tag: 1, data: Buffer.from([0xbb, 0xcc]) },
      { tag: 5, data: Buffer.from([0xaa]) },
    ]);
  });

  test('a tagged field whose size runs past the end throws', () => {
    expectMalformed(() => new Reader(Buffer.from('0101ff00', 'hex')).readTaggedFields());
  });
});
