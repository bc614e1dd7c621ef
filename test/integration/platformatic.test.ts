/**
 * The real daemon driven by @platformatic/kafka (a pure-JS client with its own protocol code and
 * API version negotiation): its Admin (create, list, metadata, delete topics), its Producer
 * (keys, headers, acks 0 / 1 / -1, every compression codec it can use on this Node) read back
 * with kcat and raw Fetch, and its group Consumer (read everything once from the earliest offset,
 * commit, resume after the committed offsets in a second run; two members splitting a topic).
 */
import {
  Admin,
  CompressionAlgorithms,
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  compressionsAlgorithms,
  stringDeserializers,
  stringSerializers,
  type CompressionAlgorithmValue,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchApi } from '../../src/protocol/index.js';
import { decodeRecordBatchHeader } from '../../src/records/index.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { RawKafkaSocket } from '../helpers/kafka-protocol.js';
import { kcatConsume } from '../helpers/kcat.js';
import { ensureKcat } from '../helpers/system-tools.js';
import { pollUntil, type Probe } from '../helpers/wait.js';

type StringConsumer = Consumer<string, string, string, string>;
type StringMessage = Message<string, string, string, string>;

let broker: BrokerProcess;
let admin: Admin;
let producer: Producer<string, string, string, string>;
let raw: RawKafkaSocket;
const consumers: StringConsumer[] = [];
const bootstrap = (): string => `127.0.0.1:${broker.port}`;
const base = () => ({ bootstrapBrokers: [bootstrap()], retries: 5, retryDelay: 100 });

beforeAll(async () => {
  ensureKcat();
  broker = await startBrokerProcess();
  admin = new Admin({ clientId: 'plat-admin', ...base() });
  producer = new Producer({ clientId: 'plat-producer', serializers: stringSerializers, ...base() });
  raw = await RawKafkaSocket.connect(broker.port);
});

afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => new Promise<void>((resolve, reject) => c.close(true, (err) => (err ? reject(err) : resolve())))));
});

afterAll(async () => {
  raw?.destroy();
  await producer?.close();
  await admin?.close();
  await broker?.kill();
});

function newConsumer(groupId: string, clientId: string): StringConsumer {
  const c: StringConsumer = new Consumer({
    clientId,
    groupId,
    deserializers: stringDeserializers,
    sessionTimeout: 6000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 300,
    maxWaitTime: 100,
    ...base(),
  });
  consumers.push(c);
  return c;
}

/** Resolves with the first `count` messages the stream delivers; rejects after `timeoutMs`. */
function collect(
  stream: MessagesStream<string, string, string, string>,
  count: number,
  sink: StringMessage[] = [],
  timeoutMs = 30_000,
): Promise<StringMessage[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`received ${sink.length} of ${count} messages`));
    }, timeoutMs);
    const onData = (m: StringMessage): void => {
      sink.push(m);
      if (sink.length >= count) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(sink);
      }
    };
    stream.on('data', onData);
    stream.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function waitFor<T>(what: string, probe: Probe<T>, timeoutMs = 30_000): Promise<T> {
  return pollUntil(what, probe, { timeoutMs });
}

async function rawFetchFirstBatch(topic: string, partition: number): Promise<Buffer> {
  const r = await raw.request(fetchApi, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    topics: [{ topic, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
  });
  const p = r.responses[0]!.partitions[0]!;
  expect(p.errorCode).toBe(0);
  return p.records!;
}

const key = (m: StringMessage): string => `${m.topic}/${m.partition}/${m.offset}`;

describe('@platformatic/kafka admin', () => {
  it('creates topics, rejects a duplicate, lists them and describes their partitions', async () => {
    const created = await admin.createTopics({ topics: ['plat-admin-a', 'plat-admin-b'], partitions: 3, replicas: 1 });
    expect(created.map((t) => ({ name: t.name, partitions: t.partitions, replicas: t.replicas })).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'plat-admin-a', partitions: 3, replicas: 1 },
      { name: 'plat-admin-b', partitions: 3, replicas: 1 },
    ]);
    await expect(admin.createTopics({ topics: ['plat-admin-a'], partitions: 3, replicas: 1 })).rejects.toMatchObject({
      errors: [expect.objectContaining({ apiId: 'TOPIC_ALREADY_EXISTS' })],
    });
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['plat-admin-a', 'plat-admin-b']));

    const md = await admin.metadata({ topics: ['plat-admin-a'], forceUpdate: true });
    expect([...md.brokers.entries()].map(([id, b]) => ({ id, host: b.host, port: b.port }))).toEqual([{ id: 0, host: '127.0.0.1', port: broker.port }]);
    const topic = md.topics.get('plat-admin-a')!;
    expect(topic.partitionsCount).toBe(3);
    expect(topic.partitions.map((p) => ({ leader: p.leader, replicas: p.replicas, isr: p.isr }))).toEqual(
      Array(3).fill({ leader: 0, replicas: [0], isr: [0] }),
    );
  });

  it('deletes topics', async () => {
    await admin.deleteTopics({ topics: ['plat-admin-b'] });
    const topics = await admin.listTopics();
    expect(topics).toContain('plat-admin-a');
    expect(topics).not.toContain('plat-admin-b');
  });
});

