/**
 * The producer and consumer over both transports (in process, and over the wire to the same
 * Sluice's listener): records round
 * trip with keys, headers and timestamps; every codec; idempotent sequences; partitioners;
 * commits, seek, pause/resume, eachBatch, handler retries.
 */
import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from '../../src/client/types.js';
import { KafkaError } from '../../src/errors.js';
import { decodeRecordBatches } from '../../src/records/index.js';
import type { Sluice } from '../../src/sluice.js';
import { TRANSPORTS, sluicePerTest, waitFor } from './helpers.js';

describe.each(TRANSPORTS)('over the %s transport', (transport) => {
  const openTracked = sluicePerTest(transport);

  async function open(settings = {}): Promise<Sluice> {
    return (await openTracked(settings)).sluice;
  }

  /** Reads every record of a partition straight from the broker, batch headers included. */
  async function readPartition(sluice: Sluice, topic: string, partition: number) {
    const r = await sluice.broker.fetch({
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 24,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 24 }] }],
    });
    return decodeRecordBatches(r.topics[0]!.partitions[0]!.records);
  }

  describe('producer', () => {
    it('appends keys, values, headers and timestamps that the consumer reads back with bigint offsets', async () => {
      const sluice = await open();
      await sluice.admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }] });
      const producer = sluice.producer();
      const meta = await producer.send({
        topic: 'orders',
        messages: [
          { key: 'k1', value: 'v1', headers: { h: 'x', multi: ['a', 'b'] }, timestamp: 1_700_000_000_000 },
          { key: null, value: Buffer.from([0, 1, 2]) },
          { value: null },
        ],
      });
      expect(meta).toEqual([{ topicName: 'orders', partition: 0, errorCode: 0, baseOffset: 0n, logAppendTime: -1n, logStartOffset: 0n }]);

      const consumer = sluice.consumer({ groupId: 'g', heartbeatInterval: 20 });
      await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
      const got: KafkaMessage[] = [];
      const beats: number[] = [];
      consumer.on(consumer.events.HEARTBEAT, (e) => beats.push(e.payload.groupGenerationId));
      await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
      await waitFor('3 messages', () => got.length >= 3);
      await waitFor('a heartbeat', () => beats.length > 0);
      expect(beats[0]).toBe(1);
      await consumer.disconnect();
      expect(got.map((m) => m.offset)).toEqual([0n, 1n, 2n]);
      expect(typeof got[0]!.offset).toBe('bigint');
      expect(got[0]!.key!.toString()).toBe('k1');
      expect(got[0]!.value!.toString()).toBe('v1');
      expect(got[0]!.timestamp).toBe(1_700_000_000_000);
      expect(got[0]!.headers.h!.toString()).toBe('x');
      expect((got[0]!.headers.multi as Buffer[]).map(String)).toEqual(['a', 'b']);
      expect(got[1]!.key).toBeNull();
      expect([...got[1]!.value!]).toEqual([0, 1, 2]);
      expect(got[2]!.value).toBeNull();
      expect(got[2]!.headers).toEqual({});
    });

    it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)('writes %s batches that decode to the records sent', async (compression) => {
      const sluice = await open();
      const producer = sluice.producer({ compression });
      const messages = Array.from({ length: 200 }, (_, i) => ({ key: `key-${i % 7}`, value: `value ${i} `.repeat(10), partition: 0 }));
      await producer.send({ topic: `codec-${compression}`, messages });
      const batches = await readPartition(sluice, `codec-${compression}`, 0);
      expect(batches).toHaveLength(1);
      expect(batches[0]!.header.compression).toBe(['none', 'gzip', 'snappy', 'lz4', 'zstd'].indexOf(compression));
      expect(batches[0]!.records.map((r) => r.value!.toString())).toEqual(messages.map((m) => m.value));
    });

    it('is idempotent by default: batches carry a producer id and consecutive sequences per partition', async () => {
      const sluice = await open();
      await sluice.admin().createTopics({ topics: [{ topic: 't', numPartitions: 2 }] });
      const producer = sluice.producer();
      await producer.send({
        topic: 't',
        messages: [
          { value: 'a', partition: 0 },
          { value: 'b', partition: 0 },
          { value: 'c', partition: 1 },
        ],
      });
      await producer.send({ topic: 't', messages: [{ value: 'd', partition: 0 }] });
      const p0 = await readPartition(sluice, 't', 0);
      const p1 = await readPartition(sluice, 't', 1);
      const { producerId } = producer.producerIdentity;
      expect(producerId).toBeGreaterThanOrEqual(0n);
      expect(p0.map((b) => [b.header.producerId, b.header.baseSequence, b.header.recordCount])).toEqual([
        [producerId, 0, 2],
        [producerId, 2, 1],
      ]);
      expect(p1.map((b) => [b.header.producerId, b.header.baseSequence])).toEqual([[producerId, 0]]);
    });

    it('concurrent sends of one producer all land, in sequence order, without OUT_OF_ORDER_SEQUENCE_NUMBER', async () => {
      const sluice = await open();
      await sluice.admin().createTopics({ topics: [{ topic: 'c', numPartitions: 1 }] });
      const producer = sluice.producer();
      await Promise.all(Array.from({ length: 50 }, (_, i) => producer.send({ topic: 'c', messages: [{ value: String(i) }] })));
      const batches = await readPartition(sluice, 'c', 0);
      // One batch per send in process; coalesced by linger over the network: sequences run on either way.
      let expected = 0;
      for (const b of batches) {
        expect(b.header.baseSequence).toBe(expected);
        expected += b.records.length;
      }
      expect(batches.flatMap((b) => b.records.map((r) => r.value!.toString()))).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    });

    it('gives a failed partition its sequence back, so the next send is accepted', async () => {
      const sluice = await open({ 'message.max.bytes': 2000 });
      await sluice.admin().createTopics({ topics: [{ topic: 'big', numPartitions: 1 }] });
      const producer = sluice.producer();
      await expect(producer.send({ topic: 'big', messages: [{ value: Buffer.alloc(5000) }] })).rejects.toMatchObject({ errorName: 'MESSAGE_TOO_LARGE' });
      await producer.send({ topic: 'big', messages: [{ value: 'small' }] });
      const batches = await readPartition(sluice, 'big', 0);
      expect(batches.map((b) => b.header.baseSequence)).toEqual([0]);
    });

    it('refuses idempotence with acks other than -1, and turns it off by default for acks 1', async () => {
      const sluice = await open();
      expect(() => sluice.producer({ acks: 1, idempotent: true })).toThrow(KafkaError);
      const producer = sluice.producer({ acks: 1 });
      await producer.send({ topic: 'a1', messages: [{ value: 'x' }] });
      const batches = await readPartition(sluice, 'a1', 0);
      expect(batches[0]!.header.producerId).toBe(-1n);
    });

    it('creates unknown topics with num.partitions, or refuses them with allowAutoTopicCreation false', async () => {
      const sluice = await open({ 'num.partitions': 4 });
      await sluice.producer().send({ topic: 'auto', messages: [{ value: 'x' }] });
      expect((await sluice.admin().fetchTopicMetadata({ topics: ['auto'] })).topics[0]!.partitions).toHaveLength(4);
      await expect(sluice.producer({ allowAutoTopicCreation: false }).send({ topic: 'nope', messages: [{ value: 'x' }] })).rejects.toMatchObject({
        errorName: 'UNKNOWN_TOPIC_OR_PARTITION',
      });
    });

    it('routes keys with murmur2, keyless records stickily per send, and custom partitioners where they say', async () => {
      const sluice = await open();
      await sluice.admin().createTopics({ topics: [{ topic: 'p', numPartitions: 8 }] });
      const producer = sluice.producer();
      const meta = await producer.send({
        topic: 'p',
        messages: [
          { key: 'user-1', value: 'a' },
          { key: 'user-1', value: 'b' },
        ],
      });
      expect(meta).toHaveLength(1);
      // Keyless records of one send share one partition (one batch), the next send moves on.
      const first = await producer.send({ topic: 'p', messages: Array.from({ length: 10 }, (_, i) => ({ value: `x${i}` })) });
      const second = await producer.send({ topic: 'p', messages: Array.from({ length: 10 }, (_, i) => ({ value: `y${i}` })) });
      expect(first).toHaveLength(1);
      expect(second).toHaveLength(1);
      expect(second[0]!.partition).not.toBe(first[0]!.partition);

      const custom = sluice.producer({ partitioner: ({ message, partitionCount }) => Number(message.value) % partitionCount });
      const placed = await custom.send({ topic: 'p', messages: [{ value: '3' }, { value: '13' }] });
      expect(placed.map((m) => m.partition).sort()).toEqual([3, 5]);
      await expect(custom.send({ topic: 'p', messages: [{ value: 'x', partition: 99 }] })).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
    });

    it.skipIf(transport === 'network')('resolves durable sends after the fsync (in process only)', async () => {
      const sluice = await open();
      const producer = sluice.producer({ durable: true });
      const meta = await producer.send({ topic: 'd', messages: [{ value: 'x' }] });
      expect(meta[0]!.baseOffset).toBe(0n);
    });
  });

  describe('consumer', () => {
    async function produceNumbers(sluice: Sluice, topic: string, partitions: number, count: number): Promise<void> {
      await sluice.admin().createTopics({ topics: [{ topic, numPartitions: partitions }] });
      const producer = sluice.producer();
      await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: String(i), partition: i % partitions })) });
    }

    it('commits positions automatically, so the next consumer of the group continues where it stopped', async () => {
      const sluice = await open();
      await produceNumbers(sluice, 'q', 2, 20);
      const c1 = sluice.consumer({ groupId: 'g1', heartbeatInterval: 100 });
      await c1.subscribe({ topics: ['q'], fromBeginning: true });
      const seen: string[] = [];
      await c1.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      await waitFor('20', () => seen.length === 20);
      await c1.disconnect();
      expect((await sluice.admin().fetchOffsets({ groupId: 'g1', topics: ['q'] }))[0]!.partitions.map((p) => p.offset)).toEqual([10n, 10n]);

      await sluice.producer().send({ topic: 'q', messages: [{ value: 'late', partition: 1 }] });
      const c2 = sluice.consumer({ groupId: 'g1', heartbeatInterval: 100 });
      await c2.subscribe({ topics: ['q'], fromBeginning: true });
      const later: string[] = [];
      await c2.run({ eachMessage: async ({ message }) => void later.push(message.value!.toString()) });
      await waitFor('late', () => later.length === 1);
      await c2.disconnect();
      expect(later).toEqual(['late']);
    });

    it('starts at the end without fromBeginning', async () => {
      const sluice = await open();
      await produceNumbers(sluice, 'latest', 1, 5);
      const c = sluice.consumer({ groupId: 'gl', heartbeatInterval: 100 });
      await c.subscribe({ topic: 'latest' });
      const seen: bigint[] = [];
      let joined = false;
      c.on(c.events.GROUP_JOIN, () => (joined = true));
      await c.run({ eachMessage: async ({ message }) => void seen.push(message.offset) });
      await waitFor('join', () => joined);
      // The position is initialized right after the join; give the loop a fetch round first.
      await waitFor('position', () => sluice.groups.groupState('gl') === 'Stable');
      await new Promise((r) => setTimeout(r, 200));
      await sluice.producer().send({ topic: 'latest', messages: [{ value: 'new' }] });
      await waitFor('new record', () => seen.length === 1);
      await c.disconnect();
      expect(seen).toEqual([5n]);
    });

    it('gets the partitions of a subscribed topic created after it joined, and of partitions added later', async () => {
      const sluice = await open({ 'num.partitions': 2 });
      // Over the network the consumer learns of new partitions from Metadata, every metadataMaxAge.
      const c = sluice.consumer({ groupId: 'later', heartbeatInterval: 100, maxWaitTimeInMs: 50, metadataMaxAge: 200 });
      await c.subscribe({ topic: 'later', fromBeginning: true });
      const seen: number[] = [];
      await c.run({ eachMessage: async ({ partition }) => void seen.push(partition) });
      await waitFor('an empty assignment', () => sluice.groups.groupState('later') === 'Stable');
      await sluice.producer().send({
        topic: 'later',
        messages: [
          { value: 'a', partition: 0 },
          { value: 'b', partition: 1 },
        ],
      });
      await waitFor('both records', () => seen.length === 2);
      await sluice.admin().createPartitions({ topicPartitions: [{ topic: 'later', count: 3 }] });
      await waitFor('the new partition assigned', () => c.assignment()[0]?.partitions.length === 3);
      await sluice.producer().send({ topic: 'later', messages: [{ value: 'c', partition: 2 }] });
      await waitFor('the third record', () => seen.length === 3);
      await c.disconnect();
      expect(seen.sort()).toEqual([0, 1, 2]);
    });

    it('subscribes by RegExp to existing topics', async () => {
      const sluice = await open();
      await produceNumbers(sluice, 'metrics.cpu', 1, 2);
      await produceNumbers(sluice, 'metrics.mem', 1, 3);
      await produceNumbers(sluice, 'other', 1, 4);
      const c = sluice.consumer({ groupId: 're', heartbeatInterval: 100 });
      await c.subscribe({ topics: [/^metrics\./], fromBeginning: true });
      const topics: string[] = [];
      await c.run({ eachMessage: async ({ topic }) => void topics.push(topic) });
      await waitFor('5', () => topics.length === 5);
      await c.disconnect();
      expect(topics.sort()).toEqual(['metrics.cpu', 'metrics.cpu', 'metrics.mem', 'metrics.mem', 'metrics.mem']);
    });

    it('with manual commits and eachBatch, commitOffsets stores exactly what is committed', async () => {
      const sluice = await open();
      await produceNumbers(sluice, 'mb', 1, 10);
      const c = sluice.consumer({ groupId: 'mb', heartbeatInterval: 100 });
      await c.subscribe({ topic: 'mb', fromBeginning: true });
      const offsets: bigint[] = [];
      await c.run({
        autoCommit: false,
        eachBatch: async ({ batch, resolveOffset }) => {
          for (const m of batch.messages) {
            offsets.push(m.offset);
            resolveOffset(m.offset);
          }
          await c.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: batch.lastOffset() - 3n }]);
        },
      });
      await waitFor('10', () => offsets.length === 10);
      await c.disconnect();
      expect((await sluice.admin().fetchOffsets({ groupId: 'mb', topics: ['mb'] }))[0]!.partitions[0]!.offset).toBe(6n);
    });

    it('hands eachBatch runs of whole record batches up to maxPollRecords, in order, and a seek mid-stream drops what was fetched ahead', async () => {
      const sluice = await open();
      await sluice.admin().createTopics({ topics: [{ topic: 'runs', numPartitions: 1 }] });
      const producer = sluice.producer();
      for (let s = 0; s < 30; s++) await producer.send({ topic: 'runs', messages: Array.from({ length: 100 }, (_, i) => ({ value: String(s * 100 + i) })) });
      const c = sluice.consumer({ groupId: 'runs', maxPollRecords: 250, maxBytesPerPartition: 1 << 20 });
      await c.subscribe({ topic: 'runs', fromBeginning: true });
      const sizes: number[] = [];
      const offsets: bigint[] = [];
      let seeked = false;
      await c.run({
        eachBatch: async ({ batch }) => {
          sizes.push(batch.messages.length);
          for (const m of batch.messages) {
            expect(m.value!.toString()).toBe(String(m.offset));
            offsets.push(m.offset);
          }
          if (!seeked && batch.lastOffset() >= 2000n) {
            seeked = true;
            c.seek({ topic: 'runs', partition: 0, offset: 500n });
          }
        },
      });
      await waitFor('the end after the seek', () => offsets.length > 0 && offsets[offsets.length - 1] === 2999n);
      await c.disconnect();
      // Record batches of 100 records: runs of two whole batches.
      expect(Math.max(...sizes)).toBe(200);
      const cut = offsets.findIndex((o, i) => i > 0 && o !== offsets[i - 1]! + 1n);
      expect(offsets.slice(0, cut)).toEqual(Array.from({ length: cut }, (_, i) => BigInt(i)));
      expect(offsets[cut - 1]! >= 2000n).toBe(true);
      expect(offsets.slice(cut)).toEqual(Array.from({ length: 2500 }, (_, i) => BigInt(500 + i)));
    });

    it('seek moves the position, pause stops a partition until resume', async () => {
      const sluice = await open();
      await produceNumbers(sluice, 's', 2, 20);
      const c = sluice.consumer({ groupId: 's', heartbeatInterval: 100 });
      await c.subscribe({ topic: 's', fromBeginning: true });
      const seen: [number, bigint][] = [];
      let seeked = false;
      await c.run({
        eachMessage: async ({ partition, message }) => {
          seen.push([partition, message.offset]);
          if (partition === 0 && message.offset === 5n && !seeked) {
            seeked = true;
            c.seek({ topic: 's', partition: 0, offset: 2n });
          }
        },
      });
      c.pause([{ topic: 's', partitions: [1] }]);
      await waitFor('partition 0 to the end', () => seen.filter(([p]) => p === 0).length >= 14);
      const p0 = seen.filter(([p]) => p === 0).map(([, o]) => o);
      expect(p0).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
      expect(c.paused()).toEqual([{ topic: 's', partitions: [1] }]);
      const before = seen.filter(([p]) => p === 1).length;
      c.resume([{ topic: 's' }]);
      await waitFor('partition 1 to the end', () =>
        seen
          .filter(([p]) => p === 1)
          .map(([, o]) => o)
          .includes(9n),
      );
      await c.disconnect();
      expect(before).toBeLessThan(10);
    });

    it('retries a failing handler from the failed record, then crashes after retry.retries', async () => {
      const sluice = await open();
      await produceNumbers(sluice, 'r', 1, 3);
      const c = sluice.consumer({ groupId: 'r', heartbeatInterval: 100, retry: { retries: 2, initialRetryTime: 1 } });
      await c.subscribe({ topic: 'r', fromBeginning: true });
      const attempts: bigint[] = [];
      let crash: Error | null = null;
      c.on(c.events.CRASH, (e) => (crash = e.payload.error));
      let failOnce = true;
      await c.run({
        eachMessage: async ({ message }) => {
          attempts.push(message.offset);
          if (message.offset === 1n && failOnce) {
            failOnce = false;
            throw new Error('transient');
          }
          if (message.offset === 2n) throw new Error('permanent');
        },
      });
      await waitFor('crash', () => crash);
      expect(attempts).toEqual([0n, 1n, 1n, 2n, 2n, 2n]);
      expect(crash!.message).toBe('permanent');
      // The last good position was committed before the crash.
      expect((await sluice.admin().fetchOffsets({ groupId: 'r', topics: ['r'] }))[0]!.partitions[0]!.offset).toBe(2n);
      await c.disconnect();
    });
  });
});
