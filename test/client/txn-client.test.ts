/**
 * The transactional producer over the network transport (txn-client.ts), against a fake broker
 * whose transaction and group coordinators record what they are sent: which coordinator each
 * request goes to (FindCoordinator key type 1 or 0), the versions chosen, the re-lookup after
 * NOT_COORDINATOR, and the transactional id on Produce.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { NetworkTransport } from '../../src/client/network-transport.js';
import { Producer } from '../../src/client/producer.js';
import { ProducerFencedError } from '../../src/client/transaction-manager.js';
import {
  addOffsetsToTxnApi,
  addPartitionsToTxnApi,
  endTxnApi,
  findCoordinatorApi,
  initProducerIdApi,
  produceApi,
  txnOffsetCommitApi,
  type ApiSchema,
} from '../../src/protocol/index.js';
import type { ApiHandler } from '../../src/server/dispatcher.js';
import { startFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Seen {
  api: string;
  version: number;
  body: Record<string, unknown>;
}

/** Coordinators that answer NONE unless an error is queued for the API in `errors`. */
function txnHandlers(seen: Seen[], errors: Map<string, number[]>): (broker: FakeBroker) => ApiHandler<ApiSchema>[] {
  const next = (api: string): number => errors.get(api)?.shift() ?? ErrorCode.NONE;
  return (broker) => {
    const findCoordinator: ApiHandler<typeof findCoordinatorApi> = {
      api: findCoordinatorApi,
      versions: [0, 4],
      handle(request, ctx) {
        seen.push({ api: 'FindCoordinator', version: ctx.header.apiVersion, body: request as unknown as Record<string, unknown> });
        const answer = { errorCode: 0, errorMessage: null, nodeId: broker.nodeId, host: '127.0.0.1', port: broker.port };
        if (ctx.header.apiVersion >= 4) return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map((k) => ({ key: k, ...answer })) };
        return { throttleTimeMs: 0, ...answer };
      },
    };
    const initProducerId: ApiHandler<typeof initProducerIdApi> = {
      api: initProducerIdApi,
      versions: [0, 4],
      handle(request, ctx) {
        seen.push({ api: 'InitProducerId', version: ctx.header.apiVersion, body: request as unknown as Record<string, unknown> });
        return { throttleTimeMs: 0, errorCode: next('InitProducerId'), producerId: 42n, producerEpoch: 3 };
      },
    };
    const addPartitions: ApiHandler<typeof addPartitionsToTxnApi> = {
      api: addPartitionsToTxnApi,
      versions: [0, 5],
      handle(request, ctx) {
        seen.push({ api: 'AddPartitionsToTxn', version: ctx.header.apiVersion, body: request as unknown as Record<string, unknown> });
        const code = next('AddPartitionsToTxn');
        const topics = request.v3AndBelowTopics as unknown as { name: string; partitions: number[] }[];
        return {
          throttleTimeMs: 0,
          resultsByTopicV3AndBelow: topics.map((t) => ({
            name: t.name,
            resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code })),
          })),
        } as never;
      },
    };
    const addOffsets: ApiHandler<typeof addOffsetsToTxnApi> = {
      api: addOffsetsToTxnApi,
      versions: [0, 4],
      handle(request, ctx) {
        seen.push({ api: 'AddOffsetsToTxn', version: ctx.header.apiVersion, body: request as unknown as Record<string, unknown> });
        return { throttleTimeMs: 0, errorCode: next('AddOffsetsToTxn') };
      },
    };
    const endTxn: ApiHandler<typeof endTxnApi> = {
      api: endTxnApi,
      versions: [0, 4],
      handle(request, ctx) {
        seen.push({ api: 'EndTxn', version: ctx.header.apiVersion, body: request as unknown as Record<string, unknown> });
        return { throttleTimeMs: 0, errorCode: next('EndTxn') };
      },
    };
    const txnOffsetCommit: ApiHandler<typeof txnOffsetCommitApi> = {
      api: txnOffsetCommitApi,
      versions: [0, 4],
      handle(request, ctx) {
        seen.push({ api: 'TxnOffsetCommit', version: ctx.header.apiVersion, body: request as unknown as Record<string, unknown> });
        const code = next('TxnOffsetCommit');
        return {
          throttleTimeMs: 0,
          topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })),
        };
      },
    };
    const produce: ApiHandler<typeof produceApi> = {
      api: produceApi,
      versions: [3, 9],
      handle(request, ctx) {
        seen.push({ api: 'Produce', version: ctx.header.apiVersion, body: { transactionalId: request.transactionalId } });
        return {
          throttleTimeMs: 0,
          topics: request.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({
              partitionIndex: p.partitionIndex,
              errorCode: 0,
              baseOffset: 0n,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
              recordErrors: [],
              errorMessage: null,
            })),
          })),
        } as never;
      },
    };
    return [findCoordinator, initProducerId, addPartitions, addOffsets, endTxn, txnOffsetCommit, produce] as unknown as ApiHandler<ApiSchema>[];
  };
}

