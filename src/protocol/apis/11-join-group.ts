/**
 * JoinGroup (api key 11), versions 0–9; flexible from v6.
 *
 *   v0     groupId, sessionTimeoutMs, memberId, protocolType, protocols
 *   v1     request: rebalanceTimeoutMs
 *   v2     response: throttleTimeMs
 *   v3     same (responses sent before throttling)
 *   v4     a new member must rejoin with the memberId it was given (MEMBER_ID_REQUIRED, KIP-394)
 *   v5     groupInstanceId (static membership, KIP-345)
 *   v6     flexible versions
 *   v7     response: protocolType; protocolName nullable (KIP-559)
 *   v8     request: reason (KIP-800)
 *   v9     response: skipAssignment (KIP-814)
 */
import type { ApiSchema } from '../schema.js';

export const joinGroupApi = {
  apiKey: 11,
  name: 'JoinGroup',
  validVersions: [0, 9],
  flexibleVersions: 6,
  request: [
    { name: 'groupId', type: 'string', versions: [0] },
    { name: 'sessionTimeoutMs', type: 'int32', versions: [0] },
    { name: 'rebalanceTimeoutMs', type: 'int32', versions: [1], default: -1, ignorable: true },
    { name: 'memberId', type: 'string', versions: [0] },
    { name: 'groupInstanceId', type: 'string', versions: [5], nullableVersions: [5], default: null },
    { name: 'protocolType', type: 'string', versions: [0] },
    {
      name: 'protocols',
      versions: [0],
      type: {
        array: [
          { name: 'name', type: 'string', versions: [0] },
          { name: 'metadata', type: 'bytes', versions: [0] },
        ],
      },
    },
    { name: 'reason', type: 'string', versions: [8], nullableVersions: [8], default: null, ignorable: true },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [2], ignorable: true },
    { name: 'errorCode', type: 'int16', versions: [0] },
    { name: 'generationId', type: 'int32', versions: [0], default: -1 },
    { name: 'protocolType', type: 'string', versions: [7], nullableVersions: [7], default: null, ignorable: true },
    { name: 'protocolName', type: 'string', versions: [0], nullableVersions: [7] },
    { name: 'leader', type: 'string', versions: [0] },
    { name: 'skipAssignment', type: 'bool', versions: [9], default: false },
    { name: 'memberId', type: 'string', versions: [0] },
    {
      name: 'members',
      versions: [0],
      type: {
        array: [
          { name: 'memberId', type: 'string', versions: [0] },
          { name: 'groupInstanceId', type: 'string', versions: [5], nullableVersions: [5], default: null, ignorable: true },
          { name: 'metadata', type: 'bytes', versions: [0] },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
