/**
 * The embedded clients: producer, consumer and admin calling the broker and group coordinator
 * of this process (kafkajs-shaped), and the group-membership state machine they share with
 * any transport.
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
export { Admin, ConfigResourceType, type ITopicConfig, type ITopicMetadata, type PartitionMetadata, type PartitionOffsets, type ConfigEntry, type DescribeConfigResponse, type ResourceConfigQuery, type GroupDescription } from './admin.js';
export { createPartitioner, DefaultPartitioner, RoundRobinPartitioner, DEFAULT_BATCH_SIZE_BYTES, type Partitioner, type PartitionerArgs, type PartitionerOption, type CustomPartitioner } from './partitioner.js';
export { murmur2, toPositive, partitionForKey } from './murmur2.js';
export { GroupMembership, type GroupTransport, type GroupMembershipOptions, type JoinOutcome } from './group-membership.js';
export { CoordinatorTransport } from './coordinator-transport.js';
export type * from './types.js';
