/**
 * ListOffsets (api key 2), versions 0–8; flexible from v6.
 *
 *   v0     request: maxNumOffsets; response: oldStyleOffsets (a list of offsets)
 *   v1     one offset per partition: response timestamp + offset replace oldStyleOffsets
 *   v2     request: isolationLevel; response: throttleTimeMs
 *   v3     same as v2 (responses sent before throttling)
 *   v4     request: currentLeaderEpoch; response: leaderEpoch (KIP-320)
 *   v5     may answer OFFSET_NOT_AVAILABLE
 *   v6     flexible versions
 *   v7     timestamp -3 = max timestamp (KIP-734)
 *   v8     timestamp -4 = local log start offset (KIP-405)
 */
import type { ApiSchema } from '../schema.js';

export const listOffsetsApi = {
  apiKey: 2,
  name: 'ListOffsets',
  validVersions: [0, 8],
  flexibleVersions: 6,
  request: [
    { name: 'replicaId', type: 'int32', versions: [0] },
    { name: 'isolationLevel', type: 'int8', versions: [2] },
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
                { name: 'currentLeaderEpoch', type: 'int32', versions: [4], default: -1, ignorable: true },
                { name: 'timestamp', type: 'int64', versions: [0] },
                { name: 'maxNumOffsets', type: 'int32', versions: [0, 0], default: 1 },
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
          { name: 'name', type: 'string', versions: [0] },
          {
            name: 'partitions',
            versions: [0],
            type: {
              array: [
                { name: 'partitionIndex', type: 'int32', versions: [0] },
                { name: 'errorCode', type: 'int16', versions: [0] },
                { name: 'oldStyleOffsets', type: { array: 'int64' }, versions: [0, 0] },
                { name: 'timestamp', type: 'int64', versions: [1], default: -1 },
                { name: 'offset', type: 'int64', versions: [1], default: -1 },
                { name: 'leaderEpoch', type: 'int32', versions: [4], default: -1 },
              ],
            },
          },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
