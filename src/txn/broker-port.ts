/**
 * What the transaction coordinator needs from the broker (the Broker class provides it; tests
 * may pass a wrapper that records or fails calls): the internal-topic calls the group
 * coordinator uses too, an fsync, producer id allocation, WriteTxnMarkers and the KIP-890
 * verifier hook. The marker and verifier shapes are the broker's (broker/types.ts).
 */
import type { InitProducerIdRequest, InitProducerIdResult, TransactionVerifier, WriteTxnMarkerRequest, WriteTxnMarkerResult } from '../broker/types.js';
import type { Record as LogRecord, RecordInput } from '../records/index.js';

export type {
  TransactionVerifier as TxnPartitionVerifier,
  WriteTxnMarkerRequest as TxnMarkerRequest,
  WriteTxnMarkerResult as TxnMarkerResult,
} from '../broker/types.js';

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
  writeTxnMarkers(markers: WriteTxnMarkerRequest[]): Promise<WriteTxnMarkerResult[]>;
  setTransactionVerifier(verifier: TransactionVerifier | null): void;
}
