/**
 * DescribeConfigs (api key 32), versions 0–4; flexible from v4.
 *
 *   v0     resources (type, name, configurationKeys or null = all); response: configs with
 *          isDefault (v0 only)
 *   v1     request: includeSynonyms; response: configSource, synonyms (KIP-226)
 *   v2     same (responses sent before throttling)
 *   v3     request: includeDocumentation; response: configType, documentation (KIP-569)
 *   v4     flexible versions
 */
import type { ApiSchema } from '../schema.js';

export const describeConfigsApi = {
  apiKey: 32,
  name: 'DescribeConfigs',
  validVersions: [0, 4],
  flexibleVersions: 4,
  request: [
    {
      name: 'resources',
      versions: [0],
      type: {
        array: [
          { name: 'resourceType', type: 'int8', versions: [0] },
          { name: 'resourceName', type: 'string', versions: [0] },
          { name: 'configurationKeys', type: { array: 'string' }, versions: [0], nullableVersions: [0] },
        ],
      },
    },
    { name: 'includeSynonyms', type: 'bool', versions: [1], default: false },
    { name: 'includeDocumentation', type: 'bool', versions: [3], default: false },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [0] },
    {
      name: 'results',
      versions: [0],
      type: {
        array: [
          { name: 'errorCode', type: 'int16', versions: [0] },
          { name: 'errorMessage', type: 'string', versions: [0], nullableVersions: [0] },
          { name: 'resourceType', type: 'int8', versions: [0] },
          { name: 'resourceName', type: 'string', versions: [0] },
          {
            name: 'configs',
            versions: [0],
            type: {
              array: [
                { name: 'name', type: 'string', versions: [0] },
                { name: 'value', type: 'string', versions: [0], nullableVersions: [0] },
                { name: 'readOnly', type: 'bool', versions: [0] },
                { name: 'isDefault', type: 'bool', versions: [0, 0] },
                { name: 'configSource', type: 'int8', versions: [1], default: -1, ignorable: true },
                { name: 'isSensitive', type: 'bool', versions: [0] },
                {
                  name: 'synonyms',
                  versions: [1],
                  ignorable: true,
                  type: {
                    array: [
                      { name: 'name', type: 'string', versions: [1] },
                      { name: 'value', type: 'string', versions: [1], nullableVersions: [0] },
                      { name: 'source', type: 'int8', versions: [1] },
                    ],
                  },
                },
                { name: 'configType', type: 'int8', versions: [3], default: 0, ignorable: true },
                { name: 'documentation', type: 'string', versions: [3], nullableVersions: [0], ignorable: true },
              ],
            },
          },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
