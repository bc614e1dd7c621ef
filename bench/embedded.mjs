// The embedded-broker section of `npm run bench` (BENCH_ONLY=embedded): one workload, four ways,
// in the same run so the ratios hold on a noisy machine:
//
//   100 B records (10 B key, 90 B value), one partition, produced in sends of 1,000 records
//   while one consumer reads them; timed from the first send to the last record handed to the
//   consumer (end to end), page cache (no fsync per send).
//
//   1. Sluice in-process: sluice.producer().send → sluice.consumer().run({ eachMessage }) and
//      ({ eachBatch }). Target ≥ 1.5M records/s.
//   2. kafkajs over loopback against `sluice serve` (a separate process): kafkajs producer
//      (acks=-1, no compression) → kafkajs consumer (eachBatch). The ratio 1 / 2 is what
//      embedding saves.
//   3. lmdb (noSync) and better-sqlite3 (WAL, synchronous=NORMAL) used as a queue: each batch of
//      1,000 is one write transaction keyed by offset, and the reader takes everything after its
//      last offset (range cursor / SELECT … WHERE offset > ?) after every write — the embedded
//      stores a Node user would otherwise turn into a queue.
//
// Each subject runs a warm-up round plus `rounds` rounds, interleaved (round i of every subject
// before round i+1 of any); medians are reported.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const requireBench = createRequire(path.join(benchDir, 'package.json'));
const requireRoot = createRequire(path.join(benchDir, '..', 'package.json'));

const KEY_BYTES = 10;
const VALUE_BYTES = 90;
const SEND = 1000;

/**
 * Eight sends' worth of 100 B records (10 B key, 90 B value), built once and reused send after
 * send as an application's message objects would be (this section and the network clients').
 */
export function recordPool() {
  return Array.from({ length: 8 }, (_, j) =>
    Array.from({ length: SEND }, (_, i) => {
      const n = j * SEND + i;
      return { key: Buffer.from(`k${String(n).padStart(KEY_BYTES - 1, '0')}`), value: Buffer.alloc(VALUE_BYTES, 97 + (n % 26)) };
    }),
  );
}

/**
 * @param ctx { quick, workdir, root, distDir, row, target, note, section, median, progress, setupStores }
 */
