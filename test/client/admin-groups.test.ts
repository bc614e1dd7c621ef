/**
 * The admin client and consumer groups, over both transports: every assignor
 * splits the partitions without overlap, partitions move on join and leave, cooperative-sticky
 * revokes only what moves, and admin reports what the coordinator holds.
 */
import { describe, expect, it } from 'vitest';
import { ConfigResourceType, DeleteGroupsError } from '../../src/client/admin.js';
import type { Consumer } from '../../src/client/consumer.js';
import type { TopicPartitions } from '../../src/client/types.js';
import type { Sluice } from '../../src/sluice.js';
import { TRANSPORTS, sluicePerTest, waitFor } from './helpers.js';

describe.each(TRANSPORTS)('over the %s transport', (transport) => {
  const openTracked = sluicePerTest(transport);

  async function open(settings = {}): Promise<Sluice> {
    return (await openTracked(settings)).sluice;
  }

  describe('admin', () => {
    it('creates topics with configs, and describes, alters, grows, lists and deletes them', async () => {
      const sluice = await open();
      const admin = sluice.admin();
      expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6, configEntries: [{ name: 'retention.ms', value: '86400000' }] }] })).toBe(
        true,
      );
      expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6 }] })).toBe(false);
      await expect(
        admin.createTopics({ topics: [{ topic: 'bad', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }),
      ).rejects.toMatchObject({ errorName: 'INVALID_CONFIG' });

      const described = await admin.describeConfigs({
        resources: [{ type: ConfigResourceType.TOPIC, name: 'orders', configNames: ['retention.ms', 'cleanup.policy'] }],
      });
      const entries = Object.fromEntries(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
      expect(entries['retention.ms']!.configValue).toBe('86400000');
      expect(entries['retention.ms']!.isDefault).toBe(false);
      expect(entries['cleanup.policy']!.configValue).toBe('delete');

      await admin.alterConfigs({
        resources: [{ type: ConfigResourceType.TOPIC, name: 'orders', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      });
      const after = await admin.describeConfigs({
        resources: [{ type: ConfigResourceType.TOPIC, name: 'orders', configNames: ['cleanup.policy', 'retention.ms'] }],
      });
      expect(Object.fromEntries(after.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]))).toEqual({
        'cleanup.policy': 'compact',
        'retention.ms': '604800000',
      });

      await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 8 }] });
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 4 }] })).rejects.toMatchObject({ errorName: 'INVALID_PARTITIONS' });
      const meta = await admin.fetchTopicMetadata({ topics: ['orders'] });
      expect(meta.topics[0]!.partitions.map((p) => p.partitionId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(meta.topics[0]!.partitions[0]).toMatchObject({ partitionErrorCode: 0, leader: 0, replicas: [0], isr: [0] });

      await admin.createTopics({ topics: [{ topic: 'other' }] });
      expect((await admin.listTopics()).sort()).toEqual(['orders', 'other']);
      await admin.deleteTopics({ topics: ['other'] });
      expect(await admin.listTopics()).toEqual(['orders']);
      await expect(admin.deleteTopics({ topics: ['other'] })).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
    });

    it('reports offsets, offsets by timestamp, and deletes records', async () => {
      const sluice = await open();
      const admin = sluice.admin();
      await admin.createTopics({ topics: [{ topic: 't', numPartitions: 2 }] });
      await sluice
        .producer()
        .send({ topic: 't', messages: Array.from({ length: 10 }, (_, i) => ({ value: String(i), partition: 0, timestamp: 1_000 + i * 100 })) });
      expect(await admin.fetchTopicOffsets('t')).toEqual([
        { partition: 0, offset: 10n, high: 10n, low: 0n },
        { partition: 1, offset: 0n, high: 0n, low: 0n },
      ]);
      expect(await admin.fetchTopicOffsetsByTimestamp('t', 1_450)).toEqual([
        { partition: 0, offset: 5n },
        { partition: 1, offset: 0n },
      ]);
      // After the last record: the high watermark, where a consumer waits for new records.
      expect((await admin.fetchTopicOffsetsByTimestamp('t', 99_999))[0]).toEqual({ partition: 0, offset: 10n });
      await admin.deleteRecords({ topic: 't', partitions: [{ partition: 0, offset: 4n }] });
      expect((await admin.fetchTopicOffsets('t'))[0]).toEqual({ partition: 0, offset: 10n, high: 10n, low: 4n });
      await expect(admin.deleteRecords({ topic: 't', partitions: [{ partition: 0, offset: 50n }] })).rejects.toMatchObject({
        errorName: 'OFFSET_OUT_OF_RANGE',
      });
      await expect(admin.fetchTopicOffsets('missing')).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
    });

    it('lists, describes, resets and deletes groups', async () => {
      const sluice = await open();
      const admin = sluice.admin();
      await admin.createTopics({ topics: [{ topic: 'g', numPartitions: 2 }] });
      await sluice.producer().send({ topic: 'g', messages: Array.from({ length: 6 }, (_, i) => ({ value: String(i), partition: i % 2 })) });
      const c = sluice.consumer({ groupId: 'billing', heartbeatInterval: 100, clientId: 'billing-app' });
      await c.subscribe({ topic: 'g', fromBeginning: true });
      let n = 0;
      await c.run({ eachMessage: async () => void n++ });
      await waitFor('6 records', () => n === 6);

      expect((await admin.listGroups()).groups).toEqual([{ groupId: 'billing', protocolType: 'consumer', state: 'Stable' }]);
      const { groups } = await admin.describeGroups(['billing']);
      expect(groups[0]).toMatchObject({ groupId: 'billing', state: 'Stable', protocolType: 'consumer', protocol: 'range' });
      expect(groups[0]!.members).toHaveLength(1);
      expect(groups[0]!.members[0]).toMatchObject({
        clientId: 'billing-app',
        clientHost: transport === 'network' ? '/127.0.0.1' : 'in-process',
        assignment: [{ topic: 'g', partitions: [0, 1] }],
      });
      await expect(admin.deleteGroups(['billing'])).rejects.toMatchObject({ errorName: 'NON_EMPTY_GROUP' });
      await expect(admin.resetOffsets({ groupId: 'billing', topic: 'g', earliest: true })).rejects.toMatchObject({ errorName: 'UNKNOWN_MEMBER_ID' });

      await c.disconnect();
      expect((await admin.fetchOffsets({ groupId: 'billing', topics: ['g'] }))[0]!.partitions.map((p) => p.offset)).toEqual([3n, 3n]);
      await admin.resetOffsets({ groupId: 'billing', topic: 'g', earliest: true });
      expect((await admin.fetchOffsets({ groupId: 'billing' }))[0]!.partitions.map((p) => [p.partition, p.offset])).toEqual([
        [0, 0n],
        [1, 0n],
      ]);
      await admin.setOffsets({ groupId: 'billing', topic: 'g', partitions: [{ partition: 1, offset: 2n }] });
      expect((await admin.fetchOffsets({ groupId: 'billing', topics: ['g'] }))[0]!.partitions.map((p) => p.offset)).toEqual([0n, 2n]);
      await admin.deleteGroups(['billing']);
      expect((await admin.listGroups()).groups).toEqual([]);
      await expect(admin.deleteGroups(['billing'])).rejects.toMatchObject({ errorName: 'GROUP_ID_NOT_FOUND' });
    });
  });

  describe('admin operations beyond kafkajs (the console tools use them)', () => {
    it('sets and deletes single configs with incrementalAlterConfigs, leaving the others', async () => {
      const sluice = await open();
      const admin = sluice.admin();
      await admin.createTopics({
        topics: [
          {
            topic: 'c',
            configEntries: [
              { name: 'segment.ms', value: '10000' },
              { name: 'retention.ms', value: '5000' },
            ],
          },
        ],
      });
      await admin.incrementalAlterConfigs({
        resources: [
          {
            type: ConfigResourceType.TOPIC,
            name: 'c',
            configEntries: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'segment.ms', operation: 'DELETE' },
            ],
          },
        ],
      });
      const after = await admin.describeConfigs({
        resources: [{ type: ConfigResourceType.TOPIC, name: 'c', configNames: ['cleanup.policy', 'segment.ms', 'retention.ms'] }],
      });
      const entries = Object.fromEntries(after.resources[0]!.configEntries.map((e) => [e.configName, [e.configValue, e.isDefault]]));
      expect(entries).toEqual({ 'cleanup.policy': ['compact', false], 'segment.ms': ['604800000', true], 'retention.ms': ['5000', false] });
      await expect(
        admin.incrementalAlterConfigs({ resources: [{ type: ConfigResourceType.TOPIC, name: 'c', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }),
      ).rejects.toMatchObject({ errorName: 'INVALID_CONFIG', message: expect.stringMatching(/^INVALID_CONFIG: alter configs of c/) });
      expect((await admin.fetchTopicMetadata({ includeInternal: true })).topics.map((t) => [t.name, t.isInternal])).toEqual([['c', false]]);
    });

    it("commits a group's offsets of several topics in one call, deletes some, filters groups by state and names the coordinator", async () => {
      const sluice = await open();
      const admin = sluice.admin();
      await admin.createTopics({ topics: [{ topic: 'a', numPartitions: 2 }, { topic: 'b' }] });
      const results = await admin.alterConsumerGroupOffsets({
        groupId: 'idle',
        offsets: [
          { topic: 'a', partition: 0, offset: 1n },
          { topic: 'a', partition: 1, offset: 2n },
          { topic: 'b', partition: 0, offset: 3n },
        ],
      });
      expect(results.map((r) => r.errorCode)).toEqual([0, 0, 0]);
      expect((await admin.listGroups({ states: ['Empty'] })).groups).toEqual([{ groupId: 'idle', protocolType: '', state: 'Empty' }]);
      expect((await admin.listGroups({ states: ['Stable'] })).groups).toEqual([]);
      const [described] = (await admin.describeGroups(['idle'])).groups;
      if (transport === 'network') expect(described!.coordinator).toMatchObject({ nodeId: 0, host: '127.0.0.1' });
      else expect(described!.coordinator?.nodeId ?? 0).toBe(0);

      const deleted = await admin.deleteConsumerGroupOffsets({ groupId: 'idle', topics: [{ topic: 'a', partitions: [0, 1] }] });
      expect(deleted).toEqual({
        errorCode: 0,
        partitions: [
          { topic: 'a', partition: 0, errorCode: 0 },
          { topic: 'a', partition: 1, errorCode: 0 },
        ],
      });
      expect((await admin.fetchOffsets({ groupId: 'idle' })).map((t) => [t.topic, t.partitions.map((p) => p.offset)])).toEqual([['b', [3n]]]);
      expect(await admin.deleteConsumerGroupOffsets({ groupId: 'ghost', topics: [{ topic: 'a', partitions: [0] }] })).toMatchObject({ errorCode: 69 });

      const failure = await admin.deleteGroups(['idle', 'ghost']).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(DeleteGroupsError);
      expect((failure as DeleteGroupsError).groups).toEqual([
        { groupId: 'idle', errorCode: 0 },
        { groupId: 'ghost', errorCode: 69 },
      ]);
      expect((await admin.listGroups()).groups).toEqual([]);
    });
  });

  describe('consumer groups', () => {
    const PARTITIONS = 6;

    function flat(assignment: TopicPartitions[]): number[] {
      return assignment.flatMap((t) => t.partitions);
    }

    async function startMember(
      sluice: Sluice,
      groupId: string,
      assignor: 'range' | 'roundrobin' | 'sticky' | 'cooperative-sticky',
      seen: Map<number, bigint[]>,
      events: string[] = [],
    ): Promise<Consumer> {
      const c = sluice.consumer({ groupId, heartbeatInterval: 50, partitionAssigners: [assignor], maxWaitTimeInMs: 50 });
      c.on(c.events.PARTITIONS_REVOKED, (e) => events.push(`revoked ${flat(e.payload.partitions).join(',')}`));
      c.on(c.events.PARTITIONS_ASSIGNED, (e) => events.push(`assigned ${flat(e.payload.partitions).join(',')}`));
      await c.subscribe({ topic: 'shared', fromBeginning: true });
      await c.run({
        eachMessage: async ({ partition, message }) => {
          let list = seen.get(partition);
          if (list === undefined) seen.set(partition, (list = []));
          list.push(message.offset);
        },
      });
      return c;
    }

    async function stableSplit(consumers: Consumer[]): Promise<number[][]> {
      return waitFor('a stable split of every partition', () => {
        const parts = consumers.map((c) => flat(c.assignment()).sort((a, b) => a - b));
        const all = parts.flat().sort((a, b) => a - b);
        if (all.length !== PARTITIONS || all.some((p, i) => p !== i) || parts.some((p) => p.length === 0)) return null;
        return parts;
      });
    }

    it.each(['range', 'roundrobin', 'sticky', 'cooperative-sticky'] as const)(
      "%s: members share the partitions, take over a leaver's, and every record is read once",
      async (assignor) => {
        const sluice = await open();
        await sluice.admin().createTopics({ topics: [{ topic: 'shared', numPartitions: PARTITIONS }] });
        const seen = new Map<number, bigint[]>();
        const a = await startMember(sluice, `g-${assignor}`, assignor, seen);
        const b = await startMember(sluice, `g-${assignor}`, assignor, seen);
        const c = await startMember(sluice, `g-${assignor}`, assignor, seen);
        const split = await stableSplit([a, b, c]);
        expect(split.map((p) => p.length)).toEqual([2, 2, 2]);
        // cooperative-sticky reaches this split in two rebalances; the second may still be running.
        const described = await waitFor('the group stable', async () => {
          const d = (await sluice.admin().describeGroups([`g-${assignor}`])).groups[0]!;
          return d.state === 'Stable' ? d : null;
        });
        expect(described.protocol).toBe(assignor);

        await sluice.producer().send({ topic: 'shared', messages: Array.from({ length: 60 }, (_, i) => ({ value: String(i), partition: i % PARTITIONS })) });
        await waitFor('60 records', () => [...seen.values()].flat().length >= 60);
        await c.disconnect();
        await stableSplit([a, b]);
        await sluice.producer().send({ topic: 'shared', messages: Array.from({ length: 60 }, (_, i) => ({ value: String(i), partition: i % PARTITIONS })) });
        await waitFor('120 records', () => [...seen.values()].flat().length >= 120);
        await a.disconnect();
        await b.disconnect();
        for (let p = 0; p < PARTITIONS; p++) expect(seen.get(p)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)));
      },
    );

    it('a consumer stopped while its join waits for the other members leaves at once instead of waiting out the rebalance', async () => {
      const sluice = await open();
      await sluice.admin().createTopics({ topics: [{ topic: 'shared', numPartitions: PARTITIONS }] });
      // a notices rebalances only on its next heartbeat, far away; the rebalance timeout (b's
      // join could wait that long) is longer than the test's own timeout.
      const a = sluice.consumer({ groupId: 'parked', heartbeatInterval: 20_000, sessionTimeout: 60_000, rebalanceTimeout: 300_000 });
      await a.subscribe({ topic: 'shared' });
      await a.run({ eachMessage: async () => undefined });
      await waitFor('a stable', () => flat(a.assignment()).length === PARTITIONS);
      const b = sluice.consumer({ groupId: 'parked', heartbeatInterval: 50, rebalanceTimeout: 300_000 });
      await b.subscribe({ topic: 'shared' });
      await b.run({ eachMessage: async () => undefined });
      await waitFor('b waiting in a rebalance', () => sluice.groups.groupState('parked') === 'PreparingRebalance');
      await b.disconnect();
      expect(b.assignment()).toEqual([]);
      await a.disconnect();
    });

    it('a static member (groupInstanceId) that restarts takes its place back without a rebalance', async () => {
      const sluice = await open();
      await sluice.admin().createTopics({ topics: [{ topic: 'shared', numPartitions: PARTITIONS }] });
      const start = async (instance: string): Promise<Consumer> => {
        const c = sluice.consumer({ groupId: 'static', groupInstanceId: instance, heartbeatInterval: 50, sessionTimeout: 30_000 });
        await c.subscribe({ topic: 'shared' });
        await c.run({ eachMessage: async () => undefined });
        return c;
      };
      const a = await start('host-a');
      const b = await start('host-b');
      const bJoins: number[] = [];
      b.on(b.events.GROUP_JOIN, (e) => bJoins.push(e.timestamp));
      const [before] = await stableSplit([a, b]);
      const described = (await sluice.admin().describeGroups(['static'])).groups[0]!;
      expect(described.members.map((m) => m.groupInstanceId).sort()).toEqual(['host-a', 'host-b']);
      await waitFor('b past its last join', () => sluice.groups.groupState('static') === 'Stable');
      const joinsBefore = bJoins.length;
      // A static member does not send LeaveGroup: its partitions wait for it (session timeout).
      await a.disconnect();
      expect(sluice.groups.groupState('static')).toBe('Stable');
      const a2 = await start('host-a');
      const [after] = await stableSplit([a2, b]);
      expect(after).toEqual(before);
      // b was not asked to rejoin: no rebalance happened.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(bJoins.length).toBe(joinsBefore);
      await a2.disconnect();
      await b.disconnect();
    });

    it('cooperative-sticky revokes only the partitions that move when a member joins', async () => {
      const sluice = await open();
      await sluice.admin().createTopics({ topics: [{ topic: 'shared', numPartitions: PARTITIONS }] });
      const seen = new Map<number, bigint[]>();
      const eventsA: string[] = [];
      const a = await startMember(sluice, 'coop', 'cooperative-sticky', seen, eventsA);
      await waitFor('a owns everything', () => flat(a.assignment()).length === PARTITIONS);
      const b = await startMember(sluice, 'coop', 'cooperative-sticky', seen);
      const [kept] = await stableSplit([a, b]);
      // a never gave up what it kept: one assignment of all six, then one revocation of the three that moved.
      expect(eventsA).toEqual(['assigned 0,1,2,3,4,5', `revoked ${[0, 1, 2, 3, 4, 5].filter((p) => !kept!.includes(p)).join(',')}`]);
      await a.disconnect();
      await b.disconnect();
    });
  });
});
