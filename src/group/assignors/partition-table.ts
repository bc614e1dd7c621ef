/**
 * The partitions an assignment is about, one object per (topic, partition) so that sets and
 * maps can key on identity. Looking up a partition the metadata does not have (a deleted
 * topic, a number past the partition count, garbage from a misbehaving member) yields
 * undefined, which is how the sticky assignors drop such claims.
 */
import { compareStrings } from './common.js';
import { javaStringHashCode } from './java-order.js';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
  /** Java's TopicPartition.hashCode(), for the HashSet order the sticky assignor inherits. */
  readonly javaHash: number;
}

export class PartitionTable {
  private readonly byTopic = new Map<string, TopicPartition[]>();
  /** Every partition, in (topic, partition) order. */
  readonly all: readonly TopicPartition[];

  constructor(partitionCounts: ReadonlyMap<string, number>) {
    const all: TopicPartition[] = [];
    for (const topic of [...partitionCounts.keys()].sort(compareStrings)) {
      const topicHash = javaStringHashCode(topic);
      const list: TopicPartition[] = [];
      for (let p = 0; p < partitionCounts.get(topic)!; p++) {
        list.push({ topic, partition: p, javaHash: (Math.imul(31, 31 + p) + topicHash) | 0 });
      }
      this.byTopic.set(topic, list);
      all.push(...list);
    }
    this.all = all;
  }

  get size(): number {
    return this.all.length;
  }

  get(topic: string, partition: number): TopicPartition | undefined {
    return this.byTopic.get(topic)?.[partition];
  }

  /** The partitions of `topic` in order; empty for a topic the metadata lacks. */
  partitionsOf(topic: string): readonly TopicPartition[] {
    return this.byTopic.get(topic) ?? [];
  }

  numPartitions(topic: string): number {
    return this.byTopic.get(topic)?.length ?? 0;
  }

  hasTopic(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  topics(): IterableIterator<string> {
    return this.byTopic.keys();
  }
}

/** (partition, topic) order: how the constrained assignment picks which owned partitions to keep. */
export function byPartitionThenTopic(a: TopicPartition, b: TopicPartition): number {
  return a.partition - b.partition || compareStrings(a.topic, b.topic);
}
