/**
 * Topic-level configuration as the broker validates and describes it. The definitions (names,
 * types, Kafka's defaults, ranges, docs, broker synonyms) are storage/log-config-defs.ts's, the
 * one table of the log settings; this module adds the override validation and the effective
 * value with its sources, as DescribeConfigs shows them. A topic stores only its overrides
 * (strings, Kafka names); the effective value is override ?? the first broker synonym set in
 * server.properties ?? the default.
 */
import { parseConfigValue } from '../config-def.js';
import { KafkaError } from '../errors.js';
import { scaleSynonymValue, TOPIC_CONFIG_DEFS, type TopicConfigDef } from '../storage/log-config-defs.js';
import { resolveLogConfig, type LogConfigInput } from '../storage/log-config.js';
import { ConfigSource } from './config-types.js';

export { TOPIC_CONFIG_DEFS, type TopicConfigDef };

export type TopicConfigs = Record<string, string>;

/** Normalizes and validates one override; throws INVALID_CONFIG. */
export function validateTopicConfig(name: string, raw: string | null): string {
  const def = TOPIC_CONFIG_DEFS.get(name);
  if (def === undefined) throw new KafkaError('INVALID_CONFIG', `Unknown topic config name: ${name}`);
  if (raw === null) throw new KafkaError('INVALID_CONFIG', `Null value not supported for topic config ${name}`);
  const parsed = parseConfigValue(def, raw);
  if ('error' in parsed) throw new KafkaError('INVALID_CONFIG', `Invalid value ${raw} for configuration ${name}: ${parsed.error}`);
  return parsed.value;
}

/** Validates a whole override set (each value, then the storage settings together). */
export function validateTopicConfigs(configs: TopicConfigs): TopicConfigs {
  const out: TopicConfigs = {};
  for (const [name, value] of Object.entries(configs)) out[name] = validateTopicConfig(name, value);
  resolveLogConfig(out as LogConfigInput);
  return out;
}

export interface ConfigValue {
  value: string | null;
  source: ConfigSource;
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: ConfigSource;
}

/**
 * The effective value of topic config `name` and its synonyms, most specific first, as
 * DescribeConfigs with includeSynonyms lists them.
 */
export function topicConfigValue(
  def: TopicConfigDef,
  overrides: TopicConfigs,
  brokerProperties: ReadonlyMap<string, string>,
  brokerDefaults: (name: string) => string | null,
): { value: string; source: ConfigSource; synonyms: ConfigSynonym[] } {
  const synonyms: ConfigSynonym[] = [];
  const override = overrides[def.name];
  if (override !== undefined) synonyms.push({ name: def.name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
  let brokerValue: string | null = null;
  for (const s of def.synonyms) {
    const set = brokerProperties.get(s.name);
    if (set !== undefined) {
      synonyms.push({ name: s.name, value: set.trim(), source: ConfigSource.STATIC_BROKER_CONFIG });
      brokerValue ??= scaleSynonymValue(set.trim(), s.scale);
    }
  }
  for (const s of def.synonyms) {
    const d = brokerDefaults(s.name);
    if (d !== null) synonyms.push({ name: s.name, value: d, source: ConfigSource.DEFAULT_CONFIG });
  }
  if (override !== undefined) return { value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG, synonyms };
  if (brokerValue !== null) return { value: brokerValue, source: ConfigSource.STATIC_BROKER_CONFIG, synonyms };
  return { value: def.defaultValue, source: ConfigSource.DEFAULT_CONFIG, synonyms };
}
