/**
 * The transactional producer of connect() against a `sluice serve` process: the requests go
 * over the wire to the daemon's transaction and group coordinators (FindCoordinator key type 1,
 * InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn), and a
 * read_committed consumer sees the committed transaction only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type KafkaClient } from '../../src/client/connect.js';
import { ProducerFencedError } from '../../src/client/transaction-manager.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { quietLogger } from '../helpers/logger.js';
import { waitFor } from './helpers.js';

describe('transactions with connect() to sluice serve', () => {
  let broker: BrokerProcess;
  let client: KafkaClient;

  beforeAll(async () => {
    broker = await startBrokerProcess();
    client = await connect({ brokers: [`127.0.0.1:${broker.port}`], clientId: 'txn-serve-test', logger: quietLogger() });
  });

  afterAll(async () => {
    await client?.close();
    await broker?.kill();
  });

  it('commits records and offsets together, never shows an aborted transaction, and fences an older producer', async () => {
    const admin = client.admin();
    await admin.createTopics({
      topics: [
        { topic: 'txn-in', numPartitions: 1 },
        { topic: 'txn-out', numPartitions: 2 },
      ],
    });
    const producer = client.producer({ transactionalId: 'serve-tx' });

    const aborted = await producer.transaction();
    await aborted.send({ topic: 'txn-out', messages: [{ value: 'aborted', partition: 0 }] });
    await aborted.sendOffsets({ consumerGroupId: 'upstream', topics: [{ topic: 'txn-in', partitions: [{ partition: 0, offset: '3' }] }] });
    await aborted.abort();

    const txn = await producer.transaction();
    await txn.send({ topic: 'txn-out', messages: [{ value: 'committed-0', partition: 0 }] });
    await txn.send({ topic: 'txn-out', messages: [{ value: 'committed-1', partition: 1 }] });
    await txn.sendOffsets({ consumerGroupId: 'upstream', topics: [{ topic: 'txn-in', partitions: [{ partition: 0, offset: '9' }] }] });
    await txn.commit();

    const consumer = client.consumer({ groupId: 'txn-readers', maxWaitTimeInMs: 50 });
    await consumer.subscribe({ topic: 'txn-out', fromBeginning: true });
    const values: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void values.push(String(message.value)) });
    await waitFor('the committed records', () => values.length >= 2);
    await consumer.disconnect();
    expect(values.sort()).toEqual(['committed-0', 'committed-1']);
    await waitFor('the offset committed with the transaction', async () => {
      const [t] = await admin.fetchOffsets({ groupId: 'upstream', topics: ['txn-in'] });
      return t?.partitions[0]?.offset === 9n;
    });

    const successor = client.producer({ transactionalId: 'serve-tx' });
    await successor.connect();
    const zombie = await producer.transaction();
    await expect(zombie.send({ topic: 'txn-out', messages: [{ value: 'zombie', partition: 1 }] })).rejects.toBeInstanceOf(ProducerFencedError);
    await expect(producer.transaction()).rejects.toBeInstanceOf(ProducerFencedError);
    await successor.disconnect();
  });
});
