/**
 * Kafka's rack-unaware replica assignment (AdminUtils.assignReplicasToBrokersRackUnaware, now
 * StripedReplicaPlacer's ancestor), so a topic created here lands on brokers as Kafka would
 * place it:
 *
 *   brokers sorted; start index and replica shift random (or fixed) in [0, brokers);
 *   partition p's first replica = brokers[(p + start) % n];
 *   the shift grows by one each time p wraps around the brokers (p > 0, p % n == 0);
 *   replica j (j ≥ 1) = brokers[(first + 1 + (shift + j - 1) % (n - 1)) % n].
 *
 * Example (Kafka's own doc): 5 brokers, 10 partitions, RF 3, start 0, shift 0:
 *   p0 [0,1,2]  p1 [1,2,3]  p2 [2,3,4]  p3 [3,4,0]  p4 [4,0,1]
 *   p5 [0,2,3]  p6 [1,3,4]  p7 [2,4,0]  p8 [3,0,1]  p9 [4,1,2]
 */
import { KafkaError } from '../errors.js';

export interface AssignmentOptions {
  /** Partitions created before (CreatePartitions): the first new partition's index. */
  startPartitionId?: number;
  /** Kafka's fixedStartIndex: the start index and the initial shift; random when absent. */
  fixedStartIndex?: number;
  /** Random integer in [0, bound), for the start index and shift. */
  randomInt?: (bound: number) => number;
}

/** assignment[i] = the replicas of partition startPartitionId + i, preferred leader first. */
export function assignReplicasRackUnaware(
  partitionCount: number,
  replicationFactor: number,
  brokerIds: readonly number[],
  options: AssignmentOptions = {},
): number[][] {
  if (partitionCount <= 0) throw new KafkaError('INVALID_PARTITIONS', 'Number of partitions must be larger than 0.');
  if (replicationFactor <= 0) throw new KafkaError('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0.');
  if (replicationFactor > brokerIds.length) {
    throw new KafkaError('INVALID_REPLICATION_FACTOR', `Replication factor: ${replicationFactor} larger than available brokers: ${brokerIds.length}.`);
  }
  const brokers = [...brokerIds].sort((a, b) => a - b);
  const n = brokers.length;
  const randomInt = options.randomInt ?? ((bound: number) => Math.floor(Math.random() * bound));
  const fixed = options.fixedStartIndex ?? -1;
  const startIndex = fixed >= 0 ? fixed : randomInt(n);
  let nextReplicaShift = fixed >= 0 ? fixed : randomInt(n);
  let partition = Math.max(0, options.startPartitionId ?? 0);
  const assignment: number[][] = [];
  for (let i = 0; i < partitionCount; i++, partition++) {
    if (partition > 0 && partition % n === 0) nextReplicaShift++;
    const first = (partition + startIndex) % n;
    const replicas = [brokers[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) {
      const shift = 1 + ((nextReplicaShift + j) % (n - 1));
      replicas.push(brokers[(first + shift) % n]!);
    }
    assignment.push(replicas);
  }
  return assignment;
}
