/**
 * A consumer's membership in a group (the classic protocol), independent of how requests reach
 * the coordinator: `GroupTransport` is either direct calls into the GroupCoordinator of this
 * process (coordinator-transport.ts) or requests over the wire. The state machine is Java's
 * ConsumerCoordinator, reduced to what a member needs:
 *
 *   JoinGroup (again with the assigned id on MEMBER_ID_REQUIRED, KIP-394)
 *   → the leader computes every member's share with the agreed assignor from their
 *     subscriptions → SyncGroup hands each member its share
 *   → Heartbeat on an interval until it answers that the group rebalances
 *   → OffsetCommit under the generation → LeaveGroup on close.
 *
 * Rebalance protocol: cooperative when every assignor offered supports it (Java picks the
 * highest protocol all configured assignors share; e.g. only 'cooperative-sticky'), else eager.
 *   - eager: the owner gives up every partition before rejoining; the subscription claims none.
 *   - cooperative (KIP-429): the subscription claims the partitions owned; after SyncGroup
 *     `revoked` is what was owned and is no longer assigned, and when it is not empty the
 *     member must rejoin at once (the second phase gives those partitions to their new owner).
 *
 * Errors: REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID and FENCED_INSTANCE_ID
 * from Heartbeat, SyncGroup or OffsetCommit mean "rejoin" (the last two also drop the member
 * id, ILLEGAL_GENERATION the generation). Any other error throws a KafkaError.
 */
import { ErrorCode, KafkaError, errorNameOf } from '../errors.js';
import { builtInAssignor, type MemberSubscription, type PartitionAssignor, type RebalanceProtocol } from '../group/assignors/index.js';
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  encodeConsumerAssignment,
  encodeConsumerSubscription,
  type TopicPartitions,
} from '../group/consumer-protocol.js';

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  reason: string | null;
}

export interface JoinResponse {
  errorCode: number;
  memberId: string;
  generationId: number;
  protocolName: string | null;
  leader: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
  /** KIP-814 (JoinGroup v9+): a static leader rejoining a stable group must not assign. */
  skipAssignment?: boolean;
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocolName: string;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface MemberIdentity {
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: bigint;
  metadata?: string | null;
}

export interface GroupTransport {
  join(r: JoinRequest): Promise<JoinResponse>;
  sync(r: SyncRequest): Promise<{ errorCode: number; assignment: Buffer }>;
  heartbeat(groupId: string, identity: MemberIdentity): Promise<number>;
  leave(groupId: string, memberId: string, groupInstanceId: string | null, reason: string): Promise<number>;
  commit(groupId: string, identity: MemberIdentity, offsets: readonly OffsetToCommit[]): Promise<{ topic: string; partition: number; errorCode: number }[]>;
  /** Committed offsets (-1 where none). */
  fetchOffsets(
    groupId: string,
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<{ topic: string; partition: number; offset: bigint; metadata: string }[]>;
  /** Partition counts of the topics that exist among `topics`. */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>;
}

export interface GroupMembershipOptions {
  groupId: string;
  /** group.instance.id of a static member (KIP-345); null for a dynamic one. */
  groupInstanceId?: string | null;
  /** session.timeout.ms; default 45000 (Kafka 3.0+). */
  sessionTimeoutMs?: number;
  /** max.poll.interval.ms, sent as the rebalance timeout; default 300000. */
  rebalanceTimeoutMs?: number;
  /** heartbeat.interval.ms; default 3000. */
  heartbeatIntervalMs?: number;
  /** Assignors in preference order; default range then cooperative-sticky, as the Java client. */
  assignors?: readonly PartitionAssignor[];
}

export interface JoinOutcome {
  /** Everything assigned now. */
  assignment: TopicPartitions[];
  /** Newly assigned (everything, under eager). */
  added: TopicPartitions[];
  /** Owned before and no longer assigned (cooperative only: eager revokes before joining). */
  revoked: TopicPartitions[];
  generationId: number;
  memberId: string;
  leaderId: string;
  isLeader: boolean;
  protocol: string;
}

/** Errors after which the member must join again; the rebalance is the answer, not a failure. */
const REJOIN_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.FENCED_INSTANCE_ID,
]);

const MAX_JOIN_ATTEMPTS = 20;

function fail(code: number, what: string): KafkaError {
  const name = errorNameOf(code);
  return new KafkaError(name, `${what}: ${name}`);
}

