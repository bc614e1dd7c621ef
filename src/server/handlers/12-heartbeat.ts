/**
 * Heartbeat (12), versions 0–4.
 *
 *   v0     groupId, generationId, memberId; answer: errorCode
 *   v1     throttleTimeMs
 *   v2     same (responses sent before throttling)
 *   v3     groupInstanceId (KIP-345)
 *   v4     flexible versions
 *
 * REBALANCE_IN_PROGRESS tells a member to rejoin; the session timer restarts on every valid
 * heartbeat.
 */
import { heartbeatApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function heartbeatHandler({ groups }: HandlerDeps): ApiHandler<typeof heartbeatApi> {
  return {
    api: heartbeatApi,
    versions: [0, 4],
    handle(request) {
      const errorCode = groups.heartbeat({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
      });
      return { throttleTimeMs: 0, errorCode };
    },
  };
}
