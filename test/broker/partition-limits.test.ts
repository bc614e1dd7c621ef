/**
 * Topic creation is all or nothing, the partition count of a broker is capped by
 * max.broker.partitions, and index sizes are validated: the broker-level half of issue 10
 * part 3 (the fd-exhaustion half runs a real process: test/integration/fd-limits.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlterConfigOp, ConfigResourceType } from '../../src/broker/config-types.js';
import { TopicRegistry } from '../../src/broker/topic-registry.js';
import { ErrorCode } from '../../src/errors.js';
import { batch, fetchOne, brokersPerTest, produceOne, valuesOf } from './helpers.js';

const brokers = brokersPerTest('partition-limits');
const open = brokers.open;

/** Open descriptors of this process that point into the data directory. */
function fdsInDataDir(): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(brokers.dir)) n++;
    } catch {
      // closed between readdir and readlink
    }
  }
  return n;
}

function partitionDirs(topic: string): string[] {
  return fs.readdirSync(brokers.dir).filter((name) => name.startsWith(`${topic}-`) && fs.statSync(path.join(brokers.dir, name)).isDirectory());
}

describe('topic creation is all or nothing', () => {
  it('a CreateTopics that fails at one partition removes the partitions it made, their fds and the registry entry, and answers a per-topic error', async () => {
    const broker = await open();
    await broker.createTopics([{ name: 'kept', numPartitions: 2, replicationFactor: 1 }], false);
    const fdsBefore = fdsInDataDir();
    // A file where partition 5's directory must go: partitions 0-4 are created first.
    fs.writeFileSync(path.join(brokers.dir, 'doomed-5'), 'in the way');
    const [doomed, fine] = await broker.createTopics(
      [
        { name: 'doomed', numPartitions: 8, replicationFactor: 1 },
        { name: 'fine', numPartitions: 2, replicationFactor: 1 },
      ],
      false,
    );
    expect(doomed!.errorCode).not.toBe(ErrorCode.NONE);
    expect(doomed!.errorMessage).toMatch(/doomed-5/);
    expect(fine!.errorCode).toBe(ErrorCode.NONE);
    expect(partitionDirs('doomed')).toEqual([]);
    expect(fs.readFileSync(path.join(brokers.dir, 'doomed-5'), 'utf8')).toBe('in the way');
    expect(broker.partitionCount('doomed')).toBe(-1);
    expect(TopicRegistry.load(brokers.dir).get('doomed')).toBeUndefined();
    expect(TopicRegistry.load(brokers.dir).deleting.has('doomed')).toBe(false);
    // Only the new topic's segments hold fds now (at most 3 per partition of 'fine').
    expect(fdsInDataDir()).toBeLessThanOrEqual(fdsBefore + 2 * 3);

    // The obstacle gone, the same name can be created and used; a restart knows nothing of the failure.
    fs.rmSync(path.join(brokers.dir, 'doomed-5'));
    const [again] = await broker.createTopics([{ name: 'doomed', numPartitions: 8, replicationFactor: 1 }], false);
    expect(again!.errorCode).toBe(ErrorCode.NONE);
    expect((await produceOne(broker, 'doomed', 7, batch(2, 'x'))).errorCode).toBe(ErrorCode.NONE);
    await broker.close();
    const reopened = await open();
    expect(reopened.partitionCount('doomed')).toBe(8);
    expect(valuesOf((await fetchOne(reopened, 'doomed', 7, 0n)).records!)).toEqual(['x-0', 'x-1']);
  });

  it('a CreatePartitions that fails at one new partition removes the new ones and keeps the old count', async () => {
    const broker = await open();
    await broker.createTopics([{ name: 'grow', numPartitions: 2, replicationFactor: 1 }], false);
    expect((await produceOne(broker, 'grow', 1, batch(1, 'old'))).errorCode).toBe(ErrorCode.NONE);
    fs.writeFileSync(path.join(brokers.dir, 'grow-4'), 'in the way');
    const [r] = await broker.createPartitions([{ name: 'grow', count: 6, assignments: null }], false);
    expect(r!.errorCode).not.toBe(ErrorCode.NONE);
    expect(broker.partitionCount('grow')).toBe(2);
    expect(TopicRegistry.load(brokers.dir).get('grow')!.partitionCount).toBe(2);
    expect(partitionDirs('grow').sort()).toEqual(['grow-0', 'grow-1']);
    expect(valuesOf((await fetchOne(broker, 'grow', 1, 0n)).records!)).toEqual(['old-0']);
  });
});

