/**
 * The records of `__transaction_state`, in Kafka's own schemas (transaction-coordinator/src/
 * main/resources/common/message/TransactionLogKey.json and TransactionLogValue.json; before
 * Kafka 4.0 under core/src/main/resources/common/message/), so `kafka-dump-log
 * --transaction-log-decoder` reads ours and a Kafka-written topic loads here. Both key and
 * value start with an int16 version (MessageUtil.toVersionPrefixedBytes), then the message in
 * that version. The key's version is the coordinator record type, 0 = TRANSACTION_LOG.
 *
 *   TransactionLogKey v0 (not flexible)   version int16 | transactionalId string
 *
 *   TransactionLogValue (null value = a tombstone: the transactional id was removed)
 *     v0 (not flexible)  producerId int64 | producerEpoch int16 | transactionTimeoutMs int32
 *                        | transactionStatus int8 | transactionPartitions [topic string,
 *                        partitionIds [int32]] (nullable) | transactionLastUpdateTimestampMs
 *                        int64 | transactionStartTimestampMs int64
 *     v1 (flexible)      the same fields, compact strings and arrays, a tagged-field section
 *                        after each partition entry and after the value, holding:
 *                        tag 0 previousProducerId int64 (default -1), tag 1 nextProducerId
 *                        int64 (default -1), tag 2 clientTransactionVersion int16 (default 0)
 *
 * Written: v1, as Kafka 4.x writes it from transaction.version 1 on (TransactionVersion.
 * transactionLogValueVersion); v0 on request, as Kafka at transaction.version 0 writes it
 * (the three tagged fields are then left out, as Kafka leaves them out). Read: v0 and v1.
 * Tagged fields we do not know (Kafka trunk adds more) are kept on decode and written back
 * on encode. Like Kafka's reader, bytes after the value are ignored.
 *
 * The encoding is the protocol layer's schema codec (src/protocol/), the value schema written
 * below as data like any API's.
 */
import { ProtocolError, Reader, Writer, codecFor, type ApiSchema, type TaggedField } from '../protocol/index.js';
import { TransactionMetadata, type TxnTransitMetadata } from './transaction-metadata.js';
import { NO_PRODUCER_EPOCH, TransactionState, isTransactionState, type TopicPartition } from './transaction-state.js';

/** The coordinator record type of `__transaction_state` keys (CoordinatorRecordType.TRANSACTION_LOG). */
export const TRANSACTION_LOG_KEY_VERSION = 0;
export const TRANSACTION_LOG_VALUE_VERSION = 1;
export const TRANSACTION_LOG_VALUE_VERSIONS: readonly [number, number] = [0, 1];

/**
 * The schemas as a protocol "API" (the codec compiles any field list): the key is the request
 * side of one, the value the request side of the other. Names are Kafka's, camelCased.
 */
const keySchema = {
  apiKey: -1,
  name: 'TransactionLogKey',
  validVersions: [0, 0],
  flexibleVersions: Infinity,
  request: [{ name: 'transactionalId', type: 'string', versions: [0] }],
  response: [],
} as const satisfies ApiSchema;

const valueSchema = {
  apiKey: -1,
  name: 'TransactionLogValue',
  validVersions: [0, 1],
  flexibleVersions: 1,
  request: [
    { name: 'producerId', type: 'int64', versions: [0] },
    { name: 'previousProducerId', type: 'int64', versions: [1], taggedVersions: [1], tag: 0, default: -1 },
    { name: 'nextProducerId', type: 'int64', versions: [1], taggedVersions: [1], tag: 1, default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: [0] },
    { name: 'transactionTimeoutMs', type: 'int32', versions: [0] },
    { name: 'transactionStatus', type: 'int8', versions: [0] },
    {
      name: 'transactionPartitions',
      type: {
        array: [
          { name: 'topic', type: 'string', versions: [0] },
          { name: 'partitionIds', type: { array: 'int32' }, versions: [0] },
        ],
      },
      versions: [0],
      nullableVersions: [0],
    },
    { name: 'transactionLastUpdateTimestampMs', type: 'int64', versions: [0] },
    { name: 'transactionStartTimestampMs', type: 'int64', versions: [0] },
    { name: 'clientTransactionVersion', type: 'int16', versions: [1], taggedVersions: [1], tag: 2, default: 0 },
  ],
  response: [],
} as const satisfies ApiSchema;

export interface TransactionLogPartitions {
  topic: string;
  partitionIds: number[];
}

export interface TransactionLogValue {
  producerId: bigint;
  /** v1 tag 0; -1 when absent. */
  previousProducerId: bigint;
  /** v1 tag 1; -1 when absent. */
  nextProducerId: bigint;
  producerEpoch: number;
  transactionTimeoutMs: number;
  transactionStatus: TransactionState;
  /** Written as null in Empty (Kafka's rule); read back as []. */
  transactionPartitions: TransactionLogPartitions[];
  transactionLastUpdateTimestampMs: number;
  transactionStartTimestampMs: number;
  /** v1 tag 2: the client's transaction.version (2 = KIP-890 epoch bumps); 0 when absent. */
  clientTransactionVersion: number;
  /** Tagged fields of a newer Kafka, kept so that a rewrite does not lose them. */
  unknownTaggedFields?: TaggedField[];
}

