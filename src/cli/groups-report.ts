/**
 * What `sluice groups` prints: the tables of --list and --describe (state, offsets, members),
 * in kafka-consumer-groups.sh's columns and widths, and the lookups they need.
 */
import { decodeConsumerAssignment, CONSUMER_PROTOCOL_TYPE, type TopicPartitions } from '../group/consumer-protocol.js';
import type { Admin, GroupDescription } from '../client/admin.js';
import { ErrorCode, KafkaError, errorNameOf } from '../errors.js';
import { CliError, type CliIo } from './common.js';
import type { GroupsOptions } from './groups.js';

export const MISSING = '-';

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export interface CommittedOffset extends TopicPartitionRef {
  offset: bigint;
}

/** A Kafka error as the CLI prints it: the error name, then what failed. */
export function kafkaError(code: number, what: string): KafkaError {
  const name = errorNameOf(code);
  return new KafkaError(name, `${name}: ${what}`);
}

export const isKafkaError = (err: unknown, code: number): boolean => err instanceof KafkaError && err.errorCode === code;

// ---- formatting ---------------------------------------------------------------------------

/** One line formatted as Java's printf with `%-Ns` columns; the last column is not padded. */
export function row(widths: readonly number[], values: readonly string[]): string {
  return values.map((v, i) => (i < widths.length ? v.padEnd(widths[i]!) : v)).join(' ');
}

export function widest(min: number, values: readonly string[]): number {
  return values.reduce((w, v) => Math.max(w, v.length), min);
}

export function compareTp(a: TopicPartitionRef, b: TopicPartitionRef): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

/** `topic:0,1;other:2`, topics and partitions sorted (Kafka's getAssignmentString). */
export function formatAssignment(assignment: readonly TopicPartitions[]): string {
  const parts = assignment
    .filter((t) => t.partitions.length > 0)
    .map((t) => `${t.topic}:${[...t.partitions].sort((a, b) => a - b).join(',')}`)
    .sort();
  return parts.length === 0 ? MISSING : parts.join(';');
}

// ---- list ---------------------------------------------------------------------------------

/** Consumer groups: protocol type "consumer", or "" for groups that only commit offsets. */
export async function listConsumerGroups(admin: Admin, states?: string[]): Promise<{ groupId: string; state: string }[]> {
  const all = (await admin.listGroups(states === undefined ? {} : { states })).groups;
  return all
    .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
    .filter((g) => g.protocolType === CONSUMER_PROTOCOL_TYPE || g.protocolType === '');
}

export async function list(admin: Admin, states: string[] | null, io: CliIo): Promise<void> {
  if (states === null) {
    const listed = await listConsumerGroups(admin);
    io.stdout.write(listed.map((g) => `${g.groupId}\n`).join(''));
    return;
  }
  const listed = await listConsumerGroups(admin, states);
  const width =
    widest(
      15,
      listed.map((g) => g.groupId),
    ) + 10;
  const lines = [row([width, 20], ['GROUP', 'STATE']), ...listed.map((g) => row([width, 20], [g.groupId, g.state === '' ? 'Unknown' : g.state]))];
  io.stdout.write(lines.map((l) => `${l}\n`).join(''));
}

// ---- describe -----------------------------------------------------------------------------

interface MemberView {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  host: string;
  partitions: TopicPartitionRef[];
  assignment: TopicPartitions[];
}

function memberViews(description: GroupDescription): MemberView[] {
  return description.members.map((m) => {
    let assignment: TopicPartitions[] = [];
    // Only consumer-protocol groups carry an assignment we can read; it is empty until Stable.
    if (description.protocolType === CONSUMER_PROTOCOL_TYPE && m.memberAssignment.length > 0) {
      try {
        assignment = decodeConsumerAssignment(m.memberAssignment).assignedPartitions;
      } catch {
        assignment = [];
      }
    }
    const partitions = assignment.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))).sort(compareTp);
    return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, host: m.clientHost, partitions, assignment };
  });
}

export async function describeGroup(admin: Admin, groupId: string): Promise<GroupDescription> {
  const [d] = (await admin.describeGroups([groupId])).groups;
  return d!;
}

async function describeOrFail(admin: Admin, groupId: string): Promise<GroupDescription> {
  const d = await describeGroup(admin, groupId);
  if (d.errorCode !== 0) throw kafkaError(d.errorCode, `DescribeGroups ${groupId}`);
  if (d.state === 'Dead') throw new CliError(`${errorNameOf(ErrorCode.GROUP_ID_NOT_FOUND)}: consumer group '${groupId}' does not exist.`);
  return d;
}

export async function describe(admin: Admin, groupId: string, options: GroupsOptions, io: CliIo): Promise<void> {
  const d = await describeOrFail(admin, groupId);
  const sections = { state: options.state !== undefined, offsets: options.offsets === true, members: options.members === true };
  const all = !sections.state && !sections.offsets && !sections.members;
  if (d.state === 'Empty') io.stderr.write(`\nConsumer group '${groupId}' has no active members.\n`);
  else if (d.state === 'PreparingRebalance' || d.state === 'CompletingRebalance') io.stderr.write(`\nWarning: Consumer group '${groupId}' is rebalancing.\n`);
  const members = memberViews(d);
  let out = '';
  if (all || sections.state) out += stateSection(d);
  if (all || sections.offsets) out += await offsetsSection(admin, d, members);
  if (all || sections.members) out += membersSection(groupId, members);
  io.stdout.write(out);
}

