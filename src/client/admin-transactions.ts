/**
 * The Admin client's transaction methods, as the Java Admin has them (kafkajs has none):
 * describeTransactions, listTransactions, describeProducers and abortTransaction — what
 * kafka-transactions.sh (and `sluice transactions`) is built on. Admin (admin.ts) exposes them;
 * this file turns the transport's Kafka-shaped results into the Java Admin's descriptions.
 *
 * abortTransaction is Kafka's Admin.abortTransaction: a WriteTxnMarkers(ABORT) for one
 * producer on one partition, sent to the partition's leader. It is for hanging transactions
 * only — ones whose coordinator will never write the marker — and is fenced by the broker when
 * the producer epoch or coordinator epoch is stale.
 */
import { ErrorCode, KafkaError, errorNameOf } from '../errors.js';
import type { ClientTransport } from './transport.js';

export interface TransactionDescription {
  transactionalId: string;
  /** NONE, or why the id could not be described (TRANSACTIONAL_ID_NOT_FOUND, COORDINATOR_NOT_AVAILABLE, …). */
  errorCode: number;
  /** The broker coordinating the id. */
  coordinatorId: number;
  /** Kafka's state name: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, Dead, PrepareEpochFence. */
  state: string;
  producerId: bigint;
  producerEpoch: number;
  transactionTimeoutMs: number;
  /** When the open transaction started (ms); null when none is open. */
  transactionStartTimeMs: bigint | null;
  /** The open transaction's partitions (while preparing: those still without a marker). */
  topicPartitions: { topic: string; partition: number }[];
}

export interface TransactionListing {
  transactionalId: string;
  producerId: bigint;
  state: string;
  /** The broker that coordinates it. */
  coordinatorId: number;
}

export interface ProducerState {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  /** The coordinator epoch of the producer's last marker; null before its first. */
  coordinatorEpoch: number | null;
  /** The first offset of the producer's open transaction on the partition; null when none is open. */
  currentTransactionStartOffset: bigint | null;
}

export interface PartitionProducerState {
  topic: string;
  partition: number;
  activeProducers: ProducerState[];
}

export interface AbortTransactionSpec {
  topic: string;
  partition: number;
  producerId: bigint | number | string;
  producerEpoch: number;
  coordinatorEpoch: number;
}

function fail(code: number, what: string, message?: string | null): KafkaError {
  const name = errorNameOf(code);
  return new KafkaError(name, `${name}: ${what}${message ? ` (${message})` : ''}`);
}

export async function describeTransactions(transport: ClientTransport, transactionalIds: readonly string[]): Promise<TransactionDescription[]> {
  if (transactionalIds.length === 0) return [];
  const described = await transport.describeTransactions([...new Set(transactionalIds)]);
  return described.map((d) => ({
    transactionalId: d.transactionalId,
    errorCode: d.errorCode,
    coordinatorId: d.coordinatorId,
    state: d.transactionState,
    producerId: d.producerId,
    producerEpoch: d.producerEpoch,
    transactionTimeoutMs: d.transactionTimeoutMs,
    transactionStartTimeMs: d.transactionStartTimeMs < 0n ? null : d.transactionStartTimeMs,
    topicPartitions: d.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))),
  }));
}

export async function listTransactions(
  transport: ClientTransport,
  options: { states?: readonly string[]; producerIds?: readonly (bigint | number | string)[]; durationMs?: number | bigint },
): Promise<TransactionListing[]> {
  const durationMs = options.durationMs === undefined ? -1n : BigInt(options.durationMs);
  const listed = await transport.listTransactions({
    stateFilters: [...(options.states ?? [])],
    producerIdFilters: (options.producerIds ?? []).map((p) => BigInt(p)),
    durationFilterMs: durationMs < 0n ? -1n : durationMs,
  });
  return listed.transactions.map((t) => ({
    transactionalId: t.transactionalId,
    producerId: t.producerId,
    state: t.transactionState,
    coordinatorId: t.coordinatorId,
  }));
}

export async function describeProducers(
  transport: ClientTransport,
  topicPartitions: readonly { topic: string; partition: number }[],
): Promise<PartitionProducerState[]> {
  if (topicPartitions.length === 0) return [];
  const topics = new Map<string, number[]>();
  for (const tp of topicPartitions) {
    const list = topics.get(tp.topic);
    if (list === undefined) topics.set(tp.topic, [tp.partition]);
    else if (!list.includes(tp.partition)) list.push(tp.partition);
  }
  const results = await transport.describeProducers([...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })));
  const out: PartitionProducerState[] = [];
  for (const t of results) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw fail(p.errorCode, `describe producers of ${t.name}-${p.partitionIndex}`, p.errorMessage);
      out.push({
        topic: t.name,
        partition: p.partitionIndex,
        activeProducers: p.activeProducers.map((a) => ({
          producerId: a.producerId,
          producerEpoch: a.producerEpoch,
          lastSequence: a.lastSequence,
          lastTimestamp: a.lastTimestamp,
          coordinatorEpoch: a.coordinatorEpoch < 0 ? null : a.coordinatorEpoch,
          currentTransactionStartOffset: a.currentTxnStartOffset < 0n ? null : a.currentTxnStartOffset,
        })),
      });
    }
  }
  return out;
}

export async function abortTransaction(transport: ClientTransport, spec: AbortTransactionSpec): Promise<void> {
  const producerId = BigInt(spec.producerId);
  const [result] = await transport.writeTxnMarkers([
    {
      producerId,
      producerEpoch: spec.producerEpoch,
      transactionResult: false,
      coordinatorEpoch: spec.coordinatorEpoch,
      topics: [{ name: spec.topic, partitionIndexes: [spec.partition] }],
    },
  ]);
  const code = result?.topics.find((t) => t.name === spec.topic)?.partitions.find((p) => p.partitionIndex === spec.partition)?.errorCode;
  if (code === undefined) throw fail(ErrorCode.UNKNOWN_SERVER_ERROR, `WriteTxnMarkers has no answer for ${spec.topic}-${spec.partition}`);
  if (code !== ErrorCode.NONE) {
    throw fail(
      code,
      `abort the transaction of producer ${producerId} (epoch ${spec.producerEpoch}, coordinator epoch ${spec.coordinatorEpoch}) on ${spec.topic}-${spec.partition}`,
    );
  }
}
