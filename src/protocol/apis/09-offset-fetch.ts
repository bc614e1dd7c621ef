/**
 * OffsetFetch (api key 9), versions 0–8; flexible from v6.
 *
 *   v0     offsets read from ZooKeeper
 *   v1     offsets read from __consumer_offsets
 *   v2     null topics = all topics; response: top-level errorCode
 *   v3     response: throttleTimeMs
 *   v4     same (responses sent before throttling)
 *   v5     response: committedLeaderEpoch
 *   v6     flexible versions
 *   v7     request: requireStable (KIP-447); may answer UNSTABLE_OFFSET_COMMIT
 *   v8     several groups per request: groups[] replaces groupId/topics, and in the response
 *          groups[] replaces topics/errorCode (KIP-709)
 */
import type { ApiSchema } from '../schema.js';

export const offsetFetchApi = {
  apiKey: 9,
  name: 'OffsetFetch',
  validVersions: [0, 8],
  flexibleVersions: 6,
  request: [
    { name: 'groupId', type: 'string', versions: [0, 7] },
    {
      name: 'topics',
      versions: [0, 7],
      nullableVersions: [2, 7],
      type: {
        array: [
          { name: 'name', type: 'string', versions: [0, 7] },
          { name: 'partitionIndexes', type: { array: 'int32' }, versions: [0, 7] },
        ],
      },
    },
    {
      name: 'groups',
      versions: [8],
      type: {
        array: [
          { name: 'groupId', type: 'string', versions: [8] },
          {
            name: 'topics',
            versions: [8],
            nullableVersions: [8],
            type: {
              array: [
                { name: 'name', type: 'string', versions: [8] },
                { name: 'partitionIndexes', type: { array: 'int32' }, versions: [8] },
              ],
            },
          },
        ],
      },
    },
    { name: 'requireStable', type: 'bool', versions: [7], default: false },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [3], ignorable: true },
    {
      name: 'topics',
      versions: [0, 7],
      type: {
        array: [
          { name: 'name', type: 'string', versions: [0, 7] },
          {
            name: 'partitions',
            versions: [0, 7],
            type: {
              array: [
                { name: 'partitionIndex', type: 'int32', versions: [0, 7] },
                { name: 'committedOffset', type: 'int64', versions: [0, 7] },
                { name: 'committedLeaderEpoch', type: 'int32', versions: [5, 7], default: -1, ignorable: true },
                { name: 'metadata', type: 'string', versions: [0, 7], nullableVersions: [0, 7] },
                { name: 'errorCode', type: 'int16', versions: [0, 7] },
              ],
            },
          },
        ],
      },
    },
    { name: 'errorCode', type: 'int16', versions: [2, 7], default: 0, ignorable: true },
    {
      name: 'groups',
      versions: [8],
      type: {
        array: [
          { name: 'groupId', type: 'string', versions: [8] },
          {
            name: 'topics',
            versions: [8],
            type: {
              array: [
                { name: 'name', type: 'string', versions: [8] },
                {
                  name: 'partitions',
                  versions: [8],
                  type: {
                    array: [
                      { name: 'partitionIndex', type: 'int32', versions: [8] },
                      { name: 'committedOffset', type: 'int64', versions: [8] },
                      { name: 'committedLeaderEpoch', type: 'int32', versions: [8], default: -1, ignorable: true },
                      { name: 'metadata', type: 'string', versions: [8], nullableVersions: [8] },
                      { name: 'errorCode', type: 'int16', versions: [8] },
                    ],
                  },
                },
              ],
            },
          },
          { name: 'errorCode', type: 'int16', versions: [8], default: 0 },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
