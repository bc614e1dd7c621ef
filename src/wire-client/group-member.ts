/**
 * A consumer group member over the wire (the classic protocol, KIP-848's is not spoken). The
 * state machine — JoinGroup (with the member id KIP-394 requires), the leader's assignment with
 * the agreed assignor, SyncGroup, heartbeats, commits under the generation, LeaveGroup — is
 * the one the embedded consumer uses (client/group-membership.ts); this file is its transport
 * over the wire (WireGroupTransport) and the small API the console consumer drives.
 *
 * Rebalances are eager with the default assignors (range, cooperative-sticky: not every one
 * is cooperative): before rejoining, the owner of this member stops reading and commits (see
 * `needsRejoin`), and the subscription claims no owned partitions.
 *
 * Errors: REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID and FENCED_INSTANCE_ID
 * from Heartbeat or OffsetCommit mark the member as needing to rejoin (UNKNOWN_MEMBER_ID also
 * drops the member id); coordinator errors and lost connections forget the coordinator and
 * retry (groups.ts). Any other error from JoinGroup or SyncGroup throws.
 */
import { GroupMembership, MEMBERSHIP_DEFAULTS, type GroupTransport, type JoinRequest, type JoinResponse, type MemberIdentity, type OffsetToCommit as MemberOffset, type SyncRequest } from '../client/group-membership.js';
import type { PartitionAssignor, TopicPartitions } from '../group/assignors/index.js';
import { heartbeatApi, joinGroupApi, leaveGroupApi, syncGroupApi } from '../protocol/index.js';
import type { KafkaWireClient } from './client.js';
import { KafkaResponseError } from './errors.js';
import { GroupClient, isCoordinatorError, type CommittedOffset, type OffsetToCommit } from './groups.js';

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

/** GroupTransport over the wire: each request goes to the group's coordinator, found and re-found by GroupClient. */
export class WireGroupTransport implements GroupTransport {
  constructor(
    readonly groups: GroupClient,
    private readonly rebalanceTimeoutMs: number,
    /** The client.id the coordinator records for this member (DescribeGroups); default the connection's. */
    private readonly clientId?: string,
  ) {}

  private get idOption(): { clientId?: string } {
    return this.clientId === undefined ? {} : { clientId: this.clientId };
  }

  /** One request to the coordinator; a coordinator error throws, so `retrying` looks it up again. */
  private toCoordinator<T extends { errorCode: number }>(groupId: string, what: string, send: (coordinator: { host: string; port: number }) => Promise<T>): Promise<T> {
    return this.groups.retrying(async () => {
      const coordinator = await this.groups.coordinator(groupId);
      const response = await send(coordinator);
      if (isCoordinatorError(response.errorCode)) throw new KafkaResponseError(response.errorCode, `${what} ${groupId}`);
      return response;
    }, groupId);
  }

  join(r: JoinRequest): Promise<JoinResponse> {
    return this.toCoordinator(r.groupId, 'JoinGroup', async (broker) => {
      const { response } = await this.groups.client.request(joinGroupApi, () => ({ ...r }), {
        broker,
        ...this.idOption,
        // The coordinator holds JoinGroup until every member has joined, up to the rebalance timeout.
        timeoutMs: this.rebalanceTimeoutMs + 5_000,
      });
      return {
        errorCode: response.errorCode,
        memberId: response.memberId,
        generationId: response.generationId,
        protocolName: response.protocolName,
        leader: response.leader,
        members: response.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
        skipAssignment: response.skipAssignment,
      };
    });
  }

  sync(r: SyncRequest): Promise<{ errorCode: number; assignment: Buffer }> {
    return this.toCoordinator(r.groupId, 'SyncGroup', async (broker) => {
      const { response } = await this.groups.client.request(syncGroupApi, () => ({ ...r }), { broker, timeoutMs: this.rebalanceTimeoutMs + 5_000, ...this.idOption });
      return { errorCode: response.errorCode, assignment: response.assignment };
    });
  }

  async heartbeat(groupId: string, identity: MemberIdentity): Promise<number> {
    const response = await this.toCoordinator(groupId, 'Heartbeat', async (broker) => (await this.groups.client.request(heartbeatApi, () => ({ groupId, ...identity }), { broker, ...this.idOption })).response);
    return response.errorCode;
  }

