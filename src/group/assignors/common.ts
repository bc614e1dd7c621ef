/**
 * What every assignor shares: Java's orderings, the subscribed-topic view of the metadata, and
 * the canonical shape of a result.
 */
import type { GroupAssignment, MemberSubscription, PartitionCounts } from './types.js';

/** Java's AbstractStickyAssignor.DEFAULT_GENERATION: "no generation known". */
export const DEFAULT_GENERATION = -1;

/** Java's String.compareTo: UTF-16 code units, which is also what JS `<` compares. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Java's AbstractPartitionAssignor.MemberInfo order: static members (group.instance.id) first,
 * by instance id, then dynamic members by member id. Instance ids survive restarts where
 * member ids do not, so static members keep their partitions across a rolling bounce.
 */
export function compareMembers(a: string, aInstance: string | null | undefined, b: string, bInstance: string | null | undefined): number {
  const aStatic = aInstance !== null && aInstance !== undefined;
  const bStatic = bInstance !== null && bInstance !== undefined;
  if (aStatic && bStatic) return compareStrings(aInstance, bInstance);
  if (aStatic) return -1;
  if (bStatic) return 1;
  return compareStrings(a, b);
}

/** Member ids in MemberInfo order. */
export function sortedMembers(subscriptions: ReadonlyMap<string, MemberSubscription>): string[] {
  return [...subscriptions.keys()].sort((a, b) => compareMembers(a, subscriptions.get(a)!.groupInstanceId, b, subscriptions.get(b)!.groupInstanceId));
}

/**
 * The partition counts of the topics some member subscribes to and that have partitions: the
 * `partitionsPerTopic` Java's AbstractPartitionAssignor builds from cluster metadata before
 * calling the assignment algorithm. Insertion order is ascending by topic.
 */
export function subscribedPartitionCounts(partitionCounts: PartitionCounts, subscriptions: ReadonlyMap<string, MemberSubscription>): Map<string, number> {
  const topics = new Set<string>();
  for (const sub of subscriptions.values()) for (const t of sub.topics) topics.add(t);
  const out = new Map<string, number>();
  for (const topic of [...topics].sort(compareStrings)) {
    const n = partitionCounts.get(topic);
    if (n !== undefined && Number.isInteger(n) && n > 0) out.set(topic, n);
  }
  return out;
}

/** Collects (member, topic, partition) triples into the canonical GroupAssignment shape. */
export class AssignmentCollector {
  private readonly byMember = new Map<string, Map<string, number[]>>();

  constructor(members: Iterable<string>) {
    for (const m of members) this.byMember.set(m, new Map());
  }

  add(member: string, topic: string, partition: number): void {
    const topics = this.byMember.get(member);
    if (topics === undefined) throw new Error(`assignment to unknown member ${member}`);
    let list = topics.get(topic);
    if (list === undefined) topics.set(topic, (list = []));
    list.push(partition);
  }

  /** Topics ascending, partitions ascending: the order does not travel in any decision. */
  result(): GroupAssignment {
    const out: GroupAssignment = new Map();
    for (const [member, topics] of this.byMember) {
      const sorted = new Map<string, number[]>();
      for (const topic of [...topics.keys()].sort(compareStrings))
        sorted.set(
          topic,
          topics.get(topic)!.sort((a, b) => a - b),
        );
      out.set(member, sorted);
    }
    return out;
  }
}
