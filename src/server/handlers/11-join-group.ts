/**
 * JoinGroup (11), versions 0–9.
 *
 *   v0     groupId, sessionTimeoutMs, memberId, protocolType, protocols; the rebalance
 *          timeout is the session timeout
 *   v1     rebalanceTimeoutMs
 *   v2     throttleTimeMs
 *   v3     same (responses sent before throttling)
 *   v4     a new member without group.instance.id first gets MEMBER_ID_REQUIRED with its id
 *          and must join again with it (KIP-394)
 *   v5     groupInstanceId: static membership (KIP-345)
 *   v6     flexible versions
 *   v7     protocolType in the answer; protocolName nullable (null on errors; "" before v7)
 *   v8     reason (logged)
 *   v9     skipAssignment: a static leader rejoining a stable group skips the assignment (KIP-814)
 *
 * The answer is deferred until the group's join phase completes (the request stays parked
 * on its connection, as in Kafka; other connections are not held up). The state machine is
 * group/membership.ts (requests) and group/rebalance.ts (phases and timeouts).
 */
import { joinGroupApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import { clientHost, type HandlerDeps } from './common.js';

export function joinGroupHandler({ groups }: HandlerDeps): ApiHandler<typeof joinGroupApi> {
  return {
    api: joinGroupApi,
    versions: [0, 9],
    async handle(request, ctx) {
      const version = ctx.header.apiVersion;
      const result = await groups.joinGroup({
        groupId: request.groupId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        requireKnownMemberId: version >= 4 && request.groupInstanceId === null,
        supportSkippingAssignment: version >= 9,
        clientId: ctx.header.clientId ?? '',
        clientHost: clientHost(ctx),
        rebalanceTimeoutMs: version === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
        sessionTimeoutMs: request.sessionTimeoutMs,
        protocolType: request.protocolType,
        // Copies: kept with the member, and a view would pin the whole request frame.
        protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
        reason: request.reason,
      });
      return {
        throttleTimeMs: 0,
        errorCode: result.errorCode,
        generationId: result.generationId,
        protocolType: version >= 7 ? result.protocolType : null,
        protocolName: version >= 7 ? result.protocolName : (result.protocolName ?? ''),
        leader: result.leader,
        skipAssignment: result.skipAssignment,
        memberId: result.memberId,
        members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
      };
    },
  };
}
