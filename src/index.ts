/**
 * sluice — a Kafka-compatible durable log for Node.js.
 *
 * `Log` is one crash-safe partition log on disk (Kafka's segment format); `LogManager` a
 * data directory of them. `Sluice` is the embedded broker with kafkajs-shaped clients;
 * `connect` gives the same clients over the network, to sluice or any Kafka cluster.
 */
export { Log, LogManager, resolveLogConfig, DEFAULT_LOG_CONFIG } from './storage/index.js';
export type { LogOptions, AppendOptions, AppendResult, ReadOptions, LogConfig, LogConfigInput, LogManagerOptions, TimestampType } from './storage/index.js';
export type { Record, RecordInput, RecordHeader, Bytes } from './records/index.js';
export { Codec, NativeError, tuneAllocator } from './native.js';
export {
  KafkaError,
  ErrorCode,
  KAFKA_ERRORS,
  errorInfo,
  errorNameOf,
  isRetriableCode,
  type KafkaErrorInfo,
  OffsetOutOfRangeError,
  CorruptStorageError,
  CorruptMessageError,
  InvalidRecordsError,
  type ErrorName,
} from './errors.js';
export { Sluice, type SluiceOptions, type ListenOptions, type ListenResult, type SettingValue } from './sluice.js';
export {
  connect,
  KafkaClient,
  type ConnectOptions,
  Producer,
  Consumer,
  ConsumerEvents,
  Admin,
  ConfigResourceType,
  murmur2,
  toPositive,
  partitionForKey,
  type ProducerOptions,
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
  type PartitionerArgs,
  type PartitionerOption,
  type CustomPartitioner,
  type Message,
  type MessageBytes,
  type MessageHeaders,
  type ProducerRecord,
  type ProducerBatch,
  type Acks,
  type CompressionType,
  type RecordMetadata,
  type KafkaMessage,
  type TopicPartition,
  type TopicPartitionOffset,
  type TopicPartitionOffsetAndMetadata,
  type TopicPartitions,
} from './client/index.js';
