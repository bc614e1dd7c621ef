/**
 * Consumer groups on the real daemon with real clients: kafkajs consumers sharing a topic
 * (no overlap, no gap), partitions moving when a member leaves or is killed without leaving
 * (session timeout), manual commits across rebalances with no committed message lost or
 * processed twice, two groups each reading everything, kcat -G (librdkafka's balanced
 * consumer), and committed offsets surviving a graceful restart and a SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { ensureKcat } from '../helpers/system-tools.js';
import { pollUntil, type Probe } from '../helpers/wait.js';

const { Kafka, logLevel, AssignerProtocol } = kafkajs;
type KafkaClient = InstanceType<typeof Kafka>;
type Consumer = ReturnType<KafkaClient['consumer']>;
type Admin = ReturnType<KafkaClient['admin']>;

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/group-consumer-child.mjs');
const PARTITIONS = 6;

const brokers: BrokerProcess[] = [];
const children: ChildProcess[] = [];
const consumers: Consumer[] = [];
const dirs: string[] = [];

function client(broker: BrokerProcess, clientId = 'groups-it'): KafkaClient {
  return new Kafka({
    clientId,
    brokers: [`127.0.0.1:${broker.port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 1000 },
  });
}

function newConsumer(kafka: KafkaClient, groupId: string): Consumer {
  const c = kafka.consumer({
    groupId,
    sessionTimeout: 6000,
    heartbeatInterval: 300,
    rebalanceTimeout: 10_000,
    maxWaitTimeInMs: 100,
    retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 1000 },
  });
  consumers.push(c);
  return c;
}

function waitFor<T>(what: string, probe: Probe<T>, timeoutMs = 30_000): Promise<T> {
  return pollUntil(what, probe, { timeoutMs, retryErrors: true });
}

/** The stable group's assignment of `topic` per member id, as the coordinator hands it out. */
async function stableAssignment(admin: Admin, groupId: string, topic: string, members: number): Promise<Map<string, number[]> | null> {
  const { groups } = await admin.describeGroups([groupId]);
  const g = groups[0]!;
  if (g.state !== 'Stable' || g.members.length !== members) return null;
  const out = new Map<string, number[]>();
  for (const m of g.members)
    out.set(
      m.memberId,
      [...(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topic] ?? [])].sort((a, b) => a - b),
    );
  return out;
}

/** Every partition exactly once across the members. */
function expectSplit(assignment: Map<string, number[]>, partitions = PARTITIONS): void {
  const all = [...assignment.values()].flat().sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: partitions }, (_, i) => i));
  for (const parts of assignment.values()) expect(parts.length).toBeGreaterThan(0);
}

async function produce(kafka: KafkaClient, topic: string, count: number, from = 0): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const messages = Array.from({ length: count }, (_, i) => ({ partition: (from + i) % PARTITIONS, value: `m${from + i}` }));
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
}

afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => undefined);
  for (const child of children) child.kill('SIGKILL');
  for (const b of brokers) await b.kill();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('kafkajs consumer groups', () => {
  let broker: BrokerProcess;
  let kafka: KafkaClient;
  let admin: Admin;

  beforeAll(async () => {
    broker = await startBrokerProcess();
    brokers.push(broker);
    kafka = client(broker);
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  it('three consumers split six partitions; a leaving one and a killed one hand theirs over', async () => {
    const topic = 'split';
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    await produce(kafka, topic, 60);
    const group = 'split-group';
    const seen = new Map<number, Set<string>>(); // partition → consumer names that received it
    const started: Consumer[] = [];
    for (const name of ['a', 'b']) {
      const c = newConsumer(kafka, group);
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({ eachMessage: async ({ partition }) => void (seen.get(partition) ?? seen.set(partition, new Set()).get(partition)!).add(name) });
      started.push(c);
    }
    // The third member runs in its own process, to be killed without a LeaveGroup.
    const child = spawn(process.execPath, [CHILD, String(broker.port), group, topic], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let childOutput = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (childOutput += s));

    const three = await waitFor('three members to split the topic', () => stableAssignment(admin, group, topic, 3));
    expectSplit(three);
    expect([...three.values()].map((p) => p.length)).toEqual([2, 2, 2]);
    await waitFor('the third member to have joined', async () => childOutput.includes('"joined"'));

    // A graceful stop sends LeaveGroup: its partitions move to the two left at once.
    await started[1]!.disconnect();
    const two = await waitFor('two members after a leave', () => stableAssignment(admin, group, topic, 2));
    expectSplit(two);

    // SIGKILL: no LeaveGroup; the session timeout (6 s) removes the member.
    child.kill('SIGKILL');
    const one = await waitFor('one member after the session timeout', () => stableAssignment(admin, group, topic, 1), 30_000);
    expectSplit(one);
    expect([...one.values()][0]).toHaveLength(PARTITIONS);
  });

  it('with manual commits across rebalances no committed message is lost or processed twice', async () => {
    const topic = 'exactly';
    const total = 600;
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    await produce(kafka, topic, total);
    const group = 'exactly-group';
    const processed = new Map<string, number>(); // "p:offset" → times processed
    const committed = new Set<string>(); // acknowledged by the broker
    const processedAfterCommit: string[] = [];
    const start = async (): Promise<Consumer> => {
      const c = newConsumer(kafka, group);
      // What a careful consumer does (Java's onPartitionsRevoked): once it learns of a
      // rebalance it stops working on its partitions until it is given them again. kafkajs
      // keeps running batches it fetched before, and the classic protocol does not check who
      // commits which partition, so without this a late commit by the previous owner could
      // land after the new owner read the committed offset.
      let owned = new Set<number>();
      c.on(c.events.REBALANCING, () => (owned = new Set()));
      c.on(c.events.GROUP_JOIN, (e) => (owned = new Set(e.payload.memberAssignment[topic] ?? [])));
      // Committed means the broker accepted it: kafkajs resolves commitOffsets without sending
      // anything once the consumer is stopping, so its promise is no proof.
      c.on(c.events.COMMIT_OFFSETS, (e) => {
        for (const t of e.payload.topics) for (const p of t.partitions) committed.add(`${p.partition}:${Number(p.offset) - 1}`);
      });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (!owned.has(partition)) return; // revoked: the next owner starts at the committed offset
          const key = `${partition}:${message.offset}`;
          // Delivered again after the broker acknowledged its commit: a lost commit.
          if (committed.has(key)) processedAfterCommit.push(key);
          processed.set(key, (processed.get(key) ?? 0) + 1);
          // Slow enough for rebalances to land mid-stream.
          await new Promise((resolve) => setTimeout(resolve, 2));
          if (!owned.has(partition)) return; // revoked meanwhile: processed, not committed
          try {
            await c.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
          } catch {
            // A commit refused by a rebalance: the message may be delivered again (at least once).
          }
        },
      });
      return c;
    };
    const first = await start();
    await waitFor('some progress', async () => processed.size > 50);
    const second = await start(); // rebalance: join
    await waitFor('more progress', async () => processed.size > 250);
    await first.disconnect(); // rebalance: leave
    const third = await start(); // rebalance: join
    await waitFor('every message processed', async () => processed.size === total, 60_000);
    await waitFor(
      'every message committed',
      async () => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.every((p) => Number(p.offset) === total / PARTITIONS),
      30_000,
    );
    void second;
    void third;
    // No gap: every offset of every partition processed. No committed message processed twice:
    // a message may come again only if its commit was never acknowledged (at least once).
    for (let p = 0; p < PARTITIONS; p++) for (let o = 0; o < total / PARTITIONS; o++) expect(processed.has(`${p}:${o}`)).toBe(true);
    expect(processedAfterCommit).toEqual([]);
    const again = [...processed].filter(([, n]) => n > 1).map(([k]) => k);
    expect(again.length).toBeLessThan(total / 10); // a few, around the rebalances
  });

  it('two groups each receive every message', async () => {
    const topic = 'fanout';
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    await produce(kafka, topic, 120);
    const got: Record<string, Set<string>> = { g1: new Set(), g2: new Set() };
    for (const group of ['g1', 'g2']) {
      const c = newConsumer(kafka, `fanout-${group}`);
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => void got[group]!.add(message.value!.toString()) });
    }
    await waitFor('both groups to read everything', async () => got.g1!.size === 120 && got.g2!.size === 120);
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    expect(groups).toEqual(expect.arrayContaining(['fanout-g1', 'fanout-g2']));
  });

  it('kcat -G (librdkafka balanced consumer) receives every message and commits where it stopped', async () => {
    ensureKcat();
    const topic = 'kcat-group';
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    await produce(kafka, topic, 90);
    const bootstrap = `127.0.0.1:${broker.port}`;
    const args = ['-b', bootstrap, '-G', 'kcat-g', '-X', 'auto.offset.reset=earliest', '-X', 'fetch.wait.max.ms=50', '-e', '-q', '-f', '%s\\n', topic];
    const r = await kcat(args, undefined, 60_000);
    expect(r.code).toBe(0);
    const values = r.stdout.split('\n').filter((l) => l.length > 0);
    expect(new Set(values).size).toBe(90);
    expect(values).toHaveLength(90);
    // librdkafka committed its position on close: the group resumes after it.
    const offsets = await admin.fetchOffsets({ groupId: 'kcat-g', topics: [topic] });
    expect(offsets[0]!.partitions.map((p) => Number(p.offset)).sort()).toEqual(Array(PARTITIONS).fill(90 / PARTITIONS));
    await produce(kafka, topic, 6, 90);
    const again = await kcat(args, undefined, 60_000);
    expect(
      again.stdout
        .split('\n')
        .filter((l) => l.length > 0)
        .sort(),
    ).toEqual(['m90', 'm91', 'm92', 'm93', 'm94', 'm95']);
  });
});

