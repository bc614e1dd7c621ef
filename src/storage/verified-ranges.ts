/**
 * The byte ranges of one segment file whose batches this process has CRC-checked, so reads
 * inside them skip the CRC (see Segment's "CRC once per process").
 *
 * Kept as sorted, disjoint, non-adjacent [start, end) pairs, flat in one array. At most
 * `maxRanges` are remembered: when a new one would exceed it the smallest is forgotten, which
 * only means verifying those bytes again. Every range end is a batch boundary (an append end,
 * a valid prefix, a read's end, a truncation point), so a range that holds a read's start
 * position holds its first batch.
 */
export class VerifiedRanges {
  private ranges: number[] = [];

  constructor(private readonly maxRanges = 16) {}

  /** Forgets everything, then remembers [start, end) when it is not empty. */
  reset(start = 0, end = 0): void {
    this.ranges = end > start ? [start, end] : [];
  }

  /**
   * End of the range that starts at byte 0: every batch below it has been checked (0 when
   * none has). Other ranges may exist above it.
   */
  get upTo(): number {
    const v = this.ranges;
    return v.length > 0 && v[0] === 0 ? v[1]! : 0;
  }

  /** True when [start, end) lies inside one range (and start is inside it). */
  covers(start: number, end: number): boolean {
    const v = this.ranges;
    for (let i = 0; i < v.length; i += 2) {
      if (v[i]! <= start && start < v[i + 1]!) return end <= v[i + 1]!;
    }
    return false;
  }

  /** Adds [start, end), merging overlapping and adjacent ranges. */
  add(start: number, end: number): void {
    if (end <= start) return;
    const v = this.ranges;
    const last = v.length - 1;
    // Appends and forward reads extend the last range: no new array.
    if (last > 0 && v[last - 1]! <= start && start <= v[last]!) {
      if (end > v[last]!) v[last] = end;
      return;
    }
    const merged: number[] = [];
    let s = start;
    let e = end;
    let placed = false;
    for (let i = 0; i < v.length; i += 2) {
      const a = v[i]!;
      const b = v[i + 1]!;
      if (b < s) {
        merged.push(a, b);
      } else if (a > e) {
        if (!placed) merged.push(s, e);
        placed = true;
        merged.push(a, b);
      } else {
        s = Math.min(s, a);
        e = Math.max(e, b);
      }
    }
    if (!placed) merged.push(s, e);
    while (merged.length > 2 * this.maxRanges) {
      let smallest = 0;
      for (let i = 2; i < merged.length; i += 2) {
        if (merged[i + 1]! - merged[i]! < merged[smallest + 1]! - merged[smallest]!) smallest = i;
      }
      merged.splice(smallest, 2);
    }
    this.ranges = merged;
  }

  /** Forgets everything at and beyond `size` (the file was truncated to it). */
  clip(size: number): void {
    const v = this.ranges;
    const kept: number[] = [];
    for (let i = 0; i < v.length; i += 2) {
      if (v[i]! < size) kept.push(v[i]!, Math.min(v[i + 1]!, size));
    }
    this.ranges = kept;
  }

  /** The ranges as [start, end) pairs, for tests. */
  toArray(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.ranges.length; i += 2) out.push([this.ranges[i]!, this.ranges[i + 1]!]);
    return out;
  }
}
