import { afterEach, describe, expect, it } from 'vitest';
import { TopicRegistry } from '../../src/broker/topic-registry.js';
import { Controller } from '../../src/cluster/controller.js';
import { LocalMetadataStore } from '../../src/cluster/local-store.js';
import type { MetadataChange, SessionEvent } from '../../src/cluster/metadata-store.js';
import { quietLogger } from '../helpers/logger.js';
import { removeDir, tempDir } from '../helpers/storage.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('local metadata store (single node)', () => {
  it("is seeded from the data directory: meta.properties' cluster id and every topic on this node", async () => {
    const dir = tempDir('local-store');
    dirs.push(dir);
    const registry = TopicRegistry.load(dir);
    await registry.add({
      name: 'orders',
      topicId: 'EEEEEEEEEEEEEEEEEEEEEE',
      partitionCount: 2,
      replicationFactor: 1,
      configs: { 'cleanup.policy': 'compact' },
      internal: false,
      createdMs: 0,
    });
    const store = await LocalMetadataStore.open(dir, { nodeId: 7, clusterId: 'my-cluster-id-000000000' }, quietLogger());
    expect(await store.clusterId('other')).toBe('my-cluster-id-000000000');
    expect((await store.topic('orders'))!.value).toEqual({
      name: 'orders',
      topicId: 'EEEEEEEEEEEEEEEEEEEEEE',
      assignment: [[7], [7]],
      configs: { 'cleanup.policy': 'compact' },
    });
    expect((await store.partition('orders', 1))!.value).toEqual({ leader: 7, leaderEpoch: 0, isr: [7], partitionEpoch: 0 });
    // The same cluster id on the next open: meta.properties holds it, as today.
    const again = await LocalMetadataStore.open(dir, { nodeId: 7, clusterId: null }, quietLogger());
    expect(await again.clusterId('x')).toBe('my-cluster-id-000000000');
  });

  it('is its own controller at once, creates topics through the controller and fences an old epoch', async () => {
    const store = new LocalMetadataStore(1, quietLogger());
    const events: SessionEvent[] = [];
    store.onSession((e) => events.push(e));
    await store.start();
    await store.register({ brokerId: 1, endpoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' }], rack: null });
    const controller = new Controller(store, { logger: quietLogger(), randomInt: () => 0 });
    controller.start();
    await tick();
    await controller.idle();
    const epoch = controller.activeEpoch()!;
    expect(events.map((e) => e.kind)).toEqual(['established', 'elected']);
    expect(await store.controller()).toEqual({ brokerId: 1, epoch });

    await controller.createTopic({ name: 't', partitionCount: 2, replicationFactor: 1 });
    expect((await store.partition('t', 1))!.value).toEqual({ leader: 1, leaderEpoch: 0, isr: [1], partitionEpoch: 0 });
    await expect(controller.createTopic({ name: 'u', partitionCount: 1, replicationFactor: 2 })).rejects.toMatchObject({
      errorName: 'INVALID_REPLICATION_FACTOR',
    });
    expect((await controller.createPartitions('t', 3)).assignment).toEqual([[1], [1], [1]]);
    expect((await store.partition('t', 2))!.value).toEqual({ leader: 1, leaderEpoch: 0, isr: [1], partitionEpoch: 0 });
    const stale = await store.topic('t');
    await store.updateTopic({ ...stale!.value, configs: { 'retention.ms': '1000' } }, stale!.modRevision, [], { controllerEpoch: epoch });
    expect(await store.updateTopic({ ...stale!.value, configs: {} }, stale!.modRevision, [], { controllerEpoch: epoch })).toMatchObject({
      ok: false,
      current: { value: { configs: { 'retention.ms': '1000' } } },
    });
    await expect(store.deleteTopic('t', { controllerEpoch: epoch + 1 })).rejects.toMatchObject({ errorName: 'NOT_CONTROLLER' });
    expect(await store.deleteTopic('t', { controllerEpoch: epoch })).toBe(true);
    expect(await store.partition('t', 0)).toBeNull();
    controller.close();
    await store.close();
    expect(events.map((e) => e.kind)).toEqual(['established', 'elected', 'resigned']);
  });

  it('refuses a partition change with a stale partition epoch and tells what is stored', async () => {
    const store = new LocalMetadataStore(1, quietLogger());
    await store.start();
    store.campaign();
    const fence = { controllerEpoch: store.activeControllerEpoch()! };
    await store.createTopic(
      { name: 't', topicId: 'FFFFFFFFFFFFFFFFFFFFFF', assignment: [[1]], configs: {} },
      [{ leader: 1, leaderEpoch: 0, isr: [1], partitionEpoch: 0 }],
      fence,
    );
    expect(await store.alterPartition('t', 0, 0, { leader: 1, leaderEpoch: 1, isr: [1] })).toMatchObject({ ok: true });
    expect(await store.alterPartition('t', 0, 0, { leader: 1, leaderEpoch: 2, isr: [1] })).toEqual({
      ok: false,
      current: { value: { leader: 1, leaderEpoch: 1, isr: [1], partitionEpoch: 1 }, modRevision: expect.any(Number) },
    });
    expect(await store.alterPartition('t', 5, 0, { leader: 1, leaderEpoch: 1, isr: [1] })).toEqual({ ok: false, current: null });
    const again = await store.createTopic({ name: 't', topicId: 'GGGGGGGGGGGGGGGGGGGGGG', assignment: [[1]], configs: {} }, [], fence);
    expect(again.ok === false && again.current?.value.topicId).toBe('FFFFFFFFFFFFFFFFFFFFFF');
  });

  it('continues a snapshot with a watch that delivers every later change in revision order', async () => {
    const store = new LocalMetadataStore(1, quietLogger());
    await store.start();
    store.campaign();
    const fence = { controllerEpoch: store.activeControllerEpoch()! };
    const snap = await store.snapshot();
    // Written between the snapshot and the watch: still delivered.
    await store.createTopic(
      { name: 't', topicId: 'HHHHHHHHHHHHHHHHHHHHHH', assignment: [[1], [1]], configs: {} },
      [0, 1].map(() => ({ leader: 1, leaderEpoch: 0, isr: [1], partitionEpoch: 0 })),
      fence,
    );
    const groups: MetadataChange[][] = [];
    store.watch(snap.revision, (g) => groups.push(g));
    for (let i = 0; i < 5; i++) await store.alterPartition('t', 0, i, { leader: 1, leaderEpoch: i + 1, isr: [1] });
    await tick();
    expect(groups.map((g) => g.map((c) => c.kind))).toEqual([['topic', 'partition', 'partition'], ...Array.from({ length: 5 }, () => ['partition'])]);
    const revisions = groups.map((g) => g[0]!.revision);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(new Set(revisions).size).toBe(6);
  });
});
