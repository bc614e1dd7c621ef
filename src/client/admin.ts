/**
 * The admin client: kafkajs' Admin methods over a ClientTransport — CreateTopics, DeleteTopics,
 * CreatePartitions, Metadata, ListOffsets, DescribeConfigs, AlterConfigs, ListGroups,
 * DescribeGroups, OffsetFetch, OffsetCommit, DeleteRecords and DeleteGroups, in this process
 * or over the wire — and, where kafkajs has no method, the Java Admin's
 * (incrementalAlterConfigs, alterConsumerGroupOffsets, deleteConsumerGroupOffsets, and the
 * transaction methods of admin-transactions.ts: describeTransactions, listTransactions,
 * describeProducers, abortTransaction). Failures
 * throw a KafkaError named with Kafka's error name, its message starting with that name
 * (kafkajs throws its own error types with the same codes); the two group-offset methods
 * return per-partition errors as values, as Kafka's responses carry them.
 */
import { AlterConfigOp, ConfigResourceType, type ConfigSource } from '../broker/config-types.js';
import { ListOffsetsTimestamp } from '../broker/types.js';
import { ErrorCode, KafkaError, errorNameOf } from '../errors.js';
import { decodeConsumerAssignment } from '../group/consumer-protocol.js';
import * as txnAdmin from './admin-transactions.js';
import type { AbortTransactionSpec, PartitionProducerState, TransactionDescription, TransactionListing } from './admin-transactions.js';
import type { ClientTransport, GroupCoordinatorNode } from './transport.js';
import type { TopicPartitions } from './types.js';

export { ConfigResourceType };
export type { AbortTransactionSpec, PartitionProducerState, ProducerState, TransactionDescription, TransactionListing } from './admin-transactions.js';

export interface ITopicConfig {
  topic: string;
  /** -1 or absent: num.partitions. */
  numPartitions?: number;
  /** -1 or absent: default.replication.factor (one node: 1). */
  replicationFactor?: number;
  replicaAssignment?: { partition: number; replicas: number[] }[];
  configEntries?: { name: string; value: string }[];
}

export interface PartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface ITopicMetadata {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: PartitionMetadata[];
}

export interface PartitionOffsets {
  partition: number;
  /** The high watermark (next offset to be written). */
  offset: bigint;
  high: bigint;
  /** The log start offset. */
  low: bigint;
}

export interface ConfigEntry {
  configName: string;
  configValue: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: ConfigSource;
  isSensitive: boolean;
  configSynonyms: { configName: string; configValue: string | null; configSource: ConfigSource }[];
}

export interface DescribeConfigResponse {
  resources: { errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string; configEntries: ConfigEntry[] }[];
}

export interface ResourceConfigQuery {
  type: number;
  name: string;
  configNames?: string[];
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  errorCode: number;
  /** The broker coordinating the group; null in process without a listener. */
  coordinator: GroupCoordinatorNode | null;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
    /** memberAssignment decoded (consumer groups in the Stable state; empty when it does not decode). */
    assignment: TopicPartitions[];
  }[];
}

function check(code: number, what: string, message?: string | null): void {
  if (code === ErrorCode.NONE) return;
  const name = errorNameOf(code);
  throw new KafkaError(name, `${name}: ${what}${message ? ` (${message})` : ''}`);
}

/** kafkajs' KafkaJSDeleteGroupsError: DeleteGroups failed for some groups; `groups` holds every group's result. */
export class DeleteGroupsError extends KafkaError {
  readonly groups: { groupId: string; errorCode: number }[];
  constructor(groups: { groupId: string; errorCode: number }[]) {
    const failed = groups.filter((g) => g.errorCode !== ErrorCode.NONE);
    const name = errorNameOf(failed[0]!.errorCode);
    super(name, `${name}: delete groups failed: ${failed.map((g) => `${g.groupId} (${errorNameOf(g.errorCode)})`).join(', ')}`);
    this.name = 'DeleteGroupsError';
    this.groups = groups;
  }
}

/** A consumer group member's assignment, or none when it does not decode. */
function assignmentOf(protocolType: string, bytes: Buffer): TopicPartitions[] {
  if (protocolType !== 'consumer' || bytes.length === 0) return [];
  try {
    return decodeConsumerAssignment(bytes).assignedPartitions.map((t) => ({ topic: t.topic, partitions: [...t.partitions] }));
  } catch {
    return [];
  }
}

export type AlterConfigOpName = keyof typeof AlterConfigOp;

function toOffset(v: bigint | string | number): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

export class Admin {
  constructor(private readonly transport: ClientTransport) {}

  /** kafkajs parity: connections open on the first request. */
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  // ------------------------------------------------------------------ topics

