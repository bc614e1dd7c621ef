import { describe, expect, it } from 'vitest';
import { BROKER_CONFIG_DEFS } from '../../src/broker/broker-config.js';
import { AlterConfigOp, ConfigResourceType } from '../../src/broker/config-types.js';
import { validateTopicConfig } from '../../src/broker/topic-config.js';
import { ConfigType, LONG_MAX } from '../../src/config-def.js';
import { ErrorCode, KafkaError } from '../../src/errors.js';
import { BROKER_LOG_CONFIG_DEFS, TOPIC_CONFIG_DEFS } from '../../src/storage/log-config-defs.js';
import { DEFAULT_LOG_CONFIG, resolveLogConfig } from '../../src/storage/log-config.js';
import { brokersPerTest } from './helpers.js';

const brokers = brokersPerTest('config-manager');
const open = brokers.open;

function invalidConfig(name: string, value: string): string {
  try {
    validateTopicConfig(name, value);
  } catch (err) {
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).errorName).toBe('INVALID_CONFIG');
    return (err as Error).message;
  }
  throw new Error(`${name}=${value} was accepted`);
}

describe('the log config table (storage/log-config-defs.ts)', () => {
  it("accepts every topic config's own default, and every broker synonym is defined at the broker level", () => {
    for (const def of TOPIC_CONFIG_DEFS.values()) {
      expect(validateTopicConfig(def.name, def.defaultValue), def.name).toBe(def.defaultValue);
      for (const s of def.synonyms) expect(BROKER_CONFIG_DEFS[s.name], `${def.name} → ${s.name}`).toBeDefined();
    }
  });

  it("takes a topic config's default from its broker synonym, scaled to the topic's unit, as Kafka does", () => {
    expect(TOPIC_CONFIG_DEFS.get('retention.ms')!.defaultValue).toBe(String(Number(BROKER_LOG_CONFIG_DEFS['log.retention.hours']!.defaultValue) * 3_600_000));
    expect(TOPIC_CONFIG_DEFS.get('segment.ms')!.defaultValue).toBe(String(Number(BROKER_LOG_CONFIG_DEFS['log.roll.hours']!.defaultValue) * 3_600_000));
    expect(TOPIC_CONFIG_DEFS.get('flush.ms')!.defaultValue).toBe(BROKER_LOG_CONFIG_DEFS['log.flush.scheduler.interval.ms']!.defaultValue);
    expect(TOPIC_CONFIG_DEFS.get('max.message.bytes')!.defaultValue).toBe(BROKER_LOG_CONFIG_DEFS['message.max.bytes']!.defaultValue);
  });

  it('gives the storage layer the same defaults the broker describes, under the topic and the broker name alike', () => {
    for (const def of TOPIC_CONFIG_DEFS.values()) {
      if (def.field === undefined) continue;
      const expected = def.field === 'messageTimestampType' ? def.defaultValue : Math.min(Number(def.defaultValue), Number.MAX_SAFE_INTEGER);
      expect(DEFAULT_LOG_CONFIG[def.field], def.name).toBe(expected);
      const brokerName = def.synonyms[0]!.name;
      const sample = def.field === 'messageTimestampType' ? 'LogAppendTime' : String((def.range?.min ?? 0) + 1);
      expect(resolveLogConfig({ [def.name]: sample })[def.field], def.name).toBe(resolveLogConfig({ [brokerName]: sample })[def.field]);
    }
    expect(DEFAULT_LOG_CONFIG.retentionCheckIntervalMs).toBe(Number(BROKER_LOG_CONFIG_DEFS['log.retention.check.interval.ms']!.defaultValue));
  });

  it('refuses a value one below the range of each ranged topic config, on the broker and in storage alike', () => {
    for (const def of TOPIC_CONFIG_DEFS.values()) {
      if (def.range?.min === undefined) continue;
      const below = String(def.range.min - 1);
      expect(invalidConfig(def.name, below), def.name).toContain(
        def.range.max === undefined ? `must be >= ${def.range.min}` : `must be in [${def.range.min}, ${def.range.max}]`,
      );
      if (def.field !== undefined) expect(() => resolveLogConfig({ [def.name]: below }), def.name).toThrow(KafkaError);
    }
  });

  it('checks values by type: integers within int or long range, booleans and lists normalized, doubles', () => {
    expect(invalidConfig('segment.bytes', '1.5')).toContain('expected an integer');
    expect(invalidConfig('segment.bytes', '2147483648')).toContain('out of int range');
    expect(validateTopicConfig('retention.ms', LONG_MAX)).toBe(LONG_MAX);
    expect(invalidConfig('retention.ms', '9223372036854775808')).toContain('out of long range');
    expect(validateTopicConfig('preallocate', ' TRUE ')).toBe('true');
    expect(invalidConfig('preallocate', 'yes')).toContain('expected true or false');
    expect(validateTopicConfig('cleanup.policy', ' delete , compact ,')).toBe('delete,compact');
    expect(invalidConfig('cleanup.policy', 'delete,shred')).toContain('delete, compact');
    expect(validateTopicConfig('min.cleanable.dirty.ratio', '0.25')).toBe('0.25');
    expect(invalidConfig('min.cleanable.dirty.ratio', 'half')).toContain('expected a number');
    expect(invalidConfig('compression.type', 'brotli')).toContain('must be one of');
    expect(TOPIC_CONFIG_DEFS.get('compression.type')!.type).toBe(ConfigType.STRING);
  });
});

