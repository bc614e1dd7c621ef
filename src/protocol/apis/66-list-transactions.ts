/**
 * ListTransactions (api key 66), versions 0–1; flexible (KIP-664).
 *
 *   v0     stateFilters, producerIdFilters (empty: all); response: unknownStateFilters and
 *          each transactional id with its producer id and state
 *   v1     durationFilter: only transactions running longer than this many ms (-1: all)
 */
import type { ApiSchema } from '../schema.js';

export const listTransactionsApi = {
  apiKey: 66,
  name: 'ListTransactions',
  validVersions: [0, 1],
  flexibleVersions: 0,
  request: [
    { name: 'stateFilters', type: { array: 'string' }, versions: [0] },
    { name: 'producerIdFilters', type: { array: 'int64' }, versions: [0] },
    { name: 'durationFilter', type: 'int64', versions: [1], default: -1 },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [0] },
    { name: 'errorCode', type: 'int16', versions: [0] },
    { name: 'unknownStateFilters', type: { array: 'string' }, versions: [0] },
    {
      name: 'transactionStates',
      versions: [0],
      type: {
        array: [
          { name: 'transactionalId', type: 'string', versions: [0] },
          { name: 'producerId', type: 'int64', versions: [0] },
          { name: 'transactionState', type: 'string', versions: [0] },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
