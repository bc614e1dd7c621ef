/**
 * What a broker needs from the cluster metadata store (DESIGN.md, cluster mode): its own
 * registration under a session, the live brokers, the controller election, the cluster id, the
 * topics with their replica assignments and the per-partition state (leader, leader epoch, ISR,
 * partition epoch), every write a compare-and-swap, and one ordered stream of changes.
 *
 * Two implementations behind this interface: EtcdMetadataStore (etcd-store.ts, several brokers)
 * and LocalMetadataStore (local-store.ts, one node that is always its own controller). The key
 * layout and value encodings are in keys.ts; docs/cluster.md describes who writes what.
 *
 * Revisions are the store's global, increasing write counter (etcd's revision): every change is
 * delivered with the revision that made it, and changes reach watchers in revision order.
 */
import type { Subscription } from './listeners.js';

export type { Subscription } from './listeners.js';

export interface BrokerEndpoint {
  /** Listener name, e.g. PLAINTEXT. */
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}

/** brokers/<id>: written by the broker itself under its session lease; gone when the lease ends. */
export interface BrokerRegistration {
  brokerId: number;
  /** The advertised listeners clients and other brokers connect to. */
  endpoints: BrokerEndpoint[];
  rack: string | null;
}

/** topics/<name>: written once at creation (by the controller), changed by partition additions and config changes. */
export interface TopicRecord {
  name: string;
  /** 22-character base64url UUID, as Kafka prints topic ids. */
  topicId: string;
  /** assignment[p] = the replicas of partition p, preferred leader first. */
  assignment: number[][];
  /** Topic config overrides, Kafka config names. */
  configs: Record<string, string>;
}

/** No leader: every ISR member is offline and unclean election is off (Kafka's -1). */
export const NO_LEADER = -1;

/** partitions/<topic>/<p>: Kafka's PartitionRegistration, minus what the assignment already says. */
export interface PartitionState {
  leader: number;
  /** Bumped by the controller on every leader change; fences the previous leader. */
  leaderEpoch: number;
  isr: number[];
  /** Bumped on every change of this record (leader or ISR): the CAS token of AlterPartition. */
  partitionEpoch: number;
}

export interface Versioned<T> {
  value: T;
  /** The revision that last wrote the value (etcd mod_revision). */
  modRevision: number;
}

/** The active controller; `epoch` is the revision that created the controller key, increasing across elections. */
export interface ControllerInfo {
  brokerId: number;
  epoch: number;
}

/** The whole cluster state at one revision: a watch from `revision + 1` continues it. */
export interface MetadataSnapshot {
  revision: number;
  clusterId: string | null;
  controller: ControllerInfo | null;
  brokers: Map<number, BrokerRegistration>;
  topics: Map<string, Versioned<TopicRecord>>;
  /** topic → partition index → state */
  partitions: Map<string, Map<number, Versioned<PartitionState>>>;
}

/** One change, with the revision that made it. */
export type MetadataChange =
  | { kind: 'broker'; revision: number; brokerId: number; registration: BrokerRegistration | null }
  | { kind: 'controller'; revision: number; controller: ControllerInfo | null }
  | { kind: 'topic'; revision: number; name: string; topic: TopicRecord | null }
  | { kind: 'partition'; revision: number; topic: string; partition: number; state: PartitionState | null }
  | { kind: 'cluster-id'; revision: number; clusterId: string };

/**
 * The session: the lease (etcd) under which this broker's registration and its controller key
 * live. `lost` means the store can no longer be sure the lease is alive — the broker must stop
 * acting as leader or controller at once; the store then opens a new session and re-registers
 * (`established`).
 */
export type SessionEvent =
  | { kind: 'established'; sessionId: string }
  | { kind: 'lost'; sessionId: string; reason: string }
  | { kind: 'elected'; controller: ControllerInfo }
  | { kind: 'resigned'; controller: ControllerInfo; reason: string };

/** A CAS write's outcome: the new revision, or what is stored now (null: absent). */
export type CasResult<T> = { ok: true; revision: number } | { ok: false; current: Versioned<T> | null };

/** A change of one partition's leader and ISR; the store writes partitionEpoch = expected + 1. */
export interface PartitionChange {
  leader: number;
  leaderEpoch: number;
  isr: number[];
}

/**
 * Writes the controller alone may make carry its epoch: they fail (`{ ok: false }`, or
 * NOT_CONTROLLER from createTopic) once another controller has been elected.
 */
export interface ControllerFence {
  controllerEpoch: number;
}

export interface MetadataStore {
  readonly brokerId: number;

  /** Opens the session. Rejects when the store cannot be reached. */
  start(): Promise<void>;
  /** Ends the session (revokes the lease: registration and controller key go at once) and closes. */
  close(): Promise<void>;

  /** Session and controller events, in the order they happen. */
  onSession(listener: (event: SessionEvent) => void): Subscription;
  /** Whether the session is live as far as this process can tell. */
  sessionAlive(): boolean;

  /** The stored cluster id; stores `candidate` if there is none yet (the first broker wins). */
  clusterId(candidate: string): Promise<string>;

  /** Registers (or replaces) this broker's registration; kept across session renewals. */
  register(registration: BrokerRegistration): Promise<void>;
  brokers(): Promise<BrokerRegistration[]>;

  /** Takes part in the controller election until close(); `elected` / `resigned` events follow. */
  campaign(): void;
  controller(): Promise<ControllerInfo | null>;
  /** This broker's controller epoch while it is the controller, else null. */
  activeControllerEpoch(): number | null;

  topic(name: string): Promise<Versioned<TopicRecord> | null>;
  /**
   * Creates topics/<name> and every partitions/<name>/<p> in one transaction, only if the topic
   * is absent. { ok: false, current } when it exists; throws NOT_CONTROLLER when fenced.
   */
  createTopic(topic: TopicRecord, partitions: PartitionState[], fence: ControllerFence): Promise<CasResult<TopicRecord>>;
  /**
   * Replaces topics/<name> if its mod revision is still `expectedModRevision`, and creates the
   * given new partitions' states, in one transaction (CreatePartitions, config changes).
   */
  updateTopic(
    topic: TopicRecord,
    expectedModRevision: number,
    addedPartitions: { partition: number; state: PartitionState }[],
    fence: ControllerFence,
  ): Promise<CasResult<TopicRecord>>;
  /** Deletes the topic and its partition states. */
  deleteTopic(name: string, fence: ControllerFence): Promise<boolean>;

  partition(topic: string, partition: number): Promise<Versioned<PartitionState> | null>;
  /**
   * Replaces a partition's leader/ISR if its partition epoch is still `expectedPartitionEpoch`
   * (and, with a fence, the controller is still the given one); writes partitionEpoch + 1.
   */
  alterPartition(
    topic: string,
    partition: number,
    expectedPartitionEpoch: number,
    change: PartitionChange,
    fence?: ControllerFence,
  ): Promise<CasResult<PartitionState>>;

  /** Everything at one revision. */
  snapshot(): Promise<MetadataSnapshot>;
  /**
   * Delivers every change after `afterRevision`, in revision order, until unsubscribed; changes
   * of one revision (a transaction) are delivered together, in key order.
   */
  watch(afterRevision: number, listener: (changes: MetadataChange[]) => void, onEnd?: (reason: string) => void): Subscription;
}