describe('AlterConfigs and IncrementalAlterConfigs errors, with Kafka error codes', () => {
  it('answers each resource on its own: unknown topic, broker resource, unsupported resource type, unknown config, and the valid one applied', async () => {
    const broker = await open();
    await broker.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 1 }], false);
    const results = await broker.incrementalAlterConfigs(
      [
        { resourceType: ConfigResourceType.TOPIC, resourceName: 'nobody', configs: [{ name: 'retention.ms', configOperation: AlterConfigOp.SET, value: '1' }] },
        { resourceType: ConfigResourceType.BROKER, resourceName: '0', configs: [{ name: 'log.retention.ms', configOperation: AlterConfigOp.SET, value: '1' }] },
        { resourceType: ConfigResourceType.BROKER_LOGGER, resourceName: '0', configs: [] },
        { resourceType: ConfigResourceType.TOPIC, resourceName: 't', configs: [{ name: 'no.such.config', configOperation: AlterConfigOp.SET, value: '1' }] },
        { resourceType: ConfigResourceType.TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: AlterConfigOp.SET, value: '5000' }] },
      ],
      false,
    );
    expect(results.map((r) => r.errorCode)).toEqual([
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.INVALID_REQUEST,
      ErrorCode.INVALID_REQUEST,
      ErrorCode.INVALID_CONFIG,
      ErrorCode.NONE,
    ]);
    expect(broker.topicConfig('t', 'retention.ms')).toBe('5000');
    expect(broker.partition('t', 0)!.log.config.retentionMs).toBe(5000);
  });

  it('answers INVALID_REQUEST for duplicate keys, a null SET and an unknown operation, and INVALID_CONFIG for APPEND to a non-list config, changing nothing', async () => {
    const broker = await open();
    await broker.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 1 }], false);
    const alter = (configs: { name: string; configOperation: number; value: string | null }[]) => ({
      resourceType: ConfigResourceType.TOPIC,
      resourceName: 't',
      configs,
    });
    const results = await broker.incrementalAlterConfigs(
      [
        alter([
          { name: 'retention.ms', configOperation: AlterConfigOp.SET, value: '1' },
          { name: 'retention.ms', configOperation: AlterConfigOp.DELETE, value: null },
        ]),
        alter([{ name: 'retention.ms', configOperation: AlterConfigOp.SET, value: null }]),
        alter([{ name: 'retention.ms', configOperation: 9, value: '1' }]),
        alter([{ name: 'retention.ms', configOperation: AlterConfigOp.APPEND, value: '1' }]),
      ],
      false,
    );
    expect(results.map((r) => r.errorCode)).toEqual([
      ErrorCode.INVALID_REQUEST,
      ErrorCode.INVALID_REQUEST,
      ErrorCode.INVALID_REQUEST,
      ErrorCode.INVALID_CONFIG,
    ]);
    expect(broker.topicConfig('t', 'retention.ms')).toBe('604800000');
  });

  it('answers AlterConfigs with INVALID_REQUEST for a duplicate or null value and INVALID_CONFIG for a value out of range', async () => {
    const broker = await open();
    await broker.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 1 }], false);
    const alter = (configs: { name: string; value: string | null }[]) => ({ resourceType: ConfigResourceType.TOPIC, resourceName: 't', configs });
    const results = await broker.alterConfigs(
      [
        alter([
          { name: 'segment.ms', value: '1000' },
          { name: 'segment.ms', value: '2000' },
        ]),
        alter([{ name: 'segment.ms', value: null }]),
        alter([{ name: 'segment.ms', value: '0' }]),
      ],
      false,
    );
    expect(results.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_CONFIG]);
    expect(results[2]!.errorMessage).toContain('must be >= 1');
  });

  it('describes the broker only under its own id: another id answers INVALID_REQUEST, the empty name (cluster defaults) nothing', async () => {
    const broker = await open({ 'node.id': '3' });
    const results = broker.describeConfigs(
      [
        { resourceType: ConfigResourceType.BROKER, resourceName: '4', configurationKeys: null },
        { resourceType: ConfigResourceType.BROKER, resourceName: '', configurationKeys: null },
        { resourceType: ConfigResourceType.BROKER, resourceName: '3', configurationKeys: ['log.segment.bytes'] },
      ],
      false,
      true,
    );
    expect(results.map((r) => [r.errorCode, r.configs.length])).toEqual([
      [ErrorCode.INVALID_REQUEST, 0],
      [ErrorCode.NONE, 0],
      [ErrorCode.NONE, 1],
    ]);
    expect(results[2]!.configs[0]).toMatchObject({
      name: 'log.segment.bytes',
      value: '1073741824',
      readOnly: true,
      configType: ConfigType.INT,
      documentation: 'Segment size.',
    });
  });
});
