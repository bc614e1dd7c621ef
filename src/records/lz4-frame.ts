/**
 * The one LZ4-frame detail the records layer owns: the header checksum of message format v0.
 *
 * Frame header (LZ4 frame format 1.6):
 *
 *   magic      4 bytes  04 22 4d 18 (0x184D2204 little-endian)
 *   FLG        1 byte   bits 7-6 version (01), 5 block independence, 4 block checksum,
 *                       3 content size present, 2 content checksum, 0 dictionary id present
 *   BD         1 byte   bits 6-4 block max size (4 = 64 KB … 7 = 4 MB)
 *   [content size 8 bytes if FLG bit 3] [dictionary id 4 bytes if FLG bit 0]
 *   HC         1 byte   (xxh32(FLG .. byte before HC, seed 0) >> 8) & 0xff
 *
 * KAFKA-3160: Kafka clients before 0.10 computed HC over the magic number too (from byte 0).
 * Kafka kept that as part of message format v0: a v0 lz4 wrapper carries the broken HC, v1 and
 * later the correct one; v0 readers ignore HC. The addon writes correct frames, so v0 encoding
 * patches HC with `withBrokenHeaderChecksum`; the addon's decompress accepts both.
 */
const PRIME1 = 2654435761;
const PRIME2 = 2246822519;
const PRIME3 = 3266489917;
const PRIME4 = 668265263;
const PRIME5 = 374761393;

export const LZ4_FRAME_MAGIC = 0x184d2204;

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

function round(acc: number, lane: number): number {
  acc = (acc + Math.imul(lane, PRIME2)) >>> 0;
  return Math.imul(rotl(acc, 13), PRIME1) >>> 0;
}

/** XXH32 of data[start, end) — for frame header checksums, so small inputs; not a hot path. */
export function xxh32(data: Uint8Array, start = 0, end = data.length, seed = 0): number {
  const readU32 = (p: number): number => (data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24)) >>> 0;
  let p = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (seed + PRIME1 + PRIME2) >>> 0;
    let v2 = (seed + PRIME2) >>> 0;
    let v3 = seed >>> 0;
    let v4 = (seed - PRIME1) >>> 0;
    while (p + 16 <= end) {
      v1 = round(v1, readU32(p));
      v2 = round(v2, readU32(p + 4));
      v3 = round(v3, readU32(p + 8));
      v4 = round(v4, readU32(p + 12));
      p += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    h = (seed + PRIME5) >>> 0;
  }
  h = (h + (end - start)) >>> 0;
  while (p + 4 <= end) {
    h = (h + Math.imul(readU32(p), PRIME3)) >>> 0;
    h = Math.imul(rotl(h, 17), PRIME4) >>> 0;
    p += 4;
  }
  while (p < end) {
    h = (h + Math.imul(data[p]!, PRIME5)) >>> 0;
    h = Math.imul(rotl(h, 11), PRIME1) >>> 0;
    p++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, PRIME2) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, PRIME3) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Position of the HC byte in a frame, or -1 if `frame` does not start with an LZ4 frame header. */
export function headerChecksumPosition(frame: Uint8Array): number {
  if (frame.length < 7 || frame[0] !== 0x04 || frame[1] !== 0x22 || frame[2] !== 0x4d || frame[3] !== 0x18) return -1;
  const flg = frame[4]!;
  const hcPos = 6 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0);
  return hcPos < frame.length ? hcPos : -1;
}

/** The HC byte Kafka < 0.10 wrote: over the magic number and the descriptor. */
export function brokenHeaderChecksum(frame: Uint8Array, hcPos: number): number {
  return (xxh32(frame, 0, hcPos) >>> 8) & 0xff;
}

/** The correct HC byte: over the descriptor only. */
export function headerChecksum(frame: Uint8Array, hcPos: number): number {
  return (xxh32(frame, 4, hcPos) >>> 8) & 0xff;
}

/** Rewrites HC in place to the broken (KAFKA-3160) value that message format v0 carries. */
export function withBrokenHeaderChecksum(frame: Buffer): Buffer {
  const hcPos = headerChecksumPosition(frame);
  if (hcPos < 0) throw new Error('lz4 compressor output does not start with an LZ4 frame header');
  frame[hcPos] = brokenHeaderChecksum(frame, hcPos);
  return frame;
}