export type TransactionLogFormatErrorKind = 'unknown-key-version' | 'unknown-value-version' | 'malformed';

/** A key or value that cannot be read: a version we do not know, or bytes that break the schema. */
export class TransactionLogFormatError extends Error {
  readonly kind: TransactionLogFormatErrorKind;
  /** The version found, for the unknown-version kinds. */
  readonly version: number | null;
  constructor(kind: TransactionLogFormatErrorKind, message: string, version: number | null = null) {
    super(message);
    this.name = 'TransactionLogFormatError';
    this.kind = kind;
    this.version = version;
  }
}

// ------------------------------------------------------------------ writing

export function encodeTransactionLogKey(transactionalId: string): Buffer {
  const w = new Writer(8 + transactionalId.length * 3);
  w.writeInt16(TRANSACTION_LOG_KEY_VERSION);
  encodeWith(w, keySchema, 0, { transactionalId });
  return w.toBuffer();
}

export function encodeTransactionLogValue(value: TransactionLogValue, version: number = TRANSACTION_LOG_VALUE_VERSION): Buffer {
  if (version !== 0 && version !== 1)
    throw new TransactionLogFormatError('unknown-value-version', `TransactionLogValue version ${version} is not 0 or 1`, version);
  const empty = value.transactionStatus === TransactionState.Empty;
  if (empty && value.transactionPartitions.length > 0) {
    throw new TransactionLogFormatError('malformed', `a transaction in state Empty has no partitions, got ${value.transactionPartitions.length} topics`);
  }
  const body = {
    producerId: value.producerId,
    producerEpoch: value.producerEpoch,
    transactionTimeoutMs: value.transactionTimeoutMs,
    transactionStatus: value.transactionStatus,
    transactionPartitions: empty ? null : value.transactionPartitions,
    transactionLastUpdateTimestampMs: BigInt(value.transactionLastUpdateTimestampMs),
    transactionStartTimestampMs: BigInt(value.transactionStartTimestampMs),
    // v0 has no tagged fields: Kafka sets these only for v1, so they are left out there.
    ...(version >= 1
      ? {
          previousProducerId: value.previousProducerId,
          nextProducerId: value.nextProducerId,
          clientTransactionVersion: value.clientTransactionVersion,
          unknownTaggedFields: value.unknownTaggedFields,
        }
      : {}),
  };
  const w = new Writer(64);
  w.writeInt16(version);
  encodeWith(w, valueSchema, version, body);
  return w.toBuffer();
}

function encodeWith(w: Writer, schema: ApiSchema, version: number, body: object): void {
  try {
    codecFor(schema, version, 'request').encode(w, body);
  } catch (err) {
    if (err instanceof ProtocolError) throw new TransactionLogFormatError('malformed', err.message);
    throw err;
  }
}

// ------------------------------------------------------------------ reading

/** The transactional id of a key; throws TransactionLogFormatError. */
export function decodeTransactionLogKey(key: Buffer): string {
  const r = new Reader(key);
  const version = readVersion(r, 'key');
  if (version !== TRANSACTION_LOG_KEY_VERSION) {
    throw new TransactionLogFormatError('unknown-key-version', `unknown transaction log key version ${version}`, version);
  }
  return (decodeWith(r, keySchema, 0) as { transactionalId: string }).transactionalId;
}

/** A value of a known version; throws TransactionLogFormatError. */
export function decodeTransactionLogValue(value: Buffer): TransactionLogValue & { version: number } {
  const r = new Reader(value);
  const version = readVersion(r, 'value');
  if (version !== 0 && version !== 1) {
    throw new TransactionLogFormatError('unknown-value-version', `unknown transaction log value version ${version}`, version);
  }
  const v = decodeWith(r, valueSchema, version) as {
    producerId: bigint;
    previousProducerId: bigint;
    nextProducerId: bigint;
    producerEpoch: number;
    transactionTimeoutMs: number;
    transactionStatus: number;
    transactionPartitions: TransactionLogPartitions[] | null;
    transactionLastUpdateTimestampMs: bigint;
    transactionStartTimestampMs: bigint;
    clientTransactionVersion: number;
    unknownTaggedFields?: TaggedField[];
  };
  if (!isTransactionState(v.transactionStatus)) {
    throw new TransactionLogFormatError('malformed', `unknown transaction state id ${v.transactionStatus}`);
  }
  const out: TransactionLogValue & { version: number } = {
    version,
    producerId: v.producerId,
    previousProducerId: v.previousProducerId,
    nextProducerId: v.nextProducerId,
    producerEpoch: v.producerEpoch,
    transactionTimeoutMs: v.transactionTimeoutMs,
    transactionStatus: v.transactionStatus,
    // Kafka ignores the partitions of an Empty transaction.
    transactionPartitions: v.transactionStatus === TransactionState.Empty ? [] : (v.transactionPartitions ?? []),
    transactionLastUpdateTimestampMs: Number(v.transactionLastUpdateTimestampMs),
    transactionStartTimestampMs: Number(v.transactionStartTimestampMs),
    clientTransactionVersion: v.clientTransactionVersion,
  };
  if (v.unknownTaggedFields !== undefined && v.unknownTaggedFields.length > 0) out.unknownTaggedFields = v.unknownTaggedFields;
  return out;
}

