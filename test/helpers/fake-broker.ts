/**
 * A tiny in-process Kafka broker for client tests: the real KafkaServer and Dispatcher from
 * src/server with hand-written handlers that keep topics and record batches in memory. It
 * speaks our codec exactly, so it tests the client's framing, versions and routing — not
 * broker semantics (those live in test/broker and the integration tests).
 *
 * Every handler can be replaced or removed per test (`handlers` / `without`), and every
 * request header the broker saw is kept in `requests` (api key, version, client id).
 */
import {
  apiVersionsApi,
  metadataApi,
  createTopicsApi,
  deleteTopicsApi,
  createPartitionsApi,
  describeConfigsApi,
  alterConfigsApi,
  incrementalAlterConfigsApi,
  listOffsetsApi,
  produceApi,
  fetchApi,
  decodeRequestHeader,
  type ApiSchema,
} from '../../src/protocol/index.js';
import { Dispatcher, type ApiHandler } from '../../src/server/dispatcher.js';
import type { ConnectionInfo, RequestDispatcher, ResponseBytes } from '../../src/server/connection.js';
import { KafkaServer } from '../../src/server/server.js';
import { parseListeners } from '../../src/server/listeners.js';
import { quietLogger } from './logger.js';

export interface FakeTopic {
  name: string;
  topicId: string;
  partitions: number;
  configs: Map<string, string>;
  /** Per partition: stored batches with their base offsets already assigned. */
  logs: Buffer[][];
  nextOffsets: bigint[];
}

export interface SeenRequest {
  apiKey: number;
  apiVersion: number;
  clientId: string | null;
}

export interface FakeBroker {
  port: number;
  nodeId: number;
  topics: Map<string, FakeTopic>;
  requests: SeenRequest[];
  /** Produce requests' raw records, in arrival order. */
  produced: { topic: string; partition: number; acks: number; records: Buffer }[];
  /** Where Metadata says brokers and leaders are; defaults to this broker alone. */
  cluster: { brokers: { nodeId: number; host: string; port: number }[]; leaderOf(topic: string, partition: number): number };
  addTopic(name: string, partitions: number, configs?: Record<string, string>): FakeTopic;
  close(): Promise<void>;
}

export interface FakeBrokerOptions {
  nodeId?: number;
  /** Served ApiVersions versions (default 0-4); a narrower range tests the KIP-511 fallback. */
  apiVersionsRange?: readonly [number, number];
  /** API keys to leave out entirely (the broker then does not advertise them). */
  without?: number[];
  /** Handlers that replace the defaults for their API key. */
  handlers?: (broker: FakeBroker) => ApiHandler<ApiSchema>[];
}

const limits = { maxRequestBytes: 100 * 1024 * 1024, maxIdleMs: 0, maxInFlightRequests: 64, maxPendingResponseBytes: 64 << 20 };

function uuidFor(name: string): string {
  const b = Buffer.alloc(16);
  Buffer.from(name.padEnd(16, '#')).copy(b, 0, 0, 16);
  b[0] = b[0]! | 1; // never the zero UUID
  return b.toString('base64url');
}

export async function startFakeBroker(options: FakeBrokerOptions = {}): Promise<FakeBroker> {
  const nodeId = options.nodeId ?? 0;
  const broker: FakeBroker = {
    port: 0,
    nodeId,
    topics: new Map(),
    requests: [],
    produced: [],
    cluster: {
      brokers: [],
      leaderOf: () => nodeId,
    },
    addTopic(name, partitions, configs = {}) {
      const t: FakeTopic = {
        name,
        topicId: uuidFor(name),
        partitions,
        configs: new Map(Object.entries(configs)),
        logs: Array.from({ length: partitions }, () => []),
        nextOffsets: Array.from({ length: partitions }, () => 0n),
      };
      broker.topics.set(name, t);
      return t;
    },
    close: async () => undefined,
  };

  const handlers = new Map<number, ApiHandler<ApiSchema>>();
  for (const h of defaultHandlers(broker, options.apiVersionsRange ?? [0, 4], () => dispatcher)) handlers.set(h.api.apiKey, h);
  for (const h of options.handlers?.(broker) ?? []) handlers.set(h.api.apiKey, h);
  for (const key of options.without ?? []) handlers.delete(key);
  const dispatcher = new Dispatcher([...handlers.values()], quietLogger());

  const recording: RequestDispatcher = {
    dispatch(frame: Buffer, connection: ConnectionInfo): ResponseBytes | Promise<ResponseBytes> {
      const { header } = decodeRequestHeader(frame);
      broker.requests.push({ apiKey: header.apiKey, apiVersion: header.apiVersion, clientId: header.clientId });
      return dispatcher.dispatch(frame, connection);
    },
  };
  const server = new KafkaServer(recording, limits, quietLogger());
  const [bound] = await server.listen(parseListeners('PLAINTEXT://127.0.0.1:0'));
  broker.port = bound!.boundPort;
  broker.cluster.brokers = [{ nodeId, host: '127.0.0.1', port: broker.port }];
  broker.close = () => server.close(100);
  return broker;
}

