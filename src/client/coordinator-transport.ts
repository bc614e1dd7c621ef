/**
 * GroupTransport by direct calls into this process's GroupCoordinator: the same methods the
 * daemon's JoinGroup / SyncGroup / Heartbeat / LeaveGroup / OffsetCommit / OffsetFetch handlers
 * call, so in-process consumers and consumers over the wire are members of the same groups.
 * Requests are sent as the newest protocol versions would carry them (JoinGroup v4+ without a
 * group.instance.id must first learn its member id, KIP-394).
 */
import type { Broker } from '../broker/broker.js';
import { ErrorCode, KafkaError, errorNameOf } from '../errors.js';
import type { GroupCoordinator } from '../group/coordinator.js';
import { type GroupTransport, type JoinRequest, type JoinResponse, type MemberIdentity, type OffsetToCommit, type SyncRequest } from './group-membership.js';

/** How the coordinator lists an in-process member's host in DescribeGroups. */
export const IN_PROCESS_CLIENT_HOST = 'in-process';

export class CoordinatorTransport implements GroupTransport {
  constructor(
    private readonly broker: Broker,
    private readonly groups: GroupCoordinator,
    private readonly clientId: string,
  ) {}

  /** FindCoordinator's side effect: `__consumer_offsets` exists before the first group request. */
  async ready(): Promise<void> {
    const code = await this.groups.findCoordinator();
    if (code !== ErrorCode.NONE) throw new KafkaError(errorNameOf(code), `no group coordinator: ${errorNameOf(code)}`);
  }

  async join(r: JoinRequest): Promise<JoinResponse> {
    await this.ready();
    const result = await this.groups.joinGroup({
      groupId: r.groupId,
      memberId: r.memberId,
      groupInstanceId: r.groupInstanceId,
      requireKnownMemberId: r.groupInstanceId === null,
      supportSkippingAssignment: false,
      clientId: this.clientId,
      clientHost: IN_PROCESS_CLIENT_HOST,
      rebalanceTimeoutMs: r.rebalanceTimeoutMs,
      sessionTimeoutMs: r.sessionTimeoutMs,
      protocolType: r.protocolType,
      protocols: r.protocols,
      reason: r.reason,
    });
    return {
      errorCode: result.errorCode,
      memberId: result.memberId,
      generationId: result.generationId,
      protocolName: result.protocolName,
      leader: result.leader,
      members: result.members,
    };
  }

  async sync(r: SyncRequest): Promise<{ errorCode: number; assignment: Buffer }> {
    const result = await this.groups.syncGroup(r);
    return { errorCode: result.errorCode, assignment: result.assignment };
  }

  async heartbeat(groupId: string, identity: MemberIdentity): Promise<number> {
    return this.groups.heartbeat({ groupId, ...identity });
  }

  async leave(groupId: string, memberId: string, groupInstanceId: string | null, reason: string): Promise<number> {
    const result = this.groups.leaveGroup(groupId, [{ memberId, groupInstanceId, reason }]);
    return result.errorCode !== ErrorCode.NONE ? result.errorCode : (result.members[0]?.errorCode ?? ErrorCode.NONE);
  }

  async commit(
    groupId: string,
    identity: MemberIdentity,
    offsets: readonly OffsetToCommit[],
  ): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    await this.ready();
    const byTopic = new Map<string, OffsetToCommit[]>();
    for (const o of offsets) {
      let list = byTopic.get(o.topic);
      if (list === undefined) byTopic.set(o.topic, (list = []));
      list.push(o);
    }
    const result = this.groups.commitOffsets({
      groupId,
      ...identity,
      retentionTimeMs: -1,
      topics: [...byTopic].map(([name, list]) => ({
        name,
        partitions: list.map((o) => ({
          partitionIndex: o.partition,
          committedOffset: o.offset,
          committedLeaderEpoch: -1,
          committedMetadata: o.metadata ?? null,
          commitTimestamp: -1n,
        })),
      })),
    });
    return result.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })));
  }

  async fetchOffsets(
    groupId: string,
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<{ topic: string; partition: number; offset: bigint; metadata: string }[]> {
    await this.ready();
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) {
      let list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, (list = []));
      list.push(p.partition);
    }
    const result = this.groups.fetchOffsets(
      groupId,
      [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
    );
    if (result.errorCode !== ErrorCode.NONE) throw new KafkaError(errorNameOf(result.errorCode), `OffsetFetch ${groupId}: ${errorNameOf(result.errorCode)}`);
    return result.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata })),
    );
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const t of topics) {
      const n = this.broker.partitionCount(t);
      if (n > 0) out.set(t, n);
    }
    return out;
  }
}