/** Kafka's consumer defaults (3.0+): session.timeout.ms, max.poll.interval.ms, heartbeat.interval.ms. */
export const MEMBERSHIP_DEFAULTS = { sessionTimeoutMs: 45_000, rebalanceTimeoutMs: 300_000, heartbeatIntervalMs: 3_000 } as const;

/** a − b, per topic. */
function minus(a: readonly TopicPartitions[], b: readonly TopicPartitions[]): TopicPartitions[] {
  const out: TopicPartitions[] = [];
  for (const t of a) {
    const other = new Set(b.find((x) => x.topic === t.topic)?.partitions ?? []);
    const rest = t.partitions.filter((p) => !other.has(p));
    if (rest.length > 0) out.push({ topic: t.topic, partitions: rest });
  }
  return out;
}

export class GroupMembership {
  readonly groupId: string;
  readonly groupInstanceId: string | null;
  readonly protocol: RebalanceProtocol;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly assignors: readonly PartitionAssignor[];
  private topics: string[] = [];
  private memberIdValue = '';
  private generation = -1;
  private leaderId = '';
  private owned: TopicPartitions[] = [];
  private lastAssignment: TopicPartitions[] | null = null;
  /** Partition counts the leader assigned from, to notice topics growing. */
  private assignedCounts: Map<string, number> | null = null;
  private rejoin = true;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Called when a heartbeat or commit finds that the member must rejoin. */
  onRejoinNeeded: () => void = () => undefined;
  /** Called after each heartbeat the coordinator accepted. */
  onHeartbeat: () => void = () => undefined;

  constructor(
    private readonly transport: GroupTransport,
    options: GroupMembershipOptions,
  ) {
    this.groupId = options.groupId;
    this.groupInstanceId = options.groupInstanceId ?? null;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? MEMBERSHIP_DEFAULTS.sessionTimeoutMs;
    this.rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? MEMBERSHIP_DEFAULTS.rebalanceTimeoutMs;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? MEMBERSHIP_DEFAULTS.heartbeatIntervalMs;
    this.assignors = options.assignors ?? [builtInAssignor('range')!, builtInAssignor('cooperative-sticky')!];
    if (this.assignors.length === 0) throw new RangeError('a consumer needs at least one partition assignor');
    this.protocol = this.assignors.every((a) => a.supportedProtocols.includes('cooperative')) ? 'cooperative' : 'eager';
  }

  get memberId(): string {
    return this.memberIdValue;
  }

  get generationId(): number {
    return this.generation;
  }

  get isLeader(): boolean {
    return this.memberIdValue !== '' && this.leaderId === this.memberIdValue;
  }

  /** True when the member must call `join` again: never joined, or the group moved on. */
  get needsRejoin(): boolean {
    return this.rejoin;
  }

  /** The partitions this member owns (its last assignment, minus what it revoked). */
  get assignment(): readonly TopicPartitions[] {
    return this.owned;
  }

  /** Sets the topics subscribed to; a change means rejoining. */
  setTopics(topics: readonly string[]): void {
    const next = [...new Set(topics)].sort();
    if (next.length === this.topics.length && next.every((t, i) => t === this.topics[i])) return;
    this.topics = next;
    this.requestRejoin();
  }

  get subscribedTopics(): readonly string[] {
    return this.topics;
  }

  requestRejoin(): void {
    if (this.rejoin) return;
    this.rejoin = true;
    this.stopHeartbeats();
    this.onRejoinNeeded();
  }

  /**
   * Under eager rebalancing the owner calls this after it stopped using its partitions and
   * committed, before `join`: the member then claims nothing.
   */
  revokeAll(): TopicPartitions[] {
    const revoked = this.owned;
    this.owned = [];
    return revoked;
  }

