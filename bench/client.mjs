// The network-client section of `npm run bench` (BENCH_ONLY=client): sluice's own Kafka client
// (`connect()`, the network transport) against kafkajs and @platformatic/kafka, all three
// talking to the same `sluice serve` daemon in one run, so the ratios hold on a noisy machine.
//
//   Workload: 100 B records (10 B key, 90 B value), one partition, sends of 1,000 records, each
//   awaited before the next (one send in flight per producer, the same for every client).
//   - produce, acks=1 and acks=all (-1): records/s from the first send to the last ack.
//     sluice's producer is idempotent with acks=all (its default); kafkajs and platformatic are
//     not (theirs).
//   - produce, concurrent small sends (acks=all): 100 sends of 10 records in flight at once,
//     the shape of a server producing per request; sluice's linger (5 ms) gathers them into
//     shared batches and requests, kafkajs and platformatic send each on its own.
//   - consume: a new consumer group reads the records of the acks=all round from the earliest
//     offset; records/s from the first record handed over to the last (joining the group left
//     out), eachBatch for sluice and kafkajs, the message stream for platformatic.
//
// One warm-up round plus `rounds` rounds, interleaved (round i of every subject before round
// i+1 of any); medians reported. Targets (issue 11): ≥ 5× kafkajs and ≥ 1.5× platformatic.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { recordPool, startDaemon, stopDaemon } from './embedded.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const requireRoot = createRequire(path.join(benchDir, '..', 'package.json'));

const KEY_BYTES = 10;
const VALUE_BYTES = 90;
const SEND = 1000;
/** The concurrent round: sends of SMALL records, CONCURRENT of them in flight. */
const SMALL = 10;
const CONCURRENT = 100;

