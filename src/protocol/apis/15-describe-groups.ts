/**
 * DescribeGroups (api key 15), versions 0–5; flexible from v5.
 *
 *   v0     groups → state, protocol, members (metadata and assignment bytes)
 *   v1     response: throttleTimeMs
 *   v2     same (responses sent before throttling)
 *   v3     request: includeAuthorizedOperations; response: authorizedOperations
 *   v4     response: member groupInstanceId (KIP-345)
 *   v5     flexible versions
 */
import type { ApiSchema } from '../schema.js';

export const describeGroupsApi = {
  apiKey: 15,
  name: 'DescribeGroups',
  validVersions: [0, 5],
  flexibleVersions: 5,
  request: [
    { name: 'groups', type: { array: 'string' }, versions: [0] },
    { name: 'includeAuthorizedOperations', type: 'bool', versions: [3] },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [1], ignorable: true },
    {
      name: 'groups',
      versions: [0],
      type: {
        array: [
          { name: 'errorCode', type: 'int16', versions: [0] },
          { name: 'groupId', type: 'string', versions: [0] },
          { name: 'groupState', type: 'string', versions: [0] },
          { name: 'protocolType', type: 'string', versions: [0] },
          { name: 'protocolData', type: 'string', versions: [0] },
          {
            name: 'members',
            versions: [0],
            type: {
              array: [
                { name: 'memberId', type: 'string', versions: [0] },
                { name: 'groupInstanceId', type: 'string', versions: [4], nullableVersions: [4], default: null, ignorable: true },
                { name: 'clientId', type: 'string', versions: [0] },
                { name: 'clientHost', type: 'string', versions: [0] },
                { name: 'memberMetadata', type: 'bytes', versions: [0] },
                { name: 'memberAssignment', type: 'bytes', versions: [0] },
              ],
            },
          },
          { name: 'authorizedOperations', type: 'int32', versions: [3], default: -2147483648 },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
