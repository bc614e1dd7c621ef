/**
 * What the transaction coordinator needs from the broker (the Broker class provides it; tests
 * may pass a fake): the internal-topic calls the group coordinator uses too, producer id
 * allocation, WriteTxnMarkers and the KIP-890 verifier hook. The marker and verifier shapes are
 * the broker's (TXN_CONTRACTS.md), written structurally so a Broker satisfies this interface.
 */
import type { ErrorName } from '../errors.js';
import type { InitProducerIdRequest, InitProducerIdResult } from '../broker/types.js';
import type { Record as LogRecord, RecordInput } from '../records/index.js';

/** One WriteTxnMarkers entry: a COMMIT or ABORT control batch for each listed partition. */
export interface TxnMarkerRequest {
  producerId: bigint;
  producerEpoch: number;
  /** true = COMMIT */
  transactionResult: boolean;
  coordinatorEpoch: number;
  topics: { name: string; partitionIndexes: number[] }[];
}

export interface TxnMarkerResult {
  producerId: bigint;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

/** KIP-890 part 1: the broker asks the coordinator whether a transactional Produce's partition is in its transaction. */
export interface TxnPartitionVerifier {
  verifyPartition(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): Promise<ErrorName | null>;
}

export interface TxnBroker {
  topicId(name: string): string | undefined;
  ensureInternalTopic(name: string, partitionCount: number, configs: Record<string, string>): Promise<{ topicId: string; partitionCount: number }>;
  appendInternal(topic: string, partition: number, records: RecordInput[], nowMs?: number): { errorCode: number; errorMessage: string | null };
  readInternal(topic: string, partition: number, offset: bigint, maxBytes: number): { records: LogRecord[]; nextOffset: bigint };
  logEndOffset(topic: string, partition: number): bigint;
  hasPartition(topic: string, partition: number): boolean;
  /** fsync of what was appended to a partition so far. */
  flushPartition(topic: string, partition: number): Promise<void>;
  /** A fresh producer id (called with a null transactional id). */
  initProducerId(request: InitProducerIdRequest): Promise<InitProducerIdResult>;
  /** Appends the markers; resolves once they are durable, with per-partition error codes. */
  writeTxnMarkers(markers: TxnMarkerRequest[]): Promise<TxnMarkerResult[]>;
  setTransactionVerifier(verifier: TxnPartitionVerifier | null): void;
}
