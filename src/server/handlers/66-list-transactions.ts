/**
 * ListTransactions (66), versions 0–1 (KIP-664).
 *
 *   v0     stateFilters (Kafka's state names; unknown ones are echoed in unknownStateFilters
 *          and match nothing), producerIdFilters; empty filters: every transactional id
 *   v1     durationFilter (KIP-994): only transactions running longer than this many ms (-1: all)
 */
import { listTransactionsApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function listTransactionsHandler({ txns }: HandlerDeps): ApiHandler<typeof listTransactionsApi> {
  return {
    api: listTransactionsApi,
    versions: [0, 1],
    handle(request) {
      const r = txns.listTransactions({
        stateFilters: request.stateFilters,
        producerIdFilters: request.producerIdFilters,
        durationFilterMs: request.durationFilter,
      });
      return { throttleTimeMs: 0, ...r };
    },
  };
}
