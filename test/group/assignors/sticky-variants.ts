/**
 * The two sticky assignors as Java's AbstractStickyAssignorTest parameterizes them: how a
 * member that owns partitions subscribes ("buildSubscriptionV2Above"), and how a test reaches
 * the settled assignment. For the cooperative assignor that means Java's overridden
 * verifyValidityAndBalance: while a rebalance revokes partitions, the members rejoin owning
 * what they were given and the group rebalances again.
 */
import { expect } from 'vitest';
import {
  CooperativeStickyAssignor,
  StickyAssignor,
  encodeStickyUserData,
  type GroupAssignment,
  type MemberSubscription,
  type PartitionAssignor,
  type TopicPartitions,
} from '../../../src/group/assignors/index.js';
import { addedWhileOwnedElsewhere, revokedPartitions, toTopicPartitions, tps } from './helpers.js';

export interface StickyVariant {
  name: string;
  assignor: PartitionAssignor;
  cooperative: boolean;
  /** A member that owns `partitions` in `generation` (Java: buildSubscriptionV2Above). */
  owning(topics: readonly string[], partitions: readonly TopicPartitions[] | string, generation: number): MemberSubscription;
}

/** Java's default test generation. */
export const GENERATION = 1;

const list = (p: readonly TopicPartitions[] | string) => (typeof p === 'string' ? tps(p) : p.map((e) => ({ ...e })));

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

export const sticky: StickyVariant = {
  name: 'sticky',
  assignor: new StickyAssignor(),
  cooperative: false,
  owning: (topics, partitions, generation) => ({
    topics: [...topics],
    userData: encodeStickyUserData(list(partitions), generation),
    ownedPartitions: list(partitions),
    generationId: generation,
  }),
};

export const cooperative: StickyVariant = {
  name: 'cooperative-sticky',
  assignor: new CooperativeStickyAssignor(),
  cooperative: true,
  owning: (topics, partitions, generation) => ({
    topics: [...topics],
    userData: int32(generation),
    ownedPartitions: list(partitions),
    generationId: generation,
  }),
};

/** A member that owns nothing and has no generation (Java: subscription(topics, i)). */
export function fresh(topics: readonly string[]): MemberSubscription {
  return { topics: [...topics], userData: null, ownedPartitions: [], generationId: -1 };
}

export interface Rebalance {
  /** The first assignment. */
  first: GroupAssignment;
  /** The assignment once no partition is being revoked (the first one for eager assignors). */
  settled: GroupAssignment;
  /** The subscriptions the settled assignment answered. */
  subscriptions: Map<string, MemberSubscription>;
  rounds: number;
}

export function rebalance(
  variant: StickyVariant,
  partitionCounts: ReadonlyMap<string, number>,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
): Rebalance {
  let subs = new Map(subscriptions);
  const first = variant.assignor.assign(partitionCounts, subs);
  let assignment = first;
  let rounds = 1;
  if (variant.cooperative) {
    for (;;) {
      expect(addedWhileOwnedElsewhere(subs, assignment), 'given to a new member while still owned').toEqual([]);
      if (revokedPartitions(subs, assignment).length === 0) break;
      const current = assignment;
      subs = new Map([...subs].map(([m, s]) => [m, variant.owning(s.topics, toTopicPartitions(current.get(m)), GENERATION)]));
      assignment = variant.assignor.assign(partitionCounts, subs);
      rounds++;
      expect(rounds).toBeLessThanOrEqual(5);
    }
  }
  return { first, settled: assignment, subscriptions: subs, rounds };
}
