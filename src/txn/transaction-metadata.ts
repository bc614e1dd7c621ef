/**
 * The metadata of one transactional id with Kafka's two-step transitions (transaction-
 * coordinator/.../TransactionMetadata.java, Kafka 4.x):
 *
 *   1. `prepare…(…)` checks the move against VALID_PREVIOUS_STATES, computes the next
 *      metadata as a plain value (TxnTransitMetadata) and marks the target as pending, so no
 *      other transition can start;
 *   2. the coordinator writes that value to `__transaction_state`; once it is durable,
 *      `completeTransitionTo(transit)` re-checks it against the current metadata and applies
 *      it (or `cancelPendingTransition()` when the write failed).
 *
 * Epochs (int16). An epoch ≥ Short.MAX_VALUE - 1 is exhausted: InitProducerId then rotates
 * to a new producer id at epoch 0 (prepareProducerIdRotation) instead of bumping. Transactions
 * V2 (KIP-890 part 2, `clientTransactionVersion` ≥ 2) bump the epoch at every commit/abort:
 * prepareAbortOrCommit writes epoch + 1 (reaching MAX_VALUE at most) and, when the epoch was
 * exhausted, the coordinator passes a fresh `nextProducerId`, which prepareComplete switches
 * to at epoch 0. Fencing (InitProducerId while a transaction is Ongoing) bumps the epoch once
 * (prepareFenceProducerEpoch, pending PrepareEpochFence), then aborts the transaction at that
 * epoch (clearEpochFence + prepareAbortOrCommit(PrepareAbort)); a fence whose write failed is
 * not bumped again (markEpochFenceFailed).
 *
 * Not here (the coordinator's part, issue 12): choosing which transition a request makes
 * (TransactionCoordinator's InitProducerId / AddPartitions / EndTxn rules and their error
 * codes), timeouts and expiration. Time is passed in (`nowMs`); nothing reads a clock.
 */
import { KafkaError } from '../errors.js';
import {
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  SHORT_MAX_VALUE,
  TRANSACTION_STATE_NAMES,
  TransactionState,
  isEpochExhausted,
  isValidTransition,
  supportsEpochBump,
  type TopicPartition,
} from './transaction-state.js';

const S = TransactionState;

/** The next metadata of a prepared transition: what is written to `__transaction_state`. */
export interface TxnTransitMetadata {
  readonly producerId: bigint;
  readonly prevProducerId: bigint;
  readonly nextProducerId: bigint;
  readonly producerEpoch: number;
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly txnState: TransactionState;
  readonly topicPartitions: readonly TopicPartition[];
  readonly txnStartTimestampMs: number;
  readonly txnLastUpdateTimestampMs: number;
  readonly clientTransactionVersion: number;
}

/**
 * A transition the state machine does not allow, or a completion that does not match what was
 * prepared: Kafka's IllegalStateException / IllegalArgumentException, a coordinator bug rather
 * than a client error.
 */
export class TransactionStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransactionStateError';
  }
}

const tpKey = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;

function partitionMap(partitions: Iterable<TopicPartition>): Map<string, TopicPartition> {
  const map = new Map<string, TopicPartition>();
  for (const tp of partitions) map.set(tpKey(tp), { topic: tp.topic, partition: tp.partition });
  return map;
}

export interface TransactionMetadataInit {
  transactionalId: string;
  producerId: bigint;
  prevProducerId: bigint;
  nextProducerId: bigint;
  producerEpoch: number;
  lastProducerEpoch: number;
  txnTimeoutMs: number;
  state: TransactionState;
  topicPartitions: Iterable<TopicPartition>;
  txnStartTimestampMs: number;
  txnLastUpdateTimestampMs: number;
  clientTransactionVersion: number;
}

/** Mutable fields of a transition being prepared, copied from the current metadata. */
interface TransitionData {
  state: TransactionState;
  producerId: bigint;
  nextProducerId: bigint;
  producerEpoch: number;
  lastProducerEpoch: number;
  txnTimeoutMs: number;
  topicPartitions: Map<string, TopicPartition>;
  txnStartTimestampMs: number;
  txnLastUpdateTimestampMs: number;
  clientTransactionVersion: number;
}