describe('@platformatic/kafka producer', () => {
  it('sends keys and headers with acks -1, 1 and 0 to chosen partitions', async () => {
    await admin.createTopics({ topics: ['plat-produce'], partitions: 2, replicas: 1 });
    const all = await producer.send({
      acks: ProduceAcks.ALL,
      messages: [
        { topic: 'plat-produce', partition: 0, key: 'k0', value: 'all-0', headers: { trace: 't0', origin: 'all' } },
        { topic: 'plat-produce', partition: 1, key: 'k1', value: 'all-1', headers: { trace: 't1' } },
      ],
    });
    expect(all.offsets!.map((o) => ({ partition: o.partition, offset: o.offset })).sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, offset: 0n },
      { partition: 1, offset: 0n },
    ]);
    const leader = await producer.send({
      acks: ProduceAcks.LEADER,
      messages: [{ topic: 'plat-produce', partition: 0, key: 'k2', value: 'leader-0', headers: { trace: 't2' } }],
    });
    expect(leader.offsets).toEqual([expect.objectContaining({ topic: 'plat-produce', partition: 0, offset: 1n })]);
    // acks=0 gets no response; kcat below proves the record still landed.
    await producer.send({
      acks: ProduceAcks.NO_RESPONSE,
      messages: [{ topic: 'plat-produce', partition: 0, key: 'k3', value: 'none-0', headers: { trace: 't3' } }],
    });

    expect(await kcatConsume(bootstrap(), 'plat-produce', { partition: 0, format: '%o %k %s %h\\n', expectLines: 3 })).toEqual([
      '0 k0 all-0 trace=t0,origin=all',
      '1 k2 leader-0 trace=t2',
      '2 k3 none-0 trace=t3',
    ]);
    expect(await kcatConsume(bootstrap(), 'plat-produce', { partition: 1, format: '%o %k %s %h\\n', expectLines: 1 })).toEqual(['0 k1 all-1 trace=t1']);
  });

  const codecs = (Object.values(CompressionAlgorithms) as CompressionAlgorithmValue[]).filter(
    (c) => c !== 'none' && compressionsAlgorithms[c].available !== false,
  );
  const codecId: Record<string, number> = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

  it.each(codecs)('sends %s-compressed batches the broker stores and serves back intact', async (codec) => {
    const topic = `plat-codec-${codec}`;
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    const values = Array.from({ length: 20 }, (_, i) => `${codec}-${i}-${'x'.repeat(100)}`);
    const r = await producer.send({
      acks: ProduceAcks.ALL,
      compression: codec,
      messages: values.map((value, i) => ({ topic, partition: 0, key: `k${i}`, value })),
    });
    expect(r.offsets).toEqual([expect.objectContaining({ partition: 0, offset: 0n })]);

    expect(decodeRecordBatchHeader(await rawFetchFirstBatch(topic, 0), 0).compression).toBe(codecId[codec]);
    expect(await kcatConsume(bootstrap(), topic, { format: '%o %k %s\\n', expectLines: 20 })).toEqual(values.map((v, i) => `${i} k${i} ${v}`));
  });
});

