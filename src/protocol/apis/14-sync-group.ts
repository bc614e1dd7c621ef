/**
 * SyncGroup (api key 14), versions 0–5; flexible from v4.
 *
 *   v0     groupId, generationId, memberId, assignments (leader only); response: assignment
 *   v1     response: throttleTimeMs
 *   v2     same (responses sent before throttling)
 *   v3     request: groupInstanceId (KIP-345)
 *   v4     flexible versions
 *   v5     protocolType and protocolName in request and response (KIP-559)
 */
import type { ApiSchema } from '../schema.js';

export const syncGroupApi = {
  apiKey: 14,
  name: 'SyncGroup',
  validVersions: [0, 5],
  flexibleVersions: 4,
  request: [
    { name: 'groupId', type: 'string', versions: [0] },
    { name: 'generationId', type: 'int32', versions: [0] },
    { name: 'memberId', type: 'string', versions: [0] },
    { name: 'groupInstanceId', type: 'string', versions: [3], nullableVersions: [3], default: null },
    { name: 'protocolType', type: 'string', versions: [5], nullableVersions: [5], default: null, ignorable: true },
    { name: 'protocolName', type: 'string', versions: [5], nullableVersions: [5], default: null, ignorable: true },
    {
      name: 'assignments',
      versions: [0],
      type: {
        array: [
          { name: 'memberId', type: 'string', versions: [0] },
          { name: 'assignment', type: 'bytes', versions: [0] },
        ],
      },
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [1], ignorable: true },
    { name: 'errorCode', type: 'int16', versions: [0] },
    { name: 'protocolType', type: 'string', versions: [5], nullableVersions: [5], default: null, ignorable: true },
    { name: 'protocolName', type: 'string', versions: [5], nullableVersions: [5], default: null, ignorable: true },
    { name: 'assignment', type: 'bytes', versions: [0] },
  ],
} as const satisfies ApiSchema;
