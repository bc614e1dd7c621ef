/**
 * The shapes of the transaction admin requests a ClientTransport carries (DescribeTransactions,
 * ListTransactions, DescribeProducers, WriteTxnMarkers): Kafka's response fields, per-id and
 * per-partition errors as `errorCode` values. The in-process transport passes the
 * TransactionCoordinator's and the Broker's own results through; the network transport maps
 * the wire responses onto them.
 */

/** DescribeTransactions, one transactional id. */
export interface DescribedTransaction {
  transactionalId: string;
  errorCode: number;
  /** Kafka's state name: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, Dead, PrepareEpochFence. */
  transactionState: string;
  transactionTimeoutMs: number;
  /** -1 when no transaction is open. */
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  /** The partitions of the open transaction (while preparing: those still without a marker). */
  topics: { topic: string; partitions: number[] }[];
  /** The broker that answered: the transactional id's coordinator. */
  coordinatorId: number;
}

export interface ListTransactionsFilter {
  /** State names (empty: every state). */
  stateFilters: string[];
  /** Producer ids (empty: every producer). */
  producerIdFilters: bigint[];
  /** Only transactions running longer than this (ListTransactions v1, KIP-994); -1: no filter. */
  durationFilterMs: bigint;
}

export interface ListedTransaction {
  transactionalId: string;
  producerId: bigint;
  transactionState: string;
  /** The broker that listed it: its coordinator. */
  coordinatorId: number;
}

export interface ListedTransactions {
  transactions: ListedTransaction[];
  /** State names some broker did not know. */
  unknownStateFilters: string[];
}

/** DescribeProducers: one active producer of a partition. */
export interface ActiveProducer {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  /** -1: none yet (no marker written for this producer). */
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction; -1: none. */
  currentTxnStartOffset: bigint;
}

export interface DescribedProducersTopic {
  name: string;
  partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null; activeProducers: ActiveProducer[] }[];
}

/** One WriteTxnMarkers entry: a COMMIT or ABORT marker for a producer on the given partitions. */
export interface TxnMarker {
  producerId: bigint;
  producerEpoch: number;
  /** true: COMMIT; false: ABORT. */
  transactionResult: boolean;
  coordinatorEpoch: number;
  topics: { name: string; partitionIndexes: number[] }[];
}

export interface TxnMarkerResult {
  producerId: bigint;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}
