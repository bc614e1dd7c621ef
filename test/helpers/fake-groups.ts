/**
 * In-memory group APIs for the fake broker (fake-broker.ts), enough to test the network
 * transport's group requests and `sluice groups` against answers we control: groups are plain records a
 * test sets up (state, members with their assignment bytes, committed offsets), and the admin
 * APIs answer from them with Kafka's error rules. The membership APIs (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup) are a separate, much simplified coordinator: `fakeMembership`.
 *
 *   FindCoordinator 0-4   this broker; `coordinatorErrors` are answered first, one per request
 *   ListGroups 0-4        statesFilter honoured from v4
 *   DescribeGroups 0-5    an unknown group is Dead with no members and no error (Kafka before v6)
 *   OffsetFetch 0-8       null topics = every committed partition; -1 for none
 *   OffsetCommit 0-8      generation -1 into a group with members: UNKNOWN_MEMBER_ID (Kafka's rule)
 *   DeleteGroups 0-2      GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP
 *   OffsetDelete 0        GROUP_ID_NOT_FOUND; GROUP_SUBSCRIBED_TO_TOPIC for a member's topic
 */
import {
  deleteGroupsApi,
  describeGroupsApi,
  findCoordinatorApi,
  heartbeatApi,
  joinGroupApi,
  leaveGroupApi,
  listGroupsApi,
  syncGroupApi,
  offsetCommitApi,
  offsetDeleteApi,
  offsetFetchApi,
  type ApiSchema,
} from '../../src/protocol/index.js';
import type { ApiHandler } from '../../src/server/dispatcher.js';
import type { FakeBroker } from './fake-broker.js';

export interface FakeMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Topics the member subscribes to (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC rule). */
  topics: string[];
  metadata: Buffer;
  assignment: Buffer;
}

export interface FakeGroup {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: FakeMember[];
  /** "topic:partition" → committed offset. */
  offsets: Map<string, bigint>;
}

export interface FakeGroupState {
  groups: Map<string, FakeGroup>;
  /** Error codes FindCoordinator answers before it answers with this broker, one per request. */
  coordinatorErrors: number[];
  /** Error codes OffsetCommit answers (for every partition) before it accepts commits, one per request. */
  commitErrors: number[];
  /** Every OffsetCommit received: group, generation, member, and the offsets. */
  commits: { groupId: string; generationId: number; memberId: string; offsets: { topic: string; partition: number; offset: bigint }[] }[];
  addGroup(group: Partial<FakeGroup> & { groupId: string }): FakeGroup;
}

export function fakeGroupState(): FakeGroupState {
  const state: FakeGroupState = {
    groups: new Map(),
    coordinatorErrors: [],
    commitErrors: [],
    commits: [],
    addGroup(g) {
      const group: FakeGroup = { state: 'Empty', protocolType: 'consumer', protocol: '', members: [], offsets: new Map(), ...g };
      state.groups.set(group.groupId, group);
      return group;
    },
  };
  return state;
}

const key = (topic: string, partition: number): string => `${topic}:${partition}`;

