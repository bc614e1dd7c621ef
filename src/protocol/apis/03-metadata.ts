/**
 * Metadata (api key 3), versions 0–12; flexible from v9.
 *
 *   v0     an empty topic list means "all topics"
 *   v1     null topics = all, empty = none; response: broker rack, controllerId, isInternal
 *   v2     response: clusterId
 *   v3     response: throttleTimeMs
 *   v4     request: allowAutoTopicCreation
 *   v5     response: offlineReplicas
 *   v6     same (responses sent before throttling)
 *   v7     response: leaderEpoch
 *   v8     authorized operations: includeClusterAuthorizedOperations,
 *          includeTopicAuthorizedOperations and the matching response fields
 *   v9     flexible versions
 *   v10    topicId in request and response (request names may be null; not served by Kafka)
 *   v11    cluster authorized operations removed (moved to DescribeCluster, KIP-700)
 *   v12    topics may be requested by ID; response topic name nullable
 */
import type { ApiSchema } from '../schema.js';

export const metadataApi = {
  apiKey: 3,
  name: 'Metadata',
  validVersions: [0, 12],
  flexibleVersions: 9,
  request: [
    {
      name: 'topics',
      versions: [0],
      nullableVersions: [1],
      type: {
        array: [
          { name: 'topicId', type: 'uuid', versions: [10], ignorable: true },
          { name: 'name', type: 'string', versions: [0], nullableVersions: [10] },
        ],
      },
    },
    { name: 'allowAutoTopicCreation', type: 'bool', versions: [4], default: true },
    { name: 'includeClusterAuthorizedOperations', type: 'bool', versions: [8, 10] },
    { name: 'includeTopicAuthorizedOperations', type: 'bool', versions: [8] },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [3], ignorable: true },
    {
      name: 'brokers',
      versions: [0],
      type: {
        array: [
          { name: 'nodeId', type: 'int32', versions: [0] },
          { name: 'host', type: 'string', versions: [0] },
          { name: 'port', type: 'int32', versions: [0] },
          { name: 'rack', type: 'string', versions: [1], nullableVersions: [1], default: null, ignorable: true },
        ],
      },
    },
    { name: 'clusterId', type: 'string', versions: [2], nullableVersions: [2], default: null, ignorable: true },
    { name: 'controllerId', type: 'int32', versions: [1], default: -1, ignorable: true },
    {
      name: 'topics',
      versions: [0],
      type: {
        array: [
          { name: 'errorCode', type: 'int16', versions: [0] },
          { name: 'name', type: 'string', versions: [0], nullableVersions: [12] },
          { name: 'topicId', type: 'uuid', versions: [10], ignorable: true },
          { name: 'isInternal', type: 'bool', versions: [1], default: false, ignorable: true },
          {
            name: 'partitions',
            versions: [0],
            type: {
              array: [
                { name: 'errorCode', type: 'int16', versions: [0] },
                { name: 'partitionIndex', type: 'int32', versions: [0] },
                { name: 'leaderId', type: 'int32', versions: [0] },
                { name: 'leaderEpoch', type: 'int32', versions: [7], default: -1, ignorable: true },
                { name: 'replicaNodes', type: { array: 'int32' }, versions: [0] },
                { name: 'isrNodes', type: { array: 'int32' }, versions: [0] },
                { name: 'offlineReplicas', type: { array: 'int32' }, versions: [5], ignorable: true },
              ],
            },
          },
          { name: 'topicAuthorizedOperations', type: 'int32', versions: [8], default: -2147483648 },
        ],
      },
    },
    { name: 'clusterAuthorizedOperations', type: 'int32', versions: [8, 10], default: -2147483648 },
  ],
} as const satisfies ApiSchema;
