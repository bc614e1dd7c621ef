/**
 * DescribeConfigs entries for topics and for this broker, and the IncrementalAlterConfigs
 * operations on a topic's overrides. Broker settings are static (server.properties) and
 * read-only here: dynamic broker configs are not supported.
 */
import { KafkaError } from '../errors.js';
import { BROKER_CONFIG_DEFS } from './broker-config.js';
import { AlterConfigOp, ConfigSource, ConfigType } from './config-types.js';
import { TOPIC_CONFIG_DEFS, topicConfigValue, type TopicConfigs } from './topic-config.js';
import type { DescribeConfigsEntry } from './types.js';

const brokerDefault = (name: string): string | null => BROKER_CONFIG_DEFS[name]?.defaultValue ?? null;

function wanted(keys: readonly string[] | null, name: string): boolean {
  return keys === null || keys.includes(name);
}

export function describeTopicConfigs(overrides: TopicConfigs, brokerProperties: ReadonlyMap<string, string>, keys: readonly string[] | null, includeSynonyms: boolean, includeDocumentation: boolean): DescribeConfigsEntry[] {
  const out: DescribeConfigsEntry[] = [];
  for (const def of TOPIC_CONFIG_DEFS.values()) {
    if (!wanted(keys, def.name)) continue;
    const v = topicConfigValue(def, overrides, brokerProperties, brokerDefault);
    out.push({
      name: def.name,
      value: v.value,
      readOnly: false,
      isDefault: v.source === ConfigSource.DEFAULT_CONFIG,
      configSource: v.source,
      isSensitive: false,
      synonyms: includeSynonyms ? v.synonyms : [],
      configType: def.type,
      documentation: includeDocumentation ? def.doc : null,
    });
  }
  return out;
}

function isSensitiveName(name: string): boolean {
  return /password|secret|sasl\.jaas/i.test(name);
}

export function describeBrokerConfigs(properties: ReadonlyMap<string, string>, keys: readonly string[] | null, includeSynonyms: boolean, includeDocumentation: boolean): DescribeConfigsEntry[] {
  const names = new Set([...Object.keys(BROKER_CONFIG_DEFS), ...properties.keys()]);
  const out: DescribeConfigsEntry[] = [];
  for (const name of [...names].sort()) {
    if (!wanted(keys, name)) continue;
    const def = BROKER_CONFIG_DEFS[name];
    const set = properties.get(name);
    const source = set !== undefined ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
    const sensitive = isSensitiveName(name) || def?.sensitive === true;
    const value = sensitive ? null : (set ?? def?.defaultValue ?? null);
    const synonyms = [];
    if (includeSynonyms) {
      if (set !== undefined) synonyms.push({ name, value, source: ConfigSource.STATIC_BROKER_CONFIG });
      if (def?.defaultValue != null) synonyms.push({ name, value: sensitive ? null : def.defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    }
    out.push({
      name,
      value,
      readOnly: true,
      isDefault: source === ConfigSource.DEFAULT_CONFIG,
      configSource: source,
      isSensitive: sensitive,
      synonyms,
      configType: def?.type ?? (sensitive ? ConfigType.PASSWORD : ConfigType.UNKNOWN),
      documentation: includeDocumentation ? (def?.doc ?? null) : null,
    });
  }
  return out;
}

/** Applies IncrementalAlterConfigs operations to a copy of `current`; throws INVALID_CONFIG / INVALID_REQUEST. */
export function applyIncrementalOps(current: TopicConfigs, ops: readonly { name: string; configOperation: number; value: string | null }[]): TopicConfigs {
  const next: TopicConfigs = { ...current };
  for (const op of ops) {
    const def = TOPIC_CONFIG_DEFS.get(op.name);
    if (def === undefined) throw new KafkaError('INVALID_CONFIG', `Unknown topic config name: ${op.name}`);
    switch (op.configOperation) {
      case AlterConfigOp.SET:
        if (op.value === null) throw new KafkaError('INVALID_REQUEST', `Null value not supported for : ${op.name}`);
        next[op.name] = op.value;
        break;
      case AlterConfigOp.DELETE:
        delete next[op.name];
        break;
      case AlterConfigOp.APPEND:
      case AlterConfigOp.SUBTRACT: {
        if (def.type !== ConfigType.LIST) throw new KafkaError('INVALID_CONFIG', `Config value append is not allowed for config key: ${op.name}`);
        const currentValue = next[op.name] ?? def.defaultValue;
        const items = currentValue.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
        const given = (op.value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
        const result = op.configOperation === AlterConfigOp.APPEND ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
        next[op.name] = result.join(',');
        break;
      }
      default:
        throw new KafkaError('INVALID_REQUEST', `Unknown config operation ${op.configOperation}`);
    }
  }
  return next;
}
