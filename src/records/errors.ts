/**
 * The one error type of the records layer. The lead's KafkaError hierarchy maps it by `code`
 * (CORRUPT_MESSAGE is Kafka's error 2), so this module does not import anything above it.
 */
export class CorruptRecordError extends Error {
  readonly code = 'CORRUPT_MESSAGE';
  /** Byte position in the decoded buffer where the problem was found, when known. */
  readonly position: number;
  constructor(message: string, position = -1) {
    super(message);
    this.name = 'CorruptRecordError';
    this.position = position;
  }
}
