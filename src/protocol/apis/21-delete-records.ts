/**
 * DeleteRecords (api key 21), versions 0–2; flexible from v2.
 *
 *   v0     topics → partitions (partitionIndex, offset), timeoutMs; response: lowWatermark
 *   v1     same (responses sent before throttling)
 *   v2     flexible versions
 */
import type { ApiSchema } from '../schema.js';

export const deleteRecordsApi = {
  apiKey: 21,
  name: 'DeleteRecords',
  validVersions: [0, 2],
  flexibleVersions: 2,
  request: [
    {
      name: 'topics',
      versions: [0],
      type: {
        array: [
          { name: 'name', type: 'string', versions: [0] },
          {
            name: 'partitions',
            versions: [0],
            type: {
              array: [
                { name: 'partitionIndex', type: 'int32', versions: [0] },
                { name: 'offset', type: 'int64', versions: [0] },
              ],
            },
          },
        ],
      },
    },
    { name: 'timeoutMs', type: 'int32', versions: [0] },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [0] },
    {
      name: 'topics',
      versions: [0],
      type: {
        array: [
          { name: 'name', type: 'string', versions: [0] },
          {
            name: 'partitions',
            versions: [0],
            type: {
              array: [
                { name: 'partitionIndex', type: 'int32', versions: [0] },
                { name: 'lowWatermark', type: 'int64', versions: [0] },
                { name: 'errorCode', type: 'int16', versions: [0] },
              ],
            },
          },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
