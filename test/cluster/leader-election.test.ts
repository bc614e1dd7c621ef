import { describe, expect, it } from 'vitest';
import { nextPartitionState } from '../../src/cluster/leader-election.js';
import { NO_LEADER } from '../../src/cluster/metadata-store.js';

const alive =
  (...ids: number[]) =>
  (b: number) =>
    ids.includes(b);

describe('partition state on broker changes', () => {
  it('elects the first live ISR member in assignment order when the leader is gone, bumping the leader epoch', () => {
    const state = { leader: 1, leaderEpoch: 4, isr: [1, 3, 2], partitionEpoch: 9 };
    expect(nextPartitionState(state, [1, 2, 3], alive(2, 3), false)).toEqual({ leader: 2, leaderEpoch: 5, isr: [3, 2] });
  });

  it('only shrinks the ISR, keeping the leader epoch, when a follower is gone', () => {
    expect(nextPartitionState({ leader: 1, leaderEpoch: 4, isr: [1, 2, 3], partitionEpoch: 9 }, [1, 2, 3], alive(1, 2), false)).toEqual({
      leader: 1,
      leaderEpoch: 4,
      isr: [1, 2],
    });
  });

  it('never elects a live replica outside the ISR without unclean leader election: the partition goes offline', () => {
    const state = { leader: 1, leaderEpoch: 4, isr: [1], partitionEpoch: 9 };
    expect(nextPartitionState(state, [1, 2, 3], alive(2, 3), false)).toEqual({ leader: NO_LEADER, leaderEpoch: 5, isr: [1] });
  });

  it('with unclean leader election, elects a live out-of-sync replica and makes it the whole ISR', () => {
    const state = { leader: 1, leaderEpoch: 4, isr: [1], partitionEpoch: 9 };
    expect(nextPartitionState(state, [1, 2, 3], alive(2, 3), true)).toEqual({ leader: 2, leaderEpoch: 5, isr: [2] });
  });

  it('brings an offline partition back when its last ISR member returns', () => {
    const offline = { leader: NO_LEADER, leaderEpoch: 5, isr: [1], partitionEpoch: 10 };
    expect(nextPartitionState(offline, [1, 2, 3], alive(2, 3), false)).toBeNull();
    expect(nextPartitionState(offline, [1, 2, 3], alive(1, 2, 3), false)).toEqual({ leader: 1, leaderEpoch: 6, isr: [1] });
  });

  it('changes nothing when every replica is alive', () => {
    expect(nextPartitionState({ leader: 2, leaderEpoch: 1, isr: [2, 1], partitionEpoch: 3 }, [1, 2], alive(1, 2), false)).toBeNull();
  });
});
