/**
 * The "consumer" embedded protocol: what a consumer puts in JoinGroup `protocols[].metadata`
 * (its subscription) and what the leader hands each member through SyncGroup `assignment`.
 * The group coordinator treats both as opaque bytes; only clients read them, so sluice's own
 * consumer has to speak them exactly as the Java client does for sluice, Java, librdkafka and
 * kafkajs members to share a group.
 *
 * Written from Kafka's ConsumerProtocolSubscription.json and ConsumerProtocolAssignment.json
 * (both "validVersions": "0-3", never flexible). Every message starts with an int16 version,
 * then the body of that version:
 *
 *   Subscription
 *     version            int16
 *     topics             [string]                           v0+
 *     userData           nullable bytes (assignor's own)    v0+
 *     ownedPartitions    [topic string, partitions [int32]] v1+  (ignorable)
 *     generationId       int32, -1 = unknown                v2+  (ignorable)
 *     rackId             nullable string                    v3+  (ignorable)
 *
 *   Assignment
 *     version            int16
 *     assignedPartitions [topic string, partitions [int32]] v0+
 *     userData           nullable bytes                     v0+
 *
 * Assignment v1-v3 add no field: the version moves in step with the subscription's.
 *
 * Forward compatibility is Kafka's rule (ConsumerProtocol.checkSubscriptionVersion): a version
 * above 3 is read with the v3 layout and whatever follows is ignored, because new versions may
 * only append fields. A negative version is rejected. Encoding a field the chosen version lacks
 * drops it silently, as Java does for ignorable fields.
 *
 * kafkajs (MemberMetadata / MemberAssignment in src/consumer/assignerProtocol.js) writes the
 * v0 layout with its assigner's version number (0 for its round-robin) and empty, not null,
 * user data; it is the same format and decodes here like any v0 message.
 */
import { codecFor } from '../protocol/codec.js';
import { ProtocolError } from '../protocol/errors.js';
import { Reader, Writer } from '../protocol/primitives.js';
import type { ApiSchema, Field } from '../protocol/schema.js';

/** JoinGroup `protocolType` of every member speaking this protocol. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** The newest version we read and write; newer versions are read with this layout. */
export const CONSUMER_PROTOCOL_MAX_VERSION = 3;

/** Partitions of one topic, as both messages carry them. */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ConsumerSubscription {
  /** The version in the message header, which may be newer than the layout read. */
  version: number;
  topics: string[];
  userData: Buffer | null;
  /** Empty before v1. */
  ownedPartitions: TopicPartitions[];
  /** -1 when the version lacks it or the member has no generation yet. */
  generationId: number;
  /** null when the version lacks it or the member set none ("" reads as null, as in Java). */
  rackId: string | null;
}

export interface ConsumerAssignment {
  version: number;
  assignedPartitions: TopicPartitions[];
  userData: Buffer | null;
}

export interface ConsumerSubscriptionInput {
  topics: readonly string[];
  userData?: Buffer | null;
  ownedPartitions?: readonly TopicPartitions[];
  generationId?: number;
  rackId?: string | null;
}

export interface ConsumerAssignmentInput {
  assignedPartitions: readonly TopicPartitions[];
  userData?: Buffer | null;
}

// These are data messages, not APIs, but the generic codec compiles any field list; they ride
// in the `request` slot of a schema that no registry knows (api key -1).
const topicPartitionFields = (since: number): readonly Field[] => [
  { name: 'topic', type: 'string', versions: [since] },
  { name: 'partitions', type: { array: 'int32' }, versions: [since] },
];

const subscriptionSchema = {
  apiKey: -1,
  name: 'ConsumerProtocolSubscription',
  validVersions: [0, CONSUMER_PROTOCOL_MAX_VERSION],
  flexibleVersions: Infinity,
  request: [
    { name: 'topics', type: { array: 'string' }, versions: [0] },
    { name: 'userData', type: 'bytes', versions: [0], nullableVersions: [0], default: null },
    { name: 'ownedPartitions', type: { array: topicPartitionFields(1) }, versions: [1], ignorable: true },
    { name: 'generationId', type: 'int32', versions: [2], default: -1, ignorable: true },
    { name: 'rackId', type: 'string', versions: [3], nullableVersions: [3], default: null, ignorable: true },
  ],
  response: [],
} as const satisfies ApiSchema;

const assignmentSchema = {
  apiKey: -1,
  name: 'ConsumerProtocolAssignment',
  validVersions: [0, CONSUMER_PROTOCOL_MAX_VERSION],
  flexibleVersions: Infinity,
  request: [
    { name: 'assignedPartitions', type: { array: topicPartitionFields(0) }, versions: [0] },
    { name: 'userData', type: 'bytes', versions: [0], nullableVersions: [0], default: null },
  ],
  response: [],
} as const satisfies ApiSchema;