async function setup(errors: Record<string, number[]> = {}): Promise<{ seen: Seen[]; producer: Producer }> {
  const seen: Seen[] = [];
  const b = await startFakeBroker({ handlers: txnHandlers(seen, new Map(Object.entries(errors))) });
  cleanups.push(() => b.close());
  b.addTopic('out', 2);
  const transport = await NetworkTransport.connect({ brokers: [`127.0.0.1:${b.port}`], retries: 2, retryBackoffMs: 5 });
  cleanups.push(() => transport.close());
  const producer = new Producer(transport, { transactionalId: 'tx-net', transactionTimeout: 12_345, retry: { initialRetryTime: 5 } });
  return { seen, producer };
}

describe('transactional producer over the network transport', () => {
  it('finds the transaction coordinator with key type 1 and sends the transaction requests there at client versions', async () => {
    const { seen, producer } = await setup();
    const txn = await producer.transaction();
    await txn.send({ topic: 'out', messages: [{ value: 'x', partition: 1 }] });
    await txn.commit();
    expect(seen.map((s) => s.api)).toEqual(['FindCoordinator', 'InitProducerId', 'AddPartitionsToTxn', 'Produce', 'EndTxn']);
    const find = seen[0]!;
    expect(find.version >= 4 ? find.body.coordinatorKeys : find.body.key).toEqual(find.version >= 4 ? ['tx-net'] : 'tx-net');
    expect(find.body.keyType).toBe(1);
    expect(seen[1]!.body).toMatchObject({ transactionalId: 'tx-net', transactionTimeoutMs: 12_345 });
    const add = seen[2]!;
    expect(add.version).toBe(3);
    expect(add.body).toMatchObject({
      v3AndBelowTransactionalId: 'tx-net',
      v3AndBelowProducerId: 42n,
      v3AndBelowProducerEpoch: 3,
      v3AndBelowTopics: [{ name: 'out', partitions: [1] }],
    });
    expect(seen[3]!.body.transactionalId).toBe('tx-net');
    expect(seen[4]!.body).toMatchObject({ transactionalId: 'tx-net', producerId: 42n, producerEpoch: 3, committed: true });
  });

  it('looks the coordinator up again after NOT_COORDINATOR and retries', async () => {
    const { seen, producer } = await setup({ EndTxn: [ErrorCode.NOT_COORDINATOR], AddPartitionsToTxn: [ErrorCode.CONCURRENT_TRANSACTIONS] });
    const txn = await producer.transaction();
    await txn.send({ topic: 'out', messages: [{ value: 'x', partition: 0 }] });
    await txn.commit();
    expect(seen.map((s) => s.api)).toEqual([
      'FindCoordinator',
      'InitProducerId',
      'AddPartitionsToTxn',
      'AddPartitionsToTxn',
      'Produce',
      'EndTxn',
      'FindCoordinator',
      'EndTxn',
    ]);
  });

  it('sends AddOffsetsToTxn to the transaction coordinator and TxnOffsetCommit with the group metadata to the group coordinator', async () => {
    const { seen, producer } = await setup();
    const txn = await producer.transaction();
    await txn.sendOffsets({
      consumerGroupId: 'g1',
      topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '10' }] }],
      consumer: { generationId: 5, memberId: 'member-1', groupInstanceId: 'i-1' },
    });
    await txn.abort();
    expect(seen.map((s) => s.api)).toEqual(['FindCoordinator', 'InitProducerId', 'AddOffsetsToTxn', 'FindCoordinator', 'TxnOffsetCommit', 'EndTxn']);
    expect(seen[2]!.body).toMatchObject({ transactionalId: 'tx-net', groupId: 'g1' });
    expect(seen[3]!.body.keyType).toBe(0);
    const commit = seen[4]!;
    expect(commit.version).toBeGreaterThanOrEqual(3);
    expect(commit.body).toMatchObject({
      transactionalId: 'tx-net',
      groupId: 'g1',
      producerId: 42n,
      producerEpoch: 3,
      generationId: 5,
      memberId: 'member-1',
      groupInstanceId: 'i-1',
      topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 10n }] }],
    });
    expect(seen[5]!.body).toMatchObject({ committed: false });
  });

  it('reports a fenced producer as ProducerFencedError', async () => {
    const { producer } = await setup({ EndTxn: [ErrorCode.PRODUCER_FENCED] });
    const txn = await producer.transaction();
    await txn.send({ topic: 'out', messages: [{ value: 'x' }] });
    await expect(txn.commit()).rejects.toBeInstanceOf(ProducerFencedError);
    await expect(producer.transaction()).rejects.toBeInstanceOf(ProducerFencedError);
  });
});