describe('max.broker.partitions', () => {
  it('answers POLICY_VIOLATION to a CreateTopics or CreatePartitions that would pass it, validateOnly included, and creates nothing', async () => {
    const broker = await open({ 'max.broker.partitions': 10 });
    const [a] = await broker.createTopics([{ name: 'a', numPartitions: 6, replicationFactor: 1 }], false);
    expect(a!.errorCode).toBe(ErrorCode.NONE);
    const [b, c] = await broker.createTopics(
      [
        { name: 'b', numPartitions: 5, replicationFactor: 1 },
        { name: 'c', numPartitions: 4, replicationFactor: 1 },
      ],
      false,
    );
    expect(b).toMatchObject({ errorCode: ErrorCode.POLICY_VIOLATION });
    expect(b!.errorMessage).toMatch(/max\.broker\.partitions \(10\)/);
    expect(c!.errorCode).toBe(ErrorCode.NONE);
    expect(partitionDirs('b')).toEqual([]);
    const [v] = await broker.createTopics([{ name: 'v', numPartitions: 1, replicationFactor: 1 }], true);
    expect(v!.errorCode).toBe(ErrorCode.POLICY_VIOLATION);
    const [grow] = await broker.createPartitions([{ name: 'a', count: 7, assignments: null }], false);
    expect(grow!.errorCode).toBe(ErrorCode.POLICY_VIOLATION);
    expect(broker.partitionCount('a')).toBe(6);
    expect(broker.hostedPartitionCount).toBe(10);
  });
});

describe('index and segment sizes', () => {
  it('answers INVALID_CONFIG to a segment.index.bytes outside [24, 2^30] on CreateTopics and AlterConfigs, creating and changing nothing', async () => {
    const broker = await open();
    for (const value of ['4', '23', String(2 ** 30 + 1), '-1']) {
      const [r] = await broker.createTopics(
        [{ name: `t${value}`, numPartitions: 1, replicationFactor: 1, configs: [{ name: 'segment.index.bytes', value }] }],
        false,
      );
      expect(r, value).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
      expect(partitionDirs(`t${value}`)).toEqual([]);
    }
    const [ok] = await broker.createTopics(
      [{ name: 'ok', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'segment.index.bytes', value: '24' }] }],
      false,
    );
    expect(ok!.errorCode).toBe(ErrorCode.NONE);
    const [alter] = await broker.alterConfigs(
      [{ resourceType: ConfigResourceType.TOPIC, resourceName: 'ok', configs: [{ name: 'segment.index.bytes', value: '8' }] }],
      false,
    );
    expect(alter!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    const [incremental] = await broker.incrementalAlterConfigs(
      [
        {
          resourceType: ConfigResourceType.TOPIC,
          resourceName: 'ok',
          configs: [{ name: 'segment.index.bytes', configOperation: AlterConfigOp.SET, value: String(2 ** 31 - 1) }],
        },
      ],
      false,
    );
    expect(incremental!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(broker.topicConfig('ok', 'segment.index.bytes')).toBe('24');
    // Appends work at the smallest accepted size (the index rolls the segment when full).
    for (let i = 0; i < 5; i++) expect((await produceOne(broker, 'ok', 0, batch(1, `r${i}`))).errorCode).toBe(ErrorCode.NONE);
    expect(valuesOf((await fetchOne(broker, 'ok', 0, 0n)).records!)).toEqual(['r0-0', 'r1-0', 'r2-0', 'r3-0', 'r4-0']);
  });

  it('refuses a broker whose log.index.size.max.bytes is out of bounds at start', async () => {
    await expect(open({ 'log.index.size.max.bytes': 8 })).rejects.toMatchObject({ errorName: 'INVALID_CONFIG' });
  });
});
