#!/usr/bin/env node
/**
 * Records golden protocol fixtures from real clients talking to the real daemon:
 *
 *   npm run build:ts && node scripts/record-protocol-fixtures.mjs [--out test/fixtures/protocol]
 *
 * Starts `node bin/sluice.js serve` (temporary data dir, free loopback port) with
 * advertised.listeners pointing at a recording TCP proxy on another loopback port, so every
 * connection a client opens — bootstrap or to the leader — goes through the proxy. The proxy
 * forwards bytes unchanged in both directions and, on the side, splits the client→broker stream
 * into request frames and the broker→client stream into response frames (responses matched to
 * requests by correlation id, per connection). kcat (librdkafka) and kafkajs are then driven
 * through it. Nothing is rewritten: the only reason the Metadata responses name the proxy is
 * the advertised.listeners override.
 *
 * Output: one file per distinct (client, API, version, direction) — the first occurrence —
 * as the whole frame including its int32 size prefix:
 *
 *   <out>/<client>/<ApiName>-v<N>-request.bin / -response.bin
 *
 * A few requests and responses are kept once per meaningful variant, named by a suffix (see
 * variantOf): Produce requests and Fetch responses per compression codec of their records
 * (`-none`, `-gzip`, `-snappy`, `-lz4`, `-zstd`; `-empty` for a fetch that returned nothing),
 * ListOffsets requests per timestamp kind (`-earliest`, `-latest`, `-timestamp`), Metadata
 * requests for all topics, no topics or named ones; Metadata and ListOffsets responses carry
 * their request's. <out>/index.json lists every file with the client's
 * name and version, API, version, header version, the action that produced it and the date.
 *
 * The previous contents of <out> are replaced. Needs dist/ (npm run build:ts) and kcat
 * (Debian package `kcat`). FIXTURES_DEBUG=1 prints every frame seen, kept or not, to stderr.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const outArg = process.argv.indexOf('--out');
const OUT = path.resolve(ROOT, outArg > 0 ? process.argv[outArg + 1] : 'test/fixtures/protocol');

const protocol = await import(pathToFileURL(path.join(ROOT, 'dist/protocol/index.js')).href).catch((err) => {
  throw new Error(`dist/ is missing or stale; run \`npm run build:ts\` first (${err.message})`);
});
const {
  apiByKey,
  requestHeaderVersion,
  responseHeaderVersion,
  decodeRequestHeader,
  decodeRequest,
  decodeResponse,
  Reader,
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
} = protocol;

const RECORDED = new Date().toISOString();
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

// ---- Client versions ----------------------------------------------------------------------

function kcatVersions() {
  const text = execFileSync('kcat', ['-V'], { encoding: 'utf8' });
  const kcat = /Version (\S+)/.exec(text)?.[1] ?? 'unknown';
  const librdkafka = /librdkafka (\S+)/.exec(text)?.[1] ?? 'unknown';
  return { name: 'kcat', version: kcat, library: 'librdkafka', libraryVersion: librdkafka };
}

function kafkajsVersion() {
  const pkg = JSON.parse(readFileSync(require.resolve('kafkajs/package.json'), 'utf8'));
  return { name: 'kafkajs', version: pkg.version };
}

// ---- Recording ----------------------------------------------------------------------------

/** What is being driven right now; each accepted connection is attributed to `current.client`. */
const current = { client: '', action: '' };
/** key → fixture; insertion order is recording order. */
const fixtures = new Map();

/** The compression codec of the first batch / message in a records blob (magic at offset 16). */
function recordsCodec(records) {
  if (records === null || records.length === 0) return 'empty';
  if (records.length < 22) return 'partial';
  const magic = records[16];
  const attributes = magic >= 2 ? records.readInt16BE(21) : records[17];
  return CODECS[attributes & 7] ?? `codec${attributes & 7}`;
}

