/**
 * Fetch (api key 1), versions 0–16; flexible from v12.
 *
 *   v0     replicaId, maxWaitMs, minBytes, topics → partitions (fetchOffset, partitionMaxBytes)
 *   v1     response: throttleTimeMs
 *   v2     message format v1 may be returned
 *   v3     request: maxBytes; partitions served in request order
 *   v4     request: isolationLevel; response: lastStableOffset, abortedTransactions (format v2)
 *   v5     logStartOffset (request and response)
 *   v6     may answer KAFKA_STORAGE_ERROR
 *   v7     incremental fetch sessions: sessionId, sessionEpoch, forgottenTopicsData; response
 *          top-level errorCode and sessionId (KIP-227)
 *   v8     same as v7
 *   v9     request: currentLeaderEpoch (KIP-320)
 *   v10    zstd may be returned (KIP-110)
 *   v11    request: rackId; response: preferredReadReplica (KIP-392)
 *   v12    flexible; request: lastFetchedEpoch, tagged clusterId; response: tagged
 *          divergingEpoch, currentLeader, snapshotId (KIP-595)
 *   v13    topic IDs replace topic names (KIP-516)
 *   v14    may answer OFFSET_MOVED_TO_TIERED_STORAGE (KIP-405)
 *   v15    request: replicaId moves into tagged replicaState (KIP-903)
 *   v16    response: tagged nodeEndpoints (KIP-951)
 */
import type { ApiSchema } from '../schema.js';

const nodeEndpoint = [
  { name: 'nodeId', type: 'int32', versions: [16] },
  { name: 'host', type: 'string', versions: [16] },
  { name: 'port', type: 'int32', versions: [16] },
  { name: 'rack', type: 'string', versions: [16], nullableVersions: [16], default: null },
] as const;

export const fetchApi = {
  apiKey: 1,
  name: 'Fetch',
  validVersions: [0, 16],
  flexibleVersions: 12,
  request: [
    { name: 'clusterId', type: 'string', versions: [12], nullableVersions: [12], default: null, taggedVersions: [12], tag: 0, ignorable: true },
    { name: 'replicaId', type: 'int32', versions: [0, 14], default: -1 },
    {
      name: 'replicaState',
      versions: [15],
      taggedVersions: [15],
      tag: 1,
      type: {
        struct: [
          { name: 'replicaId', type: 'int32', versions: [15], default: -1 },
          { name: 'replicaEpoch', type: 'int64', versions: [15], default: -1 },
        ],
      },
    },
    { name: 'maxWaitMs', type: 'int32', versions: [0] },
    { name: 'minBytes', type: 'int32', versions: [0] },
    { name: 'maxBytes', type: 'int32', versions: [3], default: 0x7fffffff, ignorable: true },
    { name: 'isolationLevel', type: 'int8', versions: [4], default: 0, ignorable: true },
    { name: 'sessionId', type: 'int32', versions: [7], default: 0, ignorable: true },
    { name: 'sessionEpoch', type: 'int32', versions: [7], default: -1, ignorable: true },
    {
      name: 'topics',
      versions: [0],
      type: {
        array: [
          { name: 'topic', type: 'string', versions: [0, 12], ignorable: true },
          { name: 'topicId', type: 'uuid', versions: [13], ignorable: true },
          {
            name: 'partitions',
            versions: [0],
            type: {
              array: [
                { name: 'partition', type: 'int32', versions: [0] },
                { name: 'currentLeaderEpoch', type: 'int32', versions: [9], default: -1, ignorable: true },
                { name: 'fetchOffset', type: 'int64', versions: [0] },
                { name: 'lastFetchedEpoch', type: 'int32', versions: [12], default: -1 },
                { name: 'logStartOffset', type: 'int64', versions: [5], default: -1, ignorable: true },
                { name: 'partitionMaxBytes', type: 'int32', versions: [0] },
              ],
            },
          },
        ],
      },
    },
    {
      name: 'forgottenTopicsData',
      versions: [7],
      type: {
        array: [
          { name: 'topic', type: 'string', versions: [7, 12], ignorable: true },
          { name: 'topicId', type: 'uuid', versions: [13], ignorable: true },
          { name: 'partitions', type: { array: 'int32' }, versions: [7] },
        ],
      },
    },
    { name: 'rackId', type: 'string', versions: [11], default: '', ignorable: true },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [1], ignorable: true },
    { name: 'errorCode', type: 'int16', versions: [7], ignorable: true },
    { name: 'sessionId', type: 'int32', versions: [7], default: 0 },
    {
      name: 'responses',
      versions: [0],
      type: {
        array: [
          { name: 'topic', type: 'string', versions: [0, 12], ignorable: true },
          { name: 'topicId', type: 'uuid', versions: [13], ignorable: true },
          {
            name: 'partitions',
            versions: [0],
            type: {
              array: [
                { name: 'partitionIndex', type: 'int32', versions: [0] },
                { name: 'errorCode', type: 'int16', versions: [0] },
                { name: 'highWatermark', type: 'int64', versions: [0] },
                { name: 'lastStableOffset', type: 'int64', versions: [4], default: -1, ignorable: true },
                { name: 'logStartOffset', type: 'int64', versions: [5], default: -1, ignorable: true },
                {
                  name: 'divergingEpoch',
                  versions: [12],
                  taggedVersions: [12],
                  tag: 0,
                  type: {
                    struct: [
                      { name: 'epoch', type: 'int32', versions: [12], default: -1 },
                      { name: 'endOffset', type: 'int64', versions: [12], default: -1 },
                    ],
                  },
                },
                {
                  name: 'currentLeader',
                  versions: [12],
                  taggedVersions: [12],
                  tag: 1,
                  type: {
                    struct: [
                      { name: 'leaderId', type: 'int32', versions: [12], default: -1 },
                      { name: 'leaderEpoch', type: 'int32', versions: [12], default: -1 },
                    ],
                  },
                },
                {
                  name: 'snapshotId',
                  versions: [12],
                  taggedVersions: [12],
                  tag: 2,
                  type: {
                    struct: [
                      { name: 'endOffset', type: 'int64', versions: [0], default: -1 },
                      { name: 'epoch', type: 'int32', versions: [0], default: -1 },
                    ],
                  },
                },
                {
                  name: 'abortedTransactions',
                  versions: [4],
                  nullableVersions: [4],
                  ignorable: true,
                  type: {
                    array: [
                      { name: 'producerId', type: 'int64', versions: [4] },
                      { name: 'firstOffset', type: 'int64', versions: [4] },
                    ],
                  },
                },
                { name: 'preferredReadReplica', type: 'int32', versions: [11], default: -1 },
                { name: 'records', type: 'records', versions: [0], nullableVersions: [0] },
              ],
            },
          },
        ],
      },
    },
    { name: 'nodeEndpoints', versions: [16], taggedVersions: [16], tag: 0, type: { array: nodeEndpoint } },
  ],
} as const satisfies ApiSchema;
