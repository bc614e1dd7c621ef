/**
 * The algorithm shared by "sticky" and "cooperative-sticky": a port of Java's
 * AbstractStickyAssignor (the non-rack-aware paths, which are the ones Java takes when
 * partition replicas carry no racks). Goals, in priority order:
 *
 *   1. balance — partition counts differ by at most one, or, with differing subscriptions, no
 *      partition could move to a subscribed member holding two or more fewer;
 *   2. stickiness — a member keeps as many of the partitions it owned as balance allows.
 *
 * What a member owned comes from the variant (`memberData`): the sticky assignor reads it from
 * its user data, the cooperative one from the subscription's ownedPartitions. Claims are
 * cleaned here first (`collectOwnedPartitions`): partitions the metadata lacks are dropped,
 * and when two members claim one partition the higher generation keeps it; in a tie neither
 * does and the partition is marked as having had several owners.
 *
 * Then one of two algorithms runs:
 *   - every member subscribes to the same topics → the constrained assignment
 *     (sticky-constrained.ts): quotas, owned partitions kept up to the quota, the rest dealt
 *     round-robin; it also reports which partitions change owner;
 *   - otherwise → the general assignment (sticky-general.ts): keep, fill the emptiest, then
 *     move partitions while that improves balance.
 *
 * Where Java leaves the choice to HashMap iteration order, members are visited in that same
 * order (java-order.ts), so results match a Java leader's. Deliberate differences from Java,
 * all on input a correct member never sends:
 *   - a member's topics and owned partitions are de-duplicated, and owned partitions outside
 *     the metadata are dropped (Java keeps an out-of-range partition number and assigns it);
 *   - subscriptions count as equal only when every member's topic set is the same (Java also
 *     calls them equal when the first member subscribes to nothing, then hands that member
 *     partitions of topics it did not subscribe to);
 *   - the highest generation is computed per assignment, where Java's assignor instance
 *     remembers the highest it has ever seen.
 */
import { DEFAULT_GENERATION } from './common.js';
import { javaHashMapOrder } from './java-order.js';
import { PartitionTable, type TopicPartition } from './partition-table.js';
import { constrainedAssign } from './sticky-constrained.js';
import { generalAssign } from './sticky-general.js';
import type { MemberSubscription, TopicPartitions } from './types.js';

export { DEFAULT_GENERATION };

/** What a member claims to own, and the generation the claim belongs to (undefined: unknown). */
export interface MemberData {
  partitions: readonly TopicPartitions[];
  generation: number | undefined;
}

export interface StickyInput {
  table: PartitionTable;
  /** Members in the order Java iterates its subscription HashMap. */
  members: readonly string[];
  subscriptions: ReadonlyMap<string, MemberSubscription>;
  /** Each member's de-duplicated topics. */
  topics: ReadonlyMap<string, ReadonlySet<string>>;
  memberData: ReadonlyMap<string, MemberData>;
}

export interface StickyResult {
  assignment: Map<string, TopicPartition[]>;
  /**
   * Partitions given to a member other than one that owns them, with their new member. Known
   * only after the constrained assignment; null after the general one, where the cooperative
   * assignor works it out from the owned partitions.
   */
  partitionsTransferringOwnership: Map<TopicPartition, string> | null;
}

/** The subscription's generation as Java's Subscription.generationId() has it: negative = none. */
export function subscriptionGeneration(sub: MemberSubscription): number | undefined {
  const g = sub.generationId;
  return g === undefined || g < 0 ? undefined : g;
}

export function stickyAssign(
  partitionCounts: ReadonlyMap<string, number>,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
  memberData: (sub: MemberSubscription) => MemberData,
): StickyResult {
  const table = new PartitionTable(partitionCounts);
  const members = javaHashMapOrder([...subscriptions.keys()]);
  const topics = new Map(members.map((m) => [m, new Set(subscriptions.get(m)!.topics)]));
  const data = new Map(members.map((m) => [m, memberData(subscriptions.get(m)!)]));
  const input: StickyInput = { table, members, subscriptions, topics, memberData: data };

  const claims = collectOwnedPartitions(input);
  if (members.length === 0) return { assignment: new Map(), partitionsTransferringOwnership: new Map() };
  if (allSubscriptionsEqual(input)) {
    return constrainedAssign(table, members, claims.owned, claims.multipleOwners);
  }
  return { assignment: generalAssign(input, claims.owned, claims.maxGeneration), partitionsTransferringOwnership: null };
}

function allSubscriptionsEqual({ members, topics }: StickyInput): boolean {
  const first = topics.get(members[0]!)!;
  return members.every((m) => {
    const t = topics.get(m)!;
    return t.size === first.size && [...t].every((topic) => first.has(topic));
  });
}

interface Claims {
  /** Each member's surviving claims, in the order claimed. */
  owned: Map<string, TopicPartition[]>;
  /** Partitions two members of one generation both claimed: nobody keeps them. */
  multipleOwners: Set<TopicPartition>;
  maxGeneration: number;
}

/** Java's allSubscriptionsEqual() bookkeeping: who keeps which claimed partition. */
function collectOwnedPartitions({ table, members, subscriptions, memberData }: StickyInput): Claims {
  const owned = new Map<string, TopicPartition[]>();
  const multipleOwners = new Set<TopicPartition>();
  const claimedBy = new Map<TopicPartition, string>();
  let maxGeneration = DEFAULT_GENERATION;

  for (const member of members) {
    const data = memberData.get(member)!;
    const generation = data.generation ?? DEFAULT_GENERATION;
    maxGeneration = Math.max(maxGeneration, generation);
    const mine: TopicPartition[] = [];
    owned.set(member, mine);
    for (const { topic, partitions } of data.partitions) {
      for (const p of partitions) {
        const tp = table.get(topic, p);
        if (tp === undefined) continue;
        const other = claimedBy.get(tp);
        if (other === undefined) {
          mine.push(tp);
          claimedBy.set(tp, member);
          continue;
        }
        if (other === member) continue; // listed twice
        // Java compares against the other member's subscription generation, not its member data.
        const otherGeneration = subscriptionGeneration(subscriptions.get(other)!) ?? DEFAULT_GENERATION;
        if (generation === otherGeneration) {
          multipleOwners.add(tp);
          remove(owned.get(other)!, tp);
          claimedBy.set(tp, member);
        } else if (generation > otherGeneration) {
          mine.push(tp);
          remove(owned.get(other)!, tp);
          claimedBy.set(tp, member);
        }
      }
    }
  }
  return { owned, multipleOwners, maxGeneration };
}

function remove<T>(list: T[], value: T): void {
  const i = list.indexOf(value);
  if (i >= 0) list.splice(i, 1);
}
