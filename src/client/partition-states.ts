/**
 * The consumer's view of its assigned partitions: each one's position (the next offset to hand
 * out), last committed position, pause and seek state — the Java consumer's SubscriptionState.
 * Seeks before a partition is assigned wait here for the assignment; pauses are kept by topic
 * and by partition, so a partition assigned later is paused as asked.
 */
import type { TopicPartition, TopicPartitionOffsetAndMetadata, TopicPartitions } from './types.js';

export interface PartitionState {
  topic: string;
  partition: number;
  /** key(topic, partition), computed once. */
  key: string;
  /** Paused by pause(), by topic or partition (kept here so the record loop checks a field). */
  paused: boolean;
  /** No longer assigned: a batch in progress stops. */
  revoked: boolean;
  /** Next offset to hand out; null until initialized from the committed offset. */
  position: bigint | null;
  /** Last committed position (null: none known). */
  committed: bigint | null;
  /** Bumped by seek: a batch in progress stops handing out records. */
  seekEpoch: number;
  failures: number;
}

export function key(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}

export function groupByTopic(list: readonly TopicPartition[]): TopicPartitions[] {
  const m = new Map<string, number[]>();
  for (const { topic, partition } of list) {
    let ps = m.get(topic);
    if (ps === undefined) m.set(topic, (ps = []));
    ps.push(partition);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
}

export class PartitionStates {
  private readonly states = new Map<string, PartitionState>();
  private readonly pendingSeeks = new Map<string, bigint>();
  private readonly pausedTopics = new Set<string>();
  private readonly pausedPartitions = new Set<string>();

  get size(): number {
    return this.states.size;
  }

  values(): IterableIterator<PartitionState> {
    return this.states.values();
  }

  get(topic: string, partition: number): PartitionState | undefined {
    return this.states.get(key(topic, partition));
  }

  /** A newly assigned partition (nothing when it is assigned already). */
  add(topic: string, partition: number): void {
    const k = key(topic, partition);
    if (!this.states.has(k))
      this.states.set(k, {
        topic,
        partition,
        key: k,
        paused: this.isPaused(topic, partition),
        revoked: false,
        position: null,
        committed: null,
        seekEpoch: 0,
        failures: 0,
      });
  }

  /** Partitions no longer assigned: a batch in progress for them stops. */
  revoke(keys: Iterable<string>): void {
    for (const k of keys) {
      const st = this.states.get(k);
      if (st !== undefined) st.revoked = true;
      this.states.delete(k);
    }
  }

  revokeAll(): void {
    this.revoke([...this.states.keys()]);
  }

  /** Gives `s` the position a seek made before it was assigned, if any. */
  applyPendingSeek(s: PartitionState): void {
    const seek = this.pendingSeeks.get(s.key);
    if (seek === undefined) return;
    s.position = seek;
    this.pendingSeeks.delete(s.key);
  }

  /** Moves a partition's position; false when it is not assigned (the seek then waits for it). */
  seek(topic: string, partition: number, offset: bigint): boolean {
    const s = this.states.get(key(topic, partition));
    if (s === undefined) {
      this.pendingSeeks.set(key(topic, partition), offset);
      return false;
    }
    s.position = offset;
    s.seekEpoch++;
    s.failures = 0;
    return true;
  }

  pause(topics: readonly { topic: string; partitions?: number[] }[]): void {
    for (const t of topics) {
      if (t.partitions === undefined) this.pausedTopics.add(t.topic);
      else for (const p of t.partitions) this.pausedPartitions.add(key(t.topic, p));
    }
    this.refreshPaused();
  }

  resume(topics: readonly { topic: string; partitions?: number[] }[]): void {
    for (const t of topics) {
      if (t.partitions === undefined) {
        this.pausedTopics.delete(t.topic);
        for (const k of [...this.pausedPartitions]) if (k.startsWith(`${t.topic}\0`)) this.pausedPartitions.delete(k);
      } else for (const p of t.partitions) this.pausedPartitions.delete(key(t.topic, p));
    }
    this.refreshPaused();
  }

  /** Paused partitions among the assigned ones. */
  paused(): TopicPartitions[] {
    const list: TopicPartition[] = [];
    for (const s of this.states.values()) if (s.paused) list.push({ topic: s.topic, partition: s.partition });
    return groupByTopic(list);
  }

  assigned(): TopicPartitions[] {
    return groupByTopic([...this.states.values()]);
  }

  /** Positions not yet committed (of the partitions whose keys are in `only`, when given). */
  uncommitted(only?: Set<string>): TopicPartitionOffsetAndMetadata[] {
    const out: TopicPartitionOffsetAndMetadata[] = [];
    for (const [k, s] of this.states) {
      if (only !== undefined && !only.has(k)) continue;
      if (s.position !== null && s.position !== s.committed) out.push({ topic: s.topic, partition: s.partition, offset: s.position });
    }
    return out;
  }

  private isPaused(topic: string, partition: number): boolean {
    return this.pausedTopics.has(topic) || this.pausedPartitions.has(key(topic, partition));
  }

  private refreshPaused(): void {
    for (const st of this.states.values()) st.paused = this.isPaused(st.topic, st.partition);
  }
}
