/**
 * The embedded admin client: kafkajs' Admin methods over the broker and group coordinator of
 * this process — the calls the daemon's CreateTopics, DeleteTopics, CreatePartitions, Metadata,
 * ListOffsets, DescribeConfigs, AlterConfigs, ListGroups, DescribeGroups, OffsetFetch,
 * OffsetCommit, DeleteRecords and DeleteGroups handlers make. Failures throw a KafkaError named
 * with Kafka's error name (kafkajs throws its own error types with the same codes).
 */
import type { Broker } from '../broker/broker.js';
import { ConfigResourceType, type ConfigSource } from '../broker/config-types.js';
import { ListOffsetsTimestamp } from '../broker/types.js';
import { ErrorCode, KafkaError, errorNameOf } from '../errors.js';
import type { GroupCoordinator } from '../group/coordinator.js';
import { decodeConsumerAssignment } from '../group/consumer-protocol.js';
import type { TopicPartitions } from './types.js';

export { ConfigResourceType };

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
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
    /** memberAssignment decoded (consumer groups in the Stable state). */
    assignment: TopicPartitions[];
  }[];
}

function check(code: number, what: string, message?: string | null): void {
  if (code === ErrorCode.NONE) return;
  const name = errorNameOf(code);
  throw new KafkaError(name, `${what}: ${name}${message ? ` (${message})` : ''}`);
}

function toOffset(v: bigint | string | number): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

export class Admin {
  constructor(
    private readonly broker: Broker,
    private readonly groups: GroupCoordinator,
  ) {}

  /** kafkajs parity: there is nothing to connect to. */
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  // ------------------------------------------------------------------ topics

  /** Creates topics; resolves false when every one of them existed already (kafkajs). */
  async createTopics(options: { topics: ITopicConfig[]; validateOnly?: boolean }): Promise<boolean> {
    const results = await this.broker.createTopics(
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
    for (const r of await this.broker.deleteTopics(options.topics)) check(r.errorCode, `delete topic ${r.name ?? r.topicId}`, r.errorMessage);
  }

  /** Grows topics to `count` partitions. */
  async createPartitions(options: { topicPartitions: { topic: string; count: number; assignments?: number[][] }[]; validateOnly?: boolean }): Promise<void> {
    const results = await this.broker.createPartitions(
      options.topicPartitions.map((t) => ({ name: t.topic, count: t.count, assignments: t.assignments === undefined ? null : t.assignments.map((brokerIds) => ({ brokerIds })) })),
      options.validateOnly ?? false,
    );
    for (const r of results) check(r.errorCode, `create partitions of ${r.name}`, r.errorMessage);
  }

  /** Names of the topics (internal ones excluded, as kafkajs). */
  async listTopics(): Promise<string[]> {
    const m = await this.broker.metadata(null, false);
    return m.topics.filter((t) => !t.isInternal).map((t) => t.name);
  }

  async fetchTopicMetadata(options: { topics?: string[] } = {}): Promise<{ topics: ITopicMetadata[] }> {
    const m = await this.broker.metadata(options.topics ?? null, false);
    const topics: ITopicMetadata[] = [];
    for (const t of m.topics) {
      if (options.topics === undefined && t.isInternal) continue;
      check(t.errorCode, `metadata of ${t.name}`);
      topics.push({
        name: t.name,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => ({ partitionErrorCode: p.errorCode, partitionId: p.partitionIndex, leader: p.leaderId, replicas: p.replicaNodes, isr: p.isrNodes, offlineReplicas: p.offlineReplicas })),
      });
    }
    return { topics };
  }