export class TransactionMetadata {
  readonly transactionalId: string;
  private _producerId: bigint;
  private _prevProducerId: bigint;
  private _nextProducerId: bigint;
  private _producerEpoch: number;
  private _lastProducerEpoch: number;
  private _txnTimeoutMs: number;
  private _state: TransactionState;
  private partitions: Map<string, TopicPartition>;
  private _txnStartTimestampMs: number;
  private _txnLastUpdateTimestampMs: number;
  private _clientTransactionVersion: number;
  /** The state a prepared transition moves to; blocks any other transition meanwhile. */
  private _pendingState: TransactionState | null = null;
  /** A fence's epoch bump may not have reached the log: the next fence does not bump again. */
  private _hasFailedEpochFence = false;

  constructor(init: TransactionMetadataInit) {
    this.transactionalId = init.transactionalId;
    this._producerId = init.producerId;
    this._prevProducerId = init.prevProducerId;
    this._nextProducerId = init.nextProducerId;
    this._producerEpoch = init.producerEpoch;
    this._lastProducerEpoch = init.lastProducerEpoch;
    this._txnTimeoutMs = init.txnTimeoutMs;
    this._state = init.state;
    this.partitions = partitionMap(init.topicPartitions);
    this._txnStartTimestampMs = init.txnStartTimestampMs;
    this._txnLastUpdateTimestampMs = init.txnLastUpdateTimestampMs;
    this._clientTransactionVersion = init.clientTransactionVersion;
  }

  /** A transactional id seen for the first time (InitProducerId): Empty, no epoch yet. */
  static create(transactionalId: string, producerId: bigint, txnTimeoutMs: number, nowMs: number): TransactionMetadata {
    return new TransactionMetadata({
      transactionalId,
      producerId,
      prevProducerId: NO_PRODUCER_ID,
      nextProducerId: NO_PRODUCER_ID,
      producerEpoch: NO_PRODUCER_EPOCH,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
      txnTimeoutMs,
      state: S.Empty,
      topicPartitions: [],
      txnStartTimestampMs: -1,
      txnLastUpdateTimestampMs: nowMs,
      clientTransactionVersion: 0,
    });
  }

  get producerId(): bigint {
    return this._producerId;
  }
  get prevProducerId(): bigint {
    return this._prevProducerId;
  }
  get nextProducerId(): bigint {
    return this._nextProducerId;
  }
  get producerEpoch(): number {
    return this._producerEpoch;
  }
  get lastProducerEpoch(): number {
    return this._lastProducerEpoch;
  }
  get txnTimeoutMs(): number {
    return this._txnTimeoutMs;
  }
  get state(): TransactionState {
    return this._state;
  }
  get pendingState(): TransactionState | null {
    return this._pendingState;
  }
  get pendingTransitionInProgress(): boolean {
    return this._pendingState !== null;
  }
  get hasFailedEpochFence(): boolean {
    return this._hasFailedEpochFence;
  }
  get txnStartTimestampMs(): number {
    return this._txnStartTimestampMs;
  }
  get txnLastUpdateTimestampMs(): number {
    return this._txnLastUpdateTimestampMs;
  }
  get clientTransactionVersion(): number {
    return this._clientTransactionVersion;
  }
  get topicPartitions(): TopicPartition[] {
    return [...this.partitions.values()];
  }
  hasPartition(tp: TopicPartition): boolean {
    return this.partitions.has(tpKey(tp));
  }
  get isProducerEpochExhausted(): boolean {
    return isEpochExhausted(this._producerEpoch);
  }

  /** A marker was written to `tp`: it leaves the transaction (PrepareCommit/PrepareAbort only). */
  removePartition(tp: TopicPartition): void {
    if (this._state !== S.PrepareCommit && this._state !== S.PrepareAbort) {
      throw new TransactionStateError(`${this.describe()}: removing a partition whose marker was sent is only expected in PrepareCommit or PrepareAbort`);
    }
    this.partitions.delete(tpKey(tp));
  }

