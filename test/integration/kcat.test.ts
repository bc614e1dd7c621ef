/**
 * The real daemon (`node bin/sluice.js serve`) driven by kcat, i.e. librdkafka: metadata,
 * produce with keys / headers / every acks setting, consume with offsets and timestamps, all
 * four codecs, offsets by timestamp, and data surviving a graceful restart and a SIGKILL.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchApi } from '../../src/protocol/index.js';
import { entryHeaders } from '../../src/server/handlers/common.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { RawKafkaSocket } from '../helpers/kafka-protocol.js';
import { kcat, kcatConsume, kcatProduce } from '../helpers/kcat.js';
import { ensureKcat } from '../helpers/system-tools.js';

const brokers: BrokerProcess[] = [];
const dirs: string[] = [];

async function start(dataDir?: string, args: string[] = []): Promise<BrokerProcess> {
  const b = await startBrokerProcess({ ...(dataDir !== undefined ? { dataDir } : {}), args });
  brokers.push(b);
  return b;
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kcat-'));
  dirs.push(dir);
  return dir;
}

const bootstrap = (b: BrokerProcess): string => `127.0.0.1:${b.port}`;

afterAll(async () => {
  for (const b of brokers) await b.kill();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('kcat against one daemon', () => {
  let broker: BrokerProcess;
  beforeAll(async () => {
    ensureKcat();
    broker = await start(undefined, ['--override', 'num.partitions=1']);
  });

  it('logs listening and ready lines, with the startup time', async () => {
    const logged = (): Record<string, unknown>[] =>
      broker
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (let i = 0; i < 50 && !logged().some((l) => l.msg === 'ready'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logged().find((l) => l.msg === 'listening')!.listener).toBe(`PLAINTEXT://127.0.0.1:${broker.port}`);
    const ready = logged().find((l) => l.msg === 'ready')!;
    expect(ready.listeners).toEqual([`PLAINTEXT://127.0.0.1:${broker.port}`]);
    // A loose bound against gross regressions (a loaded CI box is slow); see the report for real numbers.
    expect(ready.startupMs).toBeLessThan(5_000);
  });

  it('kcat -L lists the broker with its bound port, and topics once they exist', async () => {
    await kcatProduce(bootstrap(broker), 'meta-topic', 'x\n');
    const r = await kcat(['-b', bootstrap(broker), '-L', '-J']);
    expect(r.code).toBe(0);
    const md = JSON.parse(r.stdout) as { brokers: { id: number; name: string }[]; controllerid: number; topics: { topic: string; partitions: unknown[] }[] };
    expect(md.brokers).toEqual([{ id: 0, name: `127.0.0.1:${broker.port}` }]);
    expect(md.controllerid).toBe(0);
    const topic = md.topics.find((t) => t.topic === 'meta-topic')!;
    expect(topic.partitions).toEqual([{ partition: 0, leader: 0, replicas: [{ id: 0 }], isrs: [{ id: 0 }] }]);
  });

  for (const acks of ['0', '1', 'all']) {
    it(`produces keys and headers with acks=${acks}; consuming returns them with offsets and timestamps`, async () => {
      const topic = `keys-acks-${acks}`;
      const before = Date.now();
      const lines = Array.from({ length: 20 }, (_, i) => `key-${i}:value-${i}`);
      await kcatProduce(bootstrap(broker), topic, lines.join('\n') + '\n', ['-K:', '-H', 'h1=one', '-H', 'h2=two', '-X', `acks=${acks}`]);
      const after = Date.now();
      const got = await kcatConsume(bootstrap(broker), topic, { format: '%k|%s|%h|%T|%o\\n', expectLines: 20 });
      expect(got).toHaveLength(20);
      got.forEach((line, i) => {
        const [key, value, headers, ts, offset] = line.split('|');
        expect([key, value, headers, offset]).toEqual([`key-${i}`, `value-${i}`, 'h1=one,h2=two', String(i)]);
        expect(Number(ts)).toBeGreaterThanOrEqual(before - 1000);
        expect(Number(ts)).toBeLessThanOrEqual(after + 1000);
      });
    });
  }

  /** The codecs of the batches stored for partition 0 of `topic` (bits 0-2 of the attributes). */
  async function storedCodecs(topic: string): Promise<Set<number>> {
    const raw = await RawKafkaSocket.connect(broker.port);
    try {
      const r = await raw.request(fetchApi, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      });
      return new Set(entryHeaders(r.responses[0]!.partitions[0]!.records!).map((e) => e.codec));
    } finally {
      raw.destroy();
    }
  }

  const CODEC_IDS: Record<string, number> = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
    it(`round-trips ${codec}-compressed batches`, async () => {
      const topic = `codec-${codec}`;
      const values = Array.from({ length: 300 }, (_, i) => `${codec}-${i}-${'abcdefgh'.repeat(8)}`);
      await kcatProduce(bootstrap(broker), topic, values.join('\n') + '\n', ['-z', codec, '-X', 'acks=all', '-X', 'linger.ms=50']);
      expect(await kcatConsume(bootstrap(broker), topic, { expectLines: 300 })).toEqual(values);
      // Stored as the producer sent them (librdkafka enables LZ4 only for brokers that
      // advertise FindCoordinator, its marker for Kafka >= 0.8.2: served since the group APIs).
      expect(await storedCodecs(topic)).toEqual(new Set([CODEC_IDS[codec]]));
    });
  }

  it('serves a pre-0.10 librdkafka (no ApiVersions): Metadata v0, Produce v1 magic 0 lz4, ListOffsets v0, Fetch v1', async () => {
    const legacy = ['-X', 'api.version.request=false', '-X', 'broker.version.fallback=0.9.0'];
    const topic = 'legacy-lz4';
    const values = Array.from({ length: 200 }, (_, i) => `old-${i}-${'xyz'.repeat(10)}`);
    await kcatProduce(bootstrap(broker), topic, values.map((v, i) => `k${i}:${v}`).join('\n') + '\n', ['-K:', '-z', 'lz4', '-X', 'acks=all', ...legacy]);
    // A magic 0 lz4 wrapper (with the KAFKA-3160 header checksum) became a magic 2 lz4 batch.
    expect(await storedCodecs(topic)).toEqual(new Set([3]));
    const got = await kcatConsume(bootstrap(broker), topic, { format: '%o|%k|%s\\n', expectLines: 200, extra: legacy });
    expect(got).toEqual(values.map((v, i) => `${i}|k${i}|${v}`));
    // The same records read by a current client.
    expect(await kcatConsume(bootstrap(broker), topic, { format: '%k|%s\\n', offset: '198' })).toEqual(['k198|' + values[198], 'k199|' + values[199]]);
  });

  it('consumes from a timestamp (-o s@ts, ListOffsets by timestamp)', async () => {
    const topic = 'by-time';
    await kcatProduce(bootstrap(broker), topic, 'early-1\nearly-2\n', ['-X', 'acks=1']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const cut = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await kcatProduce(bootstrap(broker), topic, 'late-1\nlate-2\nlate-3\n', ['-X', 'acks=1']);
    const got = await kcatConsume(bootstrap(broker), topic, { offset: `s@${cut}`, format: '%o %s\\n', expectLines: 3 });
    expect(got).toEqual(['2 late-1', '3 late-2', '4 late-3']);
    // After the newest record: nothing.
    expect(await kcatConsume(bootstrap(broker), topic, { offset: `s@${Date.now() + 60_000}` })).toEqual([]);
  });

  it('consumes from an offset and from the end (-o 3, -o -2)', async () => {
    const topic = 'by-offset';
    await kcatProduce(bootstrap(broker), topic, ['a', 'b', 'c', 'd', 'e'].join('\n') + '\n', ['-X', 'acks=all']);
    expect(await kcatConsume(bootstrap(broker), topic, { offset: '3', format: '%o:%s\\n' })).toEqual(['3:d', '4:e']);
    expect(await kcatConsume(bootstrap(broker), topic, { offset: '-2', format: '%o:%s\\n' })).toEqual(['3:d', '4:e']);
  });
});

