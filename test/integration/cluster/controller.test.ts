import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../../src/cluster/controller.js';
import { EtcdMetadataStore } from '../../../src/cluster/etcd-store.js';
import { assignReplicasRackUnaware } from '../../../src/cluster/replica-assignment.js';
import type { BrokerRegistration, PartitionState } from '../../../src/cluster/metadata-store.js';
import { startEtcd, type EtcdProcess } from '../../helpers/etcd.js';
import { quietLogger } from '../../helpers/logger.js';
import { pollUntil } from '../../helpers/wait.js';

let etcd: EtcdProcess;
const opened: { store: EtcdMetadataStore; controller: Controller }[] = [];
const children: ChildProcess[] = [];
const CHILD = fileURLToPath(new URL('../../helpers/etcd-store-child.mjs', import.meta.url));

beforeAll(async () => {
  etcd = await startEtcd();
}, 120_000);

afterAll(async () => {
  await etcd?.stop();
});

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  const brokers = opened.splice(0);
  for (const b of brokers) b.controller.close();
  await Promise.all(brokers.map((b) => b.store.close()));
});

function registration(brokerId: number): BrokerRegistration {
  return { brokerId, endpoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 + brokerId, securityProtocol: 'PLAINTEXT' }], rack: null };
}

/** An in-process broker: store, registration, controller campaigning. */
async function startBroker(prefix: string, brokerId: number): Promise<{ store: EtcdMetadataStore; controller: Controller }> {
  const logger = quietLogger();
  const store = new EtcdMetadataStore({ endpoints: [etcd.endpoint], prefix, brokerId, sessionTimeoutMs: 2000, requestTimeoutMs: 2000, logger });
  await store.start();
  await store.register(registration(brokerId));
  const controller = new Controller(store, { logger, randomInt: () => 0 });
  controller.start();
  const broker = { store, controller };
  opened.push(broker);
  return broker;
}

/** A broker that only registers, in a child process the test can SIGKILL (its lease then expires). */
async function startBrokerProcess(prefix: string, brokerId: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CHILD, etcd.endpoint, prefix, String(brokerId), '2000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('registered')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`broker ${brokerId} exited (${code}):\n${out}`)));
  });
  return child;
}

async function activeController(brokers: { store: EtcdMetadataStore; controller: Controller }[]): Promise<Controller> {
  return (await pollUntil('an active controller', () => brokers.find((b) => b.controller.activeEpoch() !== null)))!.controller;
}

async function partitionStates(store: EtcdMetadataStore, topic: string, count: number): Promise<PartitionState[]> {
  const states: PartitionState[] = [];
  for (let p = 0; p < count; p++) states.push((await store.partition(topic, p))!.value);
  return states;
}

