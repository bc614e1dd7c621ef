// Measures what a client that pipelines Fetch requests and never reads the answers does to the
// resident memory of `sluice serve` (issue 10; docs/memory.md):
//
//   node scripts/memory-probe.mjs [connections=5] [requests=400] [topicMB=4] [--override k=v ...]
//
// Starts `bin/sluice.js serve` (dist/ must be built: npm run build:ts) on a temporary data dir,
// fills a one-partition topic with topicMB MB (500 KB batches), then opens `connections`
// sockets that each write `requests` Fetch v4 requests for everything (max bytes 64 MiB, max
// wait 0) and never read. Prints the broker's VmRSS: idle after filling, the peak over 4 s of
// pipelining, each second for 3 s after the clients close; then checks a new client is served.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const positional = [];
const extra = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--override') extra.push('--override', args[++i]);
  else positional.push(args[i]);
}
const [connections = 5, requests = 400, topicMB = 4] = positional.map(Number);
const { encodeRequestFrame, produceApi, fetchApi, createTopicsApi } = await import(path.join(root, 'dist/protocol/index.js'));
const { encodeRecordBatch } = await import(path.join(root, 'dist/records/index.js'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-memory-probe-'));
const child = spawn(process.execPath, [path.join(root, 'bin/sluice.js'), 'serve', '--data-dir', dir, '--listeners', 'PLAINTEXT://127.0.0.1:0', ...extra], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
const port = await new Promise((resolve, reject) => {
  const onData = (chunk) => {
    output += chunk;
    const m = /"listener":"PLAINTEXT:\/\/127\.0\.0\.1:(\d+)"/.exec(output);
    if (m) resolve(Number(m[1]));
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.once('exit', () => reject(new Error(`broker exited:\n${output}`)));
});
const rssMB = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const connect = () =>
  new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', () => {});
  });
const roundTrip = (s, frame) =>
  new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const onData = (c) => {
      got = Buffer.concat([got, c]);
      if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) {
        s.off('data', onData);
        resolve(got);
      }
    };
    s.on('data', onData);
    s.write(frame);
  });

const admin = await connect();
await roundTrip(
  admin,
  encodeRequestFrame(createTopicsApi, 4, 1, 'probe', {
    topics: [{ name: 't', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  }),
);
const value = Buffer.alloc(1000, 7);
for (let i = 0; i < topicMB * 2; i++) {
  const records = encodeRecordBatch(Array.from({ length: 500 }, () => ({ value })));
  await roundTrip(
    admin,
    encodeRequestFrame(produceApi, 7, 2 + i, 'probe', { acks: 1, timeoutMs: 5000, topics: [{ name: 't', partitions: [{ partitionIndex: 0, records }] }] }),
  );
}
admin.destroy();
await sleep(500);
console.log(`idle RSS after filling ${topicMB} MB: ${rssMB().toFixed(0)} MB`);

const fetch = encodeRequestFrame(fetchApi, 4, 9, 'probe', {
  maxWaitMs: 0,
  minBytes: 1,
  maxBytes: 64 << 20,
  isolationLevel: 0,
  topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 64 << 20 }] }],
});
const clients = [];
for (let c = 0; c < connections; c++) {
  const s = await connect();
  s.pause();
  s.write(Buffer.concat(Array.from({ length: requests }, () => fetch)));
  clients.push(s);
}
let peak = 0;
for (let i = 0; i < 40; i++) {
  await sleep(100);
  peak = Math.max(peak, rssMB());
}
console.log(`peak RSS, ${connections} connections × ${requests} pipelined fetches, not reading: ${peak.toFixed(0)} MB`);
for (const s of clients) s.destroy();
for (let i = 1; i <= 3; i++) {
  await sleep(1000);
  console.log(`RSS ${i} s after the clients closed: ${rssMB().toFixed(0)} MB`);
}
const fresh = await connect();
const answer = await roundTrip(fresh, fetch);
console.log(`a new client's fetch: ${answer.length} bytes`);
fresh.destroy();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
fs.rmSync(dir, { recursive: true, force: true });
