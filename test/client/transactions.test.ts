/**
 * Transactions end to end with sluice's own clients, in process and over the network
 * (connect() to the Sluice's listener): commit and abort as read_committed consumers see
 * them, offsets committed with the transaction, fencing of a zombie producer, and the last
 * stable offset held back by an open transaction.
 */
import { describe, expect, it } from 'vitest';
import type { Sluice } from '../../src/sluice.js';
import { KafkaError } from '../../src/errors.js';
import { ProducerFencedError } from '../../src/client/transaction-manager.js';
import { TRANSPORTS, sluicePerTest, waitFor } from './helpers.js';

/** Every value a consumer of `topic` sees (read_committed unless `readUncommitted`). */
async function collect(sluice: Sluice, topic: string, groupId: string, readUncommitted = false): Promise<{ values: string[]; stop(): Promise<void> }> {
  const c = sluice.consumer({ groupId, readUncommitted, heartbeatInterval: 100, maxWaitTimeInMs: 50 });
  await c.subscribe({ topics: [topic], fromBeginning: true });
  const values: string[] = [];
  await c.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
  return { values, stop: () => c.disconnect() };
}

/** The in-process broker's offsets of a partition: [high watermark, last stable offset]. */
async function offsets(sluice: Sluice, topic: string, partition: number): Promise<[bigint, bigint]> {
  const at = async (isolationLevel: number): Promise<bigint> => {
    const [t] = await sluice.transport.listOffsets(isolationLevel, [{ name: topic, partitions: [{ partition, timestamp: -1n }] }]);
    return t!.partitions[0]!.offset;
  };
  return [await at(0), await at(1)];
}

describe.each(TRANSPORTS)('transactions over the %s transport', (transport) => {
  const open = sluicePerTest(transport);

  it('makes a committed transaction visible to read_committed consumers, and an aborted one never', async () => {
    const { sluice } = await open();
    await sluice.admin().createTopics({ topics: [{ topic: 'out', numPartitions: 2 }] });
    const producer = sluice.producer({ transactionalId: 'tx-commit' });

    const aborted = await producer.transaction();
    await aborted.send({ topic: 'out', messages: [{ value: 'aborted-0', partition: 0 }] });
    await aborted.send({ topic: 'out', messages: [{ value: 'aborted-1', partition: 1 }] });
    await aborted.abort();
    expect(aborted.isActive()).toBe(false);

    const committed = await producer.transaction();
    await committed.sendBatch({
      topicMessages: [
        {
          topic: 'out',
          messages: [
            { value: 'committed-0', partition: 0 },
            { value: 'committed-1', partition: 1 },
          ],
        },
      ],
    });
    await committed.commit();

    const readCommitted = await collect(sluice, 'out', 'rc');
    const readUncommitted = await collect(sluice, 'out', 'ru', true);
    await waitFor('both committed records', () => readCommitted.values.length === 2);
    await waitFor('all four records, read uncommitted', () => readUncommitted.values.length === 4);
    expect(readCommitted.values.sort()).toEqual(['committed-0', 'committed-1']);
    expect(readUncommitted.values.sort()).toEqual(['aborted-0', 'aborted-1', 'committed-0', 'committed-1']);
    await readCommitted.stop();
    await readUncommitted.stop();
    await producer.disconnect();
  });

  it('commits the offsets sent with a transaction only when it commits', async () => {
    const { sluice } = await open();
    await sluice.admin().createTopics({ topics: [{ topic: 'in', numPartitions: 1 }] });
    await sluice.admin().createTopics({ topics: [{ topic: 'out', numPartitions: 1 }] });
    const admin = sluice.admin();
    const committedOffset = async (): Promise<bigint> => (await admin.fetchOffsets({ groupId: 'ctp', topics: ['in'] }))[0]!.partitions[0]!.offset;
    const producer = sluice.producer({ transactionalId: 'tx-offsets' });

    const aborted = await producer.transaction();
    await aborted.send({ topic: 'out', messages: [{ value: 'x' }] });
    await aborted.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '5' }] }] });
    await aborted.abort();
    expect(await committedOffset()).toBe(-1n);

    const txn = await producer.transaction();
    await txn.send({ topic: 'out', messages: [{ value: 'y' }] });
    await txn.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '7' }] }] });
    expect(await committedOffset()).toBe(-1n);
    await txn.commit();
    await waitFor('the offset committed with the transaction', async () => (await committedOffset()) === 7n);
    await producer.disconnect();
  });

  it('fences the older producer when a new one initialises with the same transactional id', async () => {
    const { sluice } = await open();
    await sluice.admin().createTopics({ topics: [{ topic: 'out', numPartitions: 1 }] });
    const zombie = sluice.producer({ transactionalId: 'tx-fence' });
    const zombieTxn = await zombie.transaction();
    await zombieTxn.send({ topic: 'out', messages: [{ value: 'zombie' }] });

    const successor = sluice.producer({ transactionalId: 'tx-fence' });
    await successor.connect();
    expect(successor.producerIdentity.producerEpoch).toBeGreaterThan(zombie.producerIdentity.producerEpoch);

    const late = await zombieTxn.send({ topic: 'out', messages: [{ value: 'zombie-late' }] }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(KafkaError);
    const commit = await zombieTxn.commit().catch((e: unknown) => e);
    expect(commit).toBeInstanceOf(KafkaError);
    const abort = await zombieTxn.abort().catch((e: unknown) => e);
    expect(abort).toBeInstanceOf(ProducerFencedError);
    await expect(zombie.transaction()).rejects.toBeInstanceOf(ProducerFencedError);

    const txn = await successor.transaction();
    await txn.send({ topic: 'out', messages: [{ value: 'successor' }] });
    await txn.commit();
    const rc = await collect(sluice, 'out', 'fence-rc');
    await waitFor("the successor's record", () => rc.values.length === 1);
    expect(rc.values).toEqual(['successor']);
    await rc.stop();
  });

  it('holds the last stable offset at the first offset of an open transaction until it commits', async () => {
    const { sluice } = await open();
    await sluice.admin().createTopics({ topics: [{ topic: 'lso', numPartitions: 1 }] });
    const plain = sluice.producer();
    await plain.send({ topic: 'lso', messages: [{ value: 'before' }] });
    const producer = sluice.producer({ transactionalId: 'tx-lso' });
    const txn = await producer.transaction();
    await txn.send({ topic: 'lso', messages: [{ value: 'in-txn' }] });
    await plain.send({ topic: 'lso', messages: [{ value: 'after' }] });
    expect(await offsets(sluice, 'lso', 0)).toEqual([3n, 1n]);

    const rc = await collect(sluice, 'lso', 'lso-rc');
    await waitFor('the record before the transaction', () => rc.values.length === 1);
    expect(rc.values).toEqual(['before']);
    await txn.commit();
    // The commit marker takes offset 3.
    await waitFor('the LSO past the marker', async () => (await offsets(sluice, 'lso', 0))[1] === 4n);
    await waitFor('every record', () => rc.values.length === 3);
    expect(rc.values).toEqual(['before', 'in-txn', 'after']);
    await rc.stop();
  });
});
