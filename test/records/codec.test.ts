import { describe, expect, it } from 'vitest';
import { compressionName, isKnownCodec, parseCompression } from '../../src/records/codec.js';

describe('codec names', () => {
  it('maps Kafka compression.type names to attribute ids and back', () => {
    const names = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
    names.forEach((name, id) => {
      expect(parseCompression(name)).toBe(id);
      expect(compressionName(parseCompression(name))).toBe(name);
    });
    expect(parseCompression('GZIP')).toBe(1);
    expect(parseCompression('uncompressed')).toBe(0);
  });

  it('rejects unknown names and reserved ids', () => {
    expect(() => parseCompression('brotli')).toThrow(/unknown compression type 'brotli'/);
    expect(isKnownCodec(4)).toBe(true);
    expect(isKnownCodec(5)).toBe(false);
    expect(isKnownCodec(-1)).toBe(false);
  });
});
