import { describe, expect, it } from 'vitest';
import { brokenHeaderChecksum, headerChecksum, headerChecksumPosition, xxh32 } from '../../src/records/lz4-frame.js';

describe('lz4 frame header checksum', () => {
  it('computes XXH32 reference values', () => {
    expect(xxh32(Buffer.alloc(0))).toBe(0x02cc5d05);
    expect(xxh32(Buffer.from('abc'))).toBe(0x32d153ff);
  });

  it('matches the correct HC of a standard frame header (FLG 60, BD 40 → 82)', () => {
    const header = Buffer.from('04224d18604082', 'hex');
    expect(headerChecksumPosition(header)).toBe(6);
    expect(headerChecksum(header, 6)).toBe(0x82);
  });

  it('matches the broken HC Kafka 0.8/0.9 clients wrote for the same header (→ 1a, from Kafka’s own test)', () => {
    const header = Buffer.from('04224d1860401a', 'hex');
    expect(brokenHeaderChecksum(header, 6)).toBe(0x1a);
  });

  it('finds HC after an optional content size', () => {
    expect(headerChecksumPosition(Buffer.from('04224d186840' + '00'.repeat(8) + '00', 'hex'))).toBe(14);
    expect(headerChecksumPosition(Buffer.from('00000000604082', 'hex'))).toBe(-1);
  });
});
