/**
 * Old producers against the real daemon (issue 18): kcat in librdkafka's legacy mode
 * (`api.version.request=false`, `broker.version.fallback=0.9.0` → Produce v0 with magic-0
 * messages, `0.10.0` → Produce v2 with magic 1), plain and gzip, 10,000 records in message
 * sets of 200. Every record is stored and read back by a modern consumer, and a modern producer
 * still appends afterwards: no old producer leaves a partition unwritable. Also: a fresh
 * broker answers Metadata for `__consumer_offsets` by creating it, as Burrow needs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
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
        await kcatProduce(bootstrap(), topic, lines.join('\n') + '\n', ['-p', '0', '-z', codec, '-X', 'batch.num.messages=200', '-X', 'linger.ms=5', ...legacy]);

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
});
