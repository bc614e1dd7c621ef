// The transactions section of `npm run bench` (BENCH_ONLY=txn): what exactly-once costs.
//
//   Workload: 100 B records (10 B key, 90 B value), one partition, sends of 1,000 records, each
//   awaited before the next.
//   (a) transactional produce, one transaction per 1,000 records (begin, send, commit: the
//       AddPartitionsToTxn, the send, the EndTxn and the COMMIT marker), against the idempotent
//       producer sending the same records (its yardstick), side by side:
//       - sluice's own client in process (Sluice.open, in-process transport);
//       - sluice's own client over the wire (connect() to one `sluice serve`);
//       - librdkafka through confluent-kafka (Debian's python3-confluent-kafka), when installed:
//         produce 1,000 then flush() vs begin / produce 1,000 / commit_transaction().
//       Target (issue 12): ≥ 0.8× the idempotent producer's records/s.
//   (b) read_committed over a log where every tenth transaction of 1,000 records was aborted,
//       against read_uncommitted over the same log: a new consumer group reads the whole
//       partition from the earliest offset, in process and over the wire; rate = records in
//       the log / time from the first batch handed over to the one holding the last record
//       (both modes end on the same committed record). Target: ≥ 0.9× read_uncommitted.
//
// One warm-up round plus `rounds` rounds, interleaved (round i of every subject before round
// i+1 of any); medians of the rates, ratio = median of the per-round ratios.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordPool, startDaemon, stopDaemon } from './embedded.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const RECORD_BYTES = 100;
const SEND = 1000;
/** Every ABORT_EVERY-th transaction of the read_committed log is aborted (10%). */
const ABORT_EVERY = 10;
const PYTHON = '/usr/bin/python3';

