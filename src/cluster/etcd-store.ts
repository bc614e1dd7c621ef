/**
 * The metadata store on etcd (v3 API, through the `etcd3` client): keys and values as keys.ts
 * lays them out, under the cluster prefix.
 *
 * Session (etcd-session.ts): one lease at a time; the broker's registration and, when it wins,
 * the controller key are attached to it, so both vanish when it expires. When the session is
 * lost the store resigns as controller and emits `lost`; on each new session it re-registers and
 * campaigns again if it was campaigning, then emits `established`.
 *
 * Controller election: whoever creates the `controller` key (compare create_revision == 0)
 * under its lease is the controller; the key's create revision is its epoch. The others wait
 * for the key's deletion (lease end or resignation) and try again. Controller writes carry the
 * epoch as a compare on the key's create revision, so a deposed controller cannot write.
 *
 * Requests time out after request.timeout.ms; watch streams reconnect with a short backoff and
 * resume from the last revision they delivered, so changes are neither lost nor repeated.
 */
import { ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleWhen, retry, type IBackoff } from 'cockatiel';
import { Etcd3, isRecoverableError, type Namespace, type IKeyValue, type ITxnResponse, type Watcher } from 'etcd3';
import { KafkaError } from '../errors.js';
import type { Logger } from '../logger.js';
import { getDefaultLogger } from '../logger.js';
import { BROKERS_PREFIX, CLUSTER_ID_KEY, CONTROLLER_KEY, brokerKey, changeOf, controllerOf, encode, partitionKey, partitionsPrefix, topicKey } from './keys.js';
import { EtcdSession } from './etcd-session.js';
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

export interface EtcdStoreOptions {
  /** host:port of each etcd member. */
  endpoints: string[];
  /** Key prefix of this cluster, ending in '/'. */
  prefix: string;
  brokerId: number;
  /** broker.session.timeout.ms: the lease TTL (rounded up to whole seconds, at least 1 s). */
  sessionTimeoutMs: number;
  /** Deadline of each etcd request. */
  requestTimeoutMs: number;
  logger?: Logger;
}

function rev(value: string | number): number {
  return Number(value);
}

export class EtcdMetadataStore implements MetadataStore {
  readonly brokerId: number;
  private readonly client: Etcd3;
  private readonly ns: Namespace;
  private readonly ttlSeconds: number;
  private readonly logger: Logger;
  private readonly sessionListeners: ListenerSet<SessionEvent>;

  private readonly session: EtcdSession;
  private closed = false;

  private registration: BrokerRegistration | null = null;
  private campaigning = false;
  private controllerWatch: Promise<Watcher> | null = null;
  private elected: ControllerInfo | null = null;
  private campaignRunning = false;
  private campaignAgain = false;

