/**
 * Builders and checks for the assignor tests. Partitions are written as Java's tests print
 * them, "topic-partition" ("t1-0, t1-3"), and assignments are compared as sorted lists of
 * those strings: Java's expected lists are in assignment order, ours come sorted, and the
 * order carries no meaning on the wire.
 */
import { expect } from 'vitest';
import type { GroupAssignment, MemberSubscription, TopicPartitions } from '../../../src/group/assignors/index.js';

export function counts(entries: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(entries));
}

/** "t1-0, t1-3, t2-1" → grouped by topic, in the order given. */
export function tps(spec: string): TopicPartitions[] {
  const out: TopicPartitions[] = [];
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const dash = item.lastIndexOf('-');
    const topic = item.slice(0, dash);
    const partition = Number(item.slice(dash + 1));
    const last = out.find((e) => e.topic === topic);
    if (last !== undefined) last.partitions.push(partition);
    else out.push({ topic, partitions: [partition] });
  }
  return out;
}

/** One member's assignment as sorted "topic-partition" strings. */
export function flat(topics: ReadonlyMap<string, number[]> | readonly TopicPartitions[] | undefined): string[] {
  if (topics === undefined) return [];
  const entries: [string, number[]][] = Array.isArray(topics)
    ? (topics as TopicPartitions[]).map((e) => [e.topic, e.partitions])
    : [...(topics as ReadonlyMap<string, number[]>)];
  return entries.flatMap(([topic, ps]) => ps.map((p) => `${topic}-${p}`)).sort();
}

/** The whole assignment as member → sorted "topic-partition" strings. */
export function flatAll(assignment: GroupAssignment): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [member, topics] of assignment) out[member] = flat(topics);
  return out;
}

/** Expected assignment from Java-style strings. */
export function expected(spec: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [member, list] of Object.entries(spec)) out[member] = flat(tps(list));
  return out;
}

export function toTopicPartitions(topics: ReadonlyMap<string, number[]> | undefined): TopicPartitions[] {
  return [...(topics ?? new Map<string, number[]>())].map(([topic, partitions]) => ({ topic, partitions: [...partitions] }));
}

/** Java's verifyValidityAndBalance: every subscribed partition exactly once, only to subscribers, balanced. */
export function verifyValidityAndBalance(
  partitionCounts: ReadonlyMap<string, number>,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
  assignment: GroupAssignment,
): void {
  expect([...assignment.keys()].sort()).toEqual([...subscriptions.keys()].sort());
  const owner = new Map<string, string>();
  for (const [member, topics] of assignment) {
    const subscribed = new Set(subscriptions.get(member)!.topics);
    for (const [topic, partitions] of topics) {
      expect(subscribed.has(topic), `${member} got ${topic} without subscribing to it`).toBe(true);
      for (const p of partitions) {
        const key = `${topic}-${p}`;
        expect(owner.get(key), `${key} assigned twice`).toBeUndefined();
        expect(p >= 0 && p < (partitionCounts.get(topic) ?? 0), `${key} does not exist`).toBe(true);
        owner.set(key, member);
      }
    }
  }
  checkBalance(partitionCounts, subscriptions, assignment, owner);
}

/** Every partition of a subscribed topic assigned; the imbalance rule of Java's test. */
function checkBalance(
  partitionCounts: ReadonlyMap<string, number>,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
  assignment: GroupAssignment,
  owner: Map<string, string>,
): void {
  const subscribedTopics = new Set([...subscriptions.values()].flatMap((s) => s.topics));
  for (const topic of subscribedTopics) {
    for (let p = 0; p < (partitionCounts.get(topic) ?? 0); p++) expect(owner.has(`${topic}-${p}`), `${topic}-${p} unassigned`).toBe(true);
  }
  const size = (m: string) => flat(assignment.get(m)).length;
  const members = [...assignment.keys()];
  for (const a of members) {
    for (const b of members) {
      // If a holds 2+ more than b, none of a's partitions may be of a topic b subscribes to.
      if (size(a) - size(b) < 2) continue;
      const bTopics = new Set(subscriptions.get(b)!.topics);
      for (const topic of assignment.get(a)!.keys()) {
        expect(bTopics.has(topic), `${a} has ${size(a)} partitions and ${b} ${size(b)}, yet ${b} could take ${topic}`).toBe(false);
      }
    }
  }
}

export function isFullyBalanced(assignment: GroupAssignment): boolean {
  const sizes = [...assignment.values()].map((t) => flat(t).length);
  return sizes.length === 0 || Math.max(...sizes) - Math.min(...sizes) <= 1;
}

/**
 * Partitions assigned to a member that does not own them while another member reports owning
 * them: what the cooperative protocol forbids in a single rebalance.
 */
export function addedWhileOwnedElsewhere(subscriptions: ReadonlyMap<string, MemberSubscription>, assignment: GroupAssignment): string[] {
  const ownedBy = new Map<string, Set<string>>();
  for (const [member, sub] of subscriptions) {
    for (const key of flat(sub.ownedPartitions ?? [])) {
      if (!ownedBy.has(key)) ownedBy.set(key, new Set());
      ownedBy.get(key)!.add(member);
    }
  }
  const out: string[] = [];
  for (const [member, topics] of assignment) {
    for (const key of flat(topics)) {
      const owners = ownedBy.get(key);
      if (owners !== undefined && !owners.has(member) && owners.size > 0) out.push(key);
    }
  }
  return out.sort();
}

/** Partitions some member owns but is no longer assigned (it must revoke them and rejoin). */
export function revokedPartitions(subscriptions: ReadonlyMap<string, MemberSubscription>, assignment: GroupAssignment): string[] {
  const out: string[] = [];
  for (const [member, sub] of subscriptions) {
    const assigned = new Set(flat(assignment.get(member)));
    for (const key of flat(sub.ownedPartitions ?? [])) if (!assigned.has(key)) out.push(key);
  }
  return out.sort();
}

/** Deterministic PRNG (mulberry32) so a failing property run can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed for a property test: PROPERTY_SEED from the environment, else a fresh one, printed either way. */
export function propertySeed(name: string): number {
  const fromEnv = process.env['PROPERTY_SEED'];
  const seed = fromEnv !== undefined ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
  console.log(`${name}: seed ${seed} (replay with PROPERTY_SEED=${seed})`);
  return seed;
}
