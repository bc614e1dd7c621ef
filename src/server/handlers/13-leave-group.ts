/**
 * LeaveGroup (13), versions 0–5.
 *
 *   v0     groupId, memberId
 *   v1     throttleTimeMs
 *   v2     same (responses sent before throttling)
 *   v3     members[] (memberId, groupInstanceId) with an answer per member (KIP-345); a member
 *          named by group.instance.id alone (memberId "") is removed administratively
 *   v4     flexible versions
 *   v5     per-member reason (logged)
 *
 * Before v3 the one member's error is the top-level errorCode, as Kafka answers.
 */
import { ErrorCode } from '../../errors.js';
import { leaveGroupApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function leaveGroupHandler({ groups }: HandlerDeps): ApiHandler<typeof leaveGroupApi> {
  return {
    api: leaveGroupApi,
    versions: [0, 5],
    handle(request, ctx) {
      const version = ctx.header.apiVersion;
      const leaving =
        version >= 3
          ? request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: m.reason }))
          : [{ memberId: request.memberId, groupInstanceId: null }];
      const result = groups.leaveGroup(request.groupId, leaving);
      if (version >= 3) return { throttleTimeMs: 0, errorCode: result.errorCode, members: result.members };
      const memberError = result.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
      return { throttleTimeMs: 0, errorCode: result.errorCode !== ErrorCode.NONE ? result.errorCode : memberError, members: [] };
    },
  };
}
