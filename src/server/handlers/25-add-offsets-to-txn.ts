/**
 * AddOffsetsToTxn (25), versions 0–4.
 *
 *   v0     transactionalId, producerId, producerEpoch, groupId: the group's `__consumer_offsets`
 *          partition joins the transaction, so TxnOffsetCommit may follow (KIP-98, KIP-447)
 *   v1     same (responses sent before throttling)
 *   v2     PRODUCER_FENCED may be answered (older versions get INVALID_PRODUCER_EPOCH)
 *   v3     flexible versions
 *   v4     TRANSACTION_ABORTABLE may be answered (never by this coordinator)
 *
 * The first use creates `__consumer_offsets` if it is missing (as FindCoordinator would).
 */
import { addOffsetsToTxnApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import { producerFencedForVersion, type HandlerDeps } from './common.js';

export function addOffsetsToTxnHandler({ txns }: HandlerDeps): ApiHandler<typeof addOffsetsToTxnApi> {
  return {
    api: addOffsetsToTxnApi,
    versions: [0, 4],
    async handle(request, ctx) {
      const r = await txns.addOffsetsToTxn({
        transactionalId: request.transactionalId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        groupId: request.groupId,
      });
      return { throttleTimeMs: 0, errorCode: producerFencedForVersion(r.errorCode, ctx.header.apiVersion, 2) };
    },
  };
}
