/**
 * The records layer: Kafka's record formats as bytes, no I/O. Magic 2 record batches (what
 * sluice stores), legacy magic 0/1 message sets (converted at the protocol edge), control
 * records, varints and codec names.
 */
export { CorruptRecordError } from './errors.js';
export { Codec, parseCompression, compressionName, isKnownCodec, type CompressionName } from './codec.js';
export {
  ByteReader,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
  sizeOfVarlongBigInt,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
  writeVarlongBigInt,
} from './varint.js';
export {
  encodeRecordBatch,
  encodeRecordBatchWithOffsetDeltas,
  encodeRecordBatchTransient,
  decodeRecordBatchHeader,
  decodeRecords,
  decodeRecordBatches,
  readRecordsInto,
  recordBatchSize,
  RECORD_BATCH_OVERHEAD,
  LOG_OVERHEAD,
  CRC_START,
  NO_PRODUCER_ID,
  NO_PRODUCER_EPOCH,
  NO_SEQUENCE,
  NO_PARTITION_LEADER_EPOCH,
  type Bytes,
  type RecordHeader,
  type RecordInput,
  type Record,
  type KafkaRecord,
  type RecordBatchHeader,
  type EncodeRecordBatchOptions,
  type DecodeRecordsOptions,
  type DecodedRecordBatch,
} from './record-batch.js';
export {
  ControlRecordType,
  decodeControlRecord,
  encodeControlRecordKey,
  decodeEndTxnMarker,
  encodeEndTxnMarkerValue,
  encodeEndTxnMarker,
  type ControlRecordKey,
  type EndTxnMarkerValue,
  type EndTxnMarkerOptions,
} from './control-record.js';
export {
  decodeMessageSet,
  encodeMessageSet,
  messageSetToRecordBatches,
  recordBatchesToMessageSet,
  type LegacyMagic,
  type EncodeMessageSetOptions,
  type DecodeMessageSetOptions,
  type MessageSetToRecordBatchesOptions,
} from './legacy.js';