  /** The current metadata as a transit value, without preparing anything. */
  prepareNoTransit(): TxnTransitMetadata {
    return this.transit(this.copy(this._state), this._prevProducerId);
  }

  /** InitProducerId while a transaction is Ongoing: bump the epoch once to fence the old producer. */
  prepareFenceProducerEpoch(): TxnTransitMetadata {
    const data = this.copy(S.PrepareEpochFence);
    // Not again after a fence whose write failed (that epoch was never handed out), and never past MAX_VALUE.
    data.producerEpoch = this._hasFailedEpochFence || this._producerEpoch === SHORT_MAX_VALUE ? this._producerEpoch : this._producerEpoch + 1;
    return this.prepareTransitionTo(data);
  }

  /**
   * The coordinator's step between a prepared fence and the abort it causes (Kafka's
   * endTransaction with a pending PrepareEpochFence): the pending fence is dropped and the
   * fenced epoch becomes current, with no last epoch, so prepareAbortOrCommit(PrepareAbort)
   * writes the abort at that epoch.
   */
  clearEpochFence(fencedEpoch: number): void {
    if (this._pendingState !== S.PrepareEpochFence) {
      throw new TransactionStateError(`${this.describe()}: no pending epoch fence to clear`);
    }
    this._pendingState = null;
    this._producerEpoch = fencedEpoch;
    this._lastProducerEpoch = NO_PRODUCER_EPOCH;
  }

  /** The write of a prepared transition failed: nothing changes, another may be prepared. */
  cancelPendingTransition(): void {
    this._pendingState = null;
  }

  /** The write of an epoch-fencing abort failed: the next fence reuses the bumped epoch. */
  markEpochFenceFailed(): void {
    this._hasFailedEpochFence = true;
  }

  /**
   * InitProducerId on a known id (Empty, CompleteCommit or CompleteAbort): the next epoch.
   * `expectedProducerEpoch` (KIP-360, null when the request has none): equal to the current
   * epoch → bump and remember it as the last epoch; equal to the last epoch → a retry of a
   * bump that succeeded, nothing changes; anything else → PRODUCER_FENCED.
   */
  prepareIncrementProducerEpoch(newTxnTimeoutMs: number, expectedProducerEpoch: number | null, nowMs: number): TxnTransitMetadata {
    if (this.isProducerEpochExhausted) {
      throw new TransactionStateError(`Cannot allocate any more producer epochs for producerId ${this._producerId}`);
    }
    const data = this.copy(S.Empty);
    const bumped = toShort(this._producerEpoch + 1);
    if (expectedProducerEpoch === null) {
      data.producerEpoch = bumped;
      data.lastProducerEpoch = NO_PRODUCER_EPOCH;
    } else if (this._producerEpoch === NO_PRODUCER_EPOCH || expectedProducerEpoch === this._producerEpoch) {
      data.producerEpoch = bumped;
      data.lastProducerEpoch = this._producerEpoch;
    } else if (expectedProducerEpoch === this._lastProducerEpoch) {
      data.producerEpoch = this._producerEpoch;
      data.lastProducerEpoch = this._lastProducerEpoch;
    } else {
      throw new KafkaError(
        'PRODUCER_FENCED',
        `expected producer epoch ${expectedProducerEpoch} matches neither the current epoch ${this._producerEpoch} nor the previous one ${this._lastProducerEpoch}`,
      );
    }
    data.txnTimeoutMs = newTxnTimeoutMs;
    data.topicPartitions = new Map();
    data.txnStartTimestampMs = -1;
    data.txnLastUpdateTimestampMs = nowMs;
    return this.prepareTransitionTo(data);
  }

