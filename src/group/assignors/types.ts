/**
 * The client-side partition assignor contract. The group leader decodes every member's
 * subscription (consumer-protocol.ts), calls `assign` of the assignor the group agreed on, and
 * encodes the result per member into SyncGroup. Assignors hold no state between rebalances:
 * what Java keeps in the assignor instance (a sticky member's last assignment and generation)
 * is passed in, so one instance can serve any number of consumers.
 */
import type { TopicPartitions } from '../consumer-protocol.js';

export type { TopicPartitions } from '../consumer-protocol.js';

/** Kafka's RebalanceProtocol: EAGER revokes everything before rejoining, COOPERATIVE only what moves. */
export type RebalanceProtocol = 'eager' | 'cooperative';

/** One member as the leader sees it: its decoded subscription plus its JoinGroup identity. */
export interface MemberSubscription {
  topics: readonly string[];
  userData?: Buffer | null;
  /** Partitions the member owns now (subscription v1+); empty for eager members. */
  ownedPartitions?: readonly TopicPartitions[];
  /** Generation the owned partitions belong to (subscription v2+); -1 or absent = unknown. */
  generationId?: number;
  /** group.instance.id of a static member (from the JoinGroup response, not the subscription). */
  groupInstanceId?: string | null;
  /** client.rack (subscription v3+). */
  rackId?: string | null;
}

/** What a member knows about itself when it (re)joins, to build its subscription's user data. */
export interface MemberState {
  topics: readonly string[];
  /** The partitions of the last assignment received, or null if it never had one. */
  assignment: readonly TopicPartitions[] | null;
  /** Generation of that assignment; -1 before the first. */
  generationId: number;
}

/** Partition counts of the topics the group subscribes to, by topic name. */
export type PartitionCounts = ReadonlyMap<string, number>;

/**
 * memberId → topic → partitions. Every member of the input is present, possibly with no
 * topics; topics are in ascending order and partitions ascending within a topic.
 */
export type GroupAssignment = Map<string, Map<string, number[]>>;

export interface PartitionAssignor {
  /** The protocol name in JoinGroup (`partition.assignment.strategy` in Java). */
  readonly name: string;
  /** Preferred protocol first, as Java's supportedProtocols(). */
  readonly supportedProtocols: readonly RebalanceProtocol[];
  /** The user data for this member's subscription; null for assignors that carry none. */
  subscriptionUserData(member: MemberState): Buffer | null;
  /**
   * Assigns the partitions of `partitionCounts` to the members of `subscriptions`. Topics
   * nobody subscribes to, and topics with no partitions, are ignored; subscribed topics
   * missing from `partitionCounts` are skipped (Java: "no metadata is available").
   */
  assign(partitionCounts: PartitionCounts, subscriptions: ReadonlyMap<string, MemberSubscription>): GroupAssignment;
}
