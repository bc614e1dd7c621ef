/**
 * GroupTransport over the wire (the classic group protocol; KIP-848's is not spoken): JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup, OffsetCommit and OffsetFetch sent to the group's
 * coordinator, found and re-found by GroupClient (group-client.ts). The membership state
 * machine over it is group-membership.ts, the one the in-process consumer uses too.
 *
 * Errors: coordinator errors (COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE,
 * NOT_COORDINATOR) and lost connections forget the coordinator and retry; every other error
 * code is returned to GroupMembership, which decides (rejoin, drop the member id, throw).
 */
import {
  type GroupTransport,
  type JoinRequest,
  type JoinResponse,
  type MemberIdentity,
  type OffsetToCommit as MemberOffset,
  type SyncRequest,
} from './group-membership.js';
import { heartbeatApi, joinGroupApi, leaveGroupApi, syncGroupApi } from '../protocol/index.js';
import { KafkaResponseError } from './network-errors.js';
import { GroupClient, isCoordinatorError } from './group-client.js';

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
  private toCoordinator<T extends { errorCode: number }>(
    groupId: string,
    what: string,
    send: (coordinator: { host: string; port: number }) => Promise<T>,
  ): Promise<T> {
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
      const { response } = await this.groups.client.request(syncGroupApi, () => ({ ...r }), {
        broker,
        timeoutMs: this.rebalanceTimeoutMs + 5_000,
        ...this.idOption,
      });
      return { errorCode: response.errorCode, assignment: response.assignment };
    });
  }

  async heartbeat(groupId: string, identity: MemberIdentity): Promise<number> {
    const response = await this.toCoordinator(
      groupId,
      'Heartbeat',
      async (broker) => (await this.groups.client.request(heartbeatApi, () => ({ groupId, ...identity }), { broker, ...this.idOption })).response,
    );
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

  async commit(
    groupId: string,
    identity: MemberIdentity,
    offsets: readonly MemberOffset[],
  ): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    const results = await this.groups.commitOffsets(
      groupId,
      offsets.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        offset: o.offset,
        ...(o.metadata === undefined || o.metadata === null ? {} : { metadata: o.metadata }),
      })),
      identity,
    );
    return results.map((r) => ({ topic: r.topic, partition: r.partition, errorCode: r.errorCode }));
  }

  async fetchOffsets(
    groupId: string,
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<{ topic: string; partition: number; offset: bigint; metadata: string }[]> {
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
