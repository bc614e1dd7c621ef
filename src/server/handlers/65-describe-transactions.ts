/**
 * DescribeTransactions (65), version 0 (KIP-664).
 *
 *   v0     transactionalIds; per id: errorCode, state (Kafka's names: Empty, Ongoing,
 *          PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence),
 *          timeout, start time, producer id and epoch, and the partitions of the open
 *          transaction (while preparing: those still without a marker)
 *
 * An unknown id answers TRANSACTIONAL_ID_NOT_FOUND; an empty one INVALID_REQUEST.
 */
import { describeTransactionsApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function describeTransactionsHandler({ txns }: HandlerDeps): ApiHandler<typeof describeTransactionsApi> {
  return {
    api: describeTransactionsApi,
    versions: [0, 0],
    handle(request) {
      return { throttleTimeMs: 0, transactionStates: txns.describeTransactions(request.transactionalIds) };
    },
  };
}
