/**
 * FindCoordinator (api key 10), versions 0–4; flexible from v3.
 *
 *   v0     key (a group id); response: errorCode, nodeId, host, port
 *   v1     request: keyType (0 group, 1 transaction); response: throttleTimeMs, errorMessage
 *   v2     same (responses sent before throttling)
 *   v3     flexible versions
 *   v4     batched: coordinatorKeys[] and coordinators[] replace the single key (KIP-699)
 */
import type { ApiSchema } from '../schema.js';

export const findCoordinatorApi = {
  apiKey: 10,
  name: 'FindCoordinator',
  validVersions: [0, 4],
  flexibleVersions: 3,
  request: [
    { name: 'key', type: 'string', versions: [0, 3] },
    { name: 'keyType', type: 'int8', versions: [1], default: 0 },
    { name: 'coordinatorKeys', type: { array: 'string' }, versions: [4] },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [1], ignorable: true },
    { name: 'errorCode', type: 'int16', versions: [0, 3] },
    { name: 'errorMessage', type: 'string', versions: [1, 3], nullableVersions: [1, 3], ignorable: true },
    { name: 'nodeId', type: 'int32', versions: [0, 3] },
    { name: 'host', type: 'string', versions: [0, 3] },
    { name: 'port', type: 'int32', versions: [0, 3] },
    {
      name: 'coordinators',
      versions: [4],
      type: {
        array: [
          { name: 'key', type: 'string', versions: [4] },
          { name: 'nodeId', type: 'int32', versions: [4] },
          { name: 'host', type: 'string', versions: [4] },
          { name: 'port', type: 'int32', versions: [4] },
          { name: 'errorCode', type: 'int16', versions: [4] },
          { name: 'errorMessage', type: 'string', versions: [4], nullableVersions: [4], ignorable: true },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
