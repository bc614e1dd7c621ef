/**
 * AddOffsetsToTxn (api key 25), versions 0–4; flexible from v3.
 *
 *   v0     transactionalId, producerId, producerEpoch, groupId: adds the group's
 *          `__consumer_offsets` partition to the transaction
 *   v1     same (responses sent before throttling)
 *   v2     may answer PRODUCER_FENCED
 *   v3     flexible versions
 *   v4     may answer TRANSACTION_ABORTABLE (KIP-890)
 */
import type { ApiSchema } from '../schema.js';

export const addOffsetsToTxnApi = {
  apiKey: 25,
  name: 'AddOffsetsToTxn',
  validVersions: [0, 4],
  flexibleVersions: 3,
  request: [
    { name: 'transactionalId', type: 'string', versions: [0] },
    { name: 'producerId', type: 'int64', versions: [0] },
    { name: 'producerEpoch', type: 'int16', versions: [0] },
    { name: 'groupId', type: 'string', versions: [0] },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [0] },
    { name: 'errorCode', type: 'int16', versions: [0] },
  ],
} as const satisfies ApiSchema;
