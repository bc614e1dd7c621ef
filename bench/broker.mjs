// The broker daemon section of `npm run bench` (BENCH_ONLY=broker): `sluice serve` as a
// separate process on loopback, driven by librdkafka clients written in C (bench/rdkafka/, built
// by setup.mjs), next to yardsticks measured in the same run:
//
//   - 100 B records (10 B key, 90 B value), one producer (acks=1), one consumer: records/s,
//     next to Kafka's published single-producer / single-consumer figures (Kreps, "Benchmarking
//     Apache Kafka: 2 Million Writes Per Second (On Three Cheap Machines)", 2014: 100 B records,
//     6 partitions, no replication — 821,557 and 940,521 records/s).
//   - 1 KB records (10 B key, 1,014 B value): MB/s of the stored batches, next to fs.writeSync /
//     fs.readSync moving the same number of bytes in ~1 MB calls (page cache, as the broker).
//   - `sluice serve` start-to-ready (spawn → its "ready" log line) next to a bare `node -e ''`
//     (spawn → exit), alternated run by run, and the daemon's idle RSS (VmRSS) after start.
//
// Each throughput round uses fresh topics (deleted afterwards, so the data dir stays small);
// the first round warms the daemon up and is dropped; medians of the rest are reported, with
// the CPU seconds of client and daemon (on a 2-core machine they share the cores).
// 100 B runs with 1 partition and with 6 (Kafka's setup); 1 KB with the first count.
// Env: BENCH_BROKER_PARTITIONS (partition counts, default 1,6), BENCH_BROKER_RECORDS (100 B
// records per round), BENCH_BROKER_RECORDS_1K, BENCH_BROKER_PRODUCER_X (extra librdkafka
// producer settings, key=value,…).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Kafka's published single-client figures, 100 B records (see above). */
const KAFKA_PRODUCER = { rate: 821_557, mbps: 78.3 * 1.048576 };
const KAFKA_CONSUMER = { rate: 940_521, mbps: 89.7 * 1.048576 };
const KAFKA_PRODUCER_NAME = 'Kafka (published): 1 producer, 100 B, acks=1';
const KAFKA_CONSUMER_NAME = 'Kafka (published): 1 consumer, 100 B';
const KEY_BYTES = 10;

/**
 * @param ctx what run.mjs shares: { quick, workdir, root, row, ratioTo, target, note, section,
 *   median, progress, encodeRecordBatch, buildRdkafkaDrivers (or null to skip installing) }
 */