describe('committed offsets across restarts', () => {
  it('survive a graceful restart and a SIGKILL; a consumer resumes at them', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-groups-'));
    dirs.push(dataDir);
    const topic = 'durable';
    const group = 'durable-group';
    let broker = await startBrokerProcess({ dataDir });
    brokers.push(broker);
    let kafka = client(broker);
    let admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    await produce(kafka, topic, 60);

    // Consume and commit the first 5 of each partition's 10 messages.
    const first = newConsumer(kafka, group);
    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    const committedUpTo = new Map<number, number>();
    await first.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const offset = Number(message.offset);
        if (offset >= 5) return;
        await first.commitOffsets([{ topic, partition, offset: String(offset + 1) }]);
        committedUpTo.set(partition, offset + 1);
      },
    });
    await waitFor('commits of offset 5 everywhere', async () => committedUpTo.size === PARTITIONS && [...committedUpTo.values()].every((o) => o === 5));
    await first.disconnect();
    await admin.disconnect();

    // Graceful restart (SIGTERM).
    expect(await broker.stop()).toBe(0);
    broker = await startBrokerProcess({ dataDir });
    brokers.push(broker);
    kafka = client(broker);
    admin = kafka.admin();
    await admin.connect();
    expect((await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.map((p) => Number(p.offset))).toEqual(Array(PARTITIONS).fill(5));

    // A new consumer of the group starts exactly there.
    const firstSeen = new Map<number, number>();
    const second = newConsumer(kafka, group);
    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    await second.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (!firstSeen.has(partition)) firstSeen.set(partition, Number(message.offset));
        if (Number(message.offset) < 8) await second.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      },
    });
    await waitFor('every partition resumed', async () => firstSeen.size === PARTITIONS);
    expect([...firstSeen.values()]).toEqual(Array(PARTITIONS).fill(5));
    await waitFor('commits of offset 8', async () =>
      (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.every((p) => Number(p.offset) === 8),
    );
    await second.disconnect();
    await admin.disconnect();

    // SIGKILL: the commits were appended to __consumer_offsets before they were acknowledged.
    await broker.kill();
    broker = await startBrokerProcess({ dataDir });
    brokers.push(broker);
    admin = client(broker).admin();
    await admin.connect();
    expect((await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.map((p) => Number(p.offset))).toEqual(Array(PARTITIONS).fill(8));
    const described = (await admin.describeGroups([group])).groups[0]!;
    expect(described.state).toBe('Empty');
    await admin.disconnect();
    await broker.stop();
  });
});
