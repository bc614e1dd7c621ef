import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Writer, apiVersionsApi, codecFor, decodeRequestHeader, listOffsetsApi, metadataApi, produceApi, type ApiSchema } from '../../src/protocol/index.js';
import type { ApiHandler } from '../../src/server/dispatcher.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { ClusterClient } from '../../src/client/cluster-client.js';
import { NetworkTransport } from '../../src/client/network-transport.js';
import { decodeFetchedRecords } from '../../src/client/fetched-records.js';
import { KafkaConnectionError, RequestTimeoutError, UnsupportedApiError } from '../../src/client/network-errors.js';
import { WireConnection } from '../../src/wire/connection.js';
import { startFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';

const brokers: FakeBroker[] = [];
const clients: { close(): unknown }[] = [];
const rawServers: net.Server[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const b of brokers.splice(0)) await b.close();
  for (const s of rawServers.splice(0)) await new Promise((r) => s.close(r));
});

async function fake(options: Parameters<typeof startFakeBroker>[0] = {}): Promise<FakeBroker> {
  const b = await startFakeBroker(options);
  brokers.push(b);
  return b;
}

async function connect(b: FakeBroker, options: Parameters<typeof ClusterClient.connect>[1] = {}): Promise<ClusterClient> {
  const c = await ClusterClient.connect([`127.0.0.1:${b.port}`], { retryBackoffMs: 10, ...options });
  clients.push(c);
  return c;
}

/** The network transport (what the Producer, Consumer and Admin of connect() send through) over a ClusterClient. */
async function transport(b: FakeBroker, options: Partial<Parameters<typeof NetworkTransport.connect>[0]> = {}): Promise<NetworkTransport> {
  const t = await NetworkTransport.connect({ brokers: [`127.0.0.1:${b.port}`], retryBackoffMs: 10, ...options });
  clients.push(t);
  return t;
}

/** One record batch to one partition through the transport; the partition's result. */
async function produce(t: NetworkTransport, topic: string, partition: number, records: Buffer, acks = -1) {
  const [result] = await t.produce(acks, 30_000, [{ name: topic, partitions: [{ index: partition, records }] }]);
  return result!.partitions[0]!;
}

async function fetchFrom(t: NetworkTransport, topic: string, partition: number, fetchOffset: bigint) {
  const r = await t.fetch({
    maxWaitMs: 10,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partition, fetchOffset, partitionMaxBytes: 1 << 20 }] }],
  });
  return r.topics[0]!.partitions[0]!;
}

async function listOffset(t: NetworkTransport, topic: string, partition: number, timestamp: bigint): Promise<bigint> {
  const [r] = await t.listOffsets(0, [{ name: topic, partitions: [{ partition, timestamp }] }]);
  return r!.partitions[0]!.offset;
}

/** A raw TCP server whose connection handler the test writes by hand. */
async function rawServer(onSocket: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onSocket);
  rawServers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

