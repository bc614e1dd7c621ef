/**
 * RangeAssignor, against the expected assignments of apache/kafka's RangeAssignorTest
 * (clients/src/test/java/org/apache/kafka/clients/consumer/RangeAssignorTest.java). The rack
 * tests' non-rack-aware expectations ("verifyNonRackAwareAssignment") are ported too: they are
 * what Java assigns when partitions carry no racks, with members named consumer0…consumerN.
 */
import { describe, expect, test } from 'vitest';
import { RangeAssignor, type MemberSubscription } from '../../../src/group/assignors/index.js';
import { counts, expected, flatAll } from './helpers.js';

const assignor = new RangeAssignor();

function assign(partitionCounts: Record<string, number>, subs: Record<string, MemberSubscription>) {
  return flatAll(assignor.assign(counts(partitionCounts), new Map(Object.entries(subs))));
}

const sub = (topics: string[], groupInstanceId?: string): MemberSubscription => ({ topics, groupInstanceId: groupInstanceId ?? null });

describe('RangeAssignor (Java RangeAssignorTest)', () => {
  test('is named range and carries no user data', () => {
    expect(assignor.name).toBe('range');
    expect(assignor.subscriptionUserData()).toBeNull();
  });

  test('one consumer, no topic: the consumer is present with nothing', () => {
    expect(assign({}, { consumer1: sub([]) })).toEqual({ consumer1: [] });
  });

  test('one consumer, nonexistent topic: nothing assigned', () => {
    expect(assign({}, { consumer1: sub(['topic1']) })).toEqual({ consumer1: [] });
  });

  test('one consumer, one topic: all partitions', () => {
    expect(assign({ topic1: 3 }, { consumer1: sub(['topic1']) })).toEqual(expected({ consumer1: 'topic1-0, topic1-1, topic1-2' }));
  });

  test('only partitions of subscribed topics are assigned', () => {
    expect(assign({ topic1: 3, other: 3 }, { consumer1: sub(['topic1']) })).toEqual(expected({ consumer1: 'topic1-0, topic1-1, topic1-2' }));
  });

  test('one consumer, multiple topics', () => {
    expect(assign({ topic1: 1, topic2: 2 }, { consumer1: sub(['topic1', 'topic2']) })).toEqual(expected({ consumer1: 'topic1-0, topic2-0, topic2-1' }));
  });

  test('two consumers, one partition: the first consumer takes it', () => {
    expect(assign({ topic1: 1 }, { consumer1: sub(['topic1']), consumer2: sub(['topic1']) })).toEqual(expected({ consumer1: 'topic1-0', consumer2: '' }));
  });

  test('two consumers, two partitions', () => {
    expect(assign({ topic1: 2 }, { consumer1: sub(['topic1']), consumer2: sub(['topic1']) })).toEqual(
      expected({ consumer1: 'topic1-0', consumer2: 'topic1-1' }),
    );
  });

  test('multiple consumers with mixed topics: ranges are per topic', () => {
    const result = assign({ topic1: 3, topic2: 2 }, { consumer1: sub(['topic1']), consumer2: sub(['topic1', 'topic2']), consumer3: sub(['topic1']) });
    expect(result).toEqual(expected({ consumer1: 'topic1-0', consumer2: 'topic1-1, topic2-0, topic2-1', consumer3: 'topic1-2' }));
  });

  test('two consumers, two topics of three partitions: the first takes the extra of each topic', () => {
    const result = assign({ topic1: 3, topic2: 3 }, { consumer1: sub(['topic1', 'topic2']), consumer2: sub(['topic1', 'topic2']) });
    expect(result).toEqual(expected({ consumer1: 'topic1-0, topic1-1, topic2-0, topic2-1', consumer2: 'topic1-2, topic2-2' }));
  });

  test('static members are ordered by group.instance.id, not member id', () => {
    const result = assign(
      { topic1: 3, topic2: 3 },
      { 'consumer-b': sub(['topic1', 'topic2'], 'instance1'), 'consumer-a': sub(['topic1', 'topic2'], 'instance2') },
    );
    expect(result).toEqual(expected({ 'consumer-b': 'topic1-0, topic1-1, topic2-0, topic2-1', 'consumer-a': 'topic1-2, topic2-2' }));
  });

  test('a static member comes before a dynamic one', () => {
    const result = assign({ topic1: 3, topic2: 3 }, { 'consumer-b': sub(['topic1', 'topic2'], 'instance1'), 'consumer-a': sub(['topic1', 'topic2']) });
    expect(result).toEqual(expected({ 'consumer-b': 'topic1-0, topic1-1, topic2-0, topic2-1', 'consumer-a': 'topic1-2, topic2-2' }));
  });

  test('static members keep their ranges when a dynamic member is replaced', () => {
    const both = ['topic1', 'topic2'];
    const subs: Record<string, MemberSubscription> = {
      consumer1: sub(both, 'instance1'),
      consumer2: sub(both, 'instance2'),
      consumer3: sub(both, 'instance3'),
      consumer4: sub(both),
    };
    const statics = {
      consumer1: 'topic1-0, topic1-1, topic2-0',
      consumer2: 'topic1-2, topic2-1',
      consumer3: 'topic1-3, topic2-2',
    };
    expect(assign({ topic1: 5, topic2: 4 }, subs)).toEqual(expected({ ...statics, consumer4: 'topic1-4, topic2-3' }));

    delete subs['consumer4'];
    subs['consumer5'] = sub(both);
    expect(assign({ topic1: 5, topic2: 4 }, subs)).toEqual(expected({ ...statics, consumer5: 'topic1-4, topic2-3' }));
  });

  test('static members keep their ranges when their member ids change', () => {
    const both = ['topic1', 'topic2'];
    const byInstance = (subs: Record<string, MemberSubscription>) => {
      const result = assign({ topic1: 5, topic2: 5 }, subs);
      return Object.fromEntries(Object.entries(subs).map(([id, s]) => [s.groupInstanceId!, result[id]]));
    };
    const before = byInstance({ consumer1: sub(both, 'instance1'), consumer2: sub(both, 'instance2'), consumer3: sub(both, 'instance3') });
    expect(before).toEqual(
      expected({
        instance1: 'topic1-0, topic1-1, topic2-0, topic2-1',
        instance2: 'topic1-2, topic1-3, topic2-2, topic2-3',
        instance3: 'topic1-4, topic2-4',
      }),
    );
    const after = byInstance({ consumer1: sub(both, 'instance1'), consumer5: sub(both, 'instance2'), consumer4: sub(both, 'instance3') });
    expect(after).toEqual(before);
  });

  describe('non-rack-aware expectations of the rack tests', () => {
    const members = (...topicLists: string[][]) =>
      Object.fromEntries(topicLists.map((topics, i) => [`consumer${i}`, sub(topics)])) as Record<string, MemberSubscription>;
    const all = ['t1', 't2', 't3'];

    test('uniform subscription', () => {
      expect(assign({ t1: 6, t2: 7, t3: 2 }, members(all, all, all))).toEqual(
        expected({
          consumer0: 't1-0, t1-1, t2-0, t2-1, t2-2, t3-0',
          consumer1: 't1-2, t1-3, t2-3, t2-4, t3-1',
          consumer2: 't1-4, t1-5, t2-5, t2-6',
        }),
      );
    });

    test('non-equal subscription', () => {
      expect(assign({ t1: 6, t2: 7, t3: 2 }, members(all, all, ['t1', 't3']))).toEqual(
        expected({
          consumer0: 't1-0, t1-1, t2-0, t2-1, t2-2, t2-3, t3-0',
          consumer1: 't1-2, t1-3, t2-4, t2-5, t2-6, t3-1',
          consumer2: 't1-4, t1-5',
        }),
      );
    });

    test('uniform partitions, non-equal subscription', () => {
      expect(assign({ t1: 5, t2: 5, t3: 5 }, members(all, all, ['t1', 't3']))).toEqual(
        expected({
          consumer0: 't1-0, t1-1, t2-0, t2-1, t2-2, t3-0, t3-1',
          consumer1: 't1-2, t1-3, t2-3, t2-4, t3-2, t3-3',
          consumer2: 't1-4, t3-4',
        }),
      );
    });

    test('co-partitioned topics, with subscribed topics that do not exist', () => {
      const topics = ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9'];
      expect(assign({ t1: 6, t2: 6, t3: 2, t4: 2, t5: 4, t6: 4 }, members(topics, topics, topics))).toEqual(
        expected({
          consumer0: 't1-0, t1-1, t2-0, t2-1, t3-0, t4-0, t5-0, t5-1, t6-0, t6-1',
          consumer1: 't1-2, t1-3, t2-2, t2-3, t3-1, t4-1, t5-2, t6-2',
          consumer2: 't1-4, t1-5, t2-4, t2-5, t5-3, t6-3',
        }),
      );
    });
  });
});
