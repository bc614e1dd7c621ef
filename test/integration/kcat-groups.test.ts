/**
 * Two kcat -G processes (librdkafka's balanced consumer) in one group on the real daemon: they
 * split the topic's partitions with no overlap and no gap (as DescribeGroups hands the
 * assignments out), between them print every message once, and when one is stopped with
 * SIGTERM (it commits and leaves) the other takes over every partition and reads what comes next.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeConsumerAssignment } from '../../src/group/consumer-protocol.js';
import type { Admin } from '../../src/client/admin.js';
import { connect, type KafkaClient } from '../../src/client/connect.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { kcatProduce } from '../helpers/kcat.js';
import { ensureKcat } from '../helpers/system-tools.js';
import { pollUntil, type Probe } from '../helpers/wait.js';

const TOPIC = 'kcat-balanced';
const GROUP = 'kcat-balanced-group';
const PARTITIONS = 5;
const PER_PARTITION = 8;

interface KcatConsumer {
  name: string;
  child: ChildProcess;
  /** Lines printed so far: "<partition> <value>". */
  lines: string[];
  exited: Promise<number | null>;
}

let broker: BrokerProcess;
let client: KafkaClient;
let admin: Admin;
let bootstrap: string;
const consumers: KcatConsumer[] = [];

function waitFor<T>(what: string, probe: Probe<T>, timeoutMs = 30_000): Promise<T> {
  return pollUntil(what, probe, { timeoutMs, retryErrors: true });
}

/** A long-running kcat -G consumer with client.id `name`, printing "<partition> <value>" lines. */
function startKcat(name: string): KcatConsumer {
  const args = [
    '-b',
    bootstrap,
    '-G',
    GROUP,
    '-X',
    `client.id=${name}`,
    '-X',
    'auto.offset.reset=earliest',
    '-X',
    'fetch.wait.max.ms=50',
    '-X',
    'session.timeout.ms=6000',
    '-X',
    'heartbeat.interval.ms=300',
    '-X',
    'partition.assignment.strategy=range',
    '-q',
    // Unbuffered: stdout is a pipe here, and the test waits for lines as they come.
    '-u',
    '-f',
    '%p %s\\n',
    TOPIC,
  ];
  const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const consumer: KcatConsumer = {
    name,
    child,
    lines: [],
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    pending += s;
    const parts = pending.split('\n');
    pending = parts.pop()!;
    consumer.lines.push(...parts.filter((l) => l.length > 0));
  });
  child.stderr!.resume();
  consumers.push(consumer);
  return consumer;
}

/** The stable group's partitions of TOPIC by client id, when it has `members` members. */
async function stableAssignment(members: number): Promise<Map<string, number[]> | null> {
  const [g] = (await admin.describeGroups([GROUP])).groups;
  if (g!.state !== 'Stable' || g!.members.length !== members) return null;
  const out = new Map<string, number[]>();
  for (const m of g!.members) {
    const partitions =
      m.memberAssignment.length === 0
        ? []
        : decodeConsumerAssignment(m.memberAssignment)
            .assignedPartitions.filter((t) => t.topic === TOPIC)
            .flatMap((t) => t.partitions);
    out.set(
      m.clientId,
      [...(out.get(m.clientId) ?? []), ...partitions].sort((a, b) => a - b),
    );
  }
  return out;
}

/** Produces PER_PARTITION messages to every partition, values `m<from>`…; returns them by partition. */
async function produceRound(from: number): Promise<Map<number, string[]>> {
  const byPartition = new Map<number, string[]>();
  let n = from;
  for (let p = 0; p < PARTITIONS; p++) {
    const values = Array.from({ length: PER_PARTITION }, () => `m${n++}`);
    byPartition.set(p, values);
    await kcatProduce(bootstrap, TOPIC, `${values.join('\n')}\n`, ['-p', String(p)]);
  }
  return byPartition;
}

function parse(line: string): { partition: number; value: string } {
  const space = line.indexOf(' ');
  return { partition: Number(line.slice(0, space)), value: line.slice(space + 1) };
}

beforeAll(async () => {
  ensureKcat();
  broker = await startBrokerProcess();
  bootstrap = `127.0.0.1:${broker.port}`;
  client = await connect({ brokers: [bootstrap], clientId: 'kcat-groups-test' });
  admin = client.admin();
  expect(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] })).toBe(true);
});

afterAll(async () => {
  for (const c of consumers) c.child.kill('SIGKILL');
  await client?.close();
  await broker?.kill();
});

describe('kcat -G balanced consumers', () => {
  it('split the partitions, print every message once, and the survivor takes over after a SIGTERM', async () => {
    const a = startKcat('kcat-a');
    const b = startKcat('kcat-b');

    // No overlap and no gap, both members with a share.
    const split = await waitFor('both kcat consumers in a stable group', () => stableAssignment(2));
    expect([...split.keys()].sort()).toEqual(['kcat-a', 'kcat-b']);
    expect([...split.values()].flat().sort((x, y) => x - y)).toEqual(Array.from({ length: PARTITIONS }, (_, i) => i));
    for (const partitions of split.values()) expect(partitions.length).toBeGreaterThan(0);

    const first = await produceRound(0);
    const firstValues = [...first.values()].flat();
    await waitFor('every message of the first round printed', () => a.lines.length + b.lines.length >= firstValues.length);
    for (const c of [a, b]) {
      // Each prints only what came from its own partitions, with the partition it came from.
      for (const { partition, value } of c.lines.map(parse)) {
        expect(split.get(c.name)).toContain(partition);
        expect(first.get(partition)).toContain(value);
      }
    }
    expect([...a.lines, ...b.lines].map((l) => parse(l).value).sort()).toEqual([...firstValues].sort());

    // SIGTERM: kcat closes its consumer (commits, LeaveGroup) and exits.
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    const alone = await waitFor('the survivor holding every partition', () => stableAssignment(1));
    expect(alone).toEqual(new Map([['kcat-b', Array.from({ length: PARTITIONS }, (_, i) => i)]]));

    const printedBefore = b.lines.length;
    const second = await produceRound(firstValues.length);
    const secondValues = [...second.values()].flat();
    await waitFor('the survivor printing the second round', () => b.lines.length - printedBefore >= secondValues.length);
    // The survivor resumes the stopped member's partitions at its committed offsets: nothing of
    // the first round again, every message of the second once, from the partition it went to.
    const after = b.lines.slice(printedBefore).map(parse);
    for (const { partition, value } of after) expect(second.get(partition)).toContain(value);
    expect(after.map((x) => x.value).sort()).toEqual([...secondValues].sort());
    expect(a.lines.length + b.lines.length).toBe(firstValues.length + secondValues.length);
  });
});
