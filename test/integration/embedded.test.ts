/**
 * The embedded broker seen from outside through `listen()`, and from a restarted process:
 *  - records produced in-process (keys, headers, compressed) are read by kcat and kafkajs;
 *  - records produced by kcat and kafkajs are read by an in-process consumer;
 *  - in-process consumers and a kafkajs consumer are members of one group and split it;
 *  - an application embedding sluice that is killed or closed resumes from its committed
 *    offsets when it starts again on the same directory.
 */
import { runProcess } from '../helpers/run-process.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from '../../src/client/consumer.js';
import { decodeConsumerSubscription } from '../../src/group/consumer-protocol.js';
import { RangeAssignor } from '../../src/group/assignors/index.js';
import type { Sluice } from '../../src/sluice.js';
import { openSluice, waitFor, type Opened } from '../client/helpers.js';
import { kcatConsume, kcatProduce } from '../helpers/kcat.js';
import { removeDir, tempDir } from '../helpers/storage.js';
import { ensureKcat } from '../helpers/system-tools.js';

const { Kafka, logLevel, AssignerProtocol, CompressionTypes } = kafkajs;
type KafkaClient = InstanceType<typeof Kafka>;

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/embedded-child.mjs');

let opened: Opened;
let sluice: Sluice;
let bootstrap: string;
let kafka: KafkaClient;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  ensureKcat();
  opened = await openSluice();
  sluice = opened.sluice;
  const listening = await sluice.listen({ listeners: 'PLAINTEXT://127.0.0.1:0' });
  bootstrap = listening.bootstrap[0]!;
  expect(listening.addresses[0]).toMatch(/^PLAINTEXT:\/\/127\.0\.0\.1:\d+$/);
  kafka = new Kafka({
    clientId: 'embedded-it',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 1000 },
  });
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await opened?.cleanup();
});

