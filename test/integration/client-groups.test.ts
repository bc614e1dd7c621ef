/**
 * Consumer groups of third-party clients on the real daemon, each client's own group code
 * unchanged: kafka-python 2.0.2's KafkaConsumer, confluent-kafka 1.7.0's Consumer (librdkafka's
 * balanced consumer, eager range and incremental cooperative-sticky), a kafka-python and a
 * confluent member sharing one group through the "range" protocol, and sarama 1.22's
 * ConsumerGroup. The member programs are test/integration/clients/*_group*.
 *
 * Every scenario runs the same story on its own 4-partition topic and group:
 *   1. two members (two processes) split the partitions: no overlap, no gap, as the coordinator
 *      hands the assignments out (DescribeGroups) and as each member says it holds them;
 *   2. a round of messages is read exactly once between them, each from its owner's partitions;
 *   3. one member stops (commits, leaves); the other takes over every partition and reads the
 *      next round, nothing the stopped one had committed again;
 *   4. the survivor stops: the group's committed offsets are the log ends;
 *   5. a restarted member in the group reads only the round produced since.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeConsumerAssignment } from '../../src/group/consumer-protocol.js';
import type { Admin } from '../../src/client/admin.js';
import { connect, type KafkaClient } from '../../src/client/connect.js';
import type { Producer } from '../../src/client/producer.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { buildGoClient, clientSource } from '../helpers/client-programs.js';
import { ensureGoKafkaClients, ensurePythonKafkaClients } from '../helpers/system-tools.js';
import { pollUntil, type Probe } from '../helpers/wait.js';

const PARTITIONS = 4;
const ALL_PARTITIONS = Array.from({ length: PARTITIONS }, (_, i) => i);
const PER_PARTITION = 5;
const ROUND = PARTITIONS * PER_PARTITION;

type Kind = 'kafka-python' | 'confluent' | 'sarama';

interface MemberSpec {
  kind: Kind;
  /** The client's assignor name: also the group protocol it proposes. */
  assignor: string;
  /** Python clients only; sarama commits what MarkMessage marked on its interval and at close. */
  commit?: 'auto' | 'manual';
}

type MemberEvent = { event: 'assigned'; partitions: number[] } | { event: 'record'; partition: number; offset: number; value: string } | { event: 'closed' };

interface Member {
  /** Its client.id, unique per test. */
  name: string;
  child: ChildProcess;
  events: MemberEvent[];
  stderr: () => string;
  exited: Promise<number | null>;
}

let broker: BrokerProcess;
let python: string;
let saramaBin: string;
let client: KafkaClient;
let admin: Admin;
let producer: Producer;
const running: Member[] = [];

function waitFor<T>(what: string, probe: Probe<T>, timeoutMs = 30_000): Promise<T> {
  return pollUntil(what, probe, {
    timeoutMs,
    retryErrors: true,
    diagnostics: () =>
      running
        .map((m) => `--- ${m.name}: ${JSON.stringify(m.events.filter((e) => e.event !== 'record'))}, ${records(m).length} records\n${m.stderr().slice(-2000)}`)
        .join('\n'),
  });
}

function startMember(name: string, group: string, topic: string, spec: MemberSpec): Member {
  const request = JSON.stringify({
    bootstrap: `127.0.0.1:${broker.port}`,
    group,
    topic,
    client_id: name,
    assignor: spec.assignor,
    commit: spec.commit ?? 'auto',
  });
  const [cmd, args] =
    spec.kind === 'sarama'
      ? [saramaBin, [request]]
      : [python, [clientSource(spec.kind === 'kafka-python' ? 'kafka_python_group.py' : 'confluent_kafka_group.py'), request]];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const member: Member = {
    name,
    child,
    events: [],
    stderr: () => stderr,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    pending += s;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line.trim() !== '') member.events.push(JSON.parse(line) as MemberEvent);
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  running.push(member);
  return member;
}

/** SIGTERM: the member closes its consumer (final commit, LeaveGroup) and exits cleanly. */
async function stopMember(m: Member): Promise<void> {
  m.child.kill('SIGTERM');
  const code = await m.exited;
  expect(code, `${m.name} exit code; stderr:\n${m.stderr()}`).toBe(0);
  expect(m.events.at(-1)).toEqual({ event: 'closed' });
  running.splice(running.indexOf(m), 1);
}