  /** InitProducerId with the epoch exhausted: a new producer id at epoch 0. */
  prepareProducerIdRotation(newProducerId: bigint, newTxnTimeoutMs: number, nowMs: number, recordLastEpoch: boolean): TxnTransitMetadata {
    if (this._state === S.Ongoing || this._state === S.PrepareAbort || this._state === S.PrepareCommit) {
      throw new TransactionStateError('Cannot rotate producer ids while a transaction is still pending');
    }
    const data = this.copy(S.Empty);
    data.producerId = newProducerId;
    data.producerEpoch = 0;
    data.lastProducerEpoch = recordLastEpoch ? this._producerEpoch : NO_PRODUCER_EPOCH;
    data.txnTimeoutMs = newTxnTimeoutMs;
    data.topicPartitions = new Map();
    data.txnStartTimestampMs = -1;
    data.txnLastUpdateTimestampMs = nowMs;
    return this.prepareTransitionTo(data);
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn: Ongoing with these partitions added. */
  prepareAddPartitions(added: Iterable<TopicPartition>, nowMs: number, clientTransactionVersion: number): TxnTransitMetadata {
    const data = this.copy(S.Ongoing);
    const starting = this._state === S.Empty || this._state === S.CompleteAbort || this._state === S.CompleteCommit;
    data.txnStartTimestampMs = starting ? nowMs : this._txnStartTimestampMs;
    data.topicPartitions = new Map(this.partitions);
    for (const tp of added) data.topicPartitions.set(tpKey(tp), { topic: tp.topic, partition: tp.partition });
    data.txnLastUpdateTimestampMs = nowMs;
    data.clientTransactionVersion = clientTransactionVersion;
    return this.prepareTransitionTo(data);
  }

  /**
   * EndTxn: PrepareCommit or PrepareAbort. With transactions V2 the epoch is bumped (not past
   * MAX_VALUE: an abort at MAX_VALUE goes through unbumped, to recover) and the old epoch
   * becomes the last epoch; `nextProducerId` is the id to switch to when the bump exhausts
   * the epoch (NO_PRODUCER_ID otherwise). `noPartitionAdded`: a V2 abort with no partition,
   * whose start time is then `nowMs`.
   */
  prepareAbortOrCommit(
    newState: typeof S.PrepareCommit | typeof S.PrepareAbort,
    clientTransactionVersion: number,
    nextProducerId: bigint,
    nowMs: number,
    noPartitionAdded: boolean,
  ): TxnTransitMetadata {
    const data = this.copy(newState);
    if (supportsEpochBump(clientTransactionVersion)) {
      // A commit at MAX_VALUE wraps negative, as Java's (short) cast does, and is refused below.
      if (!(this._producerEpoch === SHORT_MAX_VALUE && newState === S.PrepareAbort)) data.producerEpoch = toShort(this._producerEpoch + 1);
      data.lastProducerEpoch = this._producerEpoch;
    }
    data.txnStartTimestampMs = noPartitionAdded ? nowMs : this._txnStartTimestampMs;
    data.nextProducerId = nextProducerId;
    data.txnLastUpdateTimestampMs = nowMs;
    data.clientTransactionVersion = clientTransactionVersion;
    return this.prepareTransitionTo(data);
  }

  /**
   * Every marker is written: CompleteCommit after PrepareCommit, CompleteAbort otherwise. A
   * V2 transaction that exhausted its epoch moves to `nextProducerId` at epoch 0 (the last
   * epoch stays MAX_VALUE - 1, the last one the client saw).
   */
  prepareComplete(nowMs: number): TxnTransitMetadata {
    // The state change reached the log, so a failed fence is behind us.
    this._hasFailedEpochFence = false;
    const data = this.copy(this._state === S.PrepareCommit ? S.CompleteCommit : S.CompleteAbort);
    if (supportsEpochBump(this._clientTransactionVersion) && this._nextProducerId !== NO_PRODUCER_ID) {
      data.producerId = this._nextProducerId;
      data.producerEpoch = 0;
    }
    data.nextProducerId = NO_PRODUCER_ID;
    data.topicPartitions = new Map();
    data.txnLastUpdateTimestampMs = nowMs;
    return this.prepareTransitionTo(data);
  }

  /** `transactional.id.expiration.ms` passed: the id is removed (a tombstone is written). */
  prepareDead(): TxnTransitMetadata {
    const data = this.copy(S.Dead);
    data.topicPartitions = new Map();
    return this.prepareTransitionTo(data);
  }

  /**
   * Applies a prepared transition once its record is durable. Kafka's checks: the target is
   * the pending state; the epoch is the same, or bumped by one, or 0 with a new producer id
   * (per target, below); the partitions only grow while Ongoing and match on Prepare*; the
   * timeout is unchanged except by InitProducerId.
   */
  completeTransitionTo(transit: TxnTransitMetadata): void {
    const toState = this._pendingState;
    if (toState === null) {
      throw new TransactionStateError(`${this.describe()}: completing a transition while none is pending`);
    }
    if (toState !== transit.txnState) this.transitionFailure(transit);
    const transitPartitions = partitionMap(transit.topicPartitions);
    switch (toState) {
      case S.Empty: // InitProducerId
        if (
          (this._producerEpoch !== transit.producerEpoch && !this.validProducerEpochBump(transit)) ||
          transitPartitions.size !== 0 ||
          transit.txnStartTimestampMs !== -1
        ) {
          this.transitionFailure(transit);
        }
        break;
      case S.Ongoing: // AddPartitions
        if (
          !this.validProducerEpoch(transit) ||
          ![...this.partitions.keys()].every((k) => transitPartitions.has(k)) ||
          this._txnTimeoutMs !== transit.txnTimeoutMs
        ) {
          this.transitionFailure(transit);
        }
        break;
      case S.PrepareAbort: // EndTxn
      case S.PrepareCommit: {
        // V2 may abort from Empty/CompleteCommit/CompleteAbort, with a new start time.
        const allowedEmptyAbort =
          toState === S.PrepareAbort &&
          supportsEpochBump(transit.clientTransactionVersion) &&
          (this._state === S.Empty || this._state === S.CompleteCommit || this._state === S.CompleteAbort);
        const validTimestamp = this._txnStartTimestampMs === transit.txnStartTimestampMs || allowedEmptyAbort;
        const samePartitions = transitPartitions.size === this.partitions.size && [...this.partitions.keys()].every((k) => transitPartitions.has(k));
        if (!this.validProducerEpoch(transit) || !samePartitions || this._txnTimeoutMs !== transit.txnTimeoutMs || !validTimestamp) {
          this.transitionFailure(transit);
        }
        break;
      }
      case S.CompleteAbort: // markers written
      case S.CompleteCommit:
        if (!this.validProducerEpoch(transit) || this._txnTimeoutMs !== transit.txnTimeoutMs || transit.txnStartTimestampMs === -1) {
          this.transitionFailure(transit);
        }
        break;
      case S.PrepareEpochFence:
        // Only ever pending: the fence continues as an abort (clearEpochFence), never completes.
        this.transitionFailure(transit);
        break;
      case S.Dead:
        throw new TransactionStateError(`${this.describe()}: a transition to Dead is never completed; the expired id is removed from the cache instead`);
    }
    this._producerId = transit.producerId;
    this._prevProducerId = transit.prevProducerId;
    this._nextProducerId = transit.nextProducerId;
    this._producerEpoch = transit.producerEpoch;
    this._lastProducerEpoch = transit.lastProducerEpoch;
    this._txnTimeoutMs = transit.txnTimeoutMs;
    this.partitions = transitPartitions;
    this._txnStartTimestampMs = transit.txnStartTimestampMs;
    this._txnLastUpdateTimestampMs = transit.txnLastUpdateTimestampMs;
    this._clientTransactionVersion = transit.clientTransactionVersion;
    this._pendingState = null;
    this._state = toState;
  }

  private copy(state: TransactionState): TransitionData {
    return {
      state,
      producerId: this._producerId,
      nextProducerId: this._nextProducerId,
      producerEpoch: this._producerEpoch,
      lastProducerEpoch: this._lastProducerEpoch,
      txnTimeoutMs: this._txnTimeoutMs,
      topicPartitions: this.partitions,
      txnStartTimestampMs: this._txnStartTimestampMs,
      txnLastUpdateTimestampMs: this._txnLastUpdateTimestampMs,
      clientTransactionVersion: this._clientTransactionVersion,
    };
  }

  private transit(data: TransitionData, prevProducerId: bigint): TxnTransitMetadata {
    return {
      producerId: data.producerId,
      prevProducerId,
      nextProducerId: data.nextProducerId,
      producerEpoch: data.producerEpoch,
      lastProducerEpoch: data.lastProducerEpoch,
      txnTimeoutMs: data.txnTimeoutMs,
      txnState: data.state,
      topicPartitions: [...data.topicPartitions.values()],
      txnStartTimestampMs: data.txnStartTimestampMs,
      txnLastUpdateTimestampMs: data.txnLastUpdateTimestampMs,
      clientTransactionVersion: data.clientTransactionVersion,
    };
  }

  private prepareTransitionTo(data: TransitionData): TxnTransitMetadata {
    if (this._pendingState !== null) {
      throw new TransactionStateError(
        `${this.describe()}: preparing a transition to ${TRANSACTION_STATE_NAMES[data.state]} while ${TRANSACTION_STATE_NAMES[this._pendingState]} is pending`,
      );
    }
    if (data.producerId < 0n) throw new TransactionStateError(`Illegal new producer id ${data.producerId}`);
    // A new id keeps NO_PRODUCER_EPOCH until its first InitProducerId completes, and may expire so.
    if (data.state !== S.Dead && data.producerEpoch < 0) throw new TransactionStateError(`Illegal new producer epoch ${data.producerEpoch}`);
    if (!isValidTransition(this._state, data.state)) {
      throw new TransactionStateError(
        `${this.describe()}: ${TRANSACTION_STATE_NAMES[this._state]} is not a valid previous state of ${TRANSACTION_STATE_NAMES[data.state]}`,
      );
    }
    // Kafka records the producer id being replaced as the previous one, whatever the move.
    const transit = this.transit(data, this._producerId);
    this._pendingState = data.state;
    return transit;
  }

  /**
   * V2 completion that rotated the producer id (epoch 0): the last epoch is unchanged and the
   * previous id is the current one. V2 Prepare*: the epoch was bumped from the current one.
   * Otherwise: same id, same epoch.
   */
  private validProducerEpoch(transit: TxnTransitMetadata): boolean {
    const v2 = supportsEpochBump(transit.clientTransactionVersion);
    if (v2 && (transit.txnState === S.CompleteCommit || transit.txnState === S.CompleteAbort) && transit.producerEpoch === 0) {
      return transit.lastProducerEpoch === this._lastProducerEpoch && transit.prevProducerId === this._producerId;
    }
    if (v2 && (transit.txnState === S.PrepareCommit || transit.txnState === S.PrepareAbort)) {
      return transit.lastProducerEpoch === this._producerEpoch && transit.producerId === this._producerId;
    }
    return transit.producerEpoch === this._producerEpoch && transit.producerId === this._producerId;
  }

  private validProducerEpochBump(transit: TxnTransitMetadata): boolean {
    return transit.producerEpoch === toShort(this._producerEpoch + 1) || (transit.producerEpoch === 0 && transit.producerId !== this._producerId);
  }

  private transitionFailure(transit: TxnTransitMetadata): never {
    throw new TransactionStateError(
      `${this.describe()} failed transition to ${TRANSACTION_STATE_NAMES[transit.txnState]} (producerId ${transit.producerId}, epoch ${transit.producerEpoch}) due to unexpected metadata`,
    );
  }

  private describe(): string {
    return `TransactionalId ${this.transactionalId} (state ${TRANSACTION_STATE_NAMES[this._state]}, producerId ${this._producerId}, epoch ${this._producerEpoch})`;
  }
}

/** Java's (short) cast: int16 wrap-around. */
function toShort(n: number): number {
  return (n << 16) >> 16;
}
