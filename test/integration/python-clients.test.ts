/**
 * The real daemon driven by Debian's Python clients, unchanged: kafka-python 2.0.2 (pure
 * Python; its own protocol code, from Produce v0 / magic 0 up to the versions of Kafka 2.4)
 * and confluent-kafka 1.7.0 (on the system librdkafka). Consumers here are assigned
 * partitions; group consumers are in client-groups.test.ts. What one client writes is read back by another client
 * or by kcat, and the stored batches are checked with raw fetches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { CODEC_IDS, clientSource, runClient, storedBatches } from '../helpers/client-programs.js';
import { kcatConsume, kcatProduce } from '../helpers/kcat.js';
import { ensureKcat, ensurePythonKafkaClients } from '../helpers/system-tools.js';

interface Record {
  key: string | null;
  value: string | null;
  headers?: [string, string | null][];
  timestamp?: number;
}
interface Consumed {
  offset: number;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
  timestamp: number | null;
  timestamp_type: number | null;
}
interface Acked {
  partition: number;
  offset: number | null;
  timestamp: number;
}

let broker: BrokerProcess;
let python: string;
const bootstrap = (): string => `127.0.0.1:${broker.port}`;

const kafkaPython = <T>(request: object): Promise<T> => runClient<T>(python, [clientSource('kafka_python_client.py')], { bootstrap: bootstrap(), ...request });
const confluent = <T>(request: object): Promise<T> => runClient<T>(python, [clientSource('confluent_kafka_client.py')], { bootstrap: bootstrap(), ...request });

/** Consumes with kafka-python until `count` records arrived (acks=0 appends may land late). */
async function kpConsume(topic: string, count: number, extra: object = {}): Promise<{ api_version: number[]; records: Consumed[]; position: number }> {
  return kafkaPython({ op: 'consume', topic, count, ...extra });
}

const T0 = Date.now() - 60_000;

/** Ten records with keys (one null), values (one null), two headers (one empty) and timestamps T0 + i. */
function sampleRecords(tag: string, withHeaders = true): Record[] {
  return Array.from({ length: 10 }, (_, i) => ({
    key: i === 3 ? null : `${tag}-k${i}`,
    value: i === 4 ? null : `${tag}-v${i}-${'x'.repeat(i * 7)}`,
    ...(withHeaders
      ? {
          headers: [
            ['h1', `a${i}`],
            ['h2', ''],
          ] as [string, string][],
        }
      : {}),
    timestamp: T0 + i,
  }));
}

beforeAll(async () => {
  ensureKcat();
  python = ensurePythonKafkaClients();
  broker = await startBrokerProcess({ args: ['--override', 'num.partitions=1'] });
});

afterAll(async () => {
  await broker?.kill();
});

