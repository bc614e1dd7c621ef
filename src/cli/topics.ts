/**
 * `sluice topics` — create, list, describe, alter and delete topics, like kafka-topics.sh:
 *
 *   sluice topics --create --topic web_log --partitions 3 [--replication-factor 1] [--config k=v …]
 *   sluice topics --list [--exclude-internal]
 *   sluice topics --describe [--topic t]
 *   sluice topics --alter --topic t [--partitions 6] [--config k=v …] [--delete-config k …]
 *   sluice topics --delete --topic t
 *
 * --describe prints kafka-topics' layout (tab-separated):
 *
 *   Topic: t	TopicId: …	PartitionCount: 3	ReplicationFactor: 1	Configs: retention.ms=86400000
 *   	Topic: t	Partition: 0	Leader: 0	Replicas: 0	Isr: 0
 *
 * Configs lists the entries that are not defaults (kafka-topics does the same). Kafka errors
 * exit non-zero with the Kafka error name first. --topic is an exact name (kafka-topics also
 * takes a regular expression there; we do not).
 */
import type { Command } from 'commander';
import type { Admin, ITopicMetadata } from '../client/admin.js';
import { UnsupportedApiError } from '../client/network-errors.js';
import { ConfigResourceType } from '../broker/config-types.js';
import { KafkaError } from '../errors.js';
import { CliError, addBootstrapOption, collect, connectClient, intArg, parseKeyValue, type CliIo } from './common.js';

export interface TopicsOptions {
  bootstrapServer: string;
  create?: boolean;
  list?: boolean;
  describe?: boolean;
  alter?: boolean;
  delete?: boolean;
  topic?: string;
  partitions?: number;
  replicationFactor?: number;
  config?: string[];
  deleteConfig?: string[];
  ifExists?: boolean;
  ifNotExists?: boolean;
  excludeInternal?: boolean;
}

