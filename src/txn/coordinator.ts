/**
 * TransactionCoordinator: Kafka's transaction coordinator (KIP-98, KIP-447, KIP-890 part 1;
 * TransactionCoordinator.scala) on one node, which coordinates every transactional id. The
 * state of each id is a TransactionMetadata (transaction-metadata.ts: the state machine and
 * its two-step transitions), kept in memory and written to `__transaction_state` before any
 * reply that depends on it (transaction-state-store.ts).
 *
 *   InitProducerId     a new id gets a producer id; a known one gets the next epoch, which
 *                      fences the previous producer. An Ongoing transaction is aborted first
 *                      at a bumped epoch (PrepareEpochFence) and the request answered
 *                      CONCURRENT_TRANSACTIONS, so the client retries and bumps once more.
 *   AddPartitionsToTxn the partitions join the transaction (Ongoing); verifyOnly (KIP-890)
 *   AddOffsetsToTxn    and `verifyPartition` (the broker's Produce check) only ask.
 *   EndTxn             PrepareCommit / PrepareAbort is written and fsynced → the markers are
 *                      written to every partition (marker-writer.ts) → CompleteCommit /
 *                      CompleteAbort is written → the reply. All partitions are local, so a
 *                      committed transaction is visible to read_committed when EndTxn returns.
 *
 * Background (on the injected Clock): every transaction.abort.timed.out.transaction.cleanup.
 * interval.ms, Ongoing transactions older than their transaction.timeout.ms are aborted with
 * an epoch bump (the producer is fenced, as Kafka does), and a prepared transaction whose
 * completion failed is completed again; every transaction.remove.expired.transaction.cleanup.
 * interval.ms, ids idle (Empty, CompleteCommit, CompleteAbort) for transactional.id.expiration.ms
 * are removed with a tombstone.
 *
 * Start: `open` replays `__transaction_state` and completes every PrepareCommit / PrepareAbort
 * it finds (writes the markers again, then Complete*) before it returns.
 *
 * Single node: the coordinator epoch of every marker is 0 (there is no other coordinator to
 * fence). Transactions V2 (KIP-890 part 2: EndTxn v5, epoch bump per transaction) are not
 * served: the handlers advertise EndTxn up to v4.
 */
import { SYSTEM_CLOCK, type Clock, type Timer } from '../clock.js';
import { ErrorCode, errorNameOf, type ErrorName } from '../errors.js';
import { OFFSETS_TOPIC } from '../group/coordinator.js';
import type { Logger } from '../logger.js';
import type { TxnBroker, TxnPartitionVerifier } from './broker-port.js';
import type { TransactionCoordinatorConfig } from './config.js';
import { TxnMarkerWriter } from './marker-writer.js';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResult, InitProducerIdTxnRequest, TxnProducerResult } from './requests.js';
import { TransactionMetadata, type TxnTransitMetadata } from './transaction-metadata.js';
import { TransactionStateManager, type DescribedTransaction, type ListTransactionsResult } from './transaction-state-manager.js';
import { TRANSACTION_STATE_TOPIC, type TransactionStateStats } from './transaction-state-store.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, TRANSACTION_STATE_NAMES, TransactionState, isEpochExhausted, type TopicPartition } from './transaction-state.js';

export { TRANSACTION_STATE_TOPIC } from './transaction-state-store.js';
export type { TransactionCoordinatorConfig } from './config.js';
export type { DescribedTransaction, ListTransactionsResult } from './transaction-state-manager.js';
export { groupOffsetsPartitionFor } from './requests.js';
export type * from './requests.js';

const S = TransactionState;

/** Every marker carries this coordinator epoch: one node, one coordinator, nothing to fence. */
const COORDINATOR_EPOCH = 0;

/**
 * Test hook for the crash test of a broker killed between EndTxn and its markers: with
 * SLUICE_FAILPOINT=txn-after-prepare in the environment the process SIGKILLs itself right after
 * a PrepareCommit / PrepareAbort is on disk, before any marker is written. Nothing else reads it.
 */
const FAILPOINT_AFTER_PREPARE = 'txn-after-prepare';

