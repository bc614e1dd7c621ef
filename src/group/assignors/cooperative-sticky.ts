/**
 * "cooperative-sticky" — Java's CooperativeStickyAssignor: the sticky algorithm under the
 * cooperative protocol (KIP-429). Members keep consuming through a rebalance and report what
 * they own in the subscription (ownedPartitions, v1+) with its generation (v2+); the user
 * data carries only the generation, as an int32, for members whose subscription is older
 * than v2.
 *
 * A partition may not go to a new member while another still owns it. So the assignment
 * computed by the sticky algorithm is trimmed: every partition moving from one member to
 * another is left out. Its owner sees it missing, revokes it, and rejoins, and that follow-up
 * rebalance finds it unowned and hands it to the new member. With identical subscriptions
 * the constrained algorithm names the moving partitions itself; otherwise they are the
 * partitions both added to some member and dropped by another.
 */
import { AssignmentCollector, DEFAULT_GENERATION, subscribedPartitionCounts } from './common.js';
import type { TopicPartition } from './partition-table.js';
import { stickyAssign, subscriptionGeneration, type MemberData } from './sticky-core.js';
import type { GroupAssignment, MemberState, MemberSubscription, PartitionAssignor, PartitionCounts } from './types.js';

/** Java's CooperativeStickyAssignor.memberData(). */
export function cooperativeMemberData(sub: MemberSubscription): MemberData {
  const partitions = sub.ownedPartitions ?? [];
  const generation = subscriptionGeneration(sub);
  if (generation !== undefined) return { partitions, generation };
  const userData = sub.userData;
  if (userData === null || userData === undefined) return { partitions, generation: undefined };
  // Anything too short to hold the int32 counts as "generation -1", as Java's failed read does.
  return { partitions, generation: userData.length >= 4 ? userData.readInt32BE(0) : DEFAULT_GENERATION };
}

export class CooperativeStickyAssignor implements PartitionAssignor {
  readonly name = 'cooperative-sticky';
  readonly supportedProtocols = ['cooperative', 'eager'] as const;

  subscriptionUserData(member: MemberState): Buffer | null {
    const out = Buffer.alloc(4);
    out.writeInt32BE(member.generationId);
    return out;
  }

  assign(partitionCounts: PartitionCounts, subscriptions: ReadonlyMap<string, MemberSubscription>): GroupAssignment {
    const counts = subscribedPartitionCounts(partitionCounts, subscriptions);
    const result = stickyAssign(counts, subscriptions, cooperativeMemberData);
    const transferring = result.partitionsTransferringOwnership ?? partitionsChangingOwner(subscriptions, result.assignment);
    const out = new AssignmentCollector(subscriptions.keys());
    for (const [member, partitions] of result.assignment) {
      for (const tp of partitions) if (transferring.get(tp) !== member) out.add(member, tp.topic, tp.partition);
    }
    return out.result();
  }
}

/** Partitions newly given to one member while another member reports owning them. */
function partitionsChangingOwner(
  subscriptions: ReadonlyMap<string, MemberSubscription>,
  assignment: ReadonlyMap<string, readonly TopicPartition[]>,
): Map<TopicPartition, string> {
  const key = (topic: string, partition: number) => `${partition}:${topic}`;
  const added = new Map<TopicPartition, string>();
  const revoked = new Set<string>();
  for (const [member, partitions] of assignment) {
    const owned = new Set<string>();
    for (const { topic, partitions: ps } of subscriptions.get(member)!.ownedPartitions ?? []) for (const p of ps) owned.add(key(topic, p));
    const assigned = new Set(partitions.map((tp) => key(tp.topic, tp.partition)));
    for (const tp of partitions) if (!owned.has(key(tp.topic, tp.partition))) added.set(tp, member);
    for (const k of owned) if (!assigned.has(k)) revoked.add(k);
  }
  for (const tp of added.keys()) if (!revoked.has(key(tp.topic, tp.partition))) added.delete(tp);
  return added;
}
