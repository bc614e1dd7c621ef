/**
 * Transaction admin handlers for the fake broker (fake-broker.ts), over a small in-memory state:
 *
 *   FindCoordinator 0-4       this broker, for groups and transactional ids; `coordinatorErrors` first
 *   DescribeTransactions 0    TRANSACTIONAL_ID_NOT_FOUND for an unknown id
 *   ListTransactions 0-1      state, producer id and duration filters; unknown states reported
 *   DescribeProducers 0       UNKNOWN_TOPIC_OR_PARTITION for a partition the broker lacks
 *   WriteTxnMarkers 0-1       records the marker; closes the producer's open transaction on the
 *                             partition; INVALID_PRODUCER_EPOCH for an older epoch than the
 *                             producer's (Kafka's check)
 */
import {
  describeProducersApi,
  describeTransactionsApi,
  findCoordinatorApi,
  listTransactionsApi,
  writeTxnMarkersApi,
  type ApiSchema,
} from '../../src/protocol/index.js';
import type { ApiHandler } from '../../src/server/dispatcher.js';
import type { FakeBroker } from './fake-broker.js';

const NONE = 0;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const INVALID_PRODUCER_EPOCH = 47;
const TRANSACTIONAL_ID_NOT_FOUND = 105;

export interface FakeTransaction {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  state: string;
  timeoutMs: number;
  startTimeMs: bigint;
  topics: { topic: string; partitions: number[] }[];
}

export interface FakeProducer {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  coordinatorEpoch: number;
  currentTxnStartOffset: bigint;
}

export interface FakeTxnState {
  transactions: FakeTransaction[];
  /** Active producers per `topic-partition`. */
  producers: Map<string, FakeProducer[]>;
  /** Every WriteTxnMarkers marker received. */
  markers: {
    producerId: bigint;
    producerEpoch: number;
    transactionResult: boolean;
    coordinatorEpoch: number;
    topics: { name: string; partitionIndexes: number[] }[];
  }[];
  /** Error codes FindCoordinator answers before it answers with this broker, one per request. */
  coordinatorErrors: number[];
  /** Error codes DescribeTransactions answers (for every id) before it answers, one per request. */
  describeErrors: number[];
  /** Key types FindCoordinator was asked for, in order. */
  coordinatorKeyTypes: number[];
}

export function fakeTxnState(): FakeTxnState {
  return { transactions: [], producers: new Map(), markers: [], coordinatorErrors: [], describeErrors: [], coordinatorKeyTypes: [] };
}

export function fakeTxnHandlers(state: FakeTxnState, now: () => bigint = () => BigInt(Date.now())): (broker: FakeBroker) => ApiHandler<ApiSchema>[] {
  return (broker) => {
    const findCoordinator: ApiHandler<typeof findCoordinatorApi> = {
      api: findCoordinatorApi,
      versions: [0, 4],
      handle(request, ctx) {
        state.coordinatorKeyTypes.push(request.keyType);
        const errorCode = state.coordinatorErrors.shift() ?? NONE;
        const answer =
          errorCode === NONE
            ? { errorCode, errorMessage: null, nodeId: broker.nodeId, host: '127.0.0.1', port: broker.port }
            : { errorCode, errorMessage: 'not now', nodeId: -1, host: '', port: -1 };
        if (ctx.header.apiVersion >= 4) return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map((key) => ({ key, ...answer })) };
        return { throttleTimeMs: 0, ...answer };
      },
    };
    const describeTransactions: ApiHandler<typeof describeTransactionsApi> = {
      api: describeTransactionsApi,
      versions: [0, 0],
      handle(request) {
        const forced = state.describeErrors.shift();
        return {
          throttleTimeMs: 0,
          transactionStates: request.transactionalIds.map((id) => {
            const t = state.transactions.find((x) => x.transactionalId === id);
            const errorCode = forced ?? (t === undefined ? TRANSACTIONAL_ID_NOT_FOUND : NONE);
            if (t === undefined || errorCode !== NONE) {
              return {
                errorCode,
                transactionalId: id,
                transactionState: '',
                transactionTimeoutMs: 0,
                transactionStartTimeMs: -1n,
                producerId: -1n,
                producerEpoch: -1,
                topics: [],
              };
            }
            return {
              errorCode: NONE,
              transactionalId: id,
              transactionState: t.state,
              transactionTimeoutMs: t.timeoutMs,
              transactionStartTimeMs: t.startTimeMs,
              producerId: t.producerId,
              producerEpoch: t.producerEpoch,
              topics: t.topics,
            };
          }),
        };
      },
    };
    const listTransactions: ApiHandler<typeof listTransactionsApi> = {
      api: listTransactionsApi,
      versions: [0, 1],
      handle(request) {
        const known = new Set(['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence']);
        const listed = state.transactions.filter(
          (t) =>
            (request.stateFilters.length === 0 || request.stateFilters.includes(t.state)) &&
            (request.producerIdFilters.length === 0 || request.producerIdFilters.includes(t.producerId)) &&
            (request.durationFilter < 0n || (t.startTimeMs >= 0n && now() - t.startTimeMs > request.durationFilter)),
        );
        return {
          throttleTimeMs: 0,
          errorCode: NONE,
          unknownStateFilters: request.stateFilters.filter((s) => !known.has(s)),
          transactionStates: listed.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state })),
        };
      },
    };
    const describeProducers: ApiHandler<typeof describeProducersApi> = {
      api: describeProducersApi,
      versions: [0, 0],
      handle(request) {
        return {
          throttleTimeMs: 0,
          topics: request.topics.map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => {
              const known = (broker.topics.get(t.name)?.partitions ?? 0) > partitionIndex;
              return {
                partitionIndex,
                errorCode: known ? NONE : UNKNOWN_TOPIC_OR_PARTITION,
                errorMessage: null,
                activeProducers: known ? (state.producers.get(`${t.name}-${partitionIndex}`) ?? []) : [],
              };
            }),
          })),
        };
      },
    };
    const writeTxnMarkers: ApiHandler<typeof writeTxnMarkersApi> = {
      api: writeTxnMarkersApi,
      versions: [0, 1],
      handle(request) {
        return {
          markers: request.markers.map((m) => {
            state.markers.push({
              producerId: m.producerId,
              producerEpoch: m.producerEpoch,
              transactionResult: m.transactionResult,
              coordinatorEpoch: m.coordinatorEpoch,
              topics: m.topics.map((t) => ({ name: t.name, partitionIndexes: [...t.partitionIndexes] })),
            });
            return {
              producerId: m.producerId,
              topics: m.topics.map((t) => ({
                name: t.name,
                partitions: t.partitionIndexes.map((partitionIndex) => {
                  if ((broker.topics.get(t.name)?.partitions ?? 0) <= partitionIndex) return { partitionIndex, errorCode: UNKNOWN_TOPIC_OR_PARTITION };
                  const p = state.producers.get(`${t.name}-${partitionIndex}`)?.find((x) => x.producerId === m.producerId);
                  if (p !== undefined && m.producerEpoch < p.producerEpoch) return { partitionIndex, errorCode: INVALID_PRODUCER_EPOCH };
                  if (p !== undefined) {
                    p.currentTxnStartOffset = -1n;
                    p.coordinatorEpoch = m.coordinatorEpoch;
                  }
                  return { partitionIndex, errorCode: NONE };
                }),
              })),
            };
          }),
        };
      },
    };
    return [findCoordinator, describeTransactions, listTransactions, describeProducers, writeTxnMarkers] as unknown as ApiHandler<ApiSchema>[];
  };
}