function defaultHandlers(broker: FakeBroker, apiVersionsRange: readonly [number, number], dispatcher: () => Dispatcher): ApiHandler<ApiSchema>[] {
  const apiVersions: ApiHandler<typeof apiVersionsApi> = {
    api: apiVersionsApi,
    versions: apiVersionsRange as [number, number],
    handle: () => ({ errorCode: 0, apiKeys: dispatcher().advertised(), throttleTimeMs: 0 }),
  };
  const metadata: ApiHandler<typeof metadataApi> = {
    api: metadataApi,
    versions: [0, 12],
    handle(request) {
      const names = request.topics === null || request.topics.length === 0 ? [...broker.topics.keys()] : request.topics.map((t) => t.name ?? '');
      return {
        brokers: broker.cluster.brokers.map((b) => ({ ...b, rack: null })),
        clusterId: 'fake-cluster',
        controllerId: broker.cluster.brokers[0]!.nodeId,
        topics: names.map((name) => {
          const t = broker.topics.get(name);
          if (t === undefined) return { errorCode: 3, name, partitions: [] };
          return {
            errorCode: 0,
            name,
            topicId: t.topicId,
            partitions: Array.from({ length: t.partitions }, (_, p) => {
              const leader = broker.cluster.leaderOf(name, p);
              return {
                errorCode: leader < 0 ? 5 : 0,
                partitionIndex: p,
                leaderId: leader,
                leaderEpoch: 0,
                replicaNodes: [Math.max(leader, 0)],
                isrNodes: leader < 0 ? [] : [leader],
              };
            }),
          };
        }),
      };
    },
  };
  const createTopics: ApiHandler<typeof createTopicsApi> = {
    api: createTopicsApi,
    versions: [0, 7],
    handle(request) {
      return {
        topics: request.topics.map((t) => {
          if (broker.topics.has(t.name)) return { name: t.name, errorCode: 36, errorMessage: `Topic '${t.name}' already exists.` };
          const created = broker.addTopic(t.name, t.numPartitions < 0 ? 1 : t.numPartitions, Object.fromEntries(t.configs.map((c) => [c.name, c.value ?? ''])));
          return { name: t.name, topicId: created.topicId, errorCode: 0, errorMessage: null, numPartitions: created.partitions, replicationFactor: 1 };
        }),
      };
    },
  };
  const deleteTopics: ApiHandler<typeof deleteTopicsApi> = {
    api: deleteTopicsApi,
    versions: [0, 6],
    handle(request, ctx) {
      const names = ctx.header.apiVersion >= 6 ? request.topics.map((t) => t.name ?? '') : request.topicNames;
      return {
        responses: names.map((name) => {
          const existed = broker.topics.delete(name);
          return { name, errorCode: existed ? 0 : 3 };
        }),
      };
    },
  };
  const createPartitions: ApiHandler<typeof createPartitionsApi> = {
    api: createPartitionsApi,
    versions: [0, 3],
    handle(request) {
      return {
        throttleTimeMs: 0,
        results: request.topics.map((t) => {
          const topic = broker.topics.get(t.name);
          if (topic === undefined) return { name: t.name, errorCode: 3, errorMessage: null };
          if (t.count <= topic.partitions) return { name: t.name, errorCode: 37, errorMessage: `Topic currently has ${topic.partitions} partitions` };
          for (let p = topic.partitions; p < t.count; p++) {
            topic.logs.push([]);
            topic.nextOffsets.push(0n);
          }
          topic.partitions = t.count;
          return { name: t.name, errorCode: 0, errorMessage: null };
        }),
      };
    },
  };
  const describeConfigs: ApiHandler<typeof describeConfigsApi> = {
    api: describeConfigsApi,
    versions: [0, 4],
    handle(request, ctx) {
      const v = ctx.header.apiVersion;
      return {
        throttleTimeMs: 0,
        results: request.resources.map((r) => {
          const t = broker.topics.get(r.resourceName);
          if (t === undefined) return { errorCode: 3, errorMessage: 'no such topic', resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
          const dynamic = [...t.configs].map(([name, value]) => ({ name, value, readOnly: false, isDefault: false, configSource: 1, isSensitive: false }));
          const defaults = [{ name: 'cleanup.policy', value: 'delete', readOnly: false, isDefault: true, configSource: 5, isSensitive: false }];
          const configs = [...dynamic, ...defaults].map((c) => (v === 0 ? { ...c, configSource: -1 } : { ...c, isDefault: false }));
          return { errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs };
        }),
      };
    },
  };
  const alterConfigs: ApiHandler<typeof alterConfigsApi> = {
    api: alterConfigsApi,
    versions: [0, 2],
    handle(request) {
      return {
        throttleTimeMs: 0,
        responses: request.resources.map((r) => {
          const t = broker.topics.get(r.resourceName);
          if (t !== undefined) t.configs = new Map(r.configs.map((c) => [c.name, c.value ?? '']));
          return { errorCode: t === undefined ? 3 : 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName };
        }),
      };
    },
  };
  const incrementalAlterConfigs: ApiHandler<typeof incrementalAlterConfigsApi> = {
    api: incrementalAlterConfigsApi,
    versions: [0, 1],
    handle(request) {
      return {
        throttleTimeMs: 0,
        responses: request.resources.map((r) => {
          const t = broker.topics.get(r.resourceName);
          for (const c of r.configs) {
            if (c.configOperation === 0) t?.configs.set(c.name, c.value ?? '');
            else if (c.configOperation === 1) t?.configs.delete(c.name);
          }
          return { errorCode: t === undefined ? 3 : 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName };
        }),
      };
    },
  };
  const listOffsets: ApiHandler<typeof listOffsetsApi> = {
    api: listOffsetsApi,
    versions: [0, 8],
    handle(request, ctx) {
      return {
        topics: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            const topic = broker.topics.get(t.name);
            if (topic === undefined || p.partitionIndex >= topic.partitions) return { partitionIndex: p.partitionIndex, errorCode: 3 };
            const offset = p.timestamp === -2n ? 0n : topic.nextOffsets[p.partitionIndex]!;
            return ctx.header.apiVersion === 0
              ? { partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: [offset] }
              : { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1n, offset };
          }),
        })),
      };
    },
  };
  const produce: ApiHandler<typeof produceApi> = {
    api: produceApi,
    versions: [0, 11],
    handle(request) {
      const topics = request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const topic = broker.topics.get(t.name);
          if (topic === undefined || p.partitionIndex >= topic.partitions || p.records === null)
            return { partitionIndex: p.partitionIndex, errorCode: 3, baseOffset: -1n };
          broker.produced.push({ topic: t.name, partition: p.partitionIndex, acks: request.acks, records: Buffer.from(p.records) });
          const baseOffset = topic.nextOffsets[p.partitionIndex]!;
          const batch = Buffer.from(p.records);
          batch.writeBigInt64BE(baseOffset, 0);
          const lastOffsetDelta = batch.readInt32BE(23);
          topic.logs[p.partitionIndex]!.push(batch);
          topic.nextOffsets[p.partitionIndex] = baseOffset + BigInt(lastOffsetDelta) + 1n;
          return { partitionIndex: p.partitionIndex, errorCode: 0, baseOffset };
        }),
      }));
      return request.acks === 0 ? null : { topics };
    },
  };
  const fetch: ApiHandler<typeof fetchApi> = {
    api: fetchApi,
    versions: [0, 16],
    handle(request, ctx) {
      const byId = new Map([...broker.topics.values()].map((t) => [t.topicId, t]));
      return {
        responses: request.topics.map((t) => {
          const topic = ctx.header.apiVersion >= 13 ? byId.get(t.topicId) : broker.topics.get(t.topic);
          return {
            topic: t.topic,
            topicId: t.topicId,
            partitions: t.partitions.map((p) => {
              if (topic === undefined || p.partition >= topic.partitions)
                return { partitionIndex: p.partition, errorCode: 3, highWatermark: -1n, records: null };
              const hw = topic.nextOffsets[p.partition]!;
              if (p.fetchOffset > hw) return { partitionIndex: p.partition, errorCode: 1, highWatermark: hw, records: null };
              const batches = topic.logs[p.partition]!.filter((b) => b.readBigInt64BE(0) + BigInt(b.readInt32BE(23)) >= p.fetchOffset);
              return {
                partitionIndex: p.partition,
                errorCode: 0,
                highWatermark: hw,
                lastStableOffset: hw,
                logStartOffset: 0n,
                records: Buffer.concat(batches),
              };
            }),
          };
        }),
      };
    },
  };
  return [
    apiVersions,
    metadata,
    createTopics,
    deleteTopics,
    createPartitions,
    describeConfigs,
    alterConfigs,
    incrementalAlterConfigs,
    listOffsets,
    produce,
    fetch,
  ] as unknown as ApiHandler<ApiSchema>[];
}
