#!/usr/bin/env node
// Writes the seed corpus of the libFuzzer targets (fuzz/corpus/<target>/) and the inputs of
// the defects issue 10 describes (fuzz/regressions/produce/): small valid record batches of
// every codec from our own record encoder, each prefixed with the selector byte its target
// reads first (native/fuzz/*.cc). The files are committed; rerun after changing the batch
// format or a target's input layout: `npm run build:ts && node scripts/fuzz-corpus.mjs`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
if (!fs.existsSync(path.join(dist, 'records', 'index.js'))) {
  console.error('fuzz-corpus: dist/ is missing: run `npm run build:ts` first');
  process.exit(1);
}
const { encodeRecordBatch, encodeMessageSet } = await import(path.join(dist, 'records', 'index.js'));
const { native, Codec } = await import(path.join(dist, 'native.js'));

const CODECS = { none: Codec.None, gzip: Codec.Gzip, snappy: Codec.Snappy, lz4: Codec.Lz4, zstd: Codec.Zstd };
const NOW = 1_700_000_000_000;
const records = (n, size = 24) =>
  Array.from({ length: n }, (_, i) => ({
    key: `key-${i}`,
    value: Buffer.from(`{"n":${i},"v":"${'x'.repeat(size)}"}`),
    headers: i % 2 === 0 ? [{ key: 'h', value: Buffer.from([i]) }] : undefined,
    timestamp: NOW + i,
  }));

function write(dir, name, bytes) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), bytes);
}
const corpus = (target) => path.join(root, 'fuzz', 'corpus', target);
const withByte = (b, data) => Buffer.concat([Buffer.from([b]), data]);

// Valid batches: one per codec, a multi-record one, two back to back, an idempotent one.
const batches = {};
for (const [name, codec] of Object.entries(CODECS)) {
  batches[`${name}-1`] = encodeRecordBatch(records(1), { compression: codec, now: NOW });
  batches[`${name}-5`] = encodeRecordBatch(records(5), { compression: codec, now: NOW });
}
batches['idempotent'] = encodeRecordBatch(records(3), { producerId: 7n, producerEpoch: 1, baseSequence: 0, now: NOW });
batches['two-batches'] = Buffer.concat([
  encodeRecordBatch(records(2), { baseOffset: 0n, now: NOW }),
  encodeRecordBatch(records(2), { baseOffset: 2n, compression: Codec.Lz4, now: NOW }),
]);

for (const [name, batch] of Object.entries(batches)) {
  // fuzz_batch_scan / fuzz_segment_recovery: flags 0x01 = recompute CRCs after mutation.
  write(corpus('fuzz_batch_scan'), `${name}.bin`, withByte(0x01, batch));
  write(corpus('fuzz_segment_recovery'), `${name}.bin`, withByte(0x01, batch));
}
const segment = Buffer.concat([0, 1, 2, 3].map((i) => encodeRecordBatch(records(2), { baseOffset: BigInt(2 * i), compression: i % 5, now: NOW })));
write(corpus('fuzz_segment_recovery'), 'segment-4-batches.bin', withByte(0x01, segment));
write(corpus('fuzz_segment_recovery'), 'segment-torn-tail.bin', withByte(0x00, segment.subarray(0, segment.length - 9)));
write(corpus('fuzz_segment_recovery'), 'segment-zero-tail.bin', withByte(0x00, Buffer.concat([segment, Buffer.alloc(128)])));

// fuzz_decompress: selector = codec - 1 in bits 0-1, bound 4 MiB (3 << 2); payload = the
// compressed records section of a batch. fuzz_codec_roundtrip: selector = codec, data = records.
const inner = encodeRecordBatch(records(5), { now: NOW }).subarray(61);
for (const [name, codec] of Object.entries(CODECS)) {
  if (codec !== Codec.None) {
    write(corpus('fuzz_decompress'), `${name}.bin`, withByte((codec - 1) | (3 << 2), native.compress(codec, inner)));
    write(corpus('fuzz_decompress'), `${name}-empty.bin`, withByte((codec - 1) | (3 << 2), native.compress(codec, Buffer.alloc(0))));
    // fuzz_decompress_stream: the same layout (bits 2-4 pick the read size: 3 = 512 bytes).
    write(corpus('fuzz_decompress_stream'), `${name}.bin`, withByte((codec - 1) | (3 << 2), native.compress(codec, inner)));
    write(corpus('fuzz_decompress_stream'), `${name}-read-1.bin`, withByte(codec - 1, native.compress(codec, inner)));
  }
  write(corpus('fuzz_codec_roundtrip'), `${name}.bin`, withByte(codec, inner));
}
// Java clients' snappy framing (xerial): magic, version 1, compatible 1, one chunk.
const raw = native.compress(Codec.Snappy, inner);
const xerial = Buffer.alloc(16 + 4 + raw.length);
Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]).copy(xerial, 0);
xerial.writeInt32BE(1, 8);
xerial.writeInt32BE(1, 12);
xerial.writeInt32BE(raw.length, 16);
raw.copy(xerial, 20);
write(corpus('fuzz_decompress'), 'snappy-xerial.bin', withByte((Codec.Snappy - 1) | (3 << 2), xerial));
write(corpus('fuzz_decompress_stream'), 'snappy-xerial.bin', withByte((Codec.Snappy - 1) | (3 << 2), xerial));

