/**
 * Errors of the network client: a response's error code (named and classed by src/errors.ts,
 * Kafka's one table), a broken connection (wire/errors.ts), an API both sides do not share.
 */

import { ErrorCode, KAFKA_ERRORS, isRetriableCode } from '../errors.js';
export { KafkaConnectionError, RequestTimeoutError } from '../wire/errors.js';

/** Codes by name (src/errors.ts, Kafka's whole table). */
export const ErrorCodes = ErrorCode;

/** Kafka's name for an error code, or `UNKNOWN_ERROR_CODE_<n>` for one the table lacks. */
export function errorName(code: number): string {
  return KAFKA_ERRORS.get(code)?.name ?? `UNKNOWN_ERROR_CODE_${code}`;
}

export function isRetriable(code: number): boolean {
  return isRetriableCode(code);
}

/** A broker answered with a non-zero error code. The message starts with the Kafka error name. */
export class KafkaResponseError extends Error {
  readonly errorCode: number;
  readonly errorName: string;
  readonly retriable: boolean;
  constructor(errorCode: number, context: string, serverMessage?: string | null) {
    const name = errorName(errorCode);
    super(`${name}: ${context}${serverMessage ? ` (${serverMessage})` : ''}`);
    this.name = 'KafkaResponseError';
    this.errorCode = errorCode;
    this.errorName = name;
    this.retriable = isRetriableCode(errorCode);
  }
}

/** The broker and this client share no version of an API the operation needs. */
export class UnsupportedApiError extends Error {
  readonly retriable = false;
  readonly errorName = 'UNSUPPORTED_VERSION';
  constructor(message: string) {
    super(`UNSUPPORTED_VERSION: ${message}`);
    this.name = 'UnsupportedApiError';
  }
}