  async leave(groupId: string, memberId: string, groupInstanceId: string | null, reason: string): Promise<number> {
    const coordinator = await this.groups.coordinator(groupId);
    const { version, response } = await this.groups.client.request(
      leaveGroupApi,
      (v) => (v >= 3 ? { groupId, members: [{ memberId, groupInstanceId, reason }] } : { groupId, memberId }),
      { broker: coordinator, ...this.idOption },
    );
    return response.errorCode !== 0 ? response.errorCode : version >= 3 ? (response.members.find((m) => m.errorCode !== 0)?.errorCode ?? 0) : 0;
  }

  async commit(groupId: string, identity: MemberIdentity, offsets: readonly MemberOffset[]): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    const results = await this.groups.commitOffsets(
      groupId,
      offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, ...(o.metadata === undefined || o.metadata === null ? {} : { metadata: o.metadata }) })),
      identity,
    );
    return results.map((r) => ({ topic: r.topic, partition: r.partition, errorCode: r.errorCode }));
  }

  async fetchOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): Promise<{ topic: string; partition: number; offset: bigint; metadata: string }[]> {
    const offsets = await this.groups.fetchOffsets(groupId, partitions);
    return offsets.map((o) => {
      if (o.errorCode !== 0) throw new KafkaResponseError(o.errorCode, `OffsetFetch ${groupId} ${o.topic}-${o.partition}`);
      return { topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? '' };
    });
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const topic of topics) {
      try {
        out.set(topic, (await this.groups.client.topicMetadata(topic, { refresh: true })).partitions.length);
      } catch (err) {
        // A subscribed topic that does not exist gets no partitions, as in Java.
        if (!(err instanceof KafkaResponseError) || err.errorCode !== 3) throw err;
      }
    }
    return out;
  }
}

export class GroupMember {
  readonly groups: GroupClient;
  readonly groupId: string;
  private readonly membership: GroupMembership;
  private protocolName: string | null = null;
  private assignmentValue: TopicPartitions[] | null = null;

  constructor(client: KafkaWireClient, options: GroupMemberOptions) {
    this.groupId = options.groupId;
    this.groups = new GroupClient(client, {
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      ...(options.retryBackoffMs === undefined ? {} : { retryBackoffMs: options.retryBackoffMs }),
    });
    const rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? MEMBERSHIP_DEFAULTS.rebalanceTimeoutMs;
    // GroupMembership fills in what is left undefined.
    this.membership = new GroupMembership(new WireGroupTransport(this.groups, rebalanceTimeoutMs), {
      groupId: options.groupId,
      rebalanceTimeoutMs,
      ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
      ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
      ...(options.assignors === undefined ? {} : { assignors: options.assignors }),
    });
    this.membership.setTopics(options.topics);
  }

  get memberId(): string {
    return this.membership.memberId;
  }

  get generationId(): number {
    return this.membership.generationId;
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
    return this.membership.needsRejoin;
  }

  /**
   * Joins (or rejoins) the group and resolves with this member's assignment. Heartbeats run
   * from then until `close` or until they report a rebalance.
   */
  async join(): Promise<TopicPartitions[]> {
    // The caller stopped reading before rejoining (eager): this member claims nothing.
    this.membership.revokeAll();
    const outcome = await this.membership.join();
    this.protocolName = outcome.protocol;
    this.assignmentValue = outcome.assignment;
    return outcome.assignment;
  }

  /** One Heartbeat; rebalance answers set `needsRejoin`. */
  heartbeat(): Promise<void> {
    return this.membership.heartbeat();
  }

  /** The group's committed offsets of `partitions` (-1 where none). */
  committed(partitions: readonly { topic: string; partition: number }[]): Promise<CommittedOffset[]> {
    return this.groups.fetchOffsets(this.groupId, partitions);
  }

  /**
   * Commits `offsets` under this member's generation. Returns false, with `needsRejoin` set,
   * when the group has moved on (the offsets were not committed); other errors throw.
   */
  commit(offsets: readonly OffsetToCommit[]): Promise<boolean> {
    return this.membership.commit(offsets);
  }

  /** Stops heartbeating and leaves the group (LeaveGroup), so it rebalances without waiting for the session timeout. */
  close(): Promise<void> {
    return this.membership.leave();
  }
}
