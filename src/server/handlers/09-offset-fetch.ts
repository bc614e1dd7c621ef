/**
 * OffsetFetch (9), versions 0–8.
 *
 *   v0     groupId, topics → partitionIndexes (Kafka read v0 from ZooKeeper; here every
 *          version reads __consumer_offsets)
 *   v1     same
 *   v2     topics null = every partition with a committed offset; top-level errorCode
 *   v3     throttleTimeMs
 *   v4     same (responses sent before throttling)
 *   v5     committedLeaderEpoch
 *   v6     flexible versions
 *   v7     requireStable (KIP-447): a partition with offsets of an open transaction
 *          (TxnOffsetCommit) answers offset -1 and UNSTABLE_OFFSET_COMMIT; the client retries
 *   v8     several groups per request, each answered with its own errorCode (KIP-709)
 *
 * A partition without a committed offset answers offset -1, metadata "" and NONE. Before v2
 * there is no top-level errorCode: a group-level error is put on every requested partition,
 * as Kafka does.
 */
import { offsetFetchApi } from '../../protocol/index.js';
import type { FetchedOffsetsTopic } from '../../group/coordinator.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function offsetFetchHandler({ groups }: HandlerDeps): ApiHandler<typeof offsetFetchApi> {
  return {
    api: offsetFetchApi,
    versions: [0, 8],
    handle(request, ctx) {
      const version = ctx.header.apiVersion;
      if (version >= 8) {
        return {
          throttleTimeMs: 0,
          groups: request.groups.map((g) => {
            const r = groups.fetchOffsets(g.groupId, g.topics, request.requireStable);
            return { groupId: g.groupId, topics: r.topics, errorCode: r.errorCode };
          }),
        };
      }
      const r = groups.fetchOffsets(request.groupId, request.topics, version >= 7 && request.requireStable);
      let topics: FetchedOffsetsTopic[] = r.topics;
      if (version < 2 && r.errorCode !== 0) {
        topics = (request.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => ({
            partitionIndex,
            committedOffset: -1n,
            committedLeaderEpoch: -1,
            metadata: '',
            errorCode: r.errorCode,
          })),
        }));
      }
      return { throttleTimeMs: 0, topics, errorCode: r.errorCode };
    },
  };
}