describe('@platformatic/kafka group consumer', () => {
  it('reads everything once from the earliest offset, commits, and a second run resumes after the commits', async () => {
    const topic = 'plat-group';
    const groupId = 'plat-resume';
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    const first = Array.from({ length: 30 }, (_, i) => ({ topic, key: `key-${i}`, value: `first-${i}`, headers: { n: String(i) } }));
    await producer.send({ acks: ProduceAcks.ALL, messages: first });

    const c1 = newConsumer(groupId, 'plat-c1');
    const s1 = await c1.consume({
      topics: [topic],
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      autocommit: false,
    });
    const got = await collect(s1, first.length);
    expect(new Set(got.map(key)).size).toBe(first.length);
    expect(got.map((m) => m.value).sort()).toEqual(first.map((m) => m.value).sort());
    for (const m of got) expect(m.headers.get('n')).toBe(m.value.slice('first-'.length));
    expect(got.map((m) => m.key).sort()).toEqual(first.map((m) => m.key).sort());
    // The committed offset per partition is one past the last message read there.
    const lastPerPartition = new Map<number, StringMessage>();
    for (const m of got) if ((lastPerPartition.get(m.partition)?.offset ?? -1n) < m.offset) lastPerPartition.set(m.partition, m);
    for (const m of lastPerPartition.values()) await m.commit();
    await s1.close();
    await c1.close();
    consumers.splice(consumers.indexOf(c1), 1);

    const committed = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [0, 1, 2] }] }] });
    const perPartition = committed[0]!.topics.find((t) => t.name === topic)!.partitions;
    expect(perPartition.map((p) => ({ partition: p.partitionIndex, offset: p.committedOffset })).sort((a, b) => a.partition - b.partition)).toEqual(
      [...lastPerPartition.values()].map((m) => ({ partition: m.partition, offset: m.offset + 1n })).sort((a, b) => a.partition - b.partition),
    );

    const second = Array.from({ length: 9 }, (_, i) => ({ topic, key: `key-b${i}`, value: `second-${i}` }));
    await producer.send({ acks: ProduceAcks.ALL, messages: second });
    const c2 = newConsumer(groupId, 'plat-c2');
    const s2 = await c2.consume({
      topics: [topic],
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      autocommit: false,
    });
    const resumed = await collect(s2, second.length);
    expect(resumed.map((m) => m.value).sort()).toEqual(second.map((m) => m.value).sort());
    for (const m of resumed) expect(m.offset).toBeGreaterThan(lastPerPartition.get(m.partition)?.offset ?? -1n);
  });

  it('splits a multi-partition topic between two members of one group, no overlap, no gap', async () => {
    const topic = 'plat-split';
    const groupId = 'plat-split-group';
    const partitions = 4;
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    const a = newConsumer(groupId, 'plat-split-a');
    const b = newConsumer(groupId, 'plat-split-b');
    const opts = { topics: [topic], mode: MessagesStreamModes.COMMITTED, fallbackMode: MessagesStreamFallbackModes.EARLIEST, autocommit: true };
    const sa = await a.consume(opts);
    const sb = await b.consume(opts);
    const assigned = (c: StringConsumer): number[] =>
      (c.assignments ?? [])
        .filter((x) => x.topic === topic)
        .flatMap((x) => x.partitions)
        .sort();
    await waitFor('both members assigned disjoint halves of the topic', () => {
      const pa = assigned(a);
      const pb = assigned(b);
      return pa.length > 0 && pb.length > 0 && [...pa, ...pb].sort().join() === Array.from({ length: partitions }, (_, i) => i).join();
    });

    const messages = Array.from({ length: 40 }, (_, i) => ({ topic, partition: i % partitions, key: `s${i}`, value: `split-${i}` }));
    const received: StringMessage[] = [];
    const fromA: StringMessage[] = [];
    const fromB: StringMessage[] = [];
    sa.on('data', (m: StringMessage) => fromA.push(m));
    sb.on('data', (m: StringMessage) => fromB.push(m));
    await producer.send({ acks: ProduceAcks.ALL, messages });
    await waitFor('all messages across both members', () => fromA.length + fromB.length >= messages.length);
    received.push(...fromA, ...fromB);

    expect(received.map((m) => m.value).sort()).toEqual(messages.map((m) => m.value).sort());
    expect(new Set(received.map(key)).size).toBe(messages.length);
    expect(fromA.length).toBeGreaterThan(0);
    expect(fromB.length).toBeGreaterThan(0);
    for (const m of fromA) expect(assigned(a)).toContain(m.partition);
    for (const m of fromB) expect(assigned(b)).toContain(m.partition);
  });
});
