/**
 * The broker side of transactions, for ReplicaManager: writing COMMIT/ABORT markers
 * (Kafka's KafkaApis.handleWriteTxnMarkersRequest + ReplicaManager.appendRecords with
 * AppendOrigin.COORDINATOR), KIP-890 part 1 verification of transactional produces (Kafka
 * 3.7+'s ReplicaManager.appendRecords with the AddPartitionsToTxnManager), DescribeProducers
 * (Partition.activeProducerState) and batch-level reads for the coordinators' log replay.
 */
import { ErrorCode, type ErrorName } from '../errors.js';
import type { Logger } from '../logger.js';
import { decodeRecordBatches } from '../records/index.js';
import type { Log } from '../storage/log.js';
import { partitionKey, type FetchWaiters } from './fetch-waiters.js';
import type { Partition, VerificationGuard } from './partition.js';
import { INTERNAL_TOPICS } from './topic-registry.js';
import type {
  ActiveProducer,
  DescribeProducersTopicResult,
  InternalBatches,
  ProduceTopicData,
  TransactionVerifier,
  TxnMarkerWrittenEvent,
  WriteTxnMarkerRequest,
  WriteTxnMarkerResult,
} from './types.js';
import { flushEach } from './flush-each.js';

/** Record batch header fields (Kafka's DefaultRecordBatch layout). */
const BATCH_LENGTH_AT = 8;
const LOG_OVERHEAD = 12;
const MAGIC_AT = 16;
const ATTRIBUTES_AT = 21;
const PRODUCER_ID_AT = 43;
const PRODUCER_EPOCH_AT = 51;
const BATCH_HEADER_BYTES = 61;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;

export interface PartitionLookup {
  partition(topic: string, index: number): Partition | undefined;
}

/** What a partition's verification decided: the guard the append presents, or the error it answers. */
export type PartitionVerification = { guard: VerificationGuard | null } | { errorName: ErrorName; message: string };

/**
 * The producer of the transactional batches in a partition's records (Kafka reads it from the
 * batch headers before validating them); null when there are none; 'many' when they carry
 * more than one producer id. Malformed bytes end the walk: validation refuses them later.
 */
export function transactionalProducer(records: Buffer | null): { producerId: bigint; producerEpoch: number } | null | 'many' {
  if (records === null) return null;
  let found: { producerId: bigint; producerEpoch: number } | null = null;
  let pos = 0;
  while (pos + BATCH_HEADER_BYTES <= records.length && records[pos + MAGIC_AT] === 2) {
    const attributes = records.readInt16BE(pos + ATTRIBUTES_AT);
    const producerId = records.readBigInt64BE(pos + PRODUCER_ID_AT);
    if ((attributes & TRANSACTIONAL_FLAG) !== 0 && (attributes & CONTROL_FLAG) === 0 && producerId >= 0n) {
      if (found !== null && found.producerId !== producerId) return 'many';
      found = { producerId, producerEpoch: records.readInt16BE(pos + PRODUCER_EPOCH_AT) };
    }
    const length = records.readInt32BE(pos + BATCH_LENGTH_AT);
    if (length <= 0) break;
    pos += LOG_OVERHEAD + length;
  }
  return found;
}

/**
 * Kafka 3.7+'s translation of the coordinator's verification errors into Produce errors
 * (ReplicaManager.appendRecords and AddPartitionsToTxnManager): a fenced producer reads
 * INVALID_PRODUCER_EPOCH, a partition outside the transaction INVALID_TXN_STATE, and the
 * coordinator's retriable errors NOT_ENOUGH_REPLICAS so that older clients retry the produce.
 */
export function verificationError(name: ErrorName): { errorName: ErrorName; message: string } {
  switch (name) {
    case 'PRODUCER_FENCED':
      return { errorName: 'INVALID_PRODUCER_EPOCH', message: 'There is a newer producer with the same transactionalId which fences the current one' };
    case 'INVALID_TXN_STATE':
      return { errorName: 'INVALID_TXN_STATE', message: 'Partition was not added to the transaction' };
    case 'CONCURRENT_TRANSACTIONS':
    case 'NETWORK_EXCEPTION':
    case 'COORDINATOR_LOAD_IN_PROGRESS':
    case 'COORDINATOR_NOT_AVAILABLE':
    case 'NOT_COORDINATOR':
      return { errorName: 'NOT_ENOUGH_REPLICAS', message: `Unable to verify the partition has been added to the transaction. Underlying error: ${name}` };
    default:
      return { errorName: name, message: `Transaction verification failed: ${name}` };
  }
}

/**
 * KIP-890 part 1: for each partition whose records open a transaction there (the producer has
 * none open at that epoch), registers a verification guard and asks `verifier` whether the
 * partition is in the producer's transaction; all partitions are asked at once. Partitions
 * that need no verification get a null guard; those that fail get the error to answer.
 */
