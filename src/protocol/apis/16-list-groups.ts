/**
 * ListGroups (api key 16), versions 0–4; flexible from v3.
 *
 *   v0     empty request; response: errorCode, groups (groupId, protocolType)
 *   v1     response: throttleTimeMs
 *   v2     same (responses sent before throttling)
 *   v3     flexible versions
 *   v4     request: statesFilter; response: groupState (KIP-518)
 */
import type { ApiSchema } from '../schema.js';

export const listGroupsApi = {
  apiKey: 16,
  name: 'ListGroups',
  validVersions: [0, 4],
  flexibleVersions: 3,
  request: [{ name: 'statesFilter', type: { array: 'string' }, versions: [4] }],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [1], ignorable: true },
    { name: 'errorCode', type: 'int16', versions: [0] },
    {
      name: 'groups',
      versions: [0],
      type: {
        array: [
          { name: 'groupId', type: 'string', versions: [0] },
          { name: 'protocolType', type: 'string', versions: [0] },
          { name: 'groupState', type: 'string', versions: [4], ignorable: true },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
