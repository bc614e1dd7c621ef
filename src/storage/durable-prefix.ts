/**
 * Where a segment's recovery scan may start after an unclean stop: every offset below the
 * recovery point was fsync'd, so the batches before the offset-index entry with the largest key
 * below it need no scan. Indexes are only hints after a crash, so the entry is checked against
 * the log first (the batch set it indexes must end at its key).
 */
import type { IndexFile, SegmentFile } from '../native.js';

/** Where a recovery scan starts inside a segment, and the state of the batches before it. */
export interface DurablePrefix {
  position: number;
  /** Relative key of the offset-index entry at `position`. */
  relativeKey: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
}

/**
 * The position of the offset-index entry with the largest key below `recoveryPoint`, with the
 * time index's running max there. Null when there is no such entry or the log does not
 * confirm it (then the whole segment is scanned).
 */
export function durablePrefix(log: SegmentFile, offsetIndex: IndexFile, timeIndex: IndexFile, baseOffset: bigint, recoveryPoint: bigint): DurablePrefix | null {
  const base = Number(baseOffset);
  const below = Number(recoveryPoint - baseOffset) - 1;
  if (below < 0) return null;
  const entry = offsetIndex.lookup(below);
  if (entry === null) return null;
  const [relativeKey, position] = entry;
  if (position <= 0 || position >= log.size) return null;
  let found: { lastOffset: number } | null;
  try {
    found = log.findBatch(position, base + relativeKey, log.size);
  } catch {
    return null;
  }
  // The entry maps the last offset of the batch set appended at `position` to that position.
  if (found === null || found.lastOffset !== base + relativeKey) return null;
  const time = timeIndex.entries > 0 ? lastEntryAtOrBelow(timeIndex, relativeKey) : null;
  return {
    position,
    relativeKey,
    maxTimestamp: time === null ? -1 : time[0],
    offsetOfMaxTimestamp: time === null ? -1 : base + time[1],
  };
}

/** The last time-index entry whose relative offset is <= rel (entries' offsets never decrease). */
function lastEntryAtOrBelow(timeIndex: IndexFile, rel: number): [number, number] | null {
  let lo = 0;
  let hi = timeIndex.entries - 1;
  let best: [number, number] | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const e = timeIndex.entry(mid);
    if (e[1] <= rel) {
      best = e;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}
