/**
 * DeleteGroups (api key 42), versions 0–2; flexible from v2.
 *
 *   v0     groupsNames; response: results (groupId, errorCode)
 *   v1     same (responses sent before throttling)
 *   v2     flexible versions
 */
import type { ApiSchema } from '../schema.js';

export const deleteGroupsApi = {
  apiKey: 42,
  name: 'DeleteGroups',
  validVersions: [0, 2],
  flexibleVersions: 2,
  request: [{ name: 'groupsNames', type: { array: 'string' }, versions: [0] }],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [0] },
    {
      name: 'results',
      versions: [0],
      type: {
        array: [
          { name: 'groupId', type: 'string', versions: [0] },
          { name: 'errorCode', type: 'int16', versions: [0] },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