  constructor(private readonly options: EtcdStoreOptions) {
    this.brokerId = options.brokerId;
    this.logger = (options.logger ?? getDefaultLogger()).child({ component: 'etcd-store', brokerId: options.brokerId });
    this.sessionListeners = new ListenerSet((err) => this.logger.error({ err }, 'session listener failed'));
    this.ttlSeconds = Math.max(1, Math.ceil(options.sessionTimeoutMs / 1000));
    const deadlineMs = options.requestTimeoutMs;
    this.client = new Etcd3({
      hosts: options.endpoints.map((e) => (e.includes('://') ? e : `http://${e}`)),
      dialTimeout: deadlineMs,
      // Streams (watch, keepalive) have no deadline; every unary call has one, so a stopped etcd
      // fails a request instead of hanging it.
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + deadlineMs }),
      faultHandling: {
        host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 500, breaker: new ConsecutiveBreaker(3) }),
        global: retry(handleWhen(isRecoverableError), { maxAttempts: 1 }),
        // etcd3 calls .next() on this to start each reconnect sequence, as its own default (a
        // backoff factory) expects; its typings ask for the IBackoff that .next() returns.
        watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }) as unknown as IBackoff<unknown>,
      },
    });
    this.ns = this.client.namespace(options.prefix);
    this.session = new EtcdSession(this.ns, this.ttlSeconds, this.logger, {
      established: async (leaseId) => {
        if (this.registration !== null) await this.putRegistration(this.registration, leaseId);
        this.logger.info({ sessionId: leaseId, ttlSeconds: this.ttlSeconds }, 'etcd session established');
        this.sessionListeners.emit({ kind: 'established', sessionId: leaseId });
        if (this.campaigning) this.kickCampaign();
      },
      lost: (leaseId, reason) => {
        if (this.elected !== null) this.resign(`session lost: ${reason}`);
        this.sessionListeners.emit({ kind: 'lost', sessionId: leaseId, reason });
      },
    });
  }

  async start(): Promise<void> {
    await this.session.start();
    this.controllerWatch = this.ns
      .watch()
      .key(CONTROLLER_KEY)
      .create()
      .then((w) => {
        w.on('delete', () => this.onControllerKeyDeleted());
        w.on('error', (err) => this.logger.warn({ err }, 'controller watch failed'));
        return w;
      });
    await this.controllerWatch;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.campaigning = false;
    if (this.controllerWatch !== null) await (await this.controllerWatch).cancel().catch(() => undefined);
    if (this.elected !== null) this.resign('closed');
    await this.session.close();
    this.sessionListeners.clear();
    this.client.close();
  }

  onSession(listener: (event: SessionEvent) => void): Subscription {
    return this.sessionListeners.add(listener);
  }

  sessionAlive(): boolean {
    return this.session.id() !== null;
  }

  // ---- registration ----

  async register(registration: BrokerRegistration): Promise<void> {
    if (registration.brokerId !== this.brokerId) throw new Error(`registration for broker ${registration.brokerId} on the store of broker ${this.brokerId}`);
    this.registration = registration;
    const leaseId = this.session.id();
    if (leaseId !== null) await this.putRegistration(registration, leaseId);
  }

  private async putRegistration(registration: BrokerRegistration, leaseId: string): Promise<void> {
    await this.ns.put(brokerKey(registration.brokerId)).value(encode(registration)).lease(leaseId).exec();
  }

  async brokers(): Promise<BrokerRegistration[]> {
    const values = await this.ns.getAll().prefix(BROKERS_PREFIX).strings();
    return Object.values(values)
      .map((v) => JSON.parse(v) as BrokerRegistration)
      .sort((a, b) => a.brokerId - b.brokerId);
  }

  // ---- cluster id ----

  async clusterId(candidate: string): Promise<string> {
    const res = await this.ns
      .if(CLUSTER_ID_KEY, 'Create', '==', 0)
      .then(this.ns.put(CLUSTER_ID_KEY).value(encode(candidate)))
      .else(this.ns.get(CLUSTER_ID_KEY))
      .commit();
    if (res.succeeded) return candidate;
    return JSON.parse(firstKv(res)!.value.toString()) as string;
  }

  // ---- controller election ----

  campaign(): void {
    this.campaigning = true;
    this.kickCampaign();
  }

  activeControllerEpoch(): number | null {
    return this.elected?.epoch ?? null;
  }

  async controller(): Promise<ControllerInfo | null> {
    const res = await this.ns.get(CONTROLLER_KEY).exec();
    const kv = res.kvs[0];
    return kv === undefined ? null : controllerOf(kv.value.toString(), rev(kv.create_revision));
  }

  /** Runs one campaign attempt, or one more after the running one when asked meanwhile. */
  private kickCampaign(): void {
    if (this.campaignRunning) {
      this.campaignAgain = true;
      return;
    }
    this.campaignRunning = true;
    void (async () => {
      do {
        this.campaignAgain = false;
        try {
          await this.campaignOnce();
        } catch (err) {
          this.logger.warn({ err }, 'controller campaign attempt failed');
          // A failed request is retried when the session is reopened or the key changes.
        }
      } while (this.campaignAgain && !this.closed);
      this.campaignRunning = false;
    })();
  }

  private async campaignOnce(): Promise<void> {
    const sessionId = this.session.id();
    if (!this.campaigning || sessionId === null || this.elected !== null || this.closed) return;
    const res = await this.ns
      .if(CONTROLLER_KEY, 'Create', '==', 0)
      .then(
        this.ns
          .put(CONTROLLER_KEY)
          .value(encode({ brokerId: this.brokerId }))
          .lease(sessionId),
      )
      .else(this.ns.get(CONTROLLER_KEY))
      .commit();
    if (this.session.id() !== sessionId) return; // the session ended meanwhile
    if (res.succeeded) {
      this.becomeController({ brokerId: this.brokerId, epoch: rev(res.header.revision) });
      return;
    }
    const kv = firstKv(res);
    // Still ours from this same session (an answer lost on the way back): take it up again.
    if (kv !== undefined && kv.lease === sessionId) this.becomeController(controllerOf(kv.value.toString(), rev(kv.create_revision)));
    // Otherwise someone else leads; the watch on the key calls again when it is deleted.
    else if (kv === undefined) this.campaignAgain = true;
  }

  private becomeController(info: ControllerInfo): void {
    this.elected = info;
    this.logger.info({ controllerEpoch: info.epoch }, 'elected controller');
    this.sessionListeners.emit({ kind: 'elected', controller: info });
  }

  private resign(reason: string): void {
    const info = this.elected!;
    this.elected = null;
    this.logger.info({ controllerEpoch: info.epoch, reason }, 'no longer controller');
    this.sessionListeners.emit({ kind: 'resigned', controller: info, reason });
  }

  private onControllerKeyDeleted(): void {
    if (this.elected !== null) this.resign('controller key deleted');
    if (this.campaigning) this.kickCampaign();
  }

  // ---- topics and partitions ----

  async topic(name: string): Promise<Versioned<TopicRecord> | null> {
    const kv = (await this.ns.get(topicKey(name)).exec()).kvs[0];
    return kv === undefined ? null : { value: JSON.parse(kv.value.toString()) as TopicRecord, modRevision: rev(kv.mod_revision) };
  }

  async createTopic(topic: TopicRecord, partitions: PartitionState[], fence: ControllerFence): Promise<CasResult<TopicRecord>> {
    const puts = [
      this.ns.put(topicKey(topic.name)).value(encode(topic)),
      ...partitions.map((p, i) => this.ns.put(partitionKey(topic.name, i)).value(encode(p))),
    ];
    const res = await this.ns
      .if(topicKey(topic.name), 'Create', '==', 0)
      .and(CONTROLLER_KEY, 'Create', '==', fence.controllerEpoch)
      .then(...puts)
      .else(this.ns.get(topicKey(topic.name)), this.ns.get(CONTROLLER_KEY))
      .commit();
    if (res.succeeded) return { ok: true, revision: rev(res.header.revision) };
    this.checkFence(res, 1, fence);
    const kv = firstKv(res)!;
    return { ok: false, current: { value: JSON.parse(kv.value.toString()) as TopicRecord, modRevision: rev(kv.mod_revision) } };
  }

  async updateTopic(
    topic: TopicRecord,
    expectedModRevision: number,
    addedPartitions: { partition: number; state: PartitionState }[],
    fence: ControllerFence,
  ): Promise<CasResult<TopicRecord>> {
    const puts = [
      this.ns.put(topicKey(topic.name)).value(encode(topic)),
      ...addedPartitions.map(({ partition, state }) => this.ns.put(partitionKey(topic.name, partition)).value(encode(state))),
    ];
    const res = await this.ns
      .if(topicKey(topic.name), 'Mod', '==', expectedModRevision)
      .and(CONTROLLER_KEY, 'Create', '==', fence.controllerEpoch)
      .then(...puts)
      .else(this.ns.get(topicKey(topic.name)), this.ns.get(CONTROLLER_KEY))
      .commit();
    if (res.succeeded) return { ok: true, revision: rev(res.header.revision) };
    this.checkFence(res, 1, fence);
    const kv = firstKv(res);
    return { ok: false, current: kv === undefined ? null : { value: JSON.parse(kv.value.toString()) as TopicRecord, modRevision: rev(kv.mod_revision) } };
  }

  async deleteTopic(name: string, fence: ControllerFence): Promise<boolean> {
    const res = await this.ns
      .if(CONTROLLER_KEY, 'Create', '==', fence.controllerEpoch)
      .then(this.ns.delete().key(topicKey(name)), this.ns.delete().prefix(partitionsPrefix(name)))
      .else(this.ns.get(CONTROLLER_KEY))
      .commit();
    if (!res.succeeded) this.checkFence(res, 0, fence);
    return rev(res.responses[0]!.response_delete_range.deleted) > 0;
  }

  async partition(topic: string, partition: number): Promise<Versioned<PartitionState> | null> {
    const kv = (await this.ns.get(partitionKey(topic, partition)).exec()).kvs[0];
    return kv === undefined ? null : { value: JSON.parse(kv.value.toString()) as PartitionState, modRevision: rev(kv.mod_revision) };
  }

  async alterPartition(
    topic: string,
    partition: number,
    expectedPartitionEpoch: number,
    change: PartitionChange,
    fence?: ControllerFence,
  ): Promise<CasResult<PartitionState>> {
    const key = partitionKey(topic, partition);
    for (;;) {
      const current = await this.partition(topic, partition);
      if (current === null || current.value.partitionEpoch !== expectedPartitionEpoch) return { ok: false, current };
      const next: PartitionState = { leader: change.leader, leaderEpoch: change.leaderEpoch, isr: [...change.isr], partitionEpoch: expectedPartitionEpoch + 1 };
      let txn = this.ns.if(key, 'Mod', '==', current.modRevision);
      if (fence !== undefined) txn = txn.and(CONTROLLER_KEY, 'Create', '==', fence.controllerEpoch);
      const res = await txn
        .then(this.ns.put(key).value(encode(next)))
        .else(this.ns.get(CONTROLLER_KEY))
        .commit();
      if (res.succeeded) return { ok: true, revision: rev(res.header.revision) };
      if (fence !== undefined) this.checkFence(res, 0, fence);
      // Written meanwhile: compare the partition epoch again.
    }
  }

  /** Throws NOT_CONTROLLER when the failed transaction's read of the controller key shows another epoch. */
  private checkFence(res: ITxnResponse, index: number, fence: ControllerFence): void {
    const kv = res.responses[index]?.response_range.kvs[0];
    if (kv === undefined || rev(kv.create_revision) !== fence.controllerEpoch) {
      throw new KafkaError('NOT_CONTROLLER', `controller epoch ${fence.controllerEpoch} is no longer the active controller`);
    }
  }

  // ---- snapshot and watch ----

  async snapshot(): Promise<MetadataSnapshot> {
    const res = await this.ns.getAll().prefix('').exec();
    const revision = rev(res.header.revision);
    const snapshot = emptySnapshot(revision);
    const changes: MetadataChange[] = [];
    for (const kv of res.kvs) {
      const change = changeOf(kv.key.toString(), kv.value.toString(), rev(kv.mod_revision), rev(kv.create_revision));
      if (change !== null) changes.push(change);
    }
    applyChanges(snapshot, changes);
    snapshot.revision = revision;
    return snapshot;
  }

  watch(afterRevision: number, listener: (changes: MetadataChange[]) => void, onEnd?: (reason: string) => void): Subscription {
    let cancelled = false;
    const watcher = this.ns
      .watch()
      .prefix('')
      .startRevision(String(afterRevision + 1))
      .create()
      .then((w) => {
        w.on('data', (res) => {
          if (cancelled) return;
          // One response holds whole revisions, in order; a transaction's events share one.
          let group: MetadataChange[] = [];
          let groupRevision = -1;
          for (const ev of res.events) {
            const revision = rev(ev.kv.mod_revision);
            if (revision !== groupRevision && group.length > 0) {
              listener(group);
              group = [];
            }
            groupRevision = revision;
            const change = changeOf(ev.kv.key.toString(), ev.type === 'Delete' ? null : ev.kv.value.toString(), revision, rev(ev.kv.create_revision));
            if (change !== null) group.push(change);
          }
          if (group.length > 0) listener(group);
        });
        // etcd cancels a watch whose start revision was compacted away.
        w.on('error', (err) => {
          this.logger.warn({ err, afterRevision }, 'metadata watch ended by etcd');
          if (!cancelled) {
            cancelled = true;
            // etcd 3.4 gives no cancel reason for a compacted start revision.
            onEnd?.(
              `etcd cancelled the watch from revision ${afterRevision + 1} (${err.message.replace(/^Watcher canceled: $/, 'its history was compacted')})`,
            );
          }
        });
        w.on('disconnected', (err) => this.logger.warn({ err: err as unknown }, 'metadata watch disconnected'));
        return w;
      });
    watcher.catch((err: unknown) => this.logger.error({ err }, 'metadata watch not created'));
    return {
      unsubscribe: () => {
        cancelled = true;
        void watcher.then((w) => w.cancel()).catch(() => undefined);
      },
    };
  }
}

function firstKv(res: ITxnResponse): IKeyValue | undefined {
  return res.responses[0]?.response_range?.kvs[0];
}
