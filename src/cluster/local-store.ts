/**
 * The metadata store of a single node (no --cluster): the same interface and rules as the etcd
 * store — revisions, create-if-absent, CAS on partition epochs, controller fencing, watches in
 * revision order — over an in-memory key-value map, with the same keys (keys.ts). The node is its
 * only broker and always its own controller; its session is never lost.
 *
 * Durability stays where it is today: open() seeds the store from the data directory's
 * meta.properties (the cluster id, created there on first start as before) and
 * sluice-topics.meta (each topic with every partition on this node: leader = this node, ISR =
 * [this node]). The store itself writes no file: the broker keeps writing its topic registry,
 * so a single node behaves exactly as before.
 */
import type { Logger } from '../logger.js';
import { getDefaultLogger } from '../logger.js';
import { KafkaError } from '../errors.js';
import { loadMetaProperties } from '../broker/meta-properties.js';
import { TopicRegistry } from '../broker/topic-registry.js';
import { BROKERS_PREFIX, CLUSTER_ID_KEY, CONTROLLER_KEY, brokerKey, changeOf, controllerOf, encode, partitionKey, partitionsPrefix, topicKey } from './keys.js';
import { ListenerSet, type Subscription } from './listeners.js';
import { applyChanges, emptySnapshot } from './metadata-image.js';
import type {
  BrokerRegistration,
  CasResult,
  ControllerFence,
  ControllerInfo,
  MetadataChange,
  MetadataSnapshot,
  MetadataStore,
  PartitionChange,
  PartitionState,
  SessionEvent,
  TopicRecord,
  Versioned,
} from './metadata-store.js';

interface Entry {
  value: string;
  createRevision: number;
  modRevision: number;
}

/** One write of a transaction: a value, or null to delete. */
type Write = [key: string, value: string | null];

const SESSION_ID = 'local';
const HISTORY_REVISIONS = 1000;

export class LocalMetadataStore implements MetadataStore {
  private readonly kv = new Map<string, Entry>();
  private revision = 0;
  private readonly logger: Logger;
  private readonly sessionListeners: ListenerSet<SessionEvent>;
  private readonly watchers = new Set<(changes: MetadataChange[]) => void>();
  private started = false;
  private closed = false;
  private elected: ControllerInfo | null = null;
  /** The changes of the last HISTORY_REVISIONS revisions, so a watch can continue a snapshot. */
  private readonly history: MetadataChange[][] = [];

  constructor(
    readonly brokerId: number,
    logger?: Logger,
  ) {
    this.logger = (logger ?? getDefaultLogger()).child({ component: 'local-metadata-store', brokerId });
    this.sessionListeners = new ListenerSet((err) => this.logger.error({ err }, 'session listener failed'));
  }

  /** A store seeded from a data directory's meta.properties and topic registry (see the file comment). */
  static async open(dataDir: string, config: { nodeId: number; clusterId: string | null }, logger?: Logger): Promise<LocalMetadataStore> {
    const store = new LocalMetadataStore(config.nodeId, logger);
    const clusterId = await loadMetaProperties(dataDir, config);
    const writes: Write[] = [[CLUSTER_ID_KEY, encode(clusterId)]];
    for (const t of TopicRegistry.load(dataDir).all()) {
      const assignment = Array.from({ length: t.partitionCount }, () => [config.nodeId]);
      writes.push([topicKey(t.name), encode({ name: t.name, topicId: t.topicId, assignment, configs: { ...t.configs } } satisfies TopicRecord)]);
      for (let p = 0; p < t.partitionCount; p++) {
        writes.push([
          partitionKey(t.name, p),
          encode({ leader: config.nodeId, leaderEpoch: 0, isr: [config.nodeId], partitionEpoch: 0 } satisfies PartitionState),
        ]);
      }
    }
    store.commit(writes);
    return store;
  }

