/**
 * A consumer group member over the wire (the classic protocol, KIP-848's is not spoken):
 *
 *   FindCoordinator → JoinGroup (again with the assigned id on MEMBER_ID_REQUIRED, KIP-394)
 *   → the leader computes the assignment with the agreed assignor (src/group/assignors) from
 *     every member's subscription → SyncGroup hands each member its share → Heartbeat on an
 *     interval → OffsetCommit with the generation → LeaveGroup on close.
 *
 * Rebalances are eager whatever assignor the group picks: before rejoining, the owner of this
 * member stops reading and commits (see `needsRejoin`), and the subscription claims no owned
 * partitions. That is always safe with the cooperative-sticky assignor too — it only delays
 * nothing-to-revoke optimisations — and it keeps this member simple.
 *
 * Errors: REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID and FENCED_INSTANCE_ID
 * from Heartbeat or OffsetCommit mark the member as needing to rejoin (UNKNOWN_MEMBER_ID also
 * drops the member id); coordinator errors forget the coordinator and retry (groups.ts). Any
 * other error from JoinGroup or SyncGroup throws.
 */
import { CONSUMER_PROTOCOL_TYPE, decodeConsumerAssignment, decodeConsumerSubscription, encodeConsumerAssignment, encodeConsumerSubscription } from '../group/consumer-protocol.js';
import { builtInAssignor, type MemberSubscription, type PartitionAssignor, type TopicPartitions } from '../group/assignors/index.js';
import { heartbeatApi, joinGroupApi, leaveGroupApi, syncGroupApi } from '../protocol/index.js';
import type { KafkaWireClient } from './client.js';
import { ErrorCodes, KafkaResponseError } from './errors.js';
import { GroupClient, isCoordinatorError, type CommittedOffset, type OffsetToCommit, type PartitionResult } from './groups.js';

export interface GroupMemberOptions {
  groupId: string;
  topics: readonly string[];
  /** session.timeout.ms; default 45000 (Kafka 3.0+). */
  sessionTimeoutMs?: number;
  /** max.poll.interval.ms, sent as the rebalance timeout; default 300000. */
  rebalanceTimeoutMs?: number;
  /** heartbeat.interval.ms; default 3000. */
  heartbeatIntervalMs?: number;
  /** Assignors in preference order; default range then cooperative-sticky, as the Java client. */
  assignors?: readonly PartitionAssignor[];
  /** Retries of coordinator errors; default 5. */
  retries?: number;
  retryBackoffMs?: number;
}

/** Errors after which the member must join again; the rebalance is the answer, not a failure. */
const REJOIN_ERRORS: ReadonlySet<number> = new Set([
  ErrorCodes.REBALANCE_IN_PROGRESS,
  ErrorCodes.ILLEGAL_GENERATION,
  ErrorCodes.UNKNOWN_MEMBER_ID,
  ErrorCodes.FENCED_INSTANCE_ID,
]);

const MAX_JOIN_ATTEMPTS = 20;

export class GroupMember {
  readonly groups: GroupClient;
  readonly groupId: string;
  private readonly topics: string[];
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly assignors: readonly PartitionAssignor[];
  private memberIdValue = '';
  private generation = -1;
  private protocolName: string | null = null;
  private assignmentValue: TopicPartitions[] | null = null;
  private rejoin = true;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(client: KafkaWireClient, options: GroupMemberOptions) {
    this.groupId = options.groupId;
    this.topics = [...options.topics];
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 45_000;
    this.rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? 300_000;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000;
    this.assignors = options.assignors ?? [builtInAssignor('range')!, builtInAssignor('cooperative-sticky')!];
    this.groups = new GroupClient(client, {
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      ...(options.retryBackoffMs === undefined ? {} : { retryBackoffMs: options.retryBackoffMs }),
    });
  }

  get memberId(): string {
    return this.memberIdValue;
  }

  get generationId(): number {
    return this.generation;
  }

  /** The assignor the group agreed on in the last JoinGroup. */
  get protocol(): string | null {
    return this.protocolName;
  }

  /** The partitions of the last SyncGroup; null before the first. */
  get assignment(): readonly TopicPartitions[] | null {
    return this.assignmentValue;
  }

  /** True when the member must call `join` again: never joined, or a heartbeat/commit said so. */
  get needsRejoin(): boolean {
    return this.rejoin;
  }

