/**
 * Old producers against the real daemon (issue 18): kcat in librdkafka's legacy mode
 * (`api.version.request=false`, `broker.version.fallback=0.9.0` → Produce v0 with magic-0
 * messages, `0.10.0` → Produce v2 with magic 1), plain and gzip, 10,000 records in message
 * sets of 200. Every record is stored and read back by a modern consumer, and a modern producer
 * still appends afterwards: no old producer leaves a partition unwritable. Also: a fresh
 * broker answers Metadata for `__consumer_offsets` by creating it, as Burrow needs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { metadataApi } from '../../src/protocol/index.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { RawKafkaSocket } from '../helpers/kafka-protocol.js';
import { kcat, kcatConsume, kcatProduce } from '../helpers/kcat.js';
import { ensureKcat } from '../helpers/system-tools.js';

const RECORDS = 10_000;
let broker: BrokerProcess;
const bootstrap = (): string => `127.0.0.1:${broker.port}`;

beforeAll(async () => {
  ensureKcat();
  broker = await startBrokerProcess({ args: ['--override', 'num.partitions=1'] });
});

afterAll(async () => {
  await broker?.kill();
});

describe('kcat in legacy mode against one daemon', () => {
  for (const fallback of ['0.9.0', '0.10.0']) {
    for (const codec of ['none', 'gzip']) {
      it(`stores ${RECORDS} records sent as broker.version.fallback=${fallback} message sets of 200 (${codec}); a modern consumer reads them all and a modern producer still appends`, async () => {
        const topic = `legacy-${fallback.replace(/\./g, '')}-${codec}`;
        const legacy = ['-X', 'api.version.request=false', '-X', `broker.version.fallback=${fallback}`];
        const lines = Array.from({ length: RECORDS }, (_, i) => `legacy-record-number-${i + 1}`);
        await kcatProduce(bootstrap(), topic, lines.join('\n') + '\n', [
          '-p',
          '0',
          '-z',
          codec,
          '-X',
          'batch.num.messages=200',
          '-X',
          'linger.ms=5',
          ...legacy,
        ]);

        const got = await kcatConsume(bootstrap(), topic, { format: '%o %s\\n', expectLines: RECORDS });
        expect(got).toHaveLength(RECORDS);
        expect(got).toEqual(lines.map((l, i) => `${i} ${l}`));

        await kcatProduce(bootstrap(), topic, 'modern\n', ['-p', '0']);
        const tail = await kcatConsume(bootstrap(), topic, { format: '%o %s\\n', offset: String(RECORDS), expectLines: 1 });
        expect(tail).toEqual([`${RECORDS} modern`]);
        // No append failed on the way.
        expect(broker.output()).not.toContain('"msg":"append failed"');
      });
    }
  }
});

describe('internal topics on demand', () => {
  it('a fresh broker answers Metadata for __consumer_offsets with the topic, created with offsets.topic.num.partitions partitions', async () => {
    const fresh = await startBrokerProcess({ args: ['--override', 'offsets.topic.num.partitions=3'] });
    try {
      const r = await kcat(['-b', `127.0.0.1:${fresh.port}`, '-L', '-J', '-t', '__consumer_offsets']);
      expect(r.code).toBe(0);
      const md = JSON.parse(r.stdout) as { topics: { topic: string; err?: string; partitions: { partition: number; leader: number }[] }[] };
      const topic = md.topics.find((t) => t.topic === '__consumer_offsets')!;
      expect(topic.err).toBeUndefined();
      expect(topic.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
      expect(topic.partitions.every((p) => p.leader === 0)).toBe(true);
    } finally {
      await fresh.kill();
    }
  });

  it('Metadata v9 creates __consumer_offsets only when it allows auto-creation, then answers it as internal even with auto.create.topics.enable off', async () => {
    const fresh = await startBrokerProcess({ args: ['--override', 'offsets.topic.num.partitions=2', '--override', 'auto.create.topics.enable=false'] });
    const s = await RawKafkaSocket.connect(fresh.port);
    try {
      const ask = (allowAutoTopicCreation: boolean) =>
        s.request(metadataApi, 9, {
          topics: [{ name: '__consumer_offsets' }],
          allowAutoTopicCreation,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        });
      const refused = (await ask(false)).topics[0]!;
      expect([refused.errorCode, refused.isInternal, refused.partitions]).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, true, []]);
      const created = (await ask(true)).topics[0]!;
      expect([created.errorCode, created.isInternal, created.partitions.map((p) => p.partitionIndex)]).toEqual([ErrorCode.NONE, true, [0, 1]]);
      // Once it exists, a request that does not allow creation sees it too.
      expect((await ask(false)).topics[0]!.partitions).toHaveLength(2);
      // An ordinary unknown topic is still not auto-created with auto.create.topics.enable off.
      const other = await s.request(metadataApi, 9, {
        topics: [{ name: 'not-there' }],
        allowAutoTopicCreation: true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      expect(other.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    } finally {
      s.destroy();
      await fresh.kill();
    }
  });
});
