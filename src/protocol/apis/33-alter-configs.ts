/**
 * AlterConfigs (api key 33), versions 0–2; flexible from v2. (Replaced by
 * IncrementalAlterConfigs for most uses: this one sets a resource's whole config at once.)
 *
 *   v0     resources (type, name, configs), validateOnly
 *   v1     same (responses sent before throttling)
 *   v2     flexible versions
 */
import type { ApiSchema } from '../schema.js';

export const alterConfigsApi = {
  apiKey: 33,
  name: 'AlterConfigs',
  validVersions: [0, 2],
  flexibleVersions: 2,
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