  /** Creates topics; resolves false when every one of them existed already (kafkajs). */
  async createTopics(options: { topics: ITopicConfig[]; validateOnly?: boolean }): Promise<boolean> {
    const results = await this.transport.createTopics(
      options.topics.map((t) => ({
        name: t.topic,
        numPartitions: t.replicaAssignment !== undefined && t.replicaAssignment.length > 0 ? -1 : (t.numPartitions ?? -1),
        replicationFactor: t.replicaAssignment !== undefined && t.replicaAssignment.length > 0 ? -1 : (t.replicationFactor ?? -1),
        assignments: (t.replicaAssignment ?? []).map((a) => ({ partitionIndex: a.partition, brokerIds: a.replicas })),
        configs: (t.configEntries ?? []).map((c) => ({ name: c.name, value: c.value })),
      })),
      options.validateOnly ?? false,
    );
    let created = false;
    for (const r of results) {
      if (r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) continue;
      check(r.errorCode, `create topic ${r.name}`, r.errorMessage);
      created = true;
    }
    return created;
  }

  async deleteTopics(options: { topics: string[] }): Promise<void> {
    for (const r of await this.transport.deleteTopics(options.topics)) check(r.errorCode, `delete topic ${r.name ?? r.topicId}`, r.errorMessage);
  }

  /** Grows topics to `count` partitions. */
  async createPartitions(options: { topicPartitions: { topic: string; count: number; assignments?: number[][] }[]; validateOnly?: boolean }): Promise<void> {
    const results = await this.transport.createPartitions(
      options.topicPartitions.map((t) => ({
        name: t.topic,
        count: t.count,
        assignments: t.assignments === undefined ? null : t.assignments.map((brokerIds) => ({ brokerIds })),
      })),
      options.validateOnly ?? false,
    );
    for (const r of results) check(r.errorCode, `create partitions of ${r.name}`, r.errorMessage);
  }

  /** Names of the topics (internal ones excluded, as kafkajs). */
  async listTopics(): Promise<string[]> {
    const m = await this.transport.metadata(null, false);
    return m.topics.filter((t) => !t.isInternal).map((t) => t.name);
  }

  /** Metadata of `topics` (default: every topic, internal ones only with `includeInternal`). */
  async fetchTopicMetadata(options: { topics?: string[]; includeInternal?: boolean } = {}): Promise<{ topics: ITopicMetadata[] }> {
    const m = await this.transport.metadata(options.topics ?? null, false);
    const topics: ITopicMetadata[] = [];
    for (const t of m.topics) {
      if (options.topics === undefined && t.isInternal && options.includeInternal !== true) continue;
      check(t.errorCode, `metadata of ${t.name}`);
      topics.push({
        name: t.name,
        topicId: t.topicId,
        isInternal: t.isInternal,
        partitions: t.partitions.map((p) => ({
          partitionErrorCode: p.errorCode,
          partitionId: p.partitionIndex,
          leader: p.leaderId,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas,
        })),
      });
    }
    return { topics };
  }

