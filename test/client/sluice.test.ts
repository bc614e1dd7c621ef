/**
 * Sluice itself: settings under Kafka's names (topic-level ones as broker defaults), listen()
 * once, close() stopping running consumers and refusing further use, reopening a directory.
 */
import { describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { ConfigResourceType } from '../../src/client/admin.js';
import { brokerProperties, Sluice } from '../../src/sluice.js';
import { quietLogger } from '../helpers/logger.js';
import { removeDir, tempDir } from '../helpers/storage.js';
import { sluicePerTest, waitFor } from './helpers.js';

const { Kafka, logLevel } = kafkajs;

const openTracked = sluicePerTest();

describe('Sluice', () => {
  it('maps topic-level setting names to the broker defaults they fall back to', () => {
    const props = brokerProperties({
      dir: 'x',
      'retention.ms': 86_400_000,
      'segment.bytes': 1 << 20,
      'num.partitions': 3,
      'compression.type': 'zstd',
      'auto.create.topics.enable': false,
    });
    expect(Object.fromEntries(props)).toEqual({
      'log.retention.ms': '86400000',
      'log.segment.bytes': '1048576',
      'num.partitions': '3',
      'compression.type': 'zstd',
      'auto.create.topics.enable': 'false',
    });
    expect(() => brokerProperties({ 'num.partitions': {} })).toThrow(/must be a string, number or boolean/);
  });

  it('applies settings: topics get num.partitions and the retention default', async () => {
    const o = await openTracked({ 'num.partitions': 3, 'retention.ms': 3_600_000 });
    const admin = o.sluice.admin();
    await admin.createTopics({ topics: [{ topic: 't' }] });
    expect((await admin.fetchTopicMetadata({ topics: ['t'] })).topics[0]!.partitions).toHaveLength(3);
    const d = await admin.describeConfigs({ resources: [{ type: ConfigResourceType.TOPIC, name: 't', configNames: ['retention.ms'] }] });
    expect(d.resources[0]!.configEntries[0]).toMatchObject({ configName: 'retention.ms', configValue: '3600000' });
  });

  it('refuses invalid settings and a missing dir', async () => {
    await expect(Sluice.open({ dir: '' })).rejects.toMatchObject({ errorName: 'INVALID_CONFIG' });
    await expect(Sluice.open({ dir: tempDir('bad'), logger: quietLogger(), 'num.partitions': 'many' })).rejects.toMatchObject({ errorName: 'INVALID_CONFIG' });
  });

  it('listens once, advertises the bound port, and close() stops consumers, listener and broker', async () => {
    const dir = tempDir('embedded-close');
    const sluice = await Sluice.open({ dir, logger: quietLogger(), 'offsets.topic.num.partitions': 1 });
    try {
      const { bootstrap, addresses } = await sluice.listen({ listeners: 'PLAINTEXT://127.0.0.1:0' });
      expect(addresses[0]).toBe(`PLAINTEXT://${bootstrap[0]}`);
      await expect(sluice.listen({ listeners: 'PLAINTEXT://127.0.0.1:0' })).rejects.toMatchObject({ errorName: 'INVALID_REQUEST' });
      const admin = new Kafka({ brokers: bootstrap, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'over-the-wire', numPartitions: 2 }] });
      await admin.disconnect();
      expect(await sluice.admin().listTopics()).toEqual(['over-the-wire']);

      const c = sluice.consumer({ groupId: 'g', heartbeatInterval: 50 });
      await c.subscribe({ topic: 'over-the-wire' });
      let stopped = false;
      c.on(c.events.STOP, () => (stopped = true));
      await c.run({ eachMessage: async () => undefined });
      await waitFor('joined', () => c.assignment().length > 0);
      await sluice.close();
      expect(stopped).toBe(true);
      expect(() => sluice.producer()).toThrow(/closed/);
    } finally {
      await sluice.close();
    }
    // The directory reopens with its topic.
    const again = await Sluice.open({ dir, logger: quietLogger() });
    expect(await again.admin().listTopics()).toEqual(['over-the-wire']);
    await again.close();
    removeDir(dir);
  });
});
