/**
 * `sluice groups` — list, describe, delete consumer groups and reset or delete their committed
 * offsets, like kafka-consumer-groups.sh:
 *
 *   sluice groups --list [--state [Stable,Empty]]
 *   sluice groups --describe --group g1 [--offsets] [--members] [--state]
 *   sluice groups --reset-offsets --group g1 (--topic t[:0,1] … | --all-topics)
 *                 (--to-earliest | --to-latest | --to-current | --to-offset n | --to-datetime iso | --shift-by n)
 *                 [--dry-run | --execute]
 *   sluice groups --delete --group g1 [--group g2 …]
 *   sluice groups --delete-offsets --group g1 --topic t[:0,1] …
 *
 * Output follows kafka-consumer-groups.sh (ConsumerGroupCommand): the same columns, widths and
 * "-" for a missing value. Differences, on purpose:
 * - --describe without --offsets/--members/--state prints all three sections (state, offsets,
 *   members) rather than only the offsets; the members section always shows the decoded
 *   assignment (`topic:0,1;other:2`), which Kafka shows only with --verbose.
 * - Failures exit 1 with "Error: …" on stderr, where Kafka prints its error on stdout and exits
 *   0: an unknown (Dead) group, a reset refused because the group has members, a failed
 *   deletion, partition errors of a commit or an offset deletion.
 * - --reset-offsets without --execute is a dry run (as in Kafka); the warning Kafka prints then
 *   goes to stderr, so stdout is the plan alone.
 *
 * Every request goes through the Admin client (client/admin.ts) over the network transport.
 *
 * Lag is the high watermark (ListOffsets latest, read_uncommitted, as Kafka's tool asks)
 * minus the committed offset; "-" without a committed offset. Offset resets are clamped to
 * [log start offset, high watermark], with a warning for each clamped partition, as Kafka does.
 */
import type { Command } from 'commander';
import { DeleteGroupsError, type Admin } from '../client/admin.js';
import { ErrorCode, errorNameOf } from '../errors.js';
import { CliError, addBootstrapOption, collect, connectClient, type CliIo } from './common.js';
import {
  MISSING,
  committedOffsets,
  compareTp,
  describe,
  describeGroup,
  isKafkaError,
  kafkaError,
  list,
  listConsumerGroups,
  row,
  widest,
  type TopicPartitionRef,
  type CommittedOffset,
} from './groups-report.js';

export interface GroupsOptions {
  bootstrapServer: string;
  list?: boolean;
  describe?: boolean;
  delete?: boolean;
  resetOffsets?: boolean;
  deleteOffsets?: boolean;
  group?: string[];
  allGroups?: boolean;
  /** --state: true (no value) or a comma-separated state list. */
  state?: boolean | string;
  offsets?: boolean;
  members?: boolean;
  topic?: string[];
  allTopics?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toCurrent?: boolean;
  toOffset?: string;
  toDatetime?: string;
  shiftBy?: string;
  dryRun?: boolean;
  execute?: boolean;
}

