// A crash-safe partition log in a few lines: append, read back, look up by time, reopen.
// Run after `npm install`:  node examples/log-quickstart.mjs [dir]
import { Log } from '../dist/index.js';

const dir = process.argv[2] ?? './data/orders-0';
const log = await Log.open(dir, { segmentBytes: 64 << 20, 'retention.ms': 7 * 86_400_000 });
console.log(`opened ${dir}: logStartOffset=${log.logStartOffset} nextOffset=${log.nextOffset}`);

const now = Date.now();
const { baseOffset, lastOffset } = await log.append(
  [
    { key: 'k1', value: 'hello', headers: [{ key: 'h', value: 'v' }], timestamp: now },
    { key: 'k2', value: 'world', timestamp: now + 1 },
  ],
  { durable: true }, // resolves after fdatasync
);
console.log(`appended offsets ${baseOffset}..${lastOffset} (durable)`);

for (const r of await log.readRecords(baseOffset, 1 << 20)) {
  console.log(`  offset=${r.offset} ts=${r.timestamp} key=${r.key} value=${r.value} headers=${JSON.stringify(r.headers.map((h) => [h.key, String(h.value)]))}`);
}
console.log(`first offset at or after ${now + 1}: ${await log.offsetForTimestamp(now + 1)}`);
await log.close();
console.log('closed cleanly; run again to see the log continue where it stopped');
