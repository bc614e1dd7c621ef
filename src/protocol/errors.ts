/**
 * The one error type of the protocol layer. The server maps it by `code`:
 *
 *   MALFORMED_REQUEST    the bytes do not parse (truncated, a length past the end, a null where
 *                        the version allows none) — Kafka answers INVALID_REQUEST (42) or closes
 *                        the connection
 *   UNSUPPORTED_VERSION  an API key or version we have no schema for — UNSUPPORTED_VERSION (35)
 *   INVALID_VALUE        encoding: a value that cannot be written in this version (a null in a
 *                        non-nullable field, a non-default value in a field the version lacks,
 *                        a number out of range) — a programming error in the caller
 *
 * Like the records layer, this module imports nothing above it; `src/errors.ts` stays the home
 * of Kafka's numeric error codes.
 */
export type ProtocolErrorCode = 'MALFORMED_REQUEST' | 'UNSUPPORTED_VERSION' | 'INVALID_VALUE';

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  /** Byte position in the decoded buffer where the problem was found, when known. */
  readonly position: number;
  constructor(code: ProtocolErrorCode, message: string, position = -1) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.position = position;
  }
}