describe('version negotiation', () => {
  it('starts every connection with ApiVersions and names itself in the request header', async () => {
    const b = await fake();
    await connect(b, { clientId: 'my-tool' });
    expect(b.requests[0]).toEqual({ apiKey: 18, apiVersion: 4, clientId: 'my-tool' });
  });

  it('uses the highest version in our validVersions ∩ the broker range for each request', async () => {
    const b = await fake({
      handlers: (broker) => [
        {
          api: metadataApi,
          versions: [1, 7],
          handle: () => ({ brokers: [{ nodeId: 0, host: '127.0.0.1', port: broker.port }], controllerId: 0, topics: [] }),
        } as ApiHandler<typeof metadataApi> as unknown as ApiHandler<ApiSchema>,
      ],
    });
    const c = await connect(b);
    await c.metadata(null);
    expect(b.requests.filter((r) => r.apiKey === 3).map((r) => r.apiVersion)).toEqual([7]);
    expect(await c.negotiatedVersion(produceApi)).toBe(11);
  });

  it('retries ApiVersions at the broker version when the broker answers UNSUPPORTED_VERSION with its list', async () => {
    const b = await fake({ apiVersionsRange: [0, 2] });
    b.addTopic('t', 1);
    const c = await connect(b);
    expect(b.requests.filter((r) => r.apiKey === 18).map((r) => r.apiVersion)).toEqual([4, 2]);
    // The list from the v2 answer is what later requests use.
    expect((await c.metadata(['t'])).topics[0]!.partitions).toHaveLength(1);
    expect(await c.brokerVersions(apiVersionsApi)).toEqual([0, 2]);
  });

  it('falls back to ApiVersions v0 when the refusal does not list ApiVersions', async () => {
    const seen: number[] = [];
    const port = await rawServer((socket) => {
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
          buf = buf.subarray(4 + frame.length);
          const { header } = decodeRequestHeader(frame);
          seen.push(header.apiVersion);
          const w = new Writer();
          w.writeInt32(0);
          w.writeInt32(header.correlationId);
          const errorCode = header.apiVersion === 0 ? 0 : 35;
          const apiKeys = errorCode === 0 ? [{ apiKey: 3, minVersion: 0, maxVersion: 1 }] : [];
          codecFor(apiVersionsApi, 0, 'response').encode(w, { errorCode, apiKeys });
          const out = w.toBuffer();
          out.writeInt32BE(out.length - 4, 0);
          socket.write(out);
        }
      });
    });
    const c = await ClusterClient.connect([`127.0.0.1:${port}`]);
    clients.push(c);
    expect(seen).toEqual([4, 0]);
    expect(await c.brokerVersions(metadataApi)).toEqual([0, 1]);
  });

  it('names the API and both version ranges when the broker does not serve an API at all', async () => {
    const b = await fake({ without: [37] });
    b.addTopic('t', 1);
    const t = await transport(b);
    const err = await t.createPartitions([{ name: 't', count: 2, assignments: null }], false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedApiError);
    expect((err as Error).message).toMatch(/^UNSUPPORTED_VERSION: .*does not support CreatePartitions/);
  });
});

describe('framing and correlation', () => {
  it('matches pipelined responses to their requests by correlation id', async () => {
    const b = await fake({
      handlers: () => [
        {
          api: listOffsetsApi,
          versions: [0, 8],
          async handle(request) {
            const ts = request.topics[0]!.partitions[0]!.timestamp;
            await new Promise((r) => setTimeout(r, Number(ts % 7n)));
            return { topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: ts, offset: ts * 2n }] }] };
          },
        } as ApiHandler<typeof listOffsetsApi> as unknown as ApiHandler<ApiSchema>,
      ],
    });
    b.addTopic('t', 1);
    const c = await connect(b);
    const timestamps = Array.from({ length: 25 }, (_, i) => BigInt(1000 + i * 13));
    const results = await Promise.all(timestamps.map((ts) => c.listOffsets('t', 0, ts)));
    expect(results.map((r) => r.offset)).toEqual(timestamps.map((ts) => ts * 2n));
  });

  it('rejects a request that gets no response within the request timeout and closes the connection under the requests behind it', async () => {
    const b = await fake({
      handlers: () => [
        {
          api: listOffsetsApi,
          versions: [0, 8],
          handle: () => new Promise(() => undefined),
        } as ApiHandler<typeof listOffsetsApi> as unknown as ApiHandler<ApiSchema>,
      ],
    });
    b.addTopic('t', 1);
    const conn = await WireConnection.connect('127.0.0.1', b.port, { clientId: 'x', requestTimeoutMs: 150 });
    const pending = conn.request(listOffsetsApi, 1, { replicaId: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
    const second = conn.request(metadataApi, 1, { topics: [] });
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect((err as Error).message).toMatch(/ListOffsets v1 .*no response within 150 ms/);
    // Kafka answers in order, so the request behind the stuck one fails with the connection.
    await expect(second).rejects.toThrow(/connection closed after a request timed out while Metadata v1 was in flight/);
    expect(conn.closed).toBe(true);
  });

  it('rejects every request in flight with the broker address when the broker closes the connection', async () => {
    const port = await rawServer((socket) => socket.once('data', () => socket.destroy()));
    const conn = await WireConnection.connect('127.0.0.1', port, { clientId: 'x' });
    const a = conn.request(metadataApi, 1, { topics: [] });
    const b2 = conn.request(metadataApi, 1, { topics: [] });
    for (const p of [a, b2]) {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KafkaConnectionError);
      expect((err as Error).message).toBe(`127.0.0.1:${port}: connection closed by the broker while Metadata v1 was in flight`);
    }
    await expect(conn.request(metadataApi, 1, { topics: [] })).rejects.toThrow(/connection closed by the broker/);
  });

  it('reports a refused connection with the address it tried', async () => {
    const port = await rawServer(() => undefined);
    await new Promise((r) => rawServers.pop()!.close(r));
    await expect(ClusterClient.connect([`127.0.0.1:${port}`])).rejects.toThrow(`127.0.0.1:${port}: cannot connect`);
  });
});