function readVersion(r: Reader, what: string): number {
  if (r.remaining() < 2) throw new TransactionLogFormatError('malformed', `transaction log ${what} of ${r.remaining()} bytes has no version`);
  return r.readInt16();
}

function decodeWith(r: Reader, schema: ApiSchema, version: number): Record<string, unknown> {
  try {
    return codecFor(schema, version, 'request').decode(r);
  } catch (err) {
    if (err instanceof ProtocolError) throw new TransactionLogFormatError('malformed', `${schema.name} v${version}: ${err.message}`);
    throw err;
  }
}

/**
 * One record of `__transaction_state`, as the loader sees it (Kafka's TransactionLog.read):
 * a value, a tombstone, or a version this broker does not know, which the loader skips and
 * counts. Bytes that break a known version throw TransactionLogFormatError('malformed').
 */
export type TransactionLogRecord =
  | { type: 'value'; transactionalId: string; value: TransactionLogValue & { version: number } }
  | { type: 'tombstone'; transactionalId: string }
  | { type: 'unknown-key-version'; version: number }
  | { type: 'unknown-value-version'; transactionalId: string; version: number };

export function readTransactionLogRecord(key: Buffer, value: Buffer | null): TransactionLogRecord {
  let transactionalId: string;
  try {
    transactionalId = decodeTransactionLogKey(key);
  } catch (err) {
    if (err instanceof TransactionLogFormatError && err.kind === 'unknown-key-version') return { type: 'unknown-key-version', version: err.version! };
    throw err;
  }
  if (value === null) return { type: 'tombstone', transactionalId };
  try {
    return { type: 'value', transactionalId, value: decodeTransactionLogValue(value) };
  } catch (err) {
    if (err instanceof TransactionLogFormatError && err.kind === 'unknown-value-version') {
      return { type: 'unknown-value-version', transactionalId, version: err.version! };
    }
    throw err;
  }
}

// ------------------------------------------------------------------ metadata ⇄ records

/** What the coordinator writes for a prepared transition (Kafka's TransactionLog.valueToBytes). */
export function transitToLogValue(transit: TxnTransitMetadata): TransactionLogValue {
  const byTopic = new Map<string, number[]>();
  for (const tp of transit.topicPartitions) {
    const ids = byTopic.get(tp.topic);
    if (ids === undefined) byTopic.set(tp.topic, [tp.partition]);
    else ids.push(tp.partition);
  }
  return {
    producerId: transit.producerId,
    previousProducerId: transit.prevProducerId,
    nextProducerId: transit.nextProducerId,
    producerEpoch: transit.producerEpoch,
    transactionTimeoutMs: transit.txnTimeoutMs,
    transactionStatus: transit.txnState,
    transactionPartitions: [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds })),
    transactionLastUpdateTimestampMs: transit.txnLastUpdateTimestampMs,
    transactionStartTimestampMs: transit.txnStartTimestampMs,
    clientTransactionVersion: transit.clientTransactionVersion,
  };
}

/**
 * The metadata a loaded value stands for (Kafka's TransactionLog.read): the last epoch is not
 * in the record and loads as NO_PRODUCER_EPOCH, as in Kafka.
 */
export function metadataFromLogValue(transactionalId: string, value: TransactionLogValue): TransactionMetadata {
  const partitions: TopicPartition[] = [];
  if (value.transactionStatus !== TransactionState.Empty) {
    for (const { topic, partitionIds } of value.transactionPartitions) for (const partition of partitionIds) partitions.push({ topic, partition });
  }
  return new TransactionMetadata({
    transactionalId,
    producerId: value.producerId,
    prevProducerId: value.previousProducerId,
    nextProducerId: value.nextProducerId,
    producerEpoch: value.producerEpoch,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    txnTimeoutMs: value.transactionTimeoutMs,
    state: value.transactionStatus,
    topicPartitions: partitions,
    txnStartTimestampMs: value.transactionStartTimestampMs,
    txnLastUpdateTimestampMs: value.transactionLastUpdateTimestampMs,
    clientTransactionVersion: value.clientTransactionVersion,
  });
}
