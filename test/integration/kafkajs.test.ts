/**
 * The real daemon driven by kafkajs: its admin client (topics, metadata, offsets, configs,
 * partitions, records deletion, cluster) and producer (acks 0 / 1 / -1 with keys, headers and
 * timestamps; idempotent). What it produces is read back with kcat and with raw Fetch requests;
 * a raw re-send of an idempotent batch checks duplicate detection. Consumer groups:
 * kafkajs-groups.test.ts.
 */
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { fetchApi, listOffsetsApi, produceApi } from '../../src/protocol/index.js';
import { decodeRecordBatchHeader, encodeRecordBatch } from '../../src/records/index.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { RawKafkaSocket } from '../helpers/kafka-protocol.js';
import { kcatConsume } from '../helpers/kcat.js';
import { ensureKcat } from '../helpers/system-tools.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;

let broker: BrokerProcess;
let kafka: InstanceType<typeof Kafka>;
let admin: ReturnType<InstanceType<typeof Kafka>['admin']>;
let raw: RawKafkaSocket;
const bootstrap = (): string => `127.0.0.1:${broker.port}`;

beforeAll(async () => {
  ensureKcat();
  broker = await startBrokerProcess();
  kafka = new Kafka({ clientId: 'sluice-it', brokers: [bootstrap()], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
  admin = kafka.admin();
  await admin.connect();
  raw = await RawKafkaSocket.connect(broker.port);
});

afterAll(async () => {
  raw?.destroy();
  await admin?.disconnect();
  await broker?.kill();
});

async function rawFetch(topic: string, partition: number, fetchOffset: bigint): Promise<Buffer> {
  const r = await raw.request(fetchApi, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    topics: [{ topic, partitions: [{ partition, fetchOffset, partitionMaxBytes: 1 << 20 }] }],
  });
  const p = r.responses[0]!.partitions[0]!;
  expect(p.errorCode).toBe(0);
  return p.records!;
}

async function logEndOffset(topic: string, partition: number): Promise<bigint> {
  const r = await raw.request(listOffsetsApi, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp: -1n }] }],
  });
  return r.topics[0]!.partitions[0]!.offset;
}

describe('kafkajs admin', () => {
  it('creates topics (false when they already exist) and lists them', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 2 }, { topic: 'admin-b' }], waitForLeaders: true })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 2 }] })).toBe(false);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['admin-a', 'admin-b']));
  });

  it('fetches topic metadata: partitions led by node 0', async () => {
    const md = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
    expect(md.topics).toHaveLength(1);
    expect(
      md.topics[0]!.partitions.map((p) => ({ id: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr })).sort((a, b) => a.id - b.id),
    ).toEqual([
      { id: 0, leader: 0, replicas: [0], isr: [0] },
      { id: 1, leader: 0, replicas: [0], isr: [0] },
    ]);
  });

  it('describes the cluster: this node, its bound port, itself as controller', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: broker.port }]);
    expect(cluster.controller).toBe(0);
    expect(cluster.clusterId.length).toBeGreaterThan(0);
  });

  it('describes and alters topic configs', async () => {
    const describe = async () => {
      const r = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-b', configNames: ['retention.ms', 'cleanup.policy'] }],
      });
      return Object.fromEntries(r.resources[0]!.configEntries.map((e) => [e.configName, { value: e.configValue, isDefault: e.isDefault }]));
    };
    expect(await describe()).toEqual({ 'retention.ms': { value: '604800000', isDefault: true }, 'cleanup.policy': { value: 'delete', isDefault: true } });
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-b', configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
    });
    expect((await describe())['retention.ms']).toEqual({ value: '3600000', isDefault: false });
    await expect(
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-b', configEntries: [{ name: 'retention.ms', value: 'soon' }] }],
      }),
    ).rejects.toThrow();
  });

  it('adds partitions', async () => {
    await admin.createPartitions({ topicPartitions: [{ topic: 'admin-b', count: 4 }] });
    const md = await admin.fetchTopicMetadata({ topics: ['admin-b'] });
    expect(md.topics[0]!.partitions).toHaveLength(4);
  });

  it('fetches offsets (latest, by timestamp) and deletes records', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const t0 = Date.now() - 10_000;
    await producer.send({
      topic: 'admin-a',
      messages: Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `v${i}`, timestamp: String(t0 + i * 1000) })),
    });
    await producer.disconnect();

    const offsets = await admin.fetchTopicOffsets('admin-a');
    expect(offsets.find((o) => o.partition === 0)).toMatchObject({ offset: '5', high: '5', low: '0' });
    expect(offsets.find((o) => o.partition === 1)).toMatchObject({ offset: '0', high: '0', low: '0' });

    const byTime = await admin.fetchTopicOffsetsByTimestamp('admin-a', t0 + 2500);
    expect(byTime.find((o) => o.partition === 0)!.offset).toBe('3');

    await admin.deleteTopicRecords({ topic: 'admin-a', partitions: [{ partition: 0, offset: '2' }] });
    expect((await admin.fetchTopicOffsets('admin-a')).find((o) => o.partition === 0)).toMatchObject({ low: '2', high: '5' });
    expect(await kcatConsume(bootstrap(), 'admin-a', { partition: 0, format: '%o %s\\n', expectLines: 3 })).toEqual(['2 v2', '3 v3', '4 v4']);
  });

  it('deletes topics', async () => {
    await admin.deleteTopics({ topics: ['admin-b'] });
    expect(await admin.listTopics()).not.toContain('admin-b');
  });
});

