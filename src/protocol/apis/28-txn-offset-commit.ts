/**
 * TxnOffsetCommit (api key 28), versions 0–4; flexible from v3.
 *
 *   v0     transactionalId, groupId, producerId, producerEpoch, topics → partitions:
 *          committedOffset, committedMetadata
 *   v1     same (responses sent before throttling)
 *   v2     committedLeaderEpoch
 *   v3     flexible versions; generationId, memberId, groupInstanceId (KIP-447: the group
 *          coordinator fences zombie members of an older generation)
 *   v4     may answer TRANSACTION_ABORTABLE (KIP-890)
 */
import type { ApiSchema } from '../schema.js';

export const txnOffsetCommitApi = {
  apiKey: 28,
  name: 'TxnOffsetCommit',
  validVersions: [0, 4],
  flexibleVersions: 3,
  request: [
    { name: 'transactionalId', type: 'string', versions: [0] },
    { name: 'groupId', type: 'string', versions: [0] },
    { name: 'producerId', type: 'int64', versions: [0] },
    { name: 'producerEpoch', type: 'int16', versions: [0] },
    { name: 'generationId', type: 'int32', versions: [3], default: -1 },
    { name: 'memberId', type: 'string', versions: [3], default: '' },
    { name: 'groupInstanceId', type: 'string', versions: [3], nullableVersions: [3], default: null },
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
                { name: 'committedLeaderEpoch', type: 'int32', versions: [2], default: -1, ignorable: true },
                { name: 'committedMetadata', type: 'string', versions: [0], nullableVersions: [0] },
              ],
            },
          },
        ],
      },
    },
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
                { name: 'errorCode', type: 'int16', versions: [0] },
              ],
            },
          },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
