/**
 * Seeded property tests over random groups. Each test prints its seed; set PROPERTY_SEED to
 * replay one. Groups are small (≤ 8 members, ≤ 6 topics of ≤ 9 partitions) so that every
 * corner — more members than partitions, members subscribed to topics that do not exist,
 * topics without partitions — turns up within a few hundred draws.
 */
import { describe, expect, test } from 'vitest';
import {
  CooperativeStickyAssignor,
  RangeAssignor,
  RoundRobinAssignor,
  StickyAssignor,
  type GroupAssignment,
  type MemberSubscription,
  type PartitionAssignor,
} from '../../../src/group/assignors/index.js';
import {
  addedWhileOwnedElsewhere,
  flat,
  flatAll,
  isFullyBalanced,
  propertySeed,
  revokedPartitions,
  rng,
  toTopicPartitions,
  verifyValidityAndBalance,
} from './helpers.js';
import { GENERATION, cooperative, fresh, rebalance, sticky, type StickyVariant } from './sticky-variants.js';

const RUNS = 150;

interface World {
  counts: Map<string, number>;
  topics: string[];
}

function randomWorld(random: () => number): World {
  const n = 1 + Math.floor(random() * 6);
  const counts = new Map<string, number>();
  const topics: string[] = [];
  for (let i = 0; i < n; i++) {
    const topic = `t${i}`;
    topics.push(topic);
    // Now and then a topic the metadata lacks, or one with no partitions.
    const r = random();
    if (r < 0.05) continue;
    counts.set(topic, r < 0.1 ? 0 : 1 + Math.floor(random() * 9));
  }
  return { counts, topics };
}

function randomSubset(random: () => number, topics: readonly string[]): string[] {
  const out = topics.filter(() => random() < 0.5);
  return out.length > 0 ? out : [topics[Math.floor(random() * topics.length)]!];
}

function randomGroup(random: () => number, world: World, identical: boolean): Map<string, MemberSubscription> {
  const n = 1 + Math.floor(random() * 8);
  const shared = randomSubset(random, world.topics);
  const subs = new Map<string, MemberSubscription>();
  for (let i = 0; i < n; i++) {
    const id = `member-${Math.floor(random() * 1e6).toString(36)}-${i}`;
    const instance = random() < 0.3 ? `instance-${Math.floor(random() * 1e6).toString(36)}` : null;
    subs.set(id, { ...fresh(identical ? shared : randomSubset(random, world.topics)), groupInstanceId: instance });
  }
  return subs;
}

const allAssignors: PartitionAssignor[] = [new RangeAssignor(), new RoundRobinAssignor(), new StickyAssignor(), new CooperativeStickyAssignor()];

describe.each(allAssignors)('$name on random groups', (assignor) => {
  test('every subscribed partition is assigned exactly once, only to a member subscribed to its topic', () => {
    const random = rng(propertySeed(`${assignor.name} validity`));
    for (let run = 0; run < RUNS; run++) {
      const world = randomWorld(random);
      const subs = randomGroup(random, world, random() < 0.3);
      const assignment = assignor.assign(world.counts, subs);
      expect([...assignment.keys()].sort()).toEqual([...subs.keys()].sort());
      const seen = new Set<string>();
      for (const [member, topics] of assignment) {
        for (const [topic, partitions] of topics) {
          expect(subs.get(member)!.topics).toContain(topic);
          expect(partitions).toEqual([...partitions].sort((a, b) => a - b));
          for (const p of partitions) {
            expect(seen.has(`${topic}-${p}`)).toBe(false);
            seen.add(`${topic}-${p}`);
          }
        }
      }
      const subscribed = new Set([...subs.values()].flatMap((s) => s.topics));
      const expectedTotal = [...subscribed].reduce((n, t) => n + (world.counts.get(t) ?? 0), 0);
      expect(seen.size).toBe(expectedTotal);
    }
  });
});

describe.each([new RoundRobinAssignor(), new StickyAssignor(), new CooperativeStickyAssignor()])('$name with identical subscriptions', (assignor) => {
  test('partition counts differ by at most one', () => {
    const random = rng(propertySeed(`${assignor.name} balance`));
    for (let run = 0; run < RUNS; run++) {
      const world = randomWorld(random);
      expect(isFullyBalanced(assignor.assign(world.counts, randomGroup(random, world, true)))).toBe(true);
    }
  });
});

/** Members rejoining owning what they were assigned, in the test generation. */
function owningAssignment(v: StickyVariant, subs: ReadonlyMap<string, MemberSubscription>, assignment: GroupAssignment) {
  return new Map([...subs].map(([m, s]) => [m, v.owning(s.topics, toTopicPartitions(assignment.get(m)), GENERATION)]));
}

function partitionsOf(world: World, subs: ReadonlyMap<string, MemberSubscription>): number {
  const subscribed = new Set([...subs.values()].flatMap((s) => s.topics));
  return [...subscribed].reduce((n, t) => n + (world.counts.get(t) ?? 0), 0);
}

