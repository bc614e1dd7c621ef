import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EtcdMetadataStore } from '../../../src/cluster/etcd-store.js';
import { applyChanges } from '../../../src/cluster/metadata-image.js';
import type { BrokerRegistration, MetadataChange, SessionEvent } from '../../../src/cluster/metadata-store.js';
import { startEtcd, type EtcdProcess } from '../../helpers/etcd.js';
import { quietLogger } from '../../helpers/logger.js';
import { pollUntil } from '../../helpers/wait.js';

let etcd: EtcdProcess;
const opened: EtcdMetadataStore[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
}, 120_000);

afterAll(async () => {
  await etcd?.stop();
});

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

/** A fresh prefix per test: each test has a cluster of its own in the one etcd. */
function newCluster(): string {
  return `/sluice-test/${randomUUID()}/`;
}

async function openStore(prefix: string, brokerId: number, sessionTimeoutMs = 2000): Promise<EtcdMetadataStore> {
  const store = new EtcdMetadataStore({
    endpoints: [etcd.endpoint],
    prefix,
    brokerId,
    sessionTimeoutMs,
    requestTimeoutMs: 2000,
    logger: quietLogger(),
  });
  opened.push(store);
  await store.start();
  return store;
}

const CHILD = fileURLToPath(new URL('../../helpers/etcd-store-child.mjs', import.meta.url));
const children: ChildProcess[] = [];

/** A store in a child process (test/helpers/etcd-store-child.mjs); resolves once it printed `until`. */
async function spawnStore(prefix: string, brokerId: number, args: string[], until: RegExp): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, [CHILD, etcd.endpoint, prefix, String(brokerId), '2000', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.split('\n').find((l) => until.test(l));
      if (m !== undefined) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`store child exited (${code}):\n${out}`)));
  });
  return { child, line };
}

function registration(brokerId: number, rack: string | null = null): BrokerRegistration {
  return { brokerId, endpoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 + brokerId, securityProtocol: 'PLAINTEXT' }], rack };
}

function events(store: EtcdMetadataStore): SessionEvent[] {
  const seen: SessionEvent[] = [];
  store.onSession((e) => seen.push(e));
  return seen;
}

const FENCE_NONE = { controllerEpoch: 0 };

