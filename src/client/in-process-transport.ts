/**
 * ClientTransport by direct calls into this process's Broker, GroupCoordinator and
 * TransactionCoordinator: the calls
 * the server's handlers make for the same requests, so embedded clients and clients over the
 * wire see the same topics, records and groups. Nothing is copied or re-encoded on the way:
 * produce and fetch pass the broker's own objects through.
 */
import type { Broker } from '../broker/broker.js';
import type {
  AlterConfigsResource,
  AlterConfigsResult,
  CreatableTopic,
  CreatePartitionsResult,
  CreatePartitionsTopic,
  CreateTopicResult,
  DeleteRecordsTopicRequest,
  DeleteRecordsTopicResult,
  DeleteTopicResult,
  DescribeConfigsResource,
  DescribeConfigsResult,
  FetchRequest,
  FetchResult,
  IncrementalAlterConfigsResource,
  InitProducerIdRequest,
  InitProducerIdResult,
  ListOffsetsTopicRequest,
  ListOffsetsTopicResult,
  MetadataResult,
  ProduceTopicData,
  ProduceTopicResult,
} from '../broker/types.js';
import { ErrorCode, KafkaError, errorNameOf } from '../errors.js';
import type { GroupCoordinator } from '../group/coordinator.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { CoordinatorTransport } from './coordinator-transport.js';
import type { GroupTransport, MemberIdentity, OffsetToCommit } from './group-membership.js';
import type { ClientTransport, CommittedOffset, DescribedGroup, ListedGroup, TxnOffsetCommitRequest, TxnPartitionResults, TxnProducer } from './transport.js';

/** The embedded producer asks for auto-creation itself (Metadata), as a Kafka client does. */
const NO_AUTO_CREATE = { allowAutoTopicCreation: false } as const;

export class InProcessTransport implements ClientTransport {
  readonly kind = 'in-process' as const;

  constructor(
    readonly broker: Broker,
    readonly groups: GroupCoordinator,
    readonly txns: TransactionCoordinator,
  ) {}

  partitionCount(topic: string): number {
    return this.broker.partitionCount(topic);
  }

  metadata(topics: string[] | null, allowAutoTopicCreation: boolean): Promise<MetadataResult> {
    return this.broker.metadata(topics, allowAutoTopicCreation);
  }

  produce(acks: number, timeoutMs: number, topicData: ProduceTopicData[], options?: { transactionalId?: string | null }): Promise<ProduceTopicResult[]> {
    const transactionalId = options?.transactionalId ?? null;
    return this.broker.produce(acks, timeoutMs, topicData, transactionalId === null ? NO_AUTO_CREATE : { ...NO_AUTO_CREATE, transactionalId });
  }

  flushPartition(topic: string, partition: number): Promise<void> {
    return this.broker.flushPartition(topic, partition);
  }

  async initProducerId(request: InitProducerIdRequest): Promise<InitProducerIdResult> {
    const transactionalId = request.transactionalId;
    if (transactionalId === null) return this.broker.initProducerId(request);
    // FindCoordinator's side effect first: `__transaction_state` exists before the first request.
    const code = await this.txns.findCoordinator(transactionalId);
    if (code !== ErrorCode.NONE) return { errorCode: code, errorMessage: null, producerId: -1n, producerEpoch: -1 };
    const r = await this.txns.initProducerId({
      transactionalId,
      transactionTimeoutMs: request.transactionTimeoutMs,
      producerId: request.producerId ?? -1n,
      producerEpoch: request.producerEpoch ?? -1,
    });
    return { errorCode: r.errorCode, errorMessage: null, producerId: r.producerId, producerEpoch: r.producerEpoch };
  }

  addPartitionsToTxn(request: TxnProducer & { topics: { name: string; partitions: number[] }[] }): Promise<TxnPartitionResults> {
    return this.txns.addPartitionsToTxn(request);
  }

  addOffsetsToTxn(request: TxnProducer & { groupId: string }): Promise<{ errorCode: number }> {
    return this.txns.addOffsetsToTxn(request);
  }

  async endTxn(request: TxnProducer & { committed: boolean }): Promise<{ errorCode: number }> {
    return { errorCode: (await this.txns.endTxn(request)).errorCode };
  }

  async txnOffsetCommit(request: TxnOffsetCommitRequest): Promise<TxnPartitionResults> {
    await this.coordinator();
    return this.groups.txnOffsetCommit(request);
  }