describe('kafkajs producer', () => {
  for (const acks of [0, 1, -1]) {
    it(`sends keys, headers and timestamps with acks=${acks}, read back by kcat`, async () => {
      const topic = `kjs-acks-${acks === -1 ? 'all' : acks}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const t0 = 1_700_000_000_000;
      const result = await producer.send({
        topic,
        acks,
        messages: Array.from({ length: 10 }, (_, i) => ({
          key: `k${i}`,
          value: `value ${i}`,
          headers: { trace: `t${i}`, app: 'it' },
          timestamp: String(t0 + i),
        })),
      });
      if (acks !== 0) expect(result[0]).toMatchObject({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' });
      await producer.disconnect();
      const got = await kcatConsume(bootstrap(), topic, { format: '%k|%s|%h|%T|%o\\n', expectLines: 10 });
      expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}|value ${i}|trace=t${i},app=it|${t0 + i}|${i}`));
    });
  }

  it('gzip-compressed sends are stored as they were sent', async () => {
    const topic = 'kjs-gzip';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, compression: kafkajs.CompressionTypes.GZIP, messages: Array.from({ length: 50 }, (_, i) => ({ value: `gz-${i}` })) });
    await producer.disconnect();
    const stored = await rawFetch(topic, 0, 0n);
    expect(decodeRecordBatchHeader(stored, 0).compression).toBe(1);
    expect(await kcatConsume(bootstrap(), topic, { expectLines: 50 })).toEqual(Array.from({ length: 50 }, (_, i) => `gz-${i}`));
  });

  it('idempotent producer: a raw re-send of its batch is a duplicate, not appended twice', async () => {
    const topic = 'kjs-idempotent';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: 'one' }, { value: 'two' }, { value: 'three' }] });

    const stored = await rawFetch(topic, 0, 0n);
    const header = decodeRecordBatchHeader(stored, 0);
    expect(header.producerId).toBeGreaterThanOrEqual(0n);
    expect(header.baseSequence).toBe(0);
    expect(await logEndOffset(topic, 0)).toBe(3n);

    // The same batch again (same producer id, epoch and sequence): Kafka answers NONE with the
    // original offset and appends nothing.
    const batch = stored.subarray(0, 12 + header.batchLength);
    const dup = await raw.request(produceApi, 9, {
      acks: -1,
      timeoutMs: 5000,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, records: Buffer.from(batch) }] }],
    });
    expect(dup.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await logEndOffset(topic, 0)).toBe(3n);

    // A gap in the sequence is refused.
    const gap = encodeRecordBatch([{ value: 'gap' }], { producerId: header.producerId, producerEpoch: header.producerEpoch, baseSequence: 10 });
    const refused = await raw.request(produceApi, 9, {
      acks: -1,
      timeoutMs: 5000,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, records: gap }] }],
    });
    expect(refused.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);

    // The producer carries on at sequence 3.
    await producer.send({ topic, acks: -1, messages: [{ value: 'four' }] });
    await producer.disconnect();
    expect(await logEndOffset(topic, 0)).toBe(4n);
    expect(await kcatConsume(bootstrap(), topic, { format: '%o %s\\n', expectLines: 4 })).toEqual(['0 one', '1 two', '2 three', '3 four']);
  });
});
