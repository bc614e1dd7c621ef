/**
 * StickyAssignor and CooperativeStickyAssignor against the expected assignments of
 * apache/kafka's AbstractStickyAssignorTest, StickyAssignorTest and
 * CooperativeStickyAssignorTest (clients/src/test/java/org/apache/kafka/clients/consumer/).
 * Cases shared by both run for each; where Java checks `partitionsTransferringOwnership`, the
 * cooperative run checks its observable effect: the first assignment leaves the moving
 * partition out and the follow-up rebalance hands it over.
 *
 * Several expectations depend on which member Java visits first in a HashMap (for example
 * testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers: consumer2 keeps two partitions
 * because "consumer2" hashes to an earlier bucket than "consumer1").
 */
import { describe, expect, test } from 'vitest';
import { cooperativeMemberData, decodeStickyUserData, encodeStickyUserData, type MemberSubscription } from '../../../src/group/assignors/index.js';
import { javaHashMapOrder, javaStringHashCode } from '../../../src/group/assignors/java-order.js';
import { counts, expected, flat, flatAll, isFullyBalanced, tps, verifyValidityAndBalance } from './helpers.js';
import { GENERATION, cooperative, fresh, rebalance, sticky, type StickyVariant } from './sticky-variants.js';

const subs = (entries: Record<string, MemberSubscription>) => new Map(Object.entries(entries));

