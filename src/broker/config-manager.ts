/**
 * Config manager: DescribeConfigs, AlterConfigs and IncrementalAlterConfigs for topics and this
 * broker (Kafka's ConfigHelper and ConfigAdminManager; in KRaft the controller's
 * ConfigurationControlManager). Topic overrides are validated against the definitions of
 * topic-config.ts (derived from storage/log-config-defs.ts), stored in the topic registry and
 * applied to the live logs through the replica manager. Broker settings are static
 * (server.properties) and read-only here: dynamic broker configs are not supported.
 */
import { ErrorCode, KafkaError, type ErrorName } from '../errors.js';
import type { Logger } from '../logger.js';
import { BROKER_CONFIG_DEFS, type BrokerConfig } from './broker-config.js';
import { AlterConfigOp, ConfigResourceType, ConfigSource, ConfigType } from './config-types.js';
import { storageErrorName } from './produce.js';
import type { HostedTopic, ReplicaManager } from './replica-manager.js';
import { TOPIC_CONFIG_DEFS, topicConfigValue, validateTopicConfigs, type TopicConfigs } from './topic-config.js';
import type { TopicRegistry } from './topic-registry.js';
import type {
  AlterConfigsResource,
  AlterConfigsResult,
  DescribeConfigsEntry,
  DescribeConfigsResource,
  DescribeConfigsResult,
  IncrementalAlterConfigsResource,
} from './types.js';

const brokerDefault = (name: string): string | null => BROKER_CONFIG_DEFS[name]?.defaultValue ?? null;

function wanted(keys: readonly string[] | null, name: string): boolean {
  return keys === null || keys.includes(name);
}

export function describeTopicConfigs(
  overrides: TopicConfigs,
  brokerProperties: ReadonlyMap<string, string>,
  keys: readonly string[] | null,
  includeSynonyms: boolean,
  includeDocumentation: boolean,
): DescribeConfigsEntry[] {
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

export function describeBrokerConfigs(
  properties: ReadonlyMap<string, string>,
  keys: readonly string[] | null,
  includeSynonyms: boolean,
  includeDocumentation: boolean,
): DescribeConfigsEntry[] {
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
        const items = currentValue
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
        const given = (op.value ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
        const result =
          op.configOperation === AlterConfigOp.APPEND ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
        next[op.name] = result.join(',');
        break;
      }
      default:
        throw new KafkaError('INVALID_REQUEST', `Unknown config operation ${op.configOperation}`);
    }
  }
  return next;
}

function code(name: ErrorName): number {
  return ErrorCode[name];
}

type AlterResource = AlterConfigsResource | IncrementalAlterConfigsResource;

export class ConfigManager {
  private readonly config: BrokerConfig;
  private readonly logger: Logger;
  private readonly registry: TopicRegistry;
  private readonly replicas: ReplicaManager;
  /** The topic admin's lock: config changes are metadata changes, one at a time. */
  private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>;

  constructor(config: BrokerConfig, logger: Logger, registry: TopicRegistry, replicas: ReplicaManager, exclusive: <T>(fn: () => Promise<T>) => Promise<T>) {
    this.config = config;
    this.logger = logger;
    this.registry = registry;
    this.replicas = replicas;
    this.exclusive = exclusive;
  }

