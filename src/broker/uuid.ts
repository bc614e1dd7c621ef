/**
 * Kafka's `Uuid` (topic ids): 16 bytes, printed as 22 characters of unpadded base64url, the
 * form the protocol layer also uses. Random ids have the v4 version/variant bits, are never
 * the zero id or the metadata topic id (1), and never print with a leading '-', as Kafka's
 * `Uuid.randomUuid()` guarantees.
 */
import { randomBytes } from 'node:crypto';

/** Kafka's `Uuid.ZERO_UUID`. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
/** Kafka's `Uuid.METADATA_TOPIC_ID` (the value 1), reserved. */
const METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

export function uuidToString(bytes: Buffer): string {
  if (bytes.length !== 16) throw new RangeError(`a uuid is 16 bytes, not ${bytes.length}`);
  return bytes.toString('base64url');
}

export function uuidFromString(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (text.length !== 22 || bytes.length !== 16) throw new RangeError(`not a uuid: ${text}`);
  return bytes;
}

export function randomUuid(): string {
  for (;;) {
    const bytes = randomBytes(16);
    bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8]! & 0x3f) | 0x80; // IETF variant
    const text = uuidToString(bytes);
    if (text !== ZERO_UUID && text !== METADATA_TOPIC_ID && !text.startsWith('-')) return text;
  }
}
