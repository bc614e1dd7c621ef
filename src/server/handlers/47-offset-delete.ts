/**
 * OffsetDelete (47), version 0 (KIP-496).
 *
 *   v0     groupId, topics → partitions whose committed offsets to delete
 *
 * Allowed for every partition of an empty group; for a consumer group with members, only for
 * topics it does not subscribe to (GROUP_SUBSCRIBED_TO_TOPIC otherwise); NON_EMPTY_GROUP for a
 * group with members of another protocol type. Unknown partitions answer
 * UNKNOWN_TOPIC_OR_PARTITION; an unknown group GROUP_ID_NOT_FOUND.
 */
import { offsetDeleteApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function offsetDeleteHandler({ groups }: HandlerDeps): ApiHandler<typeof offsetDeleteApi> {
  return {
    api: offsetDeleteApi,
    versions: [0, 0],
    handle(request) {
      const r = groups.deleteOffsets(
        request.groupId,
        request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
      );
      return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
    },
  };
}
