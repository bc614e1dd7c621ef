/**
 * One consumer group as the coordinator holds it (Kafka's GroupMetadata / MemberMetadata for
 * the classic protocol): its state, generation, selected protocol, leader, members (static ones
 * also by group.instance.id), members that were handed an id but have not joined with it yet
 * (KIP-394), members that have not sent SyncGroup for the current generation, and its committed
 * offsets. This module is bookkeeping only: what happens on join, sync, heartbeat and leave is
 * decided in membership.ts, on timeouts and between rebalance phases in rebalance.ts.
 *
 * States and the transitions Kafka allows (to ← from):
 *
 *   PreparingRebalance  ← Stable, CompletingRebalance, Empty
 *   CompletingRebalance ← PreparingRebalance
 *   Stable              ← CompletingRebalance
 *   Empty               ← PreparingRebalance
 *   Dead                ← every state
 */
import type { Timer } from '../clock.js';
import { PendingTxnOffsets } from './pending-txn-offsets.js';
import { subscribedTopicsOf, CONSUMER_PROTOCOL_TYPE } from './subscription.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = ['PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Empty'];

const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Empty: ['PreparingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

const EMPTY = Buffer.alloc(0);

/**
 * Bumped whenever any member's protocol names change: a group's cached set of common protocols
 * is valid while this and the group's own membership epoch are unchanged.
 */
let protocolEpoch = 0;

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: number;
  memberId: string;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  /** Every member with its metadata for the selected protocol, for the leader; else empty. */
  members: JoinGroupMember[];
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Set only by OffsetCommit v2-v4 with retentionTimeMs: the offset expires then, whatever the group does. */
  expireTimestamp: number | null;
  /**
   * Offset of its record in `__consumer_offsets`: when a transaction commits, its offset replaces
   * the committed one only if written later (Kafka's CommitRecordMetadataAndOffset.olderThan).
   */
  recordOffset: bigint;
}

export class Member {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly protocolType: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  private protocolList: GroupProtocol[];
  assignment: Buffer = EMPTY;
  /** The parked JoinGroup of this member, answered when the join phase completes. */
  awaitingJoin: ((result: JoinGroupResult) => void) | null = null;
  /** The parked SyncGroup of this member, answered when the leader's assignment is stored. */
  awaitingSync: ((result: SyncGroupResult) => void) | null = null;
  /** Joined but not yet through a completed join phase: its session has its own deadline. */
  isNew = false;
  heartbeatTimer: Timer | null = null;