function records(m: Member): { partition: number; offset: number; value: string }[] {
  return m.events.flatMap((e) => (e.event === 'record' ? [e] : []));
}

/** The partitions a member last said it holds. */
function holds(m: Member): number[] | undefined {
  for (let i = m.events.length - 1; i >= 0; i--) {
    const e = m.events[i]!;
    if (e.event === 'assigned') return e.partitions;
  }
  return undefined;
}

/**
 * The group's partitions of `topic` by client id, once the coordinator reports it Stable with
 * exactly `members` (their client ids), every partition handed out once, each member with a
 * share, the chosen protocol `protocol`, and each member saying it holds what it was given.
 */
async function settledSplit(group: string, topic: string, members: Member[], protocol: string): Promise<Map<string, number[]> | null> {
  const [g] = (await admin.describeGroups([group])).groups;
  if (g!.state !== 'Stable' || g!.members.length !== members.length) return null;
  const split = new Map<string, number[]>();
  for (const d of g!.members) {
    const partitions =
      d.memberAssignment.length === 0
        ? []
        : decodeConsumerAssignment(d.memberAssignment)
            .assignedPartitions.filter((t) => t.topic === topic)
            .flatMap((t) => t.partitions);
    split.set(
      d.clientId,
      [...(split.get(d.clientId) ?? []), ...partitions].sort((a, b) => a - b),
    );
  }
  const handedOut = [...split.values()].flat().sort((a, b) => a - b);
  if (JSON.stringify(handedOut) !== JSON.stringify(ALL_PARTITIONS)) return null;
  for (const m of members) {
    const given = split.get(m.name);
    if (given === undefined || given.length === 0 || JSON.stringify(holds(m)) !== JSON.stringify(given)) return null;
  }
  expect(g!.protocolType).toBe('consumer');
  expect(g!.protocol).toBe(protocol);
  return split;
}

/** PER_PARTITION messages to every partition of `topic`, values `<tag>-<partition>-<i>`; returns them by partition. */
async function produceRound(topic: string, tag: string): Promise<Map<number, string[]>> {
  const byPartition = new Map<number, string[]>();
  for (const p of ALL_PARTITIONS) {
    const values = Array.from({ length: PER_PARTITION }, (_, i) => `${tag}-${p}-${i}`);
    await producer.send({ topic, messages: values.map((value) => ({ value, partition: p })) });
    byPartition.set(p, values);
  }
  return byPartition;
}

const sorted = (xs: string[]): string[] => [...xs].sort();

async function groupStory(id: string, first: MemberSpec, second: MemberSpec, restarted: MemberSpec, protocol: string): Promise<void> {
  const topic = `cg-${id}`;
  const group = `cg-${id}-group`;
  expect(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] })).toBe(true);

  // 1. Two members split the topic.
  const a = startMember(`${id}-a`, group, topic, first);
  const b = startMember(`${id}-b`, group, topic, second);
  const split = await waitFor('two members splitting the topic', () => settledSplit(group, topic, [a, b], protocol));

  // 2. Every message of a round once between them, each from its owner's partitions.
  const round1 = await produceRound(topic, 'r1');
  const round1Values = [...round1.values()].flat();
  await waitFor('the first round read', () => records(a).length + records(b).length >= ROUND);
  for (const m of [a, b]) {
    for (const r of records(m)) {
      expect(split.get(m.name)).toContain(r.partition);
      expect(round1.get(r.partition)).toContain(r.value);
    }
  }
  expect(sorted([...records(a), ...records(b)].map((r) => r.value))).toEqual(sorted(round1Values));

  // 3. One stops; the other takes everything over and reads on from the committed offsets.
  await stopMember(a);
  const alone = await waitFor('the survivor holding every partition', () => settledSplit(group, topic, [b], protocol));
  expect(alone).toEqual(new Map([[b.name, ALL_PARTITIONS]]));
  const bBefore = records(b).length;
  const round2 = await produceRound(topic, 'r2');
  await waitFor('the second round read by the survivor', () => records(b).length - bBefore >= ROUND);

  // 4. The survivor stops: everything read was committed.
  await stopMember(b);
  expect(records(a).length + records(b).length).toBe(2 * ROUND);
  expect(
    sorted(
      records(b)
        .slice(bBefore)
        .map((r) => r.value),
    ),
  ).toEqual(sorted([...round2.values()].flat()));
  const committed = await client.transport.fetchOffsets(group, [{ topic, partitions: ALL_PARTITIONS }]);
  expect(committed.map((c) => [c.partition, c.offset, c.errorCode])).toEqual(ALL_PARTITIONS.map((p) => [p, BigInt(2 * PER_PARTITION), 0]));

  // 5. A restarted member resumes at the committed offsets: the new round only.
  const round3 = await produceRound(topic, 'r3');
  const c = startMember(`${id}-c`, group, topic, restarted);
  await waitFor('the restarted member reading the third round', () => records(c).length >= ROUND);
  expect(holds(c)).toEqual(ALL_PARTITIONS);
  await stopMember(c);
  expect(sorted(records(c).map((r) => r.value))).toEqual(sorted([...round3.values()].flat()));
  const final = await client.transport.fetchOffsets(group, [{ topic, partitions: ALL_PARTITIONS }]);
  expect(final.map((x) => x.offset)).toEqual(ALL_PARTITIONS.map(() => BigInt(3 * PER_PARTITION)));
}

