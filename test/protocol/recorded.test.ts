/**
 * Golden frames recorded from real clients (kcat/librdkafka and kafkajs) talking to the real
 * daemon through a recording proxy: test/fixtures/protocol/<client>/<Api>-v<N>-<direction>[-<variant>].bin,
 * each a whole frame with its size prefix, described in test/fixtures/protocol/index.json.
 * Re-record with `npm run build:ts && node scripts/record-protocol-fixtures.mjs`.
 *
 * Every request frame must decode (header and body, nothing left over) and re-encode to the
 * very same bytes; so must every response frame — those are ours, but pinning them catches a
 * codec change that would alter what clients receive. A few fixtures are also checked for
 * what they mean: record counts, keys, headers and codecs inside Produce and Fetch, the topic
 * in Metadata, the software name in ApiVersions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  apiByKey,
  apiVersionsApi,
  createTopicsApi,
  deleteRecordsApi,
  fetchApi,
  initProducerIdApi,
  listOffsetsApi,
  metadataApi,
  produceApi,
} from '../../src/protocol/apis/index.js';
import { decodeRequest, decodeResponse, writeRequest } from '../../src/protocol/codec.js';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeResponseFrame,
  requestHeaderVersion,
  responseHeaderVersion,
  writeRequestHeader,
  type RequestHeader,
} from '../../src/protocol/headers.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';
import type { ApiSchema, RequestOf, ResponseOf } from '../../src/protocol/schema.js';
import { compressionName, decodeMessageSet, decodeRecordBatches, type Record as KafkaRecord } from '../../src/records/index.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/protocol');

interface FixtureMeta {
  file: string;
  client: 'kcat' | 'kafkajs';
  api: string;
  apiKey: number;
  version: number;
  direction: 'request' | 'response';
  headerVersion: number;
  correlationId: number;
  clientId: string | null;
  records?: string;
  action: string;
  recorded: string;
  clientVersion: string;
  size: number;
}

interface FixtureIndex {
  recorded: string;
  clients: { kcat: { version: string; libraryVersion: string }; kafkajs: { version: string } };
  fixtures: FixtureMeta[];
}

const index = JSON.parse(readFileSync(path.join(DIR, 'index.json'), 'utf8')) as FixtureIndex;
const requests = index.fixtures.filter((f) => f.direction === 'request');
const responses = index.fixtures.filter((f) => f.direction === 'response');

function load(file: string): Buffer {
  return readFileSync(path.join(DIR, file));
}

function schemaOf(meta: FixtureMeta): ApiSchema {
  const api = apiByKey(meta.apiKey);
  if (api === undefined) throw new Error(`${meta.file}: api key ${meta.apiKey} is not implemented`);
  return api;
}

function openRequest(meta: FixtureMeta) {
  const frame = load(meta.file);
  expect(frame.readInt32BE(0)).toBe(frame.length - 4);
  const h = decodeRequestHeader(frame, 4);
  const reader = new Reader(frame, h.bodyOffset);
  const body = decodeRequest(schemaOf(meta), meta.version, reader);
  return { frame, ...h, body, left: reader.remaining() };
}

function openResponse(meta: FixtureMeta) {
  const frame = load(meta.file);
  expect(frame.readInt32BE(0)).toBe(frame.length - 4);
  const reader = new Reader(frame, 4);
  const header = decodeResponseHeader(reader, meta.apiKey, meta.version);
  const body = decodeResponse(schemaOf(meta), meta.version, reader);
  return { frame, header, body, left: reader.remaining() };
}

function encodeRequestFrameWith(api: ApiSchema, header: RequestHeader, headerVersion: 0 | 1 | 2, body: object): Buffer {
  const w = new Writer(256);
  w.writeInt32(0);
  writeRequestHeader(w, header, headerVersion);
  writeRequest(w, api, header.apiVersion, body as never);
  w.buf.writeInt32BE(w.pos - 4, 0);
  return w.toBuffer();
}

/** The fixture named `file` from the index (fails the test when it was not recorded). */
function fixture(file: string): FixtureMeta {
  const meta = index.fixtures.find((f) => f.file === file);
  if (meta === undefined) throw new Error(`no fixture ${file} in index.json`);
  return meta;
}

/** The body of the request fixture `file`, decoded with `api`'s typed schema. */
function requestOf<A extends ApiSchema>(api: A, file: string): RequestOf<A> {
  const meta = fixture(file);
  expect(meta.apiKey).toBe(api.apiKey);
  const frame = load(file);
  return decodeRequest(api, meta.version, new Reader(frame, decodeRequestHeader(frame, 4).bodyOffset));
}

