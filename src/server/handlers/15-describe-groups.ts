/**
 * DescribeGroups (15), versions 0–5.
 *
 *   v0     groups → state, protocol type, protocol, members (metadata and assignment only
 *          while Stable, as Kafka)
 *   v1     throttleTimeMs
 *   v2     same (responses sent before throttling)
 *   v3     includeAuthorizedOperations: with no authorizer, READ, DESCRIBE and DELETE
 *   v4     member groupInstanceId (KIP-345)
 *   v5     flexible versions
 *
 * An unknown group is described as Dead with no members and no error (Kafka before v6).
 */
import { describeGroupsApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import { AUTHORIZED_OPERATIONS_OMITTED, GROUP_AUTHORIZED_OPERATIONS, type HandlerDeps } from './common.js';

export function describeGroupsHandler({ groups }: HandlerDeps): ApiHandler<typeof describeGroupsApi> {
  return {
    api: describeGroupsApi,
    versions: [0, 5],
    handle(request) {
      const authorizedOperations = request.includeAuthorizedOperations ? GROUP_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
      return {
        throttleTimeMs: 0,
        groups: request.groups.map((groupId) => ({ ...groups.describeGroup(groupId), authorizedOperations })),
      };
    },
  };
}