const ACTIONS = ['create', 'list', 'describe', 'alter', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

export function registerTopics(program: Command, io: CliIo): Command {
  const cmd = program
    .command('topics')
    .description('create, list, describe, alter and delete topics (like kafka-topics.sh)')
    .option('--create', 'create a topic')
    .option('--list', 'list topic names')
    .option('--describe', 'describe topics and their partitions')
    .option('--alter', 'add partitions to a topic or change its configs')
    .option('--delete', 'delete a topic')
    .option('--topic <name>', 'the topic to create, alter, delete or describe')
    .option('--partitions <n>', 'number of partitions (create; alter: the new, larger count)', intArg(1))
    .option('--replication-factor <n>', 'replicas per partition (create)', intArg(1, 0x7fff))
    .option('--config <key=value>', 'a topic config override, repeatable (create, alter)', collect)
    .option('--delete-config <key>', 'remove a topic config override, repeatable (alter)', collect)
    .option('--if-exists', 'alter/delete/describe: do nothing if the topic does not exist')
    .option('--if-not-exists', 'create: do nothing if the topic already exists')
    .option('--exclude-internal', 'list/describe: leave out internal topics');
  addBootstrapOption(cmd);
  cmd.action(async (options: TopicsOptions) => {
    const action = validateTopicsOptions(options, (message) => cmd.error(`error: ${message}`));
    await runTopics(action, options, io);
  });
  return cmd;
}

/** Checks the option combination; returns the action or calls `fail` with the reason. */
export function validateTopicsOptions(options: TopicsOptions, fail: (message: string) => never): Action {
  const chosen = ACTIONS.filter((a) => options[a] === true);
  if (chosen.length !== 1) {
    fail(
      `exactly one of --create, --list, --describe, --alter or --delete is required${chosen.length > 1 ? ` (got ${chosen.map((a) => `--${a}`).join(', ')})` : ''}`,
    );
  }
  const action = chosen[0]!;
  if ((action === 'create' || action === 'alter' || action === 'delete') && options.topic === undefined) fail(`--${action} requires --topic`);
  if (action === 'alter' && options.partitions === undefined && options.config === undefined && options.deleteConfig === undefined) {
    fail('--alter requires --partitions, --config or --delete-config');
  }
  if (options.replicationFactor !== undefined && action !== 'create') fail('--replication-factor is only valid with --create');
  if (options.partitions !== undefined && action !== 'create' && action !== 'alter') fail('--partitions is only valid with --create or --alter');
  if (options.config !== undefined && action !== 'create' && action !== 'alter') fail('--config is only valid with --create or --alter');
  if (options.deleteConfig !== undefined && action !== 'alter') fail('--delete-config is only valid with --alter');
  if (options.ifNotExists === true && action !== 'create') fail('--if-not-exists is only valid with --create');
  if (options.ifExists === true && action !== 'alter' && action !== 'delete' && action !== 'describe')
    fail('--if-exists is only valid with --alter, --delete or --describe');
  for (const c of options.config ?? []) parseKeyValue(c, '--config');
  return action;
}

export async function runTopics(action: Action, options: TopicsOptions, io: CliIo): Promise<void> {
  const client = await connectClient(io, options.bootstrapServer, 'sluice-topics');
  const admin = client.admin();
  try {
    switch (action) {
      case 'create':
        return await createTopic(admin, options, io);
      case 'list':
        return await listTopics(admin, options, io);
      case 'describe':
        return await describeTopics(admin, options, io);
      case 'alter':
        return await alterTopic(admin, options);
      case 'delete':
        return await deleteTopic(admin, options);
    }
  } finally {
    await client.close();
  }
}

const isKafkaError = (err: unknown, name: string): boolean => err instanceof KafkaError && err.errorName === name;

async function createTopic(admin: Admin, options: TopicsOptions, io: CliIo): Promise<void> {
  const name = options.topic!;
  const created = await admin.createTopics({
    topics: [
      {
        topic: name,
        ...(options.partitions === undefined ? {} : { numPartitions: options.partitions }),
        ...(options.replicationFactor === undefined ? {} : { replicationFactor: options.replicationFactor }),
        configEntries: (options.config ?? []).map((c) => {
          const [key, value] = parseKeyValue(c, '--config');
          return { name: key, value };
        }),
      },
    ],
  });
  if (!created) {
    if (options.ifNotExists === true) return;
    // The Admin reads TOPIC_ALREADY_EXISTS as "nothing to do" (kafkajs); kafka-topics fails.
    throw new KafkaError('TOPIC_ALREADY_EXISTS', `TOPIC_ALREADY_EXISTS: create topic ${name} (Topic '${name}' already exists.)`);
  }
  io.stdout.write(`Created topic ${name}.\n`);
}

async function existingTopics(admin: Admin, options: TopicsOptions): Promise<ITopicMetadata[]> {
  let topics: ITopicMetadata[];
  if (options.topic === undefined) {
    topics = (await admin.fetchTopicMetadata({ includeInternal: options.excludeInternal !== true })).topics;
  } else {
    try {
      topics = (await admin.fetchTopicMetadata({ topics: [options.topic] })).topics;
    } catch (err) {
      if (!isKafkaError(err, 'UNKNOWN_TOPIC_OR_PARTITION')) throw err;
      if (options.ifExists === true) return [];
      throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `UNKNOWN_TOPIC_OR_PARTITION: topic '${options.topic}' does not exist`);
    }
    if (options.excludeInternal === true) topics = topics.filter((t) => !t.isInternal);
  }
  return topics.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function listTopics(admin: Admin, options: TopicsOptions, io: CliIo): Promise<void> {
  const topics = await existingTopics(admin, { ...options, topic: undefined });
  io.stdout.write(topics.map((t) => `${t.name}\n`).join(''));
}

async function describeTopics(admin: Admin, options: TopicsOptions, io: CliIo): Promise<void> {
  const topics = await existingTopics(admin, options);
  const configs = new Map<string, string>();
  if (topics.length > 0) {
    try {
      const described = await admin.describeConfigs({ resources: topics.map((t) => ({ type: ConfigResourceType.TOPIC, name: t.name })) });
      for (const r of described.resources) {
        if (r.errorCode !== 0) continue;
        const shown = r.configEntries.filter((c) => !c.isDefault).map((c) => `${c.configName}=${c.isSensitive ? '[hidden]' : String(c.configValue)}`);
        configs.set(r.resourceName, shown.join(','));
      }
    } catch (err) {
      // A broker without DescribeConfigs still gets its partitions described.
      if (!(err instanceof UnsupportedApiError)) throw err;
    }
  }
  io.stdout.write(topics.map((t) => formatTopicDescription(t, configs.get(t.name) ?? '')).join(''));
}

/** kafka-topics --describe output for one topic. */
export function formatTopicDescription(t: ITopicMetadata, configs: string): string {
  const partitions = [...t.partitions].sort((a, b) => a.partitionId - b.partitionId);
  const replicationFactor = partitions[0]?.replicas.length ?? 0;
  let out = `Topic: ${t.name}\tTopicId: ${t.topicId}\tPartitionCount: ${partitions.length}\tReplicationFactor: ${replicationFactor}\tConfigs: ${configs}\n`;
  for (const p of partitions) {
    out += `\tTopic: ${t.name}\tPartition: ${p.partitionId}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}`;
    if (p.offlineReplicas.length > 0) out += `\tOffline: ${p.offlineReplicas.join(',')}`;
    out += '\n';
  }
  return out;
}

async function alterTopic(admin: Admin, options: TopicsOptions): Promise<void> {
  const name = options.topic!;
  const [existing] = await existingTopics(admin, options);
  if (existing === undefined) return; // --if-exists and absent
  if (options.partitions !== undefined) {
    if (options.partitions <= existing.partitions.length) {
      throw new CliError(
        `the number of partitions for topic ${name} can only be increased (it has ${existing.partitions.length}, --partitions ${options.partitions})`,
      );
    }
    await admin.createPartitions({ topicPartitions: [{ topic: name, count: options.partitions }] });
  }
  const entries = [
    ...(options.config ?? []).map((c) => {
      const [key, value] = parseKeyValue(c, '--config');
      return { name: key, operation: 'SET' as const, value };
    }),
    ...(options.deleteConfig ?? []).map((key) => ({ name: key, operation: 'DELETE' as const, value: null })),
  ];
  if (entries.length > 0) await admin.incrementalAlterConfigs({ resources: [{ type: ConfigResourceType.TOPIC, name, configEntries: entries }] });
}

async function deleteTopic(admin: Admin, options: TopicsOptions): Promise<void> {
  try {
    await admin.deleteTopics({ topics: [options.topic!] });
  } catch (err) {
    if (isKafkaError(err, 'UNKNOWN_TOPIC_OR_PARTITION') && options.ifExists === true) return;
    throw err;
  }
}
