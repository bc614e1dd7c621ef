// Many partitions on one node (issue 10 part 3): times creating PARTITIONS partitions through
// CreateTopics in batches (one topic of BATCH partitions per request), the clean shutdown, and
// the restart with all of them, under the process's own `ulimit -n`. A timed run, not a test:
//
//   npm run build:ts && node bench/partitions.mjs                   # 100,000 partitions
//   sh -c 'ulimit -n 1024 && exec node bench/partitions.mjs'        # under a low fd limit
//
// Env: BENCH_PARTITIONS (default 100000), BENCH_BATCH (partitions per CreateTopics, default
// 10000), BENCH_DIR (where the data dir goes; default os.tmpdir()). Runs the broker in-process
// (no sockets: CreateTopics is the broker method the handler calls) against dist/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const { Broker } = await import(path.join(dist, 'broker', 'broker.js'));
const { loadBrokerConfig } = await import(path.join(dist, 'broker', 'broker-config.js'));
const { native } = await import(path.join(dist, 'native.js'));
const { segmentHandles } = await import(path.join(dist, 'storage', 'handle-cache.js'));
const { createLogger } = await import(path.join(dist, 'logger.js'));

const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 10_000);
const dataDir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'sluice-partitions-'));
const logger = createLogger({ level: 'warn' });
const properties = { 'max.broker.partitions': PARTITIONS + 1000 };
const open = () => Broker.open(loadBrokerConfig({ dataDir, properties }), { logger, backgroundTasks: false });
const fds = () => fs.readdirSync('/proc/self/fd').length;
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

const limit = native.openFileLimit();
console.log(`partitions: ${PARTITIONS} in CreateTopics of ${BATCH}; RLIMIT_NOFILE ${limit.soft}; data dir ${dataDir}`);
try {
  let broker = await open();
  console.log(`segment handle cache: ${segmentHandles.maxOpen} segments (${segmentHandles.maxOpen * 3} fds)`);
  let t = performance.now();
  for (let created = 0, topic = 0; created < PARTITIONS; topic++) {
    const n = Math.min(BATCH, PARTITIONS - created);
    const [r] = await broker.createTopics([{ name: `bench-${topic}`, numPartitions: n, replicationFactor: 1 }], false);
    if (r.errorCode !== 0) throw new Error(`CreateTopics bench-${topic} failed: ${r.errorCode} ${r.errorMessage}`);
    created += n;
    console.log(`  ${created} partitions after ${seconds(performance.now() - t)}; process fds ${fds()}`);
  }
  const createMs = performance.now() - t;
  t = performance.now();
  await broker.close();
  const closeMs = performance.now() - t;
  t = performance.now();
  broker = await open();
  const restartMs = performance.now() - t;
  const hosted = broker.hostedPartitionCount;
  const fdsAfterRestart = fds();
  t = performance.now();
  await broker.close();
  const secondCloseMs = performance.now() - t;
  console.log(
    `create ${PARTITIONS}: ${seconds(createMs)} (${(createMs / PARTITIONS).toFixed(2)} ms/partition); clean shutdown ${seconds(closeMs)}; ` +
      `restart ${seconds(restartMs)} (${hosted} partitions, ${fdsAfterRestart} fds open after it); shutdown after restart ${seconds(secondCloseMs)}`,
  );
} finally {
  await fs.promises.rm(dataDir, { recursive: true, force: true });
}
