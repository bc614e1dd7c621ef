/**
 * The records layer's view of the varint codec (protocol/varint.ts, the one implementation):
 * the same writers and sizes, and ByteReader, a VarintReader whose bad varints are
 * CorruptRecordErrors. Also the int64 ⇄ number helpers the batch header uses.
 */
import { VarintReader, type VarintProblem } from '../protocol/varint.js';
import { CorruptRecordError } from './errors.js';

export {
  MAX_SAFE_VARLONG,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
  sizeOfVarlongBigInt,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
  writeVarlongBigInt,
  zigzagDecode32,
} from '../protocol/varint.js';

const TWO_POW_32 = 4294967296;

/**
 * A read cursor over a byte range of record bytes. `pos` advances past what each read consumed.
 * Reads never go past `end`: a varint that runs into it, or one longer than its type allows,
 * throws CorruptRecordError, so garbage input fails instead of yielding a value.
 */
export class ByteReader extends VarintReader {
  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    super(buf, pos, end);
  }

  /** Re-points the reader without allocating a new one. */
  reset(buf: Uint8Array, pos: number, end: number): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** A zigzag varlong as a number; throws if it does not fit in ±2^52 (use readVarlongBigInt). */
  readVarlong(): number {
    return this.readVarlongNumber();
  }

  protected override varintError(kind: 'varint' | 'varlong', problem: VarintProblem, at: number): CorruptRecordError {
    if (problem === 'truncated') return new CorruptRecordError(`${kind} runs past the end of its range`, at);
    if (problem === 'out-of-range') return new CorruptRecordError(`varlong out of the exact number range at ${at}`, at);
    return new CorruptRecordError(`${kind} longer than ${kind === 'varint' ? 5 : 10} bytes`, at);
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