describe('etcd metadata store', () => {
  it('a registered broker is visible to another store and vanishes when its lease expires', async () => {
    const prefix = newCluster();
    const { child } = await spawnStore(prefix, 1, [], /^registered$/);
    const b = await openStore(prefix, 2);
    await b.register(registration(2, 'rack-b'));
    expect(await b.brokers()).toEqual([registration(1), registration(2, 'rack-b')]);

    // Broker 1 crashes: nobody revokes its lease or keeps it alive; etcd expires it.
    child.kill('SIGKILL');
    await pollUntil('broker 1 to vanish after its lease TTL', async () => (await b.brokers()).length === 1, { timeoutMs: 20_000 });
    expect(await b.brokers()).toEqual([registration(2, 'rack-b')]);
  });

  it('close() removes the registration at once', async () => {
    const prefix = newCluster();
    const a = await openStore(prefix, 1, 60_000);
    const b = await openStore(prefix, 2);
    await a.register(registration(1));
    expect((await b.brokers()).map((r) => r.brokerId)).toEqual([1]);
    await a.close();
    expect(await b.brokers()).toEqual([]);
  });

  it('the cluster id is created once when many brokers start at the same time', async () => {
    const prefix = newCluster();
    const stores = await Promise.all([1, 2, 3, 4, 5].map((id) => openStore(prefix, id)));
    const ids = await Promise.all(stores.map((s, i) => s.clusterId(`candidate-${i}`)));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^candidate-[0-4]$/);
    expect(await stores[0]!.clusterId('late')).toBe(ids[0]);
  });

  it('one broker wins the controller election and another takes over when its session ends', async () => {
    const prefix = newCluster();
    const stores = await Promise.all([1, 2, 3].map((id) => openStore(prefix, id)));
    const seen = stores.map(events);
    for (const s of stores) s.campaign();
    const first = await pollUntil('a controller', () => stores.find((s) => s.activeControllerEpoch() !== null));
    expect(stores.filter((s) => s.activeControllerEpoch() !== null)).toHaveLength(1);
    const info = await first.controller();
    expect(info).toEqual({ brokerId: first.brokerId, epoch: first.activeControllerEpoch() });

    await first.close();
    const second = await pollUntil('a new controller', () => stores.find((s) => s !== first && s.activeControllerEpoch() !== null));
    expect(second.activeControllerEpoch()).toBeGreaterThan(info!.epoch);
    expect(stores.filter((s) => s.activeControllerEpoch() !== null)).toEqual([second]);
    const elected = seen[stores.indexOf(second)]!.filter((e) => e.kind === 'elected');
    expect(elected).toEqual([{ kind: 'elected', controller: { brokerId: second.brokerId, epoch: second.activeControllerEpoch() } }]);
    expect(seen[stores.indexOf(first)]!.map((e) => e.kind)).toEqual(['elected', 'resigned']);
  });

  it('a deposed controller cannot write: its writes fail with NOT_CONTROLLER', async () => {
    const prefix = newCluster();
    const a = await openStore(prefix, 1);
    a.campaign();
    const epoch = await pollUntil('controller', () => a.activeControllerEpoch());
    const topic = { name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', assignment: [[1]], configs: {} };
    expect((await a.createTopic(topic, [{ leader: 1, leaderEpoch: 0, isr: [1], partitionEpoch: 0 }], { controllerEpoch: epoch })).ok).toBe(true);
    await expect(a.createTopic({ ...topic, name: 'u' }, [], { controllerEpoch: epoch - 1 })).rejects.toMatchObject({ errorName: 'NOT_CONTROLLER' });
    await expect(a.alterPartition('t', 0, 0, { leader: 1, leaderEpoch: 1, isr: [1] }, { controllerEpoch: epoch + 1 })).rejects.toMatchObject({
      errorName: 'NOT_CONTROLLER',
    });
    expect((await a.partition('t', 0))!.value.partitionEpoch).toBe(0);
  });

  it('a partition change with a stale partition epoch is refused and returns the current state', async () => {
    const prefix = newCluster();
    const a = await openStore(prefix, 1);
    const b = await openStore(prefix, 2);
    a.campaign();
    const epoch = await pollUntil('controller', () => a.activeControllerEpoch());
    const topic = { name: 'orders', topicId: 'BBBBBBBBBBBBBBBBBBBBBB', assignment: [[1, 2]], configs: { 'min.insync.replicas': '2' } };
    await a.createTopic(topic, [{ leader: 1, leaderEpoch: 0, isr: [1, 2], partitionEpoch: 0 }], { controllerEpoch: epoch });
    expect((await b.topic('orders'))!.value).toEqual(topic);

    // Two writers read epoch 0; the first one's change wins, the second is told what is there now.
    const [r1, r2] = await Promise.all([
      b.alterPartition('orders', 0, 0, { leader: 1, leaderEpoch: 0, isr: [1] }),
      b.alterPartition('orders', 0, 0, { leader: 1, leaderEpoch: 0, isr: [1, 2] }),
    ]);
    const wins = [r1, r2].filter((r) => r.ok);
    expect(wins).toHaveLength(1);
    const lost = [r1, r2].find((r) => !r.ok)!;
    expect(lost.ok === false && lost.current?.value.partitionEpoch).toBe(1);
    const stored = (await a.partition('orders', 0))!.value;
    expect(stored.partitionEpoch).toBe(1);

    // Creating an existing topic tells what exists.
    const again = await a.createTopic({ ...topic, topicId: 'CCCCCCCCCCCCCCCCCCCCCC' }, [], { controllerEpoch: epoch });
    expect(again.ok === false && again.current?.value.topicId).toBe('BBBBBBBBBBBBBBBBBBBBBB');
    expect(await a.deleteTopic('orders', FENCE_NONE).catch((e: { errorName: string }) => e.errorName)).toBe('NOT_CONTROLLER');
    expect(await a.deleteTopic('orders', { controllerEpoch: epoch })).toBe(true);
    expect(await b.partition('orders', 0)).toBeNull();
  });

  it('a watch delivers every change in revision order, a transaction as one group, continuing a snapshot', async () => {
    const prefix = newCluster();
    const a = await openStore(prefix, 1);
    const b = await openStore(prefix, 2);
    a.campaign();
    const epoch = await pollUntil('controller', () => a.activeControllerEpoch());
    const snap = await b.snapshot();
    expect(snap.controller).toEqual({ brokerId: 1, epoch });
    const groups: MetadataChange[][] = [];
    const sub = b.watch(snap.revision, (g) => groups.push(g));
    await new Promise((r) => setTimeout(r, 200)); // the watch stream is open before the writes

    await a.register(registration(1));
    await a.createTopic(
      { name: 't', topicId: 'DDDDDDDDDDDDDDDDDDDDDD', assignment: [[1], [1]], configs: {} },
      [0, 1].map(() => ({ leader: 1, leaderEpoch: 0, isr: [1], partitionEpoch: 0 })),
      { controllerEpoch: epoch },
    );
    for (let i = 0; i < 20; i++) await a.alterPartition('t', 1, i, { leader: 1, leaderEpoch: i + 1, isr: [1] });
    await pollUntil('all changes', () => groups.length === 22, { timeoutMs: 10_000 });
    sub.unsubscribe();

    const revisions = groups.map((g) => g[0]!.revision);
    expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(groups[0]).toEqual([{ kind: 'broker', revision: revisions[0], brokerId: 1, registration: registration(1) }]);
    expect(groups[1]!.map((c) => c.kind)).toEqual(['topic', 'partition', 'partition']);
    const epochs = groups.slice(2).map((g) => (g[0]!.kind === 'partition' ? g[0]!.state?.leaderEpoch : null));
    expect(epochs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('ends a watch whose start revision etcd compacted away, so the watcher takes a new snapshot', async () => {
    const prefix = newCluster();
    const a = await openStore(prefix, 1);
    const start = (await a.snapshot()).revision;
    await a.register(registration(1));
    await a.register(registration(1, 'moved'));
    const latest = (await a.snapshot()).revision;
    const admin = new Etcd3({ hosts: etcd.endpoint });
    try {
      await admin.kv.compact({ revision: String(latest) });
    } finally {
      admin.close();
    }
    const delivered: MetadataChange[][] = [];
    const reason = await new Promise<string>((resolve) => a.watch(start, (g) => delivered.push(g), resolve));
    expect(reason).toBe(`etcd cancelled the watch from revision ${start + 1} (its history was compacted)`);
    expect(delivered).toEqual([]);
  });

  it('etcd stopped for less than the session timeout: the session survives and requests work again', async () => {
    const prefix = newCluster();
    const a = await openStore(prefix, 1, 6000);
    const seen = events(a);
    await a.register(registration(1));
    etcd.pause();
    await new Promise((r) => setTimeout(r, 1000));
    etcd.resume();
    await pollUntil('etcd to answer again', () => a.brokers(), { retryErrors: true });
    expect(await a.brokers()).toEqual([registration(1)]);
    expect(a.sessionAlive()).toBe(true);
    expect(seen).toEqual([]);
  });

  it('etcd stopped past the session timeout: the session is lost (controller resigns), then renewed and the broker re-registered', async () => {
    const prefix = newCluster();
    const a = await openStore(prefix, 1);
    const seen = events(a);
    await a.register(registration(1));
    a.campaign();
    const epoch = await pollUntil('controller', () => a.activeControllerEpoch());
    // Another broker (longer session) watches through the outage.
    const b = await openStore(prefix, 2, 60_000);
    const snap = await b.snapshot();
    const image = structuredClone(snap);
    const groups: MetadataChange[][] = [];
    b.watch(snap.revision, (g) => {
      groups.push(g);
      applyChanges(image, g);
    });
    await new Promise((r) => setTimeout(r, 200));
    etcd.pause();
    try {
      await pollUntil('the session to be declared lost', () => !a.sessionAlive(), { timeoutMs: 10_000 });
      expect(a.activeControllerEpoch()).toBeNull();
    } finally {
      etcd.resume();
    }
    await pollUntil('a new session', () => a.sessionAlive() && a.activeControllerEpoch() !== null, { timeoutMs: 20_000 });
    expect(a.activeControllerEpoch()).toBeGreaterThan(epoch);
    expect(await a.brokers()).toEqual([registration(1)]);
    expect(seen.map((e) => e.kind)).toEqual(['elected', 'resigned', 'lost', 'established', 'elected']);

    // The watch resumed where it was: it ends where etcd is, with no revision lost or repeated.
    const now = await b.snapshot();
    await pollUntil(
      'the watch to catch up',
      () => JSON.stringify(image.controller) === JSON.stringify(now.controller) && image.brokers.size === now.brokers.size,
    );
    expect(image.brokers).toEqual(now.brokers);
    const revisions = groups.map((g) => g[0]!.revision);
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
  });
});