export async function verifyTransactionalProduce(
  lookup: PartitionLookup,
  verifier: TransactionVerifier,
  transactionalId: string,
  topicData: readonly ProduceTopicData[],
  logger: Logger,
): Promise<Map<string, PartitionVerification>> {
  const out = new Map<string, PartitionVerification>();
  const asks: Promise<void>[] = [];
  for (const t of topicData) {
    for (const p of t.partitions) {
      const partition = lookup.partition(t.name, p.index);
      // Clients cannot write to internal topics: nothing to verify there.
      if (partition === undefined || INTERNAL_TOPICS.has(t.name)) continue;
      const key = partitionKey(t.name, p.index);
      const producer = transactionalProducer(p.records);
      if (producer === null) continue;
      if (producer === 'many') {
        out.set(key, { errorName: 'INVALID_PRODUCER_ID_MAPPING', message: 'Transactional records contained more than one producer ID' });
        continue;
      }
      const guard = partition.startTransactionVerification(producer.producerId, producer.producerEpoch);
      if (guard === null) {
        out.set(key, { guard: null });
        continue;
      }
      asks.push(
        verifier.verifyPartition(transactionalId, producer.producerId, producer.producerEpoch, t.name, p.index).then(
          (error) => void out.set(key, error === null ? { guard } : verificationError(error)),
          (err: unknown) => {
            logger.warn({ err, transactionalId, topic: t.name, partition: p.index }, 'transaction verification failed');
            out.set(key, verificationError('COORDINATOR_NOT_AVAILABLE'));
          },
        ),
      );
    }
  }
  await Promise.all(asks);
  return out;
}

/**
 * Appends each marker to each of its partitions (Partition.writeTxnMarker), tells `listeners`
 * synchronously after each append, wakes the partition's fetches, and resolves once every
 * appended marker is fsync'd (the markers are acks=all writes); a failed flush answers
 * KAFKA_STORAGE_ERROR for the partitions it covers. Unknown partitions answer
 * UNKNOWN_TOPIC_OR_PARTITION, as Kafka's handler does for partitions it does not lead.
 */
export async function writeTxnMarkers(
  lookup: PartitionLookup,
  markers: readonly WriteTxnMarkerRequest[],
  waiters: FetchWaiters,
  listeners: readonly ((e: TxnMarkerWrittenEvent) => void)[],
  logger: Logger,
): Promise<WriteTxnMarkerResult[]> {
  const nowMs = Date.now();
  const durable: { result: { errorCode: number }; log: Log }[] = [];
  const results = markers.map((m) => ({
    producerId: m.producerId,
    topics: m.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((index) => {
        const result: { partitionIndex: number; errorCode: number } = { partitionIndex: index, errorCode: ErrorCode.NONE };
        const partition = lookup.partition(t.name, index);
        if (partition === undefined) {
          result.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          return result;
        }
        const stableBefore = partition.lastStableOffset;
        const outcome = partition.writeTxnMarker({
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          committed: m.transactionResult,
          coordinatorEpoch: m.coordinatorEpoch,
          nowMs,
        });
        if (outcome.kind === 'error') {
          const level = outcome.errorName === 'KAFKA_STORAGE_ERROR' ? 'error' : 'warn';
          logger[level]({ topic: t.name, partition: index, producerId: String(m.producerId), reason: outcome.message }, 'transaction marker refused');
          result.errorCode = ErrorCode[outcome.errorName];
          return result;
        }
        const key = partitionKey(t.name, index);
        waiters.appended(key, outcome.sizeBytes, 0);
        if (partition.lastStableOffset !== stableBefore) waiters.stableChanged(key);
        durable.push({ result, log: partition.log });
        const event: TxnMarkerWrittenEvent = {
          topic: t.name,
          partition: index,
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          committed: m.transactionResult,
          offset: outcome.offset,
        };
        for (const listener of listeners) {
          try {
            listener(event);
          } catch (err) {
            logger.error({ err, topic: t.name, partition: index }, 'transaction marker listener failed');
          }
        }
        return result;
      }),
    })),
  }));
  const failed = await flushEach(durable.map((d) => d.log));
  for (const { result, log } of durable) {
    if (!failed.has(log)) continue;
    logger.error({ err: failed.get(log), log: log.dir }, 'flush of transaction markers failed');
    result.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
  }
  return results;
}

/** Kafka's Partition.activeProducerState, per requested partition. */
export function describeProducers(lookup: PartitionLookup, topics: readonly { name: string; partitionIndexes: number[] }[]): DescribeProducersTopicResult[] {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((index) => {
      const partition = lookup.partition(t.name, index);
      if (partition === undefined) {
        return {
          partitionIndex: index,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: null,
          activeProducers: [],
        };
      }
      const activeProducers: ActiveProducer[] = partition.producers.entries().map((e) => ({
        producerId: e.producerId,
        producerEpoch: e.epoch,
        lastSequence: e.batches[e.batches.length - 1]?.lastSeq ?? -1,
        lastTimestamp: BigInt(e.lastTimestamp),
        coordinatorEpoch: e.coordinatorEpoch,
        currentTxnStartOffset: e.currentTxnFirstOffset ?? -1n,
      }));
      return { partitionIndex: index, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
    }),
  }));
}

/**
 * Batches of a partition from `offset` on (up to about `maxBytes`, at least one) below the high
 * watermark, with their producer fields and records, control batches included; for
 * coordinators replaying logs that hold transactional batches and markers.
 */
export function readBatches(partition: Partition, offset: bigint, maxBytes: number): InternalBatches {
  const from = offset < partition.logStartOffset ? partition.logStartOffset : offset;
  const bytes = partition.log.readSync(from, maxBytes, { maxOffset: partition.highWatermark, minOneBatch: true });
  const batches: InternalBatches['batches'] = [];
  let nextOffset = from;
  for (const batch of decodeRecordBatches(bytes, { verifyCrc: false })) {
    const h = batch.header;
    const lastOffset = h.baseOffset + BigInt(h.lastOffsetDelta);
    nextOffset = lastOffset + 1n;
    batches.push({
      baseOffset: h.baseOffset,
      lastOffset,
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      isTransactional: h.isTransactional,
      isControl: h.isControl,
      records: batch.records.filter((r) => r.offset >= from),
    });
  }
  return { batches, nextOffset };
}
