/**
 * Shared pieces of the property-based fuzzers (test/fuzz/*.fuzz.test.ts), built on fast-check:
 * its generators build structured inputs (valid requests and record batches), its shrinking
 * turns a failing input into a small one, and its seed makes every run reproducible.
 *
 * - Seed: SLUICE_FUZZ_SEED=<int> (default: random). Every file prints the seed it ran with,
 *   and fast-check prints the seed and path of a counterexample.
 * - Size: SLUICE_FUZZ_SCALE=<n> multiplies every property's runs (CI: 1; `npm run fuzz --
 *   --long` sets 20).
 *
 * Mutations are byte-level edits applied to a valid encoding, each aimed at what a parser
 * trusts: lengths and counts (int16/int32/varints set to boundary values), single bits, cut
 * or grown input, repeated spans.
 */
import fc from 'fast-check';
import { native } from '../../src/native.js';
import { seedFrom } from '../helpers/storage.js';

export const FUZZ_SEED = seedFrom('SLUICE_FUZZ_SEED');
export const FUZZ_SCALE = (() => {
  const raw = process.env.SLUICE_FUZZ_SCALE;
  const n = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!(n > 0)) throw new Error(`SLUICE_FUZZ_SCALE=${raw} is not a positive number`);
  return n;
})();

/** fast-check parameters for a property run `runs` times in CI (scaled by SLUICE_FUZZ_SCALE). */
export function fuzzParams(runs: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns: Math.ceil(runs * FUZZ_SCALE), endOnFailure: false };
}

/** Prints the seed so a CI failure can be rerun locally with the same inputs. */
export function announce(file: string, inputs: number): void {
  console.log(`${file}: ${Math.ceil(inputs * FUZZ_SCALE)} inputs, SLUICE_FUZZ_SEED=${FUZZ_SEED} (set it to reproduce this run)`);
}

/** Values that break length and count arithmetic. */
const INT32_EDGES = [0, 1, -1, -2, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x3fffffff, 0x40000000, 0x7ffffffe, 0x7fffffff, -0x80000000];
const INT16_EDGES = [0, 1, -1, -2, 0x7f, 0x80, 0xff, 0x7fff, -0x8000];
/** Unsigned varints: 0, 1, 127, 128, 2^14, 2^21, 2^28, 2^31 - 1, 2^32 - 1, too long, unterminated. */
const VARINT_EDGES: number[][] = [
  [0x00],
  [0x01],
  [0x7f],
  [0x80, 0x01],
  [0x80, 0x80, 0x01],
  [0x80, 0x80, 0x80, 0x01],
  [0x80, 0x80, 0x80, 0x80, 0x01],
  [0xfe, 0xff, 0xff, 0xff, 0x0f],
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0xff, 0xff, 0xff, 0xff, 0x7f],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
  [0x80, 0x80, 0x80],
];

export type Mutation =
  | { kind: 'bit'; at: number; bit: number }
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'int32'; at: number; value: number }
  | { kind: 'int16'; at: number; value: number }
  | { kind: 'varint'; at: number; bytes: number[]; replace: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'repeat'; at: number; length: number; times: number };

/** Positions are drawn large and taken modulo the target's length when applied. */
const position = fc.nat({ max: 1 << 20 });

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('bit' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('byte' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('int32' as const), at: position, value: fc.oneof(fc.constantFrom(...INT32_EDGES), fc.integer({ min: -0x80000000, max: 0x7fffffff })) }),
  fc.record({ kind: fc.constant('int16' as const), at: position, value: fc.oneof(fc.constantFrom(...INT16_EDGES), fc.integer({ min: -0x8000, max: 0x7fff })) }),
  fc.record({ kind: fc.constant('varint' as const), at: position, bytes: fc.constantFrom(...VARINT_EDGES), replace: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('repeat' as const), at: position, length: fc.integer({ min: 1, max: 32 }), times: fc.integer({ min: 2, max: 4 }) }),
);

export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

/**
 * Applies `mutations` to a copy of `buf[from, to)` (the rest is kept as is). Positions wrap
 * within the region, so the same mutation list means the same edit on every run.
 */
export function mutate(buf: Buffer, mutations: readonly Mutation[], from = 0, to = buf.length): Buffer {
  let region = Buffer.from(buf.subarray(from, to));
  for (const m of mutations) {
    const n = region.length;
    const at = n === 0 ? 0 : m.at % n;
    switch (m.kind) {
      case 'bit':
        if (n > 0) region[at] = region[at]! ^ (1 << m.bit);
        break;
      case 'byte':
        if (n > 0) region[at] = m.value;
        break;
      case 'int32':
        if (n >= 4) region.writeInt32BE(m.value, Math.min(at, n - 4));
        break;
      case 'int16':
        if (n >= 2) region.writeInt16BE(m.value, Math.min(at, n - 2));
        break;
      case 'varint': {
        const cut = Math.min(m.replace, n - at);
        region = Buffer.concat([region.subarray(0, at), Buffer.from(m.bytes), region.subarray(at + cut)]);
        break;
      }
      case 'truncate':
        region = region.subarray(0, at);
        break;
      case 'insert':
        region = Buffer.concat([region.subarray(0, at), Buffer.from(m.bytes), region.subarray(at)]);
        break;
      case 'delete':
        region = Buffer.concat([region.subarray(0, at), region.subarray(at + m.length)]);
        break;
      case 'repeat': {
        const span = region.subarray(at, at + m.length);
        region = Buffer.concat([region.subarray(0, at), ...Array<Buffer>(m.times).fill(span), region.subarray(at + span.length)]);
        break;
      }
    }
  }
  return Buffer.concat([buf.subarray(0, from), region, buf.subarray(to)]);
}

/** Record batch (magic 2) field offsets, as in native/src/batch_format.h. */
export const BATCH = {
  length: 8,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
  records: 61,
} as const;

/**
 * Rewrites the batchLength of the batch at 0 to the buffer's length (when asked) and the
 * CRC-32C of every batch whose claimed length fits, so an edit reaches the checks behind the
 * CRC instead of stopping at it.
 */
export function fixBatches(buf: Buffer, fixLength: boolean): Buffer {
  if (fixLength && buf.length >= BATCH.records) buf.writeInt32BE(buf.length - 12, BATCH.length);
  let pos = 0;
  while (buf.length - pos >= BATCH.records) {
    const length = buf.readInt32BE(pos + BATCH.length);
    if (length < BATCH.records - 12 || pos + 12 + length > buf.length) break;
    const end = pos + 12 + length;
    buf.writeUInt32BE(native.crc32cRange(buf, pos + BATCH.attributes, end), pos + BATCH.crc);
    pos = end;
  }
  return buf;
}
