/**
 * "roundrobin" — Java's RoundRobinAssignor. All subscribed partitions in (topic, partition)
 * order are dealt one by one to the members in MemberInfo order (static members by
 * group.instance.id first), cycling; a member not subscribed to a partition's topic is skipped
 * and the deal continues from the next one. With identical subscriptions counts differ by at
 * most one; with different ones the result can be lopsided (see Java's class comment).
 */
import { AssignmentCollector, sortedMembers, subscribedPartitionCounts } from './common.js';
import type { GroupAssignment, MemberSubscription, PartitionAssignor, PartitionCounts } from './types.js';

export class RoundRobinAssignor implements PartitionAssignor {
  readonly name = 'roundrobin';
  readonly supportedProtocols = ['eager'] as const;

  subscriptionUserData(): Buffer | null {
    return null;
  }

  assign(partitionCounts: PartitionCounts, subscriptions: ReadonlyMap<string, MemberSubscription>): GroupAssignment {
    const out = new AssignmentCollector(subscriptions.keys());
    const members = sortedMembers(subscriptions);
    const topicSets = new Map(members.map((m) => [m, new Set(subscriptions.get(m)!.topics)]));
    let next = 0; // the circular iterator's position
    for (const [topic, numPartitions] of subscribedPartitionCounts(partitionCounts, subscriptions)) {
      for (let p = 0; p < numPartitions; p++) {
        // Someone subscribes to every topic listed, so this stops within one lap.
        while (!topicSets.get(members[next]!)!.has(topic)) next = (next + 1) % members.length;
        out.add(members[next]!, topic, p);
        next = (next + 1) % members.length;
      }
    }
    return out.result();
  }
}
