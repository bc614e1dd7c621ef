/**
 * The sticky assignment when every member subscribes to the same topics (Java's
 * ConstrainedAssignmentBuilder). With P partitions and N members each member gets
 * minQuota = ⌊P/N⌋ or maxQuota = ⌈P/N⌉, and exactly P mod N of them get maxQuota.
 *
 *   1. Owned partitions are kept, visiting members in Java's HashMap order: a member owning
 *      fewer than minQuota keeps them all and is "under min"; one owning maxQuota or more keeps
 *      maxQuota while fewer than P mod N members have been given the extra one; any other keeps
 *      minQuota (and may still get the extra one later). Which owned partitions are kept is
 *      decided in (partition, topic) order; the rest are revoked.
 *   2. The partitions left over, in (topic, partition) order, are dealt round-robin to the
 *      under-min members sorted by member id until each reaches minQuota, then one each to the
 *      members at minQuota (sorted by member id) that may still take the extra one.
 *
 * A partition revoked in step 1, or claimed by two members of one generation, that step 2
 * gives to someone is reported as transferring ownership: the cooperative assignor must hold
 * it back until its owner has let go of it.
 */
import { compareStrings } from './common.js';
import { byPartitionThenTopic, type PartitionTable, type TopicPartition } from './partition-table.js';
import type { StickyResult } from './sticky-core.js';

export function constrainedAssign(
  table: PartitionTable,
  members: readonly string[],
  owned: ReadonlyMap<string, readonly TopicPartition[]>,
  multipleOwners: ReadonlySet<TopicPartition>,
): StickyResult {
  const total = table.size;
  const minQuota = Math.floor(total / members.length);
  const maxQuota = Math.ceil(total / members.length);
  const expectedOverMin = total % members.length;
  let currentOverMin = 0;

  const assignment = new Map<string, TopicPartition[]>(members.map((m) => [m, []]));
  const assigned = new Set<TopicPartition>();
  const revoked = new Set<TopicPartition>();
  const transferring = new Map<TopicPartition, string>();
  const underMin: string[] = [];
  const exactlyMin: string[] = []; // at minQuota, may still take one more

  const keep = (member: string, partitions: readonly TopicPartition[]): void => {
    assignment.get(member)!.push(...partitions);
    for (const tp of partitions) assigned.add(tp);
  };

  for (const member of members) {
    const mine = owned
      .get(member)!
      .filter((tp) => !multipleOwners.has(tp))
      .sort(byPartitionThenTopic);
    if (mine.length < minQuota) {
      keep(member, mine);
      underMin.push(member);
    } else if (mine.length >= maxQuota && currentOverMin < expectedOverMin) {
      currentOverMin++;
      if (currentOverMin === expectedOverMin) exactlyMin.length = 0;
      keep(member, mine.slice(0, maxQuota));
      for (const tp of mine.slice(maxQuota)) revoked.add(tp);
    } else {
      keep(member, mine.slice(0, minQuota));
      for (const tp of mine.slice(minQuota)) revoked.add(tp);
      if (currentOverMin < expectedOverMin) exactlyMin.push(member);
    }
  }

  const unassigned = table.all.filter((tp) => !assigned.has(tp));
  underMin.sort(compareStrings);
  exactlyMin.sort(compareStrings);

  const assignNew = (tp: TopicPartition, member: string): number => {
    const list = assignment.get(member)!;
    list.push(tp);
    if (revoked.has(tp) || multipleOwners.has(tp)) transferring.set(tp, member);
    return list.length;
  };

  // Java walks underMin with a LinkedList iterator it restarts when it runs off the end;
  // `cursor` is that iterator's position.
  let cursor = 0;
  for (const tp of unassigned) {
    let member: string;
    if (cursor < underMin.length) {
      member = underMin[cursor++]!;
    } else if (underMin.length === 0) {
      const next = exactlyMin.shift();
      if (next === undefined) throw new Error('sticky assignor: partitions left but every member is full');
      member = next;
    } else {
      cursor = 0;
      member = underMin[cursor++]!;
    }
    const count = assignNew(tp, member);
    if (count === minQuota) {
      underMin.splice(--cursor, 1);
      exactlyMin.push(member);
    } else if (count === maxQuota) {
      currentOverMin++;
    }
  }

  if (underMin.length > 0) {
    if (currentOverMin !== expectedOverMin) throw new Error('sticky assignor: members below quota but no partitions left');
    for (const m of underMin) {
      if (assignment.get(m)!.length !== minQuota) throw new Error(`sticky assignor: member ${m} ended below minQuota`);
    }
  }
  return { assignment, partitionsTransferringOwnership: transferring };
}
