/**
 * Kafka's wire primitives, written: see primitives.ts for the types and their encodings.
 * `Writer` appends into one growable Buffer and is meant to be reused (`reset()`); `view()` is
 * valid until the next write, `toBuffer()` copies out. With `spliceMinBytes` set, records blobs
 * that large are not copied in but kept by reference, and `toBuffers()` hands them out between
 * the bytes around them (a Fetch response is mostly such blobs: written with writev, they reach
 * the socket without a copy in JavaScript).
 */
import { ProtocolError } from './errors.js';
import type { TaggedField } from './primitives.js';
import { writeUnsignedVarint, writeVarint, writeVarlongBigInt } from './varint.js';

const MAX_INT16 = 0x7fff;

function invalid(message: string): ProtocolError {
  return new ProtocolError('INVALID_VALUE', message);
}

// int64 ↔ bigint through a typed-array scratch slot: Node 20's Buffer.write/readBigInt64BE
// cost 50-90 ns a call, the typed-array store and eight byte moves about 13 ns.
const I64 = new BigInt64Array(1);
const I64_BYTES = new Uint8Array(I64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A records blob kept by reference: it belongs before byte `at` of the writer's buffer. */
interface Spliced {
  at: number;
  data: Uint8Array;
}

export class Writer {
  buf: Buffer;
  pos = 0;
  /**
   * Records blobs (writeRecords and its variants) of at least this many bytes are kept by
   * reference instead of copied; 0 = always copy. The caller must not change such a blob until
   * the output is consumed.
   */
  spliceMinBytes = 0;
  private spliced: Spliced[] = [];

  constructor(initialBytes = 4096) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialBytes));
  }

  reset(): this {
    this.pos = 0;
    if (this.spliced.length > 0) this.spliced = [];
    return this;
  }

  /** The bytes written so far, without a copy (a copy when blobs were spliced); valid until the next write or reset. */
  view(): Buffer {
    if (this.spliced.length > 0) return Buffer.concat(this.toBuffers());
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of the bytes written so far, safe to keep. */
  toBuffer(): Buffer {
    if (this.spliced.length > 0) return Buffer.concat(this.toBuffers());
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }

  /**
   * The bytes written so far as consecutive parts: views of one copy of the buffered bytes,
   * with the spliced blobs (not copied) between them.
   */
  toBuffers(): Buffer[] {
    const own = Buffer.allocUnsafe(this.pos);
    this.buf.copy(own, 0, 0, this.pos);
    if (this.spliced.length === 0) return [own];
    const parts: Buffer[] = [];
    let from = 0;
    for (const { at, data } of this.spliced) {
      if (at > from) parts.push(own.subarray(from, at));
      parts.push(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      from = at;
    }
    if (this.pos > from) parts.push(own.subarray(from, this.pos));
    return parts;
  }

  ensure(bytes: number): void {
    if (this.pos + bytes > this.buf.length) this.grow(bytes);
  }

  private grow(bytes: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  // Integer writers store bytes directly (Buffer.write*BE cost several ns more a call); one
  // bitwise round trip checks range and integrality together.

  writeInt8(value: number): void {
    if ((value << 24) >> 24 !== value) throw invalid(`int8 value ${value} is out of range`);
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  writeBool(value: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
  }

  writeInt16(value: number): void {
    if ((value << 16) >> 16 !== value) throw invalid(`int16 value ${value} is out of range`);
    this.ensure(2);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = value >>> 8;
    buf[p + 1] = value;
    this.pos = p + 2;
  }

  writeUInt16(value: number): void {
    if ((value & 0xffff) !== value) throw invalid(`uint16 value ${value} is out of range`);
    this.ensure(2);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = value >>> 8;
    buf[p + 1] = value;
    this.pos = p + 2;
  }

  writeInt32(value: number): void {
    if ((value | 0) !== value) throw invalid(`int32 value ${value} is out of range`);
    this.ensure(4);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = value >>> 24;
    buf[p + 1] = value >>> 16;
    buf[p + 2] = value >>> 8;
    buf[p + 3] = value;
    this.pos = p + 4;
  }

  writeUInt32(value: number): void {
    if (value >>> 0 !== value) throw invalid(`uint32 value ${value} is out of range`);
    this.ensure(4);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = value >>> 24;
    buf[p + 1] = value >>> 16;
    buf[p + 2] = value >>> 8;
    buf[p + 3] = value;
    this.pos = p + 4;
  }

  /** int64 from a bigint, or from a number that is a safe integer. */
  writeInt64(value: bigint | number): void {
    if (typeof value === 'number') {
      this.writeInt64Number(value);
      return;
    }
    if (typeof value !== 'bigint') throw invalid(`expected an int64 as bigint or number, got ${typeof value}`);
    if (value > 0x7fffffffffffffffn || value < -0x8000000000000000n) throw invalid(`int64 value ${value} is out of range`);
    this.ensure(8);
    I64[0] = value;
    const buf = this.buf;
    const p = this.pos;
    const b = I64_BYTES;
    if (LITTLE_ENDIAN) {
      buf[p] = b[7]!;
      buf[p + 1] = b[6]!;
      buf[p + 2] = b[5]!;
      buf[p + 3] = b[4]!;
      buf[p + 4] = b[3]!;
      buf[p + 5] = b[2]!;
      buf[p + 6] = b[1]!;
      buf[p + 7] = b[0]!;
    } else {
      buf.set(b, p);
    }
    this.pos = p + 8;
  }

  /** int64 from a safe-integer number, without going through bigint. */
  writeInt64Number(value: number): void {
    if (!Number.isSafeInteger(value)) throw invalid(`int64 value ${value} is not a safe integer`);
    this.ensure(8);
    const hi = Math.floor(value / 4294967296);
    const lo = value - hi * 4294967296;
    const buf = this.buf;
    const p = this.pos;
    buf[p] = hi >>> 24;
    buf[p + 1] = hi >>> 16;
    buf[p + 2] = hi >>> 8;
    buf[p + 3] = hi;
    buf[p + 4] = lo >>> 24;
    buf[p + 5] = lo >>> 16;
    buf[p + 6] = lo >>> 8;
    buf[p + 7] = lo;
    this.pos = p + 8;
  }

  writeFloat64(value: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(value, this.pos);
  }

  /** Unsigned varint of a uint32 (0 .. 2^32-1). */
  writeUnsignedVarint(value: number): void {
    if (value >>> 0 !== value) throw invalid(`unsigned varint ${value} is not a uint32`);
    this.ensure(5);
    this.pos = writeUnsignedVarint(this.buf, this.pos, value);
  }

  /** Zigzag varint of an int32. */
  writeVarint(value: number): void {
    if ((value | 0) !== value) throw invalid(`varint ${value} is not an int32`);
    this.ensure(5);
    this.pos = writeVarint(this.buf, this.pos, value);
  }

  /** Zigzag varlong of an int64. */
  writeVarlong(value: bigint | number): void {
    this.ensure(10);
    this.pos = writeVarlongBigInt(this.buf, this.pos, BigInt.asIntN(64, BigInt(value)));
  }

  /** Copies raw bytes. */
  writeRaw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * Writes `s` as UTF-8 behind a length prefix; `compact` picks uvarint N+1 over int16 N.
   * ASCII strings (the usual topic, group and client names) skip Buffer.byteLength.
   */
  private writeStringWithPrefix(s: string, compact: boolean): void {
    const n = s.length;
    if (n < 127) {
      // Optimistic ASCII path (n < 127 keeps the compact prefix n+1 at one byte): prefix assuming byteLength == length, then copy char codes.
      const prefix = compact ? 1 : 2;
      this.ensure(prefix + n);
      const buf = this.buf;
      const start = this.pos + prefix;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === n) {
        if (compact) buf[this.pos] = n + 1;
        else buf.writeInt16BE(n, this.pos);
        this.pos = start + n;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    if (compact) {
      this.writeUnsignedVarint(len + 1);
    } else {
      if (len > MAX_INT16) throw invalid(`string of ${len} bytes exceeds the int16 length limit`);
      this.writeInt16(len);
    }
    this.ensure(len);
    this.buf.write(s, this.pos, len, 'utf8');
    this.pos += len;
  }

  writeString(s: string): void {
    if (typeof s !== 'string') throw invalid(`expected a string, got ${s === null ? 'null' : typeof s}`);
    this.writeStringWithPrefix(s, false);
  }

  writeNullableString(s: string | null): void {
    if (s === null) this.writeInt16(-1);
    else this.writeString(s);
  }

  writeCompactString(s: string): void {
    if (typeof s !== 'string') throw invalid(`expected a string, got ${s === null ? 'null' : typeof s}`);
    this.writeStringWithPrefix(s, true);
  }

  writeCompactNullableString(s: string | null): void {
    if (s === null) this.writeUnsignedVarint(0);
    else this.writeCompactString(s);
  }

  writeBytes(b: Uint8Array): void {
    if (!(b instanceof Uint8Array)) throw invalid('expected a Buffer');
    this.writeInt32(b.length);
    this.writeRaw(b);
  }

  writeNullableBytes(b: Uint8Array | null): void {
    if (b === null) this.writeInt32(-1);
    else this.writeBytes(b);
  }

  writeCompactBytes(b: Uint8Array): void {
    if (!(b instanceof Uint8Array)) throw invalid('expected a Buffer');
    this.writeUnsignedVarint(b.length + 1);
    this.writeRaw(b);
  }

  writeCompactNullableBytes(b: Uint8Array | null): void {
    if (b === null) this.writeUnsignedVarint(0);
    else this.writeCompactBytes(b);
  }

  // Records: written as bytes, but a large blob may be spliced in by reference (spliceMinBytes).

  writeRecords(b: Uint8Array): void {
    if (!(b instanceof Uint8Array)) throw invalid('expected a Buffer');
    this.writeInt32(b.length);
    this.writeRecordsBody(b);
  }

  writeNullableRecords(b: Uint8Array | null): void {
    if (b === null) this.writeInt32(-1);
    else this.writeRecords(b);
  }

  writeCompactRecords(b: Uint8Array): void {
    if (!(b instanceof Uint8Array)) throw invalid('expected a Buffer');
    this.writeUnsignedVarint(b.length + 1);
    this.writeRecordsBody(b);
  }

  writeCompactNullableRecords(b: Uint8Array | null): void {
    if (b === null) this.writeUnsignedVarint(0);
    else this.writeCompactRecords(b);
  }

  private writeRecordsBody(b: Uint8Array): void {
    if (this.spliceMinBytes > 0 && b.length >= this.spliceMinBytes) this.spliced.push({ at: this.pos, data: b });
    else this.writeRaw(b);
  }

  /** A UUID given as 22 base64url characters (see ZERO_UUID). */
  writeUuid(uuid: string): void {
    if (typeof uuid !== 'string' || uuid.length !== 22) throw invalid(`uuid ${String(uuid)} is not 22 base64url characters`);
    this.ensure(16);
    const written = this.buf.write(uuid, this.pos, 16, 'base64url');
    if (written !== 16) throw invalid(`uuid ${uuid} is not 22 base64url characters`);
    this.pos += 16;
  }

  /** Array count prefix: int32 (-1 = null) or compact uvarint count+1 (0 = null). */
  writeArrayLength(length: number | null, compact: boolean): void {
    if (compact) this.writeUnsignedVarint(length === null ? 0 : length + 1);
    else this.writeInt32(length === null ? -1 : length);
  }

  writeArray<T>(items: readonly T[] | null, compact: boolean, writeItem: (w: Writer, item: T) => void): void {
    this.writeArrayLength(items === null ? null : items.length, compact);
    if (items !== null) for (const item of items) writeItem(this, item);
  }

  /** A tagged-fields section of raw fields (sorted by tag here); none → the single byte 0. */
  writeTaggedFields(fields: readonly TaggedField[] | undefined): void {
    if (fields === undefined || fields.length === 0) {
      this.ensure(1);
      this.buf[this.pos++] = 0;
      return;
    }
    const sorted = [...fields].sort((a, b) => a.tag - b.tag);
    this.writeUnsignedVarint(sorted.length);
    for (const f of sorted) {
      this.writeUnsignedVarint(f.tag);
      this.writeUnsignedVarint(f.data.length);
      this.writeRaw(f.data);
    }
  }
}
