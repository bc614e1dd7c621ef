/**
 * SyncGroup (14), versions 0–5.
 *
 *   v0     groupId, generationId, memberId, assignments (from the leader); answer: assignment
 *   v1     throttleTimeMs
 *   v2     same (responses sent before throttling)
 *   v3     groupInstanceId (KIP-345)
 *   v4     flexible versions
 *   v5     protocolType and protocolName, required in the request (else
 *          INCONSISTENT_GROUP_PROTOCOL, as Kafka) and checked against the group's; echoed (KIP-559)
 *
 * In CompletingRebalance the answer is deferred until the leader's assignment is stored.
 */
import { ErrorCode } from '../../errors.js';
import { syncGroupApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function syncGroupHandler({ groups }: HandlerDeps): ApiHandler<typeof syncGroupApi> {
  return {
    api: syncGroupApi,
    versions: [0, 5],
    async handle(request, ctx) {
      const version = ctx.header.apiVersion;
      if (version >= 5 && (request.protocolType === null || request.protocolName === null)) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
      }
      const result = await groups.syncGroup({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        protocolType: request.protocolType,
        protocolName: request.protocolName,
        // Copies: kept with the group, and a view would pin the whole request frame.
        assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
      });
      return {
        throttleTimeMs: 0,
        errorCode: result.errorCode,
        protocolType: version >= 5 ? result.protocolType : null,
        protocolName: version >= 5 ? result.protocolName : null,
        assignment: result.assignment,
      };
    },
  };
}
