/**
 * The cluster controller: every broker runs one and campaigns; the elected one (and only it,
 * its writes fenced by its controller epoch) is the writer of replica assignments, leaders and
 * leader epochs:
 *
 * - createTopic: assigns replicas over the registered brokers (Kafka's rack-unaware
 *   round-robin, replica-assignment.ts) or takes an explicit assignment, and writes the topic
 *   and its partitions (leader = first replica, ISR = all replicas, epochs 0) in one transaction.
 * - when a broker's registration vanishes or returns, it recomputes every partition's leader and
 *   ISR (leader-election.ts) and writes the changes with CAS on the partition epoch.
 *
 * It keeps its own image of the cluster: a snapshot at election, then the watch from that
 * revision. On losing the election (session lost, key deleted) it stops writing at once and drops
 * the image; the next election starts from a fresh snapshot.
 */
import { KafkaError } from '../errors.js';
import type { Logger } from '../logger.js';
import { getDefaultLogger } from '../logger.js';
import { randomUuid } from '../broker/uuid.js';
import { nextPartitionState } from './leader-election.js';
import type { Subscription } from './listeners.js';
import { applyChanges } from './metadata-image.js';
import type { ControllerInfo, MetadataChange, MetadataSnapshot, MetadataStore, PartitionState, TopicRecord } from './metadata-store.js';
import { assignReplicasRackUnaware } from './replica-assignment.js';

const RELOAD_DELAY_MS = 500;

export const UNCLEAN_LEADER_ELECTION = 'unclean.leader.election.enable';

export interface ControllerOptions {
  /** The broker default of unclean.leader.election.enable (Kafka: false); a topic config overrides it. */
  uncleanLeaderElectionEnable?: boolean;
  logger?: Logger;
  /** For the random start of the replica assignment; tests fix it. */
  randomInt?: (bound: number) => number;
}

export interface CreateTopicRequest {
  name: string;
  partitionCount: number;
  replicationFactor: number;
  configs?: Record<string, string>;
  /** Explicit replicas per partition (CreateTopics' assignments); replaces partitionCount/replicationFactor. */
  assignment?: number[][];
}

interface Term {
  info: ControllerInfo;
  image: MetadataSnapshot | null;
  watch: Subscription | null;
  /** Reconciliations run one at a time, in order. */
  queue: Promise<void>;
  pending: boolean;
}

export class Controller {
  private readonly logger: Logger;
  private sessionSub: Subscription | null = null;
  private term: Term | null = null;

  constructor(
    private readonly store: MetadataStore,
    private readonly options: ControllerOptions = {},
  ) {
    this.logger = (options.logger ?? getDefaultLogger()).child({ component: 'controller', brokerId: store.brokerId });
  }

  /** Starts campaigning; call after store.start(). */
  start(): void {
    this.sessionSub = this.store.onSession((event) => {
      if (event.kind === 'elected') this.onElected(event.controller);
      else if (event.kind === 'resigned') this.endTerm(event.controller, event.reason);
    });
    this.store.campaign();
  }

  close(): void {
    this.sessionSub?.unsubscribe();
    if (this.term !== null) this.endTerm(this.term.info, 'closed');
  }

  /** This broker's controller epoch while it is the active controller and has loaded the cluster state. */
  activeEpoch(): number | null {
    return this.term?.image != null ? this.term.info.epoch : null;
  }

  /** The registered brokers as the active controller sees them (null when not active). */
  registeredBrokers(): number[] | null {
    const image = this.term?.image;
    return image == null ? null : [...image.brokers.keys()].sort((a, b) => a - b);
  }

  private onElected(info: ControllerInfo): void {
    const term: Term = { info, image: null, watch: null, queue: Promise.resolve(), pending: false };
    this.term = term;
    this.load(term);
  }

  /** Loads the image (snapshot, then the watch from its revision) and reconciles; again if the watch ends. */
  private load(term: Term): void {
    const info = term.info;
    term.watch?.unsubscribe();
    term.watch = null;
    void this.store.snapshot().then(
      (image) => {
        if (this.term !== term) return;
        term.image = image;
        term.watch = this.store.watch(
          image.revision,
          (changes) => this.onChanges(term, changes),
          (reason) => {
            this.logger.warn({ reason }, 'metadata watch ended; reloading the cluster state');
            if (this.term === term) this.load(term);
          },
        );
        this.logger.info({ controllerEpoch: info.epoch, revision: image.revision, brokers: [...image.brokers.keys()] }, 'controller active');
        this.scheduleReconcile(term);
      },
      (err: unknown) => {
        // etcd unreachable: try again while this term lasts (a lost session ends it).
        this.logger.warn({ err }, 'controller could not load the cluster state; retrying');
        setTimeout(() => {
          if (this.term === term) this.load(term);
        }, RELOAD_DELAY_MS).unref();
      },
    );
  }

