/**
 * OffsetCommit (api key 8), versions 0–8; flexible from v8.
 *
 *   v0     groupId, topics → partitions (committedOffset, committedMetadata); offsets in ZooKeeper
 *   v1     generationId, memberId; per-partition commitTimestamp (v1 only)
 *   v2     retentionTimeMs (v2–v4); commitTimestamp removed
 *   v3     response: throttleTimeMs
 *   v4     same (responses sent before throttling)
 *   v5     retentionTimeMs removed (broker config only)
 *   v6     committedLeaderEpoch (KIP-320)
 *   v7     groupInstanceId (static membership, KIP-345)
 *   v8     flexible versions
 */
import type { ApiSchema } from '../schema.js';

export const offsetCommitApi = {
  apiKey: 8,
  name: 'OffsetCommit',
  validVersions: [0, 8],
  flexibleVersions: 8,
  request: [
    { name: 'groupId', type: 'string', versions: [0] },
    { name: 'generationId', type: 'int32', versions: [1], default: -1, ignorable: true },
    { name: 'memberId', type: 'string', versions: [1], ignorable: true },
    { name: 'groupInstanceId', type: 'string', versions: [7], nullableVersions: [7], default: null },
    { name: 'retentionTimeMs', type: 'int64', versions: [2, 4], default: -1, ignorable: true },
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
                { name: 'committedOffset', type: 'int64', versions: [0] },
                { name: 'committedLeaderEpoch', type: 'int32', versions: [6], default: -1, ignorable: true },
                { name: 'commitTimestamp', type: 'int64', versions: [1, 1], default: -1 },
                { name: 'committedMetadata', type: 'string', versions: [0], nullableVersions: [0] },
              ],
            },
          },
        ],
      },
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [3], ignorable: true },
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
