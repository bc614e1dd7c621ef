/**
 * sluice's own Kafka network client (see client.ts for why it exists): connections with
 * pipelined, correlated requests; version negotiation; metadata-driven routing; the
 * Java-compatible partitioner; and decoding of fetched records for display.
 */
export { WireConnection, formatAddress, parseAddress, type ConnectionOptions } from '../wire/connection.js';
export {
  KafkaWireClient,
  ConfigResourceType,
  ConfigSource,
  OffsetSpec,
  applyConfigOp,
  type WireClientOptions,
  type BrokerInfo,
  type PartitionMetadata,
  type TopicMetadata,
  type ClusterMetadata,
  type CreateTopicSpec,
  type CreateTopicResult,
  type AdminResult,
  type ConfigResourceRef,
  type ConfigEntry,
  type DescribeConfigsResult,
  type AlterConfigOp,
  type AlterConfigsResource,
  type AlterConfigsResult,
  type ListOffsetsResult,
  type Acks,
  type ProduceResult,
  type FetchOptions,
  type FetchTarget,
  type FetchResult,
} from './client.js';
export {
  GroupClient,
  isCoordinatorError,
  type Coordinator,
  type GroupListing,
  type GroupMemberDescription,
  type GroupDescription,
  type TopicPartitionRef,
  type CommittedOffset,
  type OffsetToCommit,
  type CommitIdentity,
  type PartitionResult,
  type GroupResult,
  type GroupClientOptions,
} from './groups.js';
export { murmur2, toPositive, partitionForKey } from '../client/murmur2.js';
export { decodeFetchedRecords, type DecodedFetch, type FetchedRecord, type TimestampTypeName, type AbortedTransaction } from './fetched-records.js';
export {
  KafkaResponseError,
  KafkaConnectionError,
  RequestTimeoutError,
  UnsupportedApiError,
  errorName,
  isRetriable,
  ErrorCodes,
} from './errors.js';
export { GroupMember, type GroupMemberOptions } from './group-member.js';