  private endTerm(info: ControllerInfo, reason: string): void {
    const term = this.term;
    if (term === null || term.info.epoch !== info.epoch) return;
    term.watch?.unsubscribe();
    this.term = null;
    this.logger.info({ controllerEpoch: info.epoch, reason }, 'controller inactive');
  }

  private onChanges(term: Term, changes: MetadataChange[]): void {
    if (this.term !== term || term.image === null) return;
    applyChanges(term.image, changes);
    if (changes.some((c) => c.kind === 'broker')) this.scheduleReconcile(term);
  }

  private scheduleReconcile(term: Term): void {
    if (term.pending) return;
    term.pending = true;
    term.queue = term.queue.then(async () => {
      term.pending = false;
      if (this.term !== term) return;
      try {
        await this.reconcile(term);
      } catch (err) {
        if (err instanceof KafkaError && err.errorName === 'NOT_CONTROLLER') this.endTerm(term.info, 'fenced');
        else {
          this.logger.error({ err }, 'partition reconciliation failed; retrying');
          setTimeout(() => this.scheduleReconcile(term), RELOAD_DELAY_MS).unref();
        }
      }
    });
  }

  /** Brings every partition's leader and ISR in line with the registered brokers. */
  private async reconcile(term: Term): Promise<void> {
    const image = term.image!;
    const fence = { controllerEpoch: term.info.epoch };
    for (const [name, topic] of image.topics) {
      const unclean = (topic.value.configs[UNCLEAN_LEADER_ELECTION] ?? String(this.options.uncleanLeaderElectionEnable ?? false)) === 'true';
      const partitions = image.partitions.get(name);
      if (partitions === undefined) continue;
      for (const [p, state] of partitions) {
        const replicas = topic.value.assignment[p] ?? [];
        let current: PartitionState = state.value;
        for (;;) {
          if (this.term !== term) return;
          const change = nextPartitionState(current, replicas, (b) => image.brokers.has(b), unclean);
          if (change === null) break;
          const result = await this.store.alterPartition(name, p, current.partitionEpoch, change, fence);
          if (result.ok) {
            this.logger.info({ topic: name, partition: p, from: current, to: change }, 'partition state changed');
            break;
          }
          // A leader changed the ISR meanwhile (or the partition was deleted): decide again on what is stored.
          if (result.current === null) break;
          current = result.current.value;
        }
      }
    }
  }

