/**
 * Rate-limited warnings: at most one per key (a client) per interval, with the number left
 * unlogged in between reported on the next one — so a client that keeps sending bad records is
 * visible in the log without being able to flood it.
 */
export class WarningLimiter {
  private readonly byKey = new Map<string, { lastMs: number; suppressed: number }>();

  constructor(
    private readonly intervalMs: number,
    /** Keys remembered at once; the least recently warned are forgotten first. */
    private readonly maxKeys: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Null when this warning is to be suppressed; else how many were suppressed before it. */
  admit(key: string): number | null {
    const now = this.nowMs();
    const entry = this.byKey.get(key);
    if (entry !== undefined && now - entry.lastMs < this.intervalMs) {
      entry.suppressed++;
      return null;
    }
    const suppressed = entry?.suppressed ?? 0;
    // Re-inserted so the map's order is least recently warned first.
    this.byKey.delete(key);
    this.byKey.set(key, { lastMs: now, suppressed: 0 });
    if (this.byKey.size > this.maxKeys) this.byKey.delete(this.byKey.keys().next().value as string);
    return suppressed;
  }
}