describe('kafka-python 2.0.2', () => {
  it('infers a Kafka 2.4 broker from ApiVersions, and administers topics: create, describe, configs, partitions, delete', async () => {
    expect(await kafkaPython({ op: 'versions' })).toEqual({ api_version: [2, 4, 0] });
    expect(await kafkaPython({ op: 'admin', topic: 'kp-admin' })).toEqual({
      duplicate_create: 'TopicAlreadyExistsError',
      listed: true,
      partitions: [
        [0, 0, [0], [0]],
        [1, 0, [0], [0]],
        [2, 0, [0], [0]],
      ],
      brokers: [[0, '127.0.0.1', broker.port]],
      controller: 0,
      'retention.ms': '3600000',
      'cleanup.policy': 'delete',
      'retention.ms.altered': '7200000',
      partitions_after_grow: 5,
      listed_after_delete: false,
    });
  });

  for (const acks of [0, 1, 'all'] as const) {
    it(`produces keys, headers and timestamps with acks=${acks}; kcat reads them back`, async () => {
      const topic = `kp-acks-${acks}`;
      const records = sampleRecords(topic);
      const out = await kafkaPython<{ acked: Acked[] }>({ op: 'produce', topic, acks, records });
      // acks=0 gets no answer, so no offsets.
      expect(out.acked.map((a) => a.offset)).toEqual(records.map((_, i) => (acks === 0 ? -1 : i)));
      const lines = await kcatConsume(bootstrap(), topic, { format: '%o|%k|%s|%h|%T\\n', expectLines: 10 });
      expect(lines).toEqual(records.map((r, i) => `${i}|${r.key ?? ''}|${r.value ?? ''}|h1=a${i},h2=|${T0 + i}`));
      // kcat prints null and empty alike; kafka-python tells them apart.
      const back = await kpConsume(topic, 10);
      expect(back.records.map((r) => [r.key, r.value, r.headers, r.timestamp, r.timestamp_type])).toEqual(
        records.map((r) => [r.key, r.value, r.headers, r.timestamp, 0]),
      );
    });
  }

  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
    it(`round-trips ${codec}: stored as ${codec}, read back by kafka-python and kcat`, async () => {
      const topic = `kp-codec-${codec}`;
      const values = Array.from({ length: 200 }, (_, i) => `${codec}-${i}-${'abcdefgh'.repeat(8)}`);
      await kafkaPython({ op: 'produce', topic, acks: -1, compression: codec, linger_ms: 50, records: values.map((value, i) => ({ key: `k${i}`, value })) });
      expect(new Set((await storedBatches(broker.port, topic)).map((b) => b.codec))).toEqual(new Set([CODEC_IDS[codec]]));
      const back = await kpConsume(topic, 200);
      expect(back.records.map((r) => [r.offset, r.key, r.value])).toEqual(values.map((v, i) => [i, `k${i}`, v]));
      expect(await kcatConsume(bootstrap(), topic, { format: '%k=%s\\n', expectLines: 200 })).toEqual(values.map((v, i) => `k${i}=${v}`));
    });
  }

  // api_version pins the request versions: (0, 8, 2) sends Produce v0 / Fetch v0 / ListOffsets v0
  // with magic 0 message sets (no timestamps; lz4 with the KAFKA-3160 frame checksum);
  // (0, 10, 1) sends Produce v2 / Fetch v3 with magic 1 (timestamps, KIP-31 relative offsets).
  for (const [apiVersion, magic] of [
    [[0, 8, 2], 0],
    [[0, 10, 1], 1],
  ] as const) {
    it(`speaks magic ${magic} as api_version ${apiVersion.join('.')}: every codec in, converted, and back out`, async () => {
      const topic = `kp-magic-${magic}`;
      const codecs = ['none', 'gzip', 'snappy', 'lz4'];
      const sent: Record[] = [];
      for (const codec of codecs) {
        const records = Array.from({ length: 5 }, (_, i) => ({
          key: i === 0 ? null : `${codec}-k${i}`,
          value: `${codec}-v${i}-${'y'.repeat(40)}`,
          timestamp: T0 + sent.length + i,
        }));
        const out = await kafkaPython<{ api_version: number[]; acked: Acked[] }>({
          op: 'produce',
          topic,
          acks: -1,
          compression: codec === 'none' ? null : codec,
          api_version: apiVersion,
          records,
        });
        expect(out.api_version).toEqual(apiVersion);
        expect(out.acked.map((a) => a.offset)).toEqual(records.map((_, i) => sent.length + i));
        sent.push(...records);
      }
      // Stored as magic 2 batches with the producer's codecs.
      const stored = await storedBatches(broker.port, topic);
      expect(stored.map((b) => [b.magic, b.codec])).toEqual(codecs.map((c) => [2, CODEC_IDS[c]]));
      const expectedTimestamp = (i: number): number | null => (magic === 0 ? null : T0 + i);
      const old = await kpConsume(topic, 20, { api_version: apiVersion });
      expect(old.records.map((r) => [r.offset, r.key, r.value, r.timestamp])).toEqual(sent.map((r, i) => [i, r.key, r.value, expectedTimestamp(i)]));
      // A current client sees magic 0 records without a timestamp (-1).
      const current = await kpConsume(topic, 20);
      expect(current.records.map((r) => [r.offset, r.key, r.value, r.timestamp])).toEqual(sent.map((r, i) => [i, r.key, r.value, magic === 0 ? -1 : T0 + i]));
      expect(await kcatConsume(bootstrap(), topic, { format: '%o|%s|%T\\n', expectLines: 20 })).toEqual(
        sent.map((r, i) => `${i}|${r.value}|${magic === 0 ? -1 : T0 + i}`),
      );
    });
  }

  it('reads kcat-produced records from an offset, seeks to the end, and looks offsets up by time', async () => {
    const topic = 'kp-from-kcat';
    await kcatProduce(bootstrap(), topic, Array.from({ length: 8 }, (_, i) => `key${i}:value${i}`).join('\n') + '\n', [
      '-K:',
      '-H',
      'origin=kcat',
      '-z',
      'snappy',
      '-X',
      'acks=all',
    ]);
    const from5 = await kpConsume(topic, 3, { offset: 5 });
    expect(from5.records.map((r) => [r.offset, r.key, r.value, r.headers])).toEqual([5, 6, 7].map((i) => [i, `key${i}`, `value${i}`, [['origin', 'kcat']]]));
    const atEnd = await kpConsume(topic, 0, { offset: 'latest' });
    expect([atEnd.records, atEnd.position]).toEqual([[], 8]);

    // ListOffsets v5 by timestamp over records with known timestamps (T0 + i).
    const timed = 'kp-by-time';
    await kafkaPython({ op: 'produce', topic: timed, acks: 1, records: sampleRecords(timed, false) });
    expect(await kafkaPython({ op: 'offsets', topic: timed, timestamp: T0 + 4 })).toEqual({
      earliest: 0,
      latest: 10,
      for_timestamp: { offset: 4, timestamp: T0 + 4 },
    });
    expect(await kafkaPython({ op: 'offsets', topic: timed, timestamp: T0 + 1_000_000 })).toEqual({ earliest: 0, latest: 10, for_timestamp: null });
    // The same lookups with ListOffsets v1 (api_version 0.10.1).
    expect(await kafkaPython({ op: 'offsets', topic: timed, timestamp: T0 + 7, api_version: [0, 10, 1] })).toEqual({
      earliest: 0,
      latest: 10,
      for_timestamp: { offset: 7, timestamp: T0 + 7 },
    });
  });
});

