/**
 * acks=all is durable on one node: a Produce with acks=-1 is answered only after its batch is
 * fdatasync'd (the partition's group commit, shared by concurrent producers); acks=1 is answered
 * from the page cache; `write.caching` (broker setting, topic override) turns the wait off.
 * Brokers run without background tasks, so every flush counted here is one a produce asked for.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { Sluice } from '../../src/sluice.js';
import { removeDir, tempDir } from '../helpers/storage.js';
import { batch, openBroker, produceOne } from './helpers.js';

let dir: string;
let broker: Broker;

beforeEach(() => {
  dir = tempDir('durable-acks');
});

afterEach(async () => {
  await broker?.close();
  removeDir(dir);
});

async function withTopic(properties: Record<string, string> = {}, configs: { name: string; value: string }[] = []): Promise<void> {
  broker = await openBroker(dir, properties);
  const [created] = await broker.createTopics([{ name: 't', numPartitions: 2, replicationFactor: 1, assignments: [], configs }], false);
  expect(created!.errorCode).toBe(0);
}

function log(partition = 0) {
  return broker.partition('t', partition)!.log;
}

describe('acks=all on one node', () => {
  it('answers only after the batch is fdatasynced: the recovery point covers the acknowledged offsets', async () => {
    await withTopic();
    const before = log().flushCount;
    const result = await produceOne(broker, 't', 0, batch(5));
    expect(result.errorCode).toBe(0);
    expect(log().flushCount).toBe(before + 1);
    expect(log().recoveryPoint).toBeGreaterThanOrEqual(result.baseOffset + 5n);
  });

  it('shares one fdatasync among concurrent producers of a partition (group commit)', async () => {
    await withTopic();
    const before = log().flushCount;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => produceOne(broker, 't', 0, batch(2, `p${i}`))));
    expect(results.every((r) => r.errorCode === 0)).toBe(true);
    // The first produce starts a flush; the seven appended while it runs share the next one.
    expect(log().flushCount - before).toBeLessThanOrEqual(2);
    expect(log().recoveryPoint).toBe(log().nextOffset);
  });

  it('flushes each partition a produce wrote to, once', async () => {
    await withTopic();
    const before = [log(0).flushCount, log(1).flushCount];
    const [t] = await broker.produce(-1, 30_000, [
      {
        name: 't',
        partitions: [
          { index: 0, records: batch(1) },
          { index: 1, records: batch(1) },
        ],
      },
    ]);
    expect(t!.partitions.map((p) => p.errorCode)).toEqual([0, 0]);
    expect([log(0).flushCount - before[0]!, log(1).flushCount - before[1]!]).toEqual([1, 1]);
  });

  it('does not wait for fdatasync with acks=1: the flush count is unchanged and the recovery point stays behind', async () => {
    await withTopic();
    const before = log().flushCount;
    const result = await produceOne(broker, 't', 0, batch(5), 1);
    expect(result.errorCode).toBe(0);
    expect(log().flushCount).toBe(before);
    expect(log().recoveryPoint).toBeLessThan(log().nextOffset);
  });

  it('answers acks=all from the page cache when the broker sets write.caching=true', async () => {
    await withTopic({ 'write.caching': 'true' });
    const before = log().flushCount;
    expect((await produceOne(broker, 't', 0, batch(3))).errorCode).toBe(0);
    expect(log().flushCount).toBe(before);
  });

  it('lets a topic override write.caching either way', async () => {
    await withTopic({}, [{ name: 'write.caching', value: 'true' }]);
    let before = log().flushCount;
    expect((await produceOne(broker, 't', 0, batch(3))).errorCode).toBe(0);
    expect(log().flushCount).toBe(before);
    await broker.close();
    removeDir(dir);
    dir = tempDir('durable-acks');
    await withTopic({ 'write.caching': 'true' }, [{ name: 'write.caching', value: 'false' }]);
    before = log().flushCount;
    expect((await produceOne(broker, 't', 0, batch(3))).errorCode).toBe(0);
    expect(log().flushCount).toBe(before + 1);
  });

  it('applies an altered write.caching to the next produce', async () => {
    await withTopic();
    const [altered] = await broker.incrementalAlterConfigs(
      [{ resourceType: 2, resourceName: 't', configs: [{ name: 'write.caching', configOperation: 0, value: 'true' }] }],
      false,
    );
    expect(altered!.errorCode).toBe(0);
    const before = log().flushCount;
    expect((await produceOne(broker, 't', 0, batch(3))).errorCode).toBe(0);
    expect(log().flushCount).toBe(before);
  });

  it('rejects a write.caching value that is not a boolean', async () => {
    broker = await openBroker(dir);
    const [created] = await broker.createTopics(
      [{ name: 'bad', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'write.caching', value: 'sometimes' }] }],
      false,
    );
    expect(created!.errorCode).toBe(40); // INVALID_CONFIG
  });
});

describe('the embedded producer', () => {
  it('resolves an acks=all send after the fdatasync, and an acks=1 send without one', async () => {
    const sluice = await Sluice.open({ dir, backgroundTasks: false });
    try {
      await sluice.admin().createTopics({ topics: [{ topic: 't', numPartitions: 1 }] });
      const embeddedLog = sluice.broker.partition('t', 0)!.log;
      const producer = sluice.producer({ idempotent: false, partitioner: () => 0 });
      let before = embeddedLog.flushCount;
      const [meta] = await producer.send({ topic: 't', messages: [{ value: 'durable' }] });
      expect(embeddedLog.flushCount).toBe(before + 1);
      expect(embeddedLog.recoveryPoint).toBeGreaterThan(meta!.baseOffset!);
      before = embeddedLog.flushCount;
      await producer.send({ topic: 't', acks: 1, messages: [{ value: 'cached' }] });
      expect(embeddedLog.flushCount).toBe(before);
    } finally {
      await sluice.close();
    }
  });
});
