/**
 * The console tools' partitioner: murmur2 by key as the Java client (../client/murmur2.ts),
 * round robin over the partitions for records without a key (RoundRobinPartitioner).
 */
import { partitionForKey } from '../client/murmur2.js';

export { murmur2, toPositive, partitionForKey } from '../client/murmur2.js';

/**
 * Picks partitions for records of one topic: murmur2 for keyed records, round robin for
 * records without a key (a counter per partitioner, as RoundRobinPartitioner keeps per topic).
 */
export class Partitioner {
  private counter = 0;

  partition(key: Uint8Array | null, numPartitions: number): number {
    if (key !== null) return partitionForKey(key, numPartitions);
    if (!(numPartitions > 0)) throw new RangeError(`numPartitions must be positive, got ${numPartitions}`);
    const p = this.counter % numPartitions;
    this.counter = (this.counter + 1) % 0x7fffffff;
    return p;
  }
}
