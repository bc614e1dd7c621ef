/**
 * Produce (api key 0), versions 0–11; flexible from v9.
 *
 *   v0     acks, timeoutMs, topics → partitions → records (message set v0)
 *   v1     response: throttleTimeMs (v1, v2 accept message set v1)
 *   v2     response: logAppendTimeMs
 *   v3     request: transactionalId; records are record batches (magic 2)
 *   v4     may answer KAFKA_STORAGE_ERROR
 *   v5     response: logStartOffset
 *   v6     same as v5
 *   v7     zstd allowed (KIP-110)
 *   v8     response: recordErrors, errorMessage (KIP-467)
 *   v9     flexible versions
 *   v10    response: tagged currentLeader (partition, tag 0) and nodeEndpoints (top, tag 0) (KIP-951)
 *   v11    may answer TRANSACTION_ABORTABLE (KIP-890)
 */
import type { ApiSchema } from '../schema.js';

export const produceApi = {
  apiKey: 0,
  name: 'Produce',
  validVersions: [0, 11],
  flexibleVersions: 9,
  request: [
    { name: 'transactionalId', type: 'string', versions: [3], nullableVersions: [3], default: null },
    { name: 'acks', type: 'int16', versions: [0] },
    { name: 'timeoutMs', type: 'int32', versions: [0] },
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
                { name: 'records', type: 'records', versions: [0], nullableVersions: [0] },
              ],
            },
          },
        ],
      },
    },
  ],
  response: [
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
                { name: 'baseOffset', type: 'int64', versions: [0] },
                { name: 'logAppendTimeMs', type: 'int64', versions: [2], default: -1, ignorable: true },
                { name: 'logStartOffset', type: 'int64', versions: [5], default: -1, ignorable: true },
                {
                  name: 'recordErrors',
                  versions: [8],
                  ignorable: true,
                  type: {
                    array: [
                      { name: 'batchIndex', type: 'int32', versions: [8] },
                      { name: 'batchIndexErrorMessage', type: 'string', versions: [8], nullableVersions: [8], default: null },
                    ],
                  },
                },
                { name: 'errorMessage', type: 'string', versions: [8], nullableVersions: [8], default: null, ignorable: true },
                {
                  name: 'currentLeader',
                  versions: [10],
                  taggedVersions: [10],
                  tag: 0,
                  type: {
                    struct: [
                      { name: 'leaderId', type: 'int32', versions: [10], default: -1 },
                      { name: 'leaderEpoch', type: 'int32', versions: [10], default: -1 },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    },
    { name: 'throttleTimeMs', type: 'int32', versions: [1], default: 0, ignorable: true },
    {
      name: 'nodeEndpoints',
      versions: [10],
      taggedVersions: [10],
      tag: 0,
      type: {
        array: [
          { name: 'nodeId', type: 'int32', versions: [10] },
          { name: 'host', type: 'string', versions: [10] },
          { name: 'port', type: 'int32', versions: [10] },
          { name: 'rack', type: 'string', versions: [10], nullableVersions: [10], default: null },
        ],
      },
    },
  ],
} as const satisfies ApiSchema;
