/**
 * OffsetForLeaderEpoch (23), versions 0–4.
 *
 *   v0     topics → partitions (partition, leaderEpoch) → endOffset: the first offset after
 *          that epoch (the log end offset for the current epoch)
 *   v1     leaderEpoch in the answer: the largest epoch <= the requested one
 *   v2     currentLeaderEpoch fencing (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH);
 *          throttleTimeMs
 *   v3     replicaId (ignored: consumers and followers get the same answer on one node)
 *   v4     flexible versions
 *
 * Consumers use it after a leader change to detect a truncated log (KIP-320); here the leader
 * epoch moves after an unclean restart, which truncates a torn tail.
 */
import { offsetForLeaderEpochApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function offsetForLeaderEpochHandler({ broker }: HandlerDeps): ApiHandler<typeof offsetForLeaderEpochApi> {
  return {
    api: offsetForLeaderEpochApi,
    versions: [0, 4],
    handle(request) {
      const results = broker.offsetForLeaderEpoch(
        request.topics.map((t) => ({
          name: t.topic,
          partitions: t.partitions.map((p) => ({ partition: p.partition, currentLeaderEpoch: p.currentLeaderEpoch, leaderEpoch: p.leaderEpoch })),
        })),
      );
      return { throttleTimeMs: 0, topics: results.map((t) => ({ topic: t.name, partitions: t.partitions })) };
    },
  };
}
