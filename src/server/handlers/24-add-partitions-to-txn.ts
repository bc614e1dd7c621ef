/**
 * AddPartitionsToTxn (24), versions 0–5.
 *
 *   v0     transactionalId, producerId, producerEpoch, topics → partitions; one error per partition
 *   v1     same (responses sent before throttling)
 *   v2     PRODUCER_FENCED may be answered (older versions get INVALID_PRODUCER_EPOCH)
 *   v3     flexible versions; the last version clients send
 *   v4     batched (broker to coordinator): several transactions, each with verifyOnly (KIP-890
 *          part 1: answers whether each partition is in the transaction, changes nothing)
 *   v5     TRANSACTION_ABORTABLE for a verified partition that is not in the transaction
 *          (v4 answers INVALID_TXN_STATE)
 *
 * Partitions of unknown topics answer UNKNOWN_TOPIC_OR_PARTITION and the others of the same
 * request OPERATION_NOT_ATTEMPTED, as Kafka answers. There is no authorizer: no
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED / TOPIC_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from '../../errors.js';
import { addPartitionsToTxnApi } from '../../protocol/index.js';
import type { AddPartitionsToTxnResult } from '../../txn/coordinator.js';
import type { ApiHandler } from '../dispatcher.js';
import { producerFencedForVersion, type HandlerDeps } from './common.js';

function topicResults(r: AddPartitionsToTxnResult, mapError: (errorCode: number) => number) {
  return r.topics.map((t) => ({
    name: t.name,
    resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, partitionErrorCode: mapError(p.errorCode) })),
  }));
}

export function addPartitionsToTxnHandler({ txns }: HandlerDeps): ApiHandler<typeof addPartitionsToTxnApi> {
  return {
    api: addPartitionsToTxnApi,
    versions: [0, 5],
    async handle(request, ctx) {
      const version = ctx.header.apiVersion;
      if (version < 4) {
        const r = await txns.addPartitionsToTxn({
          transactionalId: request.v3AndBelowTransactionalId,
          producerId: request.v3AndBelowProducerId,
          producerEpoch: request.v3AndBelowProducerEpoch,
          topics: request.v3AndBelowTopics.map((t) => ({ name: t.name, partitions: t.partitions })),
        });
        return { throttleTimeMs: 0, resultsByTopicV3AndBelow: topicResults(r, (code) => producerFencedForVersion(code, version, 2)) };
      }
      const resultsByTransaction = [];
      for (const t of request.transactions) {
        const r = await txns.addPartitionsToTxn(
          {
            transactionalId: t.transactionalId,
            producerId: t.producerId,
            producerEpoch: t.producerEpoch,
            topics: t.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions })),
          },
          t.verifyOnly,
        );
        const mapError = (code: number): number =>
          t.verifyOnly && version >= 5 && code === ErrorCode.INVALID_TXN_STATE ? ErrorCode.TRANSACTION_ABORTABLE : code;
        resultsByTransaction.push({ transactionalId: t.transactionalId, topicResults: topicResults(r, mapError) });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
    },
  };
}