  /** Resolves when no reconciliation is queued or running (for tests and controlled shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const term = this.term;
      if (term === null) return;
      const queue = term.queue;
      await queue;
      if (this.term !== term || (term.queue === queue && !term.pending)) return;
    }
  }

  private activeTerm(): Term & { image: MetadataSnapshot } {
    const term = this.term;
    if (term === null || term.image === null) throw new KafkaError('NOT_CONTROLLER', `broker ${this.store.brokerId} is not the active controller`);
    return term as Term & { image: MetadataSnapshot };
  }

  /**
   * Grows a topic to `totalCount` partitions (CreatePartitions): new replicas by Kafka's
   * assignment continued from the existing partitions (start index = the position of partition
   * 0's first replica among the brokers), or `assignment` for the new partitions only.
   * UNKNOWN_TOPIC_OR_PARTITION, INVALID_PARTITIONS (not more than today),
   * INVALID_REPLICA_ASSIGNMENT, INVALID_REPLICATION_FACTOR, NOT_CONTROLLER.
   */
  async createPartitions(name: string, totalCount: number, assignment?: number[][]): Promise<TopicRecord> {
    const term = this.activeTerm();
    for (;;) {
      const current = await this.store.topic(name);
      if (current === null) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `The topic '${name}' does not exist.`);
      const existing = current.value.assignment;
      if (totalCount < existing.length)
        throw new KafkaError('INVALID_PARTITIONS', `Topic currently has ${existing.length} partitions, which is higher than the requested ${totalCount}.`);
      if (totalCount === existing.length) throw new KafkaError('INVALID_PARTITIONS', `Topic already has ${existing.length} partitions.`);
      const brokers = [...term.image.brokers.keys()].sort((a, b) => a - b);
      const rf = existing[0]?.length ?? 1;
      let added: number[][];
      if (assignment !== undefined) {
        if (assignment.length !== totalCount - existing.length) {
          throw new KafkaError(
            'INVALID_REPLICA_ASSIGNMENT',
            `Increasing the number of partitions by ${totalCount - existing.length} but ${assignment.length} assignments provided.`,
          );
        }
        added = assignment.map((r) => [...r]);
        validateAssignment(added, new Set(brokers), rf);
      } else {
        const startIndex = Math.max(
          0,
          brokers.findIndex((b) => b >= (existing[0]?.[0] ?? 0)),
        );
        added = assignReplicasRackUnaware(totalCount - existing.length, rf, brokers, { fixedStartIndex: startIndex, startPartitionId: existing.length });
      }
      const topic: TopicRecord = { ...current.value, assignment: [...existing, ...added] };
      const partitions = added.map((replicas, i) => ({
        partition: existing.length + i,
        state: { leader: replicas[0]!, leaderEpoch: 0, isr: [...replicas], partitionEpoch: 0 },
      }));
      const result = await this.store.updateTopic(topic, current.modRevision, partitions, { controllerEpoch: term.info.epoch });
      if (result.ok) {
        this.logger.info({ topic: name, added }, 'partitions created');
        return topic;
      }
      // Changed meanwhile (or deleted): decide again on what is stored.
    }
  }

  /** Deletes a topic and its partition states; UNKNOWN_TOPIC_OR_PARTITION, NOT_CONTROLLER. */
  async deleteTopic(name: string): Promise<void> {
    const term = this.activeTerm();
    if (!(await this.store.deleteTopic(name, { controllerEpoch: term.info.epoch }))) {
      throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `The topic '${name}' does not exist.`);
    }
    this.logger.info({ topic: name }, 'topic deleted');
  }

  /**
   * Creates a topic: TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR (more replicas than
   * registered brokers), INVALID_PARTITIONS, INVALID_REPLICA_ASSIGNMENT, NOT_CONTROLLER.
   */
  async createTopic(request: CreateTopicRequest): Promise<TopicRecord> {
    const term = this.activeTerm();
    const brokers = [...term.image.brokers.keys()];
    let assignment: number[][];
    if (request.assignment !== undefined) {
      assignment = request.assignment.map((r) => [...r]);
      validateAssignment(assignment, new Set(brokers));
    } else {
      assignment = assignReplicasRackUnaware(request.partitionCount, request.replicationFactor, brokers, { randomInt: this.options.randomInt });
    }
    const topic: TopicRecord = { name: request.name, topicId: randomUuid(), assignment, configs: { ...request.configs } };
    const partitions: PartitionState[] = assignment.map((replicas) => ({ leader: replicas[0]!, leaderEpoch: 0, isr: [...replicas], partitionEpoch: 0 }));
    const result = await this.store.createTopic(topic, partitions, { controllerEpoch: term.info.epoch });
    if (!result.ok) throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${request.name}' already exists.`);
    this.logger.info({ topic: topic.name, topicId: topic.topicId, assignment }, 'topic created');
    return topic;
  }
}

/** Kafka's checks of an explicit assignment (ReplicationControlManager.validateManualPartitionAssignment). */
function validateAssignment(assignment: number[][], brokers: Set<number>, rf = assignment[0]?.length ?? 0): void {
  if (assignment.length === 0) throw new KafkaError('INVALID_PARTITIONS', 'Number of partitions must be larger than 0.');
  for (const [p, replicas] of assignment.entries()) {
    if (replicas.length === 0) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes an empty replica list.`);
    if (new Set(replicas).size !== replicas.length) {
      throw new KafkaError(
        'INVALID_REPLICA_ASSIGNMENT',
        `The manual partition assignment includes the broker ${replicas.find((b, i) => replicas.indexOf(b) !== i)} more than once.`,
      );
    }
    const missing = replicas.find((b) => !brokers.has(b));
    if (missing !== undefined)
      throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes broker ${missing}, but no such broker is registered.`);
    if (replicas.length !== rf) {
      throw new KafkaError(
        'INVALID_REPLICA_ASSIGNMENT',
        `The manual partition assignment includes a partition with ${replicas.length} replication factor, but the other partitions have ${rf} (partition ${p}).`,
      );
    }
  }
}