export function fakeGroupHandlers(state: FakeGroupState): (broker: FakeBroker) => ApiHandler<ApiSchema>[] {
  return (broker) => {
    const findCoordinator: ApiHandler<typeof findCoordinatorApi> = {
      api: findCoordinatorApi,
      versions: [0, 4],
      handle(request, ctx) {
        const errorCode = state.coordinatorErrors.shift() ?? 0;
        const answer =
          errorCode === 0
            ? { errorCode, errorMessage: null, nodeId: broker.nodeId, host: '127.0.0.1', port: broker.port }
            : { errorCode, errorMessage: 'not now', nodeId: -1, host: '', port: -1 };
        if (ctx.header.apiVersion >= 4) return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map((k) => ({ key: k, ...answer })) };
        return { throttleTimeMs: 0, ...answer };
      },
    };
    const listGroups: ApiHandler<typeof listGroupsApi> = {
      api: listGroupsApi,
      versions: [0, 4],
      handle(request, ctx) {
        const filter = ctx.header.apiVersion >= 4 ? request.statesFilter.map((s) => s.toLowerCase()) : [];
        const groups = [...state.groups.values()].filter((g) => filter.length === 0 || filter.includes(g.state.toLowerCase()));
        return { throttleTimeMs: 0, errorCode: 0, groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state })) };
      },
    };
    const describeGroups: ApiHandler<typeof describeGroupsApi> = {
      api: describeGroupsApi,
      versions: [0, 5],
      handle(request) {
        return {
          throttleTimeMs: 0,
          groups: request.groups.map((id) => {
            const g = state.groups.get(id);
            if (g === undefined) return { errorCode: 0, groupId: id, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
            return {
              errorCode: 0,
              groupId: id,
              groupState: g.state,
              protocolType: g.protocolType,
              protocolData: g.protocol,
              members: g.members.map((m) => ({ ...m, memberMetadata: m.metadata, memberAssignment: m.assignment })),
            };
          }),
        };
      },
    };
    const fetchFor = (groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null) => {
      const g = state.groups.get(groupId);
      const offsets = g?.offsets ?? new Map<string, bigint>();
      const wanted =
        topics ??
        [...new Set([...offsets.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))))].map((name) => ({
          name,
          partitionIndexes: [...offsets.keys()].filter((k) => k.slice(0, k.lastIndexOf(':')) === name).map((k) => Number(k.slice(k.lastIndexOf(':') + 1))),
        }));
      return wanted.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({
          partitionIndex: p,
          committedOffset: offsets.get(key(t.name, p)) ?? -1n,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: 0,
        })),
      }));
    };
    const offsetFetch: ApiHandler<typeof offsetFetchApi> = {
      api: offsetFetchApi,
      versions: [0, 8],
      handle(request, ctx) {
        if (ctx.header.apiVersion >= 8) {
          return { throttleTimeMs: 0, groups: request.groups.map((g) => ({ groupId: g.groupId, topics: fetchFor(g.groupId, g.topics), errorCode: 0 })) };
        }
        return { throttleTimeMs: 0, errorCode: 0, topics: fetchFor(request.groupId, request.topics) };
      },
    };
    const offsetCommit: ApiHandler<typeof offsetCommitApi> = {
      api: offsetCommitApi,
      versions: [0, 8],
      handle(request) {
        let g = state.groups.get(request.groupId);
        const scripted = state.commitErrors.shift();
        const refused = scripted ?? (g !== undefined && g.members.length > 0 && !g.members.some((m) => m.memberId === request.memberId) ? 25 : 0);
        if (refused === 0) {
          state.commits.push({
            groupId: request.groupId,
            generationId: request.generationId,
            memberId: request.memberId,
            offsets: request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset }))),
          });
          g ??= state.addGroup({ groupId: request.groupId, protocolType: '' });
          for (const t of request.topics) for (const p of t.partitions) g.offsets.set(key(t.name, p.partitionIndex), p.committedOffset);
        }
        return {
          throttleTimeMs: 0,
          topics: request.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: refused })),
          })),
        };
      },
    };
    const deleteGroups: ApiHandler<typeof deleteGroupsApi> = {
      api: deleteGroupsApi,
      versions: [0, 2],
      handle(request) {
        return {
          throttleTimeMs: 0,
          results: request.groupsNames.map((id) => {
            const g = state.groups.get(id);
            if (g === undefined) return { groupId: id, errorCode: 69 };
            if (g.members.length > 0) return { groupId: id, errorCode: 68 };
            state.groups.delete(id);
            return { groupId: id, errorCode: 0 };
          }),
        };
      },
    };
    const offsetDelete: ApiHandler<typeof offsetDeleteApi> = {
      api: offsetDeleteApi,
      versions: [0, 0],
      handle(request) {
        const g = state.groups.get(request.groupId);
        if (g === undefined) return { errorCode: 69, throttleTimeMs: 0, topics: [] };
        const subscribed = new Set(g.members.flatMap((m) => m.topics));
        const topics = request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            if (subscribed.has(t.name)) return { partitionIndex: p.partitionIndex, errorCode: 86 };
            g.offsets.delete(key(t.name, p.partitionIndex));
            return { partitionIndex: p.partitionIndex, errorCode: 0 };
          }),
        }));
        const errorCode = topics.some((t) => t.partitions.some((p) => p.errorCode !== 0)) ? 86 : 0;
        return { errorCode, throttleTimeMs: 0, topics };
      },
    };
    return [findCoordinator, listGroups, describeGroups, offsetFetch, offsetCommit, deleteGroups, offsetDelete] as unknown as ApiHandler<ApiSchema>[];
  };
}

/**
 * A one-group membership coordinator, simplified: JoinGroup answers MEMBER_ID_REQUIRED to a
 * member without id, then holds joins until `expectedMembers` have joined, starts a generation
 * with the first joiner as leader and the first protocol of the leader's list; SyncGroup holds
 * followers until the leader's assignments arrive. Heartbeat answers `heartbeatErrors` first,
 * then UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION / REBALANCE_IN_PROGRESS (after `rebalance()`)
 * as Kafka would.
 */
export interface FakeMembership {
  expectedMembers: number;
  generation: number;
  leader: string;
  protocol: string;
  members: Set<string>;
  heartbeatErrors: number[];
  joins: { memberId: string; protocols: string[]; metadata: Buffer[] }[];
  syncs: { memberId: string; generationId: number; assignments: Map<string, Buffer> }[];
  heartbeats: { memberId: string; generationId: number }[];
  left: string[];
  /** Makes the next heartbeats answer REBALANCE_IN_PROGRESS until everyone rejoined. */
  rebalance(): void;
  handlers(broker: FakeBroker): ApiHandler<ApiSchema>[];
}