  /**
   * Joins (or rejoins) the group and resolves with this member's assignment. Heartbeats run
   * from then until `close` or until they report a rebalance.
   */
  async join(): Promise<TopicPartitions[]> {
    this.stopHeartbeats();
    for (let attempt = 0; attempt < MAX_JOIN_ATTEMPTS; attempt++) {
      if (this.closed) throw new Error('group member is closed');
      const joined = await this.groups.retrying(() => this.joinOnce(), this.groupId);
      if (joined === null) continue;
      const assignment = await this.groups.retrying(() => this.syncOnce(joined), this.groupId);
      if (assignment === null) continue;
      this.assignmentValue = assignment;
      this.rejoin = false;
      this.startHeartbeats();
      return assignment;
    }
    throw new Error(`gave up joining group ${this.groupId} after ${MAX_JOIN_ATTEMPTS} rebalances in a row`);
  }

  private subscription(assignor: PartitionAssignor): Buffer {
    return encodeConsumerSubscription({
      topics: this.topics,
      userData: assignor.subscriptionUserData({ topics: this.topics, assignment: this.assignmentValue, generationId: this.generation }),
      ownedPartitions: [],
      generationId: this.generation,
    });
  }

  /** One JoinGroup; null when it must simply be sent again (new member id, rebalance). */
  private async joinOnce(): Promise<{ generationId: number; protocol: string; leader: string; members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[] } | null> {
    const coordinator = await this.groups.coordinator(this.groupId);
    const { response } = await this.groups.client.request(
      joinGroupApi,
      () => ({
        groupId: this.groupId,
        sessionTimeoutMs: this.sessionTimeoutMs,
        rebalanceTimeoutMs: this.rebalanceTimeoutMs,
        memberId: this.memberIdValue,
        groupInstanceId: null,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocols: this.assignors.map((a) => ({ name: a.name, metadata: this.subscription(a) })),
        reason: null,
      }),
      // The coordinator holds JoinGroup until every member has joined, up to the rebalance timeout.
      { broker: coordinator, timeoutMs: this.rebalanceTimeoutMs + 5_000 },
    );
    switch (response.errorCode) {
      case 0:
        break;
      case ErrorCodes.MEMBER_ID_REQUIRED:
        this.memberIdValue = response.memberId;
        return null;
      case ErrorCodes.UNKNOWN_MEMBER_ID:
        this.memberIdValue = '';
        return null;
      case ErrorCodes.REBALANCE_IN_PROGRESS:
        return null;
      default:
        if (isCoordinatorError(response.errorCode)) this.groups.forgetCoordinator(this.groupId);
        throw new KafkaResponseError(response.errorCode, `JoinGroup ${this.groupId}`);
    }
    this.memberIdValue = response.memberId;
    this.generation = response.generationId;
    this.protocolName = response.protocolName;
    return {
      generationId: response.generationId,
      protocol: response.protocolName ?? '',
      leader: response.leader,
      members: response.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
    };
  }