describe.each([sticky, cooperative])('$name over successive rebalances', (v) => {
  test('with random subscriptions every settled assignment is valid and balanced by Java’s rule', () => {
    const random = rng(propertySeed(`${v.name} random rebalances`));
    for (let run = 0; run < RUNS / 3; run++) {
      const world = randomWorld(random);
      const subs = randomGroup(random, world, false);
      const settled = rebalance(v, world.counts, subs).settled;
      verifyValidityAndBalance(world.counts, subs, settled);
      // Everyone changes subscription (Java's testReassignmentWithRandomSubscriptionsAndChanges).
      const changed = new Map([...subs].map(([m]) => [m, v.owning(randomSubset(random, world.topics), toTopicPartitions(settled.get(m)), GENERATION)]));
      const r = rebalance(v, world.counts, changed);
      verifyValidityAndBalance(world.counts, r.subscriptions, r.settled);
    }
  });

  test('a settled assignment fed back unchanged is kept as it is', () => {
    const random = rng(propertySeed(`${v.name} fixed point`));
    for (let run = 0; run < RUNS; run++) {
      const world = randomWorld(random);
      const r = rebalance(v, world.counts, randomGroup(random, world, random() < 0.5));
      const again = v.assignor.assign(world.counts, owningAssignment(v, r.subscriptions, r.settled));
      expect(flatAll(again)).toEqual(flatAll(r.settled));
    }
  });

  test('with identical subscriptions, members joining and leaving move no partition that balance does not require', () => {
    const random = rng(propertySeed(`${v.name} stickiness`));
    for (let run = 0; run < RUNS / 3; run++) {
      const world = randomWorld(random);
      let subs = randomGroup(random, world, true);
      const topics = [...subs.values()][0]!.topics;
      let settled = rebalance(v, world.counts, subs).settled;
      for (let step = 0; step < 6; step++) {
        // Survivors own what they were given; some leave, some join owning nothing.
        const next = new Map<string, MemberSubscription>();
        for (const [m, s] of owningAssignment(v, subs, settled)) if (random() < 0.8) next.set(m, s);
        const joiners = Math.floor(random() * 3) + (next.size === 0 ? 1 : 0);
        for (let j = 0; j < joiners; j++) next.set(`joiner-${run}-${step}-${j}`, v.owning(topics, [], GENERATION));
        subs = next;

        const total = partitionsOf(world, subs);
        const n = subs.size;
        const minQuota = Math.floor(total / n);
        const maxQuota = Math.ceil(total / n);
        const owned = [...subs.values()].map((s) => flat(s.ownedPartitions ?? []).length);
        const atMax = owned.filter((k) => k >= maxQuota).length;
        const best = owned.reduce((sum, k) => sum + Math.min(k, minQuota), 0) + (maxQuota > minQuota ? Math.min(total % n, atMax) : 0);

        const r = rebalance(v, world.counts, subs);
        let kept = 0;
        for (const [m, s] of subs) {
          const assigned = new Set(flat(r.first.get(m)));
          kept += flat(s.ownedPartitions ?? []).filter((p) => assigned.has(p)).length;
        }
        expect(kept, `kept ${kept} of the owned partitions where ${best} could stay`).toBe(best);
        expect(isFullyBalanced(r.settled)).toBe(true);
        settled = r.settled;
      }
    }
  });
});

describe('cooperative-sticky revocation', () => {
  test('no rebalance gives a partition to a new member while another still owns it; identical subscriptions settle in two', () => {
    const random = rng(propertySeed('cooperative two-phase'));
    for (let run = 0; run < RUNS; run++) {
      const world = randomWorld(random);
      const identical = random() < 0.5;
      let subs = randomGroup(random, world, identical);
      const topics = [...subs.values()][0]!.topics;
      const settled = rebalance(cooperative, world.counts, subs).settled;
      // A member leaves and two join: partitions must move, through a revocation first.
      subs = owningAssignment(cooperative, subs, settled);
      const leaver = [...subs.keys()][Math.floor(random() * subs.size)]!;
      if (subs.size > 1) subs.delete(leaver);
      for (const j of ['joiner-a', 'joiner-b']) subs.set(j, cooperative.owning(identical ? topics : randomSubset(random, world.topics), [], GENERATION));

      const first = cooperative.assignor.assign(world.counts, subs);
      expect(addedWhileOwnedElsewhere(subs, first)).toEqual([]);
      const r = rebalance(cooperative, world.counts, subs); // checks every round the same way
      verifyValidityAndBalance(world.counts, r.subscriptions, r.settled);
      if (identical) {
        expect(r.rounds).toBeLessThanOrEqual(2);
        if (revokedPartitions(subs, first).length > 0) expect(r.rounds).toBe(2);
      }
    }
  });

  test('sticky and cooperative-sticky settle on the same assignment from the same start', () => {
    const random = rng(propertySeed('sticky vs cooperative'));
    for (let run = 0; run < RUNS; run++) {
      const world = randomWorld(random);
      const subs = randomGroup(random, world, true);
      const eager = sticky.assignor.assign(world.counts, subs);
      const coop = rebalance(cooperative, world.counts, subs).settled;
      expect(flatAll(coop)).toEqual(flatAll(eager));
    }
  });
});
