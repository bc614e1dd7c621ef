/**
 * InitProducerId (22), versions 0–4.
 *
 *   v0     transactionalId (null: idempotent producer), transactionTimeoutMs
 *   v1     same (responses sent before throttling)
 *   v2     flexible versions
 *   v3     producerId / producerEpoch of a producer resuming after an error (KIP-360): an
 *          idempotent producer simply gets a new id, as Kafka gives it
 *   v4     PRODUCER_FENCED may be answered (only with transactions)
 *
 * Not implemented: transactions — a transactionalId answers INVALID_REQUEST.
 */
import { initProducerIdApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function initProducerIdHandler({ broker }: HandlerDeps): ApiHandler<typeof initProducerIdApi> {
  return {
    api: initProducerIdApi,
    versions: [0, 4],
    async handle(request) {
      const r = await broker.initProducerId({
        transactionalId: request.transactionalId,
        transactionTimeoutMs: request.transactionTimeoutMs,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
      });
      return { throttleTimeMs: 0, errorCode: r.errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch };
    },
  };
}
