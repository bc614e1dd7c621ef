/**
 * OffsetForLeaderEpoch (api key 23), versions 0–4; flexible from v4.
 *
 *   v0     topics → partitions (partition, leaderEpoch); response: errorCode, endOffset
 *   v1     response: leaderEpoch
 *   v2     request: currentLeaderEpoch (fencing, KIP-320); response: throttleTimeMs
 *   v3     request: replicaId (-2 = debug consumer, -1 = consumer, else a follower)
 *   v4     flexible versions
 */
import type { ApiSchema } from '../schema.js';

export const offsetForLeaderEpochApi = {
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  validVersions: [0, 4],
  flexibleVersions: 4,
  request: [
    { name: 'replicaId', type: 'int32', versions: [3], default: -2, ignorable: true },
    {
      name: 'topics',
      versions: [0],
      type: {
        array: [
          { name: 'topic', type: 'string', versions: [0] },
          {
            name: 'partitions',
            versions: [0],
            type: {
              array: [
                { name: 'partition', type: 'int32', versions: [0] },
                { name: 'currentLeaderEpoch', type: 'int32', versions: [2], default: -1, ignorable: true },
                { name: 'leaderEpoch', type: 'int32', versions: [0] },
              ],
            },
          },
        ],
      },
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [2], ignorable: true },
    {
      name: 'topics',
      versions: [0],
      type: {
        array: [
          { name: 'topic', type: 'string', versions: [0] },
          {
            name: 'partitions',
            versions: [0],
            type: {
              array: [
                { name: 'errorCode', type: 'int16', versions: [0] },
                { name: 'partition', type: 'int32', versions: [0] },
                { name: 'leaderEpoch', type: 'int32', versions: [1], default: -1, ignorable: true },
                { name: 'endOffset', type: 'int64', versions: [0], default: -1 },
              ],
            },
          },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
