/**
 * DeleteTopics (20), versions 0–6.
 *
 *   v0     topicNames, timeoutMs
 *   v1     throttleTimeMs
 *   v3     TOPIC_DELETION_DISABLED (delete.topic.enable=false)
 *   v4     flexible versions
 *   v5     errorMessage
 *   v6     topics by name or by id (KIP-516); naming both is INVALID_REQUEST for that entry,
 *          an unknown id UNKNOWN_TOPIC_ID
 *
 * Deletion is done (metadata durably, then the logs) before the answer; timeoutMs has nothing
 * to wait for. Internal topics answer INVALID_REQUEST. Not implemented: quotas.
 */
import { ErrorCode } from '../../errors.js';
import { ZERO_UUID, deleteTopicsApi } from '../../protocol/index.js';
import type { DeleteTopicResult } from '../../broker/types.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function deleteTopicsHandler({ broker }: HandlerDeps): ApiHandler<typeof deleteTopicsApi> {
  return {
    api: deleteTopicsApi,
    versions: [0, 6],
    async handle(request, ctx) {
      const version = ctx.header.apiVersion;
      const requested =
        version >= 6 ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
      const valid = requested.filter((t) => !(t.name !== null && t.topicId !== ZERO_UUID));
      const deleted = await broker.deleteTopics(valid);
      let next = 0;
      const responses = requested.map((t): DeleteTopicResult => {
        if (t.name !== null && t.topicId !== ZERO_UUID) {
          return { name: t.name, topicId: t.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'You may not specify both topic name and topic id.' };
        }
        return deleted[next++]!;
      });
      return {
        throttleTimeMs: 0,
        responses: responses.map((r) => ({
          name: r.name ?? (version >= 6 ? null : ''),
          topicId: r.topicId,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
        })),
      };
    },
  };
}
