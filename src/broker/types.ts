/**
 * The broker's API types: plain objects in and out, Kafka's field names (camelCase), offsets as
 * bigint, topic ids as 22-character base64url strings (Kafka's Uuid.toString, as protocol/
 * spells them). Per-partition and per-topic failures are `errorCode` values (ErrorCode).
 */
import type { ErrorName } from '../errors.js';
import type { Record as LogRecord } from '../records/index.js';
import type { ConfigSource, ConfigType } from './config-types.js';

// ------------------------------------------------------------------ Metadata / DescribeCluster

export interface BrokerEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface MetadataPartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

export interface MetadataTopic {
  errorCode: number;
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: MetadataPartition[];
}

export interface MetadataResult {
  brokers: BrokerEndpoint[];
  clusterId: string;
  controllerId: number;
  topics: MetadataTopic[];
}

export interface DescribeClusterResult {
  errorCode: number;
  errorMessage: string | null;
  clusterId: string;
  controllerId: number;
  brokers: BrokerEndpoint[];
}

// ------------------------------------------------------------------ Produce

export interface ProduceTopicData {
  name: string;
  partitions: { index: number; records: Buffer | null }[];
}

export interface ProduceOptions {
  transactionalId?: string | null;
  /**
   * Create unknown topics when auto.create.topics.enable is on (default true). Kafka creates
   * topics only on Metadata; the server handler passes false to behave exactly like Kafka,
   * the embedded client leaves it on.
   */
  allowAutoTopicCreation?: boolean;
}

export interface ProducePartitionResult {
  index: number;
  errorCode: number;
  /** -1 when nothing was appended (an error, or no records). */
  baseOffset: bigint;
  /** The append time under LogAppendTime, else -1. */
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
}

export interface ProduceTopicResult {
  name: string;
  partitions: ProducePartitionResult[];
}

// ------------------------------------------------------------------ Fetch

export interface FetchPartitionRequest {
  partition: number;
  fetchOffset: bigint;
  /** The follower's log start offset (-1 for consumers); unused on a single node. */
  logStartOffset?: bigint;
  partitionMaxBytes: number;
  /** -1: no check. */
  currentLeaderEpoch?: number;
}

export interface FetchTopicRequest {
  /** By name (Fetch v0-12) or by id (v13+); when both, the id wins. */
  name?: string | null;
  topicId?: string | null;
  partitions: FetchPartitionRequest[];
}

export interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  /** 0 read_uncommitted (up to the high watermark), 1 read_committed (up to the last stable offset, with abortedTransactions). */
  isolationLevel: number;
  topics: FetchTopicRequest[];
}

/**
 * Memory a fetch's reads may take, granted by the caller's accounting (the server's bound on
 * unsent response bytes). A read asks `room()` first and reads no more than that, at least one
 * batch while it is above 0 (KIP-74) and nothing at all once it is not; then it reports what it
 * read with `take`. Without one, reads are bounded by the request and fetch.max.bytes only.
 */
export interface FetchMemory {
  room(): number;
  take(bytes: number): void;
}

export interface FetchPartitionResult {
  partitionIndex: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[] | null;
  preferredReadReplica: number;
  /** Whole record batches as stored (magic 2); empty when there is nothing to return. */
  records: Buffer;
}

export interface FetchTopicResult {
  name: string;
  topicId: string;
  partitions: FetchPartitionResult[];
}

export interface FetchResult {
  errorCode: number;
  topics: FetchTopicResult[];
}

// ------------------------------------------------------------------ ListOffsets

/** Special timestamps of ListOffsets. */
export const ListOffsetsTimestamp = {
  LATEST: -1n,
  EARLIEST: -2n,
  /** KIP-734 */
  MAX_TIMESTAMP: -3n,
  /** KIP-405: earliest local offset (== earliest without tiered storage). */
  EARLIEST_LOCAL: -4n,
  /** KIP-1005: latest tiered offset (none without tiered storage). */
  LATEST_TIERED: -5n,
} as const;

export interface ListOffsetsTopicRequest {
  name: string;
  partitions: { partition: number; timestamp: bigint; currentLeaderEpoch?: number }[];
}

export interface ListOffsetsPartitionResult {
  partitionIndex: number;
  errorCode: number;
  timestamp: bigint;
  offset: bigint;
  leaderEpoch: number;
}

export interface ListOffsetsTopicResult {
  name: string;
  partitions: ListOffsetsPartitionResult[];
}

// ------------------------------------------------------------------ OffsetForLeaderEpoch

