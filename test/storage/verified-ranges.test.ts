/**
 * VerifiedRanges against a byte-set model: after any sequence of adds, clips and resets, a
 * range is covered only if the model holds every byte of it in one contiguous run, and the
 * ranges stay sorted, disjoint and non-adjacent within their bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VerifiedRanges } from '../../src/storage/verified-ranges.js';
import { ReadEnds } from '../../src/storage/read-ends.js';

type Op = { kind: 'add'; start: number; end: number } | { kind: 'clip'; size: number } | { kind: 'reset'; start: number; end: number };

const SPACE = 200;
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.nat(SPACE), fc.nat(40)).map(([start, len]) => ({ kind: 'add' as const, start, end: start + len })) },
  { weight: 1, arbitrary: fc.nat(SPACE).map((size) => ({ kind: 'clip' as const, size })) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(SPACE), fc.nat(40)).map(([start, len]) => ({ kind: 'reset' as const, start, end: start + len })) },
);

describe('VerifiedRanges', () => {
  it('never covers a byte that was not added, and keeps its ranges sorted, disjoint and bounded', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 6 }), (ops, max) => {
        const ranges = new VerifiedRanges(max);
        const model = new Set<number>();
        for (const o of ops) {
          if (o.kind === 'add') {
            ranges.add(o.start, o.end);
            for (let b = o.start; b < o.end; b++) model.add(b);
          } else if (o.kind === 'clip') {
            ranges.clip(o.size);
            for (const b of [...model]) if (b >= o.size) model.delete(b);
          } else {
            ranges.reset(o.start, o.end);
            model.clear();
            for (let b = o.start; b < o.end; b++) model.add(b);
          }
          const list = ranges.toArray();
          expect(list.length).toBeLessThanOrEqual(max);
          for (let i = 0; i < list.length; i++) {
            const [a, b] = list[i]!;
            expect(a).toBeLessThan(b);
            if (i > 0) expect(a).toBeGreaterThan(list[i - 1]![1]);
            // Forgetting a range is allowed (it is only verified again); claiming bytes is not.
            for (let x = a; x < b; x++) expect(model.has(x)).toBe(true);
          }
          for (let start = 0; start < SPACE; start += 7) {
            for (const len of [1, 5, 30]) {
              if (ranges.covers(start, start + len)) {
                for (let x = start; x < start + len; x++) expect(model.has(x)).toBe(true);
              }
            }
          }
        }
      }),
    );
  });

  it('extends the last range in place as appends and forward reads continue it', () => {
    const ranges = new VerifiedRanges();
    ranges.add(0, 100);
    ranges.add(100, 250);
    ranges.add(250, 300);
    expect(ranges.toArray()).toEqual([[0, 300]]);
    expect(ranges.upTo).toBe(300);
    expect(ranges.covers(120, 300)).toBe(true);
    expect(ranges.covers(120, 301)).toBe(false);
  });

  it('reports upTo only for a range that starts at byte 0', () => {
    const ranges = new VerifiedRanges();
    ranges.add(10, 100);
    expect(ranges.upTo).toBe(0);
    ranges.add(0, 10);
    expect(ranges.upTo).toBe(100);
    ranges.clip(40);
    expect(ranges.upTo).toBe(40);
  });
});

describe('ReadEnds', () => {
  it('finds remembered read ends and replaces the oldest past its capacity', () => {
    const ends = new ReadEnds(2);
    ends.remember(10, 1000);
    ends.remember(20, 2000);
    expect(ends.positionOf(10)).toBe(1000);
    ends.remember(30, 3000);
    expect(ends.positionOf(10)).toBe(-1);
    expect(ends.positionOf(20)).toBe(2000);
    expect(ends.positionOf(30)).toBe(3000);
    ends.clear();
    expect(ends.positionOf(30)).toBe(-1);
  });
});
