/**
 * Long-poll support for Fetch (Kafka's DelayedFetch, event-driven): a fetch that found fewer
 * than minBytes parks here keyed by the partitions it reads. Each append to one of them adds
 * the appended bytes (capped per partition at the fetch's partitionMaxBytes) to what the fetch
 * has; when that reaches minBytes, or maxWaitMs passes, or something other than an append
 * happened to one of its partitions (deleted topic, moved log start), or the broker closes,
 * the waiter is released and the fetch reads again. No polling; at most MAX_FETCH_WAITERS
 * parked at once (past that a fetch answers at once).
 *
 * A read_committed fetch (`committed`) reads only below the last stable offset, so it counts
 * only appended bytes that are stable at once (no transaction open), and wakes whenever a
 * transaction marker moves the LSO (`stableChanged`), as Kafka's DelayedFetch reads up to the
 * LSO for isolation level READ_COMMITTED.
 */
import { MAX_FETCH_WAITERS } from '../limits.js';

/** setTimeout's largest delay; longer waits would fire at once. */
const MAX_TIMER_MS = 0x7fff_ffff;

export type WakeReason = 'enough-bytes' | 'timeout' | 'changed' | 'closed' | 'aborted';

interface Waiter {
  keys: Map<string, number>;
  /** Bytes seen per partition key, capped at that key's limit. */
  seen: Map<string, number>;
  have: number;
  minBytes: number;
  /** read_committed: counts stable bytes only, wakes on LSO moves. */
  committed: boolean;
  release: (reason: WakeReason) => void;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class FetchWaiters {
  private readonly byKey = new Map<string, Set<Waiter>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /**
   * Parks until enough bytes arrive. `keys` maps partition key → partitionMaxBytes. Resolves
   * with why it woke; null when the waiter limit is reached (do not wait).
   */
  wait(keys: Map<string, number>, have: number, minBytes: number, maxWaitMs: number, signal?: AbortSignal, committed = false): Promise<WakeReason> | null {
    if (this.count >= MAX_FETCH_WAITERS) return null;
    return new Promise<WakeReason>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => waiter.release('aborted');
      const waiter: Waiter = {
        keys,
        seen: new Map(),
        have,
        minBytes,
        committed,
        release: (reason) => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.remove(waiter);
          resolve(reason);
        },
      };
      this.count++;
      for (const key of keys.keys()) {
        let set = this.byKey.get(key);
        if (set === undefined) this.byKey.set(key, (set = new Set()));
        set.add(waiter);
      }
      timer = setTimeout(() => waiter.release('timeout'), Math.min(maxWaitMs, MAX_TIMER_MS));
      if (signal !== undefined) {
        if (signal.aborted) waiter.release('aborted');
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  private remove(waiter: Waiter): void {
    let removed = false;
    for (const key of waiter.keys.keys()) {
      const set = this.byKey.get(key);
      if (set?.delete(waiter) === true) {
        removed = true;
        if (set.size === 0) this.byKey.delete(key);
      }
    }
    if (removed) this.count--;
  }

  /**
   * `bytes` were appended to the partition, `stableBytes` of them below the LSO already (all of
   * them when no transaction is open, else none): release the fetches that now have enough.
   */
  appended(key: string, bytes: number, stableBytes = bytes): void {
    const set = this.byKey.get(key);
    if (set === undefined) return;
    for (const waiter of [...set]) {
      const added = waiter.committed ? stableBytes : bytes;
      if (added <= 0) continue;
      const limit = waiter.keys.get(key) ?? 0;
      const before = waiter.seen.get(key) ?? 0;
      const after = Math.min(limit, before + added);
      waiter.seen.set(key, after);
      waiter.have += after - before;
      if (waiter.have >= waiter.minBytes) waiter.release('enough-bytes');
    }
  }

  /** Something other than an append happened to the partition: release its fetches. */
  changed(key: string): void {
    const set = this.byKey.get(key);
    if (set === undefined) return;
    for (const waiter of [...set]) waiter.release('changed');
  }

  /** A transaction marker moved the partition's LSO: release its read_committed fetches. */
  stableChanged(key: string): void {
    const set = this.byKey.get(key);
    if (set === undefined) return;
    for (const waiter of [...set]) if (waiter.committed) waiter.release('changed');
  }

  /** Releases every parked fetch (broker close). */
  releaseAll(): void {
    const all = new Set<Waiter>();
    for (const set of this.byKey.values()) for (const w of set) all.add(w);
    for (const w of all) w.release('closed');
  }
}
