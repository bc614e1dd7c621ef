/**
 * IncrementalAlterConfigs (api key 44), versions 0–1; flexible from v1.
 *
 *   v0     resources (type, name, configs with configOperation: 0 SET, 1 DELETE, 2 APPEND,
 *          3 SUBTRACT), validateOnly (KIP-339)
 *   v1     flexible versions
 */
import type { ApiSchema } from '../schema.js';

export const incrementalAlterConfigsApi = {
  apiKey: 44,
  name: 'IncrementalAlterConfigs',
  validVersions: [0, 1],
  flexibleVersions: 1,
  request: [
    {
      name: 'resources',
      versions: [0],
      type: {
        array: [
          { name: 'resourceType', type: 'int8', versions: [0] },
          { name: 'resourceName', type: 'string', versions: [0] },
          {
            name: 'configs',
            versions: [0],
            type: {
              array: [
                { name: 'name', type: 'string', versions: [0] },
                { name: 'configOperation', type: 'int8', versions: [0] },
                { name: 'value', type: 'string', versions: [0], nullableVersions: [0] },
              ],
            },
          },
        ],
      },
    },
    { name: 'validateOnly', type: 'bool', versions: [0] },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [0] },
    {
      name: 'responses',
      versions: [0],
      type: {
        array: [
          { name: 'errorCode', type: 'int16', versions: [0] },
          { name: 'errorMessage', type: 'string', versions: [0], nullableVersions: [0] },
          { name: 'resourceType', type: 'int8', versions: [0] },
          { name: 'resourceName', type: 'string', versions: [0] },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
