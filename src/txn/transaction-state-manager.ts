/**
 * The transactional ids this coordinator holds (Kafka's TransactionStateManager): the metadata
 * cache, whether the coordinator can answer (`lookup`: NOT_COORDINATOR before
 * `__transaction_state` exists, COORDINATOR_LOAD_IN_PROGRESS while it loads,
 * COORDINATOR_NOT_AVAILABLE after shutdown), writing a prepared transition to the log before
 * applying it (`persist`), the expiration of idle ids, and the DescribeTransactions /
 * ListTransactions views. The request rules are the coordinator's (coordinator.ts).
 */
import type { Clock } from '../clock.js';
import { ErrorCode, KafkaError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { TxnBroker } from './broker-port.js';
import type { TransactionCoordinatorConfig } from './config.js';
import { TransactionStateError, type TransactionMetadata, type TxnTransitMetadata } from './transaction-metadata.js';
import { TransactionStateStore, type TransactionStateStats } from './transaction-state-store.js';
import {
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  TRANSACTION_STATE_NAMES,
  TransactionState,
  isExpirationAllowed,
  transactionStateFromName,
} from './transaction-state.js';

const S = TransactionState;

export interface DescribedTransaction {
  transactionalId: string;
  errorCode: number;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

export interface ListTransactionsResult {
  errorCode: number;
  unknownStateFilters: string[];
  transactionStates: { transactionalId: string; producerId: bigint; transactionState: string }[];
}

/** An id's metadata (undefined: unknown id), or the error that keeps this node from answering for it. */
export type Lookup = { errorCode: number; metadata?: undefined } | { errorCode: 0; metadata: TransactionMetadata | undefined };

export class TransactionStateManager {
  readonly store: TransactionStateStore;
  private readonly cache = new Map<string, TransactionMetadata>();
  /** Ids whose last state record may not be on disk yet: the fsync covering it (see persistThenSync). */
  private readonly syncing = new Map<string, Promise<number>>();
  private loading = false;
  private _active = true;

  constructor(
    broker: TxnBroker,
    private readonly config: TransactionCoordinatorConfig,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {
    this.store = new TransactionStateStore(broker, config, logger);
  }

  get active(): boolean {
    return this._active;
  }

  /** Whether requests may be served: open, `__transaction_state` exists and is loaded. */
  get serving(): boolean {
    return this._active && this.store.ready && !this.loading;
  }

  /** Loads `__transaction_state` when it exists. */
  async openExisting(): Promise<void> {
    if (!(await this.store.openExisting())) return;
    this.loading = true;
    try {
      for (const [id, metadata] of this.store.load()) this.cache.set(id, metadata);
    } finally {
      this.loading = false;
    }
  }

  /** Kafka's getTransactionState. */
  lookup(transactionalId: string): Lookup {
    if (!this._active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    // Before __transaction_state exists this node coordinates nothing yet: FindCoordinator creates it.
    if (!this.store.ready) return { errorCode: ErrorCode.NOT_COORDINATOR };
    if (this.loading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    return { errorCode: ErrorCode.NONE, metadata: this.cache.get(transactionalId) };
  }

  /** Kafka's putTransactionStateIfNotExists: the metadata held for the id afterwards. */
  putIfNotExists(metadata: TransactionMetadata): TransactionMetadata {
    const existing = this.cache.get(metadata.transactionalId);
    if (existing !== undefined) return existing;
    this.cache.set(metadata.transactionalId, metadata);
    return metadata;
  }

  all(): IterableIterator<TransactionMetadata> {
    return this.cache.values();
  }

  /**
   * Writes a prepared transition and applies it once written (or drops it when the write
   * failed): Kafka's appendTransactionToLog. Every transition but Complete* is fsynced before
   * the reply by default: an added partition or an epoch bump lost to a power cut would leave
   * hanging transactions or unfenced zombies, while a lost Complete* is redone from the
   * Prepare* at the next start. (AddPartitionsToTxn uses persistThenSync instead: the produce
   * verification waits for its fsync.)
   */
  async persist(
    metadata: TransactionMetadata,
    transit: TxnTransitMetadata,
    flush = transit.txnState !== S.CompleteCommit && transit.txnState !== S.CompleteAbort,
  ): Promise<number> {
    const errorCode = await this.store.append(metadata.transactionalId, transit, this.clock.now(), flush);
    if (errorCode !== ErrorCode.NONE) {
      metadata.cancelPendingTransition();
      return errorCode;
    }
    // A flush covers every earlier record of the partition, so an id's pending sync is done too.
    if (flush) this.syncing.delete(metadata.transactionalId);
    return this.apply(metadata, transit);
  }

  /**
   * Writes a prepared transition to the log (page cache), applies it at once and starts its
   * fsync without waiting for it; `unsynced(id)` hands the fsync to whatever must not happen
   * before the record is on disk. For AddPartitionsToTxn: see coordinator.ts verifyPartition
   * for why the reply need not wait.
   */
  persistThenSync(metadata: TransactionMetadata, transit: TxnTransitMetadata): number {
    const id = metadata.transactionalId;
    const errorCode = this.store.appendUnsynced(id, transit, this.clock.now());
    if (errorCode !== ErrorCode.NONE) {
      metadata.cancelPendingTransition();
      return errorCode;
    }
    const applied = this.apply(metadata, transit);
    // Registered in the same synchronous step as the append and the apply: nobody can see the
    // new state without also seeing that it is not yet durable.
    const sync = this.store.sync(id);
    this.syncing.set(id, sync);
    void sync.then((code) => {
      // A failed fsync stays registered: the id's state is not durable until a later sync succeeds.
      if (code === ErrorCode.NONE && this.syncing.get(id) === sync) this.syncing.delete(id);
    });
    return applied;
  }

  /** The fsync still to finish before the last state record of `transactionalId` is on disk (its error code), or null when it is. */
  unsynced(transactionalId: string): Promise<number> | null {
    return this.syncing.get(transactionalId) ?? null;
  }

  private apply(metadata: TransactionMetadata, transit: TxnTransitMetadata): number {
    try {
      metadata.completeTransitionTo(transit);
    } catch (err) {
      metadata.cancelPendingTransition();
      return this.transitionError(metadata, err);
    }
    return ErrorCode.NONE;
  }

  /**
   * A transition the state machine refused: a KafkaError keeps its code; a TransactionStateError
   * is a coordinator bug, logged and answered UNKNOWN_SERVER_ERROR.
   */
  transitionError(metadata: TransactionMetadata, err: unknown): number {
    if (err instanceof KafkaError) return err.errorCode;
    if (!(err instanceof TransactionStateError)) throw err;
    this.logger.error({ err, transactionalId: metadata.transactionalId }, 'illegal transaction state transition');
    return ErrorCode.UNKNOWN_SERVER_ERROR;
  }

  /**
   * transactional.id.expiration.ms: ids with no transaction in progress (Empty, CompleteCommit,
   * CompleteAbort) and no update for that long are removed, with a tombstone in
   * `__transaction_state` (Kafka's removeExpiredTransactionalIds).
   */
  async removeExpiredTransactionalIds(): Promise<void> {
    if (!this.serving) return;
    const now = this.clock.now();
    for (const metadata of [...this.cache.values()]) {
      if (metadata.pendingTransitionInProgress || !isExpirationAllowed(metadata.state)) continue;
      if (metadata.txnLastUpdateTimestampMs > now - this.config.transactionalIdExpirationMs) continue;
      try {
        metadata.prepareDead();
      } catch (err) {
        this.transitionError(metadata, err);
        continue;
      }
      const errorCode = await this.store.append(metadata.transactionalId, null, now, false);
      if (errorCode === ErrorCode.NONE && this.cache.get(metadata.transactionalId) === metadata) {
        this.cache.delete(metadata.transactionalId);
        this.logger.info({ transactionalId: metadata.transactionalId }, 'removed an expired transactional id');
      } else {
        metadata.cancelPendingTransition();
      }
    }
  }

  /** DescribeTransactions for one id (Kafka's handleDescribeTransactions). */
  describe(transactionalId: string): DescribedTransaction {
    const none = (errorCode: number): DescribedTransaction => ({
      transactionalId,
      errorCode,
      transactionState: '',
      transactionTimeoutMs: 0,
      transactionStartTimeMs: -1n,
      producerId: NO_PRODUCER_ID,
      producerEpoch: NO_PRODUCER_EPOCH,
      topics: [],
    });
    if (!this._active) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (transactionalId.length === 0) return none(ErrorCode.INVALID_REQUEST);
    const found = this.lookup(transactionalId);
    if (found.errorCode !== ErrorCode.NONE) return none(found.errorCode);
    const m = found.metadata;
    // An id being expired is already gone.
    if (m === undefined || m.pendingState === S.Dead) return none(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    const topics = new Map<string, number[]>();
    for (const tp of m.topicPartitions) {
      const list = topics.get(tp.topic);
      if (list === undefined) topics.set(tp.topic, [tp.partition]);
      else list.push(tp.partition);
    }
    return {
      transactionalId,
      errorCode: ErrorCode.NONE,
      transactionState: TRANSACTION_STATE_NAMES[m.state],
      transactionTimeoutMs: m.txnTimeoutMs,
      transactionStartTimeMs: BigInt(m.txnStartTimestampMs),
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
    };
  }

  /**
   * ListTransactions (Kafka's listTransactionStates): filters by state names (unknown names are
   * reported and match nothing), producer ids, and (KIP-994) transactions running longer than
   * `durationFilterMs` (negative: no filter).
   */
  list(r: { stateFilters: string[]; producerIdFilters: bigint[]; durationFilterMs: bigint }): ListTransactionsResult {
    if (!this._active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] };
    if (this.loading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters: [], transactionStates: [] };
    const unknownStateFilters: string[] = [];
    const states = new Set<TransactionState>();
    for (const name of r.stateFilters) {
      const state = transactionStateFromName(name);
      if (state === undefined) unknownStateFilters.push(name);
      else states.add(state);
    }
    const producerIds = new Set(r.producerIdFilters);
    const now = BigInt(this.clock.now());
    const transactionStates: ListTransactionsResult['transactionStates'] = [];
    for (const m of this.cache.values()) {
      if (m.state === S.Dead || m.pendingState === S.Dead) continue;
      if (producerIds.size > 0 && !producerIds.has(m.producerId)) continue;
      if (r.stateFilters.length > 0 && !states.has(m.state)) continue;
      if (r.durationFilterMs >= 0n && now - BigInt(m.txnStartTimestampMs) <= r.durationFilterMs) continue;
      transactionStates.push({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: TRANSACTION_STATE_NAMES[m.state] });
    }
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
  }

  /** Counters for tools and metrics (a snapshot). */
  stats(): { transactionalIds: number; transactionStateTopic: TransactionStateStats } {
    return { transactionalIds: this.cache.size, transactionStateTopic: { ...this.store.stats } };
  }

  /** Further lookups answer COORDINATOR_NOT_AVAILABLE. */
  shutdown(): void {
    this._active = false;
  }
}
