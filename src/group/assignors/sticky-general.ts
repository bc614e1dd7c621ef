/**
 * The sticky assignment when members subscribe to different topics (Java's
 * GeneralAssignmentBuilder):
 *
 *   1. keep every owned partition whose topic the owner still subscribes to (dropping one
 *      marks the rebalance as revoking);
 *   2. give each remaining partition — topics with the fewest possible members first — to the
 *      subscribed member holding the fewest partitions (ties: smallest member id);
 *   3. set aside topics only one member can take and members that cannot change, then
 *      repeatedly move a partition from its member to one holding two or more fewer, until
 *      no such move exists. A partition whose owner in an older generation holds two or more
 *      fewer goes back to that owner. When a move would undo an earlier one between the same
 *      two members, the earlier partition moves back instead, so partitions do not swap;
 *   4. if the moves did not lower the balance score (Σ |countᵢ − countⱼ| over member pairs),
 *      and this is not the first assignment, undo them.
 *
 * The cost is that of Java's: the balance check walks all partitions, once per candidate move.
 */
import { compareStrings, DEFAULT_GENERATION } from './common.js';
import { JavaHashSet } from './java-order.js';
import type { PartitionTable, TopicPartition } from './partition-table.js';
import type { StickyInput } from './sticky-core.js';

interface PreviousOwner {
  member: string;
  generation: number;
}

export function generalAssign(input: StickyInput, owned: ReadonlyMap<string, readonly TopicPartition[]>, maxGeneration: number): Map<string, TopicPartition[]> {
  return new GeneralAssignment(input, owned, maxGeneration).build();
}

class GeneralAssignment {
  private readonly table: PartitionTable;
  /** topic → members subscribed to it (topics the metadata has). */
  private readonly topicMembers = new Map<string, string[]>();
  /** member → its subscribed topics the metadata has. */
  private readonly memberTopics = new Map<string, Set<string>>();
  private readonly current = new Map<string, TopicPartition[]>();
  private readonly owner = new Map<TopicPartition, string>();
  private readonly sorted: SortedMembers;
  private readonly movements = new PartitionMovements();
  private readonly sortedAllPartitions: TopicPartition[];
  private revocationRequired = false;

  constructor(
    private readonly input: StickyInput,
    owned: ReadonlyMap<string, readonly TopicPartition[]>,
    private readonly maxGeneration: number,
  ) {
    this.table = input.table;
    for (const topic of this.table.topics()) this.topicMembers.set(topic, []);
    for (const member of input.members) {
      const topics = new Set<string>();
      for (const topic of input.topics.get(member)!) {
        if (!this.table.hasTopic(topic)) continue;
        topics.add(topic);
        this.topicMembers.get(topic)!.push(member);
      }
      this.memberTopics.set(member, topics);
      this.current.set(member, [...owned.get(member)!]);
    }
    for (const [member, partitions] of this.current) for (const tp of partitions) this.owner.set(tp, member);

    // Topics that fewer members can take come first, so they are placed while choice remains.
    const topicOrder = (a: string, b: string) => this.topicMembers.get(a)!.length - this.topicMembers.get(b)!.length || compareStrings(a, b);
    this.sortedAllPartitions = [...this.table.topics()].sort(topicOrder).flatMap((t) => this.table.partitionsOf(t));
    this.sorted = new SortedMembers((m) => this.current.get(m)!.length);
  }

  build(): Map<string, TopicPartition[]> {
    const previous = this.previousOwners();
    const assigned = this.keepOwnedPartitions();
    const unassigned = this.sortedAllPartitions.filter((tp) => !assigned.has(tp));
    for (const member of this.current.keys()) this.sorted.add(member);
    this.balance(previous, unassigned);
    return this.current;
  }

  /**
   * Where members of older generations last had each partition: the newest such claim wins,
   * the first visited on a tie. Used to send a partition back to an earlier owner.
   */
  private previousOwners(): Map<TopicPartition, PreviousOwner> {
    const previous = new Map<TopicPartition, PreviousOwner>();
    for (const member of this.input.members) {
      const data = this.input.memberData.get(member)!;
      let generation: number;
      if (data.generation !== undefined && data.generation < this.maxGeneration) generation = data.generation;
      else if (data.generation === undefined && this.maxGeneration > DEFAULT_GENERATION) generation = DEFAULT_GENERATION;
      else continue;
      for (const { topic, partitions } of data.partitions) {
        for (const p of partitions) {
          const tp = this.table.get(topic, p);
          if (tp === undefined) continue;
          const known = previous.get(tp);
          if (known === undefined || generation > known.generation) previous.set(tp, { member, generation });
        }
      }
    }
    return previous;
  }