  private async partitionsOf(topic: string): Promise<number[]> {
    let n = this.transport.partitionCount(topic);
    if (n <= 0) {
      await this.transport.metadata([topic], false);
      n = this.transport.partitionCount(topic);
    }
    if (n <= 0) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} does not exist`);
    return Array.from({ length: n }, (_, i) => i);
  }

  private async listOffsets(topic: string, timestamp: bigint): Promise<Map<number, bigint>> {
    const [result] = await this.transport.listOffsets(0, [
      { name: topic, partitions: (await this.partitionsOf(topic)).map((partition) => ({ partition, timestamp })) },
    ]);
    const out = new Map<number, bigint>();
    for (const p of result!.partitions) {
      check(p.errorCode, `list offsets of ${topic}-${p.partitionIndex}`);
      out.set(p.partitionIndex, p.offset);
    }
    return out;
  }

  /** Per partition: the high watermark (`offset` and `high`) and the log start offset (`low`). */
  async fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const high = await this.listOffsets(topic, ListOffsetsTimestamp.LATEST);
    const low = await this.listOffsets(topic, ListOffsetsTimestamp.EARLIEST);
    return [...high].map(([partition, h]) => ({ partition, offset: h, high: h, low: low.get(partition)! }));
  }

  /**
   * Per partition, the offset of the first record with a timestamp at or after `timestamp`
   * (ms); the high watermark where there is none (so a consumer seeking there waits for new
   * records). Without a timestamp, the high watermarks.
   */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<{ partition: number; offset: bigint }[]> {
    const high = await this.listOffsets(topic, ListOffsetsTimestamp.LATEST);
    if (timestamp === undefined) return [...high].map(([partition, offset]) => ({ partition, offset }));
    const at = await this.listOffsets(topic, BigInt(Math.max(0, Math.floor(timestamp))));
    return [...at].map(([partition, offset]) => ({ partition, offset: offset < 0n ? high.get(partition)! : offset }));
  }

  /** Deletes the records before `offset` of each partition (-1: the high watermark, i.e. all). */
  async deleteRecords(options: { topic: string; partitions: { partition: number; offset: bigint | string | number }[] }): Promise<void> {
    const [result] = await this.transport.deleteRecords([
      { name: options.topic, partitions: options.partitions.map((p) => ({ partition: p.partition, offset: toOffset(p.offset) })) },
    ]);
    for (const p of result!.partitions) check(p.errorCode, `delete records of ${options.topic}-${p.partitionIndex}`);
  }

  // ------------------------------------------------------------------ configs

  async describeConfigs(options: { resources: ResourceConfigQuery[]; includeSynonyms?: boolean }): Promise<DescribeConfigResponse> {
    const results = await this.transport.describeConfigs(
      options.resources.map((r) => ({
        resourceType: r.type,
        resourceName: r.name,
        configurationKeys: r.configNames === undefined || r.configNames.length === 0 ? null : r.configNames,
      })),
      options.includeSynonyms ?? false,
    );
    return {
      resources: results.map((r) => ({
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configEntries: r.configs.map((c) => ({
          configName: c.name,
          configValue: c.value,
          readOnly: c.readOnly,
          isDefault: c.isDefault,
          configSource: c.configSource,
          isSensitive: c.isSensitive,
          configSynonyms: c.synonyms.map((s) => ({ configName: s.name, configValue: s.value, configSource: s.source })),
        })),
      })),
    };
  }

  /**
   * Sets the configs of each resource (AlterConfigs: what is not listed returns to its default).
   * Throws on the first resource that failed.
   */
  async alterConfigs(options: {
    resources: { type: number; name: string; configEntries: { name: string; value: string | null }[] }[];
    validateOnly?: boolean;
  }): Promise<{ resources: { errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }[] }> {
    const results = await this.transport.alterConfigs(
      options.resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configs: r.configEntries.map((c) => ({ name: c.name, value: c.value })) })),
      options.validateOnly ?? false,
    );
    for (const r of results) check(r.errorCode, `alter configs of ${r.resourceName}`, r.errorMessage);
    return {
      resources: results.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage, resourceType: r.resourceType, resourceName: r.resourceName })),
    };
  }

  /**
   * Changes single configs of each resource (Java Admin's incrementalAlterConfigs): SET,
   * DELETE (back to the default), APPEND / SUBTRACT (list configs); what is not named stays.
   * Throws on the first resource that failed.
   */
  async incrementalAlterConfigs(options: {
    resources: { type: number; name: string; configEntries: { name: string; value?: string | null; operation?: AlterConfigOpName }[] }[];
    validateOnly?: boolean;
  }): Promise<void> {
    const results = await this.transport.incrementalAlterConfigs(
      options.resources.map((r) => ({
        resourceType: r.type,
        resourceName: r.name,
        configs: r.configEntries.map((c) => ({ name: c.name, configOperation: AlterConfigOp[c.operation ?? 'SET'], value: c.value ?? null })),
      })),
      options.validateOnly ?? false,
    );
    for (const r of results) check(r.errorCode, `alter configs of ${r.resourceName}`, r.errorMessage);
  }

  // ------------------------------------------------------------------ groups

  /** Every group; `states` keeps those in these states (ListGroups v4+; [] reports states unfiltered). */
  async listGroups(options: { states?: string[] } = {}): Promise<{ groups: { groupId: string; protocolType: string; state: string }[] }> {
    return { groups: await this.transport.listGroups(options.states) };
  }

  async describeGroups(groupIds: string[]): Promise<{ groups: GroupDescription[] }> {
    const groups: GroupDescription[] = [];
    for (const id of groupIds) {
      const g = await this.transport.describeGroup(id);
      groups.push({
        groupId: g.groupId,
        state: g.state,
        protocolType: g.protocolType,
        protocol: g.protocol,
        errorCode: g.errorCode,
        coordinator: g.coordinator,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.memberMetadata,
          memberAssignment: m.memberAssignment,
          assignment: assignmentOf(g.protocolType, m.memberAssignment),
        })),
      });
    }
    return { groups };
  }

  /**
   * Committed offsets of a group: for `topics`, every partition (-1 where none is committed);
   * without, every partition that has one.
   */
  async fetchOffsets(options: {
    groupId: string;
    topics?: string[];
  }): Promise<{ topic: string; partitions: { partition: number; offset: bigint; metadata: string | null }[] }[]> {
    const request =
      options.topics === undefined ? null : await Promise.all(options.topics.map(async (topic) => ({ topic, partitions: await this.partitionsOf(topic) })));
    const offsets = await this.transport.fetchOffsets(options.groupId, request);
    const byTopic = new Map<string, { partition: number; offset: bigint; metadata: string | null }[]>();
    for (const topic of options.topics ?? []) byTopic.set(topic, []);
    for (const p of offsets) {
      check(p.errorCode, `fetch offsets of group ${options.groupId} ${p.topic}-${p.partition}`);
      let list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, (list = []));
      list.push({ partition: p.partition, offset: p.offset, metadata: p.metadata === '' ? null : p.metadata });
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  /** Commits offsets for a group with no active members (UNKNOWN_MEMBER_ID while it has some). */
  async setOffsets(options: { groupId: string; topic: string; partitions: { partition: number; offset: bigint | string | number }[] }): Promise<void> {
    const results = await this.transport.commitOffsets(
      options.groupId,
      options.partitions.map((p) => ({ topic: options.topic, partition: p.partition, offset: toOffset(p.offset), metadata: null })),
      null,
    );
    for (const r of results) check(r.errorCode, `commit offset of group ${options.groupId} ${r.topic}-${r.partition}`);
  }

  /** Moves a group's committed offsets of `topic` to the earliest or (default) latest offsets; the group must have no active members. */
  async resetOffsets(options: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    const offsets = await this.listOffsets(options.topic, options.earliest === true ? ListOffsetsTimestamp.EARLIEST : ListOffsetsTimestamp.LATEST);
    await this.setOffsets({ groupId: options.groupId, topic: options.topic, partitions: [...offsets].map(([partition, offset]) => ({ partition, offset })) });
  }

  /**
   * Commits offsets of several topics for a group with no active members, in one OffsetCommit
   * (Java Admin's alterConsumerGroupOffsets). Per-partition errors are values (UNKNOWN_MEMBER_ID
   * while the group has members); a group-level failure throws.
   */
  async alterConsumerGroupOffsets(options: {
    groupId: string;
    offsets: { topic: string; partition: number; offset: bigint | string | number; metadata?: string | null }[];
  }): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    if (options.offsets.length === 0) return [];
    return this.transport.commitOffsets(
      options.groupId,
      options.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: toOffset(o.offset), metadata: o.metadata ?? null })),
      null,
    );
  }

  /**
   * Deletes a group's committed offsets of the given partitions (OffsetDelete, KIP-496; Java
   * Admin's deleteConsumerGroupOffsets): the group-level error code (GROUP_ID_NOT_FOUND,
   * NON_EMPTY_GROUP, …) and each partition's (GROUP_SUBSCRIBED_TO_TOPIC, …), as values.
   */
  async deleteConsumerGroupOffsets(options: {
    groupId: string;
    topics: { topic: string; partitions: number[] }[];
  }): Promise<{ errorCode: number; partitions: { topic: string; partition: number; errorCode: number }[] }> {
    return this.transport.deleteOffsets(options.groupId, options.topics);
  }

  /**
   * Deletes empty groups with their committed offsets. When some cannot be deleted, throws a
   * DeleteGroupsError whose `groups` holds every group's result (the others are deleted).
   */
  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const results = await this.transport.deleteGroups(groupIds);
    if (results.some((r) => r.errorCode !== ErrorCode.NONE)) throw new DeleteGroupsError(results);
    return results;
  }

  // ------------------------------------------------------------------ transactions

  /**
   * Describes transactional ids at their coordinators; each description carries its error
   * code (TRANSACTIONAL_ID_NOT_FOUND for an id the coordinator does not know), as describeGroups.
   */
  describeTransactions(transactionalIds: string[]): Promise<TransactionDescription[]> {
    return txnAdmin.describeTransactions(this.transport, transactionalIds);
  }

  /**
   * Transactional ids of every broker, filtered by state names, producer ids and (ListTransactions
   * v1) transactions open longer than `durationMs`.
   */
  listTransactions(
    options: { states?: string[]; producerIds?: (bigint | number | string)[]; durationMs?: number | bigint } = {},
  ): Promise<TransactionListing[]> {
    return txnAdmin.listTransactions(this.transport, options);
  }

  /** The active producers of each partition, at its leader; throws on the first partition that failed. */
  describeProducers(topicPartitions: { topic: string; partition: number }[]): Promise<PartitionProducerState[]> {
    return txnAdmin.describeProducers(this.transport, topicPartitions);
  }

  /**
   * Aborts a hanging transaction on one partition: an ABORT marker written by the partition's
   * leader for that producer (Kafka's Admin.abortTransaction). Throws with the broker's error
   * (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED, …).
   */
  abortTransaction(spec: AbortTransactionSpec): Promise<void> {
    return txnAdmin.abortTransaction(this.transport, spec);
  }
}