/** @param ctx { quick, workdir, root, distDir, row, target, note, section, median, progress } */
export async function transactionsSection(ctx) {
  const { quick, workdir, root, row, target, note, section, median, progress } = ctx;
  const { Sluice, connect } = await import(path.join(ctx.distDir, 'index.js'));
  const { createLogger } = await import(path.join(ctx.distDir, 'logger.js'));
  const logger = createLogger({ level: 'warn' });
  const rounds = quick ? 3 : 5;
  const nInProcess = quick ? 100_000 : 300_000;
  const nWire = quick ? 50_000 : 150_000;
  const nLog = quick ? 300_000 : 1_000_000;
  const pool = recordPool();

  section(
    `13. transactions: ${SEND}-record sends of 100 B records to one partition, one transaction per send vs the idempotent producer; read_committed vs read_uncommitted over a log with 10% aborted transactions; 1 warm-up + ${rounds} rounds interleaved, median`,
    'manual',
  );

  const samples = new Map();
  const add = (name, rate) => {
    if (!samples.has(name)) samples.set(name, []);
    samples.get(name).push(rate);
  };
  const timed = async (n, fn) => {
    const t0 = process.hrtime.bigint();
    await fn();
    return n / (Number(process.hrtime.bigint() - t0) / 1e9);
  };

  /** Sends n records, 1,000 per awaited send, with an idempotent producer. */
  const idempotentRun = async (client, topic, n) => {
    const producer = client.producer({ idempotent: true, acks: -1 });
    await producer.connect();
    const rate = await timed(n, async () => {
      for (let sent = 0, j = 0; sent < n; sent += SEND, j++) await producer.send({ topic, messages: pool[j % pool.length] });
    });
    await producer.disconnect();
    return rate;
  };
  let txnSeq = 0;
  /** The same records, one transaction per send; `abortEvery` > 0 aborts every such transaction (index % abortEvery === abortEvery / 2). */
  const transactionalRun = async (client, topic, n, abortEvery = 0) => {
    const producer = client.producer({ transactionalId: `bench-txn-${txnSeq++}`, idempotent: true, acks: -1 });
    await producer.connect();
    const rate = await timed(n, async () => {
      for (let sent = 0, j = 0; sent < n; sent += SEND, j++) {
        const txn = await producer.transaction();
        await txn.send({ topic, messages: pool[j % pool.length] });
        if (abortEvery > 0 && j % abortEvery === abortEvery / 2) await txn.abort();
        else await txn.commit();
      }
    });
    await producer.disconnect();
    return rate;
  };

  /**
   * A new group reads `topic` from the earliest offset until the record at `lastOffset`;
   * records in the log (`logRecords`) / seconds from the first batch to that one.
   */
  const readRun = async (client, topic, group, readUncommitted, lastOffset, logRecords) => {
    const consumer = client.consumer({ groupId: group, readUncommitted, maxWaitTimeInMs: 100, maxBytesPerPartition: 4 << 20 });
    await consumer.subscribe({ topic, fromBeginning: true });
    let first = null;
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        if (batch.messages.length === 0) return;
        first ??= process.hrtime.bigint();
        if (batch.messages[batch.messages.length - 1].offset >= lastOffset && done !== null) {
          done(logRecords / (Number(process.hrtime.bigint() - first) / 1e9));
          done = null;
        }
      },
    });
    const rate = await finished;
    await consumer.disconnect();
    return rate;
  };

  // ---------------------------------------------------------------- subjects

  const dir = fs.mkdtempSync(path.join(workdir, 'txn-inprocess-'));
  const sluice = await Sluice.open({ dir, logger, 'offsets.topic.num.partitions': 1, 'transaction.state.log.num.partitions': 1, backgroundTasks: false });
  const daemonDir = fs.mkdtempSync(path.join(workdir, 'txn-serve-'));
  const daemon = await startDaemon(root, daemonDir);
  const wire = await connect({ brokers: [`127.0.0.1:${daemon.port}`], clientId: 'bench-txn', logger });
  let topicSeq = 0;
  const newTopic = async (client, prefix) => {
    const topic = `${prefix}-${topicSeq++}`;
    await client.admin().createTopics({ topics: [{ topic, numPartitions: 1 }] });
    return topic;
  };

  const rdkafka = rdkafkaAvailable();
  if (!rdkafka) note('confluent-kafka (python3-confluent-kafka) not importable: its rows are skipped');
  const rdkafkaRun = (mode, topic, n) => {
    const r = spawnSync(PYTHON, [path.join(benchDir, 'rdkafka-txn.py'), JSON.stringify({ bootstrap: `127.0.0.1:${daemon.port}`, topic, mode, n })], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (r.status !== 0) throw new Error(`rdkafka-txn.py ${mode} failed: ${r.stderr}`);
    return JSON.parse(r.stdout).rate;
  };

  const L = {
    inIdem: 'Sluice in-process idempotent producer',
    inTxn: 'Sluice in-process transactional producer (1 txn / 1,000)',
    wireIdem: 'sluice connect() idempotent producer',
    wireTxn: 'sluice connect() transactional producer (1 txn / 1,000)',
    rdIdem: 'librdkafka idempotent producer (confluent-kafka)',
    rdTxn: 'librdkafka transactional producer (1 txn / 1,000)',
    inRU: 'Sluice in-process consumer read_uncommitted, 10% aborted',
    inRC: 'Sluice in-process consumer read_committed, 10% aborted',
    wireRU: 'sluice connect() consumer read_uncommitted, 10% aborted',
    wireRC: 'sluice connect() consumer read_committed, 10% aborted',
  };

  try {
    // The logs (b) reads: built once, by the transactional producer itself.
    progress('  txn: building the 10%-aborted logs');
    const logs = {};
    for (const [key, client] of [
      ['in', sluice],
      ['wire', wire],
    ]) {
      const topic = await newTopic(client, `txn-log-${key}`);
      await transactionalRun(client, topic, nLog, ABORT_EVERY);
      // Each transaction: 1,000 records and its marker; the last one was committed.
      const transactions = nLog / SEND;
      logs[key] = { topic, lastOffset: BigInt(transactions * (SEND + 1) - 2), records: nLog };
    }

    for (let i = 0; i < 1 + rounds; i++) {
      progress(`  txn round ${i + 1}/${1 + rounds}${i === 0 ? ' (warm-up)' : ''}`);
      const keep = (name, rate) => i > 0 && add(name, rate);
      globalThis.gc?.();
      keep(L.inIdem, await idempotentRun(sluice, await newTopic(sluice, 'idem-in'), nInProcess));
      globalThis.gc?.();
      keep(L.inTxn, await transactionalRun(sluice, await newTopic(sluice, 'txn-in'), nInProcess));
      globalThis.gc?.();
      keep(L.wireIdem, await idempotentRun(wire, await newTopic(wire, 'idem-wire'), nWire));
      globalThis.gc?.();
      keep(L.wireTxn, await transactionalRun(wire, await newTopic(wire, 'txn-wire'), nWire));
      if (rdkafka) {
        keep(L.rdIdem, rdkafkaRun('idempotent', await newTopic(wire, 'idem-rd'), nWire));
        keep(L.rdTxn, rdkafkaRun('transactional', await newTopic(wire, 'txn-rd'), nWire));
      }
      for (const [key, client, ru, rc] of [
        ['in', sluice, L.inRU, L.inRC],
        ['wire', wire, L.wireRU, L.wireRC],
      ]) {
        const log = logs[key];
        // Which mode reads first alternates round by round.
        for (const uncommitted of i % 2 === 0 ? [true, false] : [false, true]) {
          globalThis.gc?.();
          const rate = await readRun(client, log.topic, `${uncommitted ? 'ru' : 'rc'}-${key}-${i}`, uncommitted, log.lastOffset, log.records);
          keep(uncommitted ? ru : rc, rate);
        }
      }
    }
    progress('  txn rounds done', true);
  } finally {
    await wire.close();
    await sluice.close();
    await stopDaemon(daemon);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(daemonDir, { recursive: true, force: true });
  }

  const result = (name) => {
    const rates = samples.get(name);
    const rate = median(rates);
    return { rate, mbps: (rate * RECORD_BYTES) / 1e6, spread: (Math.max(...rates) - Math.min(...rates)) / rate };
  };
  const pair = (yardstick, subject, goal, what) => {
    if (!samples.has(yardstick) || !samples.has(subject)) return;
    row({ section: 'txn', name: yardstick, ...result(yardstick), note: 'yardstick' });
    const r = row({ section: 'txn', name: subject, ...result(subject) });
    const ys = samples.get(yardstick);
    r.yardstick = yardstick;
    r.ratio = median(samples.get(subject).map((x, k) => x / ys[k]));
    target(r, `≥ ${goal}× ${what}`, r.ratio >= goal);
    r.note = `${r.ratio.toFixed(2)}× ${what} (target ≥ ${goal}×)`;
  };
  pair(L.inIdem, L.inTxn, 0.8, 'idempotent');
  pair(L.wireIdem, L.wireTxn, 0.8, 'idempotent');
  pair(L.rdIdem, L.rdTxn, 0.8, 'idempotent');
  pair(L.inRU, L.inRC, 0.9, 'read_uncommitted');
  pair(L.wireRU, L.wireRC, 0.9, 'read_uncommitted');
  note(
    `records per round: ${nInProcess.toLocaleString('en')} in process, ${nWire.toLocaleString('en')} over the wire; logs of ${nLog.toLocaleString('en')} records`,
  );
}

function rdkafkaAvailable() {
  return spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status === 0;
}