export async function brokerSection(ctx) {
  const { quick, workdir, root, row, target, note, section, median } = ctx;
  const bin = path.join(root, 'bin', 'sluice.js');
  const partitionCounts = (process.env.BENCH_BROKER_PARTITIONS ?? '1,6').split(',').map(Number);
  const n100 = Number(process.env.BENCH_BROKER_RECORDS ?? (quick ? 500_000 : 2_000_000));
  const n1k = Number(process.env.BENCH_BROKER_RECORDS_1K ?? (quick ? 100_000 : 500_000));
  const rounds = quick ? 2 : 3;
  const startRounds = quick ? 3 : 7;
  const idleMs = quick ? 500 : 1000;

  let drivers = null;
  try {
    drivers = ctx.buildRdkafkaDrivers();
  } catch (err) {
    note(`librdkafka drivers unavailable, throughput rows skipped: ${String(err?.message ?? err).split('\n')[0]}`);
  }

  if (drivers !== null) {
    section(
      `9. sluice serve on loopback, librdkafka clients (C): acks=1, linger.ms 5, batch.size 1 MiB, no compression; ` +
        `fresh topics per round, 1 warm-up + ${rounds} rounds, median`,
      'manual',
    );
    note('producer: socket.nagle.disable=true (librdkafka 2.0 leaves Nagle on by default; the Java client Kafka was measured with sets TCP_NODELAY)');
    note('consumer: legacy per-partition consumer from offset 0 (no consumer group), timed from start to the last record handed over');
    note('MB/s of sluice rows = the record batches as stored (what fs.writeSync / fs.readSync move in the yardstick rows)');
    await throughput();
  }

  section(`9b. sluice serve: start-to-ready and idle RSS (${startRounds} runs, alternating with a bare node start; median)`, 'manual');
  await startup();

  // ------------------------------------------------------------------------ throughput

  async function throughput() {
    const dataDir = fs.mkdtempSync(path.join(workdir, 'serve-'));
    const daemon = await startDaemon(dataDir);
    const server = `127.0.0.1:${daemon.port}`;
    const s100 = new Map(partitionCounts.map((p) => [p, { produce: [], consume: [] }]));
    const s1k = { produce: [], consume: [], write: [], read: [], wRatio: [], rRatio: [] };
    const p1k = partitionCounts[0];
    // Yardstick data: 1,000-record batches of 1 KB records (~1 MB, librdkafka's batch.size).
    const pool1k = Array.from({ length: 4 }, (_, j) =>
      ctx.encodeRecordBatch(
        Array.from({ length: 1000 }, (_, i) => ({
          key: Buffer.from(`k${String(j * 1000 + i).padStart(KEY_BYTES - 1, '0')}`),
          value: randomish(1024 - KEY_BYTES, j * 1000 + i),
        })),
        { now: Date.now() },
      ),
    );
    try {
      for (let i = 0; i < 1 + rounds; i++) {
        ctx.progress(`  broker round ${i + 1}/${1 + rounds}${i === 0 ? ' (warm-up)' : ''}`);
        const keep = i > 0;
        for (const p of partitionCounts) {
          const r = await produceConsume(daemon, server, dataDir, `bench-100-p${p}-${i}`, p, n100, 100);
          if (keep) {
            s100.get(p).produce.push(r.produce);
            s100.get(p).consume.push(r.consume);
          }
        }
        const w = plainWrite(pool1k, Math.round((n1k / 1000) * avg(pool1k.map((b) => b.length))));
        const r = await produceConsume(daemon, server, dataDir, `bench-1k-p${p1k}-${i}`, p1k, n1k, 1024);
        const rd = plainRead(w.file, w.bytes);
        fs.rmSync(w.file, { force: true });
        if (!keep) continue;
        s1k.produce.push(r.produce);
        s1k.consume.push(r.consume);
        s1k.write.push(w);
        s1k.read.push(rd);
        s1k.wRatio.push(r.produce.mbps / w.mbps);
        s1k.rRatio.push(r.consume.mbps / rd.mbps);
      }
      ctx.progress(`  broker rounds done`, true);
      const rssAfter = rssBytes(daemon.child.pid);

      const kp = row({
        section: 'broker',
        name: KAFKA_PRODUCER_NAME,
        method: 'published',
        ...KAFKA_PRODUCER,
        note: 'yardstick: Kreps 2014, 6 partitions, no replication, Java producer',
      });
      const kc = row({ section: 'broker', name: KAFKA_CONSUMER_NAME, method: 'published', ...KAFKA_CONSUMER, note: 'yardstick: Kreps 2014, same setup' });
      for (const p of partitionCounts) {
        const { produce, consume } = s100.get(p);
        const pr = row({ section: 'broker', name: `serve ← librdkafka producer, 100 B, ${plural(p, 'partition')}`, ...summarize(produce), yardstick: kp.name });
        pr.ratio = pr.rate / kp.rate;
        target(pr, '≥ 1M records/s', pr.rate >= 1e6);
        pr.note = `payload ${fmt(median(produce.map((x) => x.payloadMBps)))} MB/s; ${cpuNote(produce)}`;
        const co = row({ section: 'broker', name: `serve → librdkafka consumer, 100 B, ${plural(p, 'partition')}`, ...summarize(consume), yardstick: kc.name });
        co.ratio = co.rate / kc.rate;
        target(co, '≥ 1.5M records/s', co.rate >= 1.5e6);
        co.note = cpuNote(consume);
      }
      const wName = 'fs.writeSync, the bytes of the 1 KB run (~1 MB writes)';
      const rName = 'fs.readSync, the bytes of the 1 KB run (1 MiB reads)';
      row({ section: 'broker', name: wName, ...summarize(s1k.write), note: 'yardstick: the machine writing the same bytes (page cache)' });
      const pk = row({
        section: 'broker',
        name: `serve ← librdkafka producer, 1 KB, ${plural(p1k, 'partition')}`,
        ...summarize(s1k.produce),
        yardstick: wName,
        ratio: median(s1k.wRatio),
      });
      pk.note = `payload ${fmt(median(s1k.produce.map((x) => x.payloadMBps)))} MB/s; ratio of MB/s, per round; ${cpuNote(s1k.produce)}`;
      row({ section: 'broker', name: rName, ...summarize(s1k.read), note: 'yardstick: the machine reading the same bytes (page cache)' });
      const ck = row({
        section: 'broker',
        name: `serve → librdkafka consumer, 1 KB, ${plural(p1k, 'partition')}`,
        ...summarize(s1k.consume),
        yardstick: rName,
        ratio: median(s1k.rRatio),
      });
      ck.note = `ratio of MB/s, per round; ${cpuNote(s1k.consume)}`;
      if (rssAfter !== null) note(`daemon RSS after the throughput rounds: ${fmt(rssAfter / 1e6)} MB`);
    } finally {
      await stopDaemon(daemon);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }

  /** "client x s, broker y s CPU in z s": medians, to show which side is the bottleneck. */
  function cpuNote(samples) {
    const m = (k) => median(samples.map((x) => x[k])).toFixed(2);
    return `CPU: client ${m('clientCpu')} s, broker ${m('brokerCpu')} s in ${m('seconds')} s (2 cores)`;
  }

  /** Creates `topic`, produces n records of `recordBytes` into it, reads them back, deletes it. */
  async function produceConsume(daemon, server, dataDir, topic, partitions, n, recordBytes) {
    await cli(['topics', '--bootstrap-server', server, '--create', '--topic', topic, '--partitions', String(partitions)]);
    const extra = process.env.BENCH_BROKER_PRODUCER_X ? process.env.BENCH_BROKER_PRODUCER_X.split(',').flatMap((kv) => ['-X', kv]) : [];
    const pid = daemon.child.pid;
    let cpu0 = cpuSeconds(pid);
    const p = await driver(drivers.producer, [
      '-b',
      server,
      '-t',
      topic,
      '-n',
      String(n),
      '-k',
      String(KEY_BYTES),
      '-v',
      String(recordBytes - KEY_BYTES),
      '-X',
      'socket.nagle.disable=true',
      ...extra,
    ]);
    const pCpu = cpuSeconds(pid) - cpu0;
    const stored = storedBytes(dataDir, topic);
    cpu0 = cpuSeconds(pid);
    const c = await driver(drivers.consumer, ['-b', server, '-t', topic, '-n', String(n)]);
    const cCpu = cpuSeconds(pid) - cpu0;
    await cli(['topics', '--bootstrap-server', server, '--delete', '--topic', topic]);
    if (daemon.exited) throw new Error(`sluice serve exited during the run:\n${daemon.output().slice(-2000)}`);
    const sample = (r, brokerCpu) => ({
      rate: r.recordsPerSec,
      mbps: stored / r.seconds / 1e6,
      payloadMBps: r.payloadMBps,
      seconds: r.seconds,
      clientCpu: r.cpuSeconds,
      brokerCpu,
    });
    return { produce: sample(p, pCpu), consume: sample(c, cCpu) };
  }

  /** fs.writeSync of `total` bytes of the pool batches to a new file (fsync before, untimed). */
  function plainWrite(pool, total) {
    const file = path.join(workdir, 'plain-broker-yardstick.bin');
    const fd = fs.openSync(file, 'w');
    fs.fsyncSync(fd);
    const t0 = process.hrtime.bigint();
    let bytes = 0;
    for (let b = 0; bytes < total; b++) bytes += fs.writeSync(fd, pool[b % pool.length]);
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    fs.closeSync(fd);
    return { file, bytes, rate: bytes / (pool[0].length / 1000) / sec, mbps: bytes / sec / 1e6 };
  }

  function plainRead(file, total) {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.allocUnsafe(1024 * 1024);
    const t0 = process.hrtime.bigint();
    let bytes = 0;
    while (bytes < total) {
      const got = fs.readSync(fd, buf, 0, buf.length, bytes);
      if (got === 0) break;
      bytes += got;
    }
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    fs.closeSync(fd);
    return { rate: null, mbps: bytes / sec / 1e6 };
  }

  // ------------------------------------------------------------------------ startup, RSS

  async function startup() {
    const ready = [];
    const logged = [];
    const bare = [];
    const rss = [];
    for (let i = 0; i < 1 + startRounds; i++) {
      const t0 = performance.now();
      await exitOf(spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }));
      const bareMs = performance.now() - t0;
      const dataDir = fs.mkdtempSync(path.join(workdir, 'serve-start-'));
      const d = await startDaemon(dataDir);
      await new Promise((r) => setTimeout(r, idleMs));
      const r = rssBytes(d.child.pid);
      await stopDaemon(d);
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (i === 0) continue; // first spawns warm the file cache (and write the CLI's V8 code cache, see bin/sluice.js)
      bare.push(bareMs);
      ready.push(d.readyMs);
      logged.push(d.startupMs);
      if (r !== null) rss.push(r);
    }
    const ms = (xs) => ({ rate: median(xs), rateUnit: 'ms', mbps: null, spread: (Math.max(...xs) - Math.min(...xs)) / median(xs) });
    const b = row({ section: 'broker', name: "node -e '' (spawn → exit)", ...ms(bare), note: "yardstick: Node's own start on this machine" });
    const total = row({ section: 'broker', name: 'sluice serve: spawn → "ready" logged', ...ms(ready), yardstick: b.name });
    total.ratio = total.rate / b.rate;
    target(total, '< 100 ms', total.rate < 100);
    total.note = `the daemon's own startupMs (process start → ready) median ${fmt(median(logged))} ms`;
    const beyond = row({ section: 'broker', name: 'sluice serve: start-to-ready beyond bare node', ...ms(ready.map((r, k) => r - bare[k])) });
    target(beyond, '< 100 ms', beyond.rate < 100);
    beyond.note = 'per run: spawn → ready minus the bare node start of the same run';
    if (rss.length > 0) {
      const x = row({
        section: 'broker',
        name: `sluice serve: idle RSS ${idleMs} ms after ready`,
        rate: median(rss) / 1e6,
        rateUnit: 'MB',
        spread: (Math.max(...rss) - Math.min(...rss)) / median(rss),
      });
      target(x, '< 60 MB', x.rate < 60);
      x.note = `VmRSS, MB = 10^6 B (${fmt(median(rss) / 1048576)} MiB)`;
    }
  }

  // ------------------------------------------------------------------------ processes

  /** Spawns `sluice serve` on a free loopback port; resolves once it logs "ready". */
  function startDaemon(dataDir) {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir, '--listeners', 'PLAINTEXT://127.0.0.1:0', '--log-level', 'info'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let pending = '';
    const d = { child, port: 0, readyMs: 0, startupMs: 0, exited: false, output: () => output };
    const exited = exitOf(child).then(() => (d.exited = true));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`sluice serve did not get ready in 30 s:\n${output}`));
      }, 30_000);
      const onData = (chunk) => {
        const now = performance.now();
        output = (output + chunk).slice(-20_000);
        pending += chunk;
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          let msg;
          try {
            msg = JSON.parse(line);
          } catch {
            continue;
          }
          if (msg.msg === 'listening' && d.port === 0) d.port = Number(/:(\d+)$/.exec(msg.listener)?.[1] ?? 0);
          if (msg.msg === 'ready') {
            clearTimeout(timer);
            d.readyMs = now - t0;
            d.startupMs = msg.startupMs;
            resolve(d);
          }
        }
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', onData);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`sluice serve exited before ready:\n${output}`));
      });
    });
  }

  async function stopDaemon(d) {
    if (d.exited) return;
    const done = exitOf(d.child);
    d.child.kill('SIGTERM');
    const timer = setTimeout(() => d.child.kill('SIGKILL'), 15_000);
    await done;
    clearTimeout(timer);
  }

  async function cli(args) {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const code = await exitOf(child);
    if (code !== 0) throw new Error(`sluice ${args.join(' ')} failed (${code}): ${out.trim()}`);
  }

  /** Runs a librdkafka driver; resolves with the JSON line it prints. */
  async function driver(file, args) {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err = (err + c).slice(-4000)));
    const code = await exitOf(child);
    const last = out.trim().split('\n').pop() ?? '';
    if (code !== 0) throw new Error(`${path.basename(file)} ${args.join(' ')} exited ${code}: ${last} ${err.trim()}`);
    return JSON.parse(last);
  }
}