beforeAll(async () => {
  python = ensurePythonKafkaClients();
  ensureGoKafkaClients();
  saramaBin = buildGoClient('sarama_group');
  broker = await startBrokerProcess();
  client = await connect({ brokers: [`127.0.0.1:${broker.port}`], clientId: 'client-groups-test' });
  admin = client.admin();
  producer = client.producer();
}, 120_000);

afterEach(async () => {
  // A failed story leaves members behind: kill them so the next one starts clean.
  for (const m of running.splice(0)) {
    m.child.kill('SIGKILL');
    await m.exited;
  }
});

afterAll(async () => {
  await client?.close();
  await broker?.kill();
});

const TEST_TIMEOUT = 90_000;

describe('kafka-python 2.0.2 KafkaConsumer with group_id', () => {
  it(
    'two members split the topic and read it once, auto-commit; a restarted member resumes at the committed offsets',
    async () => {
      const kp: MemberSpec = { kind: 'kafka-python', assignor: 'range', commit: 'auto' };
      await groupStory('kp', kp, kp, { ...kp, commit: 'manual' }, 'range');
    },
    TEST_TIMEOUT,
  );
});

describe('confluent-kafka 1.7.0 Consumer with group.id (librdkafka)', () => {
  it(
    'range (eager): two members split the topic and read it once, manual commits; a restarted member resumes',
    async () => {
      const ck: MemberSpec = { kind: 'confluent', assignor: 'range', commit: 'manual' };
      await groupStory('ck-range', ck, ck, ck, 'range');
    },
    TEST_TIMEOUT,
  );

  it(
    'cooperative-sticky (incremental): two members split the topic and read it once, auto-commit; a restarted member resumes',
    async () => {
      const ck: MemberSpec = { kind: 'confluent', assignor: 'cooperative-sticky', commit: 'auto' };
      await groupStory('ck-coop', ck, ck, ck, 'cooperative-sticky');
    },
    TEST_TIMEOUT,
  );

  it(
    'shares a "range" group with a kafka-python member',
    async () => {
      await groupStory(
        'mixed',
        { kind: 'kafka-python', assignor: 'range', commit: 'manual' },
        { kind: 'confluent', assignor: 'range', commit: 'manual' },
        { kind: 'confluent', assignor: 'range' },
        'range',
      );
    },
    TEST_TIMEOUT,
  );
});

describe('sarama 1.22 ConsumerGroup', () => {
  it(
    'two members split the topic and read it once, committing with MarkMessage; a restarted member resumes',
    async () => {
      const sarama: MemberSpec = { kind: 'sarama', assignor: 'range' };
      await groupStory('sarama', sarama, sarama, sarama, 'range');
    },
    TEST_TIMEOUT,
  );
});
