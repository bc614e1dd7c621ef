/**
 * Kafka's error codes (names exactly as Kafka spells them) and the one error base class.
 * Per-partition failures travel as values in responses; thrown errors are KafkaError
 * instances so `errorCodeFor(err)` (in the server) is a lookup, not a guess.
 */

export const ErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  INVALID_REQUIRED_ACKS: 21,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_VERSION: 35,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  KAFKA_STORAGE_ERROR: 56,
  INVALID_CONFIG: 40,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  INVALID_RECORD: 87,
  // Added with broker/: topic admin, leader epochs, idempotence.
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  NOT_CONTROLLER: 41,
  POLICY_VIOLATION: 44,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  UNKNOWN_PRODUCER_ID: 59,
  TOPIC_DELETION_DISABLED: 73,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNKNOWN_TOPIC_ID: 100,
  // Added with server/handlers: fetch sessions, DescribeCluster endpoint types.
  FETCH_SESSION_ID_NOT_FOUND: 70,
  INVALID_FETCH_SESSION_EPOCH: 71,
  MISMATCHED_ENDPOINT_TYPE: 114,
  UNSUPPORTED_ENDPOINT_TYPE: 115,
  // Added with group/: the group coordinator and committed offsets.
  OFFSET_METADATA_TOO_LARGE: 12,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  MEMBER_ID_REQUIRED: 79,
  GROUP_MAX_SIZE_REACHED: 81,
  FENCED_INSTANCE_ID: 82,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
  UNSTABLE_OFFSET_COMMIT: 88,
} as const;

export type ErrorName = keyof typeof ErrorCode;

const NAME_BY_CODE: ReadonlyMap<number, ErrorName> = new Map(Object.entries(ErrorCode).map(([name, code]) => [code, name as ErrorName]));

/** The name of a Kafka error code; codes sluice does not know read as UNKNOWN_SERVER_ERROR. */
export function errorNameOf(code: number): ErrorName {
  return NAME_BY_CODE.get(code) ?? 'UNKNOWN_SERVER_ERROR';
}

const RETRIABLE: ReadonlySet<ErrorName> = new Set<ErrorName>([
  'CORRUPT_MESSAGE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'REQUEST_TIMED_OUT',
  'KAFKA_STORAGE_ERROR',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'NOT_CONTROLLER',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'UNKNOWN_TOPIC_ID',
  'FETCH_SESSION_ID_NOT_FOUND',
  'INVALID_FETCH_SESSION_EPOCH',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'UNSTABLE_OFFSET_COMMIT',
]);

export class KafkaError extends Error {
  readonly errorName: ErrorName;
  readonly errorCode: number;
  readonly retriable: boolean;
  constructor(errorName: ErrorName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaError';
    this.errorName = errorName;
    this.errorCode = ErrorCode[errorName];
    this.retriable = RETRIABLE.has(errorName);
  }
}

/** The requested offset is outside [logStartOffset, nextOffset]. */
export class OffsetOutOfRangeError extends KafkaError {
  readonly offset: bigint;
  readonly logStartOffset: bigint;
  readonly nextOffset: bigint;
  constructor(offset: bigint, logStartOffset: bigint, nextOffset: bigint) {
    super('OFFSET_OUT_OF_RANGE', `offset ${offset} is out of range [${logStartOffset}, ${nextOffset}]`);
    this.name = 'OffsetOutOfRangeError';
    this.offset = offset;
    this.logStartOffset = logStartOffset;
    this.nextOffset = nextOffset;
  }
}

/** Stored bytes failed their checksum or framing; the range is not served. */
export class CorruptStorageError extends KafkaError {
  readonly path: string;
  readonly position: number;
  constructor(path: string, position: number, reason: string) {
    super('KAFKA_STORAGE_ERROR', `corrupt record batch in ${path} at byte ${position}: ${reason}`);
    this.name = 'CorruptStorageError';
    this.path = path;
    this.position = position;
  }
}

/**
 * The records inside a batch fail validation (Kafka's LogValidator rules): INVALID_RECORD for
 * their structure, counts and offsets, CORRUPT_MESSAGE when a compressed batch cannot be
 * decoded. `recordIndex` is the failing record's index in batch `batchIndex` (Kafka's
 * batch_index), -1 when the batch as a whole fails.
 */
export class InvalidRecordsError extends KafkaError {
  readonly batchIndex: number;
  readonly recordIndex: number;
  constructor(errorName: 'INVALID_RECORD' | 'CORRUPT_MESSAGE', message: string, batchIndex: number, recordIndex: number) {
    super(errorName, message);
    this.name = 'InvalidRecordsError';
    this.batchIndex = batchIndex;
    this.recordIndex = recordIndex;
  }
}

/** The produced bytes are not valid record batches (bad CRC, framing, magic). */
export class CorruptMessageError extends KafkaError {
  constructor(message: string) {
    super('CORRUPT_MESSAGE', message);
    this.name = 'CorruptMessageError';
  }
}