describe('routing and retries (network transport)', () => {
  it('sends produce to the partition leader advertised in Metadata, not the bootstrap broker', async () => {
    const leader = await fake({ nodeId: 1 });
    const bootstrap = await fake({ nodeId: 0 });
    for (const b of [leader, bootstrap]) b.addTopic('t', 2);
    bootstrap.cluster.brokers.push({ nodeId: 1, host: '127.0.0.1', port: leader.port });
    bootstrap.cluster.leaderOf = (_t, p) => (p === 1 ? 1 : 0);
    const t = await transport(bootstrap);
    expect((await produce(t, 't', 1, encodeRecordBatch([{ value: 'to the leader' }]))).errorCode).toBe(0);
    expect((await produce(t, 't', 0, encodeRecordBatch([{ value: 'to the bootstrap' }]))).errorCode).toBe(0);
    expect(leader.produced.map((p) => p.partition)).toEqual([1]);
    expect(bootstrap.produced.map((p) => p.partition)).toEqual([0]);
  });

  it('retries LEADER_NOT_AVAILABLE with fresh metadata until the partition has a leader', async () => {
    const b = await fake();
    b.addTopic('t', 1);
    let metadataCalls = 0;
    b.cluster.leaderOf = () => (metadataCalls++ < 2 ? -1 : 0);
    const t = await transport(b);
    const res = await produce(t, 't', 0, encodeRecordBatch([{ value: 'x' }]), 1);
    expect(res).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(metadataCalls).toBe(3);
  });

  it('gives up after the configured retries with the Kafka error name', async () => {
    const b = await fake();
    b.addTopic('t', 1);
    b.cluster.leaderOf = () => -1;
    const t = await transport(b, { retries: 2 });
    const res = await produce(t, 't', 0, encodeRecordBatch([{ value: 'x' }]), 1);
    expect(res.errorCode).toBe(5); // LEADER_NOT_AVAILABLE
    expect(res.errorMessage).toMatch(/^LEADER_NOT_AVAILABLE: /);
  });

  it('retries a Metadata request that times out `retries` times, not once per retry of each caller', async () => {
    const b = await fake({
      handlers: () => [
        {
          api: metadataApi,
          versions: [0, 12],
          handle: () => new Promise(() => undefined), // never answers
        } as ApiHandler<typeof metadataApi> as unknown as ApiHandler<ApiSchema>,
      ],
    });
    const c = await connect(b, { retries: 2, retryBackoffMs: 1, requestTimeoutMs: 50 });
    await expect(c.topicMetadata('t')).rejects.toBeInstanceOf(KafkaConnectionError);
    expect(b.requests.filter((r) => r.apiKey === metadataApi.apiKey).length).toBe(3);
  });

  it('fails a produce to a missing partition with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const b = await fake();
    b.addTopic('t', 1);
    const t = await transport(b, { retries: 1 });
    const res = await produce(t, 't', 5, encodeRecordBatch([{ value: 'x' }]), 1);
    expect(res.errorCode).toBe(3);
    expect(res.errorMessage).toMatch(/^UNKNOWN_TOPIC_OR_PARTITION: partition t-5 does not exist/);
    expect(b.produced).toEqual([]);
  });
});

