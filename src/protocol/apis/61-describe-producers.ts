/**
 * DescribeProducers (api key 61), version 0; flexible (KIP-664).
 *
 *   v0     topics → partitionIndexes; response per partition: the active producers with their
 *          epoch, last sequence and timestamp, coordinator epoch and the first offset of their
 *          open transaction (-1: none)
 */
import type { ApiSchema } from '../schema.js';

export const describeProducersApi = {
  apiKey: 61,
  name: 'DescribeProducers',
  validVersions: [0, 0],
  flexibleVersions: 0,
  request: [
    {
      name: 'topics',
      versions: [0],
      type: {
        array: [
          { name: 'name', type: 'string', versions: [0] },
          { name: 'partitionIndexes', type: { array: 'int32' }, versions: [0] },
        ],
      },
    },
  ],
  response: [
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
                { name: 'errorMessage', type: 'string', versions: [0], nullableVersions: [0], default: null },
                {
                  name: 'activeProducers',
                  versions: [0],
                  type: {
                    array: [
                      { name: 'producerId', type: 'int64', versions: [0] },
                      { name: 'producerEpoch', type: 'int32', versions: [0] },
                      { name: 'lastSequence', type: 'int32', versions: [0], default: -1 },
                      { name: 'lastTimestamp', type: 'int64', versions: [0], default: -1 },
                      { name: 'coordinatorEpoch', type: 'int32', versions: [0] },
                      { name: 'currentTxnStartOffset', type: 'int64', versions: [0], default: -1 },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