  /** Joins (or rejoins) and resolves with the new assignment; heartbeats run from then on. */
  async join(): Promise<JoinOutcome> {
    this.stopHeartbeats();
    for (let attempt = 0; attempt < MAX_JOIN_ATTEMPTS; attempt++) {
      if (this.closed) throw new KafkaError('UNKNOWN_MEMBER_ID', 'group member is closed');
      const joined = await this.joinOnce();
      if (this.closed) throw new KafkaError('UNKNOWN_MEMBER_ID', 'group member is closed');
      if (joined === null) continue;
      const assigned = await this.syncOnce(joined);
      if (assigned === null) continue;
      const before = this.owned;
      const revoked = this.protocol === 'cooperative' ? minus(before, assigned) : [];
      const added = minus(assigned, before);
      this.owned = assigned;
      this.lastAssignment = assigned;
      this.rejoin = false;
      // KIP-429: partitions moving away are revoked now, and the group rebalances once more
      // so their new owner gets them.
      if (revoked.length > 0) this.rejoin = true;
      else this.startHeartbeats();
      return {
        assignment: assigned,
        added,
        revoked,
        generationId: this.generation,
        memberId: this.memberIdValue,
        leaderId: joined.leader,
        isLeader: joined.leader === this.memberIdValue,
        protocol: joined.protocolName ?? '',
      };
    }
    throw new KafkaError('REBALANCE_IN_PROGRESS', `gave up joining group ${this.groupId} after ${MAX_JOIN_ATTEMPTS} rebalances in a row`);
  }

  private subscription(assignor: PartitionAssignor): Buffer {
    return encodeConsumerSubscription({
      topics: this.topics,
      userData: assignor.subscriptionUserData({ topics: this.topics, assignment: this.lastAssignment, generationId: this.generation }),
      ownedPartitions: this.protocol === 'cooperative' ? this.owned : [],
      generationId: this.generation,
    });
  }

  private async joinOnce(): Promise<JoinResponse | null> {
    const response = await this.transport.join({
      groupId: this.groupId,
      memberId: this.memberIdValue,
      groupInstanceId: this.groupInstanceId,
      sessionTimeoutMs: this.sessionTimeoutMs,
      rebalanceTimeoutMs: this.rebalanceTimeoutMs,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocols: this.assignors.map((a) => ({ name: a.name, metadata: this.subscription(a) })),
      reason: null,
    });
    switch (response.errorCode) {
      case ErrorCode.NONE:
        break;
      case ErrorCode.MEMBER_ID_REQUIRED:
        this.memberIdValue = response.memberId;
        return null;
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.memberIdValue = '';
        return null;
      case ErrorCode.REBALANCE_IN_PROGRESS:
        return null;
      default:
        throw fail(response.errorCode, `JoinGroup ${this.groupId}`);
    }
    this.memberIdValue = response.memberId;
    this.generation = response.generationId;
    this.leaderId = response.leader;
    return response;
  }

