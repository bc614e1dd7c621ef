/**
 * Handler translation details, through the real Dispatcher and a real Broker on a temp dir:
 * what a request version means on the wire and what the answer looks like at that version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { ErrorCode } from '../../src/errors.js';
import {
  ZERO_UUID,
  apiVersionsApi,
  createTopicsApi,
  deleteTopicsApi,
  describeClusterApi,
  describeConfigsApi,
  fetchApi,
  findCoordinatorApi,
  listOffsetsApi,
  metadataApi,
  produceApi,
  type RequestInput,
} from '../../src/protocol/index.js';
import { Codec, decodeMessageSet, decodeRecordBatches, encodeMessageSet, encodeRecordBatch } from '../../src/records/index.js';
import { GroupCoordinator } from '../../src/group/coordinator.js';
import { TransactionCoordinator } from '../../src/txn/coordinator.js';
import { Dispatcher } from '../../src/server/dispatcher.js';
import { brokerHandlers } from '../../src/server/handlers/index.js';
import { dispatch } from '../helpers/kafka-protocol.js';
import { quietLogger } from '../helpers/logger.js';
import { openDispatchedNode, type DispatchedNode } from './dispatched-node.js';

let node: DispatchedNode;
let broker: Broker;
let groups: GroupCoordinator;
let txns: TransactionCoordinator;
let dispatcher: Dispatcher;

beforeAll(async () => {
  node = await openDispatchedNode('handlers');
  ({ broker, groups, txns, dispatcher } = node);
  const created = await dispatch(dispatcher, createTopicsApi, 7, {
    topics: [
      { name: 'alpha', numPartitions: 1, replicationFactor: 1 },
      { name: 'beta', numPartitions: 2, replicationFactor: 1 },
      { name: 'zstd-topic', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'compression.type', value: 'zstd' }] },
    ],
    timeoutMs: 1000,
  });
  expect(created!.topics.map((t) => t.errorCode)).toEqual([0, 0, 0]);
});

afterAll(() => node.close());

function produceBody(topic: string, records: Buffer, acks = -1, partition = 0): RequestInput<typeof produceApi> {
  return { acks, timeoutMs: 1000, topics: [{ name: topic, partitions: [{ partitionIndex: partition, records }] }] };
}

function fetchBody(topic: string, fetchOffset: bigint, extra: Partial<RequestInput<typeof fetchApi>> = {}): RequestInput<typeof fetchApi> {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    topics: [{ topic, topicId: broker.topicId(topic) ?? ZERO_UUID, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20 }] }],
    ...extra,
  };
}

describe('Metadata', () => {
  it('v0 with an empty topic list answers every topic', async () => {
    const r = await dispatch(dispatcher, metadataApi, 0, { topics: [] });
    expect(r!.topics.map((t) => t.name).sort()).toEqual(['alpha', 'beta', 'zstd-topic']);
    expect(r!.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: 9999, rack: null }]);
  });

  it('v1 with an empty list answers no topic, and with null every topic', async () => {
    expect((await dispatch(dispatcher, metadataApi, 1, { topics: [] }))!.topics).toEqual([]);
    expect((await dispatch(dispatcher, metadataApi, 1, { topics: null }))!.topics).toHaveLength(3);
  });

  it('v4 honours allowAutoTopicCreation=false; v3 always may create', async () => {
    const r4 = await dispatch(dispatcher, metadataApi, 4, { topics: [{ name: 'not-created' }], allowAutoTopicCreation: false });
    expect(r4!.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const r3 = await dispatch(dispatcher, metadataApi, 3, { topics: [{ name: 'auto-created' }] });
    expect(r3!.topics[0]!.errorCode).toBe(0);
    expect(r3!.topics[0]!.partitions).toHaveLength(1);
    await broker.deleteTopics(['auto-created']);
  });

  it('v8 reports authorized operations only when asked, v12 resolves topic ids', async () => {
    const plain = await dispatch(dispatcher, metadataApi, 8, { topics: [{ name: 'beta' }], allowAutoTopicCreation: false });
    expect(plain!.topics[0]!.topicAuthorizedOperations).toBe(-2147483648);
    expect(plain!.clusterAuthorizedOperations).toBe(-2147483648);
    const asked = await dispatch(dispatcher, metadataApi, 8, {
      topics: [{ name: 'beta' }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: true,
      includeClusterAuthorizedOperations: true,
    });
    expect(asked!.topics[0]!.topicAuthorizedOperations).toBeGreaterThan(0);
    expect(asked!.clusterAuthorizedOperations).toBeGreaterThan(0);

    const betaId = broker.topicId('beta')!;
    const unknownId = 'AAAAAAAAAAAAAAAAAAAAAQ';
    const byId = await dispatch(dispatcher, metadataApi, 12, {
      topics: [
        { topicId: betaId, name: null },
        { topicId: unknownId, name: null },
      ],
      allowAutoTopicCreation: false,
    });
    expect(byId!.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['beta', 0],
      [null, ErrorCode.UNKNOWN_TOPIC_ID],
    ]);
    expect(byId!.topics[0]!.topicId).toBe(betaId);
  });
});

describe('Produce', () => {
  it('acks=0 answers nothing and still appends', async () => {
    const before = broker.partition('beta', 1)!.logEndOffset;
    const r = await dispatch(dispatcher, produceApi, 9, produceBody('beta', encodeRecordBatch([{ value: 'quiet' }]), 0, 1));
    expect(r).toBeNull();
    expect(broker.partition('beta', 1)!.logEndOffset).toBe(before + 1n);
  });

  it('v2 message sets (magic 1) are converted and v3+ refuses them with INVALID_RECORD', async () => {
    const legacy = encodeMessageSet([{ key: 'k', value: 'legacy', timestamp: 1_700_000_000_000 }], { magic: 1 });
    const ok = await dispatch(dispatcher, produceApi, 2, produceBody('beta', legacy));
    expect(ok!.topics[0]!.partitions[0]!.errorCode).toBe(0);
    const refused = await dispatch(dispatcher, produceApi, 3, produceBody('beta', legacy));
    expect(refused!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_RECORD);
  });

  it('zstd needs v7: v6 answers UNSUPPORTED_COMPRESSION_TYPE', async () => {
    const zstd = encodeRecordBatch([{ value: 'z' }], { compression: Codec.Zstd });
    expect((await dispatch(dispatcher, produceApi, 6, produceBody('beta', zstd)))!.topics[0]!.partitions[0]!.errorCode).toBe(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
    );
    expect((await dispatch(dispatcher, produceApi, 7, produceBody('beta', zstd)))!.topics[0]!.partitions[0]!.errorCode).toBe(0);
  });

  it('a transactional batch is appended with a transactionalId once its partition is in the transaction, and refused without one', async () => {
    expect(await txns.findCoordinator('tx-1')).toBe(ErrorCode.NONE);
    const p = await txns.initProducerId({ transactionalId: 'tx-1', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    const txn = encodeRecordBatch([{ value: 't' }], { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, isTransactional: true });
    const refused = await dispatch(dispatcher, produceApi, 9, produceBody('beta', txn, -1, 1));
    expect(refused!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    // KIP-890 part 1: a partition not added to the transaction fails verification (Produce v9 predates TRANSACTION_ABORTABLE).
    const before = broker.partition('beta', 1)!.logEndOffset;
    const unverified = await dispatch(dispatcher, produceApi, 9, { ...produceBody('beta', txn, -1, 1), transactionalId: 'tx-1' });
    expect(unverified!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(broker.partition('beta', 1)!.logEndOffset).toBe(before);
    await txns.addPartitionsToTxn({ transactionalId: 'tx-1', ...p, topics: [{ name: 'beta', partitions: [1] }] });
    const r = await dispatch(dispatcher, produceApi, 9, { ...produceBody('beta', txn, -1, 1), transactionalId: 'tx-1' });
    expect(r!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await txns.endTxn({ transactionalId: 'tx-1', ...p, committed: true })).errorCode).toBe(ErrorCode.NONE);
  });

  it('does not auto-create topics', async () => {
    const r = await dispatch(dispatcher, produceApi, 9, produceBody('never-made', encodeRecordBatch([{ value: 'x' }])));
    expect(r!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(broker.topicId('never-made')).toBeUndefined();
  });
});

describe('Fetch', () => {
  const t0 = 1_700_000_000_000;
  beforeAll(async () => {
    const batch = encodeRecordBatch(
      [
        { key: 'k0', value: 'v0', timestamp: t0, headers: { h: 'x' } },
        { key: 'k1', value: 'v1', timestamp: t0 + 1 },
        { key: 'k2', value: 'v2', timestamp: t0 + 2 },
      ],
      { now: t0 },
    );
    const r = await dispatch(dispatcher, produceApi, 9, produceBody('alpha', batch));
    expect(r!.topics[0]!.partitions[0]!.baseOffset).toBe(0n);
  });

  it('v4+ returns the stored magic 2 batch as it is', async () => {
    const r = await dispatch(dispatcher, fetchApi, 11, fetchBody('alpha', 0n));
    const p = r!.responses[0]!.partitions[0]!;
    expect(p.records![16]).toBe(2);
    expect(p.highWatermark).toBe(3n);
    expect(p.preferredReadReplica).toBe(-1);
    expect(p.abortedTransactions).toBeNull();
    expect(decodeRecordBatches(p.records!)[0]!.records.map((x) => x.value!.toString())).toEqual(['v0', 'v1', 'v2']);
  });

  it('v2 down-converts to magic 1 keeping offsets, keys and timestamps', async () => {
    const r = await dispatch(dispatcher, fetchApi, 2, fetchBody('alpha', 0n));
    const records = r!.responses[0]!.partitions[0]!.records!;
    expect(records[16]).toBe(1);
    const messages = decodeMessageSet(records);
    expect(messages.map((m) => [m.offset, m.key!.toString(), m.value!.toString(), m.timestamp])).toEqual([
      [0n, 'k0', 'v0', t0],
      [1n, 'k1', 'v1', t0 + 1],
      [2n, 'k2', 'v2', t0 + 2],
    ]);
  });

  it('v0 down-converts to magic 0 (no timestamps) starting at the fetch offset', async () => {
    const r = await dispatch(dispatcher, fetchApi, 0, fetchBody('alpha', 1n));
    const records = r!.responses[0]!.partitions[0]!.records!;
    expect(records[16]).toBe(0);
    const messages = decodeMessageSet(records);
    expect(messages.map((m) => [m.offset, m.value!.toString(), m.timestamp])).toEqual([
      [1n, 'v1', -1],
      [2n, 'v2', -1],
    ]);
  });

  it('answers sessionlessly: sessionId 0 for a session request, FETCH_SESSION_ID_NOT_FOUND for a stale one', async () => {
    const create = await dispatch(dispatcher, fetchApi, 12, fetchBody('alpha', 0n, { sessionId: 0, sessionEpoch: 0 }));
    expect(create!.sessionId).toBe(0);
    expect(create!.errorCode).toBe(0);
    expect(create!.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(0);
    const stale = await dispatch(dispatcher, fetchApi, 12, fetchBody('alpha', 0n, { sessionId: 42, sessionEpoch: 3 }));
    expect(stale!.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect(stale!.responses).toEqual([]);
  });

  it('v13+ fetches by topic id; an unknown id answers UNKNOWN_TOPIC_ID', async () => {
    const r = await dispatch(dispatcher, fetchApi, 13, fetchBody('alpha', 2n));
    expect(r!.responses[0]!.topicId).toBe(broker.topicId('alpha'));
    expect(r!.responses[0]!.partitions[0]!.errorCode).toBe(0);
    const body = fetchBody('alpha', 0n);
    body.topics![0]!.topicId = 'AAAAAAAAAAAAAAAAAAAAAQ';
    const unknown = await dispatch(dispatcher, fetchApi, 13, body);
    expect(unknown!.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
  });

  it('answers OFFSET_OUT_OF_RANGE per partition', async () => {
    const r = await dispatch(dispatcher, fetchApi, 11, fetchBody('alpha', 99n));
    expect(r!.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('before v10 a compression.type=zstd topic answers UNSUPPORTED_COMPRESSION_TYPE', async () => {
    await dispatch(dispatcher, produceApi, 9, produceBody('zstd-topic', encodeRecordBatch([{ value: 'z' }], { compression: Codec.Zstd })));
    expect((await dispatch(dispatcher, fetchApi, 9, fetchBody('zstd-topic', 0n)))!.responses[0]!.partitions[0]!.errorCode).toBe(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
    );
    expect((await dispatch(dispatcher, fetchApi, 10, fetchBody('zstd-topic', 0n)))!.responses[0]!.partitions[0]!.errorCode).toBe(0);
  });

  it('a parked long poll answers at once when the server shuts down', async () => {
    const local = new AbortController();
    const d: Dispatcher = new Dispatcher(
      brokerHandlers({ broker, groups, txns, shutdown: local.signal }, () => d.advertised()),
      quietLogger(),
    );
    const started = Date.now();
    const pending = dispatch(d, fetchApi, 11, fetchBody('alpha', 3n, { maxWaitMs: 20_000, minBytes: 1 }));
    setTimeout(() => local.abort(), 50);
    const r = await pending;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r!.responses[0]!.partitions[0]!.errorCode).toBe(0);
  });
});

describe('ListOffsets', () => {
  it('v0 answers old-style offset lists, bounded by maxNumOffsets', async () => {
    const body = (timestamp: bigint, maxNumOffsets: number): RequestInput<typeof listOffsetsApi> => ({
      replicaId: -1,
      topics: [{ name: 'alpha', partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets }] }],
    });
    const latest = await dispatch(dispatcher, listOffsetsApi, 0, body(-1n, 1));
    expect(latest!.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, oldStyleOffsets: [3n] });
    const earliest = await dispatch(dispatcher, listOffsetsApi, 0, body(-2n, 5));
    expect(earliest!.topics[0]!.partitions[0]!.oldStyleOffsets).toEqual([0n]);
    const none = await dispatch(dispatcher, listOffsetsApi, 0, body(-1n, 0));
    expect(none!.topics[0]!.partitions[0]!.oldStyleOffsets).toEqual([]);
  });

  it('v1+ answers one offset; by timestamp the first record at or after it', async () => {
    const r = await dispatch(dispatcher, listOffsetsApi, 7, {
      replicaId: -1,
      topics: [{ name: 'alpha', partitions: [{ partitionIndex: 0, timestamp: 1_700_000_000_001n }] }],
    });
    expect(r!.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, offset: 1n, timestamp: 1_700_000_000_001n });
  });
});

describe('the rest', () => {
  it('ApiVersions advertises the served APIs, the consumer-group APIs among them', async () => {
    const r = await dispatch(dispatcher, apiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    const keys = r!.apiKeys.map((k) => k.apiKey);
    expect(keys).toEqual([0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 32, 33, 37, 42, 44, 47, 60, 61, 65, 66]);
    expect(r!.apiKeys.find((k) => k.apiKey === 1)).toEqual({ apiKey: 1, minVersion: 0, maxVersion: 16 });
    const ranges = Object.fromEntries(
      r!.apiKeys.filter((k) => [8, 9, 10, 11, 12, 13, 14, 15, 16, 42, 47].includes(k.apiKey)).map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]),
    );
    expect(ranges).toEqual({
      8: [0, 8],
      9: [0, 8],
      10: [0, 4],
      11: [0, 9],
      12: [0, 4],
      13: [0, 5],
      14: [0, 5],
      15: [0, 5],
      16: [0, 4],
      42: [0, 2],
      47: [0, 0],
    });
    const fc = await dispatch(dispatcher, findCoordinatorApi, 1, { key: 'g' });
    expect(fc).toMatchObject({ errorCode: 0, nodeId: 0, host: '127.0.0.1', port: 9999 });
  });

  it('DescribeCluster answers this node, and MISMATCHED_ENDPOINT_TYPE for controllers', async () => {
    const r = await dispatch(dispatcher, describeClusterApi, 1, { includeClusterAuthorizedOperations: false });
    expect(r!.brokers).toEqual([{ brokerId: 0, host: '127.0.0.1', port: 9999, rack: null }]);
    expect(r!.clusterId).toBe(broker.clusterId);
    const ctl = await dispatch(dispatcher, describeClusterApi, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
    expect(ctl!.errorCode).toBe(ErrorCode.MISMATCHED_ENDPOINT_TYPE);
  });

  it('DescribeConfigs v0 reports isDefault', async () => {
    const r = await dispatch(dispatcher, describeConfigsApi, 0, {
      resources: [{ resourceType: 2, resourceName: 'zstd-topic', configurationKeys: ['compression.type', 'retention.ms'] }],
    });
    const configs = Object.fromEntries(r!.results[0]!.configs.map((c) => [c.name, c]));
    expect(configs['compression.type']).toMatchObject({ value: 'zstd', isDefault: false });
    expect(configs['retention.ms']).toMatchObject({ isDefault: true });
  });

  it('DeleteTopics v6 refuses an entry naming both a topic and an id', async () => {
    const r = await dispatch(dispatcher, deleteTopicsApi, 6, { topics: [{ name: 'beta', topicId: broker.topicId('beta')! }], timeoutMs: 1000 });
    expect(r!.responses[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(broker.topicId('beta')).toBeDefined();
  });
});
