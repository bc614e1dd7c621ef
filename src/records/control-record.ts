/**
 * Control records: the single record of a control batch (attributes bit 5), written by the
 * broker, never by producers. Transaction markers are the ones this broker writes.
 *
 *   key   (4 bytes)   version int16 (0), type int16 (ControlRecordType)
 *   value of ABORT / COMMIT, the EndTransactionMarker (6 bytes):
 *                     version int16 (0), coordinatorEpoch int32
 *
 * Readers accept newer versions (longer values) and read the version-0 fields, as Kafka does.
 */
import { CorruptRecordError } from './errors.js';
import { encodeRecordBatch } from './record-batch.js';

/** Kafka's control record types (ControlRecordType.java). */
export const enum ControlRecordType {
  Abort = 0,
  Commit = 1,
  LeaderChange = 2,
  SnapshotHeader = 3,
  SnapshotFooter = 4,
  KraftVersion = 5,
  KraftVoters = 6,
}

export const CONTROL_RECORD_KEY_BYTES = 4;
export const END_TXN_MARKER_VALUE_BYTES = 6;

export interface ControlRecordKey {
  version: number;
  type: number;
}

export interface EndTxnMarkerValue {
  version: number;
  coordinatorEpoch: number;
}

/** Parses a control record key. A negative version or a short key means corruption. */
export function decodeControlRecord(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < CONTROL_RECORD_KEY_BYTES) {
    throw new CorruptRecordError(`control record key needs ${CONTROL_RECORD_KEY_BYTES} bytes, has ${key === null ? 'null' : key.length}`);
  }
  const version = key.readInt16BE(0);
  if (version < 0) throw new CorruptRecordError(`control record key has invalid version ${version}`);
  return { version, type: key.readInt16BE(2) };
}

export function encodeControlRecordKey(type: ControlRecordType): Buffer {
  const key = Buffer.allocUnsafe(CONTROL_RECORD_KEY_BYTES);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  return key;
}

/** Parses the value of an ABORT or COMMIT control record. */
export function decodeEndTxnMarker(value: Buffer | null): EndTxnMarkerValue {
  if (value === null || value.length < END_TXN_MARKER_VALUE_BYTES) {
    throw new CorruptRecordError(`end transaction marker needs ${END_TXN_MARKER_VALUE_BYTES} bytes, has ${value === null ? 'null' : value.length}`);
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw new CorruptRecordError(`end transaction marker has invalid version ${version}`);
  return { version, coordinatorEpoch: value.readInt32BE(2) };
}

export function encodeEndTxnMarkerValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.allocUnsafe(END_TXN_MARKER_VALUE_BYTES);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

export interface EndTxnMarkerOptions {
  type: ControlRecordType.Abort | ControlRecordType.Commit;
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  /** Marker timestamp; defaults to Date.now(). */
  timestamp?: number;
}

/**
 * A whole transaction-marker batch: transactional + control, one record, no sequence, as
 * Kafka's MemoryRecords.withEndTransactionMarker builds it.
 */
export function encodeEndTxnMarker(options: EndTxnMarkerOptions): Buffer {
  if (options.type !== ControlRecordType.Abort && options.type !== ControlRecordType.Commit) {
    throw new RangeError(`end transaction marker type must be ABORT (0) or COMMIT (1), got ${String(options.type)}`);
  }
  const timestamp = options.timestamp ?? Date.now();
  return encodeRecordBatch([{ key: encodeControlRecordKey(options.type), value: encodeEndTxnMarkerValue(options.coordinatorEpoch), timestamp }], {
    baseOffset: options.baseOffset ?? 0n,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    partitionLeaderEpoch: options.partitionLeaderEpoch ?? -1,
    isTransactional: true,
    isControl: true,
    now: timestamp,
  });
}
