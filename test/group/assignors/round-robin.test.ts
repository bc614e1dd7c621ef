/**
 * RoundRobinAssignor, against the expected assignments of apache/kafka's RoundRobinAssignorTest
 * and the example in RoundRobinAssignor's class comment.
 */
import { describe, expect, test } from 'vitest';
import { RoundRobinAssignor, type MemberSubscription } from '../../../src/group/assignors/index.js';
import { counts, expected, flatAll } from './helpers.js';

const assignor = new RoundRobinAssignor();

function assign(partitionCounts: Record<string, number>, subs: Record<string, MemberSubscription>) {
  return flatAll(assignor.assign(counts(partitionCounts), new Map(Object.entries(subs))));
}

const sub = (topics: string[], groupInstanceId?: string): MemberSubscription => ({ topics, groupInstanceId: groupInstanceId ?? null });

describe('RoundRobinAssignor (Java RoundRobinAssignorTest)', () => {
  test('is named roundrobin and carries no user data', () => {
    expect(assignor.name).toBe('roundrobin');
    expect(assignor.subscriptionUserData()).toBeNull();
  });

  test('one consumer, no topic or a nonexistent topic: nothing assigned', () => {
    expect(assign({}, { consumer: sub([]) })).toEqual({ consumer: [] });
    expect(assign({}, { consumer: sub(['topic']) })).toEqual({ consumer: [] });
  });

  test('one consumer: all partitions of its topics only', () => {
    expect(assign({ topic: 3, other: 3 }, { consumer: sub(['topic']) })).toEqual(expected({ consumer: 'topic-0, topic-1, topic-2' }));
    expect(assign({ topic1: 1, topic2: 2 }, { consumer: sub(['topic1', 'topic2']) })).toEqual(expected({ consumer: 'topic1-0, topic2-0, topic2-1' }));
  });

  test('two consumers of one topic', () => {
    expect(assign({ topic: 1 }, { consumer1: sub(['topic']), consumer2: sub(['topic']) })).toEqual(expected({ consumer1: 'topic-0', consumer2: '' }));
    expect(assign({ topic: 2 }, { consumer1: sub(['topic']), consumer2: sub(['topic']) })).toEqual(expected({ consumer1: 'topic-0', consumer2: 'topic-1' }));
  });

  test('mixed subscriptions: a consumer not subscribed to a topic is skipped', () => {
    const result = assign({ topic1: 3, topic2: 2 }, { consumer1: sub(['topic1']), consumer2: sub(['topic1', 'topic2']), consumer3: sub(['topic1']) });
    expect(result).toEqual(expected({ consumer1: 'topic1-0', consumer2: 'topic1-1, topic2-0, topic2-1', consumer3: 'topic1-2' }));
  });

  test('two dynamic consumers, two topics of three partitions: dealt alternately', () => {
    const result = assign({ topic1: 3, topic2: 3 }, { consumer1: sub(['topic1', 'topic2']), consumer2: sub(['topic1', 'topic2']) });
    expect(result).toEqual(expected({ consumer1: 'topic1-0, topic1-2, topic2-1', consumer2: 'topic1-1, topic2-0, topic2-2' }));
  });

  test('static members are dealt in group.instance.id order, before dynamic members', () => {
    const both = ['topic1', 'topic2'];
    expect(assign({ topic1: 3, topic2: 3 }, { 'consumer-b': sub(both, 'instance1'), 'consumer-a': sub(both, 'instance2') })).toEqual(
      expected({ 'consumer-b': 'topic1-0, topic1-2, topic2-1', 'consumer-a': 'topic1-1, topic2-0, topic2-2' }),
    );
    expect(assign({ topic1: 3, topic2: 3 }, { 'consumer-b': sub(both, 'instance1'), 'consumer-a': sub(both) })).toEqual(
      expected({ 'consumer-b': 'topic1-0, topic1-2, topic2-1', 'consumer-a': 'topic1-1, topic2-0, topic2-2' }),
    );
  });

  test('static members keep their partitions when a dynamic member is replaced', () => {
    const both = ['topic1', 'topic2'];
    const subs: Record<string, MemberSubscription> = {
      consumer1: sub(both, 'instance1'),
      consumer2: sub(both, 'instance2'),
      consumer3: sub(both, 'instance3'),
      consumer4: sub(both),
    };
    const statics = { consumer1: 'topic1-0, topic2-1', consumer2: 'topic1-1, topic2-2', consumer3: 'topic1-2' };
    expect(assign({ topic1: 3, topic2: 3 }, subs)).toEqual(expected({ ...statics, consumer4: 'topic2-0' }));
    delete subs['consumer4'];
    subs['consumer5'] = sub(both);
    expect(assign({ topic1: 3, topic2: 3 }, subs)).toEqual(expected({ ...statics, consumer5: 'topic2-0' }));
  });

  test('static members keep their partitions when their member ids change', () => {
    const both = ['topic1', 'topic2'];
    const byInstance = (subs: Record<string, MemberSubscription>) => {
      const result = assign({ topic1: 3, topic2: 3 }, subs);
      return Object.fromEntries(Object.entries(subs).map(([id, s]) => [s.groupInstanceId!, result[id]]));
    };
    const before = byInstance({ consumer1: sub(both, 'instance1'), consumer2: sub(both, 'instance2'), consumer3: sub(both, 'instance3') });
    expect(before).toEqual(expected({ instance1: 'topic1-0, topic2-0', instance2: 'topic1-1, topic2-1', instance3: 'topic1-2, topic2-2' }));
    const after = byInstance({ consumer4: sub(both, 'instance1'), consumer5: sub(both, 'instance2'), consumer1: sub(both, 'instance3') });
    expect(after).toEqual(before);
  });

  test("the class comment's example: unequal subscriptions can leave the deal lopsided", () => {
    const result = assign({ t0: 1, t1: 2, t2: 3 }, { C0: sub(['t0']), C1: sub(['t0', 't1']), C2: sub(['t0', 't1', 't2']) });
    expect(result).toEqual(expected({ C0: 't0-0', C1: 't1-0', C2: 't1-1, t2-0, t2-1, t2-2' }));
  });
});