function exitOf(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Bytes of the segment files of every partition of `topic` (directories `<topic>-<n>`). */
function storedBytes(dataDir, topic) {
  let total = 0;
  for (const dir of fs.readdirSync(dataDir)) {
    if (!new RegExp(`^${topic.replace(/[.-]/g, '\\$&')}-\\d+$`).test(dir)) continue;
    for (const f of fs.readdirSync(path.join(dataDir, dir))) {
      if (f.endsWith('.log')) total += fs.statSync(path.join(dataDir, dir, f)).size;
    }
  }
  return total;
}

/** CPU seconds (user + system) used by process `pid` so far, from /proc (0 where unavailable). */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function rssBytes(pid) {
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/** Median rate and MB/s of samples { rate, mbps }, with the spread of the rates (or MB/s). */
function summarize(samples) {
  const med = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const rates = samples.map((s) => s.rate).filter((r) => r !== null);
  const mbs = samples.map((s) => s.mbps);
  const basis = rates.length > 0 ? rates : mbs;
  const m = med(basis);
  return { rate: rates.length > 0 ? med(rates) : null, mbps: med(mbs), spread: (Math.max(...basis) - Math.min(...basis)) / m };
}

function avg(xs) {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function fmt(x) {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

/** A value that is not all zeros (some filesystems and pipes treat those specially). */
function randomish(n, seed) {
  const b = Buffer.allocUnsafe(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

// ------------------------------------------------------------------------------ acks=all: durable vs write caching

/**
 * BENCH_ONLY=acks. acks=all produce throughput of `sluice serve` when acks=all waits for the
 * fdatasync of its batch (the default) and with write caching (topic write.caching=true:
 * answered from the page cache), in the same daemon and the same run, with P concurrent
 * producers (one connection each, one request in flight each, as a producer with
 * max.in.flight=1) writing 1 KiB records in batches of BENCH_ACKS_BATCH (default 10) to one
 * partition, so concurrent produces share fdatasyncs (group commit). Rounds alternate the two
 * topics; medians of records/s. Env: BENCH_ACKS_PRODUCERS (default 1,8), BENCH_ACKS_SECONDS.
 */
export async function acksSection(ctx) {
  const { quick, workdir, root, row, note, section, median } = ctx;
  const bin = path.join(root, 'bin', 'sluice.js');
  const { connect } = await import(path.join(root, 'dist', 'client', 'connect.js'));
  const producerCounts = (process.env.BENCH_ACKS_PRODUCERS ?? '1,8').split(',').map(Number);
  const seconds = Number(process.env.BENCH_ACKS_SECONDS ?? (quick ? 1 : 3));
  const perBatch = Number(process.env.BENCH_ACKS_BATCH ?? 10);
  const rounds = quick ? 2 : 3;
  section(
    `9c. sluice serve: acks=all produce, fdatasync before the answer (default) vs write.caching=true; ${perBatch} × 1 KiB records per request, ${seconds} s per round, ${rounds} rounds, median`,
    'manual',
  );

  const dataDir = fs.mkdtempSync(path.join(workdir, 'serve-acks-'));
  const child = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir, '--listeners', 'PLAINTEXT://127.0.0.1:0', '--log-level', 'info'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const onData = (c) => {
      out += c;
      const m = /"listener":"PLAINTEXT:\/\/127\.0\.0\.1:(\d+)"/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => reject(new Error(`sluice serve exited:\n${out}`)));
  });
  const server = `127.0.0.1:${port}`;
  try {
    const adminClient = await connect({ brokers: [server] });
    const topics = { durable: 'acks-durable', cached: 'acks-cached' };
    await adminClient.admin().createTopics({
      topics: [
        { topic: topics.durable, numPartitions: 1, replicationFactor: 1 },
        { topic: topics.cached, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'write.caching', value: 'true' }] },
      ],
    });
    await adminClient.close();
    const value = Buffer.alloc(1024 - 16, 'v');
    // One record batch of perBatch records to partition 0 per send.
    const messages = Array.from({ length: perBatch }, (_, i) => ({ key: Buffer.from(String(i).padStart(16, '0')), value, partition: 0 }));

    for (const producers of producerCounts) {
      // One client (one connection) per producer.
      const clients = await Promise.all(Array.from({ length: producers }, () => connect({ brokers: [server] })));
      const senders = clients.map((c) => c.producer({ acks: -1, idempotent: false }));
      const rates = { durable: [], cached: [] };
      const run = async (topic) => {
        let requests = 0;
        const end = performance.now() + seconds * 1000;
        const t0 = performance.now();
        await Promise.all(
          senders.map(async (p) => {
            while (performance.now() < end) {
              await p.send({ topic, messages }); // throws on an error code
              requests++;
            }
          }),
        );
        return (requests * perBatch) / ((performance.now() - t0) / 1000);
      };
      await run(topics.durable); // warm-up
      for (let i = 0; i < rounds; i++) {
        rates.durable.push(await run(topics.durable));
        rates.cached.push(await run(topics.cached));
      }
      await Promise.all(clients.map((c) => c.close()));
      const cached = row({
        section: 'broker',
        name: `acks=all, write.caching=true, ${producers} producer(s)`,
        rate: median(rates.cached),
        mbps: (median(rates.cached) * 1024) / 1e6,
      });
      const durable = row({
        section: 'broker',
        name: `acks=all, durable (default), ${producers} producer(s)`,
        rate: median(rates.durable),
        mbps: (median(rates.durable) * 1024) / 1e6,
        yardstick: cached.name,
      });
      durable.ratio = durable.rate / cached.rate;
      note(
        `${producers} producer(s): durable / write caching = ${durable.ratio.toFixed(2)}× (rounds durable ${rates.durable.map((x) => fmt(x)).join(', ')}; cached ${rates.cached.map((x) => fmt(x)).join(', ')})`,
      );
    }
  } finally {
    child.kill('SIGTERM');
    await exitOf(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
