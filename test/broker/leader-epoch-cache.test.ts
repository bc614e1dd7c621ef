import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LEADER_EPOCH_CHECKPOINT, LeaderEpochCache } from '../../src/broker/leader-epoch-cache.js';
import { removeDir, tempDir } from '../helpers/storage.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('epochs');
});
afterEach(() => removeDir(dir));

describe('LeaderEpochCache', () => {
  it('answers end offsets as Kafka does: current epoch → log end, older → next epoch start, unknown → undefined', async () => {
    const cache = LeaderEpochCache.load(dir);
    await cache.assign(1, 10n);
    await cache.assign(3, 25n);
    await cache.assign(4, 40n);
    expect(cache.endOffsetFor(4, 55n)).toEqual({ epoch: 4, endOffset: 55n });
    expect(cache.endOffsetFor(3, 55n)).toEqual({ epoch: 3, endOffset: 40n });
    expect(cache.endOffsetFor(2, 55n)).toEqual({ epoch: 1, endOffset: 25n });
    expect(cache.endOffsetFor(0, 55n)).toEqual({ epoch: 0, endOffset: 10n });
    expect(cache.endOffsetFor(9, 55n)).toEqual({ epoch: -1, endOffset: -1n });
    expect(cache.endOffsetFor(-1, 55n)).toEqual({ epoch: -1, endOffset: -1n });
    expect(cache.epochForOffset(24n)).toBe(1);
    expect(cache.epochForOffset(25n)).toBe(3);
    expect(cache.epochForOffset(5n)).toBe(-1);
  });

  it('persists in Kafka checkpoint format and collapses entries below a new log start offset', async () => {
    const cache = LeaderEpochCache.load(dir);
    await cache.assign(0, 0n);
    await cache.assign(1, 10n);
    await cache.assign(2, 20n);
    await cache.truncateFromStart(15n);
    expect(fs.readFileSync(path.join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n2\n1 15\n2 20\n');
    expect(LeaderEpochCache.load(dir).all).toEqual([
      { epoch: 1, startOffset: 15n },
      { epoch: 2, startOffset: 20n },
    ]);
    await cache.truncateFromEnd(18n);
    expect(LeaderEpochCache.load(dir).latestEpoch).toBe(1);
  });
});