  private keepOwnedPartitions(): Set<TopicPartition> {
    const assigned = new Set<TopicPartition>();
    for (const [member, partitions] of this.current) {
      const topics = this.memberTopics.get(member)!;
      const kept = partitions.filter((tp) => topics.has(tp.topic));
      if (kept.length !== partitions.length) this.revocationRequired = true;
      this.current.set(member, kept);
      for (const tp of kept) assigned.add(tp);
    }
    return assigned;
  }

  private balance(previous: ReadonlyMap<TopicPartition, PreviousOwner>, unassigned: TopicPartition[]): void {
    const initializing = this.sizeOf(this.sorted.last()!) === 0;

    for (const tp of unassigned) {
      if (this.topicMembers.get(tp.topic)!.length > 0) this.assignToEmptiest(tp);
    }

    // Only partitions of topics two or more members can take, and only members that could
    // gain or lose a partition, take part in the moves.
    const movable = (tp: TopicPartition) => this.topicMembers.get(tp.topic)!.length >= 2;
    const reassignable = this.sortedAllPartitions.filter(movable);
    const reassignableNew = unassigned.filter(movable);
    const fixed = new Map<string, TopicPartition[]>();
    for (const member of this.input.members) {
      if (this.canMemberParticipate(member)) continue;
      this.sorted.remove(member);
      fixed.set(member, this.current.get(member)!);
      this.current.delete(member);
    }

    const before = copyAssignment(this.current);
    const ownersBefore = new Map(this.owner);

    // Without revocations forced by subscription changes, first try moving only new partitions.
    if (!this.revocationRequired) this.performReassignments(reassignableNew, previous);
    const moved = this.performReassignments(reassignable, previous);

    if (!initializing && moved && balanceScore(this.current) >= balanceScore(before)) {
      this.current.clear();
      for (const [member, partitions] of before) this.current.set(member, partitions);
      this.owner.clear();
      for (const [tp, member] of ownersBefore) this.owner.set(tp, member);
    }
    for (const [member, partitions] of fixed) this.current.set(member, partitions);
  }

  private sizeOf(member: string): number {
    return this.current.get(member)!.length;
  }

  private subscribes(member: string, topic: string): boolean {
    return this.memberTopics.get(member)!.has(topic);
  }

  /** Gives `tp` to the subscribed member with the fewest partitions. */
  private assignToEmptiest(tp: TopicPartition): void {
    for (const member of this.sorted) {
      if (!this.subscribes(member, tp.topic)) continue;
      this.sorted.remove(member);
      this.current.get(member)!.push(tp);
      this.owner.set(tp, member);
      this.sorted.add(member);
      return;
    }
  }

  private maxAssignmentSize(member: string): number {
    let n = 0;
    for (const topic of this.memberTopics.get(member)!) n += this.table.numPartitions(topic);
    return n;
  }

  private canMemberParticipate(member: string): boolean {
    const partitions = this.current.get(member)!;
    if (partitions.length < this.maxAssignmentSize(member)) return true;
    return partitions.some((tp) => this.topicMembers.get(tp.topic)!.length >= 2);
  }

  /**
   * Balanced: counts differ by at most one, or no member could take a partition of its topics
   * from a member holding two or more more.
   */
  private isBalanced(): boolean {
    const min = this.sizeOf(this.sorted.first()!);
    const max = this.sizeOf(this.sorted.last()!);
    if (min >= max - 1) return true;
    const holder = new Map<TopicPartition, string>();
    for (const [member, partitions] of this.current) for (const tp of partitions) holder.set(tp, member);
    for (const member of this.sorted) {
      const count = this.sizeOf(member);
      if (count === this.maxAssignmentSize(member)) continue;
      for (const topic of this.memberTopics.get(member)!) {
        for (const tp of this.table.partitionsOf(topic)) {
          const other = holder.get(tp);
          if (other === undefined || other === member) continue;
          if (count + 1 < this.sizeOf(other)) return false;
        }
      }
    }
    return true;
  }

  private performReassignments(partitions: readonly TopicPartition[], previous: ReadonlyMap<TopicPartition, PreviousOwner>): boolean {
    let performed = false;
    let modified: boolean;
    do {
      modified = false;
      for (const tp of partitions) {
        if (this.isBalanced()) break;
        const member = this.owner.get(tp);
        if (member === undefined || !this.current.has(member)) continue;

        const earlier = previous.get(tp);
        // Java does not check that the earlier owner is still a candidate; it would throw or
        // hand the partition to a member not subscribed to its topic.
        if (
          earlier !== undefined &&
          this.current.has(earlier.member) &&
          this.subscribes(earlier.member, tp.topic) &&
          this.sizeOf(member) > this.sizeOf(earlier.member) + 1
        ) {
          this.reassign(tp, earlier.member);
          performed = modified = true;
          continue;
        }

        for (const other of this.topicMembers.get(tp.topic)!) {
          if (this.current.has(other) && this.sizeOf(member) > this.sizeOf(other) + 1) {
            this.reassign(tp, this.emptiestSubscriber(tp.topic));
            performed = modified = true;
            break;
          }
        }
      }
    } while (modified);
    return performed;
  }