describe('confluent-kafka 1.7.0 (librdkafka)', () => {
  it('administers topics: create, metadata, describe and alter configs, partitions, delete', async () => {
    expect(await confluent({ op: 'admin', topic: 'ck-admin' })).toEqual({
      duplicate_create: 'TOPIC_ALREADY_EXISTS',
      brokers: [[0, '127.0.0.1', broker.port]],
      controller: 0,
      partitions: [
        [0, 0, [0], [0]],
        [1, 0, [0], [0]],
        [2, 0, [0], [0]],
      ],
      'retention.ms': '3600000',
      'cleanup.policy': 'delete',
      'retention.ms.altered': '7200000',
      partitions_after_grow: 5,
      listed_after_delete: false,
    });
  });

  for (const [acks, idempotence] of [
    [0, false],
    [1, false],
    ['all', false],
    ['all', true],
  ] as const) {
    it(`produces with acks=${acks}${idempotence ? ', idempotent' : ''}: keys, repeated and null headers, timestamps; kafka-python reads them`, async () => {
      const topic = `ck-acks-${acks}${idempotence ? '-idem' : ''}`;
      const records: Record[] = sampleRecords(topic).map((r, i) => ({
        ...r,
        headers: [
          ['h', `x${i}`],
          ['h', null],
        ],
      }));
      const out = await confluent<{ acked: Acked[] }>({ op: 'produce', topic, acks, idempotence, records });
      // With acks=0 librdkafka reports no offset (None).
      expect(out.acked.map((a) => [a.offset, a.timestamp])).toEqual(records.map((_, i) => [acks === 0 ? null : i, T0 + i]));
      const back = await kpConsume(topic, 10);
      expect(back.records.map((r) => [r.offset, r.key, r.value, r.headers, r.timestamp])).toEqual(
        records.map((r, i) => [i, r.key, r.value, r.headers, T0 + i]),
      );
      const stored = await storedBatches(broker.port, topic);
      for (const b of stored) expect(b.producerId >= 0n).toBe(idempotence);
    });
  }

  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
    it(`produces ${codec}-compressed batches; kafka-python and confluent-kafka read them back`, async () => {
      const topic = `ck-codec-${codec}`;
      const records = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `${codec}-${i}-${'abcdefgh'.repeat(8)}` }));
      await confluent({ op: 'produce', topic, acks: 'all', compression: codec, records });
      // librdkafka enables lz4 only for brokers that advertise FindCoordinator, which we do.
      expect(new Set((await storedBatches(broker.port, topic)).map((b) => b.codec))).toEqual(new Set([CODEC_IDS[codec]]));
      const viaKafkaPython = await kpConsume(topic, 200);
      expect(viaKafkaPython.records.map((r) => [r.offset, r.key, r.value])).toEqual(records.map((r, i) => [i, r.key, r.value]));
      const viaConfluent = await confluent<{ records: Consumed[] }>({ op: 'consume', topic, count: 200 });
      expect(viaConfluent.records.map((r) => [r.offset, r.key, r.value])).toEqual(records.map((r, i) => [i, r.key, r.value]));
    });
  }

  it('consumes kafka-python-produced records by assignment from an offset and looks offsets up by time', async () => {
    const topic = 'ck-from-kafka-python';
    // Header values are never null here: confluent-kafka 1.7 frees None once too often when
    // it reads one (confluent-kafka-python#1191, fixed in 1.8.2), which aborts the interpreter.
    const records = sampleRecords(topic);
    await kafkaPython({ op: 'produce', topic, acks: 'all', compression: 'zstd', records });
    const got = await confluent<{ records: Consumed[] }>({ op: 'consume', topic, offset: 6, count: 4 });
    // timestamp_type 1 is librdkafka's CreateTime.
    expect(got.records).toEqual(
      records.slice(6).map((r, j) => ({ offset: 6 + j, key: r.key, value: r.value, headers: r.headers, timestamp: T0 + 6 + j, timestamp_type: 1 })),
    );
    expect(await confluent({ op: 'offsets', topic, timestamp: T0 + 2 })).toEqual({ earliest: 0, latest: 10, for_timestamp: 2 });
    // Past the newest record: none (-1).
    expect(await confluent({ op: 'offsets', topic, timestamp: T0 + 1_000_000 })).toEqual({ earliest: 0, latest: 10, for_timestamp: -1 });
  });
});
