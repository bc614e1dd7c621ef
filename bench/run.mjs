// `npm run bench`: sluice measured against the machine's own limits and against the embedded
// stores a Node user would otherwise pick — all in one run, so the ratios stay meaningful on a
// shared, noisy machine. Runs against dist/ (npm run bench does `npm run build:ts` first).
//
// Workload: 100-byte records (10 B key, 90 B value) in batches of 1,000.
// Env: BENCH_QUICK=1 (≈1 min smoke run, 1 GB log), BENCH_LOG_GB (big-log size, default 5),
//      BENCH_DIR (where temp data goes; default os.tmpdir()), BENCH_NO_SETUP=1 (don't install
//      the comparison stores and librdkafka-dev), BENCH_NO_COMPARE=1 (skip the stores),
//      BENCH_ONLY=a,b (sections by key: write,read,durable,compare,micro,biglog,broker,acks,groups,embedded,validate,client,txn).
// The validate section (validate.mjs) prices record validation on the produce path; see there.
// The broker section (broker.mjs) runs `sluice serve` against librdkafka clients; see there.
// The groups section (groups.mjs) times rebalances and offset commits, in-process and wire.
// The embedded section (embedded.mjs) runs the in-process Sluice against kafkajs over loopback
// and lmdb / better-sqlite3 as queues; see there.
// The client section (client.mjs) runs sluice's network client against kafkajs and
// @platformatic/kafka on one `sluice serve`; see there.
// The txn section (transactions.mjs) prices transactions: transactional vs idempotent produce,
// read_committed vs read_uncommitted over a log with aborted transactions; see there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Benchmark from 'benchmark';
import CRC32 from 'crc-32';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');
const distDir = path.join(root, 'dist');
if (!fs.existsSync(path.join(distDir, 'index.js'))) {
  console.error('bench: dist/ is missing; run `npm run bench` (which runs build:ts first) or `npm run build:ts`');
  process.exit(1);
}
const { Log } = await import(path.join(distDir, 'index.js'));
const { encodeRecordBatch } = await import(path.join(distDir, 'records', 'index.js'));
const { native, tuneAllocator } = await import(path.join(distDir, 'native.js'));
// The engine is measured as `sluice serve` runs it: with the read-path allocator tuning, which
// the library no longer applies on import (docs/memory.md).
tuneAllocator();
const { createLogger } = await import(path.join(distDir, 'logger.js'));

// ------------------------------------------------------------------------------------ config

const QUICK = process.env.BENCH_QUICK === '1';
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const want = (key) => ONLY === null || ONLY.has(key);
const C = {
  quick: QUICK,
  batchRecords: 1000,
  keyBytes: 10,
  valueBytes: 90,
  rounds: QUICK ? 3 : 5,
  roundBatches: QUICK ? 200 : 600, // per timed round of the in-memory write paths (~65 MB)
  readRecordsPerRound: QUICK ? 300_000 : 1_000_000,
  durableBatchesPerWriter: QUICK ? 40 : 100,
  durableWriters: 8,
  compareRounds: QUICK ? 2 : 3,
  compareBatches: QUICK ? 100 : 300,
  compareSyncedBatches: QUICK ? 20 : 60,
  compareSmallBatches: QUICK ? 10 : 30,
  bmMaxTime: QUICK ? 0.25 : 1,
  logGB: Number(process.env.BENCH_LOG_GB ?? (QUICK ? 1 : 5)),
  segmentBytes: QUICK ? 512 * 1024 * 1024 : 1024 * 1024 * 1024,
  windowBytes: (QUICK ? 96 : 256) * 1024 * 1024,
};
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const logger = createLogger({ level: process.env.SLUICE_LOG_LEVEL ?? 'warn' });
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};
const out = (s = '') => process.stdout.write(`${s}\n`);
const note = (s) => process.stdout.write(`  note: ${s}\n`);
const started = Date.now();

