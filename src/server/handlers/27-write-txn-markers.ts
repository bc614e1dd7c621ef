/**
 * WriteTxnMarkers (27), versions 0–1.
 *
 *   v0     markers → topics → partitionIndexes: a COMMIT (transactionResult true) or ABORT
 *          control batch for the producer on each partition, with the coordinator's epoch
 *   v1     flexible versions
 *
 * Sent by a transaction coordinator (on a single node ours calls Broker.writeTxnMarkers
 * directly) and by `kafka-transactions.sh abort` / Admin.abortTransaction for a hanging
 * transaction. Kafka's handleWriteTxnMarkersRequest: answered per partition, once every marker
 * is durable (acks=all); an older producer epoch answers INVALID_PRODUCER_EPOCH, an older
 * coordinator epoch TRANSACTION_COORDINATOR_FENCED, an unknown partition
 * UNKNOWN_TOPIC_OR_PARTITION. A marker on a `__consumer_offsets` partition completes the
 * group's transactional offset commits (Broker.onTxnMarkerWritten, which the group coordinator
 * listens to).
 *
 * Not implemented: the CLUSTER_ACTION authorization (no ACLs yet).
 */
import { writeTxnMarkersApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function writeTxnMarkersHandler({ broker }: HandlerDeps): ApiHandler<typeof writeTxnMarkersApi> {
  return {
    api: writeTxnMarkersApi,
    versions: [0, 1],
    async handle(request) {
      const markers = await broker.writeTxnMarkers(
        request.markers.map((m) => ({
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          transactionResult: m.transactionResult,
          coordinatorEpoch: m.coordinatorEpoch,
          topics: m.topics.map((t) => ({ name: t.name, partitionIndexes: [...t.partitionIndexes] })),
        })),
      );
      return { markers };
    },
  };
}
