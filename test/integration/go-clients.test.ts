/**
 * The real daemon driven by Debian's Go clients, unchanged: sarama 1.22.1, with its default
 * config.Version (V0_8_2_0: Produce v0 / Fetch v0 / ListOffsets v0 / Metadata v0, magic 0
 * message sets) and with modern ones (V0_10_0_0: magic 1; V2_1_0: Produce v3 record batches,
 * Fetch v4, ListOffsets v1, Metadata v5, the admin APIs, idempotence), and kafka-go 0.2.1
 * (fixed versions: Produce v2 / Fetch v2 with magic 1, ListOffsets v1, Metadata v1,
 * CreateTopics v0). Consumers here read assigned partitions; sarama's ConsumerGroup is in client-groups.test.ts.
 * What one client writes is read back by another client or by kcat, and the stored batches
 * are checked with raw fetches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { CODEC_IDS, buildGoClient, runClient, runClientRaw, storedBatches } from '../helpers/client-programs.js';
import { kcatConsume, kcatProduce } from '../helpers/kcat.js';
import { ensureGoKafkaClients, ensureKcat } from '../helpers/system-tools.js';

interface Record {
  key: string | null;
  value: string | null;
  headers?: [string, string][];
  timestamp?: number;
}
interface Consumed {
  offset: number;
  key: string | null;
  value: string | null;
  headers?: [string, string][];
  timestamp?: number;
}

let broker: BrokerProcess;
let saramaBin: string;
let kafkaGoBin: string;
const bootstrap = (): string => `127.0.0.1:${broker.port}`;

/** sarama with config.Version `version` ('' keeps the default, V0_8_2_0). */
const sarama = <T>(version: string, request: object): Promise<T> => runClient<T>(saramaBin, [], { bootstrap: bootstrap(), version, ...request });
const kafkaGo = <T>(request: object): Promise<T> => runClient<T>(kafkaGoBin, [], { bootstrap: bootstrap(), ...request });

const OLDEST = -2;
const T0 = Date.now() - 60_000;

function records(tag: string, n: number, first = 0, extra: (i: number) => Partial<Record> = () => ({})): Record[] {
  return Array.from({ length: n }, (_, j) => {
    const i = first + j;
    return { key: i % 4 === 1 ? null : `${tag}-k${i}`, value: `${tag}-v${i}-${'z'.repeat(i * 5)}`, ...extra(i) };
  });
}

beforeAll(() => {
  ensureKcat();
  ensureGoKafkaClients();
  saramaBin = buildGoClient('sarama');
  kafkaGoBin = buildGoClient('kafkago');
}, 600_000);

beforeAll(async () => {
  broker = await startBrokerProcess({ args: ['--override', 'num.partitions=1'] });
});

afterAll(async () => {
  await broker?.kill();
});

