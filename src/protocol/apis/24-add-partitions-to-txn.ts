/**
 * AddPartitionsToTxn (api key 24), versions 0–5; flexible from v3.
 *
 *   v0     transactionalId, producerId, producerEpoch, topics → partitions
 *   v1     same (responses sent before throttling)
 *   v2     may answer PRODUCER_FENCED
 *   v3     flexible versions; the last version clients send
 *   v4     batched, broker to coordinator: transactions[] with verifyOnly (KIP-890 part 1);
 *          response: a top-level errorCode and resultsByTransaction
 *   v5     may answer TRANSACTION_ABORTABLE (KIP-890)
 *
 * Versions 0–3 carry one transaction in the `v3AndBelow*` fields; 4+ carry `transactions`.
 */
import type { ApiSchema, Field } from '../schema.js';

const topic = [
  { name: 'name', type: 'string', versions: [0] },
  { name: 'partitions', type: { array: 'int32' }, versions: [0] },
] as const satisfies readonly Field[];

const topicResult = [
  { name: 'name', type: 'string', versions: [0] },
  {
    name: 'resultsByPartition',
    versions: [0],
    type: {
      array: [
        { name: 'partitionIndex', type: 'int32', versions: [0] },
        { name: 'partitionErrorCode', type: 'int16', versions: [0] },
      ],
    },
  },
] as const satisfies readonly Field[];

export const addPartitionsToTxnApi = {
  apiKey: 24,
  name: 'AddPartitionsToTxn',
  validVersions: [0, 5],
  flexibleVersions: 3,
  request: [
    {
      name: 'transactions',
      versions: [4],
      type: {
        array: [
          { name: 'transactionalId', type: 'string', versions: [4] },
          { name: 'producerId', type: 'int64', versions: [4] },
          { name: 'producerEpoch', type: 'int16', versions: [4] },
          { name: 'verifyOnly', type: 'bool', versions: [4], default: false },
          { name: 'topics', versions: [4], type: { array: topic } },
        ],
      },
    },
    { name: 'v3AndBelowTransactionalId', type: 'string', versions: [0, 3] },
    { name: 'v3AndBelowProducerId', type: 'int64', versions: [0, 3] },
    { name: 'v3AndBelowProducerEpoch', type: 'int16', versions: [0, 3] },
    { name: 'v3AndBelowTopics', versions: [0, 3], type: { array: topic } },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [0] },
    { name: 'errorCode', type: 'int16', versions: [4], ignorable: true },
    {
      name: 'resultsByTransaction',
      versions: [4],
      type: {
        array: [
          { name: 'transactionalId', type: 'string', versions: [4] },
          { name: 'topicResults', versions: [4], type: { array: topicResult } },
        ],
      },
    },
    { name: 'resultsByTopicV3AndBelow', versions: [0, 3], type: { array: topicResult } },
  ],
} as const satisfies ApiSchema;