// fuzz_record_validator: whole batches as a produce request carries them (flags 0x01 as above).
for (const [name, batch] of Object.entries(batches)) write(corpus('fuzz_record_validator'), `${name}.bin`, withByte(0x01, batch));
const legacy = encodeMessageSet(
  records(3).map(({ key, value }) => ({ key, value, timestamp: NOW })),
  { magic: 1, now: NOW },
);
write(corpus('fuzz_record_validator'), 'legacy-magic1.bin', withByte(0x00, legacy));

// ---- the defects of issue 10, part 1: batches with a valid CRC that a reader cannot use ----
const regressions = path.join(root, 'fuzz', 'regressions', 'produce');
function fixCrc(batch) {
  batch.writeUInt32BE(native.crc32cRange(batch, 21, batch.length), 17);
  return batch;
}
{
  // One uncompressed record whose length varint claims 2^30 bytes.
  const b = Buffer.from(encodeRecordBatch([{ value: Buffer.from('v') }], { now: NOW }));
  const bomb = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]); // zigzag(2^30)
  const out = Buffer.concat([b.subarray(0, 61), bomb, b.subarray(62)]);
  out.writeInt32BE(out.length - 12, 8);
  write(regressions, 'record-length-2pow30-uncompressed.bin', fixCrc(out));
}
for (const [name, codec] of Object.entries(CODECS)) {
  if (codec === Codec.None) continue;
  // A compressed batch whose payload is random bytes, with a correct CRC.
  const b = Buffer.from(encodeRecordBatch(records(1), { compression: codec, now: NOW }));
  const garbage = Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 97 + 13) & 0xff));
  const out = Buffer.concat([b.subarray(0, 61), garbage]);
  out.writeInt32BE(out.length - 12, 8);
  write(regressions, `${name}-garbage-payload.bin`, fixCrc(out));
}
{
  // One record, lastOffsetDelta = 2^31 - 1: would move the log end offset by 2^31.
  const b = Buffer.from(encodeRecordBatch([{ value: Buffer.from('v') }], { now: NOW }));
  b.writeInt32BE(0x7fffffff, 23);
  write(regressions, 'last-offset-delta-2pow31-1.bin', fixCrc(b));
}
{
  // Found by produce-append.fuzz: the record count says 1, the records section holds no record.
  const b = Buffer.from(encodeRecordBatch([{ value: Buffer.alloc(0) }], { now: NOW }));
  const out = Buffer.concat([b.subarray(0, 61), b.subarray(62)]);
  out.writeInt32BE(out.length - 12, 8);
  write(regressions, 'record-count-exceeds-records-section.bin', fixCrc(out));
}
{
  // Found by server-frames.fuzz: lz4 records with one byte left over after the last record.
  const b = Buffer.from(encodeRecordBatch([{ value: Buffer.alloc(0) }], { compression: Codec.Lz4, now: NOW }));
  const records1 = native.decompress(Codec.Lz4, b.subarray(61));
  const payload = native.compress(Codec.Lz4, Buffer.concat([records1.subarray(0, 1), records1]));
  const out = Buffer.concat([b.subarray(0, 61), payload]);
  out.writeInt32BE(out.length - 12, 8);
  write(regressions, 'lz4-bytes-after-last-record.bin', fixCrc(out));
}
{
  // Found by produce-append.fuzz (Log.appendBatches): a max timestamp past 2^53 ms was stored,
  // after which every close of the segment threw writing its time index.
  const b = Buffer.from(encodeRecordBatch([{ value: Buffer.from('v') }], { now: NOW }));
  b.writeBigInt64BE(2n ** 53n + 10n, 27);
  b.writeBigInt64BE(2n ** 53n + 10n, 35);
  write(regressions, 'max-timestamp-past-2pow53.bin', fixCrc(b));
}
console.log('fuzz-corpus: wrote fuzz/corpus/* and fuzz/regressions/produce/*');
