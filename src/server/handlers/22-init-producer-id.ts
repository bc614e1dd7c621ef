/**
 * InitProducerId (22), versions 0–4.
 *
 *   v0     transactionalId (null: idempotent producer), transactionTimeoutMs
 *   v1     same (responses sent before throttling)
 *   v2     flexible versions
 *   v3     producerId / producerEpoch of a producer resuming after an error (KIP-360): an
 *          idempotent producer simply gets a new id, as Kafka gives it; a transactional one
 *          gets the next epoch of its id, or PRODUCER_FENCED when a newer producer took over
 *   v4     PRODUCER_FENCED may be answered (older versions get INVALID_PRODUCER_EPOCH)
 *
 * A null transactional id is the broker's (a fresh producer id, epoch 0); any other goes to the
 * transaction coordinator (epoch bump, fencing, INVALID_TRANSACTION_TIMEOUT, CONCURRENT_TRANSACTIONS
 * while the previous producer's transaction is aborted).
 */
import { initProducerIdApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import { producerFencedForVersion, type HandlerDeps } from './common.js';

export function initProducerIdHandler({ broker, txns }: HandlerDeps): ApiHandler<typeof initProducerIdApi> {
  return {
    api: initProducerIdApi,
    versions: [0, 4],
    async handle(request, ctx) {
      if (request.transactionalId !== null) {
        const r = await txns.initProducerId({
          transactionalId: request.transactionalId,
          transactionTimeoutMs: request.transactionTimeoutMs,
          producerId: request.producerId,
          producerEpoch: request.producerEpoch,
        });
        return {
          throttleTimeMs: 0,
          errorCode: producerFencedForVersion(r.errorCode, ctx.header.apiVersion, 4),
          producerId: r.producerId,
          producerEpoch: r.producerEpoch,
        };
      }
      const r = await broker.initProducerId({
        transactionalId: null,
        transactionTimeoutMs: request.transactionTimeoutMs,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
      });
      return { throttleTimeMs: 0, errorCode: r.errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch };
    },
  };
}
