/**
 * DeleteGroups (42), versions 0–2.
 *
 *   v0     groupsNames; answer per group: NONE, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP (members
 *          remain), or a coordinator error
 *   v1     same (responses sent before throttling)
 *   v2     flexible versions
 *
 * A deleted group's offsets and metadata are removed with tombstones in __consumer_offsets.
 */
import { deleteGroupsApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function deleteGroupsHandler({ groups }: HandlerDeps): ApiHandler<typeof deleteGroupsApi> {
  return {
    api: deleteGroupsApi,
    versions: [0, 2],
    handle(request) {
      // Each group once, answered once per distinct name (Kafka works on the set of names).
      return { throttleTimeMs: 0, results: groups.deleteGroups([...new Set(request.groupsNames)]) };
    },
  };
}
