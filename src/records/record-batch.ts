/**
 * Record batches, magic 2 (Kafka ≥ 0.11): the unit `.log` segments store and the wire carries.
 * One job per file:
 *
 *   batch-header.ts    the 61-byte batch header: byte layout, offsets, flags, reading, checks
 *   record.ts          the layout of one record, and the record types
 *   record-encode.ts   records → batch (encodeRecordBatch and its variants)
 *   record-decode.ts   batch → records (decodeRecords, decodeRecordBatches, readRecordsInto)
 *
 * This module gathers them under the name importers have always used.
 */
export * from './batch-header.js';
export * from './record.js';
export * from './record-encode.js';
export * from './record-decode.js';
