/**
 * Translation helpers shared by the handlers: what a handler needs besides its broker, the
 * authorized-operations bit fields of a broker without an authorizer, error codes that older
 * versions do not know, and a walk over the headers of produced batches.
 *
 * Record batch / message set entry headers, as far as they are read here (both formats share
 * the first 17 bytes, so the magic byte is always at offset 16):
 *
 *   baseOffset (magic 2) | offset (magic 0/1)   int64   0
 *   batchLength | messageSize                   int32   8    bytes after this field
 *   partitionLeaderEpoch (2) | crc (0/1)        int32   12
 *   magic                                       int8    16
 *   attributes (0/1)                            int8    17   bits 0-2 codec
 *   crc (2)                                     uint32  17
 *   attributes (2)                              int16   21   bits 0-2 codec
 */
import type { Broker } from '../../broker/broker.js';
import { ErrorCode } from '../../errors.js';
import type { GroupCoordinator } from '../../group/coordinator.js';
import type { TransactionCoordinator } from '../../txn/coordinator.js';
import type { HandlerContext } from '../dispatcher.js';

/** What every broker-backed handler is built from. */
export interface HandlerDeps {
  readonly broker: Broker;
  /** Consumer groups and committed offsets (APIs 8-16, 42, 47). */
  readonly groups: GroupCoordinator;
  /** Transactions (APIs 22 with a transactional id, 24-26, 65, 66; FindCoordinator key type 1). */
  readonly txns: TransactionCoordinator;
  /**
   * Aborted when the server starts a graceful shutdown: long-polling fetches stop waiting and
   * answer with what they have, so draining does not wait out fetch.max.wait.ms.
   */
  readonly shutdown: AbortSignal;
}

/** Kafka's "authorized operations were not requested" value (Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** Kafka's AclOperation codes. */
const AclOperation = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const;

function bitField(ops: readonly number[]): number {
  let bits = 0;
  for (const op of ops) bits |= 1 << op;
  return bits;
}

/**
 * Without an authorizer Kafka reports every operation the resource type supports
 * (AuthHelper.authorizedOperations with authorizer None); so do we.
 */
export const TOPIC_AUTHORIZED_OPERATIONS = bitField([
  AclOperation.READ,
  AclOperation.WRITE,
  AclOperation.CREATE,
  AclOperation.DELETE,
  AclOperation.ALTER,
  AclOperation.DESCRIBE,
  AclOperation.DESCRIBE_CONFIGS,
  AclOperation.ALTER_CONFIGS,
]);

/** A group's operations without an authorizer: READ, DESCRIBE, DELETE. */
export const GROUP_AUTHORIZED_OPERATIONS = bitField([AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE]);

/**
 * The client's address as Kafka reports it in DescribeGroups and stores it with a member
 * (Java's InetAddress.toString: "/127.0.0.1").
 */
export function clientHost(ctx: HandlerContext): string {
  const address = ctx.connection.remoteAddress;
  const colon = address.lastIndexOf(':');
  return `/${colon < 0 ? address : address.slice(0, colon)}`;
}

export const CLUSTER_AUTHORIZED_OPERATIONS = bitField([
  AclOperation.CREATE,
  AclOperation.ALTER,
  AclOperation.DESCRIBE,
  AclOperation.CLUSTER_ACTION,
  AclOperation.DESCRIBE_CONFIGS,
  AclOperation.ALTER_CONFIGS,
  AclOperation.IDEMPOTENT_WRITE,
]);

/**
 * KAFKA_STORAGE_ERROR exists from Produce v4 / Fetch v6 on; older clients get
 * NOT_LEADER_OR_FOLLOWER, which makes them refresh metadata and retry, as Kafka does.
 */
export function storageErrorForVersion(errorCode: number, version: number, firstVersionWithStorageError: number): number {
  if (errorCode === ErrorCode.KAFKA_STORAGE_ERROR && version < firstVersionWithStorageError) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  return errorCode;
}

/**
 * PRODUCER_FENCED exists from InitProducerId v4 and AddPartitionsToTxn / AddOffsetsToTxn /
 * EndTxn v2 on; older clients get INVALID_PRODUCER_EPOCH, as Kafka answers them.
 */
export function producerFencedForVersion(errorCode: number, version: number, firstVersionWithProducerFenced: number): number {
  if (errorCode === ErrorCode.PRODUCER_FENCED && version < firstVersionWithProducerFenced) return ErrorCode.INVALID_PRODUCER_EPOCH;
  return errorCode;
}

const MAGIC_OFFSET = 16;
const LEGACY_ATTRIBUTES_OFFSET = 17;
const BATCH_ATTRIBUTES_OFFSET = 21;
const LOG_OVERHEAD = 12;
const CODEC_MASK = 0x07;
export const CODEC_ZSTD = 4;

export interface EntryHeader {
  /** Byte position of the entry in the buffer. */
  position: number;
  /** Whole entry length, log overhead included. */
  length: number;
  offset: bigint;
  magic: number;
  codec: number;
}

/**
 * The header of the whole entry (batch or legacy message) at `position` of `records`, or
 * undefined when no whole entry starts there. Reads the header only: nothing is validated.
 */
export function entryHeaderAt(records: Buffer, position = 0): EntryHeader | undefined {
  if (position + BATCH_ATTRIBUTES_OFFSET + 2 > records.length) return undefined;
  const length = LOG_OVERHEAD + records.readInt32BE(position + 8);
  if (length < LOG_OVERHEAD || position + length > records.length) return undefined;
  const magic = records[position + MAGIC_OFFSET]!;
  const codec = magic >= 2 ? records.readInt16BE(position + BATCH_ATTRIBUTES_OFFSET) & CODEC_MASK : records[position + LEGACY_ATTRIBUTES_OFFSET]! & CODEC_MASK;
  return { position, length, offset: records.readBigInt64BE(position), magic, codec };
}

/** The headers of the whole entries in `records`; a trailing partial entry is left out. */
export function entryHeaders(records: Buffer): EntryHeader[] {
  const out: EntryHeader[] = [];
  for (let h = entryHeaderAt(records); h !== undefined; h = entryHeaderAt(records, h.position + h.length)) out.push(h);
  return out;
}
