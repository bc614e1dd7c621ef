/**
 * WriteTxnMarkers (api key 27), versions 0–1; flexible from v1.
 *
 *   v0     markers[]: producerId, producerEpoch, transactionResult (true: COMMIT),
 *          topics → partitionIndexes, coordinatorEpoch (Kafka 4.0 dropped v0; older admin
 *          tools still send it)
 *   v1     flexible versions
 *
 * Sent by the transaction coordinator to each partition's leader, and by
 * `kafka-transactions.sh abort` (Admin.abortTransaction) to abort a hanging transaction.
 * Not served: v2 (KIP-890 part 2, the marker's transaction version).
 */
import type { ApiSchema } from '../schema.js';

export const writeTxnMarkersApi = {
  apiKey: 27,
  name: 'WriteTxnMarkers',
  validVersions: [0, 1],
  flexibleVersions: 1,
  request: [
    {
      name: 'markers',
      versions: [0],
      type: {
        array: [
          { name: 'producerId', type: 'int64', versions: [0] },
          { name: 'producerEpoch', type: 'int16', versions: [0] },
          { name: 'transactionResult', type: 'bool', versions: [0] },
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
          { name: 'coordinatorEpoch', type: 'int32', versions: [0] },
        ],
      },
    },
  ],
  response: [
    {
      name: 'markers',
      versions: [0],
      type: {
        array: [
          { name: 'producerId', type: 'int64', versions: [0] },
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
      },
    },
  ],
} as const satisfies ApiSchema;
