/**
 * Group commit: many concurrent durable appends share one fdatasync. A request made while
 * a flush is running cannot be covered by it (its bytes may have been written after the
 * flush began), so it joins the single next flush, which starts as soon as the running
 * one ends; every request that arrives meanwhile shares that same next flush.
 */
export class GroupCommit {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  /** fdatasync calls made, for tests and metrics. */
  flushes = 0;

  constructor(private readonly flush: () => Promise<void>) {}

  /** Resolves once everything written before this call is durable. */
  request(): Promise<void> {
    if (this.running === null) return this.start();
    if (this.next === null) {
      const after = this.running.then(
        () => undefined,
        () => undefined,
      );
      this.next = after.then(() => {
        this.next = null;
        return this.start();
      });
    }
    return this.next;
  }

  /** Resolves when no flush is running or queued. */
  async idle(): Promise<void> {
    while (this.running !== null || this.next !== null) {
      await (this.next ?? this.running)!.catch(() => undefined);
    }
  }

  private start(): Promise<void> {
    this.flushes++;
    const flushing: Promise<void> = this.flush().finally(() => {
      if (this.running === flushing) this.running = null;
    });
    this.running = flushing;
    return flushing;
  }
}
