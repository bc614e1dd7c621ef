// Restart after kill -9: how long until a broker with a lot of unflushed data accepts
// connections again, and how long an embedded `Sluice.open` of the same data takes.
//
//   npm run build:ts && node bench/recovery.mjs            (1 GiB, 4 partitions)
//   BENCH_RECOVERY_BYTES=268435456 BENCH_RECOVERY_PARTITIONS=2 node bench/recovery.mjs
//
// For each of two writer settings:
//   - "all unflushed": log.recovery.point.flush.interval.ms and the checkpoint interval set to
//     never, so every byte written is past the recovery point (the worst case: the whole
//     data size is scanned at restart);
//   - "defaults": the broker's defaults (the recovery point follows the writes in the background),
// a child process opens a fresh data dir with `Sluice.open`, writes BENCH_RECOVERY_BYTES of
// 1 KiB records across BENCH_RECOVERY_PARTITIONS partitions (acks=1, page cache), and is
// killed with SIGKILL. Then:
//   - `sluice serve` is started on the data dir and timed from spawn until its port accepts a
//     TCP connection (the client's view of "the broker is back");
//   - the data dir is written and killed again, and a child times `Sluice.open` in-process.
// Printed next to them: the CPU time the process used (all threads: robust to a busy machine),
// a bare `node -e ''` spawn-to-exit (what any Node process costs here),
// a clean restart (SIGTERM, then start) of the same data, and the bytes recovery scanned (from
// the broker's 'recovered segment' log lines). Medians of BENCH_RECOVERY_ROUNDS (default 3).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'sluice.js');
const DIST = path.join(ROOT, 'dist', 'index.js');
const TOPIC = 'recovery-bench';
const RECORD_BYTES = 1024;
const RECORDS_PER_BATCH = 1000;
const NEVER = '9223372036854775807';

const mode = process.argv[2];
if (mode === '--child-write') await childWrite(process.argv[3], JSON.parse(process.argv[4]));
else if (mode === '--child-open') await childOpen(process.argv[3]);
else await main();

// ------------------------------------------------------------------------------ children

async function childWrite(dir, { bytes, partitions, settings }) {
  const { Sluice } = await import(DIST);
  const { encodeRecordBatch } = await import(path.join(ROOT, 'dist', 'records', 'index.js'));
  const sluice = await Sluice.open({ dir, 'num.partitions': partitions, ...settings });
  await sluice.admin().createTopics({ topics: [{ topic: TOPIC, numPartitions: partitions }] });
  const value = Buffer.alloc(RECORD_BYTES - 16, 'x');
  const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: Buffer.from(String(i).padStart(16, '0')), value }));
  const batch = encodeRecordBatch(records);
  let written = 0;
  let p = 0;
  while (written < bytes) {
    const r = await sluice.broker.produce(1, 30_000, [{ name: TOPIC, partitions: [{ index: p, records: Buffer.from(batch) }] }]);
    if (r[0].partitions[0].errorCode !== 0) throw new Error(`produce failed: ${JSON.stringify(r[0].partitions[0])}`);
    written += batch.length;
    p = (p + 1) % partitions;
    // Let timers run, as network I/O would in a served broker (acks=1 produces never yield).
    if (p === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  fs.writeSync(1, `written ${written}\n`);
  setInterval(() => undefined, 1000); // wait for the SIGKILL
}

async function childOpen(dir) {
  const { Sluice } = await import(DIST);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const sluice = await Sluice.open({ dir });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  fs.writeSync(1, `opened ${ms.toFixed(1)} cpu ${((cpu.user + cpu.system) / 1000).toFixed(1)}\n`);
  void sluice;
  process.exit(0);
}

// ------------------------------------------------------------------------------ parent

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function tryConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Runs the writer child and SIGKILLs it once it has written everything. */
function writeAndKill(dir, bytes, partitions, settings) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child-write', dir, JSON.stringify({ bytes, partitions, settings })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('written ')) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited ${code} ${signal}`))));
  });
}

