/**
 * Group requests of the network transport: finding a group's coordinator and the admin operations
 * on groups and their committed offsets (what Kafka's Admin client does for
 * kafka-consumer-groups.sh). The membership requests are in network-group-transport.ts.
 *
 * - FindCoordinator: v4 batches keys (KIP-699), older versions take one key; either way one
 *   group per request here. Transactional ids are looked up the same way with key type 1
 *   (`transactionCoordinator`, for txn-client.ts). The answer is cached per group until a request to it fails with a
 *   coordinator error.
 * - Every group request goes to the group's coordinator. COORDINATOR_LOAD_IN_PROGRESS,
 *   COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR and a lost connection forget the cached
 *   coordinator, back off and retry (a few times); any other error is the answer.
 * - ListGroups goes to every broker (each coordinates its own groups) and merges the answers.
 * - Per-group and per-partition errors are values in the results, as Kafka's responses carry
 *   them; only request-level failures throw.
 */
import { deleteGroupsApi, describeGroupsApi, findCoordinatorApi, listGroupsApi, offsetCommitApi, offsetDeleteApi, offsetFetchApi } from '../protocol/index.js';
import type { ClusterClient } from './cluster-client.js';
import { ErrorCodes, KafkaConnectionError, KafkaResponseError } from './network-errors.js';
import { withRetries } from './retry.js';

export interface Coordinator {
  nodeId: number;
  host: string;
  port: number;
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  /** null when the broker answered ListGroups v0-3, which carry no state. */
  state: string | null;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** The member's JoinGroup metadata for the chosen protocol (a subscription for consumers). */
  metadata: Buffer;
  /** What the leader assigned it in SyncGroup (empty until the group is Stable). */
  assignment: Buffer;
}

