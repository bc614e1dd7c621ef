// Replay from a point in time: find, per partition, the first offset at or after a timestamp
// (ListOffsets by time), move a fresh group there, and read from that moment on — what
// `kafka-consumer-groups --reset-offsets --to-datetime` does.
// Run after `npm install`:  node examples/embedded-replay.mjs [dataDir]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sluice } from '../dist/index.js';

const dir = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-replay-'));
const sluice = await Sluice.open({ dir });
const admin = sluice.admin();
await admin.createTopics({ topics: [{ topic: 'readings', numPartitions: 2 }] });

// Ten minutes of sensor readings, one a minute, with their own create times.
const start = Date.UTC(2026, 0, 1, 12, 0, 0);
await sluice.producer().send({
  topic: 'readings',
  messages: Array.from({ length: 10 }, (_, i) => ({ key: `sensor-${i % 2}`, value: `reading at 12:0${i}`, timestamp: start + i * 60_000 })),
});

// Everything from 12:05 on.
const from = start + 5 * 60_000;
const offsets = await admin.fetchTopicOffsetsByTimestamp('readings', from);
console.log('first offsets at or after 12:05:', offsets.map((o) => `p${o.partition}@${o.offset}`).join(' '));
await admin.setOffsets({ groupId: 'replay', topic: 'readings', partitions: offsets });

const consumer = sluice.consumer({ groupId: 'replay' });
await consumer.subscribe({ topic: 'readings' });
const seen = [];
let allDone;
const done = new Promise((resolve) => (allDone = resolve));
await consumer.run({
  eachMessage: async ({ message }) => {
    seen.push({ at: new Date(message.timestamp).toISOString().slice(11, 16), value: message.value.toString() });
    if (seen.length === 5) allDone();
  },
});
await done;
seen.sort((a, b) => a.at.localeCompare(b.at));
for (const s of seen) console.log(`  ${s.at}  ${s.value}`);
await sluice.close();
