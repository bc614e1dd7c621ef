/**
 * Errors of the network transport: a response's error code and an API both sides do not share,
 * both KafkaErrors of the one table (src/errors.ts), so callers test `errorName` whichever
 * transport they use; and a broken connection (wire/errors.ts).
 */

import { ErrorCode, KAFKA_ERRORS, KafkaError, errorNameOf, isRetriableCode } from '../errors.js';
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

/**
 * A broker answered with a non-zero error code. The message starts with the Kafka error name;
 * `errorCode` is the code the broker sent (a code the table lacks is named UNKNOWN_SERVER_ERROR).
 */
export class KafkaResponseError extends KafkaError {
  constructor(errorCode: number, context: string, serverMessage?: string | null) {
    super(errorNameOf(errorCode), `${errorName(errorCode)}: ${context}${serverMessage ? ` (${serverMessage})` : ''}`);
    this.name = 'KafkaResponseError';
    if (this.errorCode !== errorCode) Object.defineProperty(this, 'errorCode', { value: errorCode });
  }
}

/** The broker and this client share no version of an API the operation needs. */
export class UnsupportedApiError extends KafkaError {
  constructor(message: string) {
    super('UNSUPPORTED_VERSION', `UNSUPPORTED_VERSION: ${message}`);
    this.name = 'UnsupportedApiError';
  }
}