const workRoot = process.env.BENCH_DIR ?? os.tmpdir();
const workdir = fs.mkdtempSync(path.join(workRoot, 'sluice-bench-'));
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  try {
    fs.rmSync(workdir, { recursive: true, force: true });
  } catch {
    // Best effort at exit: a leftover temp dir is harmless.
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

// ------------------------------------------------------------------------------------ data

/** 16 different sets of 1,000 records (10 B key, 90 B value) and their encoded batches. */
const POOL = 16;
const recordSets = [];
const recordBytes = []; // the same records as 100-byte buffers (key ‖ value), for the other stores
for (let j = 0; j < POOL; j++) {
  const set = [];
  const flat = [];
  for (let i = 0; i < C.batchRecords; i++) {
    const rec = Buffer.concat([Buffer.from(`k${String(j * C.batchRecords + i).padStart(9, '0')}`), randomBytes(C.valueBytes)]);
    set.push({ key: rec.subarray(0, C.keyBytes), value: rec.subarray(C.keyBytes) });
    flat.push(rec);
  }
  recordSets.push(set);
  recordBytes.push(flat);
}
const now0 = Date.now();
const pool = recordSets.map((set) => encodeRecordBatch(set, { now: now0 }));
const batchBytes = pool.reduce((a, b) => a + b.length, 0) / POOL;
const bytesPerRecord = batchBytes / C.batchRecords;

// ------------------------------------------------------------------------------------ results

/** Every row of the final table. rate: records/s (or lookups/s, ops/s); mbps: MB/s (1e6). */
const rows = [];
const byName = new Map();
function row(r) {
  const full = {
    section: '',
    method: 'manual',
    rate: null,
    rateUnit: 'records/s',
    mbps: null,
    yardstick: null,
    ratio: null,
    target: null,
    met: null,
    spread: null,
    note: null,
    ...r,
  };
  rows.push(full);
  byName.set(full.name, full);
  const rate = full.rate === null ? '' : `${fmtRate(full.rate)} ${full.rateUnit}`;
  const mb = full.mbps === null ? '' : `  ${fmtMB(full.mbps)} MB/s`;
  const sp = full.spread === null ? '' : `  (±${(full.spread * 100).toFixed(0)}%)`;
  out(`  ${full.name.padEnd(52)} ${rate.padStart(22)}${mb}${sp}`);
  return full;
}
/** Sets ratio = rate / yardstick's rate (by row name) on an existing row. */
function ratioTo(r, yardstickName, field = 'rate') {
  const y = byName.get(yardstickName);
  if (!y || y[field] === null || r[field] === null) return;
  r.yardstick = yardstickName;
  r.ratio = r[field] / y[field];
}
function target(r, text, met) {
  r.target = text;
  r.met = met;
}

function fmtRate(x) {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(1);
}
function fmtMB(x) {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Manual timing: `round(i)` does its own untimed preparation and returns
 * { ns (timed part), records, bytes }. The first `warmup` rounds are dropped; the median rate is
 * reported with its spread ((max - min) / median).
 */
async function measure(round, { rounds = C.rounds, warmup = 1 } = {}) {
  const rates = [];
  const mbs = [];
  for (let i = 0; i < warmup + rounds; i++) {
    gc();
    const s = await round(i);
    if (i < warmup) continue;
    const sec = Number(s.ns) / 1e9;
    rates.push(s.records / sec);
    mbs.push(s.bytes / sec / 1e6);
  }
  const rate = median(rates);
  return { rate, mbps: median(mbs), spread: (Math.max(...rates) - Math.min(...rates)) / rate };
}
const hr = () => process.hrtime.bigint();

/**
 * Manual timing of several subjects with their rounds interleaved (yardstick first): round i of
 * every subject runs before round i+1 of any, so a noisy neighbour hits them alike. The ratio of
 * each subject to the first (or to the subject named by its optional third element) is the
 * median of the per-round ratios.
 */
async function interleaved(subjects, { rounds = C.rounds, warmup = 1 } = {}) {
  const samples = subjects.map(() => ({ rates: [], mbs: [] }));
  for (let i = 0; i < warmup + rounds; i++) {
    for (let j = 0; j < subjects.length; j++) {
      gc();
      const s = await subjects[j][1](i);
      if (i < warmup) continue;
      const sec = Number(s.ns) / 1e9;
      samples[j].rates.push(s.records / sec);
      samples[j].mbs.push(s.bytes / sec / 1e6);
    }
  }
  return subjects.map(([name, , yardstickName], j) => {
    const { rates, mbs } = samples[j];
    const rate = median(rates);
    const y = yardstickName === undefined ? 0 : subjects.findIndex(([n]) => n === yardstickName);
    const base = samples[y].rates;
    return {
      name,
      rate,
      mbps: median(mbs),
      spread: (Math.max(...rates) - Math.min(...rates)) / rate,
      yardstick: j === y ? null : subjects[y][0],
      ratio: j === y ? null : median(rates.map((r, k) => r / base[k])),
    };
  });
}

/** benchmark.js Suite, synchronous; returns Map name → Benchmark (hz, stats.rme). */
function suite(title, benches) {
  return new Promise((resolve, reject) => {
    const s = new Benchmark.Suite(title);
    for (const [name, fn, opts] of benches) {
      s.add(name, fn, { maxTime: C.bmMaxTime, minSamples: 5, ...opts });
    }
    const results = new Map();
    s.on('cycle', (e) => {
      if (e.target.error) reject(e.target.error);
      results.set(e.target.name, e.target);
    });
    s.on('complete', () => resolve(results));
    s.on('error', (e) => reject(e.target.error));
    s.run({ async: false });
  });
}

function section(title, how) {
  out();
  out(`== ${title}  [${how}]`);
}

async function openLog(name, extra = {}) {
  return Log.open(path.join(workdir, name), { backgroundTasks: false, logger, ...extra });
}

/** Next offset after the last batch in a buffer of whole batches. */
function nextOffsetAfter(buf) {
  let pos = 0;
  let last = 0;
  while (pos + 61 <= buf.length) {
    last = pos;
    pos += buf.readInt32BE(pos + 8) + 12;
  }
  return buf.readBigInt64BE(last) + BigInt(buf.readInt32BE(last + 23)) + 1n;
}

function progress(text, done) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}${done ? '\n' : ''}`);
  else if (done) process.stderr.write(`${text}\n`);
}

// ------------------------------------------------------------------------------------ header

out(`sluice bench — ${new Date().toISOString()}${QUICK ? '  (BENCH_QUICK=1)' : ''}`);
out(
  `machine: ${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, ${(os.totalmem() / GiB).toFixed(0)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`,
);
out(
  `workload: ${C.batchRecords}-record batches of ${C.keyBytes + C.valueBytes}-byte records (${C.keyBytes} B key, ${C.valueBytes} B value); encoded batch ${batchBytes.toFixed(0)} B (${bytesPerRecord.toFixed(1)} B/record on disk)`,
);
out(`MB/s = 10^6 bytes/s of the bytes each API moves: encoded batches for sluice and plain fs, key + value for the other stores`);
out(`manual = hrtime loops, 1 warm-up + ${C.rounds} rounds, median (± = spread of rounds); benchmark.js = Benchmark.Suite (maxTime ${C.bmMaxTime}s)`);
out(`temp data in ${workdir}`);

// ------------------------------------------------------------------------------------ comparison stores setup

let stores = [];
if (want('compare') && process.env.BENCH_NO_COMPARE !== '1') {
  if (process.env.BENCH_NO_SETUP !== '1') {
    try {
      const { setup } = await import('./setup.mjs');
      setup();
    } catch (err) {
      out(`  note: comparison store setup failed (${err?.message ?? err}); continuing`);
    }
  }
  try {
    const { loadStores } = await import('./stores.mjs');
    stores = await loadStores((m) => note(m));
  } catch (err) {
    note(`comparison stores unavailable (${err?.message ?? err})`);
  }
}

// ------------------------------------------------------------------------------------ 1-3: writes

if (want('write')) {
  section('1-3. appends (page cache; fsync between rounds, untimed); yardstick and subjects alternate round by round', 'manual');
  const N = C.roundBatches;
  const plainFd = fs.openSync(path.join(workdir, 'plain-write.bin'), 'a');
  const logAppend = await openLog('append');
  const logSync = await openLog('append-batches-sync');
  const logAsync = await openLog('append-batches');
  // The pool batches are reused: stamping rewrites only the base offset, which is idempotent.
  const res = await interleaved([
    [
      'fs.writeSync (pre-encoded batches)',
      async () => {
        fs.fsyncSync(plainFd);
        const t0 = hr();
        let bytes = 0;
        for (let b = 0; b < N; b++) bytes += fs.writeSync(plainFd, pool[b % POOL]);
        return { ns: hr() - t0, records: N * C.batchRecords, bytes };
      },
    ],
    [
      'Log.append (records, encoding included)',
      async () => {
        await logAppend.flush();
        const t0 = hr();
        let bytes = 0;
        for (let b = 0; b < N; b++) bytes += (await logAppend.append(recordSets[b % POOL])).sizeBytes;
        return { ns: hr() - t0, records: N * C.batchRecords, bytes };
      },
    ],
    [
      'Log.appendBatchesSync (pre-encoded)',
      async () => {
        await logSync.flush();
        const t0 = hr();
        let bytes = 0;
        for (let b = 0; b < N; b++) bytes += logSync.appendBatchesSync(pool[b % POOL]).sizeBytes;
        return { ns: hr() - t0, records: N * C.batchRecords, bytes };
      },
    ],
    [
      'Log.appendBatches (pre-encoded, awaited)',
      async () => {
        await logAsync.flush();
        const t0 = hr();
        let bytes = 0;
        for (let b = 0; b < N; b++) bytes += (await logAsync.appendBatches(pool[b % POOL])).sizeBytes;
        return { ns: hr() - t0, records: N * C.batchRecords, bytes };
      },
    ],
  ]);
  fs.closeSync(plainFd);
  await logAppend.close();
  await logAsync.close();
  globalThis.__readLog = logSync; // kept open for the read section
  for (const r of res) {
    const x = row({ section: 'write', ...r });
    if (r.ratio === null) x.note = 'yardstick: the machine writing the same bytes';
    if (r.name.startsWith('Log.appendBatches')) target(x, '≥ 0.80× fs.writeSync', x.ratio >= 0.8);
  }
}

// ------------------------------------------------------------------------------------ 4: reads

if (want('read')) {
  section('4. reads (page cache, 1 MiB per call); yardstick and subjects alternate round by round', 'manual');
  let log = globalThis.__readLog;
  if (!log) {
    log = await openLog('read');
    for (let b = 0; b < 6 * C.roundBatches; b++) log.appendBatchesSync(pool[b % POOL]);
  }
  await log.flush();
  const total = Number(log.nextOffset);
  const per = Math.min(C.readRecordsPerRound, total);
  const startOf = (i) => Math.floor(((i * per) % Math.max(1, total - per)) / C.batchRecords) * C.batchRecords;
  const maxBytes = MiB;
  const segPath = path.join(log.dir, '00000000000000000000.log');
  const fd = fs.openSync(segPath, 'r');
  const size = fs.fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(maxBytes);
  const wantBytes = Math.min(per * bytesPerRecord, size);
  const plainRead = (fresh) => async (i) => {
    let pos = Math.floor((startOf(i) / C.batchRecords) * batchBytes);
    if (pos + wantBytes > size) pos = 0;
    const t0 = hr();
    let bytes = 0;
    while (bytes < wantBytes) bytes += fs.readSync(fd, fresh ? Buffer.allocUnsafeSlow(maxBytes) : buf, 0, maxBytes, pos + bytes);
    return { ns: hr() - t0, records: bytes / bytesPerRecord, bytes };
  };
  const readBuf = Buffer.allocUnsafe(maxBytes);
  const readRecords = (pooled) => async (i) => {
    const options = pooled ? { buffer: readBuf } : {};
    let off = BigInt(startOf(i));
    const end = off + BigInt(per);
    let n = 0;
    const t0 = hr();
    while (off < end) {
      const recs = await log.readRecords(off, maxBytes, options);
      n += recs.length;
      off = recs[recs.length - 1].offset + 1n;
    }
    return { ns: hr() - t0, records: n, bytes: n * bytesPerRecord };
  };
  const logRead = (pooled) => async (i) => {
    let off = BigInt(startOf(i));
    const end = off + BigInt(per);
    const options = pooled ? { buffer: readBuf } : {};
    const t0 = hr();
    let bytes = 0;
    while (off < end) {
      const b = await log.read(off, maxBytes, options);
      bytes += b.length;
      off = nextOffsetAfter(b);
    }
    return { ns: hr() - t0, records: bytes / bytesPerRecord, bytes };
  };
  const res = await interleaved([
    // Each subject runs right after its yardstick.
    ['fs.readSync (1 MiB chunks, reused buffer)', plainRead(false)],
    ['Log.read (raw batches, reused buffer)', logRead(true)],
    ['fs.readSync (1 MiB chunks, new Buffer each)', plainRead(true)],
    ['Log.read (raw batches, new Buffer each)', logRead(false), 'fs.readSync (1 MiB chunks, new Buffer each)'],
    ['Log.readRecords (decoded records)', readRecords(false)],
    // Records are views into the bytes read: with a reused buffer they are valid until the
    // next read, as a consumer that handles each batch before fetching the next one uses them.
    ['Log.readRecords (decoded records, reused buffer)', readRecords(true)],
  ]);
  fs.closeSync(fd);
  for (const r of res) {
    const x = row({ section: 'read', ...r });
    if (r.ratio === null) x.note = 'yardstick: the machine reading the same bytes';
    if (r.name === 'fs.readSync (1 MiB chunks, new Buffer each)') x.note = 'what a read API that returns a fresh buffer pays';
    if (r.name === 'Log.read (raw batches, reused buffer)') target(x, '≥ 0.80× fs.readSync', x.ratio >= 0.8);
    if (r.name === 'Log.read (raw batches, new Buffer each)') x.note = 'compared with the allocating fs.readSync: both pay for a fresh 1 MiB Buffer per call';
    if (r.name.startsWith('Log.readRecords')) target(x, '≥ 5M records/s', x.rate >= 5e6);
  }
  await log.close();
  fs.rmSync(log.dir, { recursive: true, force: true });
  delete globalThis.__readLog;
}

// ------------------------------------------------------------------------------------ 5: durable

if (want('durable')) {
  section(
    `5. durable appends: each append resolves after its fdatasync; concurrent ones share one (group commit); yardstick and subjects alternate round by round`,
    'manual',
  );
  // The disk's fdatasync cost drifts by 3× within minutes here, so each subject runs right after
  // its yardstick, and both write the same number of batches.
  const W = C.durableWriters;
  const plainSynced = (name, batches, group) => {
    const fd = fs.openSync(path.join(workdir, `${name}.bin`), 'a');
    return {
      fd,
      round: async () => {
        const t0 = hr();
        let bytes = 0;
        for (let b = 0; b < batches; b++) {
          bytes += fs.writeSync(fd, pool[b % POOL]);
          if (b % group === group - 1 || b === batches - 1) fs.fdatasyncSync(fd);
        }
        return { ns: hr() - t0, records: batches * C.batchRecords, bytes };
      },
    };
  };
  const flushesOf = new Map();
  const durableLog = async (name, api, writers, perWriter) => {
    const log = await openLog(name);
    const flushes = [];
    flushesOf.set(name, { log, flushes, batches: writers * perWriter });
    return async () => {
      await log.flush();
      const f0 = log.flushCount;
      const t0 = hr();
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          if (api === 'append') for (let b = 0; b < perWriter; b++) await log.append(recordSets[(w + b) % POOL], { durable: true });
          else for (let b = 0; b < perWriter; b++) await log.appendBatches(pool[(w + b) % POOL], { durable: true });
        }),
      );
      const ns = hr() - t0;
      flushes.push(log.flushCount - f0);
      return { ns, records: writers * perWriter * C.batchRecords, bytes: writers * perWriter * batchBytes };
    };
  };
  const oneBatches = Math.max(20, C.durableBatchesPerWriter >> 1);
  const perBatch = plainSynced('plain-fdatasync', oneBatches, 1);
  const perGroup = plainSynced('plain-group', W * C.durableBatchesPerWriter, W);
  const res = await interleaved([
    ['fs.writeSync + fdatasync per batch', perBatch.round],
    ['Log.append durable, 1 writer', await durableLog('Log.append durable, 1 writer', 'append', 1, oneBatches)],
    [`fs.writeSync + fdatasync per ${W} batches`, perGroup.round],
    [
      `Log.append durable, ${W} writers`,
      await durableLog(`Log.append durable, ${W} writers`, 'append', W, C.durableBatchesPerWriter),
      `fs.writeSync + fdatasync per ${W} batches`,
    ],
    [
      `Log.appendBatches durable (pre-encoded), ${W} writers`,
      await durableLog(`Log.appendBatches durable (pre-encoded), ${W} writers`, 'appendBatches', W, C.durableBatchesPerWriter),
      `fs.writeSync + fdatasync per ${W} batches`,
    ],
  ]);
  fs.closeSync(perBatch.fd);
  fs.closeSync(perGroup.fd);
  for (const r of res) {
    const x = row({ section: 'durable', ...r });
    if (r.name === 'fs.writeSync + fdatasync per batch') x.note = 'yardstick for one durable writer';
    if (r.name === `fs.writeSync + fdatasync per ${W} batches`) x.note = `the disk's limit for a perfect group commit of ${W}`;
    const d = flushesOf.get(r.name);
    if (d !== undefined) {
      await d.log.close();
      x.note = `${(d.batches / median(d.flushes)).toFixed(1)} batches per fdatasync`;
      if (r.name.includes(`${W} writers`)) target(x, '≥ 3M records/s', x.rate >= 3e6);
    }
  }
}

// ------------------------------------------------------------------------------------ 6: other stores

if (want('compare') && stores.length > 0) {
  section('6. the same workload on other embedded stores (append-only log keyed by offset)', 'manual');
  for (const s of stores) note(`${s.name}: ${s.note}`);
  for (const s of stores) {
    const batches = s.synced ? C.compareSyncedBatches : s.small ? C.compareSmallBatches : C.compareBatches;
    const dir = path.join(workdir, `store-${s.name.replace(/[^a-z0-9]+/gi, '-')}`);
    try {
      const h = await s.open(dir);
      let base = 0;
      const w = await measure(
        async () => {
          const t0 = hr();
          for (let b = 0; b < batches; b++) {
            const p = h.append(base, recordBytes[b % POOL]);
            if (p && typeof p.then === 'function') await p;
            base += C.batchRecords;
          }
          return { ns: hr() - t0, records: batches * C.batchRecords, bytes: batches * C.batchRecords * (C.keyBytes + C.valueBytes + 8) };
        },
        { rounds: C.compareRounds },
      );
      const x = row({ section: 'compare', name: `${s.name} append`, ...w });
      ratioTo(x, s.synced ? 'fs.writeSync + fdatasync per batch' : 'fs.writeSync (pre-encoded batches)');
      if (!s.synced) {
        const rd = await measure(
          async () => {
            const t0 = hr();
            const n = await h.readAll();
            return { ns: hr() - t0, records: n, bytes: n * (C.keyBytes + C.valueBytes + 8) };
          },
          { rounds: C.compareRounds },
        );
        const y = row({ section: 'compare', name: `${s.name} read (cursor/iterator)`, ...rd });
        ratioTo(y, 'fs.readSync (1 MiB chunks, reused buffer)');
      }
      await h.close();
    } catch (err) {
      note(`${s.name}: failed (${String(err?.message ?? err).split('\n')[0]}); skipped`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Log.append's target needs lmdb's figure.
{
  const a = byName.get('Log.append (records, encoding included)');
  if (a) {
    const lm = byName.get('lmdb (noSync) append');
    const times = lm ? a.rate / lm.rate : null;
    target(a, `≥ 6M records/s${lm ? ' and ≥ 3× lmdb' : ''}`, a.rate >= 6e6 && (times === null || times >= 3));
    if (times !== null) a.note = `${times.toFixed(2)}× lmdb (noSync)`;
  }
  const d = byName.get(`Log.append durable, ${C.durableWriters} writers`);
  const ls = byName.get('lmdb (synced) append');
  if (d && ls) d.note = `${d.note}; ${(d.rate / ls.rate).toFixed(1)}× lmdb (synced)`;
  for (const s of stores) {
    const r = byName.get(`${s.name} append`);
    const ours = byName.get(s.synced ? 'Log.append durable, 1 writer' : 'Log.append (records, encoding included)');
    if (r && ours) r.note = `sluice is ${(ours.rate / r.rate).toFixed(1)}× this`;
    const rr = byName.get(`${s.name} read (cursor/iterator)`);
    const ourRead = byName.get('Log.readRecords (decoded records)');
    if (rr && ourRead) rr.note = `sluice readRecords is ${(ourRead.rate / rr.rate).toFixed(1)}× this`;
  }
}

// ------------------------------------------------------------------------------------ 7: CRC, encode

if (want('micro')) {
  section('7. CRC on 1 MiB buffers; one 1,000-record batch', 'benchmark.js');
  const buf = randomBytes(MiB);
  const dst = Buffer.allocUnsafe(MiB);
  let sink = 0;
  const crcs = await suite('crc', [
    [
      'Buffer.copy 1 MiB (memcpy)',
      () => {
        sink ^= buf.copy(dst);
      },
    ],
    [
      `native.crc32c (${native.crc32cImplementation()})`,
      () => {
        sink ^= native.crc32c(buf);
      },
    ],
    [
      'native.crc32cPortable (table)',
      () => {
        sink ^= native.crc32cPortable(buf);
      },
    ],
    [
      'native.crc32 (IEEE)',
      () => {
        sink ^= native.crc32(buf);
      },
    ],
    ...(typeof zlib.crc32 === 'function'
      ? [
          [
            'zlib.crc32 (IEEE, built-in)',
            () => {
              sink ^= zlib.crc32(buf);
            },
          ],
        ]
      : []),
    [
      'crc-32 package (IEEE, pure JS)',
      () => {
        sink ^= CRC32.buf(buf);
      },
    ],
  ]);
  if (typeof zlib.crc32 !== 'function') note(`zlib.crc32 is missing on Node ${process.version} (it arrived in 20.15)`);
  for (const [name, b] of crcs) {
    const x = row({
      section: 'micro',
      name: `${name}`,
      method: 'benchmark.js',
      rate: b.hz,
      rateUnit: 'MiB/s',
      mbps: (b.hz * MiB) / 1e6,
      spread: b.stats.rme / 100,
    });
    if (name.startsWith('Buffer.copy')) x.note = 'yardstick: memory bandwidth of one core';
    else ratioTo(x, 'Buffer.copy 1 MiB (memcpy)');
    if (name.startsWith('native.crc32c (')) {
      target(x, '≥ 25 GB/s', x.mbps >= 25_000);
      x.note = `implementation: ${native.crc32cImplementation()}`;
    }
  }
  const batch = pool[0];
  const micro = await suite('batch', [
    [
      'encodeRecordBatch (1,000 records)',
      () => {
        sink ^= encodeRecordBatch(recordSets[0], { now: now0 }).length;
      },
    ],
    [
      'native.scanBatches (1 batch, CRC verified)',
      () => {
        sink ^= native.scanBatches(batch).count;
      },
    ],
    [
      'native.crc32c of one batch',
      () => {
        sink ^= native.crc32cRange(batch, 21, batch.length);
      },
    ],
  ]);
  for (const [name, b] of micro) {
    row({ section: 'micro', name, method: 'benchmark.js', rate: b.hz * C.batchRecords, mbps: (b.hz * batch.length) / 1e6, spread: b.stats.rme / 100 });
  }

  // A Fetch response (v12, 4 partitions × 1 MiB of records) built as the dispatcher builds it:
  // records handed to the socket by reference (writev parts), next to copying them into one
  // response buffer — what the lazy response saves on every fetch, and the copy it keeps out of
  // memory (docs/memory.md).
  const { Writer, codecFor, fetchApi, writeResponseHeader } = await import(path.join(distDir, 'protocol', 'index.js'));
  const records = randomBytes(MiB);
  const fetchBody = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: 't',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        partitions: [0, 1, 2, 3].map((p) => ({
          partitionIndex: p,
          errorCode: 0,
          highWatermark: 10n,
          lastStableOffset: 10n,
          logStartOffset: 0n,
          abortedTransactions: null,
          preferredReadReplica: -1,
          records,
        })),
      },
    ],
  };
  const encodeFetch = (w) => {
    w.reset();
    writeResponseHeader(w, fetchApi.apiKey, 12, 1);
    codecFor(fetchApi, 12, 'response').encode(w, fetchBody);
    return w.toBuffers();
  };
  const copying = new Writer(64 * 1024);
  const splicing = new Writer(64 * 1024);
  splicing.spliceMinBytes = 16 * 1024;
  const fetches = await suite('fetch', [
    [
      'Fetch response, 4 MiB of records copied in',
      () => {
        sink ^= encodeFetch(copying).length;
      },
    ],
    [
      'Fetch response, 4 MiB of records by reference',
      () => {
        sink ^= encodeFetch(splicing).length;
      },
    ],
  ]);
  for (const [name, b] of fetches) {
    const x = row({
      section: 'micro',
      name,
      method: 'benchmark.js',
      rate: b.hz,
      rateUnit: 'responses/s',
      mbps: (b.hz * 4 * MiB) / 1e6,
      spread: b.stats.rme / 100,
    });
    if (name.endsWith('by reference')) ratioTo(x, 'Fetch response, 4 MiB of records copied in');
  }
  if (sink === 0.5) out('');
}

// ------------------------------------------------------------------------------------ 8: big log

if (want('biglog')) {
  let gb = C.logGB;
  const needPerGB = GiB * 1.02;
  const free = (() => {
    const st = fs.statfsSync(workdir);
    return Number(st.bavail) * Number(st.bsize);
  })();
  if (free < 3 * gb * needPerGB) {
    const scaled = Math.floor((free / 3 / needPerGB) * 10) / 10;
    note(`only ${(free / GiB).toFixed(1)} GiB free under ${workRoot}: big log scaled from ${gb} GB to ${scaled} GB (needs 3× its size free)`);
    gb = scaled;
  }
  section(`8. a ${gb} GB log (segment.bytes ${C.segmentBytes / MiB} MiB): append rate at ~1 GB vs ~${gb} GB stored, random lookups`, 'manual + benchmark.js');
  if (gb < 0.25) {
    note('not enough disk for the big-log section; skipped');
  } else {
    const log = await openLog('big', { segmentBytes: C.segmentBytes });
    const ts0 = Date.now() - 3_600_000;
    let batchNo = 0;
    /** Next pool batch, with timestamps ts0 + batchNo (so time lookups have something to find). */
    const nextBatch = () => {
      const b = pool[batchNo % POOL];
      const ts = ts0 + batchNo;
      const hi = Math.floor(ts / 2 ** 32);
      const lo = ts >>> 0;
      b.writeInt32BE(hi, 27);
      b.writeUInt32BE(lo, 31);
      b.writeInt32BE(hi, 35);
      b.writeUInt32BE(lo, 39);
      b.writeUInt32BE(native.crc32cRange(b, 21, b.length), 17);
      batchNo++;
      return b;
    };
    const totalBytes = gb * GiB;
    const t0 = Date.now();
    let lastShown = 0;
    /** Appends until `done()`; yields to the event loop now and then so roll flushes proceed. */
    const fill = async (done) => {
      while (!done()) {
        log.appendBatchesSync(nextBatch());
        if (batchNo % 64 === 0) {
          await new Promise((r) => setImmediate(r));
          const nowMs = Date.now();
          if (nowMs - lastShown > 250) {
            lastShown = nowMs;
            const s = (nowMs - t0) / 1000;
            progress(
              `  building log: ${(log.size / GiB).toFixed(2)} / ${gb} GB  (${(log.size / 1e6 / s).toFixed(0)} MB/s, disk-bound once writeback starts; ${s.toFixed(0)} s)`,
            );
          }
        }
      }
    };
    /**
     * Appends `windowBytes` in 4 timed chunks, right after a roll and a flush: so the window
     * holds no roll and no writeback of earlier data; what is left is how the append path
     * itself scales with the data stored (segment list, indexes).
     */
    const window = async () => {
      await log.flush();
      gc();
      const chunk = C.windowBytes / 4;
      const at = log.size;
      const plainPath = path.join(workdir, 'plain-window.bin');
      const fd = fs.openSync(plainPath, 'w');
      const rates = [];
      const plain = [];
      for (let k = 0; k < 4; k++) {
        let t = hr();
        let w = 0;
        for (let b = 0; w < chunk; b++) w += fs.writeSync(fd, pool[b % POOL]);
        plain.push(w / bytesPerRecord / (Number(hr() - t) / 1e9));
        // Timestamped copies made before the clock starts, so only the append is timed.
        const batches = [];
        for (let w2 = 0; w2 < chunk;) {
          const b = Buffer.from(nextBatch());
          batches.push(b);
          w2 += b.length;
        }
        let recs = 0;
        t = hr();
        for (const b of batches) recs += log.appendBatchesSync(b).recordCount;
        rates.push(recs / (Number(hr() - t) / 1e9));
      }
      fs.closeSync(fd);
      fs.rmSync(plainPath, { force: true });
      const rate = median(rates);
      return {
        rate,
        mbps: (rate * bytesPerRecord) / 1e6,
        spread: (Math.max(...rates) - Math.min(...rates)) / rate,
        at,
        plain: median(plain),
        vsPlain: median(rates.map((r, k) => r / plain[k])),
      };
    };
    // First window: just after the log passes min(1 GB, 20%) and rolls; second: once it holds
    // `gb` GB of sealed segments and rolls again.
    const firstSegments = Math.max(1, Math.round(Math.min(GiB, totalBytes * 0.2) / C.segmentBytes));
    const lastSegments = Math.max(firstSegments + 1, Math.round(totalBytes / C.segmentBytes));
    await fill(() => log.segmentCount > firstSegments);
    const w1 = await window();
    await fill(() => log.segmentCount > lastSegments);
    const w2 = await window();
    progress(
      `  built: ${(log.size / GiB).toFixed(2)} GB in ${log.segmentCount} segments, ${Number(log.nextOffset).toLocaleString()} records, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      true,
    );
    await log.flush();
    const p1 = row({
      section: 'biglog',
      name: `fs.writeSync at ${(w1.at / GiB).toFixed(1)} GB stored`,
      rate: w1.plain,
      mbps: (w1.plain * bytesPerRecord) / 1e6,
      note: 'yardstick: a plain file written in the same window, chunks alternating',
    });
    row({
      section: 'biglog',
      name: `appendBatchesSync at ${(w1.at / GiB).toFixed(1)} GB stored`,
      rate: w1.rate,
      mbps: w1.mbps,
      spread: w1.spread,
      yardstick: p1.name,
      ratio: w1.vsPlain,
    });
    const p2 = row({
      section: 'biglog',
      name: `fs.writeSync at ${(w2.at / GiB).toFixed(1)} GB stored`,
      rate: w2.plain,
      mbps: (w2.plain * bytesPerRecord) / 1e6,
      note: 'yardstick: a plain file written in the same window, chunks alternating',
    });
    row({
      section: 'biglog',
      name: `appendBatchesSync at ${(w2.at / GiB).toFixed(1)} GB stored`,
      rate: w2.rate,
      mbps: w2.mbps,
      spread: w2.spread,
      yardstick: p2.name,
      ratio: w2.vsPlain,
    });
    const flat = row({
      section: 'biglog',
      name: `append flatness: ${(w2.at / GiB).toFixed(1)} GB vs ${(w1.at / GiB).toFixed(1)} GB stored`,
      rate: null,
      yardstick: `its ratio to fs at ${(w1.at / GiB).toFixed(1)} GB`,
      ratio: w2.vsPlain / w1.vsPlain,
      note: `raw rates ${fmtRate(w2.rate)} vs ${fmtRate(w1.rate)} records/s (${(w2.rate / w1.rate).toFixed(2)}×); compared through their ratios to plain fs so the machine's own slowdown as the page cache grows cancels`,
    });
    target(flat, '≥ 0.90× (flat)', flat.ratio >= 0.9);

    // Random lookups.
    const n = Number(log.nextOffset);
    const M = 1 << 16;
    const offsets = Array.from({ length: M }, () => BigInt(Math.floor(Math.random() * n)));
    const stamps = Array.from({ length: M }, () => ts0 + Math.floor(Math.random() * batchNo));
    const segFiles = fs
      .readdirSync(log.dir)
      .filter((f) => f.endsWith('.log'))
      .sort()
      .map((f) => path.join(log.dir, f));
    const fds = segFiles.map((f) => fs.openSync(f, 'r'));
    const sizes = fds.map((fd) => fs.fstatSync(fd).size);
    const preadBuf = Buffer.allocUnsafe(Math.ceil(batchBytes) + 64);
    const positions = Array.from({ length: M }, () => {
      const s = Math.floor(Math.random() * fds.length);
      return [fds[s], Math.floor(Math.random() * Math.max(1, sizes[s] - preadBuf.length))];
    });
    let k = 0;
    let sink = 0;
    const found = [];
    const lookups = await suite('lookups', [
      [
        'fs.readSync of one batch at a random position',
        () => {
          const p = positions[k++ & (M - 1)];
          sink ^= fs.readSync(p[0], preadBuf, 0, preadBuf.length, p[1]);
        },
      ],
      [
        'Log.readSync(random offset, 1, { buffer })',
        () => {
          sink ^= log.readSync(offsets[k++ & (M - 1)], 1, { buffer: preadBuf }).length;
        },
      ],
      [
        'Log.readSync(random offset, 1), new Buffer each',
        () => {
          sink ^= log.readSync(offsets[k++ & (M - 1)], 1).length;
        },
      ],
      [
        'Log.offsetForTimestamp(random timestamp)',
        {
          defer: true,
          fn: (deferred) => {
            log.offsetForTimestamp(stamps[k++ & (M - 1)]).then((o) => {
              if (found.length < 4) found.push(o);
              deferred.resolve();
            });
          },
        },
      ],
    ]);
    for (const fd of fds) fs.closeSync(fd);
    for (const [name, b] of lookups) {
      const x = row({ section: 'biglog', name, method: 'benchmark.js', rate: b.hz, rateUnit: 'lookups/s', mbps: null, spread: b.stats.rme / 100 });
      if (name.startsWith('fs.')) x.note = 'yardstick: a pread of one batch (what a lookup must copy)';
      else ratioTo(x, 'fs.readSync of one batch at a random position');
    }
    if (found.some((o) => o === null)) note('offsetForTimestamp returned null for a timestamp inside the log (unexpected)');
    await log.close();
    fs.rmSync(log.dir, { recursive: true, force: true });
    if (sink === 0.5) out('');
  }
}

// ------------------------------------------------------------------------------------ 9: broker daemon

if (want('broker')) {
  const { brokerSection } = await import('./broker.mjs');
  const { buildRdkafkaDrivers } = await import('./setup.mjs');
  await brokerSection({
    quick: QUICK,
    workdir,
    root,
    row,
    target,
    note,
    section,
    median,
    progress,
    encodeRecordBatch,
    buildRdkafkaDrivers: () => buildRdkafkaDrivers({ install: process.env.BENCH_NO_SETUP !== '1' }),
  });
}

if (want('acks')) {
  const { acksSection } = await import('./broker.mjs');
  await acksSection({ quick: QUICK, workdir, root, row, note, section, median });
}

// ------------------------------------------------------------------------------------ 10: consumer groups

if (want('groups')) {
  const { groupsSection } = await import('./groups.mjs');
  await groupsSection({ quick: QUICK, workdir, root, row, note, section, median, progress, out, gc });
}

// ------------------------------------------------------------------------------------ 11: embedded broker

if (want('embedded')) {
  const { embeddedSection } = await import('./embedded.mjs');
  await embeddedSection({
    quick: QUICK,
    workdir,
    root,
    distDir,
    row,
    target,
    note,
    section,
    median,
    progress,
    setupStores:
      process.env.BENCH_NO_SETUP === '1'
        ? null
        : () => {
            return import('./setup.mjs').then(({ setup }) => setup());
          },
  });
}

// ------------------------------------------------------------------------------------ 12: record validation

if (want('validate')) {
  const { validateSection } = await import('./validate.mjs');
  await validateSection({ quick: QUICK, distDir, row, target, note, section, interleaved, suite, openLog, roundBatches: C.roundBatches });
}

// ------------------------------------------------------------------------------------ 13: network clients

if (want('client')) {
  const { clientSection } = await import('./client.mjs');
  await clientSection({ quick: QUICK, workdir, root, distDir, row, target, note, section, median, progress });
}
if (want('txn')) {
  const { transactionsSection } = await import('./transactions.mjs');
  await transactionsSection({ quick: QUICK, workdir, root, distDir, row, target, note, section, median, progress });
}

// ------------------------------------------------------------------------------------ summary

const secs = (Date.now() - started) / 1000;
out();
out(`== summary (${secs.toFixed(0)} s${QUICK ? ', BENCH_QUICK=1' : ''})`);
const header = ['name', 'method', 'rate', 'MB/s', 'ratio to yardstick', 'target', 'met?'];
const table = rows.map((r) => [
  r.name,
  r.method,
  r.rate === null ? '' : `${fmtRate(r.rate)} ${r.rateUnit}`,
  r.mbps === null ? '' : fmtMB(r.mbps),
  r.ratio === null ? (r.note?.startsWith('yardstick') ? '(yardstick)' : '') : `${r.ratio.toFixed(2)}× ${r.yardstick}`,
  r.target ?? '',
  r.met === null ? '' : r.met ? 'yes' : 'NO',
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
const line = (cells) => `| ${cells.map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
out(line(header));
out(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const t of table) out(line(t));
const missed = rows.filter((r) => r.met === false);
out();
out(missed.length === 0 ? 'all targets met' : `targets missed: ${missed.map((r) => r.name).join('; ')}`);
for (const r of rows) if (r.note && !r.note.startsWith('yardstick')) out(`  ${r.name}: ${r.note}`);

const resultsDir = path.join(benchDir, 'results');
fs.mkdirSync(resultsDir, { recursive: true });
const json = {
  startedAt: new Date(started).toISOString(),
  durationSeconds: secs,
  machine: {
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    memoryGiB: os.totalmem() / GiB,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    crc32c: native.crc32cImplementation(),
  },
  config: { ...C, batchBytes, bytesPerRecord },
  rows: rows.map(({ section, name, method, rate, rateUnit, mbps, yardstick, ratio, target, met, spread, note }) => ({
    section,
    name,
    method,
    rate,
    rateUnit,
    mbps,
    yardstick,
    ratio,
    target,
    met,
    spread,
    note,
  })),
};
fs.writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
out(`results: ${path.relative(process.cwd(), path.join(resultsDir, 'latest.json'))}`);
cleanup();
