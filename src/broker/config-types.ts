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

/** ConfigDef's type (src/config-def.ts), listed here with the other DescribeConfigs enums. */
export { ConfigType } from '../config-def.js';

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

export { LONG_MAX } from '../config-def.js';
