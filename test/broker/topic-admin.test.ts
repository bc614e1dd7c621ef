import { describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { randomUuid } from '../../src/broker/uuid.js';
import { ErrorCode } from '../../src/errors.js';
import { MAX_PARTITIONS_PER_TOPIC } from '../../src/limits.js';
import { batch, brokersPerTest, produceOne } from './helpers.js';

const brokers = brokersPerTest('topic-admin');
const open = brokers.open;

const topic = (name: string, extra: Record<string, unknown> = {}) => ({ name, numPartitions: 1, replicationFactor: 1, ...extra });

describe('CreateTopics errors, with Kafka error codes', () => {
  it('answers INVALID_REQUEST for a topic named twice in one request, an internal topic name, a duplicate config and assignments mixed with counts', async () => {
    const broker = await open();
    const results = await broker.createTopics(
      [
        topic('twice'),
        topic('twice'),
        topic('__consumer_offsets'),
        topic('dupcfg', {
          configs: [
            { name: 'retention.ms', value: '1' },
            { name: 'retention.ms', value: '2' },
          ],
        }),
        topic('mixed', { assignments: [{ partitionIndex: 0, brokerIds: [0] }] }),
      ],
      false,
    );
    expect(results.map((r) => [r.name, r.errorCode])).toEqual([
      ['twice', ErrorCode.INVALID_REQUEST],
      ['twice', ErrorCode.INVALID_REQUEST],
      ['__consumer_offsets', ErrorCode.INVALID_REQUEST],
      ['dupcfg', ErrorCode.INVALID_REQUEST],
      ['mixed', ErrorCode.INVALID_REQUEST],
    ]);
    expect((await broker.metadata(null, false)).topics).toEqual([]);
  });

  it('answers INVALID_REPLICA_ASSIGNMENT for gaps, unknown brokers, duplicate brokers and empty replica lists', async () => {
    const broker = await open();
    const assigned = (name: string, assignments: { partitionIndex: number; brokerIds: number[] }[]) => ({
      name,
      numPartitions: -1,
      replicationFactor: -1,
      assignments,
    });
    const results = await broker.createTopics(
      [
        assigned('gap', [
          { partitionIndex: 0, brokerIds: [0] },
          { partitionIndex: 2, brokerIds: [0] },
        ]),
        assigned('stranger', [{ partitionIndex: 0, brokerIds: [7] }]),
        assigned('twice', [{ partitionIndex: 0, brokerIds: [0, 0] }]),
        assigned('empty', [{ partitionIndex: 0, brokerIds: [] }]),
        assigned('fine', [
          { partitionIndex: 1, brokerIds: [0] },
          { partitionIndex: 0, brokerIds: [0] },
        ]),
      ],
      false,
    );
    expect(results.map((r) => r.errorCode)).toEqual([
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ErrorCode.NONE,
    ]);
    expect(results[4]).toMatchObject({ numPartitions: 2, replicationFactor: 1 });
    expect(broker.partitionCount('fine')).toBe(2);
  });

  it('answers INVALID_PARTITIONS past the per-topic limit and INVALID_CONFIG for a null config value', async () => {
    const broker = await open();
    const results = await broker.createTopics(
      [topic('huge', { numPartitions: MAX_PARTITIONS_PER_TOPIC + 1 }), topic('nullcfg', { configs: [{ name: 'retention.ms', value: null }] })],
      false,
    );
    expect(results.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_PARTITIONS, ErrorCode.INVALID_CONFIG]);
  });

  it('answers with the configs a created topic has, the overrides marked as topic configs', async () => {
    const broker = await open({ 'log.retention.bytes': '1000' });
    const [r] = await broker.createTopics([topic('described', { configs: [{ name: 'segment.ms', value: '60000' }] })], false);
    const byName = new Map(r!.configs.map((c) => [c.name, c]));
    expect(byName.get('segment.ms')).toMatchObject({ value: '60000', configSource: 1 });
    expect(byName.get('retention.bytes')).toMatchObject({ value: '1000', configSource: 4 });
    expect(byName.get('segment.bytes')).toMatchObject({ value: '1073741824', configSource: 5 });
  });
});

