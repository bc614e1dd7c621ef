/**
 * DescribeProducers (61), version 0 (KIP-664).
 *
 *   v0     topics → partitionIndexes; per partition the producers its state tracks: producer
 *          id and epoch, last sequence (-1: none retained), last timestamp, the epoch of the
 *          coordinator that wrote its last marker (-1: none), and the first offset of its open
 *          transaction (-1: none) — what `kafka-transactions.sh describe-producers` and
 *          `find-hanging` read
 *
 * Kafka's handleDescribeProducersRequest: an unknown partition answers
 * UNKNOWN_TOPIC_OR_PARTITION (no message). Not implemented: TOPIC_AUTHORIZATION_FAILED (no ACLs).
 */
import { describeProducersApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function describeProducersHandler({ broker }: HandlerDeps): ApiHandler<typeof describeProducersApi> {
  return {
    api: describeProducersApi,
    versions: [0, 0],
    async handle(request) {
      const topics = await broker.describeProducers(request.topics.map((t) => ({ name: t.name, partitionIndexes: [...t.partitionIndexes] })));
      return { throttleTimeMs: 0, topics };
    },
  };
}
