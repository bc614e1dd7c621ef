/**
 * ListGroups (16), versions 0–4.
 *
 *   v0     every group: groupId, protocolType ("" for groups that only store offsets)
 *   v1     throttleTimeMs
 *   v2     same (responses sent before throttling)
 *   v3     flexible versions
 *   v4     statesFilter (case-insensitive); groupState in the answer (KIP-518)
 */
import { listGroupsApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function listGroupsHandler({ groups }: HandlerDeps): ApiHandler<typeof listGroupsApi> {
  return {
    api: listGroupsApi,
    versions: [0, 4],
    handle(request) {
      const r = groups.listGroups(request.statesFilter);
      return { throttleTimeMs: 0, errorCode: r.errorCode, groups: r.groups };
    },
  };
}
