/**
 * "range" — Java's RangeAssignor. Per topic, the members subscribed to it in MemberInfo order
 * (static members by group.instance.id first, then member ids) each take a contiguous range of
 * partitions; the first `partitions % members` take one extra. Topics are independent, so with
 * many topics the first members collect the extras of every topic.
 *
 * Java's rack-aware variant (KIP-881) only engages when partition replicas have racks, which
 * the assignor contract here does not carry; without them Java runs exactly this.
 */
import { AssignmentCollector, compareMembers, subscribedPartitionCounts } from './common.js';
import type { GroupAssignment, MemberSubscription, PartitionAssignor, PartitionCounts } from './types.js';

export class RangeAssignor implements PartitionAssignor {
  readonly name = 'range';
  readonly supportedProtocols = ['eager'] as const;

  subscriptionUserData(): Buffer | null {
    return null;
  }

  assign(partitionCounts: PartitionCounts, subscriptions: ReadonlyMap<string, MemberSubscription>): GroupAssignment {
    const out = new AssignmentCollector(subscriptions.keys());
    const counts = subscribedPartitionCounts(partitionCounts, subscriptions);
    for (const [topic, numPartitions] of counts) {
      const members = [...subscriptions]
        .filter(([, sub]) => sub.topics.includes(topic))
        .sort(([a, sa], [b, sb]) => compareMembers(a, sa.groupInstanceId, b, sb.groupInstanceId))
        .map(([id]) => id);
      const perMember = Math.floor(numPartitions / members.length);
      const withExtra = numPartitions % members.length;
      for (let i = 0; i < members.length; i++) {
        const start = perMember * i + Math.min(i, withExtra);
        const length = perMember + (i < withExtra ? 1 : 0);
        for (let p = start; p < start + length; p++) out.add(members[i]!, topic, p);
      }
    }
    return out.result();
  }
}