export function fakeMembership(expectedMembers = 1): FakeMembership {
  let nextId = 1;
  let rebalancing = false;
  let pendingJoins: { memberId: string; protocols: { name: string; metadata: Buffer }[]; resolve: (v: unknown) => void }[] = [];
  let assignments: Map<string, Buffer> | null = null;
  const waitingSyncs: (() => void)[] = [];
  const m: FakeMembership = {
    expectedMembers,
    generation: 0,
    leader: '',
    protocol: '',
    members: new Set(),
    heartbeatErrors: [],
    joins: [],
    syncs: [],
    heartbeats: [],
    left: [],
    rebalance() {
      rebalancing = true;
    },
    handlers() {
      const joinGroup: ApiHandler<typeof joinGroupApi> = {
        api: joinGroupApi,
        versions: [0, 9],
        handle(request) {
          m.joins.push({ memberId: request.memberId, protocols: request.protocols.map((p) => p.name), metadata: request.protocols.map((p) => p.metadata) });
          const base = { throttleTimeMs: 0, generationId: -1, protocolType: 'consumer', protocolName: null, leader: '', skipAssignment: false, members: [] };
          if (request.memberId === '') return { ...base, errorCode: 79, memberId: `member-${nextId++}` };
          return new Promise((resolve) => {
            pendingJoins.push({ memberId: request.memberId, protocols: request.protocols, resolve: resolve as (v: unknown) => void });
            if (pendingJoins.length < m.expectedMembers) return;
            const joined = pendingJoins;
            pendingJoins = [];
            rebalancing = false;
            assignments = null;
            m.generation++;
            m.leader = joined[0]!.memberId;
            m.protocol = joined[0]!.protocols[0]!.name;
            m.members = new Set(joined.map((j) => j.memberId));
            for (const j of joined) {
              j.resolve({
                ...base,
                errorCode: 0,
                generationId: m.generation,
                protocolName: m.protocol,
                leader: m.leader,
                memberId: j.memberId,
                members:
                  j.memberId === m.leader
                    ? joined.map((x) => ({ memberId: x.memberId, groupInstanceId: null, metadata: x.protocols.find((p) => p.name === m.protocol)!.metadata }))
                    : [],
              });
            }
          });
        },
      };
      const syncGroup: ApiHandler<typeof syncGroupApi> = {
        api: syncGroupApi,
        versions: [0, 5],
        handle(request) {
          m.syncs.push({
            memberId: request.memberId,
            generationId: request.generationId,
            assignments: new Map(request.assignments.map((a) => [a.memberId, a.assignment])),
          });
          const answer = (errorCode: number, assignment: Buffer) => ({
            throttleTimeMs: 0,
            errorCode,
            protocolType: 'consumer',
            protocolName: m.protocol,
            assignment,
          });
          if (!m.members.has(request.memberId)) return answer(25, Buffer.alloc(0));
          if (request.generationId !== m.generation) return answer(22, Buffer.alloc(0));
          if (request.memberId === m.leader) {
            assignments = new Map(request.assignments.map((a) => [a.memberId, a.assignment]));
            for (const w of waitingSyncs.splice(0)) w();
          }
          if (assignments !== null) return answer(0, assignments.get(request.memberId) ?? Buffer.alloc(0));
          return new Promise((resolve) => waitingSyncs.push(() => resolve(answer(0, assignments!.get(request.memberId) ?? Buffer.alloc(0)))));
        },
      };
      const heartbeat: ApiHandler<typeof heartbeatApi> = {
        api: heartbeatApi,
        versions: [0, 4],
        handle(request) {
          m.heartbeats.push({ memberId: request.memberId, generationId: request.generationId });
          const scripted = m.heartbeatErrors.shift();
          let errorCode = scripted ?? 0;
          if (scripted === undefined) {
            if (!m.members.has(request.memberId)) errorCode = 25;
            else if (request.generationId !== m.generation) errorCode = 22;
            else if (rebalancing) errorCode = 27;
          }
          return { throttleTimeMs: 0, errorCode };
        },
      };
      const leaveGroup: ApiHandler<typeof leaveGroupApi> = {
        api: leaveGroupApi,
        versions: [0, 5],
        handle(request, ctx) {
          const ids = ctx.header.apiVersion >= 3 ? request.members.map((x) => x.memberId) : [request.memberId];
          for (const id of ids) {
            m.left.push(id);
            m.members.delete(id);
          }
          return { throttleTimeMs: 0, errorCode: 0, members: ids.map((memberId) => ({ memberId, groupInstanceId: null, errorCode: 0 })) };
        },
      };
      return [joinGroup, syncGroup, heartbeat, leaveGroup] as unknown as ApiHandler<ApiSchema>[];
    },
  };
  return m;
}
