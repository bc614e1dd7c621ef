/**
 * Kafka's error table, the one source for the broker and the clients: each error's name exactly
 * as Kafka spells it, its code, whether Kafka's clients retry it (its exception is a
 * RetriableException) and what it means — the shape of franz-go's kerr. Per-partition failures
 * travel as codes in responses; thrown errors are KafkaError instances so `errorCodeFor(err)`
 * (in the server) is a lookup, not a guess.
 */

/** [name, code, retriable, message] per Kafka error (org.apache.kafka.common.protocol.Errors). */
const TABLE = [
  ['UNKNOWN_SERVER_ERROR', -1, false, 'the broker hit an unexpected error'],
  ['NONE', 0, false, 'no error'],
  ['OFFSET_OUT_OF_RANGE', 1, false, 'the offset is outside the range the partition holds'],
  ['CORRUPT_MESSAGE', 2, true, 'a record batch failed its checksum or framing checks'],
  ['UNKNOWN_TOPIC_OR_PARTITION', 3, true, 'the broker does not host this topic or partition'],
  ['INVALID_FETCH_SIZE', 4, false, 'the fetch size is invalid'],
  ['LEADER_NOT_AVAILABLE', 5, true, 'the partition has no leader right now (an election is under way)'],
  ['NOT_LEADER_OR_FOLLOWER', 6, true, 'this broker is not the leader of the partition'],
  ['REQUEST_TIMED_OUT', 7, true, 'the request timed out'],
  ['BROKER_NOT_AVAILABLE', 8, false, 'the broker is not available'],
  ['REPLICA_NOT_AVAILABLE', 9, true, 'the replica is not available'],
  ['MESSAGE_TOO_LARGE', 10, false, 'a record batch is larger than the broker accepts'],
  ['STALE_CONTROLLER_EPOCH', 11, false, 'the controller moved'],
  ['OFFSET_METADATA_TOO_LARGE', 12, false, 'the offset metadata is too large'],
  ['NETWORK_EXCEPTION', 13, true, 'the connection closed before the response arrived'],
  ['COORDINATOR_LOAD_IN_PROGRESS', 14, true, 'the coordinator is still loading its state'],
  ['COORDINATOR_NOT_AVAILABLE', 15, true, 'the coordinator is not available'],
  ['NOT_COORDINATOR', 16, true, 'this broker is not the coordinator'],
  ['INVALID_TOPIC_EXCEPTION', 17, false, 'the topic name is invalid or the operation is not allowed on it'],
  ['RECORD_LIST_TOO_LARGE', 18, false, 'the record batch is larger than a segment'],
  ['NOT_ENOUGH_REPLICAS', 19, true, 'fewer in-sync replicas than min.insync.replicas'],
  ['NOT_ENOUGH_REPLICAS_AFTER_APPEND', 20, true, 'written, but to fewer in-sync replicas than required'],
  ['INVALID_REQUIRED_ACKS', 21, false, 'acks must be -1, 0 or 1'],
  ['ILLEGAL_GENERATION', 22, false, 'the group generation is not the current one'],
  ['INCONSISTENT_GROUP_PROTOCOL', 23, false, 'the protocols of the member do not match those of the group'],
  ['INVALID_GROUP_ID', 24, false, 'the group id is invalid'],
  ['UNKNOWN_MEMBER_ID', 25, false, 'the coordinator does not know this member'],
  ['INVALID_SESSION_TIMEOUT', 26, false, 'the session timeout is outside the bounds of the broker'],
  ['REBALANCE_IN_PROGRESS', 27, false, 'the group is rebalancing: rejoin'],
  ['INVALID_COMMIT_OFFSET_SIZE', 28, false, 'the offset commit is too large'],
  ['TOPIC_AUTHORIZATION_FAILED', 29, false, 'not authorized to access the topic'],
  ['GROUP_AUTHORIZATION_FAILED', 30, false, 'not authorized to access the group'],
  ['CLUSTER_AUTHORIZATION_FAILED', 31, false, 'not authorized for the cluster'],
  ['INVALID_TIMESTAMP', 32, false, 'the record timestamp is out of the accepted range'],
  ['UNSUPPORTED_SASL_MECHANISM', 33, false, 'the SASL mechanism is not supported'],
  ['ILLEGAL_SASL_STATE', 34, false, 'the request is not valid in the current SASL state'],
  ['UNSUPPORTED_VERSION', 35, false, 'the API version is not supported'],
  ['TOPIC_ALREADY_EXISTS', 36, false, 'the topic exists already'],
  ['INVALID_PARTITIONS', 37, false, 'the number of partitions is invalid'],
  ['INVALID_REPLICATION_FACTOR', 38, false, 'the replication factor is invalid'],
  ['INVALID_REPLICA_ASSIGNMENT', 39, false, 'the replica assignment is invalid'],
  ['INVALID_CONFIG', 40, false, 'the configuration is invalid'],
  ['NOT_CONTROLLER', 41, true, 'this broker is not the controller'],
  ['INVALID_REQUEST', 42, false, 'the request is malformed or not valid for this broker'],
  ['UNSUPPORTED_FOR_MESSAGE_FORMAT', 43, false, 'the message format does not support the request'],
  ['POLICY_VIOLATION', 44, false, 'the request breaks a configured policy'],
  ['OUT_OF_ORDER_SEQUENCE_NUMBER', 45, false, 'the sequence number of the batch is out of order'],
  ['DUPLICATE_SEQUENCE_NUMBER', 46, false, 'the sequence number of the batch is a duplicate'],
  ['INVALID_PRODUCER_EPOCH', 47, false, 'the producer epoch is old'],
  ['INVALID_TXN_STATE', 48, false, 'the transactional operation is not valid in the current state'],
  ['INVALID_PRODUCER_ID_MAPPING', 49, false, 'the producer id is not assigned to this transactional id'],
  ['INVALID_TRANSACTION_TIMEOUT', 50, false, 'the transaction timeout is larger than the broker allows'],
  ['CONCURRENT_TRANSACTIONS', 51, true, 'another operation on this transaction is in progress'],
  ['TRANSACTION_COORDINATOR_FENCED', 52, false, 'the transaction coordinator was fenced'],
  ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53, false, 'not authorized for the transactional id'],
  ['SECURITY_DISABLED', 54, false, 'security features are disabled'],
  ['OPERATION_NOT_ATTEMPTED', 55, false, 'the broker did not attempt the operation'],
  ['KAFKA_STORAGE_ERROR', 56, true, 'a disk error on the broker'],
  ['LOG_DIR_NOT_FOUND', 57, false, 'the log directory is not in the broker configuration'],
  ['SASL_AUTHENTICATION_FAILED', 58, false, 'SASL authentication failed'],
  ['UNKNOWN_PRODUCER_ID', 59, false, 'the broker has no state for this producer id'],
  ['REASSIGNMENT_IN_PROGRESS', 60, false, 'a partition reassignment is in progress'],
  ['DELEGATION_TOKEN_AUTH_DISABLED', 61, false, 'delegation tokens are not enabled'],
  ['DELEGATION_TOKEN_NOT_FOUND', 62, false, 'the delegation token was not found'],
  ['DELEGATION_TOKEN_OWNER_MISMATCH', 63, false, 'the principal is not the owner or renewer of the token'],
  ['DELEGATION_TOKEN_REQUEST_NOT_ALLOWED', 64, false, 'delegation token requests are not allowed on this channel'],
  ['DELEGATION_TOKEN_AUTHORIZATION_FAILED', 65, false, 'not authorized for delegation tokens'],
  ['DELEGATION_TOKEN_EXPIRED', 66, false, 'the delegation token expired'],
  ['INVALID_PRINCIPAL_TYPE', 67, false, 'the principal type is not supported'],
  ['NON_EMPTY_GROUP', 68, false, 'the group is not empty'],
  ['GROUP_ID_NOT_FOUND', 69, false, 'the group does not exist'],
  ['FETCH_SESSION_ID_NOT_FOUND', 70, true, 'the fetch session was not found'],
  ['INVALID_FETCH_SESSION_EPOCH', 71, true, 'the fetch session epoch is invalid'],
  ['LISTENER_NOT_FOUND', 72, true, 'no listener on the leader matches the one the metadata came from'],
  ['TOPIC_DELETION_DISABLED', 73, false, 'topic deletion is disabled'],
  ['FENCED_LEADER_EPOCH', 74, true, 'the leader epoch in the request is older than the one on the broker'],
  ['UNKNOWN_LEADER_EPOCH', 75, true, 'the leader epoch in the request is newer than the one on the broker'],
  ['UNSUPPORTED_COMPRESSION_TYPE', 76, false, 'the compression type is not supported'],
  ['STALE_BROKER_EPOCH', 77, false, 'the broker epoch changed'],
  ['OFFSET_NOT_AVAILABLE', 78, true, 'the high watermark of a new leader has not caught up yet'],
  ['MEMBER_ID_REQUIRED', 79, false, 'the member must first get a member id'],
  ['PREFERRED_LEADER_NOT_AVAILABLE', 80, true, 'the preferred leader is not available'],
  ['GROUP_MAX_SIZE_REACHED', 81, false, 'the group is at its maximum size'],
  ['FENCED_INSTANCE_ID', 82, false, 'another member registered with the same group.instance.id'],
  ['ELIGIBLE_LEADERS_NOT_AVAILABLE', 83, true, 'no eligible leaders are available'],
  ['ELECTION_NOT_NEEDED', 84, true, 'no leader election is needed'],
  ['NO_REASSIGNMENT_IN_PROGRESS', 85, false, 'no partition reassignment is in progress'],
  ['GROUP_SUBSCRIBED_TO_TOPIC', 86, false, 'the group is subscribed to the topic'],
  ['INVALID_RECORD', 87, false, 'the broker rejected the record'],
  ['UNSTABLE_OFFSET_COMMIT', 88, true, 'there are unstable offsets: pending transactional commits'],
  ['THROTTLING_QUOTA_EXCEEDED', 89, true, 'the throttling quota was exceeded'],
  ['PRODUCER_FENCED', 90, false, 'a newer producer with the same transactional id fenced this one'],
  ['RESOURCE_NOT_FOUND', 91, false, 'the resource does not exist'],
  ['DUPLICATE_RESOURCE', 92, false, 'the resource was named twice'],
  ['UNACCEPTABLE_CREDENTIAL', 93, false, 'the credential does not meet the acceptance criteria'],
  ['INCONSISTENT_VOTER_SET', 94, false, 'the voter set is inconsistent'],
  ['INVALID_UPDATE_VERSION', 95, false, 'the update version is invalid'],
  ['FEATURE_UPDATE_FAILED', 96, false, 'the feature update failed'],
  ['PRINCIPAL_DESERIALIZATION_FAILURE', 97, false, 'the principal could not be deserialized'],
  ['SNAPSHOT_NOT_FOUND', 98, false, 'the snapshot was not found'],
  ['POSITION_OUT_OF_RANGE', 99, false, 'the position is out of range'],
  ['UNKNOWN_TOPIC_ID', 100, true, 'the topic id is not known'],
  ['DUPLICATE_BROKER_REGISTRATION', 101, false, 'the broker registration is a duplicate'],
  ['BROKER_ID_NOT_REGISTERED', 102, false, 'the broker id is not registered'],
  ['INCONSISTENT_TOPIC_ID', 103, true, 'the topic id does not match the topic'],
  ['INCONSISTENT_CLUSTER_ID', 104, false, 'the cluster id does not match'],
  ['TRANSACTIONAL_ID_NOT_FOUND', 105, false, 'the transactional id was not found'],
  ['FETCH_SESSION_TOPIC_ID_ERROR', 106, true, 'the fetch session has a topic id error'],
  ['INELIGIBLE_REPLICA', 107, false, 'the replica is not eligible'],
  ['NEW_LEADER_ELECTED', 108, false, 'a new leader was elected'],
  ['OFFSET_MOVED_TO_TIERED_STORAGE', 109, false, 'the offset moved to tiered storage'],
  ['FENCED_MEMBER_EPOCH', 110, false, 'the member epoch is fenced'],
  ['UNRELEASED_INSTANCE_ID', 111, false, 'the instance id is still in use'],
  ['UNSUPPORTED_ASSIGNOR', 112, false, 'the assignor is not supported'],
  ['STALE_MEMBER_EPOCH', 113, false, 'the member epoch is stale'],
  ['MISMATCHED_ENDPOINT_TYPE', 114, false, 'the endpoint type does not match'],
  ['UNSUPPORTED_ENDPOINT_TYPE', 115, false, 'the endpoint type is not supported'],
  ['UNKNOWN_CONTROLLER_ID', 116, false, 'the controller id is not known'],
  ['UNKNOWN_SUBSCRIPTION_ID', 117, false, 'the client metrics subscription id is not known'],
  ['TELEMETRY_TOO_LARGE', 118, false, 'the telemetry payload is too large'],
  ['INVALID_REGISTRATION', 119, false, 'the registration is invalid'],
  ['TRANSACTION_ABORTABLE', 120, false, 'the transaction is abortable'],
] as const;