describe.each([sticky, cooperative])('$name (Java AbstractStickyAssignorTest)', (v: StickyVariant) => {
  const own = v.owning;

  function settle(partitionCounts: Record<string, number>, subscriptions: Map<string, MemberSubscription>) {
    const pc = counts(partitionCounts);
    const r = rebalance(v, pc, subscriptions);
    verifyValidityAndBalance(pc, r.subscriptions, r.settled);
    return { ...r, first: flatAll(r.first), settled: flatAll(r.settled), settledAssignment: r.settled };
  }

  /** For the cooperative assignor, the first round withholds `moving` from its new member. */
  function expectFirstRound(first: Record<string, string[]>, settled: Record<string, string[]>, moving: string[]) {
    if (!v.cooperative) {
      expect(first).toEqual(settled);
      return;
    }
    const withheld = Object.fromEntries(Object.entries(settled).map(([m, ps]) => [m, ps.filter((p) => !moving.includes(p))]));
    expect(first).toEqual(withheld);
  }

  test('one consumer, no topic or a nonexistent one', () => {
    expect(settle({}, subs({ consumer: fresh([]) })).settled).toEqual({ consumer: [] });
    expect(settle({ topic: 0 }, subs({ consumer: fresh(['topic']) })).settled).toEqual({ consumer: [] });
  });

  test('one consumer gets every partition of its topics, and only of those', () => {
    expect(settle({ topic: 3 }, subs({ consumer: fresh(['topic']) })).settled).toEqual(expected({ consumer: 'topic-0, topic-1, topic-2' }));
    expect(settle({ topic1: 1, topic2: 2 }, subs({ consumer: fresh(['topic1', 'topic2']) })).settled).toEqual(
      expected({ consumer: 'topic1-0, topic2-0, topic2-1' }),
    );
    const r = settle({ topic: 2 }, subs({ consumer: own(['topic'], 'topic-0, topic-1, other-0, other-1', GENERATION) }));
    expect(r.settled).toEqual(expected({ consumer: 'topic-0, topic-1' }));
  });

  test('two consumers, one topic of two partitions', () => {
    const r = settle({ topic: 2 }, subs({ consumer1: fresh(['topic']), consumer2: fresh(['topic']) }));
    expect(r.settled).toEqual(expected({ consumer1: 'topic-0', consumer2: 'topic-1' }));
  });

  test('mixed subscriptions use the general algorithm', () => {
    const r = settle({ topic1: 3, topic2: 2 }, subs({ consumer1: fresh(['topic1']), consumer2: fresh(['topic1', 'topic2']), consumer3: fresh(['topic1']) }));
    expect(r.settled).toEqual(expected({ consumer1: 'topic1-0, topic1-2', consumer2: 'topic2-0, topic2-1', consumer3: 'topic1-1' }));
  });

  test('two consumers, two topics of three partitions', () => {
    const both = ['topic1', 'topic2'];
    const r = settle({ topic1: 3, topic2: 3 }, subs({ consumer1: fresh(both), consumer2: fresh(both) }));
    expect(r.settled).toEqual(expected({ consumer1: 'topic1-0, topic1-2, topic2-1', consumer2: 'topic1-1, topic2-0, topic2-2' }));
  });

  test('a consumer owning minQuota that is expected to reach maxQuota keeps its partitions and gains one', () => {
    const both = ['topic1', 'topic2'];
    const r = settle(
      { topic1: 2, topic2: 3 },
      subs({ consumer1: own(both, 'topic1-0, topic2-1', GENERATION), consumer2: own(both, 'topic1-1, topic2-2', GENERATION) }),
    );
    expect(r.settled).toEqual(expected({ consumer1: 'topic1-0, topic2-1, topic2-0', consumer2: 'topic1-1, topic2-2' }));
    expect(r.rounds).toBe(1);
  });

  test('more consumers at maxQuota than may stay there: the first in HashMap order keeps the extra', () => {
    const both = ['topic1', 'topic2'];
    const r = settle(
      { topic1: 2, topic2: 2 },
      subs({
        consumer1: own(both, 'topic1-0, topic2-0', GENERATION),
        consumer2: own(both, 'topic1-1, topic2-1', GENERATION),
        consumer3: own(both, '', GENERATION),
      }),
    );
    expect(r.settled).toEqual(expected({ consumer1: 'topic1-0', consumer2: 'topic1-1, topic2-1', consumer3: 'topic2-0' }));
    expectFirstRound(r.first, r.settled, ['topic2-0']);
  });

  test('all consumers under minQuota are filled round-robin', () => {
    const both = ['topic1', 'topic2'];
    const r = settle(
      { topic1: 2, topic2: 3 },
      subs({ consumer1: own(both, 'topic1-0', GENERATION), consumer2: own(both, 'topic1-1', GENERATION), consumer3: own(both, '', GENERATION) }),
    );
    expect(r.settled).toEqual(expected({ consumer1: 'topic1-0, topic2-1', consumer2: 'topic1-1, topic2-2', consumer3: 'topic2-0' }));
    expect(r.rounds).toBe(1);
  });

  test('a consumer joins and leaves one topic', () => {
    const one = settle({ topic: 3 }, subs({ consumer1: fresh(['topic']) }));
    expect(one.settled).toEqual(expected({ consumer1: 'topic-0, topic-1, topic-2' }));

    const two = settle({ topic: 3 }, subs({ consumer1: own(['topic'], 'topic-0, topic-1, topic-2', GENERATION), consumer2: own(['topic'], '', GENERATION) }));
    expect(two.settled).toEqual(expected({ consumer1: 'topic-0, topic-1', consumer2: 'topic-2' }));
    expectFirstRound(two.first, two.settled, ['topic-2']);

    const back = settle({ topic: 3 }, subs({ consumer2: own(['topic'], 'topic-2', GENERATION) }));
    expect(back.settled).toEqual(expected({ consumer2: 'topic-0, topic-1, topic-2' }));
  });

  test('two consumers join and leave two topics', () => {
    const all = ['topic1', 'topic2'];
    const pc = { topic1: 3, topic2: 4 };
    const start = settle(pc, subs({ consumer1: fresh(all), consumer2: fresh(all) }));
    expect(start.settled).toEqual(expected({ consumer1: 'topic1-0, topic1-2, topic2-1, topic2-3', consumer2: 'topic1-1, topic2-0, topic2-2' }));

    const grown = settle(
      pc,
      subs({
        consumer1: own(all, 'topic1-0, topic1-2, topic2-1, topic2-3', GENERATION),
        consumer2: own(all, 'topic1-1, topic2-0, topic2-2', GENERATION),
        consumer3: own(all, '', GENERATION),
        consumer4: own(all, '', GENERATION),
      }),
    );
    // Owned partitions are kept in (partition, topic) order: consumer1 keeps topic1-0 and topic2-1.
    expect(grown.settled).toEqual(
      expected({ consumer1: 'topic1-0, topic2-1', consumer2: 'topic2-0, topic1-1', consumer3: 'topic1-2, topic2-3', consumer4: 'topic2-2' }),
    );
    expectFirstRound(grown.first, grown.settled, ['topic1-2', 'topic2-3', 'topic2-2']);

    const shrunk = settle(pc, subs({ consumer3: own(all, 'topic1-2, topic2-3', GENERATION), consumer4: own(all, 'topic2-2', GENERATION) }));
    expect(shrunk.settled).toEqual(expected({ consumer3: 'topic1-2, topic2-3, topic1-0, topic2-1', consumer4: 'topic2-2, topic1-1, topic2-0' }));
    expect(shrunk.rounds).toBe(1);
  });

  test('each topic stays spread evenly as consumers join and leave', () => {
    const all = ['topic1', 'topic2'];
    const pc = { topic1: 12, topic2: 12 };
    const perTopic = (r: { settled: Record<string, string[]> }, n: number) => {
      for (const partitions of Object.values(r.settled)) {
        expect(partitions.filter((p) => p.startsWith('topic1-'))).toHaveLength(n);
        expect(partitions.filter((p) => p.startsWith('topic2-'))).toHaveLength(n);
      }
    };
    const one = settle(pc, subs({ consumer1: fresh(all) }));
    perTopic(one, 12);
    const two = settle(pc, subs({ consumer1: own(all, one.settled['consumer1']!.join(','), GENERATION), consumer2: own(all, '', GENERATION) }));
    perTopic(two, 6);
    const four = settle(
      pc,
      subs({
        consumer1: own(all, two.settled['consumer1']!.join(','), GENERATION),
        consumer2: own(all, two.settled['consumer2']!.join(','), GENERATION),
        consumer3: own(all, '', GENERATION),
        consumer4: own(all, '', GENERATION),
      }),
    );
    perTopic(four, 3);
    const back = settle(
      pc,
      subs({ consumer3: own(all, four.settled['consumer3']!.join(','), GENERATION), consumer4: own(all, four.settled['consumer4']!.join(','), GENERATION) }),
    );
    perTopic(back, 6);
    expect(back.rounds).toBe(1);
  });

  test('a topic added then removed keeps each consumer on what it had', () => {
    const first = settle({ topic: 3 }, subs({ consumer1: fresh(['topic']), consumer2: fresh(['topic']) }));
    expect(isFullyBalanced(first.settledAssignment)).toBe(true);
    const both = ['topic', 'topic2'];
    const added = settle(
      { topic: 3, topic2: 3 },
      subs({
        consumer1: own(both, first.settled['consumer1']!.join(','), GENERATION),
        consumer2: own(both, first.settled['consumer2']!.join(','), GENERATION),
      }),
    );
    expect(added.settled['consumer1']).toHaveLength(3);
    expect(added.settled['consumer1']).toEqual(expect.arrayContaining(first.settled['consumer1']!));
    expect(added.settled['consumer2']).toEqual(expect.arrayContaining(first.settled['consumer2']!));
    expect(added.rounds).toBe(1);

    const removed = settle(
      { topic2: 3 },
      subs({
        consumer1: own(['topic2'], added.settled['consumer1']!.join(','), GENERATION),
        consumer2: own(['topic2'], added.settled['consumer2']!.join(','), GENERATION),
      }),
    );
    expect(added.settled['consumer1']).toEqual(expect.arrayContaining(removed.settled['consumer1']!));
    expect(added.settled['consumer2']).toEqual(expect.arrayContaining(removed.settled['consumer2']!));
  });

  test('stickiness: when a consumer leaves, the others keep their partition', () => {
    const one = ['topic1'];
    const start = settle({ topic1: 3 }, subs({ consumer1: fresh(one), consumer2: fresh(one), consumer3: fresh(one), consumer4: fresh(one) }));
    const after = settle(
      { topic1: 3 },
      subs({
        consumer2: own(one, start.settled['consumer2']!.join(','), GENERATION),
        consumer3: own(one, start.settled['consumer3']!.join(','), GENERATION),
        consumer4: own(one, start.settled['consumer4']!.join(','), GENERATION),
      }),
    );
    for (const m of ['consumer2', 'consumer3', 'consumer4']) {
      expect(after.settled[m]).toHaveLength(1);
      expect(after.settled[m]).toEqual(expect.arrayContaining(start.settled[m]!));
    }
  });

  test('every consumer reaching its quota from owned partitions counts as filled', () => {
    const r = settle(
      { topic: 4 },
      subs({
        consumer1: own(['topic'], 'topic-0, topic-1', GENERATION),
        consumer2: own(['topic'], 'topic-2', GENERATION),
        consumer3: own(['topic'], '', GENERATION),
      }),
    );
    expect(r.settled).toEqual(expected({ consumer1: 'topic-0, topic-1', consumer2: 'topic-2', consumer3: 'topic-3' }));
    expect(r.rounds).toBe(1);
  });

  test('owned partitions of a consumer with a stale generation go to the newer claimant', () => {
    const both = ['topic', 'topic2'];
    const claim = 'topic-0, topic-2, topic2-1';
    for (const staleGeneration of [9, -1]) {
      const r = settle({ topic: 3, topic2: 3 }, subs({ consumer1: own(both, claim, 10), consumer2: own(both, claim, staleGeneration) }));
      expect(r.settled).toEqual(expected({ consumer1: claim, consumer2: 'topic-1, topic2-0, topic2-2' }));
    }
  });

  test('a partition claimed by two consumers of one generation goes to neither', () => {
    const r = settle(
      { topic: 3 },
      subs({
        consumer1: own(['topic'], 'topic-0, topic-1', GENERATION),
        consumer2: own(['topic'], 'topic-0, topic-2', GENERATION),
        consumer3: own(['topic'], '', GENERATION),
      }),
    );
    expect(r.settled).toEqual(expected({ consumer1: 'topic-1', consumer2: 'topic-2', consumer3: 'topic-0' }));
    expectFirstRound(r.first, r.settled, ['topic-0']);

    const unequal = settle(
      { topic: 4 },
      subs({
        consumer1: own(['topic'], 'topic-0, topic-1', GENERATION),
        consumer2: own(['topic'], 'topic-0, topic-2', GENERATION),
        consumer3: own(['topic'], '', GENERATION),
      }),
    );
    expect(unequal.settled).toEqual(expected({ consumer1: 'topic-1, topic-3', consumer2: 'topic-2', consumer3: 'topic-0' }));
    expectFirstRound(unequal.first, unequal.settled, ['topic-0']);
  });

  test('partitions go to the claimant with the highest generation', () => {
    const all = ['topic', 'topic2', 'topic3'];
    const r = settle(
      { topic: 3, topic2: 3, topic3: 3 },
      subs({
        consumer1: own(all, 'topic-0, topic2-0, topic3-0', 10),
        consumer2: own(all, 'topic-1, topic2-1, topic3-1', 9),
        consumer3: own(all, 'topic2-1, topic3-0, topic3-2', 8),
      }),
    );
    expect(r.settled).toEqual(
      expected({ consumer1: 'topic-0, topic2-0, topic3-0', consumer2: 'topic-1, topic2-1, topic3-1', consumer3: 'topic-2, topic2-2, topic3-2' }),
    );
  });

  test('current members keep their partitions when a member without a generation joins', () => {
    const all = ['topic', 'topic2', 'topic3', 'topic1'];
    const r = settle(
      { topic: 3, topic1: 3, topic2: 3, topic3: 3 },
      subs({
        consumer1: own(all, '', -1),
        consumer2: own(all, 'topic-0, topic2-0, topic1-0', 9),
        consumer3: own(all, 'topic3-2, topic2-2, topic1-1', 8),
        consumer4: own(all, 'topic3-1, topic-1, topic-2', 7),
      }),
    );
    expect(r.settled['consumer1']).toEqual(['topic1-2', 'topic2-1', 'topic3-0']);
    expect(r.rounds).toBe(1);
  });

  test('owned partitions are invalidated for a consumer of an older generation', () => {
    const both = ['topic', 'topic2'];
    const r = settle(
      { topic: 3, topic2: 3 },
      subs({ consumer1: own(both, 'topic-0, topic2-1, topic-1', 10), consumer2: own(both, 'topic-0, topic2-1, topic2-2', 8) }),
    );
    expect(r.settled).toEqual(expected({ consumer1: 'topic-0, topic2-1, topic-1', consumer2: 'topic-2, topic2-2, topic2-0' }));
  });

  test('a subscribed topic that is gone yields an empty assignment', () => {
    const r = settle({}, subs({ consumer: own(['topic'], 'topic-0, topic-1, topic-2', GENERATION) }));
    expect(r.settled).toEqual({ consumer: [] });
  });

  test('a deleted topic among the subscribed ones is skipped', () => {
    const r = settle({ topic1: 1, topic3: 100 }, subs({ consumer: fresh(['topic1', 'topic2', 'topic3']) }));
    expect(r.settled['consumer']).toHaveLength(101);
  });

  describe('non-rack-aware expectations of the rack tests (members consumer0…2)', () => {
    const all = ['t1', 't2', 't3'];
    const group = (topicLists: string[][], owned: string[] = []) =>
      new Map<string, MemberSubscription>(
        topicLists.map((topics, i) => [`consumer${i}`, { topics, userData: null, ownedPartitions: tps(owned[i] ?? ''), generationId: -1 }]),
      );
    const uniform = ['t1-0, t1-3, t2-0, t2-3, t2-6', 't1-1, t1-4, t2-1, t2-4, t3-0', 't1-2, t1-5, t2-2, t2-5, t3-1'];
    const nonEqual = ['t1-5, t2-0, t2-2, t2-4, t2-6', 't1-3, t2-1, t2-3, t2-5, t3-0', 't1-0, t1-1, t1-2, t1-4, t3-1'];
    const asExpected = (lists: string[]) => expected(Object.fromEntries(lists.map((l, i) => [`consumer${i}`, l])));
    const pc = counts({ t1: 6, t2: 7, t3: 2 });

    test('uniform subscription, fresh and already owned', () => {
      expect(flatAll(v.assignor.assign(pc, group([all, all, all])))).toEqual(asExpected(uniform));
      expect(flatAll(v.assignor.assign(pc, group([all, all, all], uniform)))).toEqual(asExpected(uniform));
    });

    test('non-equal subscription, fresh and already owned', () => {
      expect(flatAll(v.assignor.assign(pc, group([all, all, ['t1', 't3']])))).toEqual(asExpected(nonEqual));
      expect(flatAll(v.assignor.assign(pc, group([all, all, ['t1', 't3']], nonEqual)))).toEqual(asExpected(nonEqual));
    });

    test('non-equal subscription with misplaced owned partitions', () => {
      const owned = ['t1-0, t1-1, t1-2, t1-3, t1-4', 't1-5, t2-0, t2-1, t2-2, t2-3', 't2-4, t2-5, t2-6, t3-0, t3-1'];
      const topics = [all, all, ['t1', 't3']];
      if (!v.cooperative) {
        // The eager assignor reads ownership from user data only, and there is none.
        expect(flatAll(v.assignor.assign(pc, group(topics, owned)))).toEqual(asExpected(nonEqual));
        return;
      }
      const intermediate = ['t1-2, t1-3, t1-4', 't2-0, t2-1, t2-2, t2-3', 't3-0, t3-1'];
      expect(flatAll(v.assignor.assign(pc, group(topics, owned)))).toEqual(asExpected(intermediate));
      expect(flatAll(v.assignor.assign(pc, group(topics, intermediate)))).toEqual(
        asExpected(['t1-2, t1-3, t1-4, t2-4, t2-5', 't2-0, t2-1, t2-2, t2-3, t2-6', 't1-0, t1-1, t1-5, t3-0, t3-1']),
      );
    });
  });
});

