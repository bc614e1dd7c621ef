/**
 * Replay of __consumer_offsets at start when some records cannot be decoded: every valid group
 * and offset loads, each bad record is logged with its topic-partition, offset and reason and
 * counted in the coordinator's stats, and none stops the load.
 */
import { describe, expect, it } from 'vitest';
import { GroupCoordinator, OFFSETS_TOPIC, type OffsetCommitRequest } from '../../src/group/coordinator.js';
import { encodeOffsetCommitKey } from '../../src/group/offsets-topic-records.js';
import type { RecordInput } from '../../src/records/index.js';
import { memoryLogger } from '../helpers/logger.js';
import { coordinatorSuite, FlakyStorage, TEST_CONFIG, testClock } from './harness.js';

const suite = coordinatorSuite('group-replay', [{ name: 't', numPartitions: 3 }]);

function commit(groupId: string, partition: number, offset: bigint): OffsetCommitRequest {
  return {
    groupId,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [
      {
        name: 't',
        partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null, commitTimestamp: -1n }],
      },
    ],
  };
}

function committed(c: GroupCoordinator, groupId: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const t of c.fetchOffsets(groupId, null).topics) for (const p of t.partitions) out[`${t.name}-${p.partitionIndex}`] = p.committedOffset;
  return out;
}

/** Appends raw records to a partition of __consumer_offsets; the offset of the first. */
function appendRaw(partition: number, records: RecordInput[]): bigint {
  const offset = suite.broker.logEndOffset(OFFSETS_TOPIC, partition);
  expect(suite.broker.appendInternal(OFFSETS_TOPIC, partition, records).errorCode).toBe(0);
  return offset;
}

/** GroupMetadataKey layout with a key version Kafka never wrote. */
function unknownVersionKey(version: number, groupId: string): Buffer {
  const name = Buffer.from(groupId);
  const key = Buffer.alloc(4 + name.length);
  key.writeInt16BE(version, 0);
  key.writeInt16BE(name.length, 2);
  name.copy(key, 4);
  return key;
}

async function restart(previous: GroupCoordinator, storage = suite.storage): Promise<{ c: GroupCoordinator; lines: Record<string, unknown>[] }> {
  previous.shutdown();
  const { logger, lines } = memoryLogger();
  const c = await GroupCoordinator.open(storage, TEST_CONFIG, logger, { clock: testClock() });
  suite.shutDownAfter(c);
  return { c, lines };
}

describe('replay of __consumer_offsets', () => {
  it('skips a corrupt offset-commit value and an unknown key version, logs each with its offset, counts them, and loads every valid group', async () => {
    const c = await suite.coordinator();
    c.commitOffsets(commit('good', 0, 5n));
    c.commitOffsets(commit('damaged', 1, 7n));
    const partition = c.partitionFor('damaged')!;
    // After the valid commit of damaged's t-1: a value cut short (OffsetCommitValue v3 holds
    // 8 bytes of offset, and 2 are here), then a key of version 9, then another valid commit.
    const truncatedAt = appendRaw(partition, [
      { key: encodeOffsetCommitKey('damaged', 't', 1), value: Buffer.from([0, 3, 0, 0]), timestamp: testClock().now() },
    ]);
    const unknownAt = appendRaw(partition, [{ key: unknownVersionKey(9, 'future'), value: Buffer.from([0, 0]), timestamp: testClock().now() }]);
    c.commitOffsets(commit('damaged', 2, 9n));

    const { c: again, lines } = await restart(c);
    // The bad record did not replace (nor delete) the valid commit before it; loading went on past it.
    expect(committed(again, 'damaged')).toEqual({ 't-1': 7n, 't-2': 9n });
    expect(committed(again, 'good')).toEqual({ 't-0': 5n });
    expect(
      again
        .listGroups()
        .groups.map((g) => g.groupId)
        .sort(),
    ).toEqual(['damaged', 'good']);
    expect(again.stats().offsetsTopic).toEqual({ recordsLoaded: 5, unreadableRecords: 2 });

    const reported = lines.filter((l) => typeof l.reason === 'string');
    expect(reported).toEqual([
      expect.objectContaining({ level: 50, topic: OFFSETS_TOPIC, partition, offset: String(truncatedAt), reason: expect.stringMatching(/^truncated/) }),
      expect.objectContaining({ level: 50, topic: OFFSETS_TOPIC, partition, offset: String(unknownAt), reason: 'unknown key version 9' }),
    ]);
    expect(lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith(`loaded ${OFFSETS_TOPIC}`))).toMatchObject({ level: 40, groups: 2, unreadable: 2 });
  });

  it('a record without a key is reported and skipped like any other undecodable record', async () => {
    const c = await suite.coordinator();
    c.commitOffsets(commit('keyless-neighbour', 0, 3n));
    const partition = c.partitionFor('keyless-neighbour')!;
    const at = appendRaw(partition, [{ key: null, value: Buffer.from('x'), timestamp: testClock().now() }]);
    const { c: again, lines } = await restart(c);
    expect(committed(again, 'keyless-neighbour')).toEqual({ 't-0': 3n });
    expect(again.stats().offsetsTopic.unreadableRecords).toBeGreaterThanOrEqual(1);
    expect(lines).toContainEqual(expect.objectContaining({ partition, offset: String(at), reason: 'record without a key' }));
  });

  it('a batch the log cannot read ends the load of its partition only: groups in the other partitions load', async () => {
    const c = await suite.coordinator();
    c.commitOffsets(commit('readable', 0, 1n));
    c.commitOffsets(commit('unreadable', 0, 2n));
    const bad = c.partitionFor('unreadable')!;
    expect(c.partitionFor('readable')).not.toBe(bad);
    const storage = new (class extends FlakyStorage {
      override readInternalBatches(topic: string, partition: number, offset: bigint, maxBytes: number) {
        if (topic === OFFSETS_TOPIC && partition === bad) throw new Error('corrupt batch');
        return super.readInternalBatches(topic, partition, offset, maxBytes);
      }
    })(suite.broker);
    const { c: again, lines } = await restart(c, storage);
    expect(committed(again, 'readable')).toEqual({ 't-0': 1n });
    expect(committed(again, 'unreadable')).toEqual({});
    // Counted once (the other partitions hold the bad records of the tests above).
    expect(lines.filter((l) => l.reason === 'corrupt batch')).toEqual([expect.objectContaining({ level: 50, partition: bad, offset: '0' })]);
    expect(again.stats().offsetsTopic.unreadableRecords).toBeGreaterThanOrEqual(1);
  });
});