export async function embeddedSection(ctx) {
  const { quick, workdir, root, row, target, note, section, median, progress } = ctx;
  const { Sluice } = await import(path.join(ctx.distDir, 'index.js'));
  const { createLogger } = await import(path.join(ctx.distDir, 'logger.js'));
  const logger = createLogger({ level: 'warn' });
  const rounds = quick ? 2 : 3;
  const nInProcess = Number(process.env.BENCH_EMBEDDED_RECORDS ?? (quick ? 500_000 : 2_000_000));
  const nKafkajs = Number(process.env.BENCH_EMBEDDED_KAFKAJS_RECORDS ?? (quick ? 100_000 : 300_000));
  const nStores = nInProcess;

  // The records, built once: the application's message objects, reused send after send.
  const pool = recordPool();

  section(
    `11. embedded broker: ${SEND}-record sends of 100 B records, 1 partition, produce → consume end to end; 1 warm-up + ${rounds} rounds interleaved, median`,
    'manual',
  );
  note('in-process: Sluice producer.send → consumer.run in one process; kafkajs: a kafkajs producer and consumer in this process, `sluice serve` in another');
  note('lmdb / better-sqlite3 as a queue: one write transaction per 1,000 records, the reader takes everything past its last offset after each write');

  // ---------------------------------------------------------------- subjects

  async function sluiceRound(i, mode) {
    const dir = fs.mkdtempSync(path.join(workdir, 'embedded-'));
    const sluice = await Sluice.open({ dir, logger, 'offsets.topic.num.partitions': 1, backgroundTasks: false });
    try {
      const topic = `e2e-${i}`;
      await sluice.admin().createTopics({ topics: [{ topic, numPartitions: 1 }] });
      const consumer = sluice.consumer({ groupId: `bench-${i}`, maxWaitTimeInMs: 100, maxBytesPerPartition: 4 << 20 });
      await consumer.subscribe({ topic, fromBeginning: true });
      let received = 0;
      let done;
      const finished = new Promise((resolve) => (done = resolve));
      const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
      if (mode === 'eachMessage') {
        await consumer.run({
          eachMessage: async () => {
            if (++received === nInProcess) done();
          },
        });
      } else {
        await consumer.run({
          eachBatch: async ({ batch }) => {
            received += batch.messages.length;
            if (received >= nInProcess) done();
          },
        });
      }
      await joined;
      const producer = sluice.producer();
      await producer.connect();
      const t0 = process.hrtime.bigint();
      for (let sent = 0, j = 0; sent < nInProcess; sent += SEND, j++) {
        await producer.send({ topic, messages: pool[j % pool.length] });
        // Let the consumer run between sends, as it would with the producer elsewhere in the app.
        if (j % 16 === 15) await new Promise(setImmediate);
      }
      await finished;
      const ns = process.hrtime.bigint() - t0;
      await consumer.disconnect();
      return { ns, records: nInProcess };
    } finally {
      await sluice.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  let daemon = null;
  let kafkajs = null;
  try {
    kafkajs = requireRoot('kafkajs');
  } catch (err) {
    note(`kafkajs unavailable (${err.message}); its row is skipped`);
  }
  async function kafkajsRound(i) {
    const { Kafka, logLevel } = kafkajs;
    const kafka = new Kafka({ clientId: 'bench', brokers: [`127.0.0.1:${daemon.port}`], logLevel: logLevel.NOTHING });
    const topic = `kjs-${i}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const consumer = kafka.consumer({ groupId: `bench-kjs-${i}`, maxWaitTimeInMs: 100, maxBytesPerPartition: 4 << 20, maxBytes: 16 << 20 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let received = 0;
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        received += batch.messages.length;
        if (received >= nKafkajs) done();
      },
    });
    await joined;
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const t0 = process.hrtime.bigint();
    for (let sent = 0, j = 0; sent < nKafkajs; sent += SEND, j++) await producer.send({ topic, acks: -1, messages: pool[j % pool.length] });
    await finished;
    const ns = process.hrtime.bigint() - t0;
    await producer.disconnect();
    await consumer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    return { ns, records: nKafkajs };
  }

  const stores = await loadQueueStores(note, ctx.setupStores);
  async function storeRound(store) {
    const dir = fs.mkdtempSync(path.join(workdir, `queue-${store.name.replace(/[^a-z0-9]+/gi, '-')}-`));
    const q = store.open(dir);
    try {
      const t0 = process.hrtime.bigint();
      let received = 0;
      for (let base = 0, j = 0; base < nStores; base += SEND, j++) {
        q.append(base, pool[j % pool.length]);
        received += q.readNew();
      }
      const ns = process.hrtime.bigint() - t0;
      if (received !== nStores) throw new Error(`${store.name}: read ${received} of ${nStores}`);
      return { ns, records: nStores };
    } finally {
      q.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  // ---------------------------------------------------------------- run

  const subjects = [
    ['Sluice in-process, eachMessage', (i) => sluiceRound(i, 'eachMessage')],
    ['Sluice in-process, eachBatch', (i) => sluiceRound(i, 'eachBatch')],
  ];
  if (kafkajs !== null) subjects.push(['kafkajs → sluice serve (loopback) → kafkajs, eachBatch', (i) => kafkajsRound(i)]);
  for (const s of stores) subjects.push([`${s.name} as a queue`, () => storeRound(s)]);

  const samples = new Map(subjects.map(([name]) => [name, []]));
  const daemonDir = fs.mkdtempSync(path.join(workdir, 'embedded-serve-'));
  if (kafkajs !== null) daemon = await startDaemon(root, daemonDir);
  try {
    for (let i = 0; i < 1 + rounds; i++) {
      progress(`  embedded round ${i + 1}/${1 + rounds}${i === 0 ? ' (warm-up)' : ''}`);
      for (const [name, run] of subjects) {
        globalThis.gc?.();
        const r = await run(i);
        if (i > 0) samples.get(name).push(r.records / (Number(r.ns) / 1e9));
      }
    }
    progress('  embedded rounds done', true);
  } finally {
    if (daemon !== null) await stopDaemon(daemon);
    fs.rmSync(daemonDir, { recursive: true, force: true });
  }

  const mbps = (rate) => (rate * (KEY_BYTES + VALUE_BYTES)) / 1e6;
  const result = (name) => {
    const rates = samples.get(name);
    const rate = median(rates);
    return { rate, mbps: mbps(rate), spread: (Math.max(...rates) - Math.min(...rates)) / rate };
  };
  const kjsName = subjects.find(([n]) => n.startsWith('kafkajs'))?.[0];
  const kjs =
    kjsName === undefined ? null : row({ section: 'embedded', name: kjsName, ...result(kjsName), note: 'yardstick: the same workload over the wire' });
  for (const mode of ['eachMessage', 'eachBatch']) {
    const name = `Sluice in-process, ${mode}`;
    const r = row({ section: 'embedded', name, ...result(name) });
    target(r, '≥ 1.5M records/s', r.rate >= 1.5e6);
    if (kjs !== null) {
      r.yardstick = kjs.name;
      r.ratio = r.rate / kjs.rate;
    }
    const notes = [];
    for (const s of stores) notes.push(`${(r.rate / median(samples.get(`${s.name} as a queue`))).toFixed(1)}× ${s.name}`);
    if (notes.length > 0) r.note = notes.join(', ');
  }
  for (const s of stores) {
    const r = row({ section: 'embedded', name: `${s.name} as a queue`, ...result(`${s.name} as a queue`), note: s.note });
    if (kjs !== null) {
      r.yardstick = kjs.name;
      r.ratio = r.rate / kjs.rate;
    }
  }
  note(
    `records per round: in-process and stores ${nInProcess.toLocaleString('en')}, kafkajs ${nKafkajs.toLocaleString('en')} (BENCH_EMBEDDED_RECORDS, BENCH_EMBEDDED_KAFKAJS_RECORDS)`,
  );
}

/** lmdb and better-sqlite3 as queues: append(base, messages) in one transaction, readNew() → records read. */
async function loadQueueStores(note, setupStores) {
  const load = () => {
    const out = [];
    try {
      const { open } = requireBench('lmdb');
      out.push({
        name: 'lmdb (noSync)',
        note: 'transactionSync of 1,000 putSync(append) per send; getRange from the last offset read',
        open(dir) {
          const db = open({ path: dir, noSync: true, overlappingSync: false, keyEncoding: 'uint32', encoding: 'binary', compression: false, cache: false });
          let next = 0;
          return {
            append(base, messages) {
              db.transactionSync(() => {
                for (let i = 0; i < messages.length; i++) db.putSync(base + i, Buffer.concat([messages[i].key, messages[i].value]), { append: true });
              });
            },
            readNew() {
              let n = 0;
              for (const { key } of db.getRange({ start: next })) {
                next = key + 1;
                n++;
              }
              return n;
            },
            close: () => db.close(),
          };
        },
      });
    } catch (err) {
      note(`lmdb: not available (${String(err.message).split('\n')[0]})`);
    }
    try {
      const Database = requireBench('better-sqlite3');
      out.push({
        name: 'better-sqlite3',
        note: 'WAL, synchronous=NORMAL, one transaction of 1,000 INSERTs per send; SELECT … WHERE offset >= ? after each',
        open(dir) {
          const db = new Database(path.join(dir, 'queue.sqlite'));
          db.pragma('journal_mode = WAL');
          db.pragma('synchronous = NORMAL');
          db.exec('CREATE TABLE q (offset INTEGER PRIMARY KEY, key BLOB, value BLOB)');
          const insert = db.prepare('INSERT INTO q (offset, key, value) VALUES (?, ?, ?)');
          const tx = db.transaction((base, messages) => {
            for (let i = 0; i < messages.length; i++) insert.run(base + i, messages[i].key, messages[i].value);
          });
          const select = db.prepare('SELECT offset, key, value FROM q WHERE offset >= ? ORDER BY offset').raw();
          let next = 0;
          return {
            append: (base, messages) => tx(base, messages),
            readNew() {
              let n = 0;
              for (const r of select.iterate(next)) {
                next = r[0] + 1;
                n++;
              }
              return n;
            },
            close: () => db.close(),
          };
        },
      });
    } catch (err) {
      note(`better-sqlite3: not available (${String(err.message).split('\n')[0]})`);
    }
    return out;
  };
  let stores = load();
  if (stores.length < 2 && setupStores !== null) {
    try {
      await setupStores();
      stores = load();
    } catch (err) {
      note(`store setup failed (${String(err?.message ?? err).split('\n')[0]})`);
    }
  }
  return stores;
}

export function startDaemon(root, dataDir) {
  const bin = path.join(root, 'bin', 'sluice.js');
  const child = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir, '--listeners', 'PLAINTEXT://127.0.0.1:0', '--log-level', 'info'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    let port = 0;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice serve did not get ready:\n${output}`));
    }, 30_000);
    const onData = (chunk) => {
      output += chunk;
      for (const line of output.split('\n')) {
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.msg === 'listening') port = Number(/:(\d+)$/.exec(msg.listener)?.[1] ?? 0);
        if (msg.msg === 'ready' && port > 0) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.stderr.off('data', onData);
          child.stdout.resume();
          child.stderr.resume();
          resolve({ child, port });
          return;
        }
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.once('exit', () => reject(new Error(`sluice serve exited:\n${output}`)));
  });
}

export async function stopDaemon(d) {
  if (d.child.exitCode !== null) return;
  const done = new Promise((resolve) => d.child.once('exit', resolve));
  d.child.kill('SIGTERM');
  const timer = setTimeout(() => d.child.kill('SIGKILL'), 15_000);
  await done;
  clearTimeout(timer);
}