export interface GroupDescription {
  groupId: string;
  errorCode: number;
  /** Kafka's group state name: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead. */
  state: string;
  protocolType: string;
  /** The chosen protocol (the assignor's name for consumer groups); "" when none. */
  protocol: string;
  members: GroupMemberDescription[];
  coordinator: Coordinator;
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export interface CommittedOffset extends TopicPartitionRef {
  /** -1 when the group has no committed offset for the partition. */
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetToCommit extends TopicPartitionRef {
  offset: bigint;
  leaderEpoch?: number;
  metadata?: string | null;
}

/** A member's identity for OffsetCommit; admin commits use generation -1 and memberId "". */
export interface CommitIdentity {
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
}

export interface PartitionResult extends TopicPartitionRef {
  errorCode: number;
}

export interface GroupResult {
  groupId: string;
  errorCode: number;
}

export interface GroupClientOptions {
  /** Retries after a coordinator error or lost connection; default 5. */
  retries?: number;
  /** First backoff; doubles per retry up to 1 s. Default 100 ms. */
  retryBackoffMs?: number;
}

const COORDINATOR_ERRORS: ReadonlySet<number> = new Set([
  ErrorCodes.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCodes.COORDINATOR_NOT_AVAILABLE,
  ErrorCodes.NOT_COORDINATOR,
]);

/** Whether `code` means "ask again, maybe elsewhere": the coordinator is loading, absent or moved. */
export function isCoordinatorError(code: number): boolean {
  return COORDINATOR_ERRORS.has(code);
}

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;
/** Partitions grouped by topic, in first-seen topic order, as the request schemas want them. */
function byTopic<T extends TopicPartitionRef>(items: readonly T[]): { name: string; items: T[] }[] {
  const out: { name: string; items: T[] }[] = [];
  const index = new Map<string, { name: string; items: T[] }>();
  for (const item of items) {
    let entry = index.get(item.topic);
    if (entry === undefined) {
      entry = { name: item.topic, items: [] };
      index.set(item.topic, entry);
      out.push(entry);
    }
    entry.items.push(item);
  }
  return out;
}

export class GroupClient {
  private readonly coordinators = new Map<string, Coordinator>();
  private readonly txnCoordinators = new Map<string, Coordinator>();
  private readonly retries: number;
  private readonly retryBackoffMs: number;

  constructor(
    readonly client: ClusterClient,
    options: GroupClientOptions = {},
  ) {
    this.retries = options.retries ?? 5;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
  }

  /** The coordinator of `groupId`, cached until a request to it fails with a coordinator error. */
  coordinator(groupId: string): Promise<Coordinator> {
    return this.retrying(() => this.cachedCoordinator(groupId), groupId);
  }

  /** The cached coordinator or one FindCoordinator; callers run it inside `retrying`. */
  private async cachedCoordinator(groupId: string): Promise<Coordinator> {
    const cached = this.coordinators.get(groupId);
    if (cached !== undefined) return cached;
    const found = await this.findCoordinator(groupId);
    this.coordinators.set(groupId, found);
    return found;
  }

  /** The transaction coordinator of `transactionalId` (FindCoordinator key type 1, v1+), cached until forgotten; no retries. */
  async transactionCoordinator(transactionalId: string): Promise<Coordinator> {
    const cached = this.txnCoordinators.get(transactionalId);
    if (cached !== undefined) return cached;
    const found = await this.findCoordinator(transactionalId, KEY_TYPE_TRANSACTION);
    this.txnCoordinators.set(transactionalId, found);
    return found;
  }

  /** Forgets the transaction coordinator of `transactionalId` (it answered a coordinator error, or its connection broke). */
  forgetTransactionCoordinator(transactionalId: string): void {
    this.txnCoordinators.delete(transactionalId);
  }

  private async findCoordinator(key: string, keyType = KEY_TYPE_GROUP): Promise<Coordinator> {
    const what = keyType === KEY_TYPE_GROUP ? 'group' : 'transactional id';
    const { version, response } = await this.client.request(
      findCoordinatorApi,
      (v) => (v >= 4 ? { keyType, coordinatorKeys: [key] } : { key, keyType }),
      keyType === KEY_TYPE_GROUP ? {} : { minVersion: 1 },
    );
    const answer =
      version >= 4
        ? response.coordinators.find((c) => c.key === key)
        : { errorCode: response.errorCode, errorMessage: response.errorMessage, nodeId: response.nodeId, host: response.host, port: response.port };
    if (answer === undefined) throw new Error(`FindCoordinator response has no entry for ${what} ${key}`);
    if (answer.errorCode !== 0) throw new KafkaResponseError(answer.errorCode, `FindCoordinator for ${what} ${key}`, answer.errorMessage);
    return { nodeId: answer.nodeId, host: answer.host, port: answer.port };
  }

  /**
   * Runs `fn`, retrying coordinator errors and lost connections: each first forgets the
   * cached coordinator of `groupId`, so the retry looks it up again.
   */
  retrying<T>(fn: () => Promise<T>, groupId: string): Promise<T> {
    return withRetries(fn, {
      retries: this.retries,
      backoffMs: this.retryBackoffMs,
      shouldRetry: (err) => (err instanceof KafkaResponseError && isCoordinatorError(err.errorCode)) || err instanceof KafkaConnectionError,
      beforeRetry: () => this.coordinators.delete(groupId),
    });
  }

  /** Forgets the cached coordinator of `groupId` (after a coordinator error seen elsewhere). */
  forgetCoordinator(groupId: string): void {
    this.coordinators.delete(groupId);
  }

  /**
   * Every group of every broker. `states` (ListGroups v4+, KIP-518) filters by state and makes
   * the broker report each group's state; an empty array asks for the states unfiltered.
   */
  async listGroups(options: { states?: readonly string[] } = {}): Promise<GroupListing[]> {
    const brokers = await this.client.knownBrokers();
    const wantStates = options.states !== undefined;
    const answers = await Promise.all(
      brokers.map(async (b) => {
        const { version, response } = await this.client.request(listGroupsApi, () => ({ statesFilter: [...(options.states ?? [])] }), {
          broker: b,
          ...(wantStates ? { minVersion: 4 } : {}),
        });
        if (response.errorCode !== 0) throw new KafkaResponseError(response.errorCode, `ListGroups from broker ${b.nodeId} (${b.host}:${b.port})`);
        return response.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: version >= 4 ? g.groupState : null }));
      }),
    );
    const seen = new Map<string, GroupListing>();
    for (const g of answers.flat()) seen.set(g.groupId, g);
    return [...seen.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** Describes one group at its coordinator; a group-level error is a value (`errorCode`). */
  describeGroup(groupId: string): Promise<GroupDescription> {
    return this.retrying(async () => {
      const coordinator = await this.cachedCoordinator(groupId);
      const { response } = await this.client.request(describeGroupsApi, () => ({ groups: [groupId], includeAuthorizedOperations: false }), {
        broker: coordinator,
      });
      const g = response.groups.find((x) => x.groupId === groupId) ?? response.groups[0];
      if (g === undefined) throw new Error(`DescribeGroups response has no entry for group ${groupId}`);
      if (isCoordinatorError(g.errorCode)) throw new KafkaResponseError(g.errorCode, `DescribeGroups ${groupId}`);
      return {
        groupId,
        errorCode: g.errorCode,
        state: g.groupState,
        protocolType: g.protocolType,
        protocol: g.protocolData,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          metadata: m.memberMetadata,
          assignment: m.memberAssignment,
        })),
        coordinator,
      };
    }, groupId);
  }

  /**
   * The committed offsets of `groupId`: for `partitions`, or every partition it has an offset
   * for (null; OffsetFetch v2+). A partition without a committed offset has offset -1. A
   * group-level error throws (Kafka's top-level errorCode); partition errors are values.
   */
  fetchOffsets(groupId: string, partitions: readonly TopicPartitionRef[] | null, options: { requireStable?: boolean } = {}): Promise<CommittedOffset[]> {
    const topics = partitions === null ? null : byTopic(partitions).map((t) => ({ name: t.name, partitionIndexes: t.items.map((p) => p.partition) }));
    return this.retrying(async () => {
      const coordinator = await this.cachedCoordinator(groupId);
      const { version, response } = await this.client.request(
        offsetFetchApi,
        (v) =>
          v >= 8
            ? { groups: [{ groupId, topics }], requireStable: options.requireStable ?? false }
            : { groupId, topics, requireStable: options.requireStable ?? false },
        { broker: coordinator, ...(topics === null ? { minVersion: 2 } : {}) },
      );
      let errorCode: number;
      let resultTopics: (typeof response.topics)[number][];
      if (version >= 8) {
        const g = response.groups.find((x) => x.groupId === groupId);
        if (g === undefined) throw new Error(`OffsetFetch response has no entry for group ${groupId}`);
        errorCode = g.errorCode;
        resultTopics = g.topics;
      } else {
        errorCode = response.errorCode;
        resultTopics = response.topics;
      }
      // v0-v1 have no top-level error: a coordinator problem shows on the partitions.
      const partitionCoordinatorError = resultTopics.flatMap((t) => t.partitions).find((p) => isCoordinatorError(p.errorCode));
      if (errorCode === 0 && partitionCoordinatorError !== undefined) errorCode = partitionCoordinatorError.errorCode;
      if (errorCode !== 0) throw new KafkaResponseError(errorCode, `OffsetFetch for group ${groupId}`);
      return resultTopics.flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.metadata,
          errorCode: p.errorCode,
        })),
      );
    }, groupId);
  }

  /**
   * Commits `offsets` for `groupId`. Without `member` it is an admin commit (generation -1,
   * memberId ""), which the coordinator accepts only while the group has no members.
   * Per-partition errors are values; coordinator errors are retried.
   */
  commitOffsets(groupId: string, offsets: readonly OffsetToCommit[], member?: CommitIdentity): Promise<PartitionResult[]> {
    const topics = byTopic(offsets).map((t) => ({
      name: t.name,
      partitions: t.items.map((o) => ({
        partitionIndex: o.partition,
        committedOffset: o.offset,
        committedLeaderEpoch: o.leaderEpoch ?? -1,
        commitTimestamp: -1n,
        committedMetadata: o.metadata ?? '',
      })),
    }));
    return this.retrying(async () => {
      const coordinator = await this.cachedCoordinator(groupId);
      const { response } = await this.client.request(
        offsetCommitApi,
        () => ({
          groupId,
          generationId: member?.generationId ?? -1,
          memberId: member?.memberId ?? '',
          groupInstanceId: member?.groupInstanceId ?? null,
          retentionTimeMs: -1n,
          topics,
        }),
        { broker: coordinator },
      );
      const results = response.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })));
      const coordinatorError = results.find((r) => isCoordinatorError(r.errorCode));
      if (coordinatorError !== undefined) throw new KafkaResponseError(coordinatorError.errorCode, `OffsetCommit for group ${groupId}`);
      return results;
    }, groupId);
  }

  /** Deletes each group at its coordinator; per-group results in the order given. */
  async deleteGroups(groupIds: readonly string[]): Promise<GroupResult[]> {
    const out: GroupResult[] = [];
    for (const groupId of new Set(groupIds)) {
      out.push(
        await this.retrying(async () => {
          const coordinator = await this.cachedCoordinator(groupId);
          const { response } = await this.client.request(deleteGroupsApi, () => ({ groupsNames: [groupId] }), { broker: coordinator });
          const r = response.results.find((x) => x.groupId === groupId);
          if (r === undefined) throw new Error(`DeleteGroups response has no entry for group ${groupId}`);
          if (isCoordinatorError(r.errorCode)) throw new KafkaResponseError(r.errorCode, `DeleteGroups ${groupId}`);
          return { groupId, errorCode: r.errorCode };
        }, groupId),
      );
    }
    return out;
  }

  /** OffsetDelete (KIP-496): the group-level error code and one result per partition. */
  deleteOffsets(groupId: string, partitions: readonly TopicPartitionRef[]): Promise<{ errorCode: number; partitions: PartitionResult[] }> {
    const topics = byTopic(partitions).map((t) => ({ name: t.name, partitions: t.items.map((p) => ({ partitionIndex: p.partition })) }));
    return this.retrying(async () => {
      const coordinator = await this.cachedCoordinator(groupId);
      const { response } = await this.client.request(offsetDeleteApi, () => ({ groupId, topics }), { broker: coordinator });
      if (isCoordinatorError(response.errorCode)) throw new KafkaResponseError(response.errorCode, `OffsetDelete for group ${groupId}`);
      return {
        errorCode: response.errorCode,
        partitions: response.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode }))),
      };
    }, groupId);
  }
}
