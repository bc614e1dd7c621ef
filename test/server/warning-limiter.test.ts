import { describe, expect, it } from 'vitest';
import { WarningLimiter } from '../../src/server/warning-limiter.js';

describe('WarningLimiter', () => {
  it('lets one warning per client through per interval and reports how many it suppressed in between', () => {
    let now = 1_000;
    const limiter = new WarningLimiter(10_000, 100, () => now);
    expect(limiter.admit('a')).toBe(0);
    expect(limiter.admit('a')).toBeNull();
    expect(limiter.admit('a')).toBeNull();
    expect(limiter.admit('b')).toBe(0); // another client is not held back by the first
    now += 10_000;
    expect(limiter.admit('a')).toBe(2);
    expect(limiter.admit('a')).toBeNull();
  });

  it('forgets the least recently warned client past its key bound', () => {
    let now = 0;
    const limiter = new WarningLimiter(10_000, 2, () => now);
    limiter.admit('a');
    limiter.admit('b');
    limiter.admit('c'); // 'a' forgotten
    now += 1;
    expect(limiter.admit('a')).toBe(0);
    expect(limiter.admit('c')).toBeNull();
  });
});