  async start(): Promise<void> {
    this.started = true;
    this.sessionListeners.emit({ kind: 'established', sessionId: SESSION_ID });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const writes: Write[] = [[brokerKey(this.brokerId), null]];
    if (this.elected !== null) {
      const info = this.elected;
      this.elected = null;
      writes.push([CONTROLLER_KEY, null]);
      this.sessionListeners.emit({ kind: 'resigned', controller: info, reason: 'closed' });
    }
    this.commit(writes.filter(([k]) => this.kv.has(k)));
    this.sessionListeners.clear();
    this.watchers.clear();
  }

  onSession(listener: (event: SessionEvent) => void): Subscription {
    return this.sessionListeners.add(listener);
  }

  sessionAlive(): boolean {
    return this.started && !this.closed;
  }

  async clusterId(candidate: string): Promise<string> {
    const stored = this.kv.get(CLUSTER_ID_KEY);
    if (stored !== undefined) return JSON.parse(stored.value) as string;
    this.commit([[CLUSTER_ID_KEY, encode(candidate)]]);
    return candidate;
  }

  async register(registration: BrokerRegistration): Promise<void> {
    if (registration.brokerId !== this.brokerId) throw new Error(`registration for broker ${registration.brokerId} on the store of broker ${this.brokerId}`);
    this.commit([[brokerKey(registration.brokerId), encode(registration)]]);
  }

  async brokers(): Promise<BrokerRegistration[]> {
    return [...this.kv.entries()]
      .filter(([k]) => k.startsWith(BROKERS_PREFIX))
      .map(([, e]) => JSON.parse(e.value) as BrokerRegistration)
      .sort((a, b) => a.brokerId - b.brokerId);
  }

  /** Elected at once: nobody else campaigns here. Delivered asynchronously, as the etcd store does. */
  campaign(): void {
    if (this.elected !== null || this.closed) return;
    const revision = this.commit([[CONTROLLER_KEY, encode({ brokerId: this.brokerId })]]);
    const info = { brokerId: this.brokerId, epoch: revision };
    this.elected = info;
    queueMicrotask(() => {
      if (this.elected === info) this.sessionListeners.emit({ kind: 'elected', controller: info });
    });
  }

  async controller(): Promise<ControllerInfo | null> {
    const e = this.kv.get(CONTROLLER_KEY);
    return e === undefined ? null : controllerOf(e.value, e.createRevision);
  }

  activeControllerEpoch(): number | null {
    return this.elected?.epoch ?? null;
  }

  async topic(name: string): Promise<Versioned<TopicRecord> | null> {
    return this.read<TopicRecord>(topicKey(name));
  }

  async createTopic(topic: TopicRecord, partitions: PartitionState[], fence: ControllerFence): Promise<CasResult<TopicRecord>> {
    this.checkFence(fence);
    const current = this.read<TopicRecord>(topicKey(topic.name));
    if (current !== null) return { ok: false, current };
    const revision = this.commit([[topicKey(topic.name), encode(topic)], ...partitions.map((p, i): Write => [partitionKey(topic.name, i), encode(p)])]);
    return { ok: true, revision };
  }

  async updateTopic(
    topic: TopicRecord,
    expectedModRevision: number,
    addedPartitions: { partition: number; state: PartitionState }[],
    fence: ControllerFence,
  ): Promise<CasResult<TopicRecord>> {
    this.checkFence(fence);
    const current = this.read<TopicRecord>(topicKey(topic.name));
    if (current === null || current.modRevision !== expectedModRevision) return { ok: false, current };
    const writes: Write[] = [
      [topicKey(topic.name), encode(topic)],
      ...addedPartitions.map(({ partition, state }): Write => [partitionKey(topic.name, partition), encode(state)]),
    ];
    return { ok: true, revision: this.commit(writes) };
  }

  async deleteTopic(name: string, fence: ControllerFence): Promise<boolean> {
    this.checkFence(fence);
    const keys = [...this.kv.keys()].filter((k) => k === topicKey(name) || k.startsWith(partitionsPrefix(name)));
    this.commit(keys.map((k): Write => [k, null]));
    return keys.includes(topicKey(name));
  }

