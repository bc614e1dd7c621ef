/**
 * The record batch header, magic 2 (Kafka ≥ 0.11): its byte layout, reading it, checking a batch.
 *
 * Batch header, 61 bytes, big-endian; each field's byte offset is named below once:
 *
 *   offset  size  field
 *    0       8    baseOffset            int64   offset of the first record
 *    8       4    batchLength           int32   bytes after this field (whole batch = batchLength + 12)
 *   12       4    partitionLeaderEpoch  int32
 *   16       1    magic                 int8    = 2
 *   17       4    crc                   uint32  CRC-32C of bytes [21, end)  ← attributes..end
 *   21       2    attributes            int16   bits 0-2 codec, 3 timestampType (1 = log append
 *                                               time), 4 isTransactional, 5 isControl,
 *                                               6 hasDeleteHorizonMs (set by the cleaner)
 *   23       4    lastOffsetDelta       int32   offset of the last record - baseOffset
 *   27       8    baseTimestamp         int64   timestamp of the first record
 *   35       8    maxTimestamp          int64   largest record timestamp (or the log append time)
 *   43       8    producerId            int64   -1 when not idempotent
 *   51       2    producerEpoch         int16
 *   53       4    baseSequence          int32   sequence of the first record, -1 when none
 *   57       4    recordCount           int32
 *   61       …    records               compressed as a whole when codec != none
 *
 * Because the CRC starts at the attributes, rewriting baseOffset or partitionLeaderEpoch (what
 * the broker does on append) leaves it valid.
 */
import { native, Codec } from '../native.js';
import { CorruptRecordError } from './errors.js';
import { readInt64NumberBE } from './varint.js';

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = BASE_OFFSET_OFFSET + 8;
export const PARTITION_LEADER_EPOCH_OFFSET = BATCH_LENGTH_OFFSET + 4;
export const MAGIC_OFFSET = PARTITION_LEADER_EPOCH_OFFSET + 4;
export const CRC_OFFSET = MAGIC_OFFSET + 1;
export const ATTRIBUTES_OFFSET = CRC_OFFSET + 4;
export const LAST_OFFSET_DELTA_OFFSET = ATTRIBUTES_OFFSET + 2;
export const BASE_TIMESTAMP_OFFSET = LAST_OFFSET_DELTA_OFFSET + 4;
export const MAX_TIMESTAMP_OFFSET = BASE_TIMESTAMP_OFFSET + 8;
export const PRODUCER_ID_OFFSET = MAX_TIMESTAMP_OFFSET + 8;
export const PRODUCER_EPOCH_OFFSET = PRODUCER_ID_OFFSET + 8;
export const BASE_SEQUENCE_OFFSET = PRODUCER_EPOCH_OFFSET + 2;
export const RECORD_COUNT_OFFSET = BASE_SEQUENCE_OFFSET + 4;
export const RECORDS_OFFSET = RECORD_COUNT_OFFSET + 4;
/** Size of the batch header (61). */
export const RECORD_BATCH_OVERHEAD = RECORDS_OFFSET;
/** baseOffset + batchLength: the part of a batch not counted in batchLength (12). */
export const LOG_OVERHEAD = BATCH_LENGTH_OFFSET + 4;
/** The CRC covers [CRC_START, end of batch). */
export const CRC_START = ATTRIBUTES_OFFSET;
export const CURRENT_MAGIC = 2;

export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_FLAG_MASK = 0x10;
export const CONTROL_FLAG_MASK = 0x20;
export const DELETE_HORIZON_FLAG_MASK = 0x40;

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

export interface RecordBatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: Codec;
  timestampType: 0 | 1;
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * Reads the 61-byte header of the batch at `position`. Checks only what the header itself
 * can show (room for the header, magic, a known codec, a sane length); not the CRC.
 */
export function decodeRecordBatchHeader(buf: Buffer, position: number): RecordBatchHeader {
  if (position < 0 || position + RECORD_BATCH_OVERHEAD > buf.length) {
    throw new CorruptRecordError(
      `record batch header at ${position} needs ${RECORD_BATCH_OVERHEAD} bytes, ${Math.max(0, buf.length - position)} left`,
      position,
    );
  }
  const magic = buf.readInt8(position + MAGIC_OFFSET);
  if (magic !== CURRENT_MAGIC) {
    throw new CorruptRecordError(`record batch at ${position} has magic ${magic}, expected 2 (legacy message sets: decodeMessageSet)`, position);
  }
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH_OFFSET);
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
    throw new CorruptRecordError(`record batch at ${position} has batchLength ${batchLength}, below the minimum 49`, position);
  }
  const attributes = buf.readInt16BE(position + ATTRIBUTES_OFFSET);
  const compression = attributes & COMPRESSION_CODEC_MASK;
  if (compression > Codec.Zstd) {
    throw new CorruptRecordError(`record batch at ${position} has unknown compression codec id ${compression}`, position);
  }
  return {
    baseOffset: buf.readBigInt64BE(position + BASE_OFFSET_OFFSET),
    batchLength,
    partitionLeaderEpoch: buf.readInt32BE(position + PARTITION_LEADER_EPOCH_OFFSET),
    magic,
    crc: buf.readUInt32BE(position + CRC_OFFSET),
    attributes,
    compression: compression as Codec,
    timestampType: (attributes & TIMESTAMP_TYPE_MASK) !== 0 ? 1 : 0,
    isTransactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
    isControl: (attributes & CONTROL_FLAG_MASK) !== 0,
    lastOffsetDelta: buf.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: readInt64NumberBE(buf, position + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64NumberBE(buf, position + MAX_TIMESTAMP_OFFSET),
    producerId: buf.readBigInt64BE(position + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(position + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(position + BASE_SEQUENCE_OFFSET),
    recordCount: buf.readInt32BE(position + RECORD_COUNT_OFFSET),
  };
}

/** Whole size of the batch at `position` (batchLength + 12), or -1 if its length field is not there. */
export function recordBatchSize(buf: Buffer, position: number): number {
  if (position + LOG_OVERHEAD > buf.length) return -1;
  return buf.readInt32BE(position + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
}

export /** Checks that the batch at `position` is whole and its CRC matches; returns its end. */
function checkBatch(buf: Buffer, position: number, header: RecordBatchHeader, verifyCrc: boolean): number {
  const batchEnd = position + LOG_OVERHEAD + header.batchLength;
  if (batchEnd > buf.length) {
    throw new CorruptRecordError(`record batch at ${position} declares ${header.batchLength + LOG_OVERHEAD} bytes, ${buf.length - position} present`, position);
  }
  if (verifyCrc) {
    const crc = native.crc32cRange(buf, position + CRC_START, batchEnd);
    if (crc !== header.crc) {
      throw new CorruptRecordError(`record batch at ${position}: CRC-32C is ${crc.toString(16)}, header says ${header.crc.toString(16)}`, position);
    }
  }
  return batchEnd;
}
