/**
 * Heartbeat (api key 12), versions 0–4; flexible from v4.
 *
 *   v0     groupId, generationId, memberId; response: errorCode
 *   v1     response: throttleTimeMs
 *   v2     same (responses sent before throttling)
 *   v3     request: groupInstanceId (KIP-345)
 *   v4     flexible versions
 */
import type { ApiSchema } from '../schema.js';

export const heartbeatApi = {
  apiKey: 12,
  name: 'Heartbeat',
  validVersions: [0, 4],
  flexibleVersions: 4,
  request: [
    { name: 'groupId', type: 'string', versions: [0] },
    { name: 'generationId', type: 'int32', versions: [0] },
    { name: 'memberId', type: 'string', versions: [0] },
    { name: 'groupInstanceId', type: 'string', versions: [3], nullableVersions: [3], default: null },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [1], ignorable: true },
    { name: 'errorCode', type: 'int16', versions: [0] },
  ],
} as const satisfies ApiSchema;
