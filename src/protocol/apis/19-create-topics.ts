/**
 * CreateTopics (api key 19), versions 0–7; flexible from v5.
 *
 *   v0     topics (name, numPartitions, replicationFactor, assignments, configs), timeoutMs
 *   v1     request: validateOnly; response: errorMessage
 *   v2     response: throttleTimeMs
 *   v3     same (responses sent before throttling)
 *   v4     numPartitions / replicationFactor may be -1 (broker defaults, KIP-464)
 *   v5     flexible; response: numPartitions, replicationFactor, configs, tagged
 *          topicConfigErrorCode (tag 0) (KIP-525)
 *   v6     may answer THROTTLING_QUOTA_EXCEEDED (KIP-599)
 *   v7     response: topicId (KIP-516)
 */
import type { ApiSchema } from '../schema.js';

export const createTopicsApi = {
  apiKey: 19,
  name: 'CreateTopics',
  validVersions: [0, 7],
  flexibleVersions: 5,
  request: [
    {
      name: 'topics',
      versions: [0],
      type: {
        array: [
          { name: 'name', type: 'string', versions: [0] },
          { name: 'numPartitions', type: 'int32', versions: [0] },
          { name: 'replicationFactor', type: 'int16', versions: [0] },
          {
            name: 'assignments',
            versions: [0],
            type: {
              array: [
                { name: 'partitionIndex', type: 'int32', versions: [0] },
                { name: 'brokerIds', type: { array: 'int32' }, versions: [0] },
              ],
            },
          },
          {
            name: 'configs',
            versions: [0],
            type: {
              array: [
                { name: 'name', type: 'string', versions: [0] },
                { name: 'value', type: 'string', versions: [0], nullableVersions: [0] },
              ],
            },
          },
        ],
      },
    },
    { name: 'timeoutMs', type: 'int32', versions: [0], default: 60000 },
    { name: 'validateOnly', type: 'bool', versions: [1], default: false },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [2], ignorable: true },
    {
      name: 'topics',
      versions: [0],
      type: {
        array: [
          { name: 'name', type: 'string', versions: [0] },
          { name: 'topicId', type: 'uuid', versions: [7], ignorable: true },
          { name: 'errorCode', type: 'int16', versions: [0] },
          { name: 'errorMessage', type: 'string', versions: [1], nullableVersions: [0], ignorable: true },
          { name: 'topicConfigErrorCode', type: 'int16', versions: [5], taggedVersions: [5], tag: 0, ignorable: true },
          { name: 'numPartitions', type: 'int32', versions: [5], default: -1, ignorable: true },
          { name: 'replicationFactor', type: 'int16', versions: [5], default: -1, ignorable: true },
          {
            name: 'configs',
            versions: [5],
            nullableVersions: [5],
            ignorable: true,
            type: {
              array: [
                { name: 'name', type: 'string', versions: [5] },
                { name: 'value', type: 'string', versions: [5], nullableVersions: [5] },
                { name: 'readOnly', type: 'bool', versions: [5] },
                { name: 'configSource', type: 'int8', versions: [5], default: -1, ignorable: true },
                { name: 'isSensitive', type: 'bool', versions: [5] },
              ],
            },
          },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
