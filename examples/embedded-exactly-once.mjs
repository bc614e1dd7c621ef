// Exactly-once processing by storing offsets with results: the application keeps its results
// and the offset it has consumed up to in ONE atomic write (here a JSON file replaced with
// rename; in practice a database transaction). On start it seeks to its own stored offsets, so
// a crash between processing and any commit can neither lose nor repeat an effect. Kafka's
// committed offsets are not used at all (autoCommit off).
//
// The script runs the consumer twice on the same data directory: the first run "crashes"
// halfway (stops without any commit), the second finishes; the total is exact.
// Run after `npm install`:  node examples/embedded-exactly-once.mjs [dataDir]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sluice } from '../dist/index.js';

const dir = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-eos-'));
const stateFile = path.join(dir, 'app-state.json');
const PAYMENTS = 100;

function loadState() {
  return fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')) : { total: 0, count: 0, offsets: {} };
}
/** Results and offsets together, atomically: write a temp file, fsync, rename over the old one. */
function saveState(state) {
  const tmp = `${stateFile}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  fs.writeSync(fd, JSON.stringify(state));
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, stateFile);
}

async function run(label, stopAfter) {
  const sluice = await Sluice.open({ dir });
  const state = loadState();
  const consumer = sluice.consumer({ groupId: 'payments-totals' });
  // Wherever Kafka's group offsets are, start from the application's own.
  consumer.on(consumer.events.PARTITIONS_ASSIGNED, (e) => {
    for (const { topic, partitions } of e.payload.partitions) {
      for (const partition of partitions) {
        const next = state.offsets[`${topic}-${partition}`];
        consumer.seek({ topic, partition, offset: next === undefined ? 0n : BigInt(next) });
      }
    }
  });
  await consumer.subscribe({ topic: 'payments', fromBeginning: true });
  let handled = 0;
  let stop;
  const stopped = new Promise((resolve) => (stop = resolve));
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const amount = Number(message.value.toString());
      state.total += amount;
      state.count += 1;
      state.offsets[`${topic}-${partition}`] = String(message.offset + 1n);
      saveState(state); // the effect and the offset, in one atomic step
      if (++handled === stopAfter || state.count === PAYMENTS) stop();
    },
  });
  await stopped;
  await sluice.close();
  console.log(`${label}: processed ${handled}, total so far ${state.total} over ${state.count} payments`);
}

{
  const sluice = await Sluice.open({ dir });
  await sluice.admin().createTopics({ topics: [{ topic: 'payments', numPartitions: 3 }] });
  await sluice
    .producer()
    .send({ topic: 'payments', messages: Array.from({ length: PAYMENTS }, (_, i) => ({ key: `account-${i % 10}`, value: String(i + 1) })) });
  await sluice.close();
}
await run('first run (stops halfway, nothing committed to Kafka)', 40);
await run('second run', Infinity);
const { total, count } = loadState();
const expected = (PAYMENTS * (PAYMENTS + 1)) / 2;
console.log(`total ${total} over ${count} payments; expected ${expected}: ${total === expected && count === PAYMENTS ? 'exactly once' : 'MISMATCH'}`);
