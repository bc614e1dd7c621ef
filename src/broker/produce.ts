/**
 * Appending one partition's records of a Produce request, with Kafka's checks, in Kafka's order:
 *
 * 1. magic 0/1 message sets (Produce v0-v2) are converted to magic 2 batches first;
 * 2. framing and CRC-32C of every batch (CORRUPT_MESSAGE), then its records as Kafka's
 *    LogValidator reads them, in one native pass (native/src/record_validator.h): counts, offset
 *    deltas, every varint and length inside its record and batch, headers (INVALID_RECORD, with
 *    the failing record in record_errors), compressed records decoded as a stream bounded by
 *    max.message.bytes × MAX_DECOMPRESSION_RATIO (CORRUPT_MESSAGE when they cannot be, or
 *    expand past it); a CreateTime batch's maxTimestamp is set from its records, as Kafka does.
 *    Nothing of the partition's records is appended when any batch fails. Then a batch larger than the topic's
 *    max.message.bytes (MESSAGE_TOO_LARGE), a batch set larger than segment.bytes
 *    (RECORD_LIST_TOO_LARGE), a batch without records, a control batch from a client, or an
 *    idempotent batch without a sequence (INVALID_RECORD), transactional batches without a
 *    transactional id on the request (TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka's
 *    KafkaApis), without a producer id (INVALID_RECORD) or of more than one producer id
 *    (INVALID_PRODUCER_ID_MAPPING), CreateTime timestamps outside
 *    message.timestamp.before/after.max.ms (INVALID_TIMESTAMP);
 * 3. producer state (producer-state.ts): epochs, sequences (a duplicate answers NONE with the
 *    original offsets), a non-transactional batch inside the producer's open transaction
 *    (INVALID_TXN_STATE); with a TransactionVerifier (KIP-890 part 1) the batch that opens a
 *    transaction here must carry the guard its verification registered on the partition
 *    (INVALID_TXN_STATE "Record was not part of an ongoing transaction" otherwise);
 * 4. append, stamping offsets and the leader epoch; then producer state is updated (the first
 *    transactional batch opens the producer's transaction at its offset, holding the LSO).
 *
 * Coordinator-origin appends (`origin: 'coordinator'`, Kafka's AppendOrigin.COORDINATOR: a
 * TxnOffsetCommit written by the group coordinator) skip the duplicate and sequence checks but
 * keep the epoch and transaction-state checks.
 *
 * Unlike Kafka (which refuses more than one magic-2 batch per partition from a client), several
 * batches are accepted and appended together. Everything from the checks to the producer-state
 * update runs synchronously, so no other append can slip in between.
 */
import { ErrorCode, InvalidRecordsError, KafkaError, type ErrorName } from '../errors.js';
import { BATCH_FIELDS, BatchField, BatchScanner, NativeError } from '../native.js';
import { messageSetToRecordBatches } from '../records/index.js';
import { invalidBatchesError, maxUncompressedBytesFor } from '../storage/index.js';
import type { ProducerBatch } from '../storage/producer-state.js';
import type { Partition, VerificationGuard } from './partition.js';
import type { ProducePartitionResult } from './types.js';

const MAGIC_OFFSET = 16;
const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_FLAG = 0x08;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
const MAX_CODEC_ID = 4;
/** One scanner for every partition: each use reads its headers before the next scan. */
const scanner = new BatchScanner();

export interface AppendContext {
  transactionalId: string | null;
  /** Default 'client'. */
  origin?: 'client' | 'coordinator';
  /**
   * Set when a TransactionVerifier checks transactional produces: the guard the verification of
   * this partition's transactional producer registered (null: none was needed or obtained).
   */
  verification?: { guard: VerificationGuard | null };
  /** message.timestamp.before.max.ms / after.max.ms of the topic (ms; MAX_SAFE_INTEGER = off). */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  nowMs: number;
}

export interface AppendOutcome {
  result: ProducePartitionResult;
  /** Bytes appended (0 for errors and duplicates), for waking fetches. */
  appendedBytes: number;
}

export function errorResult(
  index: number,
  errorName: ErrorName,
  message: string | null,
  logStartOffset = -1n,
  recordErrors: ProducePartitionResult['recordErrors'] = [],
): ProducePartitionResult {
  return { index, errorCode: ErrorCode[errorName], baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset, recordErrors, errorMessage: message };
}