/** Starts `sluice serve`; resolves with ms from spawn to the first accepted connection. */
async function serveUntilAccepting(dir) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dir, '--listeners', `PLAINTEXT://127.0.0.1:${port}`], {
    env: { ...process.env, SLUICE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited:\n${log}`);
    if (await tryConnect(port)) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  const ms = performance.now() - t0;
  // CPU the process used until then (all its threads): what the start costs, whatever else runs on the machine.
  const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const cpuMs = ((Number(stat[11]) + Number(stat[12])) * 1000) / 100;
  return {
    ms,
    cpuMs,
    scannedBytes: () => {
      let total = 0;
      for (const line of log.split('\n')) {
        try {
          const e = JSON.parse(line);
          if (e.msg === 'recovered segment' && typeof e.bytes === 'number') total += e.bytes;
        } catch {
          // not a log line
        }
      }
      return total;
    },
    async stop(signal) {
      child.kill(signal);
      await exited;
    },
  };
}

function bareNodeMs() {
  const t0 = performance.now();
  spawnSync(process.execPath, ['-e', '']);
  return performance.now() - t0;
}

function openInChild(dir) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child-open', dir], { encoding: 'utf8' });
  const m = /opened ([\d.]+) cpu ([\d.]+)/.exec(r.stdout);
  if (m === null) throw new Error(`open child failed:\n${r.stdout}\n${r.stderr}`);
  return { ms: Number(m[1]), cpuMs: Number(m[2]) };
}

async function main() {
  const bytes = Number(process.env.BENCH_RECOVERY_BYTES ?? 1024 * 1024 * 1024);
  const partitions = Number(process.env.BENCH_RECOVERY_PARTITIONS ?? 4);
  const rounds = Number(process.env.BENCH_RECOVERY_ROUNDS ?? 3);
  const workdir = process.env.BENCH_WORKDIR ?? os.tmpdir();
  const variants = [
    ['all unflushed', { 'log.recovery.point.flush.interval.ms': NEVER, 'log.flush.offset.checkpoint.interval.ms': 2147483647 }],
    ['defaults', {}],
  ];
  const mib = (b) => `${(b / 1048576).toFixed(0)} MiB`;
  console.log(`recovery bench: ${mib(bytes)} of 1 KiB records in ${partitions} partitions, ${rounds} rounds, median`);
  const node = [];
  for (let i = 0; i < 3; i++) node.push(bareNodeMs());
  console.log(`  node -e '' spawn to exit: ${median(node).toFixed(0)} ms`);
  for (const [name, settings] of variants) {
    const serveMs = [];
    const serveCpu = [];
    const cleanMs = [];
    const cleanCpu = [];
    const openMs = [];
    const openCpu = [];
    const scanned = [];
    for (let round = 0; round < rounds; round++) {
      const dir = fs.mkdtempSync(path.join(workdir, 'sluice-recovery-'));
      try {
        await writeAndKill(dir, bytes, partitions, settings);
        const serve = await serveUntilAccepting(dir);
        serveMs.push(serve.ms);
        serveCpu.push(serve.cpuMs);
        scanned.push(serve.scannedBytes());
        await serve.stop('SIGTERM');
        const clean = await serveUntilAccepting(dir);
        cleanMs.push(clean.ms);
        cleanCpu.push(clean.cpuMs);
        await clean.stop('SIGTERM');
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir);
        await writeAndKill(dir, bytes, partitions, settings);
        const opened = openInChild(dir);
        openMs.push(opened.ms);
        openCpu.push(opened.cpuMs);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    console.log(`  writer ${name}:`);
    const runs = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
    console.log(
      `    sluice serve after kill -9, spawn to accepting: ${median(serveMs).toFixed(0)} ms (runs: ${runs(serveMs)}), CPU ${median(serveCpu).toFixed(0)} ms; recovery scanned ${mib(median(scanned))}`,
    );
    console.log(`    sluice serve after a clean stop, spawn to accepting: ${median(cleanMs).toFixed(0)} ms, CPU ${median(cleanCpu).toFixed(0)} ms`);
    console.log(`    Sluice.open after kill -9 (in-process): ${median(openMs).toFixed(0)} ms (runs: ${runs(openMs)}), CPU ${median(openCpu).toFixed(0)} ms`);
  }
}