const ACTIONS = ['list', 'describe', 'delete', 'resetOffsets', 'deleteOffsets'] as const;
type Action = (typeof ACTIONS)[number];
const flag = (a: string): string => `--${a.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Kafka's classic consumer group states (GroupState), as the broker spells them. */
const GROUP_STATES = ['PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Empty'] as const;

type ResetSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'current' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'datetime'; timestampMs: number }
  | { kind: 'shift'; by: bigint };

export interface GroupsPlan {
  action: Action;
  groups: string[];
  states: string[] | null;
  reset: ResetSpec | null;
  topics: TopicSelection[];
}

/** A --topic value: `t` (every partition) or `t:0,1`. */
export interface TopicSelection {
  topic: string;
  partitions: number[] | null;
}

export function registerGroups(program: Command, io: CliIo): Command {
  const cmd = program
    .command('groups')
    .description('list, describe and delete consumer groups, reset or delete their offsets (like kafka-consumer-groups.sh)')
    .option('--list', 'list the consumer groups')
    .option('--describe', 'describe groups: state, committed offsets and lag, members')
    .option('--delete', 'delete groups (only groups without members)')
    .option('--reset-offsets', "reset a group's committed offsets (dry run unless --execute)")
    .option('--delete-offsets', "delete a group's committed offsets of the given topics")
    .option('--group <id>', 'a group id, repeatable', collect)
    .option('--all-groups', 'describe, delete or reset every group')
    .option('--state [states]', 'list: show states and keep only these (comma-separated); describe: the state section')
    .option('--offsets', 'describe: the committed offsets section')
    .option('--members', 'describe: the members section')
    .option('--topic <topic[:partitions]>', 'topic, optionally with partitions (t:0,1), repeatable (reset, delete offsets)', collect)
    .option('--all-topics', 'reset: every partition the group has a committed offset for')
    .option('--to-earliest', 'reset to the log start offset')
    .option('--to-latest', 'reset to the high watermark')
    .option('--to-current', 'reset to the committed offset (the high watermark where none)')
    .option('--to-offset <offset>', 'reset to this offset')
    .option('--to-datetime <iso>', 'reset to the first offset at or after this time (YYYY-MM-DDTHH:mm:SS[.sss][Z|±hh:mm])')
    .option('--shift-by <n>', 'move the committed offset by n (may be negative)')
    .option('--dry-run', 'reset: print the plan only (the default)')
    .option('--execute', 'reset: commit the new offsets');
  addBootstrapOption(cmd);
  cmd.action(async (options: GroupsOptions) => {
    const plan = validateGroupsOptions(options, (message) => cmd.error(`error: ${message}`));
    await runGroups(plan, options, io);
  });
  return cmd;
}

function parseTopicSelection(text: string, fail: (message: string) => never): TopicSelection {
  const i = text.indexOf(':');
  if (i < 0) {
    if (text.length === 0) fail('--topic needs a topic name');
    return { topic: text, partitions: null };
  }
  const topic = text.slice(0, i);
  const list = text
    .slice(i + 1)
    .split(',')
    .map((s) => s.trim());
  if (topic.length === 0 || list.some((p) => !/^\d+$/.test(p) || Number(p) > 0x7fffffff)) {
    fail(`invalid --topic "${text}": expected topic or topic:partition[,partition…]`);
  }
  return { topic, partitions: [...new Set(list.map(Number))].sort((a, b) => a - b) };
}

function parseStates(text: string, fail: (message: string) => never): string[] {
  const out: string[] = [];
  for (const raw of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const state = GROUP_STATES.find((s) => s.toLowerCase() === raw.toLowerCase());
    if (state === undefined) fail(`invalid state list '${text}'. Valid states are: ${GROUP_STATES.join(', ')}`);
    if (!out.includes(state)) out.push(state);
  }
  return out;
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})?$/;

/** Checks the option combination; returns what to do or calls `fail` with the reason. */
export function validateGroupsOptions(options: GroupsOptions, fail: (message: string) => never): GroupsPlan {
  const chosen = ACTIONS.filter((a) => options[a] === true);
  if (chosen.length !== 1) fail(`command must include exactly one action: ${ACTIONS.map(flag).join(', ')}`);
  const action = chosen[0]!;
  const groups = [...new Set(options.group ?? [])];
  const topics = (options.topic ?? []).map((t) => parseTopicSelection(t, fail));

  if (action !== 'list') {
    if (groups.length === 0 && options.allGroups !== true) fail(`${flag(action)} needs --group (or --all-groups)`);
    if (groups.length > 0 && options.allGroups === true) fail('--group and --all-groups cannot be used together');
  } else if (groups.length > 0 || options.allGroups === true) {
    fail('--list takes no --group');
  }
  if (action === 'deleteOffsets') {
    if (options.allGroups === true || groups.length !== 1) fail('--delete-offsets takes exactly one --group');
    if (topics.length === 0) fail('--delete-offsets needs --topic');
  }
  if (action !== 'describe' && (options.offsets === true || options.members === true)) fail('--offsets and --members go with --describe');
  if (action !== 'list' && action !== 'describe' && options.state !== undefined) fail('--state goes with --list or --describe');
  if (action === 'describe' && typeof options.state === 'string') fail('--describe --state takes no value');
  if (action !== 'resetOffsets' && action !== 'deleteOffsets' && topics.length > 0) fail('--topic goes with --reset-offsets or --delete-offsets');

  const scenarios = (['toEarliest', 'toLatest', 'toCurrent', 'toOffset', 'toDatetime', 'shiftBy'] as const).filter((k) => options[k] !== undefined);
  let reset: ResetSpec | null = null;
  if (action === 'resetOffsets') {
    if (scenarios.length !== 1)
      fail(`--reset-offsets needs exactly one of ${['toEarliest', 'toLatest', 'toCurrent', 'toOffset', 'toDatetime', 'shiftBy'].map(flag).join(', ')}`);
    if (topics.length > 0 === (options.allTopics === true)) fail('--reset-offsets needs one scope: --topic or --all-topics');
    if (options.dryRun === true && options.execute === true) fail('--dry-run and --execute cannot be used together');
    const scenario = scenarios[0]!;
    if (scenario === 'toEarliest') reset = { kind: 'earliest' };
    else if (scenario === 'toLatest') reset = { kind: 'latest' };
    else if (scenario === 'toCurrent') reset = { kind: 'current' };
    else if (scenario === 'toOffset') {
      if (!/^-?\d+$/.test(options.toOffset!.trim())) fail(`--to-offset must be an integer (got "${options.toOffset}")`);
      reset = { kind: 'offset', offset: BigInt(options.toOffset!.trim()) };
    } else if (scenario === 'shiftBy') {
      if (!/^[-+]?\d+$/.test(options.shiftBy!.trim())) fail(`--shift-by must be an integer (got "${options.shiftBy}")`);
      reset = { kind: 'shift', by: BigInt(options.shiftBy!.trim()) };
    } else {
      const text = options.toDatetime!.trim();
      const ms = DATETIME.test(text) ? Date.parse(text) : NaN;
      if (Number.isNaN(ms)) fail(`--to-datetime must look like 2026-11-01T00:00:00.000 (optionally with Z or ±hh:mm), got "${options.toDatetime}"`);
      reset = { kind: 'datetime', timestampMs: ms };
    }
  } else if (scenarios.length > 0 || options.allTopics === true || options.dryRun === true || options.execute === true) {
    fail('--to-*, --shift-by, --all-topics, --dry-run and --execute go with --reset-offsets');
  }
  const states = action === 'list' && options.state !== undefined ? (typeof options.state === 'string' ? parseStates(options.state, fail) : []) : null;
  return { action, groups, states, reset, topics };
}

export async function runGroups(plan: GroupsPlan, options: GroupsOptions, io: CliIo): Promise<void> {
  const client = await connectClient(io, options.bootstrapServer, 'sluice-consumer-groups');
  const admin = client.admin();
  try {
    const ids = plan.action === 'list' || plan.groups.length > 0 ? plan.groups : (await listConsumerGroups(admin)).map((g) => g.groupId);
    switch (plan.action) {
      case 'list':
        return await list(admin, plan.states, io);
      case 'describe':
        for (const id of ids) await describe(admin, id, options, io);
        return;
      case 'delete':
        return await deleteGroups(admin, ids, io);
      case 'resetOffsets':
        for (const id of ids) await resetOffsets(admin, id, plan, options.execute === true, io);
        if (options.execute !== true && options.dryRun !== true) {
          io.stderr.write('WARN: No action was performed as the --execute option is missing; add --dry-run to say a dry run is meant.\n');
        }
        return;
      case 'deleteOffsets':
        return await deleteOffsets(admin, ids[0]!, plan.topics, io);
    }
  } finally {
    await client.close();
  }
}

// ---- reset offsets ------------------------------------------------------------------------

/** The partition count of `topic`; 0 when it does not exist. */
async function partitionCount(admin: Admin, topic: string): Promise<number> {
  try {
    return (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? 0;
  } catch (err) {
    if (isKafkaError(err, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) return 0;
    throw err;
  }
}

async function partitionsToReset(admin: Admin, groupId: string, plan: GroupsPlan, committed: CommittedOffset[]): Promise<TopicPartitionRef[]> {
  if (plan.topics.length === 0) return committed.map((c) => ({ topic: c.topic, partition: c.partition })).sort(compareTp);
  const out: TopicPartitionRef[] = [];
  const missing: string[] = [];
  for (const sel of plan.topics) {
    const count = await partitionCount(admin, sel.topic);
    const wanted = sel.partitions ?? Array.from({ length: count }, (_, p) => p);
    if (sel.partitions === null && count === 0) missing.push(sel.topic);
    for (const partition of wanted) {
      if (partition >= count) missing.push(`${sel.topic}-${partition}`);
      else out.push({ topic: sel.topic, partition });
    }
  }
  if (missing.length > 0) {
    throw new CliError(`${errorNameOf(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)}: these partitions do not exist: ${missing.join(', ')} (group ${groupId})`);
  }
  const unique = new Map(out.map((p) => [`${p.topic}\u0000${p.partition}`, p]));
  return [...unique.values()].sort(compareTp);
}

async function resetOffsets(admin: Admin, groupId: string, plan: GroupsPlan, execute: boolean, io: CliIo): Promise<void> {
  const d = await describeGroup(admin, groupId);
  if (d.errorCode !== 0 && d.errorCode !== ErrorCode.GROUP_ID_NOT_FOUND) throw kafkaError(d.errorCode, `DescribeGroups ${groupId}`);
  if (d.errorCode === 0 && d.state !== 'Empty' && d.state !== 'Dead') {
    throw new CliError(`Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${d.state}.`);
  }
  const committed = await committedOffsets(admin, groupId);
  const committedAt = new Map(committed.filter((c) => c.offset >= 0n).map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
  const partitions = await partitionsToReset(admin, groupId, plan, committed);
  const reset = plan.reset!;
  // Log start and end of every partition of each topic touched, and the offsets at --to-datetime.
  const bounds = new Map<string, { low: bigint; high: bigint }>();
  const atTime = new Map<string, bigint>();
  for (const topic of new Set(partitions.map((p) => p.topic))) {
    for (const o of await admin.fetchTopicOffsets(topic)) bounds.set(`${topic}\u0000${o.partition}`, { low: o.low, high: o.high });
    if (reset.kind === 'datetime') {
      // No record at or after the time: the end of the log, as Kafka resets then.
      for (const o of await admin.fetchTopicOffsetsByTimestamp(topic, reset.timestampMs)) atTime.set(`${topic}\u0000${o.partition}`, o.offset);
    }
  }
  const targets: { tp: TopicPartitionRef; offset: bigint }[] = [];
  for (const tp of partitions) {
    const { low: earliest, high: latest } = bounds.get(`${tp.topic}\u0000${tp.partition}`)!;
    const current = committedAt.get(`${tp.topic}\u0000${tp.partition}`);
    let wanted: bigint;
    switch (reset.kind) {
      case 'earliest':
        wanted = earliest;
        break;
      case 'latest':
        wanted = latest;
        break;
      case 'current':
        wanted = current ?? latest;
        break;
      case 'offset':
        wanted = reset.offset;
        break;
      case 'shift':
        if (current === undefined)
          throw new CliError(`cannot shift the offset of ${tp.topic}-${tp.partition}: group '${groupId}' has no committed offset for it`);
        wanted = current + reset.by;
        break;
      case 'datetime':
        wanted = atTime.get(`${tp.topic}\u0000${tp.partition}`) ?? latest;
        break;
    }
    if (wanted < earliest) {
      io.stderr.write(
        `New offset (${wanted}) is lower than earliest offset for topic partition ${tp.topic}-${tp.partition}. Value will be set to ${earliest}\n`,
      );
      wanted = earliest;
    } else if (wanted > latest) {
      io.stderr.write(`New offset (${wanted}) is higher than latest offset for topic partition ${tp.topic}-${tp.partition}. Value will be set to ${latest}\n`);
      wanted = latest;
    }
    targets.push({ tp, offset: wanted });
  }
  if (execute && targets.length > 0) {
    const results = await admin.alterConsumerGroupOffsets({ groupId, offsets: targets.map((t) => ({ ...t.tp, offset: t.offset })) });
    const failed = results.filter((r) => r.errorCode !== 0);
    if (failed.length > 0) {
      throw kafkaError(
        failed[0]!.errorCode,
        `OffsetCommit for group ${groupId} failed for ${failed.map((f) => `${f.topic}-${f.partition} (${errorNameOf(f.errorCode)})`).join(', ')}`,
      );
    }
  }
  if (targets.length === 0) return;
  const widths = [30, 30, 10];
  const lines = [row([...widths, 15], ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'])];
  for (const t of targets) lines.push(row([...widths, 15], [groupId, t.tp.topic, String(t.tp.partition), String(t.offset)]));
  io.stdout.write(`\n${lines.join('\n')}\n`);
}

// ---- delete -------------------------------------------------------------------------------

async function deleteGroups(admin: Admin, ids: string[], io: CliIo): Promise<void> {
  if (ids.length === 0) return;
  let results: { groupId: string; errorCode: number }[];
  try {
    results = await admin.deleteGroups(ids);
  } catch (err) {
    if (!(err instanceof DeleteGroupsError)) throw err;
    results = err.groups;
  }
  const ok = results.filter((r) => r.errorCode === 0).map((r) => `'${r.groupId}'`);
  const failed = results.filter((r) => r.errorCode !== 0);
  if (failed.length === 0) {
    io.stdout.write(`Deletion of requested consumer groups (${ok.join(', ')}) was successful.\n`);
    return;
  }
  if (ok.length > 0) io.stdout.write(`These consumer groups were deleted successfully: ${ok.join(', ')}\n`);
  throw new CliError(
    `Deletion of some consumer groups failed:\n${failed.map((f) => `* Group '${f.groupId}' could not be deleted due to: ${errorNameOf(f.errorCode)}`).join('\n')}`,
  );
}

async function deleteOffsets(admin: Admin, groupId: string, selections: TopicSelection[], io: CliIo): Promise<void> {
  const partitions: TopicPartitionRef[] = [];
  const unknownTopics: string[] = [];
  for (const sel of selections) {
    if (sel.partitions !== null) {
      for (const partition of sel.partitions) partitions.push({ topic: sel.topic, partition });
      continue;
    }
    const count = await partitionCount(admin, sel.topic);
    if (count === 0) unknownTopics.push(sel.topic);
    for (let partition = 0; partition < count; partition++) partitions.push({ topic: sel.topic, partition });
  }
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) {
    let list = byTopic.get(p.topic);
    if (list === undefined) byTopic.set(p.topic, (list = []));
    list.push(p.partition);
  }
  const result =
    partitions.length > 0
      ? await admin.deleteConsumerGroupOffsets({ groupId, topics: [...byTopic].map(([topic, list]) => ({ topic, partitions: list })) })
      : { errorCode: 0, partitions: [] };
  // Errors about the group itself (Kafka's tool prints them alone); the rest are per partition.
  const groupLevel: number[] = [ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.NON_EMPTY_GROUP, ErrorCode.INVALID_GROUP_ID, ErrorCode.GROUP_AUTHORIZATION_FAILED];
  if (groupLevel.includes(result.errorCode)) throw kafkaError(result.errorCode, `cannot delete offsets of group '${groupId}'`);

  const rows = [
    ...result.partitions.map((p) => ({
      topic: p.topic,
      partition: String(p.partition),
      sort: p.partition,
      status: p.errorCode === 0 ? 'Successful' : `Error: ${errorNameOf(p.errorCode)}`,
    })),
    ...unknownTopics.map((topic) => ({ topic, partition: MISSING, sort: -1, status: `Error: ${errorNameOf(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)}` })),
  ].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.sort - b.sort));
  const partitionErrors = result.partitions.some((p) => p.errorCode !== 0) || unknownTopics.length > 0;
  if (result.errorCode === 0 && !partitionErrors) io.stdout.write(`Request succeeded for deleting offsets from group ${groupId}.\n`);
  const widths = [
    widest(
      15,
      rows.map((r) => r.topic),
    ),
    10,
  ];
  io.stdout.write(
    `\n${[row([...widths, 15], ['TOPIC', 'PARTITION', 'STATUS']), ...rows.map((r) => row([...widths, 15], [r.topic, r.partition, r.status]))].join('\n')}\n`,
  );
  if (result.errorCode !== 0 || partitionErrors) {
    const code =
      result.errorCode !== 0 ? result.errorCode : (result.partitions.find((p) => p.errorCode !== 0)?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    throw kafkaError(code, `deleting offsets of group '${groupId}' failed for some partitions (see above)`);
  }
}
