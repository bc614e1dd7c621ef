/**
 * OffsetDelete (api key 47), version 0; never flexible.
 *
 *   v0     groupId, topics → partitions to delete committed offsets of (KIP-496)
 */
import type { ApiSchema } from '../schema.js';

export const offsetDeleteApi = {
  apiKey: 47,
  name: 'OffsetDelete',
  validVersions: [0, 0],
  flexibleVersions: Infinity,
  request: [
    { name: 'groupId', type: 'string', versions: [0] },
    {
      name: 'topics',
      versions: [0],
      type: {
        array: [
          { name: 'name', type: 'string', versions: [0] },
          { name: 'partitions', versions: [0], type: { array: [{ name: 'partitionIndex', type: 'int32', versions: [0] }] } },
        ],
      },
    },
  ],
  response: [
    { name: 'errorCode', type: 'int16', versions: [0] },
    { name: 'throttleTimeMs', type: 'int32', versions: [0], ignorable: true },
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
                { name: 'errorCode', type: 'int16', versions: [0] },
              ],
            },
          },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
