/**
 * connect(): the network client against a `sluice serve` process (the client suites in this
 * directory run against an in-process listener), and the one Kafka error table both transports
 * use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type KafkaClient } from '../../src/client/connect.js';
import { ErrorCode, KAFKA_ERRORS, KafkaError, errorInfo, errorNameOf } from '../../src/errors.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { quietLogger } from '../helpers/logger.js';
import { waitFor } from './helpers.js';

describe('connect() to sluice serve', () => {
  let broker: BrokerProcess;
  let client: KafkaClient;

  beforeAll(async () => {
    broker = await startBrokerProcess();
    client = await connect({ brokers: [`127.0.0.1:${broker.port}`], clientId: 'connect-test', logger: quietLogger() });
  });

  afterAll(async () => {
    await client?.close();
    await broker?.kill();
  });

  it('produces idempotently to every partition leader and a consumer group reads each record once', async () => {
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'remote', numPartitions: 3 }] });
    const producer = client.producer();
    const sends = Array.from({ length: 20 }, (_, i) =>
      producer.send({ topic: 'remote', messages: Array.from({ length: 10 }, (_, j) => ({ key: `k${i}-${j}`, value: `v${i * 10 + j}` })) }),
    );
    await Promise.all(sends);
    expect(producer.producerIdentity.producerId).toBeGreaterThanOrEqual(0n);
    const offsets = await admin.fetchTopicOffsets('remote');
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(200);

    const consumer = client.consumer({ groupId: 'remote-readers', maxWaitTimeInMs: 50 });
    await consumer.subscribe({ topic: 'remote', fromBeginning: true });
    const values = new Set<string>();
    let count = 0;
    await consumer.run({ eachMessage: async ({ message }) => void (values.add(String(message.value)), count++) });
    await waitFor('200 records', () => count >= 200);
    await consumer.disconnect();
    expect(count).toBe(200);
    expect(values.size).toBe(200);
    const committed = await admin.fetchOffsets({ groupId: 'remote-readers', topics: ['remote'] });
    expect(committed[0]!.partitions.map((p) => p.offset)).toEqual(offsets.map((p) => p.high));
  });

  it('refuses SASL credentials it cannot use yet instead of connecting unauthenticated', async () => {
    await expect(connect({ brokers: [`127.0.0.1:${broker.port}`], sasl: { mechanism: 'plain', username: 'u', password: 'p' } })).rejects.toMatchObject({
      errorName: 'UNSUPPORTED_SASL_MECHANISM',
    });
  });
});

describe('the Kafka error table', () => {
  it('names each code once, with its retriable class and a message', () => {
    const names = new Set<string>();
    for (const [code, e] of KAFKA_ERRORS) {
      expect(e.code).toBe(code);
      expect(names.has(e.name)).toBe(false);
      names.add(e.name);
      expect(e.message.length).toBeGreaterThan(0);
      expect(ErrorCode[e.name]).toBe(code);
    }
    expect(errorInfo(ErrorCode.NOT_LEADER_OR_FOLLOWER).retriable).toBe(true);
    expect(errorInfo(ErrorCode.REBALANCE_IN_PROGRESS).retriable).toBe(false);
    expect(errorNameOf(9999)).toBe('UNKNOWN_SERVER_ERROR');
    expect(new KafkaError('LEADER_NOT_AVAILABLE', 'x').retriable).toBe(true);
  });
});
