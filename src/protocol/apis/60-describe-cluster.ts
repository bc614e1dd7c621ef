/**
 * DescribeCluster (api key 60), versions 0–1; flexible from v0 (KIP-700).
 *
 *   v0     includeClusterAuthorizedOperations; response: clusterId, controllerId, brokers,
 *          clusterAuthorizedOperations
 *   v1     endpointType (1 brokers, 2 controllers) in request and response (KIP-919)
 */
import type { ApiSchema } from '../schema.js';

export const describeClusterApi = {
  apiKey: 60,
  name: 'DescribeCluster',
  validVersions: [0, 1],
  flexibleVersions: 0,
  request: [
    { name: 'includeClusterAuthorizedOperations', type: 'bool', versions: [0] },
    { name: 'endpointType', type: 'int8', versions: [1], default: 1 },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [0] },
    { name: 'errorCode', type: 'int16', versions: [0] },
    { name: 'errorMessage', type: 'string', versions: [0], nullableVersions: [0], default: null },
    { name: 'endpointType', type: 'int8', versions: [1], default: 1 },
    { name: 'clusterId', type: 'string', versions: [0] },
    { name: 'controllerId', type: 'int32', versions: [0], default: -1 },
    {
      name: 'brokers',
      versions: [0],
      type: {
        array: [
          { name: 'brokerId', type: 'int32', versions: [0] },
          { name: 'host', type: 'string', versions: [0] },
          { name: 'port', type: 'int32', versions: [0] },
          { name: 'rack', type: 'string', versions: [0], nullableVersions: [0], default: null },
        ],
      },
    },
    { name: 'clusterAuthorizedOperations', type: 'int32', versions: [0], default: -2147483648 },
  ],
} as const satisfies ApiSchema;