  async partition(topic: string, partition: number): Promise<Versioned<PartitionState> | null> {
    return this.read<PartitionState>(partitionKey(topic, partition));
  }

  async alterPartition(
    topic: string,
    partition: number,
    expectedPartitionEpoch: number,
    change: PartitionChange,
    fence?: ControllerFence,
  ): Promise<CasResult<PartitionState>> {
    if (fence !== undefined) this.checkFence(fence);
    const current = this.read<PartitionState>(partitionKey(topic, partition));
    if (current === null || current.value.partitionEpoch !== expectedPartitionEpoch) return { ok: false, current };
    const next: PartitionState = { leader: change.leader, leaderEpoch: change.leaderEpoch, isr: [...change.isr], partitionEpoch: expectedPartitionEpoch + 1 };
    return { ok: true, revision: this.commit([[partitionKey(topic, partition), encode(next)]]) };
  }

  async snapshot(): Promise<MetadataSnapshot> {
    const snapshot = emptySnapshot(this.revision);
    const changes = [...this.kv.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, e]) => changeOf(k, e.value, e.modRevision, e.createRevision))
      .filter((c): c is MetadataChange => c !== null);
    applyChanges(snapshot, changes);
    snapshot.revision = this.revision;
    return snapshot;
  }

  /** Replays the kept history after `afterRevision`, then delivers new changes (all asynchronously, in order). */
  watch(afterRevision: number, listener: (changes: MetadataChange[]) => void, onEnd?: (reason: string) => void): Subscription {
    const oldest = this.history[0]?.[0]?.revision ?? this.revision + 1;
    if (afterRevision + 1 < oldest && afterRevision < this.revision) {
      const reason = `the local metadata store keeps the last ${HISTORY_REVISIONS} revisions: cannot watch from ${afterRevision + 1} (oldest ${oldest})`;
      queueMicrotask(() => onEnd?.(reason));
      return { unsubscribe: () => undefined };
    }
    const deliver = (changes: MetadataChange[]) => listener(changes);
    this.watchers.add(deliver);
    const missed = this.history.filter((g) => g[0]!.revision > afterRevision);
    if (missed.length > 0) {
      queueMicrotask(() => {
        for (const g of missed) if (this.watchers.has(deliver)) deliver(g);
      });
    }
    return { unsubscribe: () => void this.watchers.delete(deliver) };
  }

  private read<T>(key: string): Versioned<T> | null {
    const e = this.kv.get(key);
    return e === undefined ? null : { value: JSON.parse(e.value) as T, modRevision: e.modRevision };
  }

  private checkFence(fence: ControllerFence): void {
    const e = this.kv.get(CONTROLLER_KEY);
    if (e === undefined || e.createRevision !== fence.controllerEpoch) {
      throw new KafkaError('NOT_CONTROLLER', `controller epoch ${fence.controllerEpoch} is no longer the active controller`);
    }
  }

  /** Applies the writes as one revision and hands the changes, in write order as etcd does, to the watchers (after this call returns). */
  private commit(writes: Write[]): number {
    if (writes.length === 0) return this.revision;
    const revision = ++this.revision;
    const changes: MetadataChange[] = [];
    for (const [key, value] of writes) {
      const before = this.kv.get(key);
      if (value === null) {
        if (before === undefined) continue;
        this.kv.delete(key);
      } else {
        this.kv.set(key, { value, createRevision: before?.createRevision ?? revision, modRevision: revision });
      }
      const change = changeOf(key, value, revision, before?.createRevision ?? revision);
      if (change !== null) changes.push(change);
    }
    if (changes.length === 0) return revision;
    this.history.push(changes);
    if (this.history.length > HISTORY_REVISIONS) this.history.shift();
    if (this.watchers.size > 0) {
      const watchers = [...this.watchers];
      // Microtasks run in the order they were queued: revisions reach each watcher in order.
      queueMicrotask(() => {
        for (const w of watchers) if (this.watchers.has(w)) w(changes);
      });
    }
    return revision;
  }
}