describe('kcat across restarts', () => {
  beforeAll(() => ensureKcat());

  it('keeps everything across a graceful restart (SIGTERM exits 0)', async () => {
    const dir = tempDir();
    const first = await start(dir);
    const values = Array.from({ length: 50 }, (_, i) => `persist-${i}`);
    await kcatProduce(bootstrap(first), 'durable', values.slice(0, 25).join('\n') + '\n', ['-X', 'acks=all']);
    await kcatProduce(bootstrap(first), 'durable', values.slice(25).join('\n') + '\n', ['-X', 'acks=all', '-z', 'lz4']);
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.output()).toContain('"msg":"stopped"');

    const second = await start(dir);
    expect(await kcatConsume(bootstrap(second), 'durable', { format: '%o %s\\n', expectLines: 50 })).toEqual(values.map((v, i) => `${i} ${v}`));
    // And it appends after the old end.
    await kcatProduce(bootstrap(second), 'durable', 'after-restart\n', ['-X', 'acks=all']);
    expect(await kcatConsume(bootstrap(second), 'durable', { offset: '50', format: '%o %s\\n' })).toEqual(['50 after-restart']);
    expect(await second.stop('SIGTERM')).toBe(0);
  });

  it('shuts down promptly while a consumer is parked in a long-poll fetch', async () => {
    const b = await start();
    await kcatProduce(bootstrap(b), 'tail-me', 'first\n', ['-X', 'acks=all']);
    // A tailing consumer (no -e) whose fetches wait up to 10 s for data.
    const tail = spawn('kcat', ['-b', bootstrap(b), '-C', '-t', 'tail-me', '-o', 'beginning', '-q', '-u', '-f', '%s\\n', '-X', 'fetch.wait.max.ms=10000'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      let out = '';
      tail.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      const deadline = Date.now() + 10_000;
      while (!out.includes('first') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(out).toBe('first\n');
      await new Promise((resolve) => setTimeout(resolve, 300)); // its next fetch is parked now
      const started = Date.now();
      expect(await b.stop('SIGTERM')).toBe(0);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      tail.kill('SIGKILL');
    }
  });

  it('recovers every acknowledged message after SIGKILL', async () => {
    const dir = tempDir();
    const first = await start(dir);
    const values = Array.from({ length: 200 }, (_, i) => `crash-${i}`);
    // kcat exits 0 only once every message is acknowledged (acks=all).
    await kcatProduce(bootstrap(first), 'crashy', values.join('\n') + '\n', ['-X', 'acks=all', '-X', 'linger.ms=5']);
    await first.kill();

    const second = await start(dir);
    expect(second.output()).not.toContain('"level":50');
    const got = await kcatConsume(bootstrap(second), 'crashy', { expectLines: 200 });
    expect(got).toEqual(values);
    await kcatProduce(bootstrap(second), 'crashy', 'after-crash\n', ['-X', 'acks=all']);
    expect(await kcatConsume(bootstrap(second), 'crashy', { offset: '200' })).toEqual(['after-crash']);
  });
});
