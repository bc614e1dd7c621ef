/** Failures of a connection itself, as opposed to a Kafka error code in a response. */

/** The socket failed, closed, or a request timed out. Retriable for requests that are safe to repeat. */
export class KafkaConnectionError extends Error {
  readonly retriable = true;
  readonly broker: string;
  constructor(broker: string, message: string, options?: { cause?: unknown }) {
    super(`${broker}: ${message}`, options);
    this.name = 'KafkaConnectionError';
    this.broker = broker;
  }
}

/** A request did not get its response within the request timeout. */
export class RequestTimeoutError extends KafkaConnectionError {
  constructor(broker: string, message: string) {
    super(broker, message);
    this.name = 'RequestTimeoutError';
  }
}