  constructor(fields: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    protocolType: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    protocols: GroupProtocol[];
  }) {
    this.memberId = fields.memberId;
    this.groupInstanceId = fields.groupInstanceId;
    this.clientId = fields.clientId;
    this.clientHost = fields.clientHost;
    this.protocolType = fields.protocolType;
    this.rebalanceTimeoutMs = fields.rebalanceTimeoutMs;
    this.sessionTimeoutMs = fields.sessionTimeoutMs;
    this.protocolList = fields.protocols;
  }

  /** The protocols of its last JoinGroup, in its order of preference. */
  get protocols(): GroupProtocol[] {
    return this.protocolList;
  }

  set protocols(protocols: GroupProtocol[]) {
    const old = this.protocolList;
    this.protocolList = protocols;
    // Only the names matter for the groups' common protocols, and a rejoin usually keeps them.
    if (protocols.length !== old.length || protocols.some((p, i) => p.name !== old[i]!.name)) protocolEpoch++;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  /** The metadata this member sent for `protocol` (empty when it does not support it). */
  metadataFor(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY;
  }

  /** Same protocols, in the same order, with the same metadata bytes. */
  matches(protocols: readonly GroupProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** The first protocol in this member's preference order that is in `candidates`. */
  vote(candidates: ReadonlySet<string>): string | undefined {
    return this.protocols.find((p) => candidates.has(p.name))?.name;
  }
}

export class Group {
  readonly groupId: string;
  state: GroupState;
  /** When the group entered its current state (ms); offsets of an empty group expire counting from it. */
  currentStateTimestamp: number;
  generationId = 0;
  /** Set by the first member ever to join; kept while the group exists (a standalone group has none). */
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, with the timer that forgets them. */
  readonly pendingMembers = new Map<string, Timer>();
  /** Members of this generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  /** Offsets of open transactions (TxnOffsetCommit), invisible until their COMMIT marker. */
  readonly pendingTxnOffsets = new PendingTxnOffsets();
  /** Topics the members subscribe to (consumer protocol), or null when unknown. */
  subscribedTopics: Set<string> | null = null;
  /** A member joined while the initial rebalance delay was running (it may be extended). */
  newMemberAdded = false;
  /** The join phase deadline (rebalance timeout or initial delay). */
  joinTimer: Timer | null = null;
  /** The join phase waits out group.initial.rebalance.delay.ms: it does not end early when all have joined. */
  inInitialDelay = false;
  /** The deadline for every member of this generation to send SyncGroup. */
  syncTimer: Timer | null = null;
  /** Bumped by add / remove / replaceStaticMember (members must change only through them). */
  private membershipEpoch = 0;
  /**
   * Protocol names every member supports, as of the two epochs: every JoinGroup checks them,
   * and recounting every member's protocols per join made a rebalance O(members²).
   */
  private commonCache: { set: Set<string>; membershipEpoch: number; protocolEpoch: number } | null = null;

  constructor(groupId: string, state: GroupState, nowMs: number) {
    this.groupId = groupId;
    this.state = state;
    this.currentStateTimestamp = nowMs;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId} cannot move from ${this.state} to ${state}`);
    }
    this.state = state;
    this.currentStateTimestamp = nowMs;
  }

  /** Whether a rebalance may start from the current state. */
  get canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): Member | undefined {
    return this.members.get(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  staticMemberId(groupInstanceId: string | null): string | undefined {
    return groupInstanceId === null ? undefined : this.staticMembers.get(groupInstanceId);
  }

  get numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin !== null) n++;
    return n;
  }

  /** Every member has rejoined and no handed-out member id is still expected (Kafka's hasAllMembersJoined). */
  get hasAllMembersJoined(): boolean {
    return this.numAwaitingJoin === this.members.size && this.pendingMembers.size === 0;
  }

  /** The largest rebalance timeout among the members: how long a join phase may last. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /**
   * Whether a member with these protocols could join: an empty group takes any non-empty
   * protocol list; otherwise the type must match and one of the protocols must be supported by
   * every current member.
   */
  supportsProtocols(protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    const common = this.commonProtocols();
    return protocols.some((p) => common.has(p.name));
  }

  /** Protocol names every member supports. */
  private commonProtocols(): Set<string> {
    const cached = this.commonCache;
    if (cached !== null && cached.membershipEpoch === this.membershipEpoch && cached.protocolEpoch === protocolEpoch) return cached.set;
    const counts = new Map<string, number>();
    for (const m of this.members.values()) {
      for (const name of new Set(m.protocols.map((p) => p.name))) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    const common = new Set<string>();
    for (const [name, n] of counts) if (n === this.members.size) common.add(name);
    this.commonCache = { set: common, membershipEpoch: this.membershipEpoch, protocolEpoch };
    return common;
  }

  /**
   * The protocol for the next generation: among those every member supports, the one most
   * members name first (each member votes for its most preferred candidate). Ties go to the
   * candidate voted for by the earliest-joined member, so the choice is deterministic.
   */
  selectProtocol(): string {
    const candidates = this.commonProtocols();
    if (candidates.size === 0) throw new Error(`no protocol is supported by every member of group ${this.groupId}`);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.vote(candidates)!;
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best: string | undefined;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best!;
  }

  add(member: Member, callback: ((result: JoinGroupResult) => void) | null): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
    this.members.set(member.memberId, member);
    this.membershipEpoch++;
    member.awaitingJoin = callback;
    this.pendingMembers.delete(member.memberId);
  }

  /** Removes a member; a leader is succeeded by the earliest-joined member left. */
  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId);
    if (member !== undefined) {
      this.members.delete(memberId);
      this.membershipEpoch++;
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) this.staticMembers.delete(member.groupInstanceId);
      member.heartbeatTimer?.cancel();
      member.heartbeatTimer = null;
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingSyncMembers.delete(memberId);
    return member;
  }

  /**
   * A static member rejoined under a new member id: the new id takes the old one's place (its
   * protocols, assignment, leadership), without a rebalance by itself.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): Member {
    const old = this.members.get(oldMemberId);
    if (old === undefined) throw new Error(`static member ${groupInstanceId} has no member ${oldMemberId}`);
    old.heartbeatTimer?.cancel();
    old.heartbeatTimer = null;
    const replacement = new Member({
      memberId: newMemberId,
      groupInstanceId,
      clientId: old.clientId,
      clientHost: old.clientHost,
      protocolType: old.protocolType,
      rebalanceTimeoutMs: old.rebalanceTimeoutMs,
      sessionTimeoutMs: old.sessionTimeoutMs,
      protocols: old.protocols,
    });
    replacement.assignment = old.assignment;
    // Same place in the join order (the leader's member list keeps its order).
    const entries = [...this.members.entries()];
    this.members.clear();
    for (const [id, m] of entries) this.members.set(id === oldMemberId ? newMemberId : id, id === oldMemberId ? replacement : m);
    this.membershipEpoch++;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return replacement;
  }

  /** The leader's view: every member with its metadata for the selected protocol. */
  currentMemberMetadata(): JoinGroupMember[] {
    const protocol = this.protocolName ?? '';
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(protocol) }));
  }

  /**
   * If the leader has not rejoined, another member that has becomes leader. False when no
   * member has rejoined (the join phase cannot complete yet).
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader !== undefined && leader.awaitingJoin !== null) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin !== null) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** Next generation: protocol chosen, subscriptions computed; CompletingRebalance, or Empty without members. */
  initNextGeneration(nowMs: number): void {
    this.generationId += 1;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance', nowMs);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', nowMs);
    }
    this.subscribedTopics = this.computeSubscribedTopics();
    this.pendingSyncMembers.clear();
  }

  /** Recomputes the subscribed topics from the members' metadata (consumer protocol only). */
  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const list = subscribedTopicsOf(m.metadataFor(this.protocolName));
      if (list === null) return null;
      for (const t of list) topics.add(t);
    }
    return topics;
  }

  /** Whether the group consumes `topic` (unknown subscriptions count as yes). */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === null || this.subscribedTopics.has(topic);
  }

  get isConsumerGroup(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  // ---------------------------------------------------------------- offsets

  offset(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, value: CommittedOffset): void {
    let partitions = this.offsets.get(topic);
    if (partitions === undefined) {
      partitions = new Map();
      this.offsets.set(topic, partitions);
    }
    partitions.set(partition, value);
  }

  /**
   * A tombstone for the partition's offset was written: the committed offset goes, and so do the
   * open transactions' offsets for it (Kafka's removeOffsets). True when a committed one went.
   */
  removeOffset(topic: string, partition: number): boolean {
    this.pendingTxnOffsets.remove(topic, partition);
    const partitions = this.offsets.get(topic);
    if (partitions === undefined || !partitions.delete(partition)) return false;
    if (partitions.size === 0) this.offsets.delete(topic);
    return true;
  }

  /** Committed or pending transactional offsets (Kafka's: a group with either is kept). */
  get hasOffsets(): boolean {
    return this.offsets.size > 0 || !this.pendingTxnOffsets.isEmpty;
  }

  /** Every committed offset as [topic, partition, offset]. */
  *allOffsets(): IterableIterator<[string, number, CommittedOffset]> {
    for (const [topic, partitions] of this.offsets) for (const [partition, value] of partitions) yield [topic, partition, value];
  }

  /**
   * Offsets to expire at `nowMs` (Kafka's removeExpiredOffsets, KIP-211/KIP-496):
   * - an empty group with a protocol type: every offset once the group has been empty for the
   *   retention period;
   * - a stable consumer group that knows its subscriptions: offsets of topics it no longer
   *   subscribes to, once their last commit is older than the retention period;
   * - a standalone group (offsets only, no protocol type): each offset once its last commit is
   *   older than the retention period;
   * and in every case an offset whose explicit expire timestamp (OffsetCommit v2-v4) has passed.
   */
  expiredOffsets(nowMs: number, retentionMs: number): [string, number][] {
    let base: ((o: CommittedOffset) => number) | null = null;
    let keep: Set<string> = new Set();
    if (this.protocolType !== null && this.is('Empty')) {
      base = (o) => (this.currentStateTimestamp >= 0 ? this.currentStateTimestamp : o.commitTimestamp);
    } else if (this.isConsumerGroup && this.subscribedTopics !== null && this.is('Stable')) {
      base = (o) => o.commitTimestamp;
      keep = this.subscribedTopics;
    } else if (this.protocolType === null) {
      base = (o) => o.commitTimestamp;
    }
    if (base === null) return [];
    const out: [string, number][] = [];
    for (const [topic, partition, o] of this.allOffsets()) {
      if (keep.has(topic)) continue;
      const expired = o.expireTimestamp !== null ? nowMs >= o.expireTimestamp : nowMs - base(o) >= retentionMs;
      if (expired) out.push([topic, partition]);
    }
    return out;
  }
}
