/**
 * The requests and answers of the transaction coordinator's facade (coordinator.ts), as the
 * handlers and the in-process client pass them, and the bridge to the group coordinator that
 * AddOffsetsToTxn needs.
 */
import { ErrorCode, KafkaError, errorNameOf } from '../errors.js';
import { OFFSETS_TOPIC, type GroupCoordinator } from '../group/coordinator.js';

export interface InitProducerIdTxnRequest {
  transactionalId: string;
  transactionTimeoutMs: number;
  /** KIP-360: the producer's current id and epoch, or -1 / -1. */
  producerId: bigint;
  producerEpoch: number;
}

export interface TxnProducerResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface AddPartitionsToTxnRequest {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  topics: { name: string; partitions: number[] }[];
}

export interface AddPartitionsToTxnResult {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

/**
 * The `offsetsPartitionFor` of a group coordinator: its FindCoordinator creates
 * `__consumer_offsets` when missing, then the group's partition; throws with the error otherwise.
 */
export function groupOffsetsPartitionFor(groups: Pick<GroupCoordinator, 'findCoordinator' | 'partitionFor'>): (groupId: string) => Promise<number> {
  return async (groupId) => {
    const errorCode = await groups.findCoordinator();
    const partition = groups.partitionFor(groupId);
    if (errorCode !== ErrorCode.NONE || partition === null) {
      throw new KafkaError(
        errorCode === ErrorCode.NONE ? 'COORDINATOR_NOT_AVAILABLE' : errorNameOf(errorCode),
        `no ${OFFSETS_TOPIC} partition for group ${groupId}`,
      );
    }
    return partition;
  };
}