/**
 * A distinguishing suffix for requests and responses whose content differs meaningfully within
 * one API version: Produce requests and Fetch responses by the codec of their record data,
 * ListOffsets requests by the kind of timestamp asked for, Metadata requests by whether they
 * ask for every topic.
 */
function variantOf(apiKey, apiVersion, direction, frame) {
  try {
    if (apiKey === listOffsetsApi.apiKey && direction === 'request') {
      const h = decodeRequestHeader(frame, 4);
      const body = decodeRequest(listOffsetsApi, apiVersion, new Reader(frame, h.bodyOffset));
      const ts = body.topics[0]?.partitions[0]?.timestamp;
      return ts === -2n ? 'earliest' : ts === -1n ? 'latest' : 'timestamp';
    }
    if (apiKey === metadataApi.apiKey && direction === 'request') {
      const h = decodeRequestHeader(frame, 4);
      const body = decodeRequest(metadataApi, apiVersion, new Reader(frame, h.bodyOffset));
      // An empty list asks for all topics in v0 and for none (brokers only) from v1 on.
      if (body.topics === null || (apiVersion === 0 && body.topics.length === 0)) return 'all-topics';
      return body.topics.length === 0 ? 'no-topics' : 'topics';
    }
    if (apiKey === produceApi.apiKey && direction === 'request') {
      const h = decodeRequestHeader(frame, 4);
      const body = decodeRequest(produceApi, apiVersion, new Reader(frame, h.bodyOffset));
      return recordsCodec(body.topics[0]?.partitions[0]?.records ?? null);
    }
    if (apiKey === fetchApi.apiKey && direction === 'response') {
      const r = new Reader(frame, 4);
      r.readInt32();
      if (responseHeaderVersion(apiKey, apiVersion) === 1) r.readTaggedFields();
      const body = decodeResponse(fetchApi, apiVersion, r);
      for (const t of body.responses) for (const p of t.partitions) if (p.records !== null && p.records.length > 0) return recordsCodec(p.records);
      return 'empty';
    }
  } catch (err) {
    console.error(`could not decode ${direction} for variant (api ${apiKey} v${apiVersion}): ${err.message}`);
  }
  return undefined;
}

/**
 * Keeps `frame` unless an equivalent one was kept already. A response may take its request's
 * variant (`requestVariant`), so e.g. the Metadata response to a named-topics request is kept
 * apart from the brokers-only one. Returns the frame's variant.
 */
function record(client, action, direction, apiKey, apiVersion, correlationId, clientId, frame, requestVariant) {
  const variant = variantOf(apiKey, apiVersion, direction, frame) ?? requestVariant;
  if (process.env.FIXTURES_DEBUG) console.error(client, direction, apiKey, apiVersion, frame.length, variant, action);
  if (client === '') return variant;
  const api = apiByKey(apiKey);
  const name = api?.name ?? `Api${apiKey}`;
  const base = `${client}/${name}-v${apiVersion}-${direction}`;
  const key = variant === undefined ? base : `${base}#${variant}`;
  if (fixtures.has(key)) return variant;
  const file = variant === undefined ? `${base}.bin` : `${base}-${variant}.bin`;
  const headerVersion = direction === 'request' ? requestHeaderVersion(apiKey, apiVersion) : responseHeaderVersion(apiKey, apiVersion);
  fixtures.set(key, {
    file,
    client,
    api: name,
    apiKey,
    version: apiVersion,
    direction,
    headerVersion: headerVersion ?? null,
    correlationId,
    clientId,
    ...(variant === undefined ? {} : { records: variant }),
    action,
    recorded: RECORDED,
    frame: Buffer.from(frame),
  });
  return variant;
}

/** Splits a byte stream into size-prefixed frames (each returned with its prefix). */
class FrameSplitter {
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.buf = Buffer.alloc(0);
    this.broken = false;
  }

  /** Bytes that are not a frame stream stop the splitting (the proxy still forwards them). */
  push(chunk) {
    if (this.broken) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (size < 0) {
        console.error(`negative frame size ${size}: not recording the rest of this stream`);
        this.broken = true;
        return;
      }
      if (this.buf.length < 4 + size) break;
      this.onFrame(this.buf.subarray(0, 4 + size));
      this.buf = this.buf.subarray(4 + size);
    }
  }
}