export interface TransactionCoordinatorOptions {
  /** Where time comes from (SYSTEM_CLOCK by default; tests pass a ManualClock). */
  clock?: Clock;
  /** The `__consumer_offsets` partition of a group (creating the topic when missing): AddOffsetsToTxn adds it. */
  offsetsPartitionFor: (groupId: string) => Promise<number>;
}

export class TransactionCoordinator implements TxnPartitionVerifier {
  private readonly logger: Logger;
  private readonly state: TransactionStateManager;
  private readonly markers: TxnMarkerWriter;
  /** Prepared transactions whose markers are being written (never two writers for one). */
  private readonly completing = new Set<TransactionMetadata>();
  private readonly timers = new Set<Timer>();

  private constructor(
    private readonly broker: TxnBroker,
    private readonly config: TransactionCoordinatorConfig,
    logger: Logger,
    private readonly clock: Clock,
    private readonly offsetsPartitionFor: (groupId: string) => Promise<number>,
  ) {
    this.logger = logger.child({ component: 'txn-coordinator' });
    this.state = new TransactionStateManager(broker, config, this.logger, clock);
    this.markers = new TxnMarkerWriter(broker, clock, this.logger);
  }

  /**
   * Loads `__transaction_state` (when it exists), completes the prepared transactions found
   * there, registers as the broker's transaction verifier and starts the periodic tasks.
   */
  static async open(
    broker: TxnBroker,
    config: TransactionCoordinatorConfig,
    logger: Logger,
    options: TransactionCoordinatorOptions,
  ): Promise<TransactionCoordinator> {
    const coordinator = new TransactionCoordinator(broker, config, logger, options.clock ?? SYSTEM_CLOCK, options.offsetsPartitionFor);
    await coordinator.load();
    broker.setTransactionVerifier(coordinator);
    coordinator.schedule(config.abortTimedOutTransactionsIntervalMs, () => coordinator.abortTimedOutTransactions());
    coordinator.schedule(config.removeExpiredTransactionalIdsIntervalMs, () => coordinator.removeExpiredTransactionalIds());
    return coordinator;
  }

  private async load(): Promise<void> {
    await this.state.openExisting();
    const prepared = [...this.state.all()].filter((m) => m.state === S.PrepareCommit || m.state === S.PrepareAbort);
    if (prepared.length > 0) this.logger.info({ transactions: prepared.length }, 'completing the transactions prepared before the restart');
    await Promise.all(prepared.map((m) => this.completeTransaction(m)));
  }

  /** The partition of `__transaction_state` that holds `transactionalId` (null before the topic exists). */
  partitionFor(transactionalId: string): number | null {
    return this.state.store.partitionFor(transactionalId);
  }

