import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Codec, native, NativeError } from '../../src/native.js';

const codecs = [
  ['gzip', Codec.Gzip],
  ['snappy', Codec.Snappy],
  ['lz4', Codec.Lz4],
  ['zstd', Codec.Zstd],
] as const;

function compressible(n: number): Buffer {
  const line = Buffer.from('{"user":12345,"event":"page_view","path":"/products/42"}\n');
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += line.length) line.copy(b, i);
  return b;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NativeError);
    return (e as NativeError).code;
  }
  return undefined;
}

// XXH32 of a short input (< 16 bytes), enough to compute an LZ4 frame header checksum.
function xxh32Short(b: Uint8Array, seed = 0): number {
  const P1 = 2654435761, P2 = 2246822519, P3 = 3266489917, P4 = 668265263, P5 = 374761393;
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  let h = (seed + P5 + b.length) >>> 0;
  let i = 0;
  for (; i + 4 <= b.length; i += 4) {
    const lane = (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
    h = Math.imul(rotl((h + Math.imul(lane, P3)) >>> 0, 17), P4) >>> 0;
  }
  for (; i < b.length; i++) h = Math.imul(rotl((h + Math.imul(b[i]!, P5)) >>> 0, 11), P1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

describe.each(codecs)('%s', (_name, codec) => {
  const inputs: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['small', Buffer.from('hello sluice')],
    ['1 MiB random', randomBytes(1 << 20)],
    ['compressible', compressible(3 << 20)],
  ];

  it.each(inputs)('round-trips %s input', (_label, input) => {
    const compressed = native.compress(codec, input);
    expect(native.decompress(codec, compressed).equals(input)).toBe(true);
  });

  it('shrinks compressible data', () => {
    const input = compressible(1 << 20);
    expect(native.compress(codec, input).length).toBeLessThan(input.length / 4);
  });

  it('round-trips at explicit levels', () => {
    const input = compressible(200_000);
    for (const level of [1, 9]) {
      expect(native.decompress(codec, native.compress(codec, input, level)).equals(input)).toBe(true);
    }
  });

  it('refuses to decompress past maxOutputBytes with DECOMPRESSED_TOO_LARGE', () => {
    const zeros = Buffer.alloc(8 << 20);
    const bomb = native.compress(codec, zeros);
    expect(codeOf(() => native.decompress(codec, bomb, (8 << 20) - 1))).toBe('DECOMPRESSED_TOO_LARGE');
    expect(native.decompress(codec, bomb, 8 << 20).length).toBe(8 << 20);
  });

  it('rejects corrupt input with CORRUPT_COMPRESSED_DATA', () => {
    // Deterministic garbage: random bytes could make raw snappy claim a huge length
    // (DECOMPRESSED_TOO_LARGE) or, rarely, decode. An over-long varint is invalid for every codec.
    const garbage = Buffer.concat([Buffer.alloc(8, 0xff), Buffer.from(Array.from({ length: 992 }, (_, i) => (i * 131 + 7) & 0xff))]);
    expect(codeOf(() => native.decompress(codec, garbage))).toBe('CORRUPT_COMPRESSED_DATA');
    const cut = native.compress(codec, compressible(50_000));
    expect(codeOf(() => native.decompress(codec, cut.subarray(0, cut.length - 5)))).toBe('CORRUPT_COMPRESSED_DATA');
    expect(() => native.decompress(codec, garbage)).toThrow(NativeError);
  });
});

describe('codec framings of other Kafka clients', () => {
  it('decodes xerial-framed snappy as the Java client writes it', () => {
    const input = compressible(200_000);
    const parts: Buffer[] = [Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1])];
    for (let pos = 0; pos < input.length; pos += 32 * 1024) {
      const block = native.compress(Codec.Snappy, input.subarray(pos, pos + 32 * 1024));
      const len = Buffer.alloc(4);
      len.writeUInt32BE(block.length);
      parts.push(len, block);
    }
    const framed = Buffer.concat(parts);
    expect(native.decompress(Codec.Snappy, framed).equals(input)).toBe(true);
    expect(codeOf(() => native.decompress(Codec.Snappy, framed, 100_000))).toBe('DECOMPRESSED_TOO_LARGE');
    expect(codeOf(() => native.decompress(Codec.Snappy, framed.subarray(0, framed.length - 1)))).toBe(
      'CORRUPT_COMPRESSED_DATA',
    );
  });

  it('decodes lz4 frames whose header checksum covers the magic, as pre-0.10 Kafka clients wrote', () => {
    const input = compressible(100_000);
    const frame = Buffer.from(native.compress(Codec.Lz4, input));
    // Our frames carry no content size or dictionary id: descriptor = FLG BD, checksum at 6.
    expect(frame[6]).toBe((xxh32Short(frame.subarray(4, 6)) >>> 8) & 0xff);
    frame[6] = (xxh32Short(frame.subarray(0, 6)) >>> 8) & 0xff;
    expect(native.decompress(Codec.Lz4, frame).equals(input)).toBe(true);
    frame[6] ^= 0x5a;
    expect(codeOf(() => native.decompress(Codec.Lz4, frame))).toBe('CORRUPT_COMPRESSED_DATA');
  });

  it('reads concatenated gzip members', () => {
    const a = native.compress(Codec.Gzip, Buffer.from('first '));
    const b = native.compress(Codec.Gzip, Buffer.from('second'));
    expect(native.decompress(Codec.Gzip, Buffer.concat([a, b])).toString()).toBe('first second');
  });

  it('writes gzip that node:zlib reads', async () => {
    const { gunzipSync } = await import('node:zlib');
    const input = compressible(100_000);
    expect(gunzipSync(native.compress(Codec.Gzip, input)).equals(input)).toBe(true);
  });
});

describe('codec arguments', () => {
  it('throws TypeError for an unknown codec id', () => {
    expect(() => native.compress(9 as Codec, Buffer.alloc(1))).toThrow(TypeError);
  });

  it('copies for codec none', () => {
    const input = Buffer.from('plain');
    expect(native.decompress(Codec.None, native.compress(Codec.None, input)).equals(input)).toBe(true);
  });
});