  private partitionsOf(topic: string): number[] {
    const n = this.broker.partitionCount(topic);
    if (n < 0) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} does not exist`);
    return Array.from({ length: n }, (_, i) => i);
  }

  private async listOffsets(topic: string, timestamp: bigint): Promise<Map<number, bigint>> {
    const [result] = await this.broker.listOffsets(0, [{ name: topic, partitions: this.partitionsOf(topic).map((partition) => ({ partition, timestamp })) }]);
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
    const [result] = await this.broker.deleteRecords([{ name: options.topic, partitions: options.partitions.map((p) => ({ partition: p.partition, offset: toOffset(p.offset) })) }]);
    for (const p of result!.partitions) check(p.errorCode, `delete records of ${options.topic}-${p.partitionIndex}`);
  }

  // ------------------------------------------------------------------ configs

  async describeConfigs(options: { resources: ResourceConfigQuery[]; includeSynonyms?: boolean }): Promise<DescribeConfigResponse> {
    const results = this.broker.describeConfigs(
      options.resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configurationKeys: r.configNames === undefined || r.configNames.length === 0 ? null : r.configNames })),
      options.includeSynonyms ?? false,
      false,
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
  async alterConfigs(options: { resources: { type: number; name: string; configEntries: { name: string; value: string | null }[] }[]; validateOnly?: boolean }): Promise<{ resources: { errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }[] }> {
    const results = await this.broker.alterConfigs(
      options.resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configs: r.configEntries.map((c) => ({ name: c.name, value: c.value })) })),
      options.validateOnly ?? false,
    );
    for (const r of results) check(r.errorCode, `alter configs of ${r.resourceName}`, r.errorMessage);
    return { resources: results.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage, resourceType: r.resourceType, resourceName: r.resourceName })) };
  }

  // ------------------------------------------------------------------ groups

  private async coordinator(): Promise<void> {
    check(await this.groups.findCoordinator(), 'group coordinator');
  }

  async listGroups(): Promise<{ groups: { groupId: string; protocolType: string; state: string }[] }> {
    const r = this.groups.listGroups();
    check(r.errorCode, 'list groups');
    return { groups: r.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState })) };
  }

  async describeGroups(groupIds: string[]): Promise<{ groups: GroupDescription[] }> {
    await this.coordinator();
    return {
      groups: groupIds.map((id) => {
        const g = this.groups.describeGroup(id);
        return {
          groupId: g.groupId,
          state: g.groupState,
          protocolType: g.protocolType,
          protocol: g.protocolData,
          errorCode: g.errorCode,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.memberMetadata,
            memberAssignment: m.memberAssignment,
            assignment: g.protocolType === 'consumer' && m.memberAssignment.length > 0 ? decodeConsumerAssignment(m.memberAssignment).assignedPartitions.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })) : [],
          })),
        };
      }),
    };
  }

  /**
   * Committed offsets of a group: for `topics`, every partition (-1 where none is committed);
   * without, every partition that has one.
   */
  async fetchOffsets(options: { groupId: string; topics?: string[] }): Promise<{ topic: string; partitions: { partition: number; offset: bigint; metadata: string | null }[] }[]> {
    await this.coordinator();
    const request = options.topics === undefined ? null : options.topics.map((name) => ({ name, partitionIndexes: this.partitionsOf(name) }));
    const r = this.groups.fetchOffsets(options.groupId, request);
    check(r.errorCode, `fetch offsets of group ${options.groupId}`);
    return r.topics.map((t) => ({
      topic: t.name,
      partitions: t.partitions.map((p) => {
        check(p.errorCode, `fetch offsets of group ${options.groupId} ${t.name}-${p.partitionIndex}`);
        return { partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata === '' ? null : p.metadata };
      }),
    }));
  }

  /** Commits offsets for a group with no active members (UNKNOWN_MEMBER_ID while it has some). */
  async setOffsets(options: { groupId: string; topic: string; partitions: { partition: number; offset: bigint | string | number }[] }): Promise<void> {
    await this.coordinator();
    const result = this.groups.commitOffsets({
      groupId: options.groupId,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [{ name: options.topic, partitions: options.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: toOffset(p.offset), committedLeaderEpoch: -1, committedMetadata: null, commitTimestamp: -1n })) }],
    });
    for (const t of result) for (const p of t.partitions) check(p.errorCode, `commit offset of group ${options.groupId} ${t.name}-${p.partitionIndex}`);
  }

  /** Moves a group's committed offsets of `topic` to the earliest or (default) latest offsets; the group must have no active members. */
  async resetOffsets(options: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    const offsets = await this.listOffsets(options.topic, options.earliest === true ? ListOffsetsTimestamp.EARLIEST : ListOffsetsTimestamp.LATEST);
    await this.setOffsets({ groupId: options.groupId, topic: options.topic, partitions: [...offsets].map(([partition, offset]) => ({ partition, offset })) });
  }

  /** Deletes empty groups with their committed offsets; throws on the first group that could not be deleted. */
  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    await this.coordinator();
    const results = this.groups.deleteGroups(groupIds);
    for (const r of results) check(r.errorCode, `delete group ${r.groupId}`);
    return results;
  }
}
