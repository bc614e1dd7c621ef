/**
 * The transactional requests of the network transport, each sent once, at the right coordinator:
 *
 * - InitProducerId with a transactional id, AddPartitionsToTxn (v0–3, the versions clients
 *   send; v4+ is broker to coordinator), AddOffsetsToTxn and EndTxn go to the transactional
 *   id's coordinator, found with FindCoordinator key type 1 (group-client.ts, cached);
 * - TxnOffsetCommit (v3+ carries the consumer's generation, member id and instance id, KIP-447)
 *   goes to the group's coordinator.
 *
 * Versions are negotiated from ApiVersions as every other request (cluster-client.ts). Errors
 * are values for the TransactionManager to classify and retry: a coordinator error in an
 * answer (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS), a
 * FindCoordinator failure or a lost connection forgets the cached coordinator (so the retry
 * looks it up again) and comes back as its code, a lost connection as NETWORK_EXCEPTION.
 */
import type { InitProducerIdRequest, InitProducerIdResult } from '../broker/types.js';
import { ErrorCode } from '../errors.js';
import { addOffsetsToTxnApi, addPartitionsToTxnApi, endTxnApi, initProducerIdApi, txnOffsetCommitApi } from '../protocol/index.js';
import type { ClusterClient } from './cluster-client.js';
import { isCoordinatorError, type Coordinator, type GroupClient } from './group-client.js';
import { KafkaConnectionError, KafkaResponseError } from './network-errors.js';
import type { TxnOffsetCommitRequest, TxnPartitionResults, TxnProducer } from './transport.js';

/** AddPartitionsToTxn v0–3's per-topic answer. */
interface AddPartitionsTopicResult {
  name: string;
  resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[];
}

/** The last AddPartitionsToTxn version a client sends (v4+ batches transactions for brokers). */
const ADD_PARTITIONS_CLIENT_MAX_VERSION = 3;

/** The code a failure to reach the coordinator stands for. */
function codeOfFailure(err: unknown): number {
  if (err instanceof KafkaResponseError) return err.errorCode;
  if (err instanceof KafkaConnectionError || (err as Error).name === 'RequestTimeoutError') return ErrorCode.NETWORK_EXCEPTION;
  throw err;
}

function partitionsFailed(topics: { name: string; partitions: number[] }[], errorCode: number): TxnPartitionResults {
  return { topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((partitionIndex) => ({ partitionIndex, errorCode })) })) };
}

export class TxnClient {
  constructor(
    private readonly client: ClusterClient,
    private readonly groups: GroupClient,
  ) {}

  /**
   * One request at `transactionalId`'s coordinator. `codes` lists the answer's error codes: a
   * coordinator error among them forgets the coordinator. A failure to reach it is `failed(code)`.
   */
  private async atTxnCoordinator<T>(
    transactionalId: string,
    send: (coordinator: Coordinator) => Promise<T>,
    codes: (answer: T) => number[],
    failed: (code: number) => T,
  ): Promise<T> {
    try {
      const answer = await send(await this.groups.transactionCoordinator(transactionalId));
      if (codes(answer).some(isCoordinatorError)) this.groups.forgetTransactionCoordinator(transactionalId);
      return answer;
    } catch (err) {
      const code = codeOfFailure(err);
      this.groups.forgetTransactionCoordinator(transactionalId);
      return failed(code);
    }
  }

  initProducerId(request: InitProducerIdRequest & { transactionalId: string }): Promise<InitProducerIdResult> {
    return this.atTxnCoordinator(
      request.transactionalId,
      async (broker) => {
        const { response } = await this.client.request(
          initProducerIdApi,
          () => ({
            transactionalId: request.transactionalId,
            transactionTimeoutMs: request.transactionTimeoutMs,
            producerId: request.producerId ?? -1n,
            producerEpoch: request.producerEpoch ?? -1,
          }),
          { broker },
        );
        return { errorCode: response.errorCode, errorMessage: null, producerId: response.producerId, producerEpoch: response.producerEpoch };
      },
      (r) => [r.errorCode],
      (errorCode) => ({ errorCode, errorMessage: null, producerId: -1n, producerEpoch: -1 }),
    );
  }

  addPartitionsToTxn(request: TxnProducer & { topics: { name: string; partitions: number[] }[] }): Promise<TxnPartitionResults> {
    return this.atTxnCoordinator(
      request.transactionalId,
      async (broker) => {
        const { response } = await this.client.request(
          addPartitionsToTxnApi,
          () => ({
            v3AndBelowTransactionalId: request.transactionalId,
            v3AndBelowProducerId: request.producerId,
            v3AndBelowProducerEpoch: request.producerEpoch,
            // The schema's shared `topic` fields are typed as plain Field[] (no inferred shape).
            v3AndBelowTopics: request.topics as never,
          }),
          { broker, maxVersion: ADD_PARTITIONS_CLIENT_MAX_VERSION },
        );
        const results = response.resultsByTopicV3AndBelow as unknown as AddPartitionsTopicResult[];
        return {
          topics: results.map((t) => ({
            name: t.name,
            partitions: t.resultsByPartition.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: p.partitionErrorCode })),
          })),
        };
      },
      (r) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
      (code) => partitionsFailed(request.topics, code),
    );
  }

  addOffsetsToTxn(request: TxnProducer & { groupId: string }): Promise<{ errorCode: number }> {
    return this.atTxnCoordinator(
      request.transactionalId,
      async (broker) => {
        const { response } = await this.client.request(addOffsetsToTxnApi, () => ({ ...request }), { broker });
        return { errorCode: response.errorCode };
      },
      (r) => [r.errorCode],
      (errorCode) => ({ errorCode }),
    );
  }

  endTxn(request: TxnProducer & { committed: boolean }): Promise<{ errorCode: number }> {
    return this.atTxnCoordinator(
      request.transactionalId,
      async (broker) => {
        const { response } = await this.client.request(endTxnApi, () => ({ ...request }), { broker });
        return { errorCode: response.errorCode };
      },
      (r) => [r.errorCode],
      (errorCode) => ({ errorCode }),
    );
  }

  /** At the group's coordinator; a coordinator error in the answer forgets it. */
  async txnOffsetCommit(request: TxnOffsetCommitRequest): Promise<TxnPartitionResults> {
    const topics = request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) }));
    try {
      const broker = await this.groups.coordinator(request.groupId);
      const { response } = await this.client.request(txnOffsetCommitApi, () => ({ ...request }), { broker });
      const result = {
        topics: response.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: p.errorCode })),
        })),
      };
      if (result.topics.some((t) => t.partitions.some((p) => isCoordinatorError(p.errorCode)))) this.groups.forgetCoordinator(request.groupId);
      return result;
    } catch (err) {
      const code = codeOfFailure(err);
      this.groups.forgetCoordinator(request.groupId);
      return partitionsFailed(topics, code);
    }
  }
}
