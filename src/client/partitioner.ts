/**
 * The producer's partitioners.
 *
 * Default (the Java client's BuiltInPartitioner since Kafka 3.3):
 *   - a record with a partition goes there;
 *   - a record with a key goes to toPositive(murmur2(key)) % partitionCount (murmur2.ts), so a
 *     key lands where the Java client, kafka-python and kafkajs' JavaCompatible partitioner
 *     put it;
 *   - records without a key stick to one partition per topic until about `batchSizeBytes`
 *     (Kafka's batch.size, 16384) have gone to it, then move to another partition chosen at
 *     random (KIP-480 sticky partitioning: fewer, fuller batches than round robin). A send
 *     call is one batch per partition, so the sticky partition also moves after every call
 *     that used it, as Java's moves when its batch is sent.
 *
 * Round robin: records without a key go to the partitions in turn (RoundRobinPartitioner);
 * keyed records are hashed as above.
 *
 * Custom: a function of ({ topic, partitionCount, message }) returning a partition.
 */
import { partitionForKey } from './murmur2.js';
import type { Message } from './types.js';

export interface PartitionerArgs {
  topic: string;
  partitionCount: number;
  message: Message;
}

export type CustomPartitioner = (args: PartitionerArgs) => number;

/** What a producer is configured with: a built-in by name, or a function. */
export type PartitionerOption = 'default' | 'roundrobin' | CustomPartitioner;

/** Kafka's batch.size default. */
export const DEFAULT_BATCH_SIZE_BYTES = 16_384;

/**
 * The producer's view of a partitioner: `partition` per record (the key already as bytes),
 * `record` after each keyless record was placed with its size, `endBatch` after each call.
 */
export interface Partitioner {
  partition(topic: string, partitionCount: number, message: Message, key: Buffer | null): number;
  /** A record without a key of `bytes` went to `partition` of `topic`. */
  placedKeyless(topic: string, partition: number, bytes: number): void;
  /** The send call is over: its batches are out. */
  endBatch(): void;
}

function checkCount(partitionCount: number): void {
  if (!(partitionCount > 0)) throw new RangeError(`partitionCount must be positive, got ${partitionCount}`);
}

/** Kafka's sticky partition of one topic. */
interface Sticky {
  partition: number;
  bytes: number;
  used: boolean;
}

export class DefaultPartitioner implements Partitioner {
  private readonly sticky = new Map<string, Sticky>();
  constructor(
    private readonly batchSizeBytes = DEFAULT_BATCH_SIZE_BYTES,
    private readonly random: () => number = Math.random,
  ) {}

  partition(topic: string, partitionCount: number, message: Message, key: Buffer | null): number {
    if (message.partition !== undefined) return message.partition;
    checkCount(partitionCount);
    if (key !== null) return partitionForKey(key, partitionCount);
    let s = this.sticky.get(topic);
    if (s === undefined || s.partition >= partitionCount) {
      s = { partition: this.pick(partitionCount, -1), bytes: 0, used: false };
      this.sticky.set(topic, s);
    }
    if (s.bytes >= this.batchSizeBytes) {
      s.partition = this.pick(partitionCount, s.partition);
      s.bytes = 0;
    }
    return s.partition;
  }

  placedKeyless(topic: string, partition: number, bytes: number): void {
    const s = this.sticky.get(topic);
    if (s === undefined || s.partition !== partition) return;
    s.bytes += bytes;
    s.used = true;
  }

  endBatch(): void {
    for (const s of this.sticky.values()) {
      // The next call starts a new batch on another partition (Java: onNewBatch).
      if (s.used) s.bytes = this.batchSizeBytes;
      s.used = false;
    }
  }

  /** A random partition other than `current` when there is a choice. */
  private pick(partitionCount: number, current: number): number {
    if (partitionCount === 1) return 0;
    if (current < 0) return Math.floor(this.random() * partitionCount);
    const p = Math.floor(this.random() * (partitionCount - 1));
    return p >= current ? p + 1 : p;
  }
}

export class RoundRobinPartitioner implements Partitioner {
  private readonly counters = new Map<string, number>();

  partition(topic: string, partitionCount: number, message: Message, key: Buffer | null): number {
    if (message.partition !== undefined) return message.partition;
    checkCount(partitionCount);
    if (key !== null) return partitionForKey(key, partitionCount);
    const n = this.counters.get(topic) ?? 0;
    this.counters.set(topic, (n + 1) % 0x7fffffff);
    return n % partitionCount;
  }

  placedKeyless(): void {}
  endBatch(): void {}
}

class FunctionPartitioner implements Partitioner {
  constructor(private readonly fn: CustomPartitioner) {}

  partition(topic: string, partitionCount: number, message: Message): number {
    if (message.partition !== undefined) return message.partition;
    return this.fn({ topic, partitionCount, message });
  }

  placedKeyless(): void {}
  endBatch(): void {}
}

export function createPartitioner(option: PartitionerOption = 'default', batchSizeBytes = DEFAULT_BATCH_SIZE_BYTES): Partitioner {
  if (typeof option === 'function') return new FunctionPartitioner(option);
  switch (option) {
    case 'default':
      return new DefaultPartitioner(batchSizeBytes);
    case 'roundrobin':
      return new RoundRobinPartitioner();
    default:
      throw new RangeError(`unknown partitioner '${String(option)}' (expected 'default', 'roundrobin' or a function)`);
  }
}
