/**
 * LeaveGroup (api key 13), versions 0–5; flexible from v4.
 *
 *   v0     groupId, memberId
 *   v1     response: throttleTimeMs
 *   v2     same (responses sent before throttling)
 *   v3     batch: members[] (memberId, groupInstanceId) replace memberId; per-member errors (KIP-345)
 *   v4     flexible versions
 *   v5     per-member reason (KIP-800)
 */
import type { ApiSchema } from '../schema.js';

export const leaveGroupApi = {
  apiKey: 13,
  name: 'LeaveGroup',
  validVersions: [0, 5],
  flexibleVersions: 4,
  request: [
    { name: 'groupId', type: 'string', versions: [0] },
    { name: 'memberId', type: 'string', versions: [0, 2] },
    {
      name: 'members',
      versions: [3],
      type: {
        array: [
          { name: 'memberId', type: 'string', versions: [3] },
          { name: 'groupInstanceId', type: 'string', versions: [3], nullableVersions: [3], default: null },
          { name: 'reason', type: 'string', versions: [5], nullableVersions: [5], default: null, ignorable: true },
        ],
      },
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [1], ignorable: true },
    { name: 'errorCode', type: 'int16', versions: [0] },
    {
      name: 'members',
      versions: [3],
      type: {
        array: [
          { name: 'memberId', type: 'string', versions: [3] },
          { name: 'groupInstanceId', type: 'string', versions: [3], nullableVersions: [3] },
          { name: 'errorCode', type: 'int16', versions: [3] },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
