/**
 * EndTxn (api key 26), versions 0–4; flexible from v3.
 *
 *   v0     transactionalId, producerId, producerEpoch, committed (false: abort)
 *   v1     same (responses sent before throttling)
 *   v2     may answer PRODUCER_FENCED
 *   v3     flexible versions
 *   v4     may answer TRANSACTION_ABORTABLE (KIP-890 part 1)
 *
 * Not served: v5 (KIP-890 part 2, an epoch bump at every transaction end, answered with the
 * new producer id and epoch).
 */
import type { ApiSchema } from '../schema.js';

export const endTxnApi = {
  apiKey: 26,
  name: 'EndTxn',
  validVersions: [0, 4],
  flexibleVersions: 3,
  request: [
    { name: 'transactionalId', type: 'string', versions: [0] },
    { name: 'producerId', type: 'int64', versions: [0] },
    { name: 'producerEpoch', type: 'int16', versions: [0] },
    { name: 'committed', type: 'bool', versions: [0] },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: [0] },
    { name: 'errorCode', type: 'int16', versions: [0] },
  ],
} as const satisfies ApiSchema;