interface DecodedSubscription {
  topics: string[];
  userData: Buffer | null;
  ownedPartitions: TopicPartitions[];
  generationId: number;
  rackId: string | null;
}

interface DecodedAssignment {
  assignedPartitions: TopicPartitions[];
  userData: Buffer | null;
}

function checkEncodeVersion(what: string, version: number): void {
  if (!Number.isInteger(version) || version < 0 || version > CONSUMER_PROTOCOL_MAX_VERSION) {
    throw new ProtocolError('UNSUPPORTED_VERSION', `${what} version ${version} is outside 0-${CONSUMER_PROTOCOL_MAX_VERSION}`);
  }
}

/** The layout to read a message of `version` with (Java's check*Version). */
function layoutVersion(what: string, version: number): number {
  if (version < 0) throw new ProtocolError('UNSUPPORTED_VERSION', `unsupported ${what} version ${version}`);
  return Math.min(version, CONSUMER_PROTOCOL_MAX_VERSION);
}

function encodeWith(schema: ApiSchema, version: number, body: object): Buffer {
  const w = new Writer(128);
  w.writeInt16(version);
  codecFor(schema, version, 'request').encode(w, body);
  return w.toBuffer();
}

function decodeWith(schema: ApiSchema, what: string, buf: Buffer): { version: number; body: Record<string, unknown> } {
  try {
    const r = new Reader(buf);
    const version = r.readInt16();
    const body = codecFor(schema, layoutVersion(what, version), 'request').decode(r);
    return { version, body };
  } catch (err) {
    if (err instanceof ProtocolError) throw new ProtocolError(err.code, `${schema.name}: ${err.message}`, err.position);
    throw err;
  }
}

/** A copy, so a decoded message never pins the (possibly pooled) response buffer it came in. */
function ownBytes(b: Buffer | null): Buffer | null {
  return b === null ? null : Buffer.from(b);
}

/**
 * Groups `partitions` by topic in ascending (topic, partition) order, as Java's
 * serializeSubscription writes owned partitions.
 */
function sortedByTopic(partitions: readonly TopicPartitions[]): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partitions: ps } of partitions) {
    let list = byTopic.get(topic);
    if (list === undefined) byTopic.set(topic, (list = []));
    list.push(...ps);
  }
  return [...byTopic.keys()].sort(compareStrings).map((topic) => ({ topic, partitions: byTopic.get(topic)!.sort((a, b) => a - b) }));
}

/** Java's String.compareTo: UTF-16 code units, which is also what JS `<` compares. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Encodes a subscription at `version` (default: the newest). Like Java, topics are written
 * sorted and owned partitions grouped by topic in (topic, partition) order.
 */
export function encodeConsumerSubscription(sub: ConsumerSubscriptionInput, version = CONSUMER_PROTOCOL_MAX_VERSION): Buffer {
  checkEncodeVersion('subscription', version);
  return encodeWith(subscriptionSchema, version, {
    topics: [...sub.topics].sort(compareStrings),
    userData: sub.userData ?? null,
    ownedPartitions: sortedByTopic(sub.ownedPartitions ?? []),
    generationId: sub.generationId ?? -1,
    rackId: sub.rackId ?? null,
  });
}

export function decodeConsumerSubscription(buf: Buffer): ConsumerSubscription {
  const { version, body } = decodeWith(subscriptionSchema, 'subscription', buf);
  const d = body as unknown as DecodedSubscription;
  return {
    version,
    topics: d.topics,
    userData: ownBytes(d.userData),
    ownedPartitions: d.ownedPartitions,
    generationId: d.generationId,
    rackId: d.rackId === '' ? null : d.rackId,
  };
}

/**
 * Encodes an assignment at `version` (default: the newest). Topics are written in the order
 * given, partitions as given: the assignor decides the order.
 */
export function encodeConsumerAssignment(assignment: ConsumerAssignmentInput, version = CONSUMER_PROTOCOL_MAX_VERSION): Buffer {
  checkEncodeVersion('assignment', version);
  return encodeWith(assignmentSchema, version, {
    assignedPartitions: assignment.assignedPartitions,
    userData: assignment.userData ?? null,
  });
}

/**
 * Decodes an assignment. A zero-length buffer — what the coordinator hands a member the
 * leader left out of its SyncGroup — reads as an empty assignment, as kafkajs treats it.
 */
export function decodeConsumerAssignment(buf: Buffer): ConsumerAssignment {
  if (buf.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  const { version, body } = decodeWith(assignmentSchema, 'assignment', buf);
  const d = body as unknown as DecodedAssignment;
  return { version, assignedPartitions: d.assignedPartitions, userData: ownBytes(d.userData) };
}
