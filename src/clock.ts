/**
 * Time as an injected dependency (Kafka's `Time`): code that reads the time or waits takes a
 * `Clock` instead of calling `Date.now()` / `setTimeout`, so tests drive time with a manual
 * clock (test/helpers/manual-clock.ts: deterministic, no real waits, no global fake timers)
 * while production passes `SYSTEM_CLOCK`.
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
