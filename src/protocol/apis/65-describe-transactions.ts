/**
 * DescribeTransactions (api key 65), version 0; flexible (KIP-664).
 *
 *   v0     transactionalIds; response per id: errorCode, state (Kafka's names: Empty, Ongoing,
 *          PrepareCommit, …), timeout, start time, producer id and epoch, and the partitions of
 *          the open transaction (while preparing: those still without a marker)
 */
import type { ApiSchema } from '../schema.js';

export const describeTransactionsApi = {
  apiKey: 65,
  name: 'DescribeTransactions',
  validVersions: [0, 0],
  flexibleVersions: 0,
  request: [{ name: 'transactionalIds', type: { array: 'string' }, versions: [0] }],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [0], ignorable: true },
    {
      name: 'transactionStates',
      versions: [0],
      type: {
        array: [
          { name: 'errorCode', type: 'int16', versions: [0] },
          { name: 'transactionalId', type: 'string', versions: [0] },
          { name: 'transactionState', type: 'string', versions: [0] },
          { name: 'transactionTimeoutMs', type: 'int32', versions: [0] },
          { name: 'transactionStartTimeMs', type: 'int64', versions: [0] },
          { name: 'producerId', type: 'int64', versions: [0] },
          { name: 'producerEpoch', type: 'int32', versions: [0] },
          {
            name: 'topics',
            versions: [0],
            type: {
              array: [
                { name: 'topic', type: 'string', versions: [0] },
                { name: 'partitions', type: { array: 'int32' }, versions: [0] },
              ],
            },
          },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