describe('DeleteTopics errors', () => {
  it('answers TOPIC_DELETION_DISABLED when delete.topic.enable is false and keeps the topic', async () => {
    const broker = await open({ 'delete.topic.enable': 'false' });
    await broker.createTopics([topic('kept')], false);
    const [r] = await broker.deleteTopics(['kept']);
    expect(r!.errorCode).toBe(ErrorCode.TOPIC_DELETION_DISABLED);
    expect(broker.partitionCount('kept')).toBe(1);
  });

  it('refuses to delete an internal topic with INVALID_REQUEST, and answers UNKNOWN_TOPIC_ID for an id nobody has', async () => {
    const broker = await open();
    await broker.ensureInternalTopic('__consumer_offsets', 2);
    const results = await broker.deleteTopics(['__consumer_offsets', { name: null, topicId: randomUuid() }]);
    expect(results.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_ID]);
    expect(broker.partitionCount('__consumer_offsets')).toBe(2);
  });

  it('tells the deletion listeners, and a listener that throws neither stops the deletion nor the other listeners', async () => {
    const broker = await open();
    await broker.createTopics([topic('gone')], false);
    const heard: string[] = [];
    broker.onTopicDeleted(() => {
      throw new Error('listener bug');
    });
    broker.onTopicDeleted((name) => heard.push(name));
    const [r] = await broker.deleteTopics(['gone']);
    expect(r!.errorCode).toBe(ErrorCode.NONE);
    expect(heard).toEqual(['gone']);
    expect(broker.partitionCount('gone')).toBe(-1);
  });
});

describe('CreatePartitions errors', () => {
  it('answers INVALID_REQUEST for a topic named twice, UNKNOWN_TOPIC_OR_PARTITION for an unknown one, INVALID_PARTITIONS for a decrease and INVALID_REPLICA_ASSIGNMENT for a wrong assignment count', async () => {
    const broker = await open();
    await broker.createTopics([topic('three', { numPartitions: 3 }), topic('one')], false);
    const results = await broker.createPartitions(
      [
        { name: 'twice', count: 2 },
        { name: 'twice', count: 2 },
        { name: 'nobody', count: 2 },
        { name: 'three', count: 2 },
        { name: 'one', count: 3, assignments: [{ brokerIds: [0] }] },
      ],
      false,
    );
    expect(results.map((r) => r.errorCode)).toEqual([
      ErrorCode.INVALID_REQUEST,
      ErrorCode.INVALID_REQUEST,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.INVALID_PARTITIONS,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    ]);
    expect([broker.partitionCount('three'), broker.partitionCount('one')]).toEqual([3, 1]);
  });
});

describe('auto-creation and internal topics', () => {
  it('answers INVALID_TOPIC_EXCEPTION for an invalid name and INVALID_REPLICATION_FACTOR when default.replication.factor cannot be met, creating nothing', async () => {
    const broker = await open({ 'default.replication.factor': '3' });
    const md = await broker.metadata(['bad name', 'needs-three'], true);
    expect(md.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['bad name', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['needs-three', ErrorCode.INVALID_REPLICATION_FACTOR],
    ]);
    const produced = await produceOne(broker, 'bad name', 0, batch(1));
    expect(produced.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect((await broker.metadata(null, false)).topics).toEqual([]);
  });

  it('never auto-creates an internal topic, and refuses client produce to one that exists', async () => {
    const broker = await open();
    const md = await broker.metadata(['__consumer_offsets'], true);
    expect(md.topics[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, isInternal: true });
    await broker.ensureInternalTopic('__consumer_offsets', 1);
    expect((await produceOne(broker, '__consumer_offsets', 0, batch(1))).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  it('creates an internal topic once: a second ensureInternalTopic returns the first one, whatever partition count it asks for', async () => {
    const broker = await open();
    const first = await broker.ensureInternalTopic('__transaction_state', 3);
    const second = await broker.ensureInternalTopic('__transaction_state', 7);
    expect(second).toEqual(first);
    expect(first.partitionCount).toBe(3);
    await expect(broker.ensureInternalTopic('orders', 1)).rejects.toThrow(/not an internal topic/);
  });

  it('runs concurrent auto-creations of one topic as one creation', async () => {
    const broker = await open({ 'num.partitions': '2' });
    const results = await Promise.all([broker.metadata(['racy'], true), broker.metadata(['racy'], true), produceOne(broker, 'racy', 1, batch(1))]);
    const ids = results.slice(0, 2).map((m) => (m as Awaited<ReturnType<Broker['metadata']>>).topics[0]!.topicId);
    expect(ids[0]).toBe(ids[1]);
    expect(broker.topicId('racy')).toBe(ids[0]);
    expect(broker.partitionCount('racy')).toBe(2);
  });
});