/** The body of the response fixture `file`, decoded with `api`'s typed schema. */
function responseOf<A extends ApiSchema>(api: A, file: string): ResponseOf<A> {
  const meta = fixture(file);
  expect(meta.apiKey).toBe(api.apiKey);
  const reader = new Reader(load(file), 4);
  decodeResponseHeader(reader, meta.apiKey, meta.version);
  return decodeResponse(api, meta.version, reader);
}

function text(b: Buffer | null): string | null {
  return b === null ? null : b.toString('utf8');
}

/** Records in a magic 2 records blob, with each batch's codec. */
function batchesIn(records: Buffer | null) {
  return decodeRecordBatches(records ?? Buffer.alloc(0)).map((b) => ({ codec: compressionName(b.header.compression), header: b.header, records: b.records }));
}

/** The codec of each top-level message of a magic 0/1 message set (attributes & 7 at offset 17). */
function legacyWrapperCodecs(set: Buffer): string[] {
  const out: string[] = [];
  for (let pos = 0; pos + 12 <= set.length; pos += 12 + set.readInt32BE(pos + 8)) {
    out.push(compressionName(set[pos + 17]! & 7));
  }
  return out;
}

const KCAT_VALUES = [1, 2, 3].map((i) => `value-${i}-${'abcdefgh'.repeat(16)}`);

function expectKcatRecords(records: readonly KafkaRecord[]): void {
  expect(records.map((r) => text(r.key))).toEqual(['key-1', 'key-2', 'key-3']);
  expect(records.map((r) => text(r.value))).toEqual(KCAT_VALUES);
}

