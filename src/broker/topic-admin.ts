/**
 * Topic admin: CreateTopics, DeleteTopics, CreatePartitions, auto-creation (Kafka's
 * AutoTopicCreationManager) and the coordinators' internal topics, with Kafka's checks and
 * error codes; and, at start, reconciling the topic registry with the partition directories.
 * In Kafka these are the controller's (ReplicationControlManager); on a single node this node
 * is the controller, and the controller in cluster/ is where they go next.
 *
 * Every metadata change (topic create/delete/grow, config alter) runs one at a time through
 * `exclusive`. Durable order: the registry entry is written before partition logs are created
 * and removed (as "deleting") before they are deleted, so a crash half-way leaves nothing the
 * next start cannot finish.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, KafkaError, type ErrorName } from '../errors.js';
import type { Logger } from '../logger.js';
import { MAX_PARTITIONS_PER_TOPIC } from '../limits.js';
import type { BrokerConfig } from './broker-config.js';
import { describeTopicConfigs } from './config-manager.js';
import { storageErrorName } from './produce.js';
import type { HostedTopic, ReplicaManager } from './replica-manager.js';
import { validateTopicConfigs, type TopicConfigs } from './topic-config.js';
import { INTERNAL_TOPICS, topicNameError, type TopicMetadata, type TopicRegistry } from './topic-registry.js';
import { randomUuid, ZERO_UUID } from './uuid.js';
import type { CreatableTopic, CreatePartitionsResult, CreatePartitionsTopic, CreateTopicResult, DeleteTopicResult } from './types.js';

function code(name: ErrorName): number {
  return ErrorCode[name];
}

export class TopicAdmin {
  private readonly config: BrokerConfig;
  private readonly logger: Logger;
  private readonly registry: TopicRegistry;
  private readonly replicas: ReplicaManager;
  private readonly topicDeletedListeners: ((topic: string) => void)[] = [];
  private lock: Promise<unknown> = Promise.resolve();

  constructor(config: BrokerConfig, logger: Logger, registry: TopicRegistry, replicas: ReplicaManager) {
    this.config = config;
    this.logger = logger;
    this.registry = registry;
    this.replicas = replicas;
  }

  /** Runs `fn` after every earlier metadata change finished (topic create/delete/alter). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Resolves when the metadata changes in flight are done (for shutdown). */
  idle(): Promise<void> {
    return this.lock.then(() => undefined);
  }

  /**
   * Hosts every registered topic. Logs of a topic whose deletion a crash interrupted are
   * deleted; logs of unknown topics (a partition directory copied in from Kafka, or a data
   * directory from before the registry) are adopted as topics.
   */
  async load(allLogs: Iterable<{ topic: string; partition: number }>, uncleanStart: boolean): Promise<void> {
    const orphans = new Map<string, number>();
    for (const { topic, partition } of [...allLogs]) {
      const meta = this.registry.get(topic);
      if (meta !== undefined) {
        if (partition >= meta.partitionCount)
          this.logger.warn({ topic, partition, partitionCount: meta.partitionCount }, 'ignoring the log of a partition the topic does not have');
        continue;
      }
      if (this.registry.deleting.has(topic)) {
        this.logger.info({ topic, partition }, 'finishing an interrupted topic deletion');
        await this.replicas.deletePartitionLogs(topic, partition, partition + 1);
      } else if (topicNameError(topic) === null && this.registry.collidesWith(topic) === null) {
        orphans.set(topic, Math.max(orphans.get(topic) ?? 0, partition + 1));
      } else {
        this.logger.warn({ topic, partition }, 'ignoring a partition directory with an invalid topic name');
      }
    }
    for (const name of [...this.registry.deleting]) await this.registry.deleted(name);
    for (const [name, partitionCount] of orphans) {
      const topicId = this.readPartitionMetadataId(name) ?? randomUuid();
      this.logger.info({ topic: name, partitionCount }, 'adopting existing partition logs as a topic');
      await this.registry.add({ name, topicId, partitionCount, replicationFactor: 1, configs: {}, internal: INTERNAL_TOPICS.has(name), createdMs: Date.now() });
    }
    for (const meta of this.registry.all()) await this.replicas.hostTopic(meta, uncleanStart);
  }

  private readPartitionMetadataId(topic: string): string | null {
    try {
      const text = fs.readFileSync(path.join(this.config.dataDir, `${topic}-0`, 'partition.metadata'), 'utf8');
      const m = /topic_id:\s*(\S{22})/.exec(text);
      return m === null ? null : m[1]!;
    } catch {
      return null;
    }
  }

  /** Calls `listener(topic)` after each topic deletion (coordinators drop what they hold for it). */
  onTopicDeleted(listener: (topic: string) => void): void {
    this.topicDeletedListeners.push(listener);
  }

  /** POLICY_VIOLATION when `adding` more partitions would pass max.broker.partitions. */
  private checkPartitionCap(adding: number): void {
    const current = this.replicas.hostedPartitionCount;
    const max = this.config.maxBrokerPartitions;
    if (current + adding > max) {
      throw new KafkaError(
        'POLICY_VIOLATION',
        `Adding ${adding} partition(s) to the ${current} this broker hosts would exceed max.broker.partitions (${max}).`,
      );
    }
  }

  private checkAssignment(brokerIds: number[]): void {
    if (brokerIds.length === 0) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'A partition needs at least one replica');
    if (new Set(brokerIds).size !== brokerIds.length)
      throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Duplicate brokers in replica assignment ${brokerIds.join(',')}`);
    for (const id of brokerIds) {
      if (id !== this.config.nodeId)
        throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Unknown broker ${id} in replica assignment (only ${this.config.nodeId} is registered)`);
    }
  }

  // ------------------------------------------------------------------ CreateTopics

  async createTopics(topics: CreatableTopic[], validateOnly: boolean): Promise<CreateTopicResult[]> {
    const counts = new Map<string, number>();
    for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    return this.exclusive(async () => {
      const out: CreateTopicResult[] = [];
      for (const t of topics) {
        const fail = (name: ErrorName, message: string): CreateTopicResult => ({
          name: t.name,
          topicId: ZERO_UUID,
          errorCode: code(name),
          errorMessage: message,
          numPartitions: -1,
          replicationFactor: -1,
          configs: [],
        });
        if (counts.get(t.name)! > 1) {
          out.push(fail('INVALID_REQUEST', `Create topics request contains multiple entries for topic ${t.name}`));
          continue;
        }
        try {
          out.push(await this.createOne(t, validateOnly));
        } catch (err) {
          if (err instanceof KafkaError) out.push(fail(err.errorName, err.message));
          else {
            this.logger.error({ err, topic: t.name }, 'create topic failed');
            out.push(fail(storageErrorName(err), (err as Error).message));
          }
        }
      }
      return out;
    });
  }

  private async createOne(t: CreatableTopic, validateOnly: boolean): Promise<CreateTopicResult> {
    const nameError = topicNameError(t.name);
    if (nameError !== null) throw new KafkaError('INVALID_TOPIC_EXCEPTION', nameError);
    if (this.replicas.topic(t.name) !== undefined) throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${t.name}' already exists.`);
    if (INTERNAL_TOPICS.has(t.name)) throw new KafkaError('INVALID_REQUEST', `Creation of internal topic ${t.name} is reserved for its coordinator.`);
    const collision = this.registry.collidesWith(t.name);
    if (collision !== null) throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Topic '${t.name}' collides with existing topic: ${collision}`);
    const assignments = t.assignments ?? [];
    let partitionCount: number;
    let replicationFactor: number;
    if (assignments.length > 0) {
      if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
        throw new KafkaError(
          'INVALID_REQUEST',
          'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
        );
      }
      const sorted = [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      sorted.forEach((a, i) => {
        if (a.partitionIndex !== i) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'Partitions should be a consecutive 0-based integer sequence');
      });
      for (const a of assignments) this.checkAssignment(a.brokerIds);
      partitionCount = assignments.length;
      replicationFactor = assignments[0]!.brokerIds.length;
    } else {
      partitionCount = t.numPartitions === -1 ? this.config.numPartitions : t.numPartitions;
      replicationFactor = t.replicationFactor === -1 ? this.config.defaultReplicationFactor : t.replicationFactor;
      if (partitionCount <= 0) throw new KafkaError('INVALID_PARTITIONS', 'Number of partitions was set to an invalid non-positive value.');
      if (replicationFactor <= 0)
        throw new KafkaError('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0, or -1 to use the default value.');
      if (replicationFactor > 1) {
        throw new KafkaError(
          'INVALID_REPLICATION_FACTOR',
          `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only 1 broker(s) are registered.`,
        );
      }
    }
    if (partitionCount > MAX_PARTITIONS_PER_TOPIC)
      throw new KafkaError('INVALID_PARTITIONS', `Number of partitions ${partitionCount} exceeds the limit of ${MAX_PARTITIONS_PER_TOPIC}`);
    const raw: TopicConfigs = {};
    for (const c of t.configs ?? []) {
      if (c.name in raw) throw new KafkaError('INVALID_REQUEST', `Duplicate config ${c.name}`);
      if (c.value === null) throw new KafkaError('INVALID_CONFIG', `Null value not supported for topic configs: ${c.name}`);
      raw[c.name] = c.value;
    }
    const configs = validateTopicConfigs(raw);
    this.checkPartitionCap(partitionCount);
    let topicId = ZERO_UUID;
    if (!validateOnly) topicId = (await this.createTopicNow(t.name, partitionCount, replicationFactor, configs, false)).meta.topicId;
    return {
      name: t.name,
      topicId,
      errorCode: code('NONE'),
      errorMessage: null,
      numPartitions: partitionCount,
      replicationFactor,
      configs: describeTopicConfigs(configs, this.config.properties, null, false, false).map((e) => ({
        name: e.name,
        value: e.value,
        readOnly: e.readOnly,
        configSource: e.configSource,
        isSensitive: e.isSensitive,
      })),
    };
  }

  /**
   * Creates an internal topic (`__consumer_offsets`, `__transaction_state`) for a coordinator;
   * returns the existing one when present.
   */
  async ensureInternalTopic(name: string, partitionCount: number, configs: TopicConfigs = {}): Promise<{ topicId: string; partitionCount: number }> {
    if (!INTERNAL_TOPICS.has(name)) throw new Error(`${name} is not an internal topic`);
    const state = await this.exclusive(
      async () => this.replicas.topic(name) ?? (await this.createTopicNow(name, partitionCount, 1, validateTopicConfigs(configs), true)),
    );
    return { topicId: state.meta.topicId, partitionCount: state.meta.partitionCount };
  }

  /**
   * Creates `name` with the broker defaults (auto.create.topics.enable, checked by the caller);
   * the hosted topic, or an error code when it cannot.
   */
  async autoCreate(name: string): Promise<HostedTopic | number> {
    const nameError = topicNameError(name);
    if (nameError !== null || this.registry.collidesWith(name) !== null) return code('INVALID_TOPIC_EXCEPTION');
    return this.exclusive(async () => {
      const existing = this.replicas.topic(name);
      if (existing !== undefined) return existing;
      if (this.config.defaultReplicationFactor > 1) return code('INVALID_REPLICATION_FACTOR');
      try {
        return await this.createTopicNow(name, this.config.numPartitions, 1, {}, false);
      } catch (err) {
        this.logger.error({ err, topic: name }, 'auto-creating a topic failed');
        return code(storageErrorName(err));
      }
    });
  }

  /**
   * Registers the topic (durably) and then creates its partition logs, all or nothing: when a
   * partition cannot be created the topic is removed again (registry entry, every partition
   * directory made so far, their fds) and the error is thrown for the caller to answer. The
   * removal goes through the registry's "deleting" list, so a crash during it is finished at
   * the next start.
   */
  private async createTopicNow(
    name: string,
    partitionCount: number,
    replicationFactor: number,
    configs: TopicConfigs,
    internal: boolean,
  ): Promise<HostedTopic> {
    this.checkPartitionCap(partitionCount);
    const meta: TopicMetadata = { name, topicId: randomUuid(), partitionCount, replicationFactor, configs, internal, createdMs: Date.now() };
    await this.registry.add(meta);
    let state: HostedTopic;
    try {
      state = await this.replicas.hostTopic(meta, false);
    } catch (err) {
      this.logger.error({ err, topic: name, partitionCount }, 'creating a topic failed; removing what was created');
      try {
        await this.registry.remove(name);
        await this.replicas.deletePartitionLogs(name, 0, partitionCount);
        await this.registry.deleted(name);
      } catch (undoErr) {
        this.logger.error({ err: undoErr, topic: name }, 'removing a half-created topic failed; the next start finishes it');
      }
      throw err;
    }
    this.logger.info({ topic: name, partitions: partitionCount, topicId: meta.topicId }, 'created topic');
    return state;
  }

  // ------------------------------------------------------------------ DeleteTopics

  /** Deletes topics by name or by id: metadata first (durably), then the partition logs. */
  async deleteTopics(topics: ({ name?: string | null; topicId?: string | null } | string)[]): Promise<DeleteTopicResult[]> {
    return this.exclusive(async () => {
      const out: DeleteTopicResult[] = [];
      for (const entry of topics) {
        const req = typeof entry === 'string' ? { name: entry, topicId: null } : entry;
        const byId = req.topicId !== undefined && req.topicId !== null && req.topicId !== ZERO_UUID;
        const meta = byId ? this.registry.getById(req.topicId!) : this.registry.get(req.name ?? '');
        if (meta === undefined) {
          out.push({
            name: req.name ?? null,
            topicId: req.topicId ?? ZERO_UUID,
            errorCode: code(byId ? 'UNKNOWN_TOPIC_ID' : 'UNKNOWN_TOPIC_OR_PARTITION'),
            errorMessage: 'This server does not host this topic.',
          });
          continue;
        }
        if (!this.config.deleteTopicEnable) {
          out.push({ name: meta.name, topicId: meta.topicId, errorCode: code('TOPIC_DELETION_DISABLED'), errorMessage: 'Topic deletion is disabled.' });
          continue;
        }
        if (meta.internal) {
          out.push({
            name: meta.name,
            topicId: meta.topicId,
            errorCode: code('INVALID_REQUEST'),
            errorMessage: `Internal topic ${meta.name} cannot be deleted.`,
          });
          continue;
        }
        try {
          await this.deleteTopicNow(meta);
          out.push({ name: meta.name, topicId: meta.topicId, errorCode: code('NONE'), errorMessage: null });
        } catch (err) {
          this.logger.error({ err, topic: meta.name }, 'delete topic failed');
          out.push({ name: meta.name, topicId: meta.topicId, errorCode: code(storageErrorName(err)), errorMessage: (err as Error).message });
        }
      }
      return out;
    });
  }

  private async deleteTopicNow(meta: TopicMetadata): Promise<void> {
    this.replicas.unhostTopic(meta);
    await this.registry.remove(meta.name);
    await this.replicas.deletePartitionLogs(meta.name, 0, meta.partitionCount);
    await this.registry.deleted(meta.name);
    this.logger.info({ topic: meta.name, topicId: meta.topicId }, 'deleted topic');
    for (const listener of this.topicDeletedListeners) {
      try {
        listener(meta.name);
      } catch (err) {
        this.logger.error({ err, topic: meta.name }, 'topic deletion listener failed');
      }
    }
  }

  // ------------------------------------------------------------------ CreatePartitions

  async createPartitions(topics: CreatePartitionsTopic[], validateOnly: boolean): Promise<CreatePartitionsResult[]> {
    const counts = new Map<string, number>();
    for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    return this.exclusive(async () => {
      const out: CreatePartitionsResult[] = [];
      for (const t of topics) {
        const fail = (name: ErrorName, message: string): CreatePartitionsResult => ({ name: t.name, errorCode: code(name), errorMessage: message });
        if (counts.get(t.name)! > 1) {
          out.push(fail('INVALID_REQUEST', `Duplicate topic ${t.name} in request`));
          continue;
        }
        const state = this.replicas.topic(t.name);
        if (state === undefined) {
          out.push(fail('UNKNOWN_TOPIC_OR_PARTITION', `The topic '${t.name}' does not exist.`));
          continue;
        }
        const current = state.meta.partitionCount;
        if (t.count < current) {
          out.push(fail('INVALID_PARTITIONS', `The topic ${t.name} currently has ${current} partition(s); ${t.count} would not be an increase.`));
          continue;
        }
        if (t.count === current) {
          out.push(fail('INVALID_PARTITIONS', `Topic already has ${current} partition(s).`));
          continue;
        }
        if (t.count > MAX_PARTITIONS_PER_TOPIC) {
          out.push(fail('INVALID_PARTITIONS', `Number of partitions ${t.count} exceeds the limit of ${MAX_PARTITIONS_PER_TOPIC}`));
          continue;
        }
        try {
          if (t.assignments !== undefined && t.assignments !== null) {
            if (t.assignments.length !== t.count - current) {
              throw new KafkaError(
                'INVALID_REPLICA_ASSIGNMENT',
                `Attempted to add ${t.count - current} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`,
              );
            }
            for (const a of t.assignments) this.checkAssignment(a.brokerIds);
          }
          this.checkPartitionCap(t.count - current);
          if (!validateOnly) await this.addPartitions(state, t.count);
          out.push({ name: t.name, errorCode: code('NONE'), errorMessage: null });
        } catch (err) {
          if (err instanceof KafkaError) out.push(fail(err.errorName, err.message));
          else out.push(fail(storageErrorName(err), (err as Error).message));
        }
      }
      return out;
    });
  }

  /**
   * Grows a topic to `count` partitions, all or nothing: when one cannot be created, the ones
   * created are removed and the registry keeps the old count.
   */
  private async addPartitions(state: HostedTopic, count: number): Promise<void> {
    const current = state.meta.partitionCount;
    await this.registry.update(state.meta.name, { partitionCount: count });
    try {
      await this.replicas.addPartitions(state, current, count);
    } catch (err) {
      this.logger.error({ err, topic: state.meta.name, from: current, to: count }, 'adding partitions failed; removing what was created');
      await this.registry.update(state.meta.name, { partitionCount: current }).catch(() => undefined);
      await this.replicas.deletePartitionLogs(state.meta.name, current, count).catch((undoErr: unknown) => {
        this.logger.error({ err: undoErr, topic: state.meta.name }, 'removing half-created partitions failed');
      });
      throw err;
    }
  }
}