export interface OffsetForLeaderEpochTopicRequest {
  name: string;
  partitions: { partition: number; currentLeaderEpoch: number; leaderEpoch: number }[];
}

export interface OffsetForLeaderEpochTopicResult {
  name: string;
  partitions: { partition: number; errorCode: number; leaderEpoch: number; endOffset: bigint }[];
}

// ------------------------------------------------------------------ topic admin

export interface CreatableTopic {
  name: string;
  /** -1: num.partitions (only when assignments are empty). */
  numPartitions: number;
  /** -1: default.replication.factor. */
  replicationFactor: number;
  assignments?: { partitionIndex: number; brokerIds: number[] }[];
  configs?: { name: string; value: string | null }[];
}

export interface CreatableTopicConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: ConfigSource;
  isSensitive: boolean;
}

export interface CreateTopicResult {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  numPartitions: number;
  replicationFactor: number;
  configs: CreatableTopicConfig[];
}

export interface DeleteTopicResult {
  name: string | null;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface CreatePartitionsTopic {
  name: string;
  count: number;
  assignments?: { brokerIds: number[] }[] | null;
}

export interface CreatePartitionsResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface DeleteRecordsTopicRequest {
  name: string;
  partitions: { partition: number; offset: bigint }[];
}

export interface DeleteRecordsTopicResult {
  name: string;
  partitions: { partitionIndex: number; lowWatermark: bigint; errorCode: number }[];
}

// ------------------------------------------------------------------ configs

export interface DescribeConfigsResource {
  resourceType: number;
  resourceName: string;
  configurationKeys: string[] | null;
}

export interface DescribeConfigsSynonym {
  name: string;
  value: string | null;
  source: ConfigSource;
}

export interface DescribeConfigsEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  /** DescribeConfigs v0 only: configSource === DEFAULT_CONFIG. */
  isDefault: boolean;
  configSource: ConfigSource;
  isSensitive: boolean;
  synonyms: DescribeConfigsSynonym[];
  configType: ConfigType;
  documentation: string | null;
}

export interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribeConfigsEntry[];
}

export interface AlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: { name: string; value: string | null }[];
}

export interface IncrementalAlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: { name: string; configOperation: number; value: string | null }[];
}

export interface AlterConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

// ------------------------------------------------------------------ InitProducerId

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId?: bigint;
  producerEpoch?: number;
}

export interface InitProducerIdResult {
  errorCode: number;
  errorMessage: string | null;
  producerId: bigint;
  producerEpoch: number;
}

// ------------------------------------------------------------------ transactions

/** One WriteTxnMarkers marker: COMMIT or ABORT of a producer's transaction on these partitions. */
export interface WriteTxnMarkerRequest {
  producerId: bigint;
  producerEpoch: number;
  /** true = COMMIT, false = ABORT. */
  transactionResult: boolean;
  coordinatorEpoch: number;
  topics: { name: string; partitionIndexes: number[] }[];
}

export interface WriteTxnMarkerResult {
  producerId: bigint;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

/** A marker appended to a partition (Broker.onTxnMarkerWritten). */
export interface TxnMarkerWrittenEvent {
  topic: string;
  partition: number;
  producerId: bigint;
  producerEpoch: number;
  committed: boolean;
  /** The marker's offset. */
  offset: bigint;
}

/**
 * KIP-890 part 1: asked, per partition, before a producer's first transactional batch there is
 * appended, whether the partition is in its ongoing transaction (the coordinator's
 * AddPartitionsToTxn with verifyOnly). null: it is; else the coordinator's error.
 */
export interface TransactionVerifier {
  verifyPartition(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): Promise<ErrorName | null>;
}

/** A coordinator-origin transactional append (Broker.appendInternal). */
export interface InternalTxnAppend {
  producerId: bigint;
  producerEpoch: number;
}

/** A stored batch as coordinators replaying their logs need it (Broker.readInternalBatches). */
export interface InternalBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  producerId: bigint;
  producerEpoch: number;
  isTransactional: boolean;
  isControl: boolean;
  /** The batch's records from the requested offset on (a control batch: its control record). */
  records: LogRecord[];
}

export interface InternalBatches {
  batches: InternalBatch[];
  nextOffset: bigint;
}

export interface ActiveProducer {
  producerId: bigint;
  producerEpoch: number;
  /** -1 when no batch is retained. */
  lastSequence: number;
  lastTimestamp: bigint;
  coordinatorEpoch: number;
  /** -1 when no transaction is open. */
  currentTxnStartOffset: bigint;
}

export interface DescribeProducersTopicResult {
  name: string;
  partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null; activeProducers: ActiveProducer[] }[];
}
