/**
 * A Clock (src/clock.ts) that moves only when a test says so, as Kafka's MockTime: tests hand
 * it to the code under test instead of faking the process's timers.
 */
import type { Clock, Timer } from '../../src/clock.js';

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
