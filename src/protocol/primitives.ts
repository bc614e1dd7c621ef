/**
 * Kafka's wire primitives (https://kafka.apache.org/protocol#protocol_types), big-endian:
 *
 *   int8 int16 int32 int64      signed, two's complement; int64 travels as `bigint`
 *   uint16 uint32 float64 bool  bool is one byte, 0 or 1 (any non-zero reads as true)
 *   unsigned varint             protobuf base-128, least significant group first, ≤ 5 bytes
 *   varint / varlong            zigzag then unsigned varint (≤ 5 / ≤ 10 bytes)
 *   string                      int16 length N ≥ 0, then N bytes of UTF-8
 *   nullable string             int16 length, -1 = null
 *   compact (nullable) string   unsigned varint N+1, 0 = null
 *   bytes / nullable bytes      int32 length (-1 = null), then the bytes
 *   compact (nullable) bytes    unsigned varint N+1 (0 = null), then the bytes
 *   uuid                        16 raw bytes; here a 22-character base64url string, the form
 *                               Kafka prints (`Uuid.toString()`); ZERO_UUID is all zero bytes
 *   array                       int32 count (-1 = null), then the elements
 *   compact array               unsigned varint count+1 (0 = null), then the elements
 *   tagged fields               unsigned varint count, then per field: uvarint tag,
 *                               uvarint size, size bytes; written in ascending tag order
 *
 * `Writer` appends into one growable Buffer and is meant to be reused (`reset()`); `view()`
 * is valid until the next write, `toBuffer()` copies out. With `spliceMinBytes` set, records
 * blobs that large are not copied in but kept by reference, and `toBuffers()` hands them out
 * between the bytes around them (a Fetch response is mostly such blobs: written with writev,
 * they reach the socket without a copy in JavaScript). `Reader` checks every read against
 * its end and throws ProtocolError('MALFORMED_REQUEST') instead of reading past it; declared
 * lengths and counts are compared with the bytes left BEFORE anything is allocated, so a
 * length of 2^31-1 with ten bytes behind it costs nothing. Writer is in writer.ts, Reader in
 * reader.ts; this module re-exports both.
 */
import { sizeOfUnsignedVarint } from './varint.js';

export { sizeOfUnsignedVarint };
export { Writer } from './writer.js';
export { Reader } from './reader.js';

/** The all-zero UUID, Kafka's `Uuid.ZERO_UUID`, as this module spells UUIDs. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** A tagged field the schema does not know, kept as raw bytes so it survives a re-encode. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}
