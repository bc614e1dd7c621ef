// The record-validation section of `npm run bench` (BENCH_ONLY=validate): what checking the
// records inside each produced batch (Kafka's LogValidator rules, native/src/record_validator.cc)
// costs on the produce path, as a ratio to the path without it, in the same run:
//
//   CRC only   BatchScanner.scan(batch, verifyCrc) + Log.appendBatchesSync(batch, 'verified'):
//              what broker/produce.ts did before records were validated
//   validated  BatchScanner.validate(batch, …) + Log.appendBatchesSync(batch, 'verified'):
//              what it does now (CRC, every record parsed, compressed records decoded as a stream)
//
// for uncompressed, lz4 and zstd batches of 1,000 JSON-like 100 B records (so the codecs have
// something to compress), page cache, rounds interleaved. Target: validated ≥ 0.9× CRC only for
// uncompressed batches. For compressed batches decoding dominates (Kafka decodes them too).
// Then benchmark.js: one native call on one batch, validateBatchesInto vs scanBatchesInto.
import path from 'node:path';

const RECORDS = 1000;

/**
 * @param ctx { quick, workdir, distDir, row, target, note, section, interleaved, suite, openLog, roundBatches }
 */
export async function validateSection(ctx) {
  const { quick, row, target, note, section, interleaved, suite, openLog } = ctx;
  const { encodeRecordBatch } = await import(path.join(ctx.distDir, 'records', 'index.js'));
  const { native, BatchScanner, Codec } = await import(path.join(ctx.distDir, 'native.js'));
  const { maxUncompressedBytesFor, DEFAULT_LOG_CONFIG } = await import(path.join(ctx.distDir, 'storage', 'index.js'));
  const bound = maxUncompressedBytesFor(DEFAULT_LOG_CONFIG.maxMessageBytes);
  const N = ctx.roundBatches;
  const POOL = 8;
  const now = Date.now();
  const records = (j) =>
    Array.from({ length: RECORDS }, (_, i) => {
      const n = j * RECORDS + i;
      const value =
        `{"user":${(n * 7919) % 100000},"event":"${['click', 'view', 'buy'][n % 3]}","ts":${now + n},"p":"${((n * 2654435761) >>> 0).toString(36)}"}`.padEnd(
          90,
          ' ',
        );
      return { key: `k${String(n).padStart(9, '0')}`, value, timestamp: now + i };
    });
  const sets = Array.from({ length: POOL }, (_, j) => records(j));
  const codecs = [
    ['uncompressed', Codec.None],
    ['lz4', Codec.Lz4],
    ['zstd', Codec.Zstd],
  ];

  section(
    `12. record validation on the produce path: ${RECORDS}-record batches of 100 B JSON-like records, ${N} batches a round; CRC only vs validated, rounds interleaved`,
    'manual + benchmark.js',
  );
  note(
    `validated = CRC + every record parsed (compressed: decoded as a stream, bound ${bound / 2 ** 20} MiB = max.message.bytes × 64); both append with 'verified'`,
  );
  for (const [label, codec] of codecs) {
    const pool = sets.map((set) => encodeRecordBatch(set, { now, compression: codec }));
    const batchBytes = pool.reduce((a, b) => a + b.length, 0) / POOL;
    const scanner = new BatchScanner();
    const logA = await openLog(`validate-${label}-crc`);
    const logB = await openLog(`validate-${label}-validated`);
    const hr = () => process.hrtime.bigint();
    const res = await interleaved([
      [
        `${label}: CRC only (before)`,
        async () => {
          await logA.flush();
          const t0 = hr();
          let bytes = 0;
          for (let b = 0; b < N; b++) {
            const batch = pool[b % POOL];
            if (scanner.scan(batch, true).error !== null) throw new Error('scan failed');
            bytes += logA.appendBatchesSync(batch, {}, 'verified').sizeBytes;
          }
          return { ns: hr() - t0, records: N * RECORDS, bytes };
        },
      ],
      [
        `${label}: CRC + records validated`,
        async () => {
          await logB.flush();
          const t0 = hr();
          let bytes = 0;
          for (let b = 0; b < N; b++) {
            const batch = pool[b % POOL];
            if (scanner.validate(batch, 0x7fff_ffff, bound).error !== null) throw new Error('validation failed');
            bytes += logB.appendBatchesSync(batch, {}, 'verified').sizeBytes;
          }
          return { ns: hr() - t0, records: N * RECORDS, bytes };
        },
      ],
    ]);
    await logA.close();
    await logB.close();
    for (const r of res) {
      const x = row({ section: 'validate', ...r });
      if (r.ratio === null) x.note = `yardstick; batch ${batchBytes.toFixed(0)} B`;
      else if (codec === Codec.None) target(x, '≥ 0.90× CRC only', x.ratio >= 0.9);
    }

    const out = new Float64Array(12 * 4);
    let sink = 0;
    const micro = await suite(`validate-${label}`, [
      [
        `${label}: native.scanBatchesInto (1 batch, CRC)`,
        () => {
          sink ^= native.scanBatchesInto(pool[0], true, 0x7fff_ffff, out);
        },
      ],
      [
        `${label}: native.validateBatchesInto (1 batch, CRC + records)`,
        () => {
          sink ^= native.validateBatchesInto(pool[0], 0x7fff_ffff, bound, out);
        },
      ],
    ]);
    let yard = null;
    for (const [name, b] of micro) {
      const x = row({
        section: 'validate',
        name,
        method: 'benchmark.js',
        rate: b.hz * RECORDS,
        mbps: (b.hz * pool[0].length) / 1e6,
        spread: b.stats.rme / 100,
      });
      if (yard === null) yard = x;
      else {
        x.yardstick = yard.name;
        x.ratio = x.rate / yard.rate;
      }
    }
    if (sink === 0.5) note('');
  }
  if (quick) note('BENCH_QUICK: fewer batches per round');
}
