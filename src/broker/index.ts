/**
 * The broker layer: topics, partitions, configs, and the produce / fetch / list-offsets /
 * admin semantics the server handlers and the embedded client share.
 */
export { Broker, META_PROPERTIES, type BrokerOptions } from './broker.js';
export {
  loadBrokerConfig,
  parseListeners,
  BROKER_CONFIG_DEFS,
  type BrokerConfig,
  type BrokerConfigInput,
  type Listener,
  type LoadBrokerConfigOptions,
} from './broker-config.js';
export { parseProperties } from './properties-file.js';
export { ConfigSource, ConfigType, ConfigResourceType, AlterConfigOp } from './config-types.js';
export { TOPIC_CONFIG_DEFS, validateTopicConfig, validateTopicConfigs, type TopicConfigs } from './topic-config.js';
export { topicNameError, INTERNAL_TOPICS, TOPICS_FILE, type TopicMetadata } from './topic-registry.js';
export { randomUuid, uuidToString, uuidFromString, ZERO_UUID } from './uuid.js';
export { Partition } from './partition.js';
export { LeaderEpochCache, LEADER_EPOCH_CHECKPOINT, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache.js';
/** Down-conversion of magic 2 batches to a magic 0/1 message set, for Fetch v0-v3. */
export { recordBatchesToMessageSet as toMessageSet } from '../records/index.js';
export * from './types.js';
