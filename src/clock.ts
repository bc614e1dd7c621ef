/**
 * Time as an injected dependency (Kafka's `Time`): code that reads the time or waits takes a
 * `Clock` instead of calling `Date.now()` / `setTimeout`, so tests drive time with a
 * `ManualClock` (deterministic, no real waits, no global fake timers) while production passes
 * `SYSTEM_CLOCK`.
 *
 * It lives here, beside logger.ts, below every layer: storage (flush.ms, segment.ms, retention),
 * broker (delayed produce and fetch), group/ and txn/ (session, rebalance and transaction
 * timeouts) all need time, and a clock defined in any one of them would make the lower ones
 * import upward.
 */

/** A scheduled callback; cancelling one that has run or was cancelled does nothing. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number;
  /**
   * Runs `callback` once, `delayMs` from now (at least 1 ms, as Node's timers). A pending timer
   * never keeps the process alive: whoever schedules it cancels it on shutdown.
   */
  setTimeout(callback: () => void, delayMs: number): Timer;
}

/** The real time and Node's timers (unref'd). */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    const handle = setTimeout(callback, Math.max(1, delayMs));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

interface ManualTimer {
  readonly dueMs: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told: `advance(ms)` runs every timer that falls due, in due-time
 * order (ties in scheduling order), with `now()` at each timer's due time while it runs, and
 * lets the promises those callbacks settle run before the next one, as a real event loop would.
 */
export class ManualClock implements Clock {
  private nowMs: number;
  private seq = 0;
  private readonly timers: ManualTimer[] = [];

  /** Starts at `startMs` (a fixed, realistic epoch time by default, so tests do not depend on today's date). */
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): Timer {
    const timer: ManualTimer = { dueMs: this.nowMs + Math.max(1, delayMs), seq: this.seq++, callback };
    this.timers.push(timer);
    return {
      cancel: () => {
        const i = this.timers.indexOf(timer);
        if (i >= 0) this.timers.splice(i, 1);
      },
    };
  }

  /** Timers scheduled and neither run nor cancelled. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, running what falls due (see the class comment). */
  async advance(ms: number): Promise<void> {
    const targetMs = this.nowMs + ms;
    await settle();
    for (;;) {
      const next = this.nextDue();
      if (next === undefined || next.dueMs > targetMs) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.nowMs = next.dueMs;
      next.callback();
      await settle();
    }
    this.nowMs = targetMs;
    await settle();
  }

  private nextDue(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) if (best === undefined || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.seq < best.seq)) best = t;
    return best;
  }
}

/** Lets every queued promise reaction run (a macrotask turn: microtasks drain before it). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