  fetch(request: FetchRequest, signal?: AbortSignal): Promise<FetchResult> {
    return this.broker.fetch(request, signal);
  }

  listOffsets(isolationLevel: number, topics: ListOffsetsTopicRequest[]): Promise<ListOffsetsTopicResult[]> {
    return this.broker.listOffsets(isolationLevel, topics);
  }

  deleteRecords(topics: DeleteRecordsTopicRequest[]): Promise<DeleteRecordsTopicResult[]> {
    return this.broker.deleteRecords(topics);
  }

  createTopics(topics: CreatableTopic[], validateOnly: boolean): Promise<CreateTopicResult[]> {
    return this.broker.createTopics(topics, validateOnly);
  }

  deleteTopics(names: string[]): Promise<DeleteTopicResult[]> {
    return this.broker.deleteTopics(names);
  }

  createPartitions(topics: CreatePartitionsTopic[], validateOnly: boolean): Promise<CreatePartitionsResult[]> {
    return this.broker.createPartitions(topics, validateOnly);
  }

  async describeConfigs(resources: DescribeConfigsResource[], includeSynonyms: boolean): Promise<DescribeConfigsResult[]> {
    return this.broker.describeConfigs(resources, includeSynonyms, false);
  }

  alterConfigs(resources: AlterConfigsResource[], validateOnly: boolean): Promise<AlterConfigsResult[]> {
    return this.broker.alterConfigs(resources, validateOnly);
  }

  incrementalAlterConfigs(resources: IncrementalAlterConfigsResource[], validateOnly: boolean): Promise<AlterConfigsResult[]> {
    return this.broker.incrementalAlterConfigs(resources, validateOnly);
  }

  groupTransport(clientId = 'sluice-embedded'): GroupTransport {
    return new CoordinatorTransport(this.broker, this.groups, clientId);
  }

  /** FindCoordinator's side effect: `__consumer_offsets` exists before the first group request. */
  private async coordinator(): Promise<void> {
    const code = await this.groups.findCoordinator();
    if (code !== ErrorCode.NONE) throw new KafkaError(errorNameOf(code), `group coordinator: ${errorNameOf(code)}`);
  }

  async listGroups(states?: readonly string[]): Promise<ListedGroup[]> {
    const r = this.groups.listGroups(states === undefined ? [] : [...states]);
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(errorNameOf(r.errorCode), `list groups: ${errorNameOf(r.errorCode)}`);
    return r.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState }));
  }

  async describeGroup(groupId: string): Promise<DescribedGroup> {
    await this.coordinator();
    const g = this.groups.describeGroup(groupId);
    const listener = this.broker.advertisedListeners[0] ?? null;
    const coordinator = listener === null ? null : { nodeId: this.broker.brokerId, host: listener.host, port: listener.port };
    return {
      groupId: g.groupId,
      errorCode: g.errorCode,
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      members: g.members,
      coordinator,
    };
  }

  async fetchOffsets(groupId: string, partitions: { topic: string; partitions: number[] }[] | null): Promise<CommittedOffset[]> {
    await this.coordinator();
    const r = this.groups.fetchOffsets(groupId, partitions === null ? null : partitions.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })));
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(errorNameOf(r.errorCode), `fetch offsets of group ${groupId}: ${errorNameOf(r.errorCode)}`);
    return r.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata, errorCode: p.errorCode })),
    );
  }

  async commitOffsets(
    groupId: string,
    offsets: readonly OffsetToCommit[],
    member: MemberIdentity | null,
  ): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    await this.coordinator();
    return this.groupTransport('').commit(groupId, member ?? { generationId: -1, memberId: '', groupInstanceId: null }, offsets);
  }

  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    await this.coordinator();
    return this.groups.deleteGroups(groupIds);
  }

  async deleteOffsets(
    groupId: string,
    partitions: { topic: string; partitions: number[] }[],
  ): Promise<{ errorCode: number; partitions: { topic: string; partition: number; errorCode: number }[] }> {
    await this.coordinator();
    const r = this.groups.deleteOffsets(
      groupId,
      partitions.map((t) => ({ name: t.topic, partitions: t.partitions })),
    );
    return {
      errorCode: r.errorCode,
      partitions: r.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode }))),
    };
  }

  async close(): Promise<void> {}
}