  /** The leader's work: every member's share under the agreed assignor, encoded for SyncGroup. */
  private async computeAssignments(protocol: string, members: JoinResponse['members']): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = this.assignors.find((a) => a.name === protocol);
    if (assignor === undefined)
      throw new KafkaError('INCONSISTENT_GROUP_PROTOCOL', `group ${this.groupId} chose assignor "${protocol}", which this member did not offer`);
    const subscriptions = new Map<string, MemberSubscription>();
    for (const m of members) {
      const s = decodeConsumerSubscription(m.metadata);
      subscriptions.set(m.memberId, {
        topics: s.topics,
        userData: s.userData,
        ownedPartitions: s.ownedPartitions,
        generationId: s.generationId,
        groupInstanceId: m.groupInstanceId,
        rackId: s.rackId,
      });
    }
    const topics = [...new Set([...subscriptions.values()].flatMap((s) => s.topics))];
    const counts = await this.transport.partitionCounts(topics);
    // Topics that do not exist yet count 0, so their creation is a change the leader notices.
    this.assignedCounts = new Map(topics.map((t) => [t, counts.get(t) ?? 0]));
    const assigned = assignor.assign(counts, subscriptions);
    return members.map((m) => ({
      memberId: m.memberId,
      assignment: encodeConsumerAssignment({
        assignedPartitions: [...(assigned.get(m.memberId) ?? new Map<string, number[]>())].map(([topic, partitions]) => ({ topic, partitions })),
      }),
    }));
  }

  /**
   * For the leader: true when a topic the group subscribes to now has a different partition
   * count than the assignment was computed from (Java's leader rejoins on such metadata changes).
   */
  async assignedMetadataChanged(): Promise<boolean> {
    if (!this.isLeader || this.assignedCounts === null) return false;
    const now = await this.transport.partitionCounts([...this.assignedCounts.keys()]);
    for (const [topic, count] of this.assignedCounts) if ((now.get(topic) ?? 0) !== count) return true;
    return false;
  }

  private async syncOnce(joined: JoinResponse): Promise<TopicPartitions[] | null> {
    const protocolName = joined.protocolName ?? '';
    const assignments =
      joined.leader === this.memberIdValue && joined.skipAssignment !== true ? await this.computeAssignments(protocolName, joined.members) : [];
    const response = await this.transport.sync({
      groupId: this.groupId,
      generationId: joined.generationId,
      memberId: this.memberIdValue,
      groupInstanceId: this.groupInstanceId,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocolName,
      assignments,
    });
    if (response.errorCode !== ErrorCode.NONE) {
      if (this.noteRejoinError(response.errorCode)) return null;
      throw fail(response.errorCode, `SyncGroup ${this.groupId} generation ${joined.generationId}`);
    }
    if (response.assignment.length === 0) return [];
    return decodeConsumerAssignment(response.assignment)
      .assignedPartitions.filter((t) => t.partitions.length > 0)
      .map((t) => ({ topic: t.topic, partitions: [...t.partitions].sort((a, b) => a - b) }));
  }

  /** Marks the member for rejoining if `code` asks for it; returns whether it did. */
  private noteRejoinError(code: number): boolean {
    if (!REJOIN_ERRORS.has(code)) return false;
    if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.FENCED_INSTANCE_ID) this.memberIdValue = '';
    if (code !== ErrorCode.REBALANCE_IN_PROGRESS) {
      this.generation = -1;
      // The generation is gone: what this member owned may already be someone else's (Java:
      // onPartitionsLost). Under eager the owner revokes everything anyway.
    }
    const was = this.rejoin;
    this.rejoin = true;
    this.stopHeartbeats();
    if (!was) this.onRejoinNeeded();
    return true;
  }

  private startHeartbeats(): void {
    this.stopHeartbeats();
    const beat = (): void => {
      this.heartbeatTimer = undefined;
      const again = (): void => {
        if (!this.rejoin && !this.closed && this.heartbeatTimer === undefined) this.heartbeatTimer = setTimeout(beat, this.heartbeatIntervalMs);
      };
      this.heartbeat().then(again, again);
    };
    this.heartbeatTimer = setTimeout(beat, this.heartbeatIntervalMs);
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer !== undefined) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** One Heartbeat; a rebalance answer sets `needsRejoin` and calls `onRejoinNeeded`. */
  async heartbeat(): Promise<void> {
    const code = await this.transport.heartbeat(this.groupId, {
      generationId: this.generation,
      memberId: this.memberIdValue,
      groupInstanceId: this.groupInstanceId,
    });
    if (code === ErrorCode.NONE) this.onHeartbeat();
    else if (!this.noteRejoinError(code)) throw fail(code, `Heartbeat ${this.groupId}`);
  }

  /** The group's committed offsets of `partitions` (-1 where none). */
  committed(partitions: readonly { topic: string; partition: number }[]): Promise<{ topic: string; partition: number; offset: bigint; metadata: string }[]> {
    return this.transport.fetchOffsets(this.groupId, partitions);
  }

  /**
   * Commits `offsets` under this member's generation. Returns false, with `needsRejoin` set,
   * when the group has moved on (nothing was committed); other errors throw.
   */
  async commit(offsets: readonly OffsetToCommit[]): Promise<boolean> {
    if (offsets.length === 0) return true;
    const results = await this.transport.commit(
      this.groupId,
      { generationId: this.generation, memberId: this.memberIdValue, groupInstanceId: this.groupInstanceId },
      offsets,
    );
    const failed = results.find((r) => r.errorCode !== ErrorCode.NONE);
    if (failed === undefined) return true;
    if (this.noteRejoinError(failed.errorCode)) return false;
    throw fail(failed.errorCode, `OffsetCommit ${this.groupId} ${failed.topic}-${failed.partition}`);
  }

  /** Stops heartbeating and leaves the group, so it rebalances without waiting for the session timeout. */
  async leave(reason = 'the consumer is being closed'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopHeartbeats();
    this.owned = [];
    if (this.memberIdValue === '') return;
    const memberId = this.memberIdValue;
    this.memberIdValue = '';
    // A static member keeps its place for the session timeout (KIP-345): it does not leave.
    if (this.groupInstanceId !== null) return;
    const code = await this.transport.leave(this.groupId, memberId, null, reason);
    // Already gone (expired or fenced) is what leaving wants anyway.
    if (code !== ErrorCode.NONE && code !== ErrorCode.UNKNOWN_MEMBER_ID) throw fail(code, `LeaveGroup ${this.groupId}`);
  }
}
