/**
 * CreatePartitions (api key 37), versions 0–3; flexible from v2.
 *
 *   v0     topics (name, count, assignments or null), timeoutMs, validateOnly
 *   v1     same (responses sent before throttling)
 *   v2     flexible versions
 *   v3     may answer THROTTLING_QUOTA_EXCEEDED (KIP-599)
 */
import type { ApiSchema } from '../schema.js';

export const createPartitionsApi = {
  apiKey: 37,
  name: 'CreatePartitions',
  validVersions: [0, 3],
  flexibleVersions: 2,
  request: [
    {
      name: 'topics',
      versions: [0],
      type: {
        array: [
          { name: 'name', type: 'string', versions: [0] },
          { name: 'count', type: 'int32', versions: [0] },
          {
            name: 'assignments',
            versions: [0],
            nullableVersions: [0],
            type: { array: [{ name: 'brokerIds', type: { array: 'int32' }, versions: [0] }] },
          },
        ],
      },
    },
    { name: 'timeoutMs', type: 'int32', versions: [0] },
    { name: 'validateOnly', type: 'bool', versions: [0] },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [0] },
    {
      name: 'results',
      versions: [0],
      type: {
        array: [
          { name: 'name', type: 'string', versions: [0] },
          { name: 'errorCode', type: 'int16', versions: [0] },
          { name: 'errorMessage', type: 'string', versions: [0], nullableVersions: [0], default: null },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
