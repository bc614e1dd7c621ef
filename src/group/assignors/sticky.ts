/**
 * "sticky" — Java's StickyAssignor: the sticky algorithm (sticky-core.ts) under the eager
 * protocol. An eager member revokes everything before it rejoins, so its subscription's
 * ownedPartitions is empty; what it had travels in the user data instead, in the assignor's
 * own format (no version header; Java reads v1 and falls back to v0):
 *
 *   v0  previous_assignment [topic string, partitions [int32]]
 *   v1  previous_assignment [topic string, partitions [int32]], generation int32
 *
 * We write v1. Topics are grouped as Java groups them (CollectionUtils.groupPartitionsByTopic,
 * a HashMap), so a sluice member's user data is byte-for-byte a Java member's. User data that
 * parses as neither version counts as "owned nothing, generation -1"; no user data at all as
 * "owned nothing, generation unknown".
 */
import { codecFor } from '../../protocol/codec.js';
import { ProtocolError } from '../../protocol/errors.js';
import { Reader, Writer } from '../../protocol/primitives.js';
import type { ApiSchema } from '../../protocol/schema.js';
import { AssignmentCollector, DEFAULT_GENERATION, subscribedPartitionCounts } from './common.js';
import { javaHashMapOrder } from './java-order.js';
import { stickyAssign, type MemberData } from './sticky-core.js';
import type { GroupAssignment, MemberState, MemberSubscription, PartitionAssignor, PartitionCounts, TopicPartitions } from './types.js';

const userDataSchema = {
  apiKey: -1,
  name: 'StickyAssignorUserData',
  validVersions: [0, 1],
  flexibleVersions: Infinity,
  request: [
    {
      name: 'previousAssignment',
      type: {
        array: [
          { name: 'topic', type: 'string', versions: [0] },
          { name: 'partitions', type: { array: 'int32' }, versions: [0] },
        ],
      },
      versions: [0],
    },
    { name: 'generation', type: 'int32', versions: [1], default: -1 },
  ],
  response: [],
} as const satisfies ApiSchema;

/** Encodes the v1 user data for a member that owns `partitions` in `generation`. */
export function encodeStickyUserData(partitions: readonly TopicPartitions[], generation: number): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partitions: ps } of partitions) {
    let list = byTopic.get(topic);
    if (list === undefined) byTopic.set(topic, (list = []));
    list.push(...ps);
  }
  const previousAssignment = javaHashMapOrder([...byTopic.keys()]).map((topic) => ({ topic, partitions: byTopic.get(topic)! }));
  const w = new Writer(64);
  codecFor(userDataSchema, 1, 'request').encode(w, { previousAssignment, generation });
  return w.toBuffer();
}

/** Reads sticky user data as Java's StickyAssignor.memberData() does. */
export function decodeStickyUserData(userData: Buffer | null | undefined): MemberData {
  if (userData === null || userData === undefined || userData.length === 0) return { partitions: [], generation: undefined };
  for (const version of [1, 0]) {
    try {
      const d = codecFor(userDataSchema, version, 'request').decode(new Reader(userData)) as {
        previousAssignment: TopicPartitions[];
        generation: number;
      };
      return { partitions: d.previousAssignment, generation: version === 1 ? d.generation : undefined };
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
    }
  }
  return { partitions: [], generation: DEFAULT_GENERATION };
}

export class StickyAssignor implements PartitionAssignor {
  readonly name = 'sticky';
  readonly supportedProtocols = ['eager'] as const;

  subscriptionUserData(member: MemberState): Buffer | null {
    if (member.assignment === null) return null;
    return encodeStickyUserData(member.assignment, member.generationId);
  }

  assign(partitionCounts: PartitionCounts, subscriptions: ReadonlyMap<string, MemberSubscription>): GroupAssignment {
    const counts = subscribedPartitionCounts(partitionCounts, subscriptions);
    const { assignment } = stickyAssign(counts, subscriptions, (sub) => decodeStickyUserData(sub.userData));
    const out = new AssignmentCollector(subscriptions.keys());
    for (const [member, partitions] of assignment) for (const tp of partitions) out.add(member, tp.topic, tp.partition);
    return out.result();
  }
}
