import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { AlterConfigOp, ConfigResourceType, ConfigSource } from '../../src/broker/config-types.js';
import { ZERO_UUID } from '../../src/broker/uuid.js';
import { TopicRegistry } from '../../src/broker/topic-registry.js';
import { ErrorCode } from '../../src/errors.js';
import { removeDir, tempDir } from '../helpers/storage.js';
import { batch, fetchOne, brokersPerTest, openBroker, produceOne, valuesOf } from './helpers.js';

const brokers = brokersPerTest('broker-topics');
const open = brokers.open;

function topicConfig(broker: Broker, topic: string, name: string) {
  const [r] = broker.describeConfigs([{ resourceType: ConfigResourceType.TOPIC, resourceName: topic, configurationKeys: [name] }], true, false);
  return r!.configs[0]!;
}

describe('CreateTopics', () => {
  it('creates a topic with its partitions, a topic id and validated configs, and lists it in metadata', async () => {
    const broker = await open();
    const [r] = await broker.createTopics(
      [{ name: 'orders', numPartitions: 3, replicationFactor: -1, configs: [{ name: 'retention.ms', value: '60000' }] }],
      false,
    );
    expect(r).toMatchObject({ name: 'orders', errorCode: ErrorCode.NONE, numPartitions: 3, replicationFactor: 1 });
    expect(r!.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(r!.topicId).not.toBe(ZERO_UUID);
    expect(r!.configs.find((c) => c.name === 'retention.ms')).toMatchObject({ value: '60000', configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    const md = await broker.metadata(['orders'], false);
    expect(md.topics[0]).toMatchObject({ errorCode: 0, name: 'orders', topicId: r!.topicId, isInternal: false });
    expect(md.topics[0]!.partitions.map((p) => [p.partitionIndex, p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes])).toEqual([
      [0, 0, 0, [0], [0]],
      [1, 0, 0, [0], [0]],
      [2, 0, 0, [0], [0]],
    ]);
    expect(broker.partition('orders', 1)!.log.config.retentionMs).toBe(60000);
    expect(fs.readFileSync(path.join(brokers.dir, 'orders-0', 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n1\n0 0\n');
    expect(fs.readFileSync(path.join(brokers.dir, 'orders-0', 'partition.metadata'), 'utf8')).toBe(`version: 0\ntopic_id: ${r!.topicId}\n`);
  });

  it('answers TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG and INVALID_TOPIC_EXCEPTION', async () => {
    const broker = await open();
    await broker.createTopics([{ name: 'a.b', numPartitions: 1, replicationFactor: 1 }], false);
    const results = await broker.createTopics(
      [
        { name: 'a.b', numPartitions: 1, replicationFactor: 1 },
        { name: 'zero', numPartitions: 0, replicationFactor: 1 },
        { name: 'rf3', numPartitions: 1, replicationFactor: 3 },
        { name: 'badcfg', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'retention.ms', value: 'soon' }] },
        { name: 'unknowncfg', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'no.such.config', value: '1' }] },
        { name: 'bad name', numPartitions: 1, replicationFactor: 1 },
        { name: '..', numPartitions: 1, replicationFactor: 1 },
        { name: 'x'.repeat(250), numPartitions: 1, replicationFactor: 1 },
        { name: 'a_b', numPartitions: 1, replicationFactor: 1 },
      ],
      false,
    );
    expect(results.map((r) => r.errorCode)).toEqual([
      ErrorCode.TOPIC_ALREADY_EXISTS,
      ErrorCode.INVALID_PARTITIONS,
      ErrorCode.INVALID_REPLICATION_FACTOR,
      ErrorCode.INVALID_CONFIG,
      ErrorCode.INVALID_CONFIG,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
    ]);
    expect(results[8]!.errorMessage).toContain('collides');
    expect((await broker.metadata(null, false)).topics.map((t) => t.name)).toEqual(['a.b']);
  });

  it('validates without creating when validateOnly is set', async () => {
    const broker = await open();
    const [r] = await broker.createTopics([{ name: 'dry', numPartitions: 2, replicationFactor: 1 }], true);
    expect(r).toMatchObject({ errorCode: 0, numPartitions: 2, topicId: ZERO_UUID });
    expect((await broker.metadata(['dry'], false)).topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('keeps topics, ids, partition counts and config overrides across a reopen', async () => {
    const first = await open();
    const [r] = await first.createTopics(
      [{ name: 'kept', numPartitions: 2, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] }],
      false,
    );
    await first.incrementalAlterConfigs(
      [
        {
          resourceType: ConfigResourceType.TOPIC,
          resourceName: 'kept',
          configs: [{ name: 'retention.bytes', configOperation: AlterConfigOp.SET, value: '1000' }],
        },
      ],
      false,
    );
    await first.createPartitions([{ name: 'kept', count: 4 }], false);
    await first.createTopics([{ name: 'gone', numPartitions: 1, replicationFactor: 1 }], false);
    await first.deleteTopics(['gone']);
    await first.close();
    const second = await open();
    const md = await second.metadata(null, false);
    expect(md.topics.map((t) => [t.name, t.topicId, t.partitions.length])).toEqual([['kept', r!.topicId, 4]]);
    expect(topicConfig(second, 'kept', 'cleanup.policy').value).toBe('compact');
    expect(topicConfig(second, 'kept', 'retention.bytes').value).toBe('1000');
    expect(second.partition('kept', 3)!.log.config.retentionBytes).toBe(1000);
    expect(fs.existsSync(path.join(brokers.dir, 'gone-0'))).toBe(false);
    expect(second.clusterId).toBe(first.clusterId);
  });
});

describe('recovery of topic metadata', () => {
  it('finishes a topic deletion that a crash interrupted after the metadata was written', async () => {
    const first = await open();
    await first.createTopics([{ name: 'half', numPartitions: 2, replicationFactor: 1 }], false);
    await produceOne(first, 'half', 1, batch(3));
    await first.close();
    brokers.forget();
    // What deleteTopics has persisted before it removes the logs.
    await TopicRegistry.load(brokers.dir).remove('half');
    expect(fs.existsSync(path.join(brokers.dir, 'half-1'))).toBe(true);
    const second = await open();
    expect(fs.existsSync(path.join(brokers.dir, 'half-0'))).toBe(false);
    expect(fs.existsSync(path.join(brokers.dir, 'half-1'))).toBe(false);
    expect((await second.metadata(null, false)).topics).toEqual([]);
    expect(TopicRegistry.load(brokers.dir).deleting.size).toBe(0);
  });

  it('adopts a partition directory copied in from elsewhere as a topic, keeping its topic id', async () => {
    const source = tempDir('broker-source');
    try {
      const a = await openBroker(source);
      await a.createTopics([{ name: 'moved', numPartitions: 1, replicationFactor: 1 }], false);
      await produceOne(a, 'moved', 0, batch(2, 'kept'));
      const id = a.topicId('moved');
      await a.close();
      const b = await open();
      await b.close();
      brokers.forget();
      fs.cpSync(path.join(source, 'moved-0'), path.join(brokers.dir, 'moved-0'), { recursive: true });
      const c = await open();
      expect(c.topicId('moved')).toBe(id);
      expect(valuesOf((await fetchOne(c, 'moved', 0, 0n)).records)).toEqual(['kept-0', 'kept-1']);
    } finally {
      removeDir(source);
    }
  });
});

describe('DeleteTopics and CreatePartitions', () => {
  it('deletes by name and by id, removing the logs, and reports unknown topics and ids', async () => {
    const broker = await open();
    const [a] = await broker.createTopics([{ name: 'a', numPartitions: 2, replicationFactor: 1 }], false);
    await broker.createTopics([{ name: 'b', numPartitions: 1, replicationFactor: 1 }], false);
    const results = await broker.deleteTopics([{ topicId: a!.topicId }, { name: 'b' }, { name: 'nope' }, { topicId: 'AAAAAAAAAAAAAAAAAAAAAw' }]);
    expect(results.map((r) => [r.name, r.errorCode])).toEqual([
      ['a', ErrorCode.NONE],
      ['b', ErrorCode.NONE],
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [null, ErrorCode.UNKNOWN_TOPIC_ID],
    ]);
    expect(fs.existsSync(path.join(brokers.dir, 'a-0'))).toBe(false);
    expect(fs.existsSync(path.join(brokers.dir, 'a-1'))).toBe(false);
    expect((await produceOne(broker, 'a', 0, batch(1))).errorCode).toBe(0); // auto-created anew
    expect(broker.topicId('a')).not.toBe(a!.topicId);
  });

  it('adds partitions only when the count grows', async () => {
    const broker = await open();
    await broker.createTopics([{ name: 't', numPartitions: 2, replicationFactor: 1 }], false);
    const results = await broker.createPartitions(
      [
        { name: 't', count: 5 },
        { name: 'missing', count: 2 },
      ],
      false,
    );
    expect(results.map((r) => r.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const again = await broker.createPartitions([{ name: 't', count: 5 }], false);
    expect(again[0]!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    const fewer = await broker.createPartitions([{ name: 't', count: 3 }], false);
    expect(fewer[0]!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    const badAssignment = await broker.createPartitions([{ name: 't', count: 6, assignments: [{ brokerIds: [9] }] }], false);
    expect(badAssignment[0]!.errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect((await broker.metadata(['t'], false)).topics[0]!.partitions).toHaveLength(5);
    expect((await produceOne(broker, 't', 4, batch(2))).errorCode).toBe(0);
  });
});

describe('auto-creation', () => {
  it('creates unknown topics on produce and on metadata with num.partitions', async () => {
    const broker = await open({ 'num.partitions': 3 });
    const p = await produceOne(broker, 'auto-produce', 2, batch(2));
    expect(p).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const md = await broker.metadata(['auto-meta', 'auto-produce'], true);
    expect(md.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([
      ['auto-meta', 0, 3],
      ['auto-produce', 0, 3],
    ]);
  });

  it('does not create topics when auto.create.topics.enable is false or the request does not allow it', async () => {
    const off = await open({ 'auto.create.topics.enable': false });
    expect((await produceOne(off, 'nope', 0, batch(1))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await off.metadata(['nope'], true)).topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    await off.close();
    brokers.forget();
    const on = await open();
    expect((await on.metadata(['nope'], false)).topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const [t] = await on.produce(1, 1000, [{ name: 'nope', partitions: [{ index: 0, records: batch(1) }] }], { allowAutoTopicCreation: false });
    expect(t!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await on.metadata(['bad/name'], true)).topics[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect((await on.metadata(null, false)).topics).toEqual([]);
  });
});

describe('configs', () => {
  it('describes topic configs with their sources: topic override, static broker setting, default', async () => {
    const broker = await open({ 'log.retention.hours': 48 });
    await broker.createTopics([{ name: 'c', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'segment.bytes', value: '1048576' }] }], false);
    const [r] = broker.describeConfigs([{ resourceType: ConfigResourceType.TOPIC, resourceName: 'c', configurationKeys: null }], true, true);
    expect(r!.errorCode).toBe(0);
    const byName = new Map(r!.configs.map((c) => [c.name, c]));
    expect(byName.get('segment.bytes')).toMatchObject({ value: '1048576', configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG, isDefault: false, readOnly: false });
    expect(byName.get('retention.ms')).toMatchObject({ value: String(48 * 3_600_000), configSource: ConfigSource.STATIC_BROKER_CONFIG });
    expect(byName.get('retention.ms')!.synonyms).toEqual([
      { name: 'log.retention.hours', value: '48', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
    ]);
    expect(byName.get('cleanup.policy')).toMatchObject({ value: 'delete', configSource: ConfigSource.DEFAULT_CONFIG, isDefault: true });
    expect(byName.get('max.message.bytes')!.value).toBe('1048588');
    expect(byName.get('min.insync.replicas')!.documentation).toBeTypeOf('string');
    const [missing] = broker.describeConfigs([{ resourceType: ConfigResourceType.TOPIC, resourceName: 'none', configurationKeys: null }], false, false);
    expect(missing!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('describes the broker: static settings, defaults, and unknown keys kept as given', async () => {
    const broker = await open({ 'num.partitions': 4, 'custom.thing': 'x' });
    const [r] = broker.describeConfigs(
      [{ resourceType: ConfigResourceType.BROKER, resourceName: '0', configurationKeys: ['num.partitions', 'message.max.bytes', 'custom.thing'] }],
      false,
      false,
    );
    expect(r!.configs.map((c) => [c.name, c.value, c.configSource, c.readOnly])).toEqual([
      ['custom.thing', 'x', ConfigSource.STATIC_BROKER_CONFIG, true],
      ['message.max.bytes', '1048588', ConfigSource.DEFAULT_CONFIG, true],
      ['num.partitions', '4', ConfigSource.STATIC_BROKER_CONFIG, true],
    ]);
    const [other] = broker.describeConfigs([{ resourceType: ConfigResourceType.BROKER, resourceName: '5', configurationKeys: null }], false, false);
    expect(other!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('applies incrementalAlterConfigs to the live log and supports SET, DELETE, APPEND and SUBTRACT', async () => {
    const broker = await open();
    await broker.createTopics([{ name: 'live', numPartitions: 2, replicationFactor: 1 }], false);
    const set = await broker.incrementalAlterConfigs(
      [
        {
          resourceType: ConfigResourceType.TOPIC,
          resourceName: 'live',
          configs: [
            { name: 'retention.ms', configOperation: AlterConfigOp.SET, value: '1234' },
            { name: 'max.message.bytes', configOperation: AlterConfigOp.SET, value: '200' },
            { name: 'cleanup.policy', configOperation: AlterConfigOp.APPEND, value: 'compact' },
          ],
        },
      ],
      false,
    );
    expect(set[0]!.errorCode).toBe(0);
    expect(broker.partition('live', 0)!.log.config.retentionMs).toBe(1234);
    expect(broker.partition('live', 1)!.log.config.maxMessageBytes).toBe(200);
    expect(topicConfig(broker, 'live', 'cleanup.policy').value).toBe('delete,compact');
    expect((await produceOne(broker, 'live', 0, batch(20, 'x'.repeat(20)))).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    const del = await broker.incrementalAlterConfigs(
      [
        {
          resourceType: ConfigResourceType.TOPIC,
          resourceName: 'live',
          configs: [
            { name: 'retention.ms', configOperation: AlterConfigOp.DELETE, value: null },
            { name: 'cleanup.policy', configOperation: AlterConfigOp.SUBTRACT, value: 'delete' },
          ],
        },
      ],
      false,
    );
    expect(del[0]!.errorCode).toBe(0);
    expect(broker.partition('live', 0)!.log.config.retentionMs).toBe(7 * 24 * 3_600_000);
    expect(topicConfig(broker, 'live', 'retention.ms').configSource).toBe(ConfigSource.DEFAULT_CONFIG);
    expect(topicConfig(broker, 'live', 'cleanup.policy').value).toBe('compact');
    const bad = await broker.incrementalAlterConfigs(
      [
        {
          resourceType: ConfigResourceType.TOPIC,
          resourceName: 'live',
          configs: [{ name: 'retention.ms', configOperation: AlterConfigOp.APPEND, value: '1' }],
        },
        { resourceType: ConfigResourceType.TOPIC, resourceName: 'live', configs: [{ name: 'segment.bytes', configOperation: AlterConfigOp.SET, value: '1' }] },
        { resourceType: ConfigResourceType.TOPIC, resourceName: 'missing', configs: [] },
        { resourceType: ConfigResourceType.BROKER, resourceName: '0', configs: [] },
      ],
      false,
    );
    expect(bad.map((r) => r.errorCode)).toEqual([
      ErrorCode.INVALID_CONFIG,
      ErrorCode.INVALID_CONFIG,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.INVALID_REQUEST,
    ]);
  });

  it('replaces every override with alterConfigs, and validateOnly changes nothing', async () => {
    const broker = await open();
    await broker.createTopics(
      [
        {
          name: 'r',
          numPartitions: 1,
          replicationFactor: 1,
          configs: [
            { name: 'retention.ms', value: '1000' },
            { name: 'segment.ms', value: '5000' },
          ],
        },
      ],
      false,
    );
    const dry = await broker.alterConfigs(
      [{ resourceType: ConfigResourceType.TOPIC, resourceName: 'r', configs: [{ name: 'retention.bytes', value: '10' }] }],
      true,
    );
    expect(dry[0]!.errorCode).toBe(0);
    expect(topicConfig(broker, 'r', 'retention.ms').value).toBe('1000');
    await broker.alterConfigs([{ resourceType: ConfigResourceType.TOPIC, resourceName: 'r', configs: [{ name: 'retention.bytes', value: '10' }] }], false);
    expect(topicConfig(broker, 'r', 'retention.ms').configSource).toBe(ConfigSource.DEFAULT_CONFIG);
    expect(topicConfig(broker, 'r', 'segment.ms').configSource).toBe(ConfigSource.DEFAULT_CONFIG);
    expect(topicConfig(broker, 'r', 'retention.bytes').value).toBe('10');
    const log = broker.partition('r', 0)!.log;
    expect([log.config.retentionMs, log.config.segmentMs, log.config.retentionBytes]).toEqual([7 * 24 * 3_600_000, 7 * 24 * 3_600_000, 10]);
  });
});

describe('cluster identity', () => {
  it('writes meta.properties with a cluster id on first start and refuses a different configured cluster.id', async () => {
    const broker = await open();
    const text = fs.readFileSync(path.join(brokers.dir, 'meta.properties'), 'utf8');
    expect(text).toContain(`cluster.id=${broker.clusterId}`);
    expect(text).toContain('node.id=0');
    expect(broker.describeCluster()).toMatchObject({
      errorCode: 0,
      clusterId: broker.clusterId,
      controllerId: 0,
      brokers: [{ nodeId: 0, host: '127.0.0.1', port: 9092 }],
    });
    await broker.close();
    brokers.forget();
    await expect(openBroker(brokers.dir, { 'cluster.id': 'AAAAAAAAAAAAAAAAAAAAAB' })).rejects.toThrow(/does not match/);
    await expect(openBroker(brokers.dir, { 'node.id': 4 })).rejects.toThrow(/does not match/);
  });
});
