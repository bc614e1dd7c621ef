/**
 * Variable-length integers as Kafka's record format (magic 2) and flexible protocol versions
 * use them: protobuf base-128 varints, least significant group first, high bit = "more".
 *
 *   unsigned varint   value as is                     300 → ac 02
 *   varint (int32)    zigzag: (n << 1) ^ (n >> 31)     1 → 02, -1 → 01, 300 → d8 04
 *   varlong (int64)   zigzag: (n << 1) ^ (n >> 63)     at most 10 bytes
 *
 * The one varint codec of the TypeScript side. It lives in protocol/, the lowest layer of
 * DESIGN.md's map, because both the wire primitives (protocol/primitives.ts) and the record
 * formats (records/, one layer up) use it; it imports nothing, so each user turns a bad varint
 * into its own error (ProtocolError, CorruptRecordError) through VarintReader.varintError.
 *
 * The hot paths (record lengths, offset and timestamp deltas, key/value lengths) stay on
 * `number`: int32 varints with bit operations, varlongs with float arithmetic, which is exact
 * while the zigzag value stays below 2^53, i.e. for |n| <= 2^52. Timestamp deltas are far
 * below that. Values outside that range take the bigint variants.
 *
 * Decoding follows Kafka's ByteUtils: at most 5 (varint) / 10 (varlong) bytes, and bits past
 * 32 / 64 in the last byte are dropped (as Java's shifts drop them; native/src/varint.h does
 * the same), so both sides of the boundary accept the same record bytes. The protocol Reader
 * refuses an unsigned varint past 32 bits instead (VarintReader.refuseBitsPast32).
 *
 * Writers take (buffer, position, value) and return the position after the value, so a
 * caller chains them without allocating. Readers are VarintReader's methods; its `pos` advances.
 */

/** Largest magnitude the number varlong path encodes exactly (zigzag value <= 2^53). */
export const MAX_SAFE_VARLONG = 2 ** 52;

/** The int32 a zigzag-encoded uint32 stands for (also right for one-byte values read inline). */
export function zigzagDecode32(z: number): number {
  return (z >>> 1) ^ -(z & 1);
}

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

/** What is wrong with a varint a VarintReader could not read. */
export type VarintProblem = 'truncated' | 'too-long' | 'out-of-range' | 'past-32-bits';

/**
 * A read cursor over buf[pos, end) with the varint readers. Reads never go past `end`: a varint
 * that runs into it, one longer than its type allows, or (readVarlongNumber) one outside the
 * exact number range throws what `varintError` makes of it, so garbage input fails instead of
 * yielding a value. On a throw, `pos` is where the varint started.
 */
export abstract class VarintReader {
  buf: Uint8Array;
  pos: number;
  end: number;
  /**
   * False (Kafka's ByteUtils, and the records layer): bits of a 5th byte past bit 31 are
   * dropped. True: such a varint is refused ('past-32-bits'), as the protocol Reader does.
   */
  protected readonly refuseBitsPast32: boolean = false;

  constructor(buf: Uint8Array, pos: number, end: number) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /**
   * The error to throw for a bad varint: `kind` says which reader ('varint': unsigned varint or
   * zigzag int32; 'varlong'), `at` is the byte position where the problem showed.
   */
  protected abstract varintError(kind: 'varint' | 'varlong', problem: VarintProblem, at: number): Error;

  readUnsignedVarint(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= end) throw this.varintError('varint', 'truncated', pos);
      const b = buf[pos++]!;
      if (shift === 28 && (b & 0x70) !== 0 && this.refuseBitsPast32) throw this.varintError('varint', 'past-32-bits', this.pos);
      // The 5th byte contributes bits 28..31; `>>> 0` keeps the result unsigned.
      value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw this.varintError('varint', 'too-long', this.pos);
  }

  readVarint(): number {
    return zigzagDecode32(this.readUnsignedVarint());
  }

  /**
   * A zigzag varlong as the nearest number: exact within ±2^52 (readVarlongNumber's fast path),
   * rounded beyond it — for values any int64 may hold but that are only ever shown or compared,
   * such as a record's timestamp delta.
   */
  readVarlongApprox(): number {
    const start = this.pos;
    const buf = this.buf;
    const end = this.end;
    let pos = start;
    let z = 0;
    let scale = 1;
    for (let i = 0; i < 10 && pos < end; i++) {
      const b = buf[pos++]!;
      z += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (z > 2 * MAX_SAFE_VARLONG) break;
        this.pos = pos;
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      scale *= 128;
    }
    this.pos = start;
    return Number(this.readVarlongBigInt());
  }

  /** A zigzag varlong as a number; throws 'out-of-range' if it does not fit in ±2^52 (use readVarlongBigInt). */
  readVarlongNumber(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let z = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw this.varintError('varlong', 'truncated', pos);
      const b = buf[pos++]!;
      z += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (z > 2 * MAX_SAFE_VARLONG) throw this.varintError('varlong', 'out-of-range', this.pos);
        this.pos = pos;
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      scale *= 128;
    }
    throw this.varintError('varlong', 'too-long', this.pos);
  }

  readVarlongBigInt(): bigint {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let z = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= end) throw this.varintError('varlong', 'truncated', pos);
      const b = buf[pos++]!;
      z |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        z = BigInt.asUintN(64, z);
        return (z >> 1n) ^ -(z & 1n);
      }
    }
    throw this.varintError('varlong', 'too-long', this.pos);
  }
}
