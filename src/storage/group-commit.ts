/**
 * Group commit: many concurrent durable appends share one fdatasync. A request made while
 * a flush is running cannot be covered by it (its bytes may have been written after the
 * flush began), so it joins the single next flush; every request that arrives meanwhile
 * shares that same next flush.
 *
 * The next flush starts one event-loop turn after the running one ends, not at once: the
 * writers that the ended flush releases append their next batch in the promise jobs that
 * follow it, and so ride along. Started at once, that flush would leave them for the one
 * after, and 8 writers would alternate between flushes of 1 and of 7 batches instead of
 * sharing flushes of 8. A turn costs microseconds; an fdatasync, milliseconds.
 */
export class GroupCommit {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private settleNext: { resolve: () => void; reject: (err: unknown) => void } | null = null;
  /** fdatasync calls made, for tests and metrics. */
  flushes = 0;

  constructor(private readonly flush: () => Promise<void>) {}

  /** Resolves once everything written before this call is durable. */
  request(): Promise<void> {
    if (this.running === null && this.next === null) return this.start();
    if (this.next === null) {
      this.next = new Promise<void>((resolve, reject) => {
        this.settleNext = { resolve, reject };
      });
    }
    return this.next;
  }

  /** Resolves when no flush is running or queued. */
  async idle(): Promise<void> {
    while (this.running !== null || this.next !== null) {
      // `running` never rejects; `next` carries its flush's error, which is its callers' to see.
      await (this.next ?? this.running)!.catch(() => undefined);
    }
  }

  /**
   * Starts a flush and returns it. `running` stays set for one event-loop turn after the flush
   * ends, so requests from the writers it released join `next` rather than start a flush of
   * their own, and `next` starts only after them.
   */
  private start(): Promise<void> {
    this.flushes++;
    const flushing = this.flush();
    this.running = new Promise<void>((resolve) => {
      const ended = (): void => {
        setImmediate(() => {
          this.running = null;
          if (this.next !== null) this.startNext();
          resolve();
        });
      };
      flushing.then(ended, ended);
    });
    return flushing;
  }

  private startNext(): void {
    const settle = this.settleNext!;
    this.next = null;
    this.settleNext = null;
    this.start().then(settle.resolve, settle.reject);
  }
}
