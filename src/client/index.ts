/**
 * The clients: producer, consumer and admin (kafkajs-shaped) over a ClientTransport — in
 * process (Sluice) or over the network (connect) — and the group-membership state machine.
 */
export { Producer, type ProducerOptions } from './producer.js';
export {
  Consumer,
  ConsumerEvents,
  type ConsumerOptions,
  type SubscribeOptions,
  type RunOptions,
  type Batch,
  type EachMessagePayload,
  type EachBatchPayload,
  type AssignorOption,
  type ConsumerEvent,
  type ConsumerEventName,
  type ConsumerEventPayloads,
} from './consumer.js';
export {
  Admin,
  DeleteGroupsError,
  ConfigResourceType,
  type AlterConfigOpName,
  type ITopicConfig,
  type ITopicMetadata,
  type PartitionMetadata,
  type PartitionOffsets,
  type ConfigEntry,
  type DescribeConfigResponse,
  type ResourceConfigQuery,
  type GroupDescription,
  type TransactionDescription,
  type TransactionListing,
  type ProducerState,
  type PartitionProducerState,
  type AbortTransactionSpec,
} from './admin.js';
export {
  createPartitioner,
  DefaultPartitioner,
  RoundRobinPartitioner,
  DEFAULT_BATCH_SIZE_BYTES,
  type Partitioner,
  type PartitionerArgs,
  type PartitionerOption,
  type CustomPartitioner,
} from './partitioner.js';
export { murmur2, toPositive, partitionForKey } from './murmur2.js';
export { GroupMembership, type GroupTransport, type GroupMembershipOptions, type JoinOutcome } from './group-membership.js';
export { CoordinatorTransport } from './coordinator-transport.js';
export { InProcessTransport } from './in-process-transport.js';
export { NetworkTransport, type NetworkTransportOptions } from './network-transport.js';
export { connect, KafkaClient, type ConnectOptions } from './connect.js';
export type { ClientTransport, ListedGroup, DescribedGroup, DescribedGroupMember, CommittedOffset, GroupCoordinatorNode } from './transport.js';
export type * from './types.js';
