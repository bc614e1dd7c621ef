/**
 * The one seam between sluice's clients (Producer, Consumer, Admin) and a Kafka cluster. The
 * clients build and read Kafka's data (record batches, offsets, group protocol bytes); a
 * transport only moves requests:
 *
 *   in-process (in-process-transport.ts)  direct calls into this process's Broker and
 *                                         GroupCoordinator — the calls the server's handlers make;
 *   network    (network-transport.ts)     the Kafka wire protocol to any Kafka-compatible cluster:
 *                                         bootstrap, metadata, leader routing, retries.
 *
 * Requests and results use the broker's API types (broker/types.ts: Kafka's field names,
 * per-partition errors as `errorCode` values), so the in-process transport passes them through
 * untouched and the network transport maps the wire responses onto the same shapes. Group
 * administration uses the small shapes below, the fields of Kafka's responses.
 */
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
import type { GroupTransport, MemberIdentity, OffsetToCommit } from './group-membership.js';

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  /** Kafka's state name; '' when the broker does not report states (ListGroups v0-3). */
  state: string;
}

export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

/** Where a group's requests go: the broker coordinating it. */
export interface GroupCoordinatorNode {
  nodeId: number;
  host: string;
  port: number;
}

export interface DescribedGroup {
  groupId: string;
  errorCode: number;
  state: string;
  protocolType: string;
  /** The chosen protocol (the assignor for consumer groups); '' when none. */
  protocol: string;
  members: DescribedGroupMember[];
  /** The broker that answered (in process: this broker, at its first advertised listener; null without one). */
  coordinator: GroupCoordinatorNode | null;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** -1 where the group has none. */
  offset: bigint;
  metadata: string | null;
  errorCode: number;
}

/** Who a transactional request is from: the transactional id and the producer id/epoch InitProducerId gave it. */
export interface TxnProducer {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
}

/** Per-partition error codes of AddPartitionsToTxn and TxnOffsetCommit, as Kafka's responses carry them. */
export interface TxnPartitionResults {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

export interface TxnOffsetCommitRequest extends TxnProducer {
  groupId: string;
  /** The consumer's group metadata (KIP-447); generation -1 and memberId '' without it. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: {
    name: string;
    partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[];
  }[];
}

export interface ClientTransport {
  /** 'in-process': fetched bytes come from this process's log, already checked (see Consumer). */
  readonly kind: 'in-process' | 'network';

  // ---- topics and partitions
  /** The partition count known now, without I/O (≤ 0: unknown or no such topic). */
  partitionCount(topic: string): number;
  /** Metadata for `topics` (null: all), refreshing what partitionCount knows. */
  metadata(topics: string[] | null, allowAutoTopicCreation: boolean): Promise<MetadataResult>;
  /**
   * One record batch per partition. The in-process broker appends before its first await when
   * every topic exists, and the network transport writes its requests in the order of the
   * calls, so sequence numbers assigned before the call reach each partition in order.
   *
   * `retries` bounds the transport's own resends of retriable failures (network: default its
   * `retries`); the producer's sender passes 0 and retries itself, in partition order.
   */
  produce(
    acks: number,
    timeoutMs: number,
    topicData: ProduceTopicData[],
    options?: { retries?: number; transactionalId?: string | null },
  ): Promise<ProduceTopicResult[]>;
  /** fsync of a partition (only a broker in this process can promise it). */
  flushPartition?(topic: string, partition: number): Promise<void>;
  /** With a transactional id: at the transaction coordinator (found with FindCoordinator key type 1 over the network). */
  initProducerId(request: InitProducerIdRequest): Promise<InitProducerIdResult>;

  // ---- transactions (at the transaction coordinator; errors are codes, coordinator moves forgotten)
  addPartitionsToTxn(request: TxnProducer & { topics: { name: string; partitions: number[] }[] }): Promise<TxnPartitionResults>;
  addOffsetsToTxn(request: TxnProducer & { groupId: string }): Promise<{ errorCode: number }>;
  endTxn(request: TxnProducer & { committed: boolean }): Promise<{ errorCode: number }>;
  /** At the group's coordinator. */
  txnOffsetCommit(request: TxnOffsetCommitRequest): Promise<TxnPartitionResults>;
  /** A long-poll fetch; `signal` ends the wait early (the result may then be empty or rejected). */
  fetch(request: FetchRequest, signal?: AbortSignal): Promise<FetchResult>;
  listOffsets(isolationLevel: number, topics: ListOffsetsTopicRequest[]): Promise<ListOffsetsTopicResult[]>;
  deleteRecords(topics: DeleteRecordsTopicRequest[]): Promise<DeleteRecordsTopicResult[]>;

  // ---- topic admin and configs
  createTopics(topics: CreatableTopic[], validateOnly: boolean): Promise<CreateTopicResult[]>;
  deleteTopics(names: string[]): Promise<DeleteTopicResult[]>;
  createPartitions(topics: CreatePartitionsTopic[], validateOnly: boolean): Promise<CreatePartitionsResult[]>;
  describeConfigs(resources: DescribeConfigsResource[], includeSynonyms: boolean): Promise<DescribeConfigsResult[]>;
  alterConfigs(resources: AlterConfigsResource[], validateOnly: boolean): Promise<AlterConfigsResult[]>;
  /** Set / delete / append / subtract single configs (the network transport falls back to AlterConfigs on brokers older than Kafka 2.3). */
  incrementalAlterConfigs(resources: IncrementalAlterConfigsResource[], validateOnly: boolean): Promise<AlterConfigsResult[]>;

  // ---- groups
  /** The requests of a group member (JoinGroup … LeaveGroup), for GroupMembership; `clientId` is what DescribeGroups shows. */
  groupTransport(clientId?: string): GroupTransport;
  /** Every group; `states` (ListGroups v4+) keeps those in the given states and makes the broker report states ([]: all, with states). */
  listGroups(states?: readonly string[]): Promise<ListedGroup[]>;
  describeGroup(groupId: string): Promise<DescribedGroup>;
  /** Committed offsets of `partitions` (null: every partition with one); a group-level error throws. */
  fetchOffsets(groupId: string, partitions: { topic: string; partitions: number[] }[] | null): Promise<CommittedOffset[]>;
  /** OffsetCommit; without `member` an admin commit (generation -1), accepted only by an empty group. */
  commitOffsets(
    groupId: string,
    offsets: readonly OffsetToCommit[],
    member: MemberIdentity | null,
  ): Promise<{ topic: string; partition: number; errorCode: number }[]>;
  deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]>;
  /** OffsetDelete (KIP-496): the group-level error code and one result per partition, as values. */
  deleteOffsets(
    groupId: string,
    partitions: { topic: string; partitions: number[] }[],
  ): Promise<{ errorCode: number; partitions: { topic: string; partition: number; errorCode: number }[] }>;

  /** Releases connections (network); the in-process broker is the Sluice's to close. */
  close(): Promise<void>;
}