describe('operations (network transport)', () => {
  it('produces with acks=0 without waiting for a response', async () => {
    const b = await fake();
    b.addTopic('t', 1);
    const t = await transport(b);
    expect((await produce(t, 't', 0, encodeRecordBatch([{ value: 'fire and forget' }]), 0)).errorCode).toBe(0);
    await expect.poll(() => b.produced.length).toBe(1);
    expect(b.produced[0]!.acks).toBe(0);
  });

  it('fetches back what it produced, decoded with keys, values and headers', async () => {
    const b = await fake();
    b.addTopic('t', 1);
    const t = await transport(b);
    await produce(t, 't', 0, encodeRecordBatch([{ key: 'k1', value: 'v1', headers: [{ key: 'h', value: 'x' }] }, { value: 'v2' }]));
    await produce(t, 't', 0, encodeRecordBatch([{ value: 'v3' }]));
    const res = await fetchFrom(t, 't', 0, 1n);
    expect(res.highWatermark).toBe(3n);
    const decoded = decodeFetchedRecords(res.records);
    expect(decoded.nextOffset).toBe(3n);
    // The first batch starts before offset 1; callers skip records below their position.
    expect(decoded.records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString()])).toEqual([
      [0n, 'k1', 'v1'],
      [1n, null, 'v2'],
      [2n, null, 'v3'],
    ]);
    expect(decoded.records[0]!.headers.map((h) => [h.key, h.value?.toString()])).toEqual([['h', 'x']]);
    expect(await listOffset(t, 't', 0, -1n)).toBe(3n);
    expect(await listOffset(t, 't', 0, -2n)).toBe(0n);
  });

  it('fetches by topic name at Fetch v12 when metadata has no topic ids', async () => {
    const b = await fake({
      handlers: (broker) => [
        {
          api: metadataApi,
          versions: [0, 9],
          handle: () => ({
            brokers: [{ nodeId: 0, host: '127.0.0.1', port: broker.port }],
            controllerId: 0,
            topics: [{ errorCode: 0, name: 't', partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 0, replicaNodes: [0], isrNodes: [0] }] }],
          }),
        } as ApiHandler<typeof metadataApi> as unknown as ApiHandler<ApiSchema>,
      ],
    });
    b.addTopic('t', 1);
    const t = await transport(b);
    await fetchFrom(t, 't', 0, 0n);
    expect(b.requests.filter((r) => r.apiKey === 1).map((r) => r.apiVersion)).toEqual([12]);
  });

  it('creates, describes, alters and deletes topics, returning per-topic errors as values', async () => {
    const b = await fake();
    const t = await transport(b);
    const [created] = await t.createTopics(
      [{ name: 'web_log', numPartitions: 3, replicationFactor: -1, assignments: [], configs: [{ name: 'retention.ms', value: '86400000' }] }],
      false,
    );
    expect(created).toMatchObject({ name: 'web_log', errorCode: 0, numPartitions: 3 });
    const [again] = await t.createTopics([{ name: 'web_log', numPartitions: 3, replicationFactor: -1, assignments: [], configs: [] }], false);
    expect(again).toMatchObject({ errorCode: 36, errorMessage: "Topic 'web_log' already exists." });

    const [described] = await t.describeConfigs([{ resourceType: 2, resourceName: 'web_log', configurationKeys: null }], false);
    expect(described!.configs.filter((x) => !x.isDefault).map((x) => [x.name, x.value])).toEqual([['retention.ms', '86400000']]);

    await t.incrementalAlterConfigs(
      [{ resourceType: 2, resourceName: 'web_log', configs: [{ name: 'segment.ms', configOperation: 0, value: '1000' }] }],
      false,
    );
    expect(b.topics.get('web_log')!.configs.get('segment.ms')).toBe('1000');

    const [grown] = await t.createPartitions([{ name: 'web_log', count: 6, assignments: null }], false);
    expect(grown!.errorCode).toBe(0);
    expect((await t.metadata(['web_log'], false)).topics[0]!.partitions).toHaveLength(6);

    const [deleted] = await t.deleteTopics(['web_log']);
    expect(deleted).toMatchObject({ name: 'web_log', errorCode: 0 });
    const [missing] = await t.deleteTopics(['web_log']);
    expect(missing!.errorCode).toBe(3);
  });

  it('falls back to AlterConfigs with the full dynamic config when IncrementalAlterConfigs is not served', async () => {
    const b = await fake({ without: [44] });
    b.addTopic('t', 1, { 'retention.ms': '1000', 'cleanup.policy': 'compact' });
    const t = await transport(b);
    const [result] = await t.incrementalAlterConfigs(
      [
        {
          resourceType: 2,
          resourceName: 't',
          configs: [
            { name: 'segment.ms', configOperation: 0, value: '5000' },
            { name: 'retention.ms', configOperation: 1, value: null },
            { name: 'cleanup.policy', configOperation: 2, value: 'delete' },
          ],
        },
      ],
      false,
    );
    expect(result!.errorCode).toBe(0);
    expect(Object.fromEntries(b.topics.get('t')!.configs)).toEqual({ 'cleanup.policy': 'compact,delete', 'segment.ms': '5000' });
    expect(b.requests.some((r) => r.apiKey === 33)).toBe(true);
    expect(b.requests.some((r) => r.apiKey === 44)).toBe(false);
  });
});