describe('StickyAssignor (Java StickyAssignorTest)', () => {
  test('user data is v1: previous assignment and generation', () => {
    const userData = encodeStickyUserData([{ topic: 't', partitions: [0, 1] }], 5);
    expect(userData.toString('hex')).toBe(['00000001', '0001', '74', '00000002', '00000000', '00000001', '00000005'].join(''));
    expect(decodeStickyUserData(userData)).toEqual({ partitions: [{ topic: 't', partitions: [0, 1] }], generation: 5 });
  });

  test('user data groups topics in Java HashMap order, as Java writes it', () => {
    const userData = encodeStickyUserData(tps('topic1-0, topic2-1, topic1-1'), 3);
    const topics = decodeStickyUserData(userData).partitions.map((e) => e.topic);
    expect(topics).toEqual(javaHashMapOrder(['topic1', 'topic2']));
    expect(decodeStickyUserData(userData).partitions).toEqual(
      expect.arrayContaining([
        { topic: 'topic1', partitions: [0, 1] },
        { topic: 'topic2', partitions: [1] },
      ]),
    );
  });

  test('v0 user data (no generation) is still read; unreadable user data counts as owning nothing', () => {
    const v0 = Buffer.from(['00000001', '0001', '74', '00000001', '00000002'].join(''), 'hex');
    expect(decodeStickyUserData(v0)).toEqual({ partitions: [{ topic: 't', partitions: [2] }], generation: undefined });
    expect(decodeStickyUserData(Buffer.from('ffff', 'hex'))).toEqual({ partitions: [], generation: -1 });
    expect(decodeStickyUserData(null)).toEqual({ partitions: [], generation: undefined });
    expect(decodeStickyUserData(Buffer.alloc(0))).toEqual({ partitions: [], generation: undefined });
  });

  test('a member that never had an assignment sends no user data', () => {
    expect(sticky.assignor.subscriptionUserData({ topics: ['t'], assignment: null, generationId: -1 })).toBeNull();
    const userData = sticky.assignor.subscriptionUserData({ topics: ['t'], assignment: tps('t-1'), generationId: 4 });
    expect(decodeStickyUserData(userData)).toEqual({ partitions: [{ topic: 't', partitions: [1] }], generation: 4 });
  });

  test('ownership comes from the user data, not the subscription', () => {
    const member: MemberSubscription = {
      topics: ['topic'],
      userData: encodeStickyUserData(tps('topic-1'), GENERATION),
      ownedPartitions: tps('topic-0'),
      generationId: GENERATION,
    };
    const result = flatAll(sticky.assignor.assign(counts({ topic: 3 }), subs({ consumer1: member, consumer2: fresh(['topic']), consumer3: fresh(['topic']) })));
    expect(result['consumer1']).toEqual(['topic-1']);
  });

  describe.each([true, false])('multiple generations (all subscriptions equal: %s)', (equal) => {
    const own = sticky.owning;
    const assign = (pc: Record<string, number>, entries: Record<string, MemberSubscription>) => {
      const r = rebalance(sticky, counts(pc), subs(entries));
      verifyValidityAndBalance(counts(pc), r.subscriptions, r.settled);
      expect(isFullyBalanced(r.settled)).toBe(true);
      return flatAll(r.settled);
    };
    const disjoint = (a: string[], b: string[]) => a.every((p) => !b.includes(p));

    test('a member of an older generation gets back what it had', () => {
      const all = ['topic', 'topic2'];
      const c2Topics = equal ? all : ['topic'];
      const pc = { topic: 6, topic2: 6 };
      const r1 = assign(pc, { consumer1: fresh(all), consumer2: fresh(c2Topics), consumer3: fresh(all) });
      for (const m of ['consumer1', 'consumer2', 'consumer3']) expect(r1[m]).toHaveLength(4);

      const r2 = assign(pc, { consumer1: own(all, r1['consumer1']!.join(','), 1), consumer2: own(c2Topics, r1['consumer2']!.join(','), 1) });
      expect(r2['consumer1']).toHaveLength(6);
      expect(r2['consumer2']).toHaveLength(6);
      if (equal) expect(r2['consumer1']).toEqual(expect.arrayContaining(r1['consumer1']!));
      expect(r2['consumer2']).toEqual(expect.arrayContaining(r1['consumer2']!));
      expect(disjoint(r2['consumer2']!, r1['consumer3']!)).toBe(false);

      const r3 = assign(pc, { consumer2: own(c2Topics, r2['consumer2']!.join(','), 2), consumer3: own(all, r1['consumer3']!.join(','), 1) });
      expect(r3['consumer2']).toHaveLength(6);
      expect(r3['consumer3']).toHaveLength(6);
      expect(disjoint(r3['consumer2']!, r3['consumer3']!)).toBe(true);
    });

    test('conflicting claims of different generations keep the newest', () => {
      const all = ['topic', 'topic2', 'topic3'];
      const c1Topics = equal ? all : ['topic'];
      const c2Topics = equal ? all : ['topic', 'topic2'];
      const c1Owned = equal ? 'topic-0, topic-1, topic-2, topic2-2, topic2-3, topic3-0' : 'topic-0, topic-1, topic-2, topic-3';
      const c2Owned = 'topic-0, topic-1, topic2-0, topic2-1, topic2-2, topic2-3';
      const c3Owned = 'topic-2, topic-3, topic3-0, topic3-1, topic3-2, topic3-3';
      const r = assign(
        { topic: 4, topic2: 4, topic3: 4 },
        { consumer1: own(c1Topics, c1Owned, 1), consumer2: own(c2Topics, c2Owned, 2), consumer3: own(all, c3Owned, 2) },
      );
      for (const m of ['consumer1', 'consumer2', 'consumer3']) expect(r[m]).toHaveLength(4);
      expect(flat(tps(c2Owned))).toEqual(expect.arrayContaining(r['consumer2']!));
      expect(flat(tps(c3Owned))).toEqual(expect.arrayContaining(r['consumer3']!));
    });
  });

  test('schema backward compatibility: a member with v0 user data keeps its partition', () => {
    const v0UserData = Buffer.from(['00000001', '0005', '746f706963', '00000001', '00000001'].join(''), 'hex'); // topic-1
    const r = rebalance(
      sticky,
      counts({ topic: 3 }),
      subs({
        consumer1: sticky.owning(['topic'], 'topic-0, topic-2', 1),
        consumer2: { topics: ['topic'], userData: v0UserData, ownedPartitions: [], generationId: -1 },
        consumer3: fresh(['topic']),
      }),
    );
    const result = flatAll(r.settled);
    expect(result['consumer2']).toEqual(['topic-1']);
    expect(['topic-0', 'topic-2']).toEqual(expect.arrayContaining(result['consumer1']!));
    expect(result['consumer1']).toHaveLength(1);
    expect(result['consumer3']).toHaveLength(1);
  });
});

