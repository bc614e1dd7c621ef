/**
 * Variable-length integers as Kafka's record format (magic 2) and flexible protocol versions
 * use them: protobuf base-128 varints, least significant group first, high bit = "more".
 *
 *   unsigned varint   value as is                     300 → ac 02
 *   varint (int32)    zigzag: (n << 1) ^ (n >> 31)     1 → 02, -1 → 01, 300 → d8 04
 *   varlong (int64)   zigzag: (n << 1) ^ (n >> 63)     at most 10 bytes
 *
 * The hot paths (record lengths, offset and timestamp deltas, key/value lengths) stay on
 * `number`: int32 varints with bit operations, varlongs with float arithmetic, which is exact
 * while the zigzag value stays below 2^53, i.e. for |n| <= 2^52. Timestamp deltas are far
 * below that. Values outside that range take the bigint variants.
 *
 * Writers take (buffer, position, value) and return the position after the value, so a
 * caller chains them without allocating. Readers live on `ByteReader`, whose `pos` advances.
 */
import { CorruptRecordError } from './errors.js';

/** Largest magnitude the number varlong path encodes exactly (zigzag value <= 2^53). */
export const MAX_SAFE_VARLONG = 2 ** 52;

const TWO_POW_32 = 4294967296;

/** Bytes an unsigned varint takes; `value` is a uint32 (0 .. 2^32-1). */
export function sizeOfUnsignedVarint(value: number): number {
  const v = value >>> 0;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

/** Bytes a zigzag int32 varint takes. */
export function sizeOfVarint(value: number): number {
  return sizeOfUnsignedVarint((value << 1) ^ (value >> 31));
}

/** Bytes a zigzag varlong takes, for |value| <= 2^52 (see MAX_SAFE_VARLONG). */
export function sizeOfVarlong(value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return sizeOfVarint(value);
  if (value > MAX_SAFE_VARLONG || value < -MAX_SAFE_VARLONG) return sizeOfVarlongBigInt(BigInt(value));
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
}

/** Bytes a zigzag varlong takes, for any int64. */
export function sizeOfVarlongBigInt(value: bigint): number {
  let z = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  let size = 1;
  while (z >= 128n) {
    z >>= 7n;
    size++;
  }
  return size;
}

/** Writes a uint32 as an unsigned varint. */
export function writeUnsignedVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes an int32 as a zigzag varint. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  // One-byte values (lengths < 64, small deltas) are the common case on the append path.
  if (v < 0x80) {
    buf[pos] = v;
    return pos + 1;
  }
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes a number as a zigzag varlong; exact for |value| <= 2^52, bigint path beyond. */
export function writeVarlong(buf: Uint8Array, pos: number, value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return writeVarint(buf, pos, value);
  if (value > MAX_SAFE_VARLONG || value < -MAX_SAFE_VARLONG) return writeVarlongBigInt(buf, pos, BigInt(value));
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  while (z >= 128) {
    buf[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

/** Writes any int64 as a zigzag varlong. */
export function writeVarlongBigInt(buf: Uint8Array, pos: number, value: bigint): number {
  let z = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  while (z >= 128n) {
    buf[pos++] = Number(z & 0x7fn) | 0x80;
    z >>= 7n;
  }
  buf[pos++] = Number(z);
  return pos;
}

/**
 * A read cursor over a byte range. `pos` advances past what each read consumed. Reads never
 * go past `end`: a varint that runs into it, or one longer than its type allows, throws
 * CorruptRecordError, so garbage input fails instead of yielding a value.
 */
export class ByteReader {
  buf: Uint8Array;
  pos: number;
  end: number;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Re-points the reader without allocating a new one. */
  reset(buf: Uint8Array, pos: number, end: number): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  readUnsignedVarint(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= end) throw new CorruptRecordError('varint runs past the end of its range', pos);
      const b = buf[pos++]!;
      // The 5th byte contributes bits 28..31; `>>> 0` keeps the result unsigned.
      value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw new CorruptRecordError('varint longer than 5 bytes', this.pos);
  }

  readVarint(): number {
    const z = this.readUnsignedVarint();
    return (z >>> 1) ^ -(z & 1);
  }

  /** A zigzag varlong as a number; throws if it does not fit in ±2^52 (use readVarlongBigInt). */
  readVarlong(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let z = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw new CorruptRecordError('varlong runs past the end of its range', pos);
      const b = buf[pos++]!;
      z += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (z > 2 * MAX_SAFE_VARLONG) {
          throw new CorruptRecordError(`varlong out of the exact number range at ${this.pos}`, this.pos);
        }
        this.pos = pos;
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      scale *= 128;
    }
    throw new CorruptRecordError('varlong longer than 10 bytes', this.pos);
  }

  readVarlongBigInt(): bigint {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let z = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= end) throw new CorruptRecordError('varlong runs past the end of its range', pos);
      const b = buf[pos++]!;
      z |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        z = BigInt.asUintN(64, z);
        return (z >> 1n) ^ -(z & 1n);
      }
    }
    throw new CorruptRecordError('varlong longer than 10 bytes', this.pos);
  }
}

/** Writes an int64 given as a number (|value| < 2^53) big-endian, as Buffer#writeBigInt64BE would. */
export function writeInt64NumberBE(buf: Buffer, pos: number, value: number): number {
  const high = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(high, pos);
  buf.writeUInt32BE(value - high * TWO_POW_32, pos + 4);
  return pos + 8;
}

/** Reads a big-endian int64 as a number; exact while |value| < 2^53 (timestamps, offsets). */
export function readInt64NumberBE(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_POW_32 + buf.readUInt32BE(pos + 4);
}
