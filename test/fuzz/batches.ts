/**
 * Generators of produce payloads for the fuzzers: valid record batches from the record encoder
 * (every codec, 1-2 batches, keys, values and headers), legacy magic 0/1 message sets, and the
 * same mutated where a broker must look — the header fields (attributes and their codec bits,
 * lastOffsetDelta, recordCount, batchLength), the record bytes (varints, lengths), and for
 * compressed batches the records inside the payload (decompressed, mutated, recompressed, so
 * the edit survives decompression) or the compressed bytes themselves. CRCs are fixed after
 * an edit most of the time so that it reaches the checks behind them.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { Codec, native } from '../../src/native.js';
import { decodeRecordBatches, encodeMessageSet, encodeRecordBatch, type Record, type RecordInput } from '../../src/records/index.js';
import type { Log } from '../../src/storage/log.js';
import { BATCH, fixBatches, mutate, mutationsArb, type Mutation } from './harness.js';

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(bytes(12), { nil: undefined }),
  value: bytes(40),
  headers: fc.option(fc.array(fc.tuple(fc.string({ maxLength: 6 }), bytes(6)).map(([k, v]) => ({ key: k, value: v })), { maxLength: 2 }), { nil: undefined }),
});

export interface PayloadSpec {
  kind: 'batches' | 'legacy';
  batches: { records: RecordInput[]; codec: Codec }[];
  legacyMagic: 0 | 1;
  target: 'header' | 'records' | 'inner' | 'anywhere' | 'none';
  mutations: Mutation[];
  fixCrc: boolean;
  fixLength: boolean;
}

export const payloadArb: fc.Arbitrary<PayloadSpec> = fc.record({
  kind: fc.constantFrom('batches' as const, 'batches' as const, 'batches' as const, 'legacy' as const),
  batches: fc.array(
    fc.record({ records: fc.array(recordArb, { minLength: 1, maxLength: 4 }), codec: fc.constantFrom(Codec.None, Codec.Gzip, Codec.Snappy, Codec.Lz4, Codec.Zstd) }),
    { minLength: 1, maxLength: 2 },
  ),
  legacyMagic: fc.constantFrom(0 as const, 1 as const),
  target: fc.constantFrom('header' as const, 'records' as const, 'inner' as const, 'inner' as const, 'anywhere' as const, 'none' as const),
  mutations: mutationsArb,
  fixCrc: fc.integer({ min: 0, max: 99 }).map((n) => n < 85),
  fixLength: fc.boolean(),
});

const NOW = 1_700_000_000_000;

/** Recomputes each legacy message's CRC-32 (magic 0/1: over magic..end of the message). */
function fixLegacy(buf: Buffer): Buffer {
  let pos = 0;
  while (buf.length - pos >= 17) {
    const size = buf.readInt32BE(pos + 8);
    if (size < 5 || pos + 12 + size > buf.length) break;
    buf.writeUInt32BE(native.crc32(buf.subarray(pos + 16, pos + 12 + size)) >>> 0, pos + 12);
    pos += 12 + size;
  }
  return buf;
}

/** Mutates the records inside a compressed batch: decompress, edit, recompress, rebuild. */
function mutateInner(batch: Buffer, codec: Codec, mutations: readonly Mutation[]): Buffer {
  const inner = native.decompress(codec, batch.subarray(BATCH.records));
  const payload = native.compress(codec, mutate(inner, mutations));
  const out = Buffer.concat([batch.subarray(0, BATCH.records), payload]);
  out.writeInt32BE(out.length - 12, BATCH.length);
  return out;
}

/** The bytes a Produce request would carry for `spec`. */
export function buildPayload(spec: PayloadSpec): Buffer {
  if (spec.kind === 'legacy') {
    const records = spec.batches.flatMap((b) => b.records).map((r) => ({ key: r.key, value: r.value, timestamp: NOW })); // no headers before magic 2
    const codec = spec.batches[0]!.codec === Codec.Zstd ? Codec.None : spec.batches[0]!.codec; // zstd needs magic 2
    const set = encodeMessageSet(records, { magic: spec.legacyMagic, compression: codec, now: NOW });
    if (spec.target === 'none') return set;
    // 'header': the first message's offset, size, CRC, magic, attributes and timestamp.
    const mutated = mutate(set, spec.mutations, 0, spec.target === 'header' ? Math.min(set.length, 34) : set.length);
    return spec.fixCrc ? fixLegacy(mutated) : mutated;
  }
  const batches = spec.batches.map((b) => encodeRecordBatch(b.records, { compression: b.codec, now: NOW }));
  // Which batch is edited: the last (a bad batch behind a good one must sink the whole request).
  const i = batches.length - 1;
  let batch = batches[i]!;
  const codec = spec.batches[i]!.codec;
  switch (spec.target) {
    case 'none':
      break;
    case 'header':
      batch = mutate(batch, spec.mutations, 0, BATCH.records);
      break;
    case 'records':
      batch = mutate(batch, spec.mutations, BATCH.records, batch.length);
      break;
    case 'inner':
      batch = codec === Codec.None ? mutate(batch, spec.mutations, BATCH.records, batch.length) : mutateInner(batch, codec, spec.mutations);
      break;
    case 'anywhere':
      batch = mutate(batch, spec.mutations);
      break;
  }
  if (spec.target !== 'header' && spec.target !== 'anywhere' && spec.fixLength && batch.length >= BATCH.records) {
    batch.writeInt32BE(batch.length - 12, BATCH.length);
  }
  const all = Buffer.concat([...batches.slice(0, i), batch]);
  if (spec.fixCrc) fixBatches(all.subarray(all.length - batch.length), false);
  return all;
}

/**
 * Reads [from, to) of `log` back the way a consumer does (fetch from an offset, decode, go on
 * from the batch's last offset + 1) and checks every batch: CRC, decompression, every record,
 * lastOffsetDelta + 1 records at consecutive offsets. Returns the records from `from` on.
 */
export function readBack(log: Log, from: bigint, to: bigint): Record[] {
  const records: Record[] = [];
  let offset = from;
  while (offset < to) {
    const bytes = log.readSync(offset, 1 << 20);
    expect(bytes.length, `read at ${offset} returned nothing before the log end ${to}`).toBeGreaterThan(0);
    for (const { header, records: rs } of decodeRecordBatches(bytes, { verifyCrc: true })) {
      expect(rs.length, `batch at ${header.baseOffset}: records vs lastOffsetDelta + 1`).toBe(header.lastOffsetDelta + 1);
      expect(header.recordCount).toBe(rs.length);
      rs.forEach((r, i) => expect(r.offset).toBe(header.baseOffset + BigInt(i)));
      for (const r of rs) if (r.offset >= offset) records.push(r);
      offset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
    }
  }
  return records;
}
