/**
 * Compression codec names and ids. The id is what record batch attributes (bits 0-2) and
 * legacy message attributes carry; the numbering is Kafka's.
 */
import { Codec } from '../native.js';

export { Codec };

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

const NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** Largest codec id any message format defines (zstd, magic 2 only). */
export const MAX_CODEC_ID = 4;

/** 'gzip' → Codec.Gzip. Accepts Kafka's `compression.type` spellings, case-insensitively. */
export function parseCompression(name: string): Codec {
  const lower = name.toLowerCase();
  // 'uncompressed' is how topic-level compression.type spells none.
  const index = lower === 'uncompressed' ? 0 : NAMES.indexOf(lower as CompressionName);
  if (index < 0) throw new RangeError(`unknown compression type '${name}' (expected one of ${NAMES.join(', ')})`);
  return index as Codec;
}

/** Codec.Gzip → 'gzip'. */
export function compressionName(codec: Codec): CompressionName {
  const name = NAMES[codec];
  if (name === undefined) throw new RangeError(`unknown compression codec id ${String(codec)}`);
  return name;
}

/** True for ids 0..4. Ids 5-7 are reserved by Kafka and mean a corrupt or future batch. */
export function isKnownCodec(id: number): id is Codec {
  return id >= 0 && id <= MAX_CODEC_ID && Number.isInteger(id);
}