  /**
   * FindCoordinator for a transactional id: creates `__transaction_state` on first use (as
   * Kafka does) and answers NONE when this node can coordinate, else the error code.
   */
  async findCoordinator(transactionalId: string): Promise<number> {
    void transactionalId; // one node coordinates every id
    if (!this.state.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    try {
      await this.state.store.ensureTopic();
    } catch (err) {
      this.logger.error({ err }, `creating ${TRANSACTION_STATE_TOPIC} failed`);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    return this.state.active ? ErrorCode.NONE : ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }

  // ------------------------------------------------------------------ InitProducerId

  async initProducerId(r: InitProducerIdTxnRequest): Promise<TxnProducerResult> {
    const fail = (errorCode: number): TxnProducerResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
    if (r.transactionalId.length === 0) return fail(ErrorCode.INVALID_REQUEST);
    if (!(r.transactionTimeoutMs > 0 && r.transactionTimeoutMs <= this.config.transactionMaxTimeoutMs)) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    let expected: { producerId: bigint; producerEpoch: number } | null = null;
    if (r.producerId !== NO_PRODUCER_ID && r.producerEpoch !== NO_PRODUCER_EPOCH) expected = { producerId: r.producerId, producerEpoch: r.producerEpoch };
    else if (r.producerId !== NO_PRODUCER_ID || r.producerEpoch !== NO_PRODUCER_EPOCH) return fail(ErrorCode.INVALID_REQUEST);

    // Producer ids come from the broker asynchronously; the transition itself is prepared in one
    // synchronous step afterwards, so no other request interleaves with it.
    let newProducerId: bigint | null = null;
    for (;;) {
      const found = this.state.lookup(r.transactionalId);
      if (found.errorCode !== ErrorCode.NONE) return fail(found.errorCode);
      let metadata = found.metadata;
      if (metadata === undefined) {
        if (newProducerId === null) {
          const generated = await this.generateProducerId();
          if (typeof generated === 'number') return fail(generated);
          newProducerId = generated;
          continue;
        }
        metadata = this.state.putIfNotExists(TransactionMetadata.create(r.transactionalId, newProducerId, r.transactionTimeoutMs, this.clock.now()));
        newProducerId = null;
      }
      const prepared = this.prepareInitProducerId(metadata, r.transactionTimeoutMs, expected, newProducerId);
      if (prepared === 'needs-producer-id') {
        const generated = await this.generateProducerId();
        if (typeof generated === 'number') return fail(generated);
        newProducerId = generated;
        continue;
      }
      if (typeof prepared === 'number') return fail(prepared);
      if (prepared.txnState === S.PrepareEpochFence) {
        // Abort the open transaction at the fenced epoch; the client retries and bumps again.
        const aborted = await this.endTransaction(r.transactionalId, prepared.producerId, prepared.producerEpoch, false, false);
        return fail(aborted.errorCode === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : aborted.errorCode);
      }
      const errorCode = await this.state.persist(metadata, prepared);
      if (errorCode !== ErrorCode.NONE) return fail(errorCode);
      this.logger.info(
        { transactionalId: r.transactionalId, producerId: prepared.producerId.toString(), producerEpoch: prepared.producerEpoch },
        'initialized transactional id',
      );
      return { errorCode: ErrorCode.NONE, producerId: prepared.producerId, producerEpoch: prepared.producerEpoch };
    }
  }

  /** Kafka's prepareInitProducerIdTransit: an error code, the transition, or a request for a fresh producer id. */
  private prepareInitProducerId(
    metadata: TransactionMetadata,
    timeoutMs: number,
    expected: { producerId: bigint; producerEpoch: number } | null,
    newProducerId: bigint | null,
  ): number | TxnTransitMetadata | 'needs-producer-id' {
    if (metadata.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    // KIP-360: a producer resuming with its id and epoch is fenced unless the id is new, is the
    // current one, or is the previous one with an exhausted epoch (a retried rotation).
    if (
      expected !== null &&
      !(
        metadata.producerEpoch === NO_PRODUCER_EPOCH ||
        expected.producerId === metadata.producerId ||
        (expected.producerId === metadata.prevProducerId && isEpochExhausted(expected.producerEpoch))
      )
    ) {
      return ErrorCode.PRODUCER_FENCED;
    }
    const now = this.clock.now();
    try {
      switch (metadata.state) {
        case S.PrepareAbort:
        case S.PrepareCommit:
          return ErrorCode.CONCURRENT_TRANSACTIONS;
        case S.CompleteAbort:
        case S.CompleteCommit:
        case S.Empty:
          if (metadata.isProducerEpochExhausted && (expected === null || expected.producerEpoch === metadata.producerEpoch)) {
            if (newProducerId === null) return 'needs-producer-id';
            return metadata.prepareProducerIdRotation(newProducerId, timeoutMs, now, expected !== null);
          }
          return metadata.prepareIncrementProducerEpoch(timeoutMs, expected?.producerEpoch ?? null, now);
        case S.Ongoing:
          return metadata.prepareFenceProducerEpoch();
        default:
          this.logger.error(
            { transactionalId: metadata.transactionalId, state: TRANSACTION_STATE_NAMES[metadata.state] },
            'transactional id in a state it never rests in',
          );
          return ErrorCode.UNKNOWN_SERVER_ERROR;
      }
    } catch (err) {
      return this.state.transitionError(metadata, err);
    }
  }

  private async generateProducerId(): Promise<bigint | number> {
    try {
      const r = await this.broker.initProducerId({ transactionalId: null, transactionTimeoutMs: 0 });
      return r.errorCode === ErrorCode.NONE ? r.producerId : r.errorCode;
    } catch (err) {
      this.logger.error({ err }, 'producer id allocation failed');
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }

  // ------------------------------------------------------------------ AddPartitionsToTxn / AddOffsetsToTxn / verification

  /**
   * AddPartitionsToTxn for one transaction. Partitions of unknown topics answer
   * UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED (KafkaApis); otherwise
   * every partition gets the coordinator's answer. With `verifyOnly` (KIP-890 part 1) nothing
   * changes: each partition answers whether it is in the transaction.
   */
  async addPartitionsToTxn(r: AddPartitionsToTxnRequest, verifyOnly = false): Promise<AddPartitionsToTxnResult> {
    const answer = (codeFor: (topic: string, partition: number) => number): AddPartitionsToTxnResult => ({
      topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p, errorCode: codeFor(t.name, p) })) })),
    });
    if (r.transactionalId.length === 0) return answer(() => ErrorCode.INVALID_REQUEST);
    if (verifyOnly) {
      const synced = await this.state.unsynced(r.transactionalId);
      if (synced !== null && synced !== ErrorCode.NONE) return answer(() => synced);
      const verified = this.verify(r.transactionalId, r.producerId, r.producerEpoch);
      if (typeof verified === 'number') return answer(() => verified);
      return answer((topic, partition) => (verified.hasPartition({ topic, partition }) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE));
    }
    const unknown = r.topics.some((t) => t.partitions.some((p) => !this.broker.hasPartition(t.name, p)));
    if (unknown) {
      return answer((topic, partition) =>
        this.broker.hasPartition(topic, partition) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      );
    }
    const partitions = r.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
    const errorCode = await this.addPartitions(r.transactionalId, r.producerId, r.producerEpoch, partitions, false);
    return answer(() => errorCode);
  }

  /** AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction. */
  async addOffsetsToTxn(r: { transactionalId: string; producerId: bigint; producerEpoch: number; groupId: string }): Promise<{ errorCode: number }> {
    if (r.transactionalId.length === 0) return { errorCode: ErrorCode.INVALID_REQUEST };
    // Checked first so that a request refused anyway never creates __consumer_offsets.
    const refused = this.addPartitionsError(r.transactionalId, r.producerId, r.producerEpoch);
    if (refused !== null) return { errorCode: refused };
    let partition: number;
    try {
      partition = await this.offsetsPartitionFor(r.groupId);
    } catch (err) {
      this.logger.warn({ err, groupId: r.groupId }, `no ${OFFSETS_TOPIC} partition for the group`);
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    }
    // Waits for the fsync: TxnOffsetCommit appends to __consumer_offsets are not verified against
    // the coordinator, so nothing else would keep them from reaching disk before the membership.
    return { errorCode: await this.addPartitions(r.transactionalId, r.producerId, r.producerEpoch, [{ topic: OFFSETS_TOPIC, partition }], true) };
  }

  /**
   * Kafka's handleAddPartitionsToTransaction. With `durable` false the reply does not wait for
   * the fsync of the membership record (see verifyPartition for why that is safe).
   */
  private async addPartitions(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    partitions: TopicPartition[],
    durable: boolean,
  ): Promise<number> {
    const refused = this.addPartitionsError(transactionalId, producerId, producerEpoch);
    if (refused !== null) return refused;
    const metadata = this.state.lookup(transactionalId).metadata!;
    if (metadata.state === S.Ongoing && partitions.every((tp) => metadata.hasPartition(tp))) return ErrorCode.NONE;
    let transit: TxnTransitMetadata;
    try {
      transit = metadata.prepareAddPartitions(partitions, this.clock.now(), metadata.clientTransactionVersion);
    } catch (err) {
      return this.state.transitionError(metadata, err);
    }
    return durable ? this.state.persist(metadata, transit) : this.state.persistThenSync(metadata, transit);
  }

  /** Why partitions cannot be added to the transaction of `transactionalId` now, or null. */
  private addPartitionsError(transactionalId: string, producerId: bigint, producerEpoch: number): number | null {
    const found = this.state.lookup(transactionalId);
    if (found.errorCode !== ErrorCode.NONE) return found.errorCode;
    const metadata = found.metadata;
    if (metadata === undefined || metadata.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (metadata.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (metadata.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (metadata.state === S.PrepareCommit || metadata.state === S.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    return null;
  }

  /**
   * KIP-890 part 1, for the broker's transactional Produce: NONE (null) when the partition is
   * in the producer's ongoing transaction, else Kafka's error for the check
   * (handleVerifyPartitionsInTransaction; a partition not added is INVALID_TXN_STATE).
   */
  verifyPartition(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): Promise<ErrorName | null> {
    // AddPartitionsToTxn answers before its record is fsynced; the durability argument lives
    // here. The record is in the page cache, so a kill -9 loses nothing. A power loss may lose
    // it, and that is harmless only while none of the transaction's records in that partition
    // can be on disk: otherwise the restarted coordinator would not know the partition, never
    // write its marker, and the partition's LSO would hang on the open transaction forever.
    // The broker appends a partition's first record of a transaction only after this check
    // (KIP-890 verification), so waiting here for the fsync that covers the membership record
    // orders it before the data reaches even the page cache (which the kernel may write back
    // at any moment: overlapping the two fsyncs would not be safe). Later batches of the
    // transaction in that partition are not verified again, and need not be: the membership
    // is on disk by then.
    const pending = this.state.unsynced(transactionalId);
    if (pending !== null) {
      return pending.then((code) =>
        code !== ErrorCode.NONE ? errorNameOf(code) : this.verifiedPartition(transactionalId, producerId, producerEpoch, topic, partition),
      );
    }
    return Promise.resolve(this.verifiedPartition(transactionalId, producerId, producerEpoch, topic, partition));
  }

  private verifiedPartition(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): ErrorName | null {
    const verified = this.verify(transactionalId, producerId, producerEpoch);
    if (typeof verified === 'number') return errorNameOf(verified);
    return verified.hasPartition({ topic, partition }) ? null : 'INVALID_TXN_STATE';
  }

  private verify(transactionalId: string, producerId: bigint, producerEpoch: number): TransactionMetadata | number {
    if (transactionalId.length === 0) return ErrorCode.INVALID_REQUEST;
    const found = this.state.lookup(transactionalId);
    if (found.errorCode !== ErrorCode.NONE) return found.errorCode;
    const metadata = found.metadata;
    if (metadata === undefined || metadata.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (metadata.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (metadata.state === S.PrepareCommit || metadata.state === S.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    return metadata;
  }

  // ------------------------------------------------------------------ EndTxn

  /**
   * EndTxn: commits or aborts the ongoing transaction and answers once its markers are
   * written and CompleteCommit / CompleteAbort is stored. `apiVersion` is the request's
   * (transactions V2, EndTxn v5+, is not served: see the class comment).
   */
  async endTxn(r: { transactionalId: string; producerId: bigint; producerEpoch: number; committed: boolean }, apiVersion = 0): Promise<TxnProducerResult> {
    void apiVersion;
    return this.endTransaction(r.transactionalId, r.producerId, r.producerEpoch, r.committed, true);
  }

  /** Kafka's endTransaction; `isFromClient` false for the aborts of fencing and timeouts. */
  private async endTransaction(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    committed: boolean,
    isFromClient: boolean,
  ): Promise<TxnProducerResult> {
    const answer = (errorCode: number): TxnProducerResult => ({ errorCode, producerId, producerEpoch });
    if (transactionalId.length === 0) return answer(ErrorCode.INVALID_REQUEST);
    const found = this.state.lookup(transactionalId);
    if (found.errorCode !== ErrorCode.NONE) return answer(found.errorCode);
    const metadata = found.metadata;
    if (metadata === undefined) return answer(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const fencing = metadata.pendingState === S.PrepareEpochFence;
    const decided = this.prepareEndTransaction(metadata, producerId, producerEpoch, committed, isFromClient);
    if (typeof decided === 'number') {
      // A fence that does not go on to its abort must not stay pending.
      if (metadata.pendingState === S.PrepareEpochFence) metadata.cancelPendingTransition();
      return answer(decided);
    }
    // The decision is durable (fsynced) before any marker is written: after a crash the restart
    // completes it the same way.
    const prepared = await this.state.persist(metadata, decided, true);
    if (prepared !== ErrorCode.NONE) {
      if (fencing) metadata.markEpochFenceFailed();
      return answer(prepared);
    }
    if (process.env.SLUICE_FAILPOINT === FAILPOINT_AFTER_PREPARE) process.kill(process.pid, 'SIGKILL');
    const completed = await this.completeTransaction(metadata);
    return { errorCode: completed, producerId: metadata.producerId, producerEpoch: metadata.producerEpoch };
  }

  /** The checks of Kafka's endTransaction before its append: an error code (NONE for a retried end), or the Prepare* transition. */
  private prepareEndTransaction(
    metadata: TransactionMetadata,
    producerId: bigint,
    producerEpoch: number,
    committed: boolean,
    isFromClient: boolean,
  ): number | TxnTransitMetadata {
    if (metadata.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    // Clients must match the epoch exactly; the coordinator's own aborts carry the bumped one.
    if ((isFromClient && producerEpoch !== metadata.producerEpoch) || producerEpoch < metadata.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (metadata.pendingTransitionInProgress && metadata.pendingState !== S.PrepareEpochFence) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const invalidState = (): number => {
      this.logger.debug(
        { transactionalId: metadata.transactionalId, state: TRANSACTION_STATE_NAMES[metadata.state], committed },
        'EndTxn in a state that does not allow it',
      );
      return ErrorCode.INVALID_TXN_STATE;
    };
    switch (metadata.state) {
      case S.Ongoing:
        try {
          if (!committed && metadata.pendingState === S.PrepareEpochFence) metadata.clearEpochFence(producerEpoch);
          return metadata.prepareAbortOrCommit(
            committed ? S.PrepareCommit : S.PrepareAbort,
            metadata.clientTransactionVersion,
            NO_PRODUCER_ID,
            this.clock.now(),
            false,
          );
        } catch (err) {
          return this.state.transitionError(metadata, err);
        }
      case S.CompleteCommit:
        return committed ? ErrorCode.NONE : invalidState();
      case S.CompleteAbort:
        return committed ? invalidState() : ErrorCode.NONE;
      case S.PrepareCommit:
        return committed ? ErrorCode.CONCURRENT_TRANSACTIONS : invalidState();
      case S.PrepareAbort:
        return committed ? invalidState() : ErrorCode.CONCURRENT_TRANSACTIONS;
      case S.Empty:
        return invalidState();
      default:
        this.logger.error(
          { transactionalId: metadata.transactionalId, state: TRANSACTION_STATE_NAMES[metadata.state] },
          'transactional id in a state it never rests in',
        );
        return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }

  /**
   * Writes the markers of a PrepareCommit / PrepareAbort transaction, then stores its
   * CompleteCommit / CompleteAbort. NOT_COORDINATOR when the coordinator stops first (the
   * restart completes it); a failed store leaves it prepared for the periodic task to retry.
   */
  private async completeTransaction(metadata: TransactionMetadata): Promise<number> {
    if (this.completing.has(metadata)) return ErrorCode.CONCURRENT_TRANSACTIONS;
    this.completing.add(metadata);
    try {
      const committed = metadata.state === S.PrepareCommit;
      if (!(await this.markers.writeMarkers(metadata, committed, COORDINATOR_EPOCH))) return ErrorCode.NOT_COORDINATOR;
      if (!this.state.active) return ErrorCode.NOT_COORDINATOR;
      let transit: TxnTransitMetadata;
      try {
        transit = metadata.prepareComplete(this.clock.now());
      } catch (err) {
        return this.state.transitionError(metadata, err);
      }
      const errorCode = await this.state.persist(metadata, transit);
      if (errorCode === ErrorCode.NONE) {
        this.logger.debug({ transactionalId: metadata.transactionalId, committed }, 'transaction completed');
      }
      return errorCode;
    } finally {
      this.completing.delete(metadata);
    }
  }

  // ------------------------------------------------------------------ timeouts and expiration

  private schedule(intervalMs: number, task: () => Promise<unknown>): void {
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      if (!this.state.active) return;
      task()
        .catch((err: unknown) => this.logger.error({ err }, 'transaction coordinator task failed'))
        .finally(() => {
          if (this.state.active) this.schedule(intervalMs, task);
        });
    }, intervalMs);
    this.timers.add(timer);
  }

  /**
   * transaction.timeout.ms: every Ongoing transaction that started more than its timeout ago
   * is aborted at a bumped epoch, which fences its producer (Kafka's abortTimedOutTransactions).
   * Prepared transactions whose completion failed are completed again. Runs every
   * transaction.abort.timed.out.transaction.cleanup.interval.ms; public for tests.
   */
  async abortTimedOutTransactions(): Promise<void> {
    if (!this.state.serving) return;
    const now = this.clock.now();
    const work: Promise<unknown>[] = [];
    for (const metadata of this.state.all()) {
      if (metadata.pendingTransitionInProgress) continue;
      if (metadata.state === S.Ongoing && metadata.txnStartTimestampMs + metadata.txnTimeoutMs < now) {
        let fence: TxnTransitMetadata;
        try {
          fence = metadata.prepareFenceProducerEpoch();
        } catch (err) {
          this.state.transitionError(metadata, err);
          continue;
        }
        const context = { transactionalId: metadata.transactionalId, producerId: fence.producerId.toString(), timeoutMs: metadata.txnTimeoutMs };
        this.logger.info(context, 'aborting a transaction that ran past its timeout');
        work.push(
          this.endTransaction(metadata.transactionalId, fence.producerId, fence.producerEpoch, false, false).then((r) => {
            if (r.errorCode !== ErrorCode.NONE) this.logger.warn({ ...context, errorCode: r.errorCode }, 'abort of a timed-out transaction failed');
          }),
        );
      } else if ((metadata.state === S.PrepareCommit || metadata.state === S.PrepareAbort) && !this.completing.has(metadata)) {
        work.push(this.completeTransaction(metadata));
      }
    }
    await Promise.all(work);
  }

  /**
   * transactional.id.expiration.ms: idle ids are removed with a tombstone (see
   * TransactionStateManager.removeExpiredTransactionalIds). Runs every
   * transaction.remove.expired.transaction.cleanup.interval.ms; public for tests.
   */
  removeExpiredTransactionalIds(): Promise<void> {
    return this.state.removeExpiredTransactionalIds();
  }

  // ------------------------------------------------------------------ DescribeTransactions / ListTransactions

  /** DescribeTransactions (Kafka's handleDescribeTransactions), one entry per id. */
  describeTransactions(ids: string[]): DescribedTransaction[] {
    return ids.map((id) => this.state.describe(id));
  }

  /** ListTransactions (Kafka's listTransactionStates); see TransactionStateManager.list. */
  listTransactions(r: { stateFilters: string[]; producerIdFilters: bigint[]; durationFilterMs: bigint }): ListTransactionsResult {
    return this.state.list(r);
  }

  /** Counters of the `__transaction_state` load, for tools and metrics. */
  stats(): { transactionalIds: number; transactionStateTopic: TransactionStateStats } {
    return this.state.stats();
  }

  // ------------------------------------------------------------------ shutdown

  /**
   * Stops coordinating: the periodic tasks stop, marker writes in progress stop retrying (their
   * EndTxn answers NOT_COORDINATOR; the restart completes them), the broker's verifier is
   * removed, and further requests get COORDINATOR_NOT_AVAILABLE. Idempotent.
   */
  shutdown(): void {
    if (!this.state.active) return;
    this.state.shutdown();
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
    this.markers.stop();
    this.broker.setTransactionVerifier(null);
  }
}