  /** DescribeConfigs for topics (2) and this broker (4). */
  describeConfigs(resources: DescribeConfigsResource[], includeSynonyms: boolean, includeDocumentation: boolean): DescribeConfigsResult[] {
    return resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const fail = (name: ErrorName, message: string): DescribeConfigsResult => ({ ...base, errorCode: code(name), errorMessage: message, configs: [] });
      if (r.resourceType === ConfigResourceType.TOPIC) {
        const state = this.replicas.topic(r.resourceName);
        if (state === undefined) return fail('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${r.resourceName} does not exist`);
        return {
          ...base,
          errorCode: code('NONE'),
          errorMessage: null,
          configs: describeTopicConfigs(state.meta.configs, this.config.properties, r.configurationKeys, includeSynonyms, includeDocumentation),
        };
      }
      if (r.resourceType === ConfigResourceType.BROKER) {
        if (r.resourceName === '') return { ...base, errorCode: code('NONE'), errorMessage: null, configs: [] }; // no dynamic cluster defaults
        if (r.resourceName !== String(this.config.nodeId))
          return fail('INVALID_REQUEST', `Unexpected broker id, expected ${this.config.nodeId} but received ${r.resourceName}`);
        return {
          ...base,
          errorCode: code('NONE'),
          errorMessage: null,
          configs: describeBrokerConfigs(this.config.properties, r.configurationKeys, includeSynonyms, includeDocumentation),
        };
      }
      return fail('INVALID_REQUEST', `Unsupported resource type ${r.resourceType}`);
    });
  }

  /** AlterConfigs: replaces all of a topic's overrides with the given set. */
  alterConfigs(resources: AlterConfigsResource[], validateOnly: boolean): Promise<AlterConfigsResult[]> {
    return this.alterTopicConfigs(resources, validateOnly, (_current, r) => {
      const next: TopicConfigs = {};
      for (const c of (r as AlterConfigsResource).configs) {
        if (c.name in next) throw new KafkaError('INVALID_REQUEST', `Duplicate config ${c.name}`);
        if (c.value === null) throw new KafkaError('INVALID_REQUEST', `Null value not supported for : ${c.name}`);
        next[c.name] = c.value;
      }
      return next;
    });
  }

  /** IncrementalAlterConfigs: SET, DELETE, APPEND, SUBTRACT on a topic's overrides. */
  incrementalAlterConfigs(resources: IncrementalAlterConfigsResource[], validateOnly: boolean): Promise<AlterConfigsResult[]> {
    return this.alterTopicConfigs(resources, validateOnly, (current, r) => {
      const ops = (r as IncrementalAlterConfigsResource).configs;
      const seen = new Set<string>();
      for (const op of ops) {
        if (seen.has(op.name)) throw new KafkaError('INVALID_REQUEST', `Error due to duplicate config keys: ${op.name}`);
        seen.add(op.name);
      }
      return applyIncrementalOps(current, ops);
    });
  }

  private async alterTopicConfigs(
    resources: AlterResource[],
    validateOnly: boolean,
    compute: (current: TopicConfigs, resource: AlterResource) => TopicConfigs,
  ): Promise<AlterConfigsResult[]> {
    return this.exclusive(async () => {
      const out: AlterConfigsResult[] = [];
      for (const r of resources) {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        const fail = (name: ErrorName, message: string): AlterConfigsResult => ({ ...base, errorCode: code(name), errorMessage: message });
        if (r.resourceType === ConfigResourceType.BROKER) {
          out.push(fail('INVALID_REQUEST', 'Dynamic broker configs are not supported; edit server.properties and restart'));
          continue;
        }
        if (r.resourceType !== ConfigResourceType.TOPIC) {
          out.push(fail('INVALID_REQUEST', `Unsupported resource type ${r.resourceType}`));
          continue;
        }
        const state = this.replicas.topic(r.resourceName);
        if (state === undefined) {
          out.push(fail('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${r.resourceName} does not exist`));
          continue;
        }
        try {
          const next = validateTopicConfigs(compute(state.meta.configs, r));
          if (!validateOnly) await this.applyTopicConfigs(state, next);
          out.push({ ...base, errorCode: code('NONE'), errorMessage: null });
        } catch (err) {
          if (err instanceof KafkaError) out.push(fail(err.errorName, err.message));
          else out.push(fail(storageErrorName(err), (err as Error).message));
        }
      }
      return out;
    });
  }

  /** Persists new overrides and applies them to the live logs. */
  private async applyTopicConfigs(state: HostedTopic, configs: TopicConfigs): Promise<void> {
    await this.registry.update(state.meta.name, { configs });
    this.replicas.applyTopicConfigs(state, configs);
    this.logger.info({ topic: state.meta.name, configs }, 'updated topic configs');
  }

  /** The effective value of one topic config (for tools and tests). */
  topicConfig(topic: string, name: string): string | null {
    const state = this.replicas.topic(topic);
    if (state === undefined || !TOPIC_CONFIG_DEFS.has(name)) return null;
    return describeTopicConfigs(state.meta.configs, this.config.properties, [name], false, false)[0]?.value ?? null;
  }
}