describe('the fixture set', () => {
  test('index.json lists exactly the .bin files on disk, with their sizes', () => {
    const onDisk = readdirSync(DIR, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.bin'))
      .map((f) => f.split(path.sep).join('/'))
      .sort();
    expect(index.fixtures.map((f) => f.file).sort()).toEqual(onDisk);
    for (const f of index.fixtures) expect(load(f.file).length, f.file).toBe(f.size);
  });

  test('both clients are represented, each with the APIs it was driven through', () => {
    const apis = (client: string) => new Set(index.fixtures.filter((f) => f.client === client).map((f) => f.api));
    expect([...apis('kcat')].sort()).toEqual(['ApiVersions', 'Fetch', 'ListOffsets', 'Metadata', 'Produce']);
    expect([...apis('kafkajs')].sort()).toEqual([
      'AlterConfigs',
      'ApiVersions',
      'CreatePartitions',
      'CreateTopics',
      'DeleteRecords',
      'DeleteTopics',
      'DescribeConfigs',
      'Fetch',
      'InitProducerId',
      'ListOffsets',
      'Metadata',
      'Produce',
    ]);
  });
});

describe('recorded requests', () => {
  test.each(requests.map((f) => [f.file, f] as const))('%s decodes and re-encodes byte for byte', (_file, meta) => {
    const { frame, header, headerVersion, supported, body, left } = openRequest(meta);
    expect(supported).toBe(true);
    expect(left).toBe(0);
    expect(header.apiKey).toBe(meta.apiKey);
    expect(header.apiVersion).toBe(meta.version);
    expect(header.correlationId).toBe(meta.correlationId);
    expect(header.clientId).toBe(meta.clientId);
    expect(headerVersion).toBe(meta.headerVersion);
    expect(headerVersion).toBe(requestHeaderVersion(meta.apiKey, meta.version));
    expect(encodeRequestFrameWith(schemaOf(meta), header, headerVersion!, body)).toEqual(frame);
  });
});

describe('recorded responses', () => {
  test.each(responses.map((f) => [f.file, f] as const))('%s decodes and re-encodes byte for byte', (_file, meta) => {
    const { frame, header, body, left } = openResponse(meta);
    expect(left).toBe(0);
    expect(header.correlationId).toBe(meta.correlationId);
    // We never send response header tags, so the plain encoder reproduces the header.
    expect(header.unknownTaggedFields).toBeUndefined();
    expect(meta.headerVersion).toBe(responseHeaderVersion(meta.apiKey, meta.version));
    expect(encodeResponseFrame(schemaOf(meta), meta.version, header.correlationId, body as never)).toEqual(frame);
  });

  test('each response answers a recorded request of the same client, API and version', () => {
    for (const res of responses) {
      const match = requests.some((req) => req.client === res.client && req.apiKey === res.apiKey && req.version === res.version);
      expect(match, res.file).toBe(true);
    }
  });
});

describe('what the recorded frames say', () => {
  test('librdkafka opens with ApiVersions v3 (request header v2, compact strings naming itself); we answer with response header v0', () => {
    const req = openRequest(fixture('kcat/ApiVersions-v3-request.bin'));
    expect(req.headerVersion).toBe(2);
    expect(req.header.clientId).toBe('rdkafka');
    expect(req.body).toEqual({ clientSoftwareName: 'librdkafka', clientSoftwareVersion: index.clients.kcat.libraryVersion });

    const resMeta = fixture('kcat/ApiVersions-v3-response.bin');
    expect(resMeta.headerVersion).toBe(0);
    const res = responseOf(apiVersionsApi, resMeta.file);
    expect(res.errorCode).toBe(0);
    expect(res.apiKeys.find((k) => k.apiKey === produceApi.apiKey)).toMatchObject({ minVersion: 0 });
  });

  test('kafkajs sends ApiVersions v2 with a v1 header and an empty body', () => {
    const req = openRequest(fixture('kafkajs/ApiVersions-v2-request.bin'));
    expect(req.headerVersion).toBe(1);
    expect(req.header.clientId).toBe('kafkajs');
    expect(req.frame.length).toBe(4 + 8 + 2 + 'kafkajs'.length);
  });

  test.each(['gzip', 'snappy', 'zstd', 'none'])('kcat Produce v7 (%s) carries one batch of the three keyed records with two headers', (codec) => {
    const produce = requestOf(produceApi, `kcat/Produce-v7-request-${codec}.bin`);
    expect(produce.acks).toBe(-1);
    expect(produce.transactionalId).toBeNull();
    expect(produce.topics).toHaveLength(1);
    expect(produce.topics[0]!.name).toBe('kcat-fixtures');
    expect(produce.topics[0]!.partitions.map((p) => p.partitionIndex)).toEqual([0]);
    const batches = batchesIn(produce.topics[0]!.partitions[0]!.records);
    expect(batches.map((b) => b.codec)).toEqual([codec]);
    expect(batches[0]!.header.magic).toBe(2);
    expect(batches[0]!.header.recordCount).toBe(3);
    expectKcatRecords(batches[0]!.records);
    for (const r of batches[0]!.records) {
      expect(r.headers.map((h) => [h.key, text(h.value)])).toEqual([
        ['h1', 'v1'],
        ['h2', 'v2'],
      ]);
    }
  });

  test.each([
    ['kcat/Produce-v0-request-none.bin', 'none'],
    ['kcat/Produce-v1-request-none.bin', 'none'],
    ['kcat/Produce-v1-request-gzip.bin', 'gzip'],
    ['kcat/Produce-v1-request-lz4.bin', 'lz4'],
  ])('%s (broker.version.fallback, no ApiVersions) carries a magic 0 message set of the three records', (file, codec) => {
    expect(fixture(file).clientId).toBe('rdkafka');
    const produce = requestOf(produceApi, file);
    const set = produce.topics[0]!.partitions[0]!.records!;
    expect(set[16]).toBe(0); // magic of the first message
    // Uncompressed: one message per record; compressed: one wrapper holding all three.
    expect(legacyWrapperCodecs(set)).toEqual(codec === 'none' ? ['none', 'none', 'none'] : [codec]);
    const records = decodeMessageSet(set);
    expectKcatRecords(records);
    expect(records.map((r) => r.timestamp)).toEqual([-1, -1, -1]);
  });

  test('kafkajs idempotent Produce v7 batches carry the producer id and consecutive sequences', () => {
    const initRes = responseOf(initProducerIdApi, 'kafkajs/InitProducerId-v1-response.bin');
    expect(initRes.errorCode).toBe(0);
    const seen: { codec: string; sequence: number }[] = [];
    for (const codec of ['none', 'gzip']) {
      const produce = requestOf(produceApi, `kafkajs/Produce-v7-request-${codec}.bin`);
      expect(produce.acks).toBe(-1);
      expect(produce.topics[0]!.name).toBe('kafkajs-fixtures');
      const [batch, ...rest] = batchesIn(produce.topics[0]!.partitions[0]!.records);
      expect(rest).toEqual([]);
      expect(batch!.codec).toBe(codec);
      expect(batch!.header.producerId).toBe(initRes.producerId);
      expect(batch!.header.producerEpoch).toBe(initRes.producerEpoch);
      expect(batch!.records.map((r) => text(r.key))).toEqual(['key-1', 'key-2', 'key-3']);
      expect(batch!.records.map((r) => r.headers.map((h) => [h.key, h.value]))).toEqual(
        [1, 2, 3].map((i) => [
          ['h1', Buffer.from('v1')],
          ['h2', Buffer.from([0, i])],
        ]),
      );
      seen.push({ codec, sequence: batch!.header.baseSequence });
    }
    expect(seen).toEqual([
      { codec: 'none', sequence: 0 },
      { codec: 'gzip', sequence: 3 },
    ]);
  });

  test('kcat Fetch v11 response holds the fifteen produced records in five batches', () => {
    const fetch = responseOf(fetchApi, 'kcat/Fetch-v11-response-none.bin');
    const partition = fetch.responses[0]!.partitions[0]!;
    expect(fetch.responses[0]!.topic).toBe('kcat-fixtures');
    expect(partition.errorCode).toBe(0);
    expect(partition.highWatermark).toBe(15n);
    const batches = batchesIn(partition.records);
    expect(batches).toHaveLength(5);
    for (const b of batches) expectKcatRecords(b.records);
    expect(batches.flatMap((b) => b.records.map((r) => r.offset))).toEqual(Array.from({ length: 15 }, (_, i) => BigInt(i)));
    // As stored: gzip, snappy and zstd batches are kept compressed. (The fourth was produced
    // with -z lz4, which librdkafka sent uncompressed; see the recording script.)
    expect(batches.map((b) => b.codec)).toEqual(['none', 'gzip', 'snappy', 'none', 'zstd']);
  });

  test.each([
    ['kcat/Fetch-v0-response-none.bin', 3],
    ['kcat/Fetch-v1-response-none.bin', 9],
  ])('%s answers the legacy consumer with magic 0 messages', (file, count) => {
    const fetch = responseOf(fetchApi, file);
    const set = fetch.responses[0]!.partitions[0]!.records!;
    expect(set[16]).toBe(0);
    const records = decodeMessageSet(set);
    expect(records).toHaveLength(count);
    expect(records.map((r) => text(r.key))).toEqual(Array.from({ length: count }, (_, i) => `key-${(i % 3) + 1}`));
  });

  test('kcat Metadata v4 for one topic names it, and the broker is the proxy kcat connected to', () => {
    const req = requestOf(metadataApi, 'kcat/Metadata-v4-request-topics.bin');
    expect(req.topics).toEqual([{ name: 'kcat-fixtures', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }]);
    const res = responseOf(metadataApi, 'kcat/Metadata-v4-response-topics.bin');
    expect(res.brokers).toHaveLength(1);
    expect(res.brokers[0]!.host).toBe('127.0.0.1');
    expect(res.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([['kcat-fixtures', 0, 1]]);

    const all = requestOf(metadataApi, 'kcat/Metadata-v4-request-all-topics.bin');
    expect(all.topics).toBeNull();
    const none = requestOf(metadataApi, 'kcat/Metadata-v4-request-no-topics.bin');
    expect(none.topics).toEqual([]);
  });

  test('kafkajs Metadata v6 response lists the topic kafkajs created', () => {
    const res = responseOf(metadataApi, 'kafkajs/Metadata-v6-response-topics.bin');
    expect(res.topics.map((t) => t.name)).toEqual(['kafkajs-fixtures']);
  });

  test('ListOffsets: kcat asks for earliest (-2) and for a timestamp; kafkajs for latest, earliest and a timestamp', () => {
    const ts = (file: string) => requestOf(listOffsetsApi, file).topics[0]!.partitions[0]!.timestamp;
    expect(ts('kcat/ListOffsets-v0-request-earliest.bin')).toBe(-2n);
    expect(ts('kcat/ListOffsets-v2-request-earliest.bin')).toBe(-2n);
    expect(ts('kcat/ListOffsets-v2-request-timestamp.bin')).toBeGreaterThan(0n);
    expect(ts('kafkajs/ListOffsets-v3-request-latest.bin')).toBe(-1n);
    expect(ts('kafkajs/ListOffsets-v3-request-earliest.bin')).toBe(-2n);
    expect(ts('kafkajs/ListOffsets-v3-request-timestamp.bin')).toBeGreaterThan(0n);
  });

  test('kafkajs CreateTopics v3 carries the topic config, DeleteRecords v1 answers the new low watermark', () => {
    const create = requestOf(createTopicsApi, 'kafkajs/CreateTopics-v3-request.bin');
    expect(create.topics).toEqual([
      { name: 'kafkajs-fixtures', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [{ name: 'retention.ms', value: '86400000' }] },
    ]);
    const deleted = responseOf(deleteRecordsApi, 'kafkajs/DeleteRecords-v1-response.bin');
    expect(deleted.topics[0]!.partitions[0]).toMatchObject({ partitionIndex: 0, lowWatermark: 1n, errorCode: 0 });
  });
});
