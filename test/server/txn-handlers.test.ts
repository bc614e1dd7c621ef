/**
 * The transaction handlers (10 key type 1, 22 with a transactional id, 24, 25, 26, 65, 66)
 * through the real Dispatcher: what each request version means on the wire and what the answer
 * looks like at that version (the coordinator itself is tested in test/txn/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { ErrorCode } from '../../src/errors.js';
import {
  addOffsetsToTxnApi,
  addPartitionsToTxnApi,
  apiVersionsApi,
  describeTransactionsApi,
  endTxnApi,
  findCoordinatorApi,
  initProducerIdApi,
  listTransactionsApi,
} from '../../src/protocol/index.js';
import { Dispatcher } from '../../src/server/dispatcher.js';
import { groupOffsetsPartitionFor, TransactionCoordinator } from '../../src/txn/coordinator.js';
import { dispatch } from '../helpers/kafka-protocol.js';
import { quietLogger } from '../helpers/logger.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { TEST_TXN_CONFIG, TestTxnBroker } from '../txn/harness.js';
import { openDispatchedNode, type DispatchedNode } from './dispatched-node.js';

let node: DispatchedNode;
let broker: Broker;
let txns: TransactionCoordinator;
let dispatcher: Dispatcher;

beforeAll(async () => {
  node = await openDispatchedNode('txn-handlers', {
    groups: { offsetsTopicNumPartitions: 2 },
    openTxns: (b, g) =>
      TransactionCoordinator.open(new TestTxnBroker(b), TEST_TXN_CONFIG, quietLogger(), {
        clock: new ManualClock(),
        offsetsPartitionFor: groupOffsetsPartitionFor(g),
      }),
  });
  ({ broker, txns, dispatcher } = node);
  await broker.createTopics([{ name: 'tx', numPartitions: 2, replicationFactor: 1 }], false);
});

afterAll(() => node.close());

const find = async (transactionalId: string) => dispatch(dispatcher, findCoordinatorApi, 3, { key: transactionalId, keyType: 1 });

async function initTxn(transactionalId: string, version = 3) {
  const r = await dispatch(dispatcher, initProducerIdApi, version, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  expect(r!.errorCode).toBe(ErrorCode.NONE);
  return { producerId: r!.producerId, producerEpoch: r!.producerEpoch };
}

describe('transaction handlers', () => {
  it('advertises the transaction APIs in ApiVersions', async () => {
    const r = await dispatch(dispatcher, apiVersionsApi, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    const versions = new Map(r!.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(versions.get(24)).toEqual([0, 5]);
    expect(versions.get(25)).toEqual([0, 4]);
    expect(versions.get(26)).toEqual([0, 4]);
    expect(versions.get(65)).toEqual([0, 0]);
    expect(versions.get(66)).toEqual([0, 1]);
  });

  it('FindCoordinator with key type 1 names this node for a transactional id, v3 and batched v4', async () => {
    const v3 = await find('h1');
    expect(v3).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: 0, host: '127.0.0.1', port: 9999 });
    const v4 = await dispatch(dispatcher, findCoordinatorApi, 4, { keyType: 1, coordinatorKeys: ['h1', 'h2'] });
    expect(v4!.coordinators.map((c) => [c.key, c.errorCode, c.nodeId])).toEqual([
      ['h1', 0, 0],
      ['h2', 0, 0],
    ]);
  });

  it('InitProducerId with a null transactional id still gets an idempotent producer id from the broker', async () => {
    const r = await dispatch(dispatcher, initProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    expect(r).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
  });

  it('commits a transaction over the wire: InitProducerId, AddPartitionsToTxn v3, AddOffsetsToTxn, EndTxn', async () => {
    await find('h-commit');
    const p = await initTxn('h-commit');
    const added = await dispatch(dispatcher, addPartitionsToTxnApi, 3, {
      v3AndBelowTransactionalId: 'h-commit',
      v3AndBelowProducerId: p.producerId,
      v3AndBelowProducerEpoch: p.producerEpoch,
      v3AndBelowTopics: [{ name: 'tx', partitions: [0, 1] }],
    });
    expect(added!.resultsByTopicV3AndBelow).toEqual([
      {
        name: 'tx',
        resultsByPartition: [
          { partitionIndex: 0, partitionErrorCode: 0 },
          { partitionIndex: 1, partitionErrorCode: 0 },
        ],
      },
    ]);
    const offsets = await dispatch(dispatcher, addOffsetsToTxnApi, 3, { transactionalId: 'h-commit', ...p, groupId: 'g' });
    expect(offsets!.errorCode).toBe(ErrorCode.NONE);
    const described = await dispatch(dispatcher, describeTransactionsApi, 0, { transactionalIds: ['h-commit'] });
    expect(described!.transactionStates[0]).toMatchObject({ transactionState: 'Ongoing', producerId: p.producerId });
    expect(described!.transactionStates[0]!.topics.map((t) => t.topic).sort()).toEqual(['__consumer_offsets', 'tx']);
    expect((await dispatch(dispatcher, endTxnApi, 3, { transactionalId: 'h-commit', ...p, committed: true }))!.errorCode).toBe(ErrorCode.NONE);
    const listed = await dispatch(dispatcher, listTransactionsApi, 1, { stateFilters: ['CompleteCommit'], producerIdFilters: [], durationFilter: -1n });
    expect(listed!.transactionStates).toContainEqual({ transactionalId: 'h-commit', producerId: p.producerId, transactionState: 'CompleteCommit' });
  });

  it('answers INVALID_PRODUCER_EPOCH before the versions that know PRODUCER_FENCED', async () => {
    const old = await initTxn('h-fence');
    await initTxn('h-fence');
    const add = (version: number) =>
      dispatch(dispatcher, addPartitionsToTxnApi, version, {
        v3AndBelowTransactionalId: 'h-fence',
        v3AndBelowProducerId: old.producerId,
        v3AndBelowProducerEpoch: old.producerEpoch,
        v3AndBelowTopics: [{ name: 'tx', partitions: [0] }],
      });
    expect((await add(1))!.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await add(2))!.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(ErrorCode.PRODUCER_FENCED);
    const end = (version: number) => dispatch(dispatcher, endTxnApi, version, { transactionalId: 'h-fence', ...old, committed: true });
    expect((await end(1))!.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await end(2))!.errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    const offsets = (version: number) => dispatch(dispatcher, addOffsetsToTxnApi, version, { transactionalId: 'h-fence', ...old, groupId: 'g' });
    expect((await offsets(1))!.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await offsets(2))!.errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    const resume = (version: number) =>
      dispatch(dispatcher, initProducerIdApi, version, {
        transactionalId: 'h-fence',
        transactionTimeoutMs: 60_000,
        producerId: old.producerId + 99n,
        producerEpoch: 0,
      });
    expect((await resume(3))!.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await resume(4))!.errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('AddPartitionsToTxn v4 serves batched transactions, verifyOnly among them; v5 answers TRANSACTION_ABORTABLE for an unverified partition', async () => {
    const p = await initTxn('h-batch');
    const q = await initTxn('h-verify');
    await dispatch(dispatcher, addPartitionsToTxnApi, 3, {
      v3AndBelowTransactionalId: 'h-verify',
      v3AndBelowProducerId: q.producerId,
      v3AndBelowProducerEpoch: q.producerEpoch,
      v3AndBelowTopics: [{ name: 'tx', partitions: [0] }],
    });
    const body = {
      transactions: [
        { transactionalId: 'h-batch', ...p, verifyOnly: false, topics: [{ name: 'tx', partitions: [1] }] },
        { transactionalId: 'h-verify', ...q, verifyOnly: true, topics: [{ name: 'tx', partitions: [0, 1] }] },
      ],
    };
    const codesOf = (r: Awaited<ReturnType<typeof dispatch<typeof addPartitionsToTxnApi>>>) =>
      r!.resultsByTransaction.map((t) => [t.transactionalId, t.topicResults.flatMap((x) => x.resultsByPartition.map((e) => e.partitionErrorCode))]);
    const v4 = await dispatch(dispatcher, addPartitionsToTxnApi, 4, body);
    expect(v4!.errorCode).toBe(ErrorCode.NONE);
    expect(codesOf(v4)).toEqual([
      ['h-batch', [0]],
      ['h-verify', [0, ErrorCode.INVALID_TXN_STATE]],
    ]);
    const v5 = await dispatch(dispatcher, addPartitionsToTxnApi, 5, body);
    expect(codesOf(v5)).toEqual([
      ['h-batch', [0]],
      ['h-verify', [0, ErrorCode.TRANSACTION_ABORTABLE]],
    ]);
    expect(txns.describeTransactions(['h-verify'])[0]!.topics).toEqual([{ topic: 'tx', partitions: [0] }]);
  });

  it('DescribeTransactions answers TRANSACTIONAL_ID_NOT_FOUND and ListTransactions echoes unknown state filters', async () => {
    const d = await dispatch(dispatcher, describeTransactionsApi, 0, { transactionalIds: ['never-seen'] });
    expect(d!.transactionStates[0]!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    const l = await dispatch(dispatcher, listTransactionsApi, 0, { stateFilters: ['Nope'], producerIdFilters: [] });
    expect(l).toMatchObject({ errorCode: 0, unknownStateFilters: ['Nope'], transactionStates: [] });
  });
});