describe('listen(): the embedded broker over the wire', () => {
  it('records produced in-process with every codec are read by kcat, and by kafkajs', async () => {
    await sluice.admin().createTopics({ topics: [{ topic: 'inproc', numPartitions: 3 }] });
    const gzip = sluice.producer({ compression: 'gzip' });
    await gzip.send({ topic: 'inproc', messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `g${i}`, headers: { h: `x${i}` } })) });
    for (const codec of ['snappy', 'lz4', 'zstd'] as const) {
      await sluice
        .producer({ compression: codec })
        .send({ topic: 'inproc', messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `${codec}${i}` })) });
    }

    const lines = await kcatConsume(bootstrap, 'inproc', { format: '%k=%s;%h\\n', expectLines: 60 });
    expect(lines).toHaveLength(60);
    expect(lines).toContain('k7=g7;h=x7');
    expect(lines.filter((l) => l.startsWith('k7=')).sort()).toEqual(['k7=g7;h=x7', 'k7=lz47;', 'k7=snappy7;', 'k7=zstd7;']);

    // kafkajs decodes gzip only (other codecs need plugins): it reads a topic of plain and gzip batches.
    await sluice.admin().createTopics({ topics: [{ topic: 'inproc-kafkajs', numPartitions: 3 }] });
    await gzip.send({ topic: 'inproc-kafkajs', messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `g${i}`, headers: { h: `x${i}` } })) });
    await sluice.producer().send({ topic: 'inproc-kafkajs', messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `z${i}` })) });
    const consumer = kafka.consumer({ groupId: 'kafkajs-reader', maxWaitTimeInMs: 100 });
    cleanups.push(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic: 'inproc-kafkajs', fromBeginning: true });
    const got: string[] = [];
    await consumer.run({
      eachMessage: async ({ message }) =>
        void got.push(`${message.key?.toString() ?? ''}=${message.value?.toString() ?? ''}:${message.headers?.h?.toString() ?? ''}`),
    });
    await waitFor('60 records in kafkajs', () => got.length >= 60);
    await consumer.disconnect();
    expect(got).toHaveLength(60);
    expect(got).toContain('k3=g3:x3');
    expect(got).toContain('k3=z3:');
    // Same key, same partition, whichever producer call and codec.
    const partitionsOf = new Map<string, Set<number>>();
    const kcatKeys = await kcatConsume(bootstrap, 'inproc', { format: '%k %p\\n', expectLines: 60 });
    for (const line of kcatKeys) {
      const [k, p] = line.split(' ');
      (partitionsOf.get(k!) ?? partitionsOf.set(k!, new Set()).get(k!)!).add(Number(p));
    }
    expect([...partitionsOf.values()].every((s) => s.size === 1)).toBe(true);
  });

  it('records produced by kcat with every codec and by kafkajs are read by an in-process consumer', async () => {
    await sluice.admin().createTopics({ topics: [{ topic: 'outside', numPartitions: 2 }] });
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) await kcatProduce(bootstrap, 'outside', `${codec}-a\n${codec}-b\n`, ['-z', codec]);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({
      topic: 'outside',
      compression: CompressionTypes.GZIP,
      messages: [{ key: 'kj', value: 'from-kafkajs', headers: { src: 'kafkajs' } }],
    });
    await producer.disconnect();

    const consumer = sluice.consumer({ groupId: 'inproc-reader', heartbeatInterval: 100 });
    await consumer.subscribe({ topic: 'outside', fromBeginning: true });
    const got: string[] = [];
    await consumer.run({
      eachMessage: async ({ message }) =>
        void got.push(`${message.key?.toString() ?? ''}=${message.value!.toString()}:${message.headers.src?.toString() ?? ''}`),
    });
    await waitFor('9 records', () => got.length >= 9);
    await consumer.disconnect();
    expect(got.sort()).toEqual(['=gzip-a:', '=gzip-b:', '=lz4-a:', '=lz4-b:', '=snappy-a:', '=snappy-b:', '=zstd-a:', '=zstd-b:', 'kj=from-kafkajs:kafkajs']);
  });

  it('in-process consumers and a kafkajs consumer share one group and its partitions', async () => {
    const topic = 'mixed';
    const group = 'mixed-group';
    const partitions = 6;
    await sluice.admin().createTopics({ topics: [{ topic, numPartitions: partitions }] });
    // kafkajs names its assigners itself; this one speaks Java's "range" protocol with sluice's
    // RangeAssignor, so whichever member leads, the assignment is the same.
    const range = new RangeAssignor();
    const kafkajsRange = ({ cluster }: { cluster: { findTopicPartitionMetadata(topic: string): { partitionId: number }[] } }) => ({
      name: 'range',
      version: 0,
      async assign({ members, topics }: { members: { memberId: string; memberMetadata: Buffer }[]; topics: string[] }) {
        const counts = new Map(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).length]));
        const subs = new Map(members.map((m) => [m.memberId, { topics: decodeConsumerSubscription(m.memberMetadata).topics }]));
        const assigned = range.assign(counts, subs);
        return members.map((m) => ({
          memberId: m.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 0,
            assignment: Object.fromEntries(assigned.get(m.memberId) ?? new Map()),
            userData: Buffer.alloc(0),
          }),
        }));
      },
      protocol({ topics }: { topics: string[] }) {
        return { name: 'range', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
      },
    });

    const seen: [string, number, bigint][] = [];
    const inproc: Consumer[] = [];
    for (const name of ['in-1', 'in-2']) {
      const c = sluice.consumer({ groupId: group, heartbeatInterval: 100, partitionAssigners: ['range'], maxWaitTimeInMs: 100 });
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({ eachMessage: async ({ partition, message }) => void seen.push([name, partition, message.offset]) });
      inproc.push(c);
    }
    const remote = kafka.consumer({
      groupId: group,
      partitionAssigners: [kafkajsRange as never],
      heartbeatInterval: 100,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      maxWaitTimeInMs: 100,
    });
    cleanups.push(() => remote.disconnect());
    await remote.connect();
    await remote.subscribe({ topic, fromBeginning: true });
    await remote.run({ eachMessage: async ({ partition, message }) => void seen.push(['kafkajs', partition, BigInt(message.offset)]) });

    const described = await waitFor('three members in a stable group', async () => {
      const g = (await sluice.admin().describeGroups([group])).groups[0]!;
      return g.state === 'Stable' && g.members.length === 3 && g.members.every((m) => m.assignment.length > 0) ? g : null;
    });
    expect(described.protocol).toBe('range');
    expect(described.members.map((m) => m.clientHost).filter((h) => h === 'in-process')).toHaveLength(2);
    const owned = described.members.flatMap((m) => m.assignment.flatMap((t) => t.partitions)).sort();
    expect(owned).toEqual([0, 1, 2, 3, 4, 5]);

    await sluice.producer().send({ topic, messages: Array.from({ length: 60 }, (_, i) => ({ value: String(i), partition: i % partitions })) });
    await waitFor('60 records across the group', () => seen.length >= 60);
    // Each partition read by exactly one member, every offset once.
    for (let p = 0; p < partitions; p++) {
      const reads = seen.filter(([, partition]) => partition === p);
      expect(new Set(reads.map(([who]) => who)).size).toBe(1);
      expect(reads.map(([, , o]) => o)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));
    }
    expect(new Set(seen.map(([who]) => who))).toEqual(new Set(['in-1', 'in-2', 'kafkajs']));
    await remote.disconnect();
    for (const c of inproc) await c.disconnect();
  });
});

describe('restarting an application that embeds sluice', () => {
  async function runChild(
    dir: string,
    produce: number,
    stopAfter: number,
    how: 'kill' | 'close',
  ): Promise<{ offsets: number[]; code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    const { code, signal, stdout, stderr } = await runProcess(process.execPath, [CHILD, dir, String(produce), String(stopAfter), how], {
      timeoutMs: 60_000,
      env: { ...process.env, SLUICE_LOG_LEVEL: 'error' },
    });
    const offsets = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => Number((JSON.parse(l) as { offset: string }).offset));
    return { offsets, code, signal, stderr };
  }

  it('resumes from the committed offsets after a SIGKILL and after a clean close', async () => {
    const dir = tempDir('embedded-restart');
    cleanups.push(async () => removeDir(dir));
    const first = await runChild(dir, 100, 40, 'kill');
    expect(first.signal).toBe('SIGKILL');
    expect(first.offsets).toEqual(Array.from({ length: 40 }, (_, i) => i));

    const second = await runChild(dir, 0, 30, 'close');
    expect(second.code, second.stderr).toBe(0);
    expect(second.offsets).toEqual(Array.from({ length: 30 }, (_, i) => 40 + i));

    const third = await runChild(dir, 0, 30, 'close');
    expect(third.code, third.stderr).toBe(0);
    expect(third.offsets).toEqual(Array.from({ length: 30 }, (_, i) => 70 + i));
  });
});