function startProxy() {
  const sockets = new Set();
  let target = 0;
  const server = net.createServer((client) => {
    const who = current.client;
    const pending = new Map();
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    const requests = new FrameSplitter((frame) => {
      const apiKey = frame.readInt16BE(4);
      const apiVersion = frame.readInt16BE(6);
      const correlationId = frame.readInt32BE(8);
      const action = current.action;
      let clientId = null;
      try {
        clientId = decodeRequestHeader(frame, 4).header.clientId;
      } catch {
        // An unknown API: recorded anyway, without the client id.
      }
      const variant = record(who, action, 'request', apiKey, apiVersion, correlationId, clientId, frame);
      pending.set(correlationId, { apiKey, apiVersion, action, variant });
    });
    const responses = new FrameSplitter((frame) => {
      const correlationId = frame.readInt32BE(4);
      const req = pending.get(correlationId);
      if (req === undefined) {
        console.error(`${who}: response with unknown correlation id ${correlationId}`);
        return;
      }
      pending.delete(correlationId);
      // Which topics or which timestamp was asked shapes the answer; a codec does not.
      const inherit = req.apiKey === metadataApi.apiKey || req.apiKey === listOffsetsApi.apiKey;
      record(who, req.action, 'response', req.apiKey, req.apiVersion, correlationId, null, frame, inherit ? req.variant : undefined);
    });
    client.on('data', (chunk) => {
      upstream.write(chunk);
      requests.push(chunk);
    });
    upstream.on('data', (chunk) => {
      client.write(chunk);
      responses.push(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        setTarget(port) {
          target = port;
        },
        close() {
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(() => r()));
        },
      }),
    );
  });
}

// ---- The daemon ---------------------------------------------------------------------------