describe('controller', () => {
  it('assigns the replicas of a new topic over the registered brokers, and refuses a replication factor above their number', async () => {
    const prefix = `/sluice-test/${randomUUID()}/`;
    const brokers = [await startBroker(prefix, 1), await startBroker(prefix, 2)];
    await startBrokerProcess(prefix, 3);
    const controller = await activeController(brokers);
    await pollUntil('broker 3 in the controller image', () => controller.registeredBrokers()?.length === 3);

    const topic = await controller.createTopic({ name: 'orders', partitionCount: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    expect(topic.assignment).toEqual([
      [1, 2, 3],
      [2, 3, 1],
      [3, 1, 2],
    ]);
    const stored = await brokers[1]!.store.topic('orders');
    expect(stored!.value).toEqual(topic);
    expect(await partitionStates(brokers[1]!.store, 'orders', 3)).toEqual([
      { leader: 1, leaderEpoch: 0, isr: [1, 2, 3], partitionEpoch: 0 },
      { leader: 2, leaderEpoch: 0, isr: [2, 3, 1], partitionEpoch: 0 },
      { leader: 3, leaderEpoch: 0, isr: [3, 1, 2], partitionEpoch: 0 },
    ]);

    await expect(controller.createTopic({ name: 'wide', partitionCount: 1, replicationFactor: 4 })).rejects.toMatchObject({
      errorName: 'INVALID_REPLICATION_FACTOR',
    });
    await expect(controller.createTopic({ name: 'orders', partitionCount: 1, replicationFactor: 1 })).rejects.toMatchObject({
      errorName: 'TOPIC_ALREADY_EXISTS',
    });
    await expect(controller.createTopic({ name: 'x', partitionCount: 1, replicationFactor: 1, assignment: [[1, 9]] })).rejects.toMatchObject({
      errorName: 'INVALID_REPLICA_ASSIGNMENT',
    });
    const other = brokers.find((b) => b.controller !== controller)!.controller;
    await expect(other.createTopic({ name: 'y', partitionCount: 1, replicationFactor: 1 })).rejects.toMatchObject({ errorName: 'NOT_CONTROLLER' });
  });

  it('adds partitions as Kafka continues an assignment, and deletes topics with their partition states', async () => {
    const prefix = `/sluice-test/${randomUUID()}/`;
    const brokers = [await startBroker(prefix, 1), await startBroker(prefix, 2), await startBroker(prefix, 3)];
    const controller = await activeController(brokers);
    await pollUntil('3 brokers in the controller image', () => controller.registeredBrokers()?.length === 3);
    await controller.createTopic({ name: 'grow', partitionCount: 2, replicationFactor: 2 });
    const grown = await controller.createPartitions('grow', 6);
    expect(grown.assignment).toEqual(assignReplicasRackUnaware(6, 2, [1, 2, 3], { fixedStartIndex: 0 }));
    const store = brokers[0]!.store;
    expect((await store.partition('grow', 5))!.value).toEqual({ leader: grown.assignment[5]![0], leaderEpoch: 0, isr: grown.assignment[5], partitionEpoch: 0 });
    await expect(controller.createPartitions('grow', 6)).rejects.toMatchObject({ errorName: 'INVALID_PARTITIONS', message: 'Topic already has 6 partitions.' });
    await expect(controller.createPartitions('grow', 7, [[1, 1]])).rejects.toMatchObject({ errorName: 'INVALID_REPLICA_ASSIGNMENT' });
    await expect(controller.createPartitions('grow', 7, [[1]])).rejects.toMatchObject({ errorName: 'INVALID_REPLICA_ASSIGNMENT' });
    expect((await controller.createPartitions('grow', 7, [[3, 1]])).assignment[6]).toEqual([3, 1]);
    await expect(controller.createPartitions('nope', 2)).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });

    await controller.deleteTopic('grow');
    expect(await store.topic('grow')).toBeNull();
    expect(await store.partition('grow', 0)).toBeNull();
    expect((await store.snapshot()).partitions.has('grow')).toBe(false);
    await expect(controller.deleteTopic('grow')).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('moves leadership to an ISR member, bumping the epochs, when a broker crashes and its lease expires', async () => {
    const prefix = `/sluice-test/${randomUUID()}/`;
    const brokers = [await startBroker(prefix, 1), await startBroker(prefix, 2)];
    const broker3 = await startBrokerProcess(prefix, 3);
    const controller = await activeController(brokers);
    await pollUntil('broker 3 in the controller image', () => controller.registeredBrokers()?.length === 3);
    await controller.createTopic({ name: 't', partitionCount: 3, replicationFactor: 3 });
    // Partition 2 ([3,1,2]) lost broker 2 from its ISR earlier (the leader shrank it, AlterPartition).
    expect((await brokers[0]!.store.alterPartition('t', 2, 0, { leader: 3, leaderEpoch: 0, isr: [3, 1] })).ok).toBe(true);
    // Offline-capable: a topic whose only ISR member is broker 3.
    await controller.createTopic({ name: 'solo', partitionCount: 1, replicationFactor: 2, assignment: [[3, 1]] });
    await brokers[0]!.store.alterPartition('solo', 0, 0, { leader: 3, leaderEpoch: 0, isr: [3] });
    await controller.createTopic({
      name: 'dirty',
      partitionCount: 1,
      replicationFactor: 2,
      assignment: [[3, 2]],
      configs: { 'unclean.leader.election.enable': 'true' },
    });
    await brokers[0]!.store.alterPartition('dirty', 0, 0, { leader: 3, leaderEpoch: 0, isr: [3] });

    broker3.kill('SIGKILL');
    const store = brokers[1]!.store;
    await pollUntil('the controller to react to broker 3', async () => (await store.partition('dirty', 0))!.value.leader === 2, { timeoutMs: 20_000 });
    await controller.idle();
    expect(await partitionStates(store, 't', 3)).toEqual([
      { leader: 1, leaderEpoch: 0, isr: [1, 2], partitionEpoch: 1 }, // follower gone: ISR shrinks, same leader epoch
      { leader: 2, leaderEpoch: 0, isr: [2, 1], partitionEpoch: 1 },
      { leader: 1, leaderEpoch: 1, isr: [1], partitionEpoch: 2 }, // leader gone: next ISR member in assignment order
    ]);
    // The only ISR member is gone and unclean election is off: offline, broker 3 kept as the last ISR member.
    expect((await store.partition('solo', 0))!.value).toEqual({ leader: -1, leaderEpoch: 1, isr: [3], partitionEpoch: 2 });
    // unclean.leader.election.enable=true on the topic: the out-of-sync replica leads.
    expect((await store.partition('dirty', 0))!.value).toEqual({ leader: 2, leaderEpoch: 1, isr: [2], partitionEpoch: 2 });

    // Broker 3 returns: the offline partition gets its last ISR member back as leader.
    await startBrokerProcess(prefix, 3);
    await pollUntil('solo back online', async () => (await store.partition('solo', 0))!.value.leader === 3, { timeoutMs: 20_000 });
    expect((await store.partition('solo', 0))!.value).toEqual({ leader: 3, leaderEpoch: 2, isr: [3], partitionEpoch: 3 });
  });

  it('fails over when the controller broker goes away, and the new controller handles the next broker loss', async () => {
    const prefix = `/sluice-test/${randomUUID()}/`;
    const brokers = [await startBroker(prefix, 1), await startBroker(prefix, 2), await startBroker(prefix, 3)];
    const first = await activeController(brokers);
    await pollUntil('3 brokers in the controller image', () => first.registeredBrokers()?.length === 3);
    const firstEpoch = first.activeEpoch()!;
    await first.createTopic({ name: 't', partitionCount: 3, replicationFactor: 2 });

    const gone = brokers.find((b) => b.controller === first)!;
    first.close();
    await gone.store.close();
    const rest = brokers.filter((b) => b !== gone);
    const second = await activeController(rest);
    expect(second.activeEpoch()!).toBeGreaterThan(firstEpoch);
    await second.idle();
    const store = rest[0]!.store;
    for (let p = 0; p < 3; p++) {
      const state = (await store.partition('t', p))!.value;
      expect(state.isr).not.toContain(gone.store.brokerId);
      expect(state.leader).not.toBe(gone.store.brokerId);
      expect(rest.map((b) => b.store.brokerId)).toContain(state.leader);
    }
    // The old controller's epoch is fenced.
    await expect(
      store.createTopic({ name: 'late', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', assignment: [[1]], configs: {} }, [], { controllerEpoch: firstEpoch }),
    ).rejects.toMatchObject({
      errorName: 'NOT_CONTROLLER',
    });
  });
});