/** Maps an error thrown by the storage layer to a Kafka error name. */
export function storageErrorName(err: unknown): ErrorName {
  if (err instanceof KafkaError) return err.errorName;
  if (err instanceof NativeError) return 'KAFKA_STORAGE_ERROR';
  return 'UNKNOWN_SERVER_ERROR';
}

export function appendToPartition(partition: Partition, index: number, records: Buffer | null, ctx: AppendContext): AppendOutcome {
  const log = partition.log;
  const fail = (name: ErrorName, message: string | null): AppendOutcome => ({
    result: errorResult(index, name, message, log.logStartOffset),
    appendedBytes: 0,
  });
  const maxUncompressedBytes = maxUncompressedBytesFor(log.config.maxMessageBytes);
  if (records === null || records.length === 0) {
    // Kafka appends nothing and answers NONE with offset -1.
    return {
      result: {
        index,
        errorCode: ErrorCode.NONE,
        baseOffset: -1n,
        logAppendTimeMs: -1n,
        logStartOffset: log.logStartOffset,
        recordErrors: [],
        errorMessage: null,
      },
      appendedBytes: 0,
    };
  }
  if (records.length <= MAGIC_OFFSET) return fail('CORRUPT_MESSAGE', `records of ${records.length} bytes hold no whole batch`);
  let data = records;
  const magic = records[MAGIC_OFFSET]!;
  if (magic === 0 || magic === 1) {
    try {
      data = messageSetToRecordBatches(records, { assignOffsets: true, maxOutputBytes: maxUncompressedBytes });
    } catch (err) {
      return fail('CORRUPT_MESSAGE', `invalid magic ${magic} message set: ${(err as Error).message}`);
    }
    if (data.length === 0) return fail('CORRUPT_MESSAGE', 'message set holds no message');
  } else if (magic !== 2) {
    return fail('CORRUPT_MESSAGE', `unsupported record batch magic ${magic}`);
  }

  const scan = scanner.validate(data, 0x7fff_ffff, maxUncompressedBytes);
  if (scan.error !== null || scan.count === 0) {
    const err = invalidBatchesError(scan);
    if (!(err instanceof InvalidRecordsError))
      return fail('CORRUPT_MESSAGE', `invalid record batch: ${scan.error ?? 'no batch'} at byte ${scan.errorPosition}`);
    // Kafka's record_errors name the failing record by its index in the batch (batch_index).
    const recordErrors = err.recordIndex >= 0 ? [{ batchIndex: err.recordIndex, batchIndexErrorMessage: err.message }] : [];
    return { result: errorResult(index, err.errorName, err.message, log.logStartOffset, recordErrors), appendedBytes: 0 };
  }
  const config = log.config;
  if (data.length > config.segmentBytes) {
    return fail('RECORD_LIST_TOO_LARGE', `records of ${data.length} bytes exceed segment.bytes ${config.segmentBytes}`);
  }
  const batches: ProducerBatch[] = [];
  const h = scan.headers;
  const client = (ctx.origin ?? 'client') === 'client';
  let idempotent = false;
  let txnProducer: { producerId: bigint; epoch: number } | null = null;
  for (let i = 0; i < scan.count; i++) {
    const o = i * BATCH_FIELDS;
    const size = h[o + BatchField.Size]!;
    const attributes = h[o + BatchField.Attributes]!;
    if (size > config.maxMessageBytes) {
      return fail('MESSAGE_TOO_LARGE', `record batch of ${size} bytes exceeds max.message.bytes ${config.maxMessageBytes}`);
    }
    if (h[o + BatchField.RecordCount]! <= 0) return fail('INVALID_RECORD', `record batch ${i} has no records`);
    if ((attributes & COMPRESSION_MASK) > MAX_CODEC_ID)
      return fail('CORRUPT_MESSAGE', `record batch ${i} has unknown compression codec ${attributes & COMPRESSION_MASK}`);
    if ((attributes & CONTROL_FLAG) !== 0) return fail('INVALID_RECORD', 'clients may not write control batches');
    const producerId = BigInt(h[o + BatchField.ProducerId]!);
    const isTransactional = (attributes & TRANSACTIONAL_FLAG) !== 0;
    if (isTransactional) {
      if (client && ctx.transactionalId === null) return fail('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'transactional records need a transactional id');
      if (producerId < 0n) return fail('INVALID_RECORD', `transactional record batch ${i} has no producer id`);
      if (txnProducer !== null && txnProducer.producerId !== producerId) {
        return fail('INVALID_PRODUCER_ID_MAPPING', 'Transactional records contained more than one producer ID');
      }
      txnProducer = { producerId, epoch: h[o + BatchField.ProducerEpoch]! };
    }
    if (producerId >= 0n) {
      if (client && h[o + BatchField.BaseSequence]! < 0) return fail('INVALID_RECORD', `idempotent record batch ${i} has no sequence number`);
      idempotent = true;
    }
    if ((attributes & TIMESTAMP_TYPE_FLAG) === 0 && config.messageTimestampType === 'CreateTime') {
      const base = h[o + BatchField.BaseTimestamp]!;
      const max = h[o + BatchField.MaxTimestamp]!;
      // -1 is NO_TIMESTAMP (magic-0 data), which Kafka's LogValidator does not check either.
      if ((base >= 0 && ctx.nowMs - base > ctx.timestampBeforeMaxMs) || max - ctx.nowMs > ctx.timestampAfterMaxMs) {
        return fail('INVALID_TIMESTAMP', `record batch ${i} has a timestamp outside message.timestamp.before.max.ms / after.max.ms`);
      }
    }
    batches.push({
      producerId,
      epoch: h[o + BatchField.ProducerEpoch]!,
      baseSequence: h[o + BatchField.BaseSequence]!,
      lastOffsetDelta: h[o + BatchField.LastOffsetDelta]!,
      maxTimestamp: h[o + BatchField.MaxTimestamp]!,
      isTransactional,
    });
  }

  if (idempotent) {
    const check = partition.producers.check(batches, client ? 'client' : 'coordinator');
    if (check.kind === 'error') return fail(check.errorName, check.message);
    if (check.kind === 'duplicate') {
      const appendTime = config.messageTimestampType === 'LogAppendTime' ? BigInt(check.batch.timestamp) : -1n;
      return {
        result: {
          index,
          errorCode: ErrorCode.NONE,
          baseOffset: check.batch.firstOffset,
          logAppendTimeMs: appendTime,
          logStartOffset: log.logStartOffset,
          recordErrors: [],
          errorMessage: null,
        },
        appendedBytes: 0,
      };
    }
  }

  // Kafka's UnifiedLog.append: the batch opening a transaction must have been verified, and the
  // verification must still stand (no marker ended the transaction since).
  if (txnProducer !== null && client && ctx.verification !== undefined) {
    if (!partition.verificationHolds(txnProducer.producerId, txnProducer.epoch, ctx.verification.guard)) {
      return fail('INVALID_TXN_STATE', 'Record was not part of an ongoing transaction');
    }
  }

  let appended;
  try {
    // CRCs and records were validated above: the log does not validate again, and marks the
    // batches verified so reads skip the CRC check.
    appended = log.appendBatchesSync(data, { partitionLeaderEpoch: partition.leaderEpoch }, 'verified');
  } catch (err) {
    return fail(storageErrorName(err), (err as Error).message);
  }
  if (idempotent) {
    let offset = appended.baseOffset;
    for (const b of batches) {
      // Under LogAppendTime the stored max timestamp is the append time.
      partition.producers.apply(appended.logAppendTimeMs >= 0 ? { ...b, maxTimestamp: appended.logAppendTimeMs } : b, offset);
      offset += BigInt(b.lastOffsetDelta) + 1n;
    }
    // The transaction is open here now: its verification guard has done its job.
    if (txnProducer !== null) partition.clearVerification(txnProducer.producerId);
  }
  return {
    result: {
      index,
      errorCode: ErrorCode.NONE,
      baseOffset: appended.baseOffset,
      logAppendTimeMs: BigInt(appended.logAppendTimeMs),
      logStartOffset: log.logStartOffset,
      recordErrors: [],
      errorMessage: null,
    },
    appendedBytes: appended.sizeBytes,
  };
}