function startDaemon(advertisedPort) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-fixtures-'));
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin/sluice.js'),
      'serve',
      '--data-dir',
      dataDir,
      '--listeners',
      'PLAINTEXT://127.0.0.1:0',
      '--override',
      `advertised.listeners=PLAINTEXT://127.0.0.1:${advertisedPort}`,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let pending = '';
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${message}:\n${output}`)));
    };
    const timer = setTimeout(() => fail('daemon did not log "listening" within 30 s'), 30_000);
    const onData = (chunk) => {
      output += chunk;
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        const m = entry.msg === 'listening' ? /:(\d+)$/.exec(entry.listener ?? '') : null;
        if (m === null) continue;
        settled = true;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        child.stdout.resume();
        child.stderr.resume();
        resolve({ port: Number(m[1]), stop });
        return;
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    void exited.then((code) => fail(`daemon exited (${code}) before listening`));
  });
}

/**
 * Creates a topic with our own CLI, outside any recorded action. Asynchronously: the CLI follows
 * the advertised listener, i.e. comes back through this process's proxy.
 */
async function createTopic(bootstrap, topic, partitions = 1) {
  const previous = current.client;
  current.client = '';
  await run(process.execPath, [
    path.join(ROOT, 'bin/sluice.js'),
    'topics',
    '--bootstrap-server',
    bootstrap,
    '--create',
    '--topic',
    topic,
    '--partitions',
    String(partitions),
  ]);
  current.client = previous;
}

// ---- Drivers ------------------------------------------------------------------------------

function run(cmd, args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(stdout);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

async function kcatStep(action, args, input) {
  current.action = `kcat ${action}`;
  const out = await run('kcat', args, input);
  return out;
}

async function driveKcat(bootstrap) {
  current.client = 'kcat';
  const b = ['-b', bootstrap];
  const topic = 'kcat-fixtures';
  await createTopic(bootstrap, topic);

  await kcatStep('-L (metadata, all topics)', [...b, '-L']);
  await kcatStep('-L -t (metadata, one topic)', [...b, '-L', '-t', topic]);
  // librdkafka 2.0.2 enables lz4 only for a broker that advertises FindCoordinator (its LZ4
  // feature flag is keyed on that API, rdkafka_feature.c); until sluice does, `-z lz4` goes out
  // uncompressed here and the lz4 fixture comes from the 0.9.0 legacy run below.
  // Values long and repetitive enough that every codec shrinks the batch: librdkafka sends a
  // batch uncompressed when compression would not make it smaller (lz4 framing on tiny input).
  const filler = 'abcdefgh'.repeat(16);
  // kcat reads stdin line by line; a linger well above that keeps the three records in one batch.
  const oneBatch = ['-X', 'linger.ms=500'];
  const lines = [1, 2, 3].map((i) => `key-${i}:value-${i}-${filler}\n`).join('');
  for (const codec of CODECS) {
    const z = codec === 'none' ? [] : ['-z', codec];
    await kcatStep(
      `-P -K: -H (3 keyed records with 2 headers, compression ${codec})`,
      [...b, '-P', '-t', topic, '-p', '0', '-K', ':', ...oneBatch, '-H', 'h1=v1', '-H', 'h2=v2', ...z],
      lines,
    );
  }
  const consumed = await kcatStep('-C -o beginning -e (consume 15 records)', [
    ...b,
    '-C',
    '-t',
    topic,
    '-p',
    '0',
    '-o',
    'beginning',
    '-e',
    '-q',
    '-f',
    '%k=%s\\n',
  ]);
  if (consumed.trim().split('\n').length !== 15) throw new Error(`kcat consumed:\n${consumed}`);
  await kcatStep('-Q (offset for timestamp)', [...b, '-Q', '-t', `${topic}:0:${Date.now() - 3_600_000}`]);

  // Without ApiVersions, librdkafka picks request versions from broker.version.fallback:
  // 0.8.2 → Produce/Fetch v0, 0.9.0 → v1, both with message format v0 (magic 0). Message
  // format v1 (Produce v2) cannot be had this way: for a fallback of 0.10.0 or later librdkafka
  // turns api.version.request back on, negotiates and sends record batches (magic 2). The 0.9.0
  // API table includes FindCoordinator, so lz4 is on there.
  for (const [fallback, codecs] of [
    ['0.8.2', ['none']],
    ['0.9.0', ['none', 'gzip', 'lz4']],
  ]) {
    const legacyTopic = `kcat-legacy-${fallback.replaceAll('.', '')}`;
    await createTopic(bootstrap, legacyTopic);
    const x = ['-X', 'api.version.request=false', '-X', `broker.version.fallback=${fallback}`];
    await kcatStep(`-L with broker.version.fallback=${fallback}`, [...b, ...x, '-L', '-t', legacyTopic]);
    for (const codec of codecs) {
      const z = codec === 'none' ? [] : ['-z', codec];
      await kcatStep(
        `-P -K: with broker.version.fallback=${fallback} (3 keyed records, compression ${codec})`,
        [...b, ...x, '-P', '-t', legacyTopic, '-p', '0', '-K', ':', ...oneBatch, ...z],
        lines,
      );
    }
    const out = await kcatStep(`-C -o beginning -e with broker.version.fallback=${fallback}`, [
      ...b,
      ...x,
      '-C',
      '-t',
      legacyTopic,
      '-p',
      '0',
      '-o',
      'beginning',
      '-e',
      '-q',
      '-f',
      '%k=%s\\n',
    ]);
    if (out.trim().split('\n').length !== 3 * codecs.length) throw new Error(`kcat (${fallback}) consumed:\n${out}`);
  }
}

async function driveKafkajs(bootstrap) {
  current.client = 'kafkajs';
  const { Kafka, ConfigResourceTypes, CompressionTypes, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const topic = 'kafkajs-fixtures';
  const step = async (action, fn) => {
    current.action = `kafkajs ${action}`;
    return fn();
  };

  const admin = kafka.admin();
  await step('admin.connect', () => admin.connect());
  await step('admin.createTopics (1 partition, retention.ms config)', () =>
    admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '86400000' }] }], waitForLeaders: true }),
  );
  await step('admin.fetchTopicMetadata', () => admin.fetchTopicMetadata({ topics: [topic] }));
  await step('admin.describeConfigs (topic, retention.ms)', () =>
    admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }], includeSynonyms: false }),
  );
  await step('admin.alterConfigs (topic cleanup.policy=delete)', () =>
    admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] }],
    }),
  );
  await step('admin.createPartitions (to 2)', () => admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] }));

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await step('producer.connect (idempotent)', () => producer.connect());
  const messages = [1, 2, 3].map((i) => ({ partition: 0, key: `key-${i}`, value: `value-${i}`, headers: { h1: 'v1', h2: Buffer.from([0, i]) } }));
  await step('producer.send (idempotent, 3 records with headers)', () => producer.send({ topic, acks: -1, messages }));
  await step('producer.send (idempotent, gzip, 3 records with headers)', () =>
    producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages }),
  );
  await producer.disconnect();

  await step('admin.fetchTopicOffsets', () => admin.fetchTopicOffsets(topic));
  await step('admin.fetchTopicOffsetsByTimestamp', () => admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - 3_600_000));

  // kafkajs only fetches from a consumer, and consumers need groups; its cluster and broker
  // objects (not public API) can send a plain Fetch the way the consumer would.
  await step('broker.fetch (internal cluster API, partition 0 from offset 0)', async () => {
    const createCluster = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
    const cluster = kafka[createCluster]({ allowAutoTopicCreation: false });
    await cluster.connect();
    await cluster.addTargetTopic(topic);
    const { leader } = cluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === 0);
    const broker = await cluster.findBroker({ nodeId: String(leader) });
    const res = await broker.fetch({
      maxWaitTime: 100,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: '0', maxBytes: 1048576 }] }],
    });
    await cluster.disconnect();
    const got = res.responses[0].partitions[0].messages.length;
    if (got !== 6) throw new Error(`kafkajs fetch returned ${got} messages`);
  });

  await step('admin.deleteTopicRecords (partition 0 before offset 1)', () => admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] }));
  await step('admin.describeCluster', () => admin.describeCluster());
  await step('admin.deleteTopics', () => admin.deleteTopics({ topics: [topic] }));
  await admin.disconnect();
}

// ---- Main ---------------------------------------------------------------------------------

const proxy = await startProxy();
const daemon = await startDaemon(proxy.port);
proxy.setTarget(daemon.port);
const bootstrap = `127.0.0.1:${proxy.port}`;
const clients = { kcat: kcatVersions(), kafkajs: kafkajsVersion() };
try {
  await driveKcat(bootstrap);
  await driveKafkajs(bootstrap);
} finally {
  await proxy.close();
  await daemon.stop();
}

rmSync(OUT, { recursive: true, force: true });
const index = [];
for (const f of fixtures.values()) {
  const { frame, ...meta } = f;
  mkdirSync(path.join(OUT, path.dirname(f.file)), { recursive: true });
  writeFileSync(path.join(OUT, f.file), frame);
  index.push({ ...meta, clientVersion: clients[f.client].version, size: frame.length });
}
index.sort((a, b) => a.file.localeCompare(b.file));
const sluiceVersion = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
writeFileSync(
  path.join(OUT, 'index.json'),
  `${JSON.stringify({ recorded: RECORDED, broker: `sluice ${sluiceVersion}`, command: 'node scripts/record-protocol-fixtures.mjs', clients, fixtures: index }, null, 2)}\n`,
);
console.log(`wrote ${index.length} fixtures to ${path.relative(ROOT, OUT)}`);
for (const f of index) console.log(`  ${f.file}  (${f.size} bytes, ${f.action})`);