function stateSection(d: GroupDescription): string {
  const coordinator = d.coordinator === null ? MISSING : `${d.coordinator.host}:${d.coordinator.port}  (${d.coordinator.nodeId})`;
  const widths = [Math.max(15, d.groupId.length), Math.max(25, coordinator.length), 20, 20];
  return (
    `\n${row(widths, ['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'])}` +
    `\n${row(widths, [d.groupId, coordinator, d.protocol === '' ? MISSING : d.protocol, d.state, String(d.members.length)])}\n`
  );
}

interface OffsetRow extends TopicPartitionRef {
  committed: bigint | null;
  logEndOffset: bigint | null;
  consumerId: string;
  host: string;
  clientId: string;
}

/** The high watermark of each partition; null where ListOffsets failed (no leader, topic gone). */
async function logEndOffsets(admin: Admin, partitions: readonly TopicPartitionRef[]): Promise<Map<string, bigint | null>> {
  const out = new Map<string, bigint | null>();
  await Promise.all(
    [...new Set(partitions.map((p) => p.topic))].map(async (topic) => {
      try {
        for (const p of await admin.fetchTopicOffsets(topic)) out.set(`${topic}\u0000${p.partition}`, p.high);
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
      }
    }),
  );
  return out;
}

/** The committed offsets of a group (every partition that has one). */
export async function committedOffsets(admin: Admin, groupId: string): Promise<CommittedOffset[]> {
  const topics = await admin.fetchOffsets({ groupId });
  return topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })));
}

async function offsetsSection(admin: Admin, d: GroupDescription, members: MemberView[]): Promise<string> {
  const committed = new Map<string, CommittedOffset>();
  for (const c of await committedOffsets(admin, d.groupId)) committed.set(`${c.topic}\u0000${c.partition}`, c);
  const rows: OffsetRow[] = [];
  const assigned = new Set<string>();
  // Members with the most partitions first, as Kafka orders them; members without any are left out.
  const withPartitions = members.filter((m) => m.partitions.length > 0).sort((a, b) => b.partitions.length - a.partitions.length);
  for (const m of withPartitions) {
    for (const p of m.partitions) {
      assigned.add(`${p.topic}\u0000${p.partition}`);
      rows.push({ ...p, committed: null, logEndOffset: null, consumerId: m.memberId, host: m.host, clientId: m.clientId });
    }
  }
  const unassigned = [...committed.values()].filter((c) => !assigned.has(`${c.topic}\u0000${c.partition}`)).sort(compareTp);
  for (const c of unassigned)
    rows.push({ topic: c.topic, partition: c.partition, committed: null, logEndOffset: null, consumerId: MISSING, host: MISSING, clientId: MISSING });

  const ends = await logEndOffsets(admin, rows);
  for (const r of rows) {
    const c = committed.get(`${r.topic}\u0000${r.partition}`);
    r.committed = c !== undefined && c.offset >= 0n ? c.offset : null;
    r.logEndOffset = ends.get(`${r.topic}\u0000${r.partition}`) ?? null;
  }
  if (rows.length === 0) return '';
  const widths = [
    widest(15, [d.groupId]),
    widest(
      15,
      rows.map((r) => r.topic),
    ),
    10,
    15,
    15,
    15,
    widest(
      15,
      rows.map((r) => r.consumerId),
    ),
    widest(
      15,
      rows.map((r) => r.host),
    ),
  ];
  const lines = [row(widths, ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'])];
  for (const r of rows) {
    const lag = r.committed !== null && r.logEndOffset !== null ? String(r.logEndOffset - r.committed) : MISSING;
    lines.push(
      row(widths, [
        d.groupId,
        r.topic,
        String(r.partition),
        r.committed === null ? MISSING : String(r.committed),
        r.logEndOffset === null ? MISSING : String(r.logEndOffset),
        lag,
        r.consumerId,
        r.host,
        r.clientId,
      ]),
    );
  }
  return `\n${lines.join('\n')}\n`;
}

function membersSection(groupId: string, members: MemberView[]): string {
  if (members.length === 0) return '';
  const withInstanceIds = members.some((m) => m.groupInstanceId !== null && m.groupInstanceId !== '');
  const header = withInstanceIds
    ? ['GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT']
    : ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT'];
  const values = members.map((m) => {
    const v = [groupId, m.memberId];
    if (withInstanceIds) v.push(m.groupInstanceId ?? '');
    v.push(m.host, m.clientId, String(m.partitions.length), formatAssignment(m.assignment));
    return v;
  });
  const minimums = withInstanceIds ? [15, 15, 17, 15, 15, 15] : [15, 15, 15, 15, 15];
  const widths = minimums.map((min, i) =>
    widest(
      min,
      values.map((v) => v[i]!),
    ),
  );
  return `\n${[row(widths, header), ...values.map((v) => row(widths, v))].join('\n')}\n`;
}
