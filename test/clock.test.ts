/**
 * src/clock.ts's SYSTEM_CLOCK, and the ManualClock tests drive time with
 * (test/helpers/manual-clock.ts): timers run in due order at their due time, cancelled ones
 * never, and promises they settle are seen before the next.
 */
import { describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../src/clock.js';
import { ManualClock } from './helpers/manual-clock.js';

describe('ManualClock', () => {
  it('runs due timers in due-time order, ties in scheduling order, each seeing its due time as now', async () => {
    const clock = new ManualClock(1_000);
    const ran: string[] = [];
    clock.setTimeout(() => ran.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => ran.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => ran.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => ran.push(`late@${clock.now()}`), 31);
    await clock.advance(30);
    expect(ran).toEqual(['a@1010', 'b@1020', 'c@1020']);
    expect(clock.now()).toBe(1_030);
    expect(clock.pendingTimers).toBe(1);
  });

  it('runs a timer scheduled by a timer within the same advance when it falls due, and a 0 ms delay 1 ms later', async () => {
    const clock = new ManualClock(0);
    const ran: number[] = [];
    clock.setTimeout(() => {
      ran.push(clock.now());
      clock.setTimeout(() => ran.push(clock.now()), 0);
    }, 5);
    await clock.advance(5);
    expect(ran).toEqual([5]);
    await clock.advance(1);
    expect(ran).toEqual([5, 6]);
  });

  it('never runs a cancelled timer, and cancelling twice or after it ran does nothing', async () => {
    const clock = new ManualClock(0);
    let runs = 0;
    const cancelled = clock.setTimeout(() => runs++, 10);
    const ran = clock.setTimeout(() => runs++, 5);
    cancelled.cancel();
    cancelled.cancel();
    await clock.advance(100);
    ran.cancel();
    expect(runs).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('lets the promises a timer settles run before the next timer', async () => {
    const clock = new ManualClock(0);
    const seen: string[] = [];
    let resolve!: () => void;
    void new Promise<void>((r) => (resolve = r)).then(() => seen.push('settled'));
    clock.setTimeout(() => resolve(), 1);
    clock.setTimeout(() => seen.push('second timer'), 2);
    await clock.advance(2);
    expect(seen).toEqual(['settled', 'second timer']);
  });
});

describe('SYSTEM_CLOCK', () => {
  it('reads the real time and runs and cancels real timers', async () => {
    const before = Date.now();
    expect(SYSTEM_CLOCK.now()).toBeGreaterThanOrEqual(before);
    let cancelledRan = false;
    SYSTEM_CLOCK.setTimeout(() => (cancelledRan = true), 1).cancel();
    await new Promise<void>((resolve) => SYSTEM_CLOCK.setTimeout(resolve, 1));
    expect(cancelledRan).toBe(false);
  });
});
