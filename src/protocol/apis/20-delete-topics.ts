/**
 * DeleteTopics (api key 20), versions 0–6; flexible from v4.
 *
 *   v0     topicNames, timeoutMs; response: responses (name, errorCode)
 *   v1     response: throttleTimeMs
 *   v2     same (responses sent before throttling)
 *   v3     may answer TOPIC_DELETION_DISABLED
 *   v4     flexible versions
 *   v5     response: errorMessage; may answer THROTTLING_QUOTA_EXCEEDED (KIP-599)
 *   v6     topics[] (name or topicId) replace topicNames; response: topicId, nullable name (KIP-516)
 */
import type { ApiSchema } from '../schema.js';

export const deleteTopicsApi = {
  apiKey: 20,
  name: 'DeleteTopics',
  validVersions: [0, 6],
  flexibleVersions: 4,
  request: [
    {
      name: 'topics',
      versions: [6],
      type: {
        array: [
          { name: 'name', type: 'string', versions: [6], nullableVersions: [6], default: null },
          { name: 'topicId', type: 'uuid', versions: [6] },
        ],
      },
    },
    { name: 'topicNames', type: { array: 'string' }, versions: [0, 5], ignorable: true },
    { name: 'timeoutMs', type: 'int32', versions: [0] },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [1], ignorable: true },
    {
      name: 'responses',
      versions: [0],
      type: {
        array: [
          { name: 'name', type: 'string', versions: [0], nullableVersions: [6] },
          { name: 'topicId', type: 'uuid', versions: [6], ignorable: true },
          { name: 'errorCode', type: 'int16', versions: [0] },
          { name: 'errorMessage', type: 'string', versions: [5], nullableVersions: [5], default: null, ignorable: true },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
