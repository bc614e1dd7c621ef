// Publish/subscribe: two consumer groups read the same topic independently — each group gets
// every event, and each keeps its own committed position.
// Run after `npm install`:  node examples/embedded-pubsub.mjs [dataDir]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sluice } from '../dist/index.js';

const dir = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pubsub-'));
const sluice = await Sluice.open({ dir, 'num.partitions': 3 });

const EVENTS = 20;
const received = { billing: [], analytics: [] };
let finished = 0;
let allDone;
const done = new Promise((resolve) => (allDone = resolve));

const consumers = [];
for (const group of Object.keys(received)) {
  const consumer = sluice.consumer({ groupId: group });
  consumers.push(consumer);
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      received[group].push(message.value.toString());
      if (received[group].length === EVENTS && ++finished === 2) allDone();
    },
  });
}

// The topic is created on first send (auto.create.topics.enable, num.partitions 3).
const producer = sluice.producer({ compression: 'lz4' });
for (let i = 0; i < EVENTS; i++) await producer.send({ topic: 'orders', messages: [{ key: `order-${i}`, value: `order ${i} placed` }] });

await done;
for (const [group, events] of Object.entries(received)) console.log(`${group}: ${events.length} events`);
// Stopping a consumer commits its positions (auto-commit) and leaves the group.
for (const c of consumers) await c.disconnect();
const offsets = await sluice.admin().fetchOffsets({ groupId: 'billing', topics: ['orders'] });
console.log('billing has committed', offsets[0].partitions.map((p) => `p${p.partition}@${p.offset}`).join(' '), '— 20 in all');
await sluice.close();
