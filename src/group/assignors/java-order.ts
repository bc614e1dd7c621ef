/**
 * Java's hash iteration order, reproduced where the sticky assignors let it decide.
 *
 * Java's AbstractStickyAssignor walks members in java.util.HashMap order at the points where
 * the choice is free: which members that own more than their share keep the extra partition,
 * whose claim wins when two members of one generation report the same partition, and which
 * partition a reversed move picks out of a HashSet. The results are all valid; they are merely
 * not the ones a Java leader would pick. Reproducing the order makes a sluice leader give the
 * same answer as a Java leader in the same group, so leadership moving between them shuffles
 * nothing, and lets the tests hold us to Java's own expected assignments.
 *
 * A HashMap<String, V> filled by put() with the default capacity iterates its keys by bucket
 * index — the spread String.hashCode masked by the table size — and keys sharing a bucket in
 * insertion order (resizes split buckets without reordering them). The one gap: a bucket that
 * collects nine or more keys is converted to a tree, whose order we do not model; for member
 * ids (client id + UUID) that does not happen in practice.
 */

/** Java's String.hashCode(): s[0]·31^(n-1) + … + s[n-1] over UTF-16 code units, in int32. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** HashMap.hash(): the high half folded into the low half before masking. */
function spread(h: number): number {
  return h ^ (h >>> 16);
}

const DEFAULT_CAPACITY = 16;

/** The table size after `size` put()s: doubled each time the size exceeds 3/4 of it. */
function capacityFor(size: number): number {
  let capacity = DEFAULT_CAPACITY;
  while (size > capacity * 0.75) capacity *= 2;
  return capacity;
}

/** The iteration order of a `new HashMap<String, V>()` into which `keys` were put in this order. */
export function javaHashMapOrder(keys: readonly string[]): string[] {
  const mask = capacityFor(keys.length) - 1;
  return keys
    .map((key, index) => ({ key, index, bucket: spread(javaStringHashCode(key)) & mask }))
    .sort((a, b) => a.bucket - b.bucket || a.index - b.index)
    .map((e) => e.key);
}

/**
 * A `new HashSet<T>()` reduced to what the assignor asks of it: add, delete, size, and the
 * element its iterator returns first. The table only grows, as Java's does, and an element
 * that is deleted and added again goes to the end of its bucket.
 */
export class JavaHashSet<T> {
  private readonly entries = new Map<T, { hash: number; seq: number }>();
  private capacity = DEFAULT_CAPACITY;
  private seq = 0;

  constructor(private readonly hashCode: (value: T) => number) {}

  get size(): number {
    return this.entries.size;
  }

  add(value: T): void {
    if (this.entries.has(value)) return;
    this.entries.set(value, { hash: spread(this.hashCode(value)), seq: this.seq++ });
    if (this.entries.size > this.capacity * 0.75) this.capacity *= 2;
  }

  delete(value: T): boolean {
    return this.entries.delete(value);
  }

  /** What `iterator().next()` returns; undefined when empty. */
  first(): T | undefined {
    const mask = this.capacity - 1;
    let best: T | undefined;
    let bestBucket = Infinity;
    let bestSeq = Infinity;
    for (const [value, { hash, seq }] of this.entries) {
      const bucket = hash & mask;
      if (bucket < bestBucket || (bucket === bestBucket && seq < bestSeq)) {
        best = value;
        bestBucket = bucket;
        bestSeq = seq;
      }
    }
    return best;
  }
}
