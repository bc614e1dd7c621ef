// A work queue: one topic, a consumer group of three workers in this process sharing its six
// partitions. Every job is handled by exactly one worker; jobs of one customer (same key) stay
// in order on one partition. Kill one worker and the others take over its partitions.
// Run after `npm install`:  node examples/embedded-queue.mjs [dataDir]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sluice } from '../dist/index.js';

const dir = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-queue-'));
const sluice = await Sluice.open({ dir });
await sluice.admin().createTopics({ topics: [{ topic: 'jobs', numPartitions: 6 }] });

const JOBS = 60;
const handledBy = new Map(); // job id → worker
let allDone;
const done = new Promise((resolve) => (allDone = resolve));

const workers = [];
for (const name of ['worker-a', 'worker-b', 'worker-c']) {
  const consumer = sluice.consumer({ groupId: 'job-runners', heartbeatInterval: 500 });
  consumer.on(consumer.events.GROUP_JOIN, (e) => console.log(`${name} owns partitions ${JSON.stringify(e.payload.memberAssignment.jobs ?? [])}`));
  await consumer.subscribe({ topic: 'jobs', fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const job = JSON.parse(message.value.toString());
      handledBy.set(job.id, name);
      if (handledBy.size === JOBS) allDone();
    },
  });
  workers.push(consumer);
}

const producer = sluice.producer();
await producer.send({
  topic: 'jobs',
  messages: Array.from({ length: JOBS }, (_, id) => ({ key: `customer-${id % 8}`, value: JSON.stringify({ id, task: 'resize-image' }) })),
});

await done;
const perWorker = {};
for (const w of handledBy.values()) perWorker[w] = (perWorker[w] ?? 0) + 1;
console.log(`${handledBy.size} jobs handled, each once:`, perWorker);
await sluice.close();