  /** The leader's work: every member's share under the agreed assignor, encoded for SyncGroup. */
  private async computeAssignments(protocol: string, members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[]): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = this.assignors.find((a) => a.name === protocol);
    if (assignor === undefined) throw new Error(`group ${this.groupId} chose assignor "${protocol}", which this member did not offer`);
    const subscriptions = new Map<string, MemberSubscription>();
    for (const m of members) {
      const s = decodeConsumerSubscription(m.metadata);
      subscriptions.set(m.memberId, { topics: s.topics, userData: s.userData, ownedPartitions: s.ownedPartitions, generationId: s.generationId, groupInstanceId: m.groupInstanceId, rackId: s.rackId });
    }
    const partitionCounts = new Map<string, number>();
    for (const topic of new Set([...subscriptions.values()].flatMap((s) => s.topics))) {
      try {
        partitionCounts.set(topic, (await this.groups.client.topicMetadata(topic, { refresh: true })).partitions.length);
      } catch (err) {
        // A subscribed topic that does not exist gets no partitions, as in Java.
        if (!(err instanceof KafkaResponseError) || err.errorCode !== ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION) throw err;
      }
    }
    const assigned = assignor.assign(partitionCounts, subscriptions);
    return members.map((m) => ({
      memberId: m.memberId,
      assignment: encodeConsumerAssignment({
        assignedPartitions: [...(assigned.get(m.memberId) ?? new Map<string, number[]>())].map(([topic, partitions]) => ({ topic, partitions })),
      }),
    }));
  }

  /** One SyncGroup; null when the member must rejoin. */
  private async syncOnce(joined: { generationId: number; protocol: string; leader: string; members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[] }): Promise<TopicPartitions[] | null> {
    const assignments = joined.leader === this.memberIdValue ? await this.computeAssignments(joined.protocol, joined.members) : [];
    const coordinator = await this.groups.coordinator(this.groupId);
    const { response } = await this.groups.client.request(
      syncGroupApi,
      () => ({
        groupId: this.groupId,
        generationId: joined.generationId,
        memberId: this.memberIdValue,
        groupInstanceId: null,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocolName: joined.protocol,
        assignments,
      }),
      { broker: coordinator, timeoutMs: this.rebalanceTimeoutMs + 5_000 },
    );
    if (response.errorCode !== 0) {
      if (this.noteRejoinError(response.errorCode)) return null;
      if (isCoordinatorError(response.errorCode)) this.groups.forgetCoordinator(this.groupId);
      throw new KafkaResponseError(response.errorCode, `SyncGroup ${this.groupId} generation ${joined.generationId}`);
    }
    if (response.assignment.length === 0) return [];
    return decodeConsumerAssignment(response.assignment).assignedPartitions.filter((t) => t.partitions.length > 0);
  }

  /** Marks the member for rejoining if `code` asks for it; returns whether it did. */
  private noteRejoinError(code: number): boolean {
    if (!REJOIN_ERRORS.has(code)) return false;
    if (code === ErrorCodes.UNKNOWN_MEMBER_ID || code === ErrorCodes.FENCED_INSTANCE_ID) this.memberIdValue = '';
    if (code !== ErrorCodes.REBALANCE_IN_PROGRESS) this.generation = -1;
    this.rejoin = true;
    this.stopHeartbeats();
    return true;
  }

  private startHeartbeats(): void {
    this.stopHeartbeats();
    const beat = (): void => {
      this.heartbeatTimer = undefined;
      void this.heartbeat().then(
        () => {
          if (!this.rejoin && !this.closed && this.heartbeatTimer === undefined) this.heartbeatTimer = setTimeout(beat, this.heartbeatIntervalMs);
        },
        () => {
          // A heartbeat that failed outright (no coordinator for a while): try again next interval;
          // the session timeout decides whether the membership survives.
          if (!this.rejoin && !this.closed && this.heartbeatTimer === undefined) this.heartbeatTimer = setTimeout(beat, this.heartbeatIntervalMs);
        },
      );
    };
    this.heartbeatTimer = setTimeout(beat, this.heartbeatIntervalMs);
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer !== undefined) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** One Heartbeat; rebalance answers set `needsRejoin`. */
  async heartbeat(): Promise<void> {
    const generationId = this.generation;
    const memberId = this.memberIdValue;
    const code = await this.groups.retrying(async () => {
      const coordinator = await this.groups.coordinator(this.groupId);
      const { response } = await this.groups.client.request(heartbeatApi, () => ({ groupId: this.groupId, generationId, memberId, groupInstanceId: null }), { broker: coordinator });
      if (isCoordinatorError(response.errorCode)) throw new KafkaResponseError(response.errorCode, `Heartbeat ${this.groupId}`);
      return response.errorCode;
    }, this.groupId);
    if (code !== 0 && !this.noteRejoinError(code)) throw new KafkaResponseError(code, `Heartbeat ${this.groupId}`);
  }

  /** The group's committed offsets of `partitions` (-1 where none). */
  committed(partitions: readonly { topic: string; partition: number }[]): Promise<CommittedOffset[]> {
    return this.groups.fetchOffsets(this.groupId, partitions);
  }

  /**
   * Commits `offsets` under this member's generation. Returns false, with `needsRejoin` set,
   * when the group has moved on (the offsets were not committed); other errors throw.
   */
  async commit(offsets: readonly OffsetToCommit[]): Promise<boolean> {
    if (offsets.length === 0) return true;
    const results: PartitionResult[] = await this.groups.commitOffsets(this.groupId, offsets, { generationId: this.generation, memberId: this.memberIdValue, groupInstanceId: null });
    const failed = results.find((r) => r.errorCode !== 0);
    if (failed === undefined) return true;
    if (this.noteRejoinError(failed.errorCode)) return false;
    throw new KafkaResponseError(failed.errorCode, `OffsetCommit ${this.groupId} ${failed.topic}-${failed.partition}`);
  }

  /** Stops heartbeating and leaves the group (LeaveGroup), so it rebalances without waiting for the session timeout. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopHeartbeats();
    if (this.memberIdValue === '') return;
    const memberId = this.memberIdValue;
    this.memberIdValue = '';
    const coordinator = await this.groups.coordinator(this.groupId);
    const { version, response } = await this.groups.client.request(
      leaveGroupApi,
      (v) => (v >= 3 ? { groupId: this.groupId, members: [{ memberId, groupInstanceId: null, reason: 'the consumer is being closed' }] } : { groupId: this.groupId, memberId }),
      { broker: coordinator },
    );
    const code = response.errorCode !== 0 ? response.errorCode : version >= 3 ? (response.members.find((m) => m.errorCode !== 0)?.errorCode ?? 0) : 0;
    // Already gone (expired or fenced) is what leaving wants anyway.
    if (code !== 0 && code !== ErrorCodes.UNKNOWN_MEMBER_ID) throw new KafkaResponseError(code, `LeaveGroup ${this.groupId}`);
  }
}
