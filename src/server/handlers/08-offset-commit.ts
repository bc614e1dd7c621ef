/**
 * OffsetCommit (8), versions 0–8.
 *
 *   v0     groupId, topics → partitions (offset, metadata); stored in __consumer_offsets like
 *          the later versions (Kafka kept v0 commits in ZooKeeper)
 *   v1     generationId, memberId; per-partition commitTimestamp (-1: now)
 *   v2     retentionTimeMs (v2–v4): -1 keeps offsets.retention.minutes; otherwise the offset
 *          expires that long after the commit, whatever the group does
 *   v3     throttleTimeMs
 *   v4     same (responses sent before throttling)
 *   v5     retentionTimeMs removed
 *   v6     committedLeaderEpoch (KIP-320)
 *   v7     groupInstanceId (KIP-345)
 *   v8     flexible versions
 *
 * Errors per partition: UNKNOWN_TOPIC_OR_PARTITION (no such partition),
 * OFFSET_METADATA_TOO_LARGE (offset.metadata.max.bytes), and the group's verdict —
 * ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS,
 * COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR — for the rest. Not implemented: quotas.
 */
import { offsetCommitApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function offsetCommitHandler({ groups }: HandlerDeps): ApiHandler<typeof offsetCommitApi> {
  return {
    api: offsetCommitApi,
    versions: [0, 8],
    handle(request, ctx) {
      const version = ctx.header.apiVersion;
      const topics = groups.commitOffsets({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        retentionTimeMs: version >= 2 && version <= 4 ? Number(request.retentionTimeMs) : -1,
        topics: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            committedOffset: p.committedOffset,
            committedLeaderEpoch: p.committedLeaderEpoch,
            committedMetadata: p.committedMetadata,
            commitTimestamp: version === 1 ? p.commitTimestamp : -1n,
          })),
        })),
      });
      return { throttleTimeMs: 0, topics };
    },
  };
}
