import { randomBytes } from 'node:crypto';
import CRC32 from 'crc-32';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';

// Seeded so a failure can be replayed: xorshift32.
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function seededBytes(n: number, seed: number): Buffer {
  const next = rng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = next() & 0xff;
  return b;
}

describe('crc32c', () => {
  it('computes 0xE3069283 for "123456789"', () => {
    expect(native.crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(native.crc32cPortable(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('matches the RFC 3720 iSCSI test vectors', () => {
    const inc = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const dec = Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i));
    const pdu = Buffer.from(
      '01c000000000000000000000000000001400000000000400000000140000001828000000000000000200000000000000',
      'hex',
    );
    for (const crc of [native.crc32c, native.crc32cPortable]) {
      expect(crc(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
      expect(crc(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
      expect(crc(inc)).toBe(0x46dd794e);
      expect(crc(dec)).toBe(0x113fdb5c);
      expect(crc(pdu)).toBe(0xd9963a56);
    }
  });

  it('returns an unsigned 32-bit number and 0 for empty input', () => {
    expect(native.crc32c(Buffer.alloc(0))).toBe(0);
    const v = native.crc32c(Buffer.from('123456789'));
    expect(v).toBeGreaterThan(0x7fffffff);
  });

  it('reports which implementation the CPU takes', () => {
    expect(['vpclmulqdq', 'sse4.2', 'portable']).toContain(native.crc32cImplementation());
  });

  it('agrees with the portable path on every length 0..300 at random offsets', () => {
    const seed = 20240601;
    const data = seededBytes(4096, seed);
    const next = rng(seed + 1);
    for (let len = 0; len <= 300; len++) {
      for (let k = 0; k < 4; k++) {
        const start = next() % (data.length - len);
        const view = data.subarray(start, start + len);
        const init = next();
        expect(native.crc32c(view, init), `len ${len} start ${start} seed ${seed}`).toBe(
          native.crc32cPortable(view, init),
        );
      }
    }
  });

  it('agrees with the portable path on large buffers that take the folding or three-chain loops', () => {
    for (const len of [319, 320, 768, 769, 1087, 3 * 8192, 3 * 8192 + 17, 100_000, 110_000, 1 << 20]) {
      const b = randomBytes(len + 8);
      for (const start of [0, 1, 3, 7]) {
        const view = b.subarray(start, start + len);
        expect(native.crc32c(view)).toBe(native.crc32cPortable(view));
      }
    }
  });

  it('continues from a previous value as if over the concatenation', () => {
    const b = randomBytes(10_000);
    const whole = native.crc32c(b);
    for (const split of [0, 1, 100, 5000, 9999, 10_000]) {
      expect(native.crc32c(b.subarray(split), native.crc32c(b.subarray(0, split)))).toBe(whole);
      expect(native.crc32cPortable(b.subarray(split), native.crc32cPortable(b.subarray(0, split)))).toBe(whole);
    }
  });

  it('crc32cRange covers exactly [start, end)', () => {
    const b = randomBytes(1000);
    expect(native.crc32cRange(b, 21, 1000)).toBe(native.crc32c(b.subarray(21)));
    expect(native.crc32cRange(b, 5, 5)).toBe(0);
    expect(() => native.crc32cRange(b, 10, 5)).toThrow(RangeError);
    expect(() => native.crc32cRange(b, 0, 1001)).toThrow(RangeError);
  });

  it('throws TypeError when not given a Buffer', () => {
    expect(() => native.crc32c('abc' as unknown as Buffer)).toThrow(TypeError);
  });
});

describe('crc32', () => {
  it('computes 0xCBF43926 for "123456789"', () => {
    expect(native.crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('agrees with the crc-32 package on random buffers (as unsigned)', () => {
    const seed = 7;
    const next = rng(seed);
    for (let i = 0; i < 300; i++) {
      const b = seededBytes(next() % 5000, next());
      expect(native.crc32(b), `buffer ${i} seed ${seed}`).toBe(CRC32.buf(b) >>> 0);
    }
  });

  it('continues from a previous value like the crc-32 package seed', () => {
    const a = randomBytes(333);
    const b = randomBytes(777);
    const seed = native.crc32(a);
    expect(native.crc32(b, seed)).toBe(CRC32.buf(b, seed | 0) >>> 0);
    expect(native.crc32(b, seed)).toBe(native.crc32(Buffer.concat([a, b])));
  });
});
