import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { incrementSequence, ProducerStateManager, type ProducerBatch } from '../../src/storage/producer-state.js';
import { removeDir, tempDir } from '../helpers/storage.js';

let dir: string;

beforeEach(() => {
  dir = tempDir('producer-state');
});
afterEach(() => {
  removeDir(dir);
});

describe('ProducerStateManager', () => {
  const b = (producerId: bigint, epoch: number, baseSequence: number, lastOffsetDelta = 0): ProducerBatch => ({
    producerId,
    epoch,
    baseSequence,
    lastOffsetDelta,
    maxTimestamp: Date.now(),
  });

  it('wraps sequences from Int32.MAX to 0', () => {
    expect(incrementSequence(0x7fff_ffff, 1)).toBe(0);
    expect(incrementSequence(0x7fff_fffe, 3)).toBe(1);
    const state = new ProducerStateManager(dir);
    state.apply(b(1n, 0, 0x7fff_fffe, 1), 0n); // last sequence Int32.MAX
    expect(state.check([b(1n, 0, 0)])).toEqual({ kind: 'ok' });
    expect(state.check([b(1n, 0, 1)]).kind).toBe('error');
  });

  it('validates several batches of one request against each other', () => {
    const state = new ProducerStateManager(dir);
    state.apply(b(1n, 0, 0, 1), 0n);
    expect(state.check([b(1n, 0, 2, 1), b(1n, 0, 4)])).toEqual({ kind: 'ok' });
    expect(state.check([b(1n, 0, 2, 1), b(1n, 0, 5)]).kind).toBe('error');
  });

  it('remembers the last five batches for duplicates and forgets older ones', () => {
    const state = new ProducerStateManager(dir);
    for (let i = 0; i < 7; i++) state.apply(b(1n, 0, i), BigInt(i));
    expect(state.check([b(1n, 0, 2)])).toMatchObject({ kind: 'duplicate', batch: { firstOffset: 2n } });
    expect(state.check([b(1n, 0, 1)]).kind).toBe('error');
  });

  it('forgets producers idle past the expiration', () => {
    const state = new ProducerStateManager(dir);
    state.apply({ ...b(1n, 0, 0), maxTimestamp: 1000 }, 0n);
    state.apply({ ...b(2n, 0, 0), maxTimestamp: 5000 }, 1n);
    expect(state.expire(6000, 2000)).toBe(1);
    expect(state.entry(1n)).toBeUndefined();
    expect(state.entry(2n)).toBeDefined();
  });
});
