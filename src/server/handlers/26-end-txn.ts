/**
 * EndTxn (26), versions 0–4.
 *
 *   v0     transactionalId, producerId, producerEpoch, committed (false: abort)
 *   v1     same (responses sent before throttling)
 *   v2     PRODUCER_FENCED may be answered (older versions get INVALID_PRODUCER_EPOCH)
 *   v3     flexible versions
 *   v4     TRANSACTION_ABORTABLE may be answered (never by this coordinator)
 *
 * The answer comes once every marker is written and the outcome stored: a committed
 * transaction is visible to read_committed consumers when the client sees NONE. A repeated
 * EndTxn of a completed transaction answers NONE; one still completing,
 * CONCURRENT_TRANSACTIONS.
 *
 * Not served: v5 (KIP-890 part 2: an epoch bump at every end, answered with the new producer
 * id and epoch).
 */
import { endTxnApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import { producerFencedForVersion, type HandlerDeps } from './common.js';

export function endTxnHandler({ txns }: HandlerDeps): ApiHandler<typeof endTxnApi> {
  return {
    api: endTxnApi,
    versions: [0, 4],
    async handle(request, ctx) {
      const r = await txns.endTxn(
        { transactionalId: request.transactionalId, producerId: request.producerId, producerEpoch: request.producerEpoch, committed: request.committed },
        ctx.header.apiVersion,
      );
      return { throttleTimeMs: 0, errorCode: producerFencedForVersion(r.errorCode, ctx.header.apiVersion, 2) };
    },
  };
}