  private emptiestSubscriber(topic: string): string {
    for (const member of this.sorted) if (this.subscribes(member, topic)) return member;
    throw new Error(`sticky assignor: no member for topic ${topic}`);
  }

  private reassign(tp: TopicPartition, to: string): void {
    const from = this.owner.get(tp)!;
    const moving = this.movements.partitionToMove(tp, from, to);
    const oldMember = this.owner.get(moving)!;
    this.sorted.remove(oldMember);
    this.sorted.remove(to);
    this.movements.move(moving, oldMember, to);
    const list = this.current.get(oldMember)!;
    list.splice(list.indexOf(moving), 1);
    this.current.get(to)!.push(moving);
    this.owner.set(moving, to);
    this.sorted.add(to);
    this.sorted.add(oldMember);
  }
}

/**
 * Members ascending by (partition count, member id) — Java's TreeSet with SubscriptionComparator.
 * A member must be removed before its count changes and added back after.
 */
class SortedMembers implements Iterable<string> {
  private readonly list: string[] = [];

  constructor(private readonly countOf: (member: string) => number) {}

  private compare(a: string, b: string): number {
    return this.countOf(a) - this.countOf(b) || compareStrings(a, b);
  }

  private search(member: string): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(this.list[mid]!, member) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(member: string): void {
    const i = this.search(member);
    if (this.list[i] !== member) this.list.splice(i, 0, member);
  }

  remove(member: string): void {
    const i = this.search(member);
    if (this.list[i] === member) this.list.splice(i, 1);
  }

  first(): string | undefined {
    return this.list[0];
  }

  last(): string | undefined {
    return this.list[this.list.length - 1];
  }

  [Symbol.iterator](): Iterator<string> {
    return this.list[Symbol.iterator]();
  }
}

/**
 * The moves made so far, per topic and (from, to) pair, so that a move in the opposite
 * direction can send back a partition that came the other way instead of swapping two.
 */
class PartitionMovements {
  /** partition → where it came from and where it is now. */
  private readonly byPartition = new Map<TopicPartition, { src: string; dst: string }>();
  /** topic → "src\0dst" → partitions moved that way. */
  private readonly byTopic = new Map<string, Map<string, JavaHashSet<TopicPartition>>>();

  private static key(src: string, dst: string): string {
    return JSON.stringify([src, dst]);
  }

  /** The partition to move from `from` to `to` in place of `tp`. */
  partitionToMove(tp: TopicPartition, from: string, to: string): TopicPartition {
    const forTopic = this.byTopic.get(tp.topic);
    if (forTopic === undefined) return tp;
    const moved = this.byPartition.get(tp);
    const src = moved !== undefined ? moved.src : from;
    const reverse = forTopic.get(PartitionMovements.key(to, src));
    return reverse?.first() ?? tp;
  }

  move(tp: TopicPartition, from: string, to: string): void {
    const earlier = this.byPartition.get(tp);
    if (earlier === undefined) {
      this.record(tp, from, to);
      return;
    }
    this.forget(tp, earlier);
    // Moving back to where it started leaves no movement behind.
    if (earlier.src !== to) this.record(tp, earlier.src, to);
  }

  private record(tp: TopicPartition, src: string, dst: string): void {
    this.byPartition.set(tp, { src, dst });
    let forTopic = this.byTopic.get(tp.topic);
    if (forTopic === undefined) this.byTopic.set(tp.topic, (forTopic = new Map()));
    const key = PartitionMovements.key(src, dst);
    let set = forTopic.get(key);
    if (set === undefined) forTopic.set(key, (set = new JavaHashSet((p) => p.javaHash)));
    set.add(tp);
  }

  private forget(tp: TopicPartition, { src, dst }: { src: string; dst: string }): void {
    this.byPartition.delete(tp);
    const forTopic = this.byTopic.get(tp.topic)!;
    const key = PartitionMovements.key(src, dst);
    const set = forTopic.get(key)!;
    set.delete(tp);
    if (set.size === 0) forTopic.delete(key);
    if (forTopic.size === 0) this.byTopic.delete(tp.topic);
  }
}

function copyAssignment(assignment: ReadonlyMap<string, readonly TopicPartition[]>): Map<string, TopicPartition[]> {
  return new Map([...assignment].map(([member, partitions]) => [member, [...partitions]]));
}

/** Σ |countᵢ − countⱼ| over all member pairs; 0 is perfectly balanced. */
function balanceScore(assignment: ReadonlyMap<string, readonly TopicPartition[]>): number {
  const counts = [...assignment.values()].map((p) => p.length);
  let score = 0;
  for (let i = 0; i < counts.length; i++) for (let j = i + 1; j < counts.length; j++) score += Math.abs(counts[i]! - counts[j]!);
  return score;
}