describe('sarama 1.22.1', () => {
  it('default config (V0_8_2_0): Produce v0 magic 0 with acks 0/1/-1 and gzip/snappy; kcat reads it; Fetch v0 and ListOffsets v0 read it back', async () => {
    const topic = 'sa-default';
    const steps = [
      { acks: -1, compression: 'none' },
      { acks: 1, compression: 'gzip' },
      { acks: -1, compression: 'snappy' },
      { acks: 0, compression: 'none' },
    ];
    const sent: Record[] = [];
    for (const step of steps) {
      const batch = records(`${step.compression}${step.acks}`, 4, sent.length);
      const out = await sarama<{ acked: { offset: number }[] }>('', { op: 'produce', topic, ...step, records: batch });
      // With acks=0 there is no answer and sarama leaves the offsets at 0.
      expect(out.acked.map((a) => a.offset)).toEqual(batch.map((_, j) => (step.acks === 0 ? 0 : sent.length + j)));
      sent.push(...batch);
    }
    const expected = sent.map((r, i) => `${i}|${r.key ?? ''}|${r.value}|-1`);
    expect(await kcatConsume(bootstrap(), topic, { format: '%o|%k|%s|%T\\n', expectLines: 16 })).toEqual(expected);
    // One magic 2 batch per request, with the producer's codec (inner offsets were all 0).
    expect((await storedBatches(broker.port, topic)).map((b) => [b.offset, b.magic, b.codec])).toEqual([
      [0n, 2, 0],
      [4n, 2, 1],
      [8n, 2, 2],
      [12n, 2, 0],
    ]);
    const back = await sarama<{ records: Consumed[]; highWaterMark: number }>('', { op: 'consume', topic, offset: OLDEST, count: 16 });
    // Magic 0 has no timestamps: sarama reports none.
    expect(back.records).toEqual(sent.map((r, i) => ({ offset: i, key: r.key, value: r.value, headers: [] })));
    expect(back.highWaterMark).toBe(16);
    expect(await sarama('', { op: 'offsets', topic })).toEqual({ earliest: 0, latest: 16, partitions: [0] });
    const tail = await sarama<{ records: Consumed[] }>('', { op: 'consume', topic, offset: 14, count: 2 });
    expect(tail.records.map((r) => r.offset)).toEqual([14, 15]);
  });

  it('default config reads what others wrote, converted to magic 0: headers dropped, zstd sent uncompressed', async () => {
    const topic = 'sa-default-reads';
    // Values long enough that librdkafka finds compressing them worthwhile.
    const value = (i: number): string => `value${i}-${'abc'.repeat(60)}`;
    const lines = Array.from({ length: 6 }, (_, i) => `key${i}:${value(i)}`);
    await kcatProduce(bootstrap(), topic, lines.slice(0, 3).join('\n') + '\n', ['-K:', '-H', 'dropped=yes', '-z', 'gzip', '-X', 'acks=all']);
    await kcatProduce(bootstrap(), topic, lines.slice(3).join('\n') + '\n', ['-K:', '-z', 'zstd', '-X', 'acks=all']);
    expect(new Set((await storedBatches(broker.port, topic)).map((b) => b.codec))).toEqual(new Set([CODEC_IDS.gzip, CODEC_IDS.zstd]));
    const back = await sarama<{ records: Consumed[] }>('', { op: 'consume', topic, offset: OLDEST, count: 6 });
    expect(back.records).toEqual(lines.map((_, i) => ({ offset: i, key: `key${i}`, value: value(i), headers: [] })));
    // (lz4 data is not readable at this version, from Kafka either: Kafka writes magic 0 lz4
    // frames with the KAFKA-3160 header checksum, which sarama's lz4 library rejects.)
  });

  it('V2_1_0: record batches with headers and timestamps in every codec sarama 1.22 can send; read back by sarama and kcat; offsets by time', async () => {
    const topic = 'sa-modern';
    const sent: Record[] = [];
    for (const compression of ['none', 'gzip', 'snappy', 'lz4']) {
      const batch = records(compression, 5, sent.length, (i) => ({
        headers: [
          ['n', String(i)],
          ['codec', compression],
        ],
        timestamp: T0 + i,
      }));
      await sarama('2.1.0', { op: 'produce', topic, acks: -1, compression, records: batch });
      sent.push(...batch);
    }
    expect((await storedBatches(broker.port, topic)).map((b) => [b.magic, b.codec])).toEqual(['none', 'gzip', 'snappy', 'lz4'].map((c) => [2, CODEC_IDS[c]]));
    const lines = await kcatConsume(bootstrap(), topic, { format: '%o|%k|%s|%h|%T\\n', expectLines: 20 });
    expect(lines).toEqual(sent.map((r, i) => `${i}|${r.key ?? ''}|${r.value}|n=${i},codec=${r.headers![1]![1]}|${T0 + i}`));
    const back = await sarama<{ records: Consumed[] }>('2.1.0', { op: 'consume', topic, offset: OLDEST, count: 20 });
    expect(back.records).toEqual(sent.map((r, i) => ({ offset: i, key: r.key, value: r.value, headers: r.headers, timestamp: T0 + i })));
    // sarama 1.22 leaves each batch's maxTimestamp at -1; the broker recomputes it as Kafka
    // does, so the time index finds these records (ListOffsets v1).
    expect(await sarama('2.1.0', { op: 'offsets', topic, timestamp: T0 + 7 })).toEqual({ earliest: 0, latest: 20, for_timestamp: 7, partitions: [0] });
    expect(await sarama('0.10.1.0', { op: 'offsets', topic, timestamp: T0 + 18 })).toEqual({ earliest: 0, latest: 20, for_timestamp: 18, partitions: [0] });
    expect(await kcatConsume(bootstrap(), topic, { offset: `s@${T0 + 16}`, format: '%o\\n' })).toEqual(['16', '17', '18', '19']);
  });

  it('V2_1_0 idempotent producer: batches carry its producer id, offsets continue across producers', async () => {
    const topic = 'sa-idempotent';
    const first = records('idem-a', 5, 0);
    const second = records('idem-b', 5, 5);
    for (const batch of [first, second]) await sarama('2.1.0', { op: 'produce', topic, acks: -1, idempotent: true, compression: 'snappy', records: batch });
    const stored = await storedBatches(broker.port, topic);
    expect(stored.map((b) => b.offset)).toEqual([0n, 5n]);
    expect(stored.every((b) => b.producerId >= 0n)).toBe(true);
    expect(stored[0]!.producerId).not.toBe(stored[1]!.producerId);
    expect(await kcatConsume(bootstrap(), topic, { format: '%o|%s\\n', expectLines: 10 })).toEqual([...first, ...second].map((r, i) => `${i}|${r.value}`));
  });

  it('V2_1_0 zstd is refused with UNSUPPORTED_COMPRESSION_TYPE, as by Kafka: sarama 1.22 sends it in Produce v3 (zstd needs v7)', async () => {
    const topic = 'sa-zstd';
    const r = await runClientRaw(saramaBin, [], {
      op: 'produce',
      bootstrap: bootstrap(),
      version: '2.1.0',
      topic,
      acks: -1,
      compression: 'zstd',
      records: records('zstd', 3),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('does not support the compression type');
    expect(await sarama('2.1.0', { op: 'offsets', topic })).toMatchObject({ earliest: 0, latest: 0 });
  });

  it('V0_10_0_0: magic 1 message sets (KIP-31 relative offsets) in gzip and lz4; kafka-go reads them', async () => {
    const topic = 'sa-magic1';
    const sent: Record[] = [];
    for (const compression of ['gzip', 'lz4']) {
      const batch = records(compression, 6, sent.length, (i) => ({ timestamp: T0 + i }));
      await sarama('0.10.0.0', { op: 'produce', topic, acks: 1, compression, records: batch });
      sent.push(...batch);
    }
    expect((await storedBatches(broker.port, topic)).map((b) => [b.offset, b.codec])).toEqual([
      [0n, CODEC_IDS.gzip],
      [6n, CODEC_IDS.lz4],
    ]);
    const back = await kafkaGo<{ records: Consumed[] }>({ op: 'consume', topic, offset: 0, count: 12 });
    expect(back.records).toEqual(sent.map((r, i) => ({ offset: i, key: r.key, value: r.value, timestamp: T0 + i })));
  });

  it('V2_1_0 cluster admin: create (and a duplicate), describe, configs, partitions, list, delete', async () => {
    expect(await sarama('2.1.0', { op: 'admin', topic: 'sa-admin' })).toEqual({
      duplicate_create: "kafka server: Topic with this name already exists. - Topic 'sa-admin' already exists.",
      partitions: [
        [0, 0, [0], [0]],
        [1, 0, [0], [0]],
      ],
      brokers: [`0@127.0.0.1:${broker.port}`],
      controller: 0,
      'retention.ms': '3600000',
      'altered.retention.ms': '7200000',
      listed: true,
      listed_partitions: 4,
      listed_after_delete: false,
    });
  });
});

describe('kafka-go 0.2.1', () => {
  it('administers topics: CreateTopics v0 (existing is fine), partitions from Metadata v1, DeleteTopics v0', async () => {
    const leader = `0@127.0.0.1:${broker.port}`;
    expect(await kafkaGo({ op: 'admin', topic: 'kg-admin' })).toEqual({
      partitions: [
        [0, leader, [0]],
        [1, leader, [0]],
        [2, leader, [0]],
      ],
      listed_after_delete: false,
    });
  });

  it('Writer: Produce v2 magic 1 in every codec it has, acks 0/1/-1; kcat and sarama read it; Conn looks offsets up by time', async () => {
    const topic = 'kg-writer';
    const steps = [
      { acks: 1, compression: 'none' },
      { acks: -1, compression: 'gzip' },
      { acks: 1, compression: 'snappy' },
      { acks: -1, compression: 'lz4' },
      { acks: 0, compression: 'gzip' },
    ];
    const sent: Record[] = [];
    for (const step of steps) {
      const batch = records(`kg-${step.compression}`, 4, sent.length, (i) => ({ timestamp: T0 + i }));
      expect(await kafkaGo({ op: 'produce', topic, ...step, records: batch })).toEqual({ messages: 4, errors: 0 });
      sent.push(...batch);
    }
    const lines = await kcatConsume(bootstrap(), topic, { format: '%o|%k|%s|%T\\n', expectLines: 20 });
    expect(lines).toEqual(sent.map((r, i) => `${i}|${r.key ?? ''}|${r.value}|${T0 + i}`));
    expect((await storedBatches(broker.port, topic)).map((b) => b.codec)).toEqual(steps.map((s) => CODEC_IDS[s.compression]));
    const back = await sarama<{ records: Consumed[] }>('2.1.0', { op: 'consume', topic, offset: OLDEST, count: 20 });
    expect(back.records).toEqual(sent.map((r, i) => ({ offset: i, key: r.key, value: r.value, headers: [], timestamp: T0 + i })));
    expect(await kafkaGo({ op: 'offsets', topic, timestamp: T0 + 9 })).toEqual({ earliest: 0, latest: 20, for_timestamp: 9 });
  });

  it('Reader (Fetch v2, no group): reads kcat-produced zstd and lz4 records from an offset, converted to magic 1', async () => {
    const topic = 'kg-reader';
    const value = (i: number): string => `${i}-${'abc'.repeat(60)}`;
    const input = (keys: string[], first: number): string => keys.map((k, j) => `${k}:${value(first + j)}\n`).join('');
    await kcatProduce(bootstrap(), topic, input(['a', 'b', 'c'], 0), ['-K:', '-z', 'zstd', '-X', 'acks=all']);
    // As a pre-0.10 client, so librdkafka really compresses with lz4 (see kcat.test.ts).
    await kcatProduce(bootstrap(), topic, input(['d', 'e'], 3), [
      '-K:',
      '-z',
      'lz4',
      '-X',
      'acks=all',
      '-X',
      'api.version.request=false',
      '-X',
      'broker.version.fallback=0.9.0',
    ]);
    expect(new Set((await storedBatches(broker.port, topic)).map((b) => b.codec))).toEqual(new Set([CODEC_IDS.zstd, CODEC_IDS.lz4]));
    const back = await kafkaGo<{ records: Consumed[] }>({ op: 'consume', topic, offset: 1, count: 4 });
    expect(back.records.map((r) => [r.offset, r.key, r.value])).toEqual([
      [1, 'b', value(1)],
      [2, 'c', value(2)],
      [3, 'd', value(3)],
      [4, 'e', value(4)],
    ]);
  });
});