describe('CooperativeStickyAssignor (Java CooperativeStickyAssignorTest)', () => {
  test('user data is the generation as an int32, -1 before the first', () => {
    expect(cooperative.assignor.subscriptionUserData({ topics: [], assignment: null, generationId: -1 })).toEqual(Buffer.from('ffffffff', 'hex'));
    expect(cooperative.assignor.subscriptionUserData({ topics: [], assignment: tps('t-0'), generationId: 7 })).toEqual(Buffer.from('00000007', 'hex'));
  });

  test('member data: the subscription generation wins; the user data speaks only for older subscriptions', () => {
    const owned = tps('topic-0');
    expect(cooperativeMemberData({ topics: ['topic'], userData: Buffer.from('00000005', 'hex'), ownedPartitions: owned, generationId: 6 })).toEqual({
      partitions: owned,
      generation: 6,
    });
    expect(cooperativeMemberData({ topics: ['topic'], userData: Buffer.from('00000005', 'hex'), ownedPartitions: owned, generationId: -1 })).toEqual({
      partitions: owned,
      generation: 5,
    });
    expect(cooperativeMemberData({ topics: ['topic'], userData: Buffer.from('0000000500', 'hex') }).generation).toBe(5);
    expect(cooperativeMemberData({ topics: ['topic'], userData: Buffer.from('00', 'hex') }).generation).toBe(-1);
    expect(cooperativeMemberData({ topics: ['topic'] })).toEqual({ partitions: [], generation: undefined });
  });

  test('members with v1 subscriptions (generation in user data) keep their partitions', () => {
    const v1 = (partitions: string): MemberSubscription => ({
      topics: ['topic1'],
      userData: Buffer.from('00000001', 'hex'),
      ownedPartitions: tps(partitions),
      generationId: -1,
    });
    const result = flatAll(
      cooperative.assignor.assign(
        counts({ topic1: 3 }),
        subs({ consumer1: v1('topic1-0'), consumer2: v1('topic1-1'), consumer3: cooperative.owning(['topic1'], '', 1) }),
      ),
    );
    expect(result).toEqual(expected({ consumer1: 'topic1-0', consumer2: 'topic1-1', consumer3: 'topic1-2' }));
  });
});

describe('Java hash order', () => {
  test("String.hashCode matches Java's", () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('Aa')).toBe(2112);
    expect(javaStringHashCode('BB')).toBe(2112);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
  });

  test('HashMap iteration: by bucket, ties in insertion order, table grown past 12 keys', () => {
    // consumer1..4 hash to buckets 12, 11, 10, 9 of a 16-slot table.
    expect(javaHashMapOrder(['consumer1', 'consumer2', 'consumer3', 'consumer4'])).toEqual(['consumer4', 'consumer3', 'consumer2', 'consumer1']);
    expect(javaHashMapOrder(['Aa', 'BB'])).toEqual(['Aa', 'BB']);
    expect(javaHashMapOrder(['BB', 'Aa'])).toEqual(['BB', 'Aa']);
    const many = Array.from({ length: 13 }, (_, i) => `m${i}`);
    expect(javaHashMapOrder(many)).toHaveLength(13);
  });
});
