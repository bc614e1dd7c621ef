import { describe, expect, it } from 'vitest';
import { assignReplicasRackUnaware } from '../../src/cluster/replica-assignment.js';

describe('rack-unaware replica assignment', () => {
  it("places replicas as Kafka's documented example does (5 brokers, 10 partitions, RF 3, start 0)", () => {
    expect(assignReplicasRackUnaware(10, 3, [0, 1, 2, 3, 4], { fixedStartIndex: 0 })).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
      [1, 3, 4],
      [2, 4, 0],
      [3, 0, 1],
      [4, 1, 2],
    ]);
  });

  it('sorts the broker ids and continues from startPartitionId for added partitions', () => {
    const all = assignReplicasRackUnaware(6, 2, [3, 1, 2], { fixedStartIndex: 1 });
    expect(assignReplicasRackUnaware(3, 2, [2, 3, 1], { fixedStartIndex: 1, startPartitionId: 3 })).toEqual(all.slice(3));
  });

  it('never puts two replicas of a partition on one broker and spreads leaders evenly', () => {
    const brokers = [1, 2, 3, 4];
    for (let seed = 0; seed < 4; seed++) {
      const assignment = assignReplicasRackUnaware(12, 3, brokers, { randomInt: () => seed });
      for (const replicas of assignment) expect(new Set(replicas).size).toBe(3);
      const leaders = new Map<number, number>();
      for (const [leader] of assignment) leaders.set(leader!, (leaders.get(leader!) ?? 0) + 1);
      expect([...leaders.values()]).toEqual([3, 3, 3, 3]);
    }
  });

  it('refuses a replication factor above the number of brokers with INVALID_REPLICATION_FACTOR', () => {
    expect(() => assignReplicasRackUnaware(1, 3, [1, 2])).toThrow(
      expect.objectContaining({ errorName: 'INVALID_REPLICATION_FACTOR', message: 'Replication factor: 3 larger than available brokers: 2.' }),
    );
    expect(() => assignReplicasRackUnaware(1, 0, [1, 2])).toThrow(expect.objectContaining({ errorName: 'INVALID_REPLICATION_FACTOR' }));
    expect(() => assignReplicasRackUnaware(0, 1, [1, 2])).toThrow(expect.objectContaining({ errorName: 'INVALID_PARTITIONS' }));
  });
});
