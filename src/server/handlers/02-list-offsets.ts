/**
 * ListOffsets (2), versions 0–8.
 *
 *   v0     maxNumOffsets; the answer is a list, oldStyleOffsets
 *   v1     one timestamp + offset per partition
 *   v2     isolationLevel: read_committed answers -1 with the last stable offset and finds
 *          timestamps (and -3) only below it; throttleTimeMs
 *   v4     currentLeaderEpoch fencing; leaderEpoch in the answer
 *   v6     flexible versions
 *   v7     timestamp -3: the record with the largest timestamp (KIP-734)
 *   v8     timestamp -4: earliest local offset (= earliest: no tiered storage)
 *
 * Timestamps: -1 latest (high watermark), -2 earliest (log start offset), >= 0 the first
 * record with a timestamp at or after it (offset -1 when there is none).
 *
 * Not implemented: v0's segment-granular answer. Kafka v0 lists segment base offsets "before"
 * the timestamp (up to maxNumOffsets); we answer the one offset v1 would give (an empty list
 * when there is none, or when maxNumOffsets is 0). Follower requests (replicaId >= 0) are
 * answered like a consumer's.
 */
import { listOffsetsApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function listOffsetsHandler({ broker }: HandlerDeps): ApiHandler<typeof listOffsetsApi> {
  return {
    api: listOffsetsApi,
    versions: [0, 8],
    async handle(request, ctx) {
      const version = ctx.header.apiVersion;
      const results = await broker.listOffsets(
        request.isolationLevel,
        request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, timestamp: p.timestamp, currentLeaderEpoch: p.currentLeaderEpoch })),
        })),
      );
      return {
        throttleTimeMs: 0,
        topics: results.map((t, ti) => ({
          name: t.name,
          partitions: t.partitions.map((p, pi) => {
            if (version === 0) {
              const max = request.topics[ti]!.partitions[pi]!.maxNumOffsets;
              const oldStyleOffsets = p.errorCode === 0 && p.offset >= 0n && max > 0 ? [p.offset] : [];
              return { partitionIndex: p.partitionIndex, errorCode: p.errorCode, oldStyleOffsets };
            }
            const out = { partitionIndex: p.partitionIndex, errorCode: p.errorCode, timestamp: p.timestamp, offset: p.offset };
            return version >= 4 ? { ...out, leaderEpoch: p.leaderEpoch } : out;
          }),
        })),
      };
    },
  };
}