/** @param ctx { quick, workdir, root, distDir, row, target, note, section, median, progress } */
export async function clientSection(ctx) {
  const { quick, workdir, root, row, target, note, section, median, progress } = ctx;
  const { connect } = await import(path.join(ctx.distDir, 'index.js'));
  const { createLogger } = await import(path.join(ctx.distDir, 'logger.js'));
  const logger = createLogger({ level: 'warn' });
  const rounds = quick ? 2 : 3;
  const n = Number(process.env.BENCH_CLIENT_RECORDS ?? (quick ? 100_000 : 300_000));

  const pool = recordPool();

  section(
    `12. network clients: ${SEND}-record sends of 100 B records to one partition of one \`sluice serve\`; 1 warm-up + ${rounds} rounds interleaved, median`,
    'manual',
  );
  note(
    `one send in flight per producer, except the concurrent round (${CONCURRENT} sends of ${SMALL} records in flight); consume = a new group reading the acks=all round from the earliest offset, first record to last`,
  );

  let kafkajs = null;
  let platformatic = null;
  try {
    kafkajs = requireRoot('kafkajs');
  } catch (err) {
    note(`kafkajs unavailable (${err.message}); its rows are skipped`);
  }
  try {
    platformatic = await import(requireRoot.resolve('@platformatic/kafka'));
  } catch (err) {
    note(`@platformatic/kafka unavailable (${err.message}); its rows are skipped`);
  }

  const daemonDir = fs.mkdtempSync(path.join(workdir, 'client-serve-'));
  const daemon = await startDaemon(root, daemonDir);
  const broker = `127.0.0.1:${daemon.port}`;
  const sluice = await connect({ brokers: [broker], clientId: 'bench', logger });
  const admin = sluice.admin();
  let topicSeq = 0;
  const newTopic = async (prefix) => {
    const topic = `${prefix}-${topicSeq++}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    return topic;
  };
  /**
   * Consumption from the first record handed over to the last: joining the group (the same
   * protocol for all three) is left out, so the rate is the client's reading and decoding.
   */
  const meter = () => {
    let first = null;
    let firstCount = 0;
    let received = 0;
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    return {
      finished,
      add(count) {
        if (first === null) {
          first = process.hrtime.bigint();
          firstCount = count;
        }
        received += count;
        if (received >= n && done !== null) {
          const ns = Number(process.hrtime.bigint() - first);
          done((received - firstCount) / (ns / 1e9));
          done = null;
        }
      },
    };
  };
  const timed = async (fn) => {
    const t0 = process.hrtime.bigint();
    await fn();
    return n / (Number(process.hrtime.bigint() - t0) / 1e9);
  };

  // ---------------------------------------------------------------- producers

  const produceWith = {
    sluice: async (topic, acks) => {
      const producer = sluice.producer({ acks });
      await producer.connect();
      const rate = await timed(async () => {
        for (let sent = 0, j = 0; sent < n; sent += SEND, j++) await producer.send({ topic, messages: pool[j % pool.length] });
      });
      await producer.disconnect();
      return rate;
    },
    kafkajs: async (topic, acks) => {
      const kafka = new kafkajs.Kafka({ clientId: 'bench', brokers: [broker], logLevel: kafkajs.logLevel.NOTHING });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const rate = await timed(async () => {
        for (let sent = 0, j = 0; sent < n; sent += SEND, j++) await producer.send({ topic, acks, messages: pool[j % pool.length] });
      });
      await producer.disconnect();
      return rate;
    },
    platformatic: async (topic, acks) => {
      const producer = new platformatic.Producer({ clientId: 'bench', bootstrapBrokers: [broker] });
      const batches = pool.map((messages) => messages.map((m) => ({ topic, partition: 0, key: m.key, value: m.value })));
      const rate = await timed(async () => {
        for (let sent = 0, j = 0; sent < n; sent += SEND, j++) await producer.send({ acks, messages: batches[j % batches.length] });
      });
      await producer.close();
      return rate;
    },
  };

  /** `send(i)` starts send i (SMALL records); CONCURRENT kept in flight until n records are sent. */
  const concurrently = async (send) => {
    let next = 0;
    const worker = async () => {
      while (next * SMALL < n) await send(next++);
    };
    await Promise.all(Array.from({ length: CONCURRENT }, worker));
  };
  const small = (j) => pool[(((j * SMALL) / SEND) % pool.length) | 0].slice((j * SMALL) % SEND, ((j * SMALL) % SEND) + SMALL);

  const produceConcurrentlyWith = {
    sluice: async (topic) => {
      const producer = sluice.producer({ acks: -1 });
      await producer.connect();
      const rate = await timed(() => concurrently((j) => producer.send({ topic, messages: small(j) })));
      await producer.disconnect();
      return rate;
    },
    kafkajs: async (topic) => {
      const kafka = new kafkajs.Kafka({ clientId: 'bench', brokers: [broker], logLevel: kafkajs.logLevel.NOTHING });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const rate = await timed(() => concurrently((j) => producer.send({ topic, acks: -1, messages: small(j) })));
      await producer.disconnect();
      return rate;
    },
    platformatic: async (topic) => {
      const producer = new platformatic.Producer({ clientId: 'bench', bootstrapBrokers: [broker] });
      const rate = await timed(() =>
        concurrently((j) => producer.send({ acks: -1, messages: small(j).map((m) => ({ topic, partition: 0, key: m.key, value: m.value })) })),
      );
      await producer.close();
      return rate;
    },
  };

  // ---------------------------------------------------------------- consumers

  const consumeWith = {
    sluice: async (topic, group) => {
      const consumer = sluice.consumer({ groupId: group, maxWaitTimeInMs: 100, maxBytesPerPartition: 4 << 20 });
      await consumer.subscribe({ topic, fromBeginning: true });
      const m = meter();
      await consumer.run({ eachBatch: async ({ batch }) => m.add(batch.messages.length) });
      const rate = await m.finished;
      await consumer.disconnect();
      return rate;
    },
    kafkajs: async (topic, group) => {
      const kafka = new kafkajs.Kafka({ clientId: 'bench', brokers: [broker], logLevel: kafkajs.logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100, maxBytesPerPartition: 4 << 20, maxBytes: 16 << 20 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const m = meter();
      await consumer.run({ eachBatch: async ({ batch }) => m.add(batch.messages.length) });
      const rate = await m.finished;
      await consumer.disconnect();
      return rate;
    },
    platformatic: async (topic, group) => {
      const consumer = new platformatic.Consumer({ clientId: 'bench', groupId: group, bootstrapBrokers: [broker], maxWaitTime: 100, maxBytes: 16 << 20 });
      const stream = await consumer.consume({ topics: [topic], mode: platformatic.MessagesStreamModes.EARLIEST, autocommit: false });
      const m = meter();
      stream.on('data', () => m.add(1));
      const rate = await Promise.race([m.finished, new Promise((_, reject) => stream.once('error', reject))]);
      await stream.close();
      await consumer.close(true);
      return rate;
    },
  };

  const clients = ['sluice', ...(kafkajs === null ? [] : ['kafkajs']), ...(platformatic === null ? [] : ['platformatic'])];
  const label = { sluice: 'sluice connect()', kafkajs: 'kafkajs', platformatic: '@platformatic/kafka' };
  const samples = new Map();
  const add = (name, rate) => {
    if (!samples.has(name)) samples.set(name, []);
    samples.get(name).push(rate);
  };
  try {
    for (let i = 0; i < 1 + rounds; i++) {
      progress(`  client round ${i + 1}/${1 + rounds}${i === 0 ? ' (warm-up)' : ''}`);
      for (const c of clients) {
        for (const acks of [1, -1]) {
          globalThis.gc?.();
          const topic = await newTopic(`${c}-acks${acks}`);
          const rate = await produceWith[c](topic, acks);
          if (i > 0) add(`${label[c]} producer, acks=${acks === -1 ? 'all' : '1'}`, rate);
          if (acks === -1) {
            globalThis.gc?.();
            const consumed = await consumeWith[c](topic, `bench-${c}-${i}`);
            if (i > 0) add(`${label[c]} consumer`, consumed);
          }
        }
        globalThis.gc?.();
        const concurrent = await produceConcurrentlyWith[c](await newTopic(`${c}-concurrent`));
        if (i > 0) add(`${label[c]} producer, ${CONCURRENT} concurrent ${SMALL}-record sends, acks=all`, concurrent);
      }
    }
    progress('  client rounds done', true);
  } finally {
    await sluice.close();
    await stopDaemon(daemon);
    fs.rmSync(daemonDir, { recursive: true, force: true });
  }

  const mbps = (rate) => (rate * (KEY_BYTES + VALUE_BYTES)) / 1e6;
  const result = (name) => {
    const rates = samples.get(name);
    const rate = median(rates);
    return { rate, mbps: mbps(rate), spread: (Math.max(...rates) - Math.min(...rates)) / rate };
  };
  for (const what of ['producer, acks=1', 'producer, acks=all', `producer, ${CONCURRENT} concurrent ${SMALL}-record sends, acks=all`, 'consumer']) {
    const ours = row({ section: 'client', name: `${label.sluice} ${what}`, ...result(`${label.sluice} ${what}`) });
    const notes = [];
    for (const [c, goal] of [
      ['kafkajs', 5],
      ['platformatic', 1.5],
    ]) {
      const name = `${label[c]} ${what}`;
      if (!samples.has(name)) continue;
      const theirs = row({ section: 'client', name, ...result(name), note: 'yardstick' });
      const ratio = ours.rate / theirs.rate;
      notes.push(`${ratio.toFixed(2)}× ${label[c]} (target ≥ ${goal}×)`);
      if (c === 'kafkajs') {
        ours.yardstick = theirs.name;
        ours.ratio = ratio;
        target(ours, `≥ 5× kafkajs, ≥ 1.5× platformatic`, ratio >= 5);
      } else if (ours.met !== null) ours.met = ours.met && ratio >= 1.5;
    }
    ours.note = notes.join(', ');
  }
  note(`records per round: ${n.toLocaleString('en')} (BENCH_CLIENT_RECORDS)`);
}
