/**
 * Kafka's DescribeConfigs enums, with Kafka's numbers: where a value comes from
 * (`ConfigSource`) and what type it has (`ConfigType`).
 */

export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource];

export const ConfigType = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;
export type ConfigType = (typeof ConfigType)[keyof typeof ConfigType];

/** Resource types of DescribeConfigs / AlterConfigs. */
export const ConfigResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
} as const;

/** IncrementalAlterConfigs operations. */
export const AlterConfigOp = {
  SET: 0,
  DELETE: 1,
  APPEND: 2,
  SUBTRACT: 3,
} as const;

/** Java's Long.MAX_VALUE as Kafka prints it ("never" for flush.ms and friends). */
export const LONG_MAX = '9223372036854775807';
