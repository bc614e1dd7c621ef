/**
 * One group's pending transactional offsets (Kafka's GroupMetadata.pendingTransactionalOffsetCommits):
 * offsets a TxnOffsetCommit wrote to `__consumer_offsets` in a transactional batch, per producer
 * id, until that producer's COMMIT marker makes them the committed offsets or its ABORT marker
 * drops them. OffsetFetch does not show them; with requireStable their partitions answer
 * UNSTABLE_OFFSET_COMMIT. Bookkeeping only: txn-offset-manager.ts decides when they change.
 */
import type { CommittedOffset } from './group.js';

export class PendingTxnOffsets {
  /** producerId → topic → partition → offset (the last one this producer wrote wins). */
  private readonly byProducer = new Map<bigint, Map<string, Map<number, CommittedOffset>>>();

  get isEmpty(): boolean {
    return this.byProducer.size === 0;
  }

  /** Producer ids with pending offsets. */
  producers(): bigint[] {
    return [...this.byProducer.keys()];
  }

  add(producerId: bigint, topic: string, partition: number, value: CommittedOffset): void {
    let topics = this.byProducer.get(producerId);
    if (topics === undefined) this.byProducer.set(producerId, (topics = new Map()));
    let partitions = topics.get(topic);
    if (partitions === undefined) topics.set(topic, (partitions = new Map()));
    partitions.set(partition, value);
  }

  /** Whether some open transaction has an offset for this partition (Kafka's hasPendingOffsetCommitsForTopicPartition). */
  has(topic: string, partition: number): boolean {
    for (const topics of this.byProducer.values()) if (topics.get(topic)?.has(partition) === true) return true;
    return false;
  }

  /** Removes and returns a producer's pending offsets as [topic, partition, offset]. */
  take(producerId: bigint): [string, number, CommittedOffset][] {
    const topics = this.byProducer.get(producerId);
    if (topics === undefined) return [];
    this.byProducer.delete(producerId);
    const out: [string, number, CommittedOffset][] = [];
    for (const [topic, partitions] of topics) for (const [partition, value] of partitions) out.push([topic, partition, value]);
    return out;
  }

  /** Drops every producer's pending offset for a partition (a tombstone for it was written or replayed). */
  remove(topic: string, partition: number): void {
    for (const [producerId, topics] of this.byProducer) {
      const partitions = topics.get(topic);
      if (partitions === undefined || !partitions.delete(partition)) continue;
      if (partitions.size === 0) topics.delete(topic);
      if (topics.size === 0) this.byProducer.delete(producerId);
    }
  }

  /** Every partition with a pending offset of some producer, each once, as [topic, partition]. */
  partitions(): [string, number][] {
    const seen = new Map<string, Set<number>>();
    for (const topics of this.byProducer.values()) {
      for (const [topic, partitions] of topics) {
        let s = seen.get(topic);
        if (s === undefined) seen.set(topic, (s = new Set()));
        for (const p of partitions.keys()) s.add(p);
      }
    }
    const out: [string, number][] = [];
    for (const [topic, s] of seen) for (const p of s) out.push([topic, p]);
    return out;
  }

  clear(): void {
    this.byProducer.clear();
  }
}