type Row = (typeof TABLE)[number];
export type ErrorName = Row[0];

export interface KafkaErrorInfo {
  name: ErrorName;
  code: number;
  retriable: boolean;
  message: string;
}

/** Every Kafka error, by code. */
export const KAFKA_ERRORS: ReadonlyMap<number, KafkaErrorInfo> = new Map(
  TABLE.map(([name, code, retriable, message]) => [code, { name, code, retriable, message }]),
);

/** Error codes by name. */
export const ErrorCode = Object.fromEntries(TABLE.map(([name, code]) => [name, code])) as { readonly [R in Row as R[0]]: R[1] };

const UNKNOWN = KAFKA_ERRORS.get(-1)!;

/** What Kafka says about `code`; codes this table lacks read as UNKNOWN_SERVER_ERROR. */
export function errorInfo(code: number): KafkaErrorInfo {
  return KAFKA_ERRORS.get(code) ?? UNKNOWN;
}

/** The name of a Kafka error code; codes this table lacks read as UNKNOWN_SERVER_ERROR. */
export function errorNameOf(code: number): ErrorName {
  return errorInfo(code).name;
}

/** Whether Kafka's clients retry requests that failed with `code`. */
export function isRetriableCode(code: number): boolean {
  return KAFKA_ERRORS.get(code)?.retriable ?? false;
}

export class KafkaError extends Error {
  readonly errorName: ErrorName;
  readonly errorCode: number;
  readonly retriable: boolean;
  constructor(errorName: ErrorName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaError';
    this.errorName = errorName;
    this.errorCode = ErrorCode[errorName];
    this.retriable = isRetriableCode(this.errorCode);
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
