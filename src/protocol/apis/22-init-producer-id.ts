/**
 * InitProducerId (api key 22), versions 0–4; flexible from v2.
 *
 *   v0     transactionalId (nullable), transactionTimeoutMs; response: producerId, producerEpoch
 *   v1     same (responses sent before throttling)
 *   v2     flexible versions
 *   v3     request: producerId, producerEpoch — resume after INVALID_PRODUCER_EPOCH (KIP-360)
 *   v4     may answer PRODUCER_FENCED (KIP-588)
 */
import type { ApiSchema } from '../schema.js';

export const initProducerIdApi = {
  apiKey: 22,
  name: 'InitProducerId',
  validVersions: [0, 4],
  flexibleVersions: 2,
  request: [
    { name: 'transactionalId', type: 'string', versions: [0], nullableVersions: [0] },
    { name: 'transactionTimeoutMs', type: 'int32', versions: [0] },
    { name: 'producerId', type: 'int64', versions: [3], default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: [3], default: -1 },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [0], ignorable: true },
    { name: 'errorCode', type: 'int16', versions: [0] },
    { name: 'producerId', type: 'int64', versions: [0], default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: [0] },
  ],
} as const satisfies ApiSchema;
