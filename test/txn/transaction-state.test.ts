/**
 * The transaction state machine (transaction-state.ts, transaction-metadata.ts) against Kafka's table (TransactionState.validPreviousStates),
 * every prepare method from every state, whole lifecycles through prepare + complete, epoch
 * exhaustion (a new producer id), fencing, and the completion checks that refuse a transit
 * that does not match what was prepared.
 */
import { describe, expect, it } from 'vitest';
import {
  ALL_TRANSACTION_STATES,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  SHORT_MAX_VALUE,
  TRANSACTION_STATE_NAMES,
  TransactionState,
  VALID_PREVIOUS_STATES,
  isEpochExhausted,
  isExpirationAllowed,
  isTransactionState,
  isValidTransition,
  transactionStateFromName,
  type TopicPartition,
} from '../../src/txn/transaction-state.js';
import { TransactionMetadata, TransactionStateError, type TxnTransitMetadata } from '../../src/txn/transaction-metadata.js';
import { KafkaError } from '../../src/errors.js';

const S = TransactionState;
const T0: TopicPartition = { topic: 'out', partition: 0 };
const T1: TopicPartition = { topic: 'out', partition: 1 };
const TIMEOUT = 60_000;

/** Kafka's table, as written in TransactionState.java (Kafka's constant names). */
const KAFKA_TABLE: Record<string, string[]> = {
  EMPTY: ['EMPTY', 'COMPLETE_COMMIT', 'COMPLETE_ABORT'],
  ONGOING: ['ONGOING', 'EMPTY', 'COMPLETE_COMMIT', 'COMPLETE_ABORT'],
  PREPARE_COMMIT: ['ONGOING'],
  PREPARE_ABORT: ['ONGOING', 'PREPARE_EPOCH_FENCE', 'EMPTY', 'COMPLETE_COMMIT', 'COMPLETE_ABORT'],
  COMPLETE_COMMIT: ['PREPARE_COMMIT'],
  COMPLETE_ABORT: ['PREPARE_ABORT'],
  DEAD: ['EMPTY', 'COMPLETE_ABORT', 'COMPLETE_COMMIT'],
  PREPARE_EPOCH_FENCE: ['ONGOING'],
};
const KAFKA_IDS: Record<string, number> = {
  EMPTY: 0,
  ONGOING: 1,
  PREPARE_COMMIT: 2,
  PREPARE_ABORT: 3,
  COMPLETE_COMMIT: 4,
  COMPLETE_ABORT: 5,
  DEAD: 6,
  PREPARE_EPOCH_FENCE: 7,
};
const name = (s: TransactionState): string => TRANSACTION_STATE_NAMES[s];
const kafkaName = (s: TransactionState): string => Object.keys(KAFKA_IDS).find((k) => KAFKA_IDS[k] === s)!;
/** Whether Kafka's table (not ours) allows from → to. */
const kafkaAllows = (from: TransactionState, to: TransactionState): boolean => KAFKA_TABLE[kafkaName(to)]!.includes(kafkaName(from));

function metadataIn(state: TransactionState, opts: { epoch?: number; lastEpoch?: number; version?: number; producerId?: bigint } = {}): TransactionMetadata {
  const inTxn = state === S.Ongoing || state === S.PrepareCommit || state === S.PrepareAbort || state === S.PrepareEpochFence;
  return new TransactionMetadata({
    transactionalId: 'tx',
    producerId: opts.producerId ?? 10n,
    prevProducerId: NO_PRODUCER_ID,
    nextProducerId: NO_PRODUCER_ID,
    producerEpoch: opts.epoch ?? 5,
    lastProducerEpoch: opts.lastEpoch ?? NO_PRODUCER_EPOCH,
    txnTimeoutMs: TIMEOUT,
    state,
    topicPartitions: inTxn ? [T0] : [],
    txnStartTimestampMs: state === S.Empty ? -1 : 1000,
    txnLastUpdateTimestampMs: 1000,
    clientTransactionVersion: opts.version ?? 0,
  });
}

function prepareThenComplete(m: TransactionMetadata, prepare: (m: TransactionMetadata) => TxnTransitMetadata): TxnTransitMetadata {
  const transit = prepare(m);
  expect(m.pendingState).toBe(transit.txnState);
  m.completeTransitionTo(transit);
  expect(m.pendingState).toBeNull();
  expect(m.state).toBe(transit.txnState);
  return transit;
}

describe('the state table', () => {
  it('ids and names are Kafka’s, and every id maps back', () => {
    for (const [kafkaName, id] of Object.entries(KAFKA_IDS)) {
      expect(isTransactionState(id)).toBe(true);
      expect(
        name(id as TransactionState)
          .replace(/([a-z])([A-Z])/g, '$1_$2')
          .toUpperCase(),
      ).toBe(kafkaName);
      expect(transactionStateFromName(name(id as TransactionState))).toBe(id);
    }
    expect(isTransactionState(8)).toBe(false);
    expect(isTransactionState(-1)).toBe(false);
    expect(transactionStateFromName('Nope')).toBeUndefined();
  });

  it('every one of the 64 transitions is allowed exactly when Kafka’s validPreviousStates allows it', () => {
    for (const [to, froms] of Object.entries(KAFKA_TABLE)) {
      for (const from of Object.keys(KAFKA_IDS)) {
        const allowed = froms.includes(from);
        expect(isValidTransition(KAFKA_IDS[from] as TransactionState, KAFKA_IDS[to] as TransactionState), `${from} → ${to}`).toBe(allowed);
      }
      expect(VALID_PREVIOUS_STATES[KAFKA_IDS[to] as TransactionState].size).toBe(froms.length);
    }
  });

  it('expiration is allowed in Empty, CompleteCommit and CompleteAbort only', () => {
    expect(ALL_TRANSACTION_STATES.filter(isExpirationAllowed)).toEqual([S.Empty, S.CompleteCommit, S.CompleteAbort]);
  });
});

describe('every prepare method from every state', () => {
  const methods: { target: (from: TransactionState) => TransactionState; label: string; run: (m: TransactionMetadata) => TxnTransitMetadata }[] = [
    { label: 'prepareIncrementProducerEpoch', target: () => S.Empty, run: (m) => m.prepareIncrementProducerEpoch(TIMEOUT, null, 2000) },
    { label: 'prepareProducerIdRotation', target: () => S.Empty, run: (m) => m.prepareProducerIdRotation(11n, TIMEOUT, 2000, false) },
    { label: 'prepareAddPartitions', target: () => S.Ongoing, run: (m) => m.prepareAddPartitions([T1], 2000, 0) },
    {
      label: 'prepareAbortOrCommit(commit)',
      target: () => S.PrepareCommit,
      run: (m) => m.prepareAbortOrCommit(S.PrepareCommit, 0, NO_PRODUCER_ID, 2000, false),
    },
    { label: 'prepareAbortOrCommit(abort)', target: () => S.PrepareAbort, run: (m) => m.prepareAbortOrCommit(S.PrepareAbort, 2, NO_PRODUCER_ID, 2000, false) },
    { label: 'prepareComplete', target: (from) => (from === S.PrepareCommit ? S.CompleteCommit : S.CompleteAbort), run: (m) => m.prepareComplete(2000) },
    { label: 'prepareDead', target: () => S.Dead, run: (m) => m.prepareDead() },
    { label: 'prepareFenceProducerEpoch', target: () => S.PrepareEpochFence, run: (m) => m.prepareFenceProducerEpoch() },
  ];
  for (const method of methods) {
    for (const from of ALL_TRANSACTION_STATES) {
      const to = method.target(from);
      const allowed = kafkaAllows(from, to);
      it(`${method.label} from ${name(from)} ${allowed ? 'prepares' : 'is refused, leaving nothing pending,'} → ${name(to)}`, () => {
        const m = metadataIn(from);
        if (allowed) {
          expect(method.run(m).txnState).toBe(to);
          expect(m.pendingState).toBe(to);
          expect(m.state).toBe(from);
        } else {
          expect(() => method.run(m)).toThrow(TransactionStateError);
          expect(m.pendingState).toBeNull();
        }
      });
    }
  }

  it('no transition can be prepared while another is pending, until it completes or is cancelled', () => {
    const m = metadataIn(S.Ongoing);
    m.prepareAddPartitions([T1], 2000, 0);
    expect(() => m.prepareAbortOrCommit(S.PrepareCommit, 0, NO_PRODUCER_ID, 2000, false)).toThrow(/is pending/);
    m.cancelPendingTransition();
    expect(m.state).toBe(S.Ongoing);
    expect(m.topicPartitions).toEqual([T0]);
    expect(m.prepareAbortOrCommit(S.PrepareCommit, 0, NO_PRODUCER_ID, 2000, false).txnState).toBe(S.PrepareCommit);
  });

  it('a new id (no epoch yet) may expire, but nothing else may be prepared with a negative epoch', () => {
    const m = TransactionMetadata.create('fresh', 3n, TIMEOUT, 1000);
    expect(m.producerEpoch).toBe(NO_PRODUCER_EPOCH);
    expect(() => m.prepareAddPartitions([T0], 2000, 0)).toThrow(/Illegal new producer epoch -1/);
    expect(m.prepareDead().txnState).toBe(S.Dead);
  });
});

describe('lifecycles', () => {
  it('transactions V1: init, add, add, commit, markers; the epoch stays, partitions grow then clear', () => {
    const m = TransactionMetadata.create('tx', 10n, TIMEOUT, 1000);
    const init = prepareThenComplete(m, (x) => x.prepareIncrementProducerEpoch(TIMEOUT, null, 1000));
    expect(init).toMatchObject({ producerId: 10n, producerEpoch: 0, lastProducerEpoch: NO_PRODUCER_EPOCH, txnStartTimestampMs: -1, txnState: S.Empty });
    prepareThenComplete(m, (x) => x.prepareAddPartitions([T0], 2000, 0));
    expect(m.txnStartTimestampMs).toBe(2000);
    prepareThenComplete(m, (x) => x.prepareAddPartitions([T1, T0], 2500, 0));
    expect(m.txnStartTimestampMs).toBe(2000);
    expect(m.txnLastUpdateTimestampMs).toBe(2500);
    expect(m.topicPartitions).toEqual([T0, T1]);
    const commit = prepareThenComplete(m, (x) => x.prepareAbortOrCommit(S.PrepareCommit, 0, NO_PRODUCER_ID, 3000, false));
    expect(commit).toMatchObject({ producerEpoch: 0, txnStartTimestampMs: 2000, txnLastUpdateTimestampMs: 3000 });
    m.removePartition(T0);
    expect(m.hasPartition(T0)).toBe(false);
    const done = prepareThenComplete(m, (x) => x.prepareComplete(4000));
    expect(done).toMatchObject({ txnState: S.CompleteCommit, producerId: 10n, producerEpoch: 0, topicPartitions: [], txnLastUpdateTimestampMs: 4000 });
    // The next transaction starts from CompleteCommit.
    prepareThenComplete(m, (x) => x.prepareAddPartitions([T1], 5000, 0));
    expect(m.txnStartTimestampMs).toBe(5000);
    expect(() => m.removePartition(T1)).toThrow(TransactionStateError);
  });

  it('transactions V2 (KIP-890): every commit and abort bumps the epoch, the old one becomes the last epoch', () => {
    const m = metadataIn(S.Ongoing, { epoch: 3, version: 2 });
    const commit = prepareThenComplete(m, (x) => x.prepareAbortOrCommit(S.PrepareCommit, 2, NO_PRODUCER_ID, 2000, false));
    expect(commit).toMatchObject({ producerEpoch: 4, lastProducerEpoch: 3 });
    prepareThenComplete(m, (x) => x.prepareComplete(3000));
    expect([m.state, m.producerEpoch, m.producerId]).toEqual([S.CompleteCommit, 4, 10n]);
    // V2 may abort with no partition added, from a completed state: the start time is now.
    const abort = prepareThenComplete(m, (x) => x.prepareAbortOrCommit(S.PrepareAbort, 2, NO_PRODUCER_ID, 5000, true));
    expect(abort).toMatchObject({ producerEpoch: 5, lastProducerEpoch: 4, txnStartTimestampMs: 5000 });
    prepareThenComplete(m, (x) => x.prepareComplete(6000));
    expect([m.state, m.producerEpoch]).toEqual([S.CompleteAbort, 5]);
  });

  it('a V1 transit cannot complete the empty abort V2 allows (its start time changed)', () => {
    const m = metadataIn(S.CompleteCommit, { version: 0 });
    const transit = m.prepareAbortOrCommit(S.PrepareAbort, 0, NO_PRODUCER_ID, 5000, true);
    expect(() => m.completeTransitionTo(transit)).toThrow(/unexpected metadata/);
  });
});

describe('epoch exhaustion', () => {
  it('an epoch of Short.MAX_VALUE - 1 or more is exhausted', () => {
    expect(isEpochExhausted(SHORT_MAX_VALUE - 2)).toBe(false);
    expect(isEpochExhausted(SHORT_MAX_VALUE - 1)).toBe(true);
    expect(isEpochExhausted(SHORT_MAX_VALUE)).toBe(true);
  });

  it('InitProducerId bumps up to MAX_VALUE - 1, then must rotate to a new producer id at epoch 0', () => {
    const m = metadataIn(S.Empty, { epoch: SHORT_MAX_VALUE - 2 });
    prepareThenComplete(m, (x) => x.prepareIncrementProducerEpoch(TIMEOUT, null, 2000));
    expect(m.producerEpoch).toBe(SHORT_MAX_VALUE - 1);
    expect(m.isProducerEpochExhausted).toBe(true);
    expect(() => m.prepareIncrementProducerEpoch(TIMEOUT, null, 3000)).toThrow(/Cannot allocate any more producer epochs/);
    const rotated = prepareThenComplete(m, (x) => x.prepareProducerIdRotation(99n, 30_000, 3000, true));
    expect(rotated).toMatchObject({ producerId: 99n, prevProducerId: 10n, producerEpoch: 0, lastProducerEpoch: SHORT_MAX_VALUE - 1, txnTimeoutMs: 30_000 });
    expect([m.producerId, m.producerEpoch, m.isProducerEpochExhausted]).toEqual([99n, 0, false]);
  });

  it('a rotation without a request epoch records no last epoch, and is refused mid-transaction', () => {
    const m = metadataIn(S.CompleteAbort, { epoch: SHORT_MAX_VALUE - 1 });
    expect(m.prepareProducerIdRotation(99n, TIMEOUT, 3000, false).lastProducerEpoch).toBe(NO_PRODUCER_EPOCH);
    expect(() => metadataIn(S.Ongoing).prepareProducerIdRotation(99n, TIMEOUT, 3000, false)).toThrow(/still pending/);
  });

  it('V2: a commit at MAX_VALUE - 1 writes MAX_VALUE, then the markers move it to the next producer id at epoch 0', () => {
    const m = metadataIn(S.Ongoing, { epoch: SHORT_MAX_VALUE - 1, version: 2 });
    const prepared = prepareThenComplete(m, (x) => x.prepareAbortOrCommit(S.PrepareCommit, 2, 99n, 2000, false));
    expect(prepared).toMatchObject({ producerId: 10n, producerEpoch: SHORT_MAX_VALUE, lastProducerEpoch: SHORT_MAX_VALUE - 1, nextProducerId: 99n });
    const done = prepareThenComplete(m, (x) => x.prepareComplete(3000));
    expect(done).toMatchObject({
      producerId: 99n,
      prevProducerId: 10n,
      producerEpoch: 0,
      lastProducerEpoch: SHORT_MAX_VALUE - 1,
      nextProducerId: NO_PRODUCER_ID,
    });
    expect([m.producerId, m.producerEpoch, m.state]).toEqual([99n, 0, S.CompleteCommit]);
  });

  it('V2: an abort at MAX_VALUE goes through without a bump; a commit there is refused (the epoch would wrap)', () => {
    const aborting = metadataIn(S.Ongoing, { epoch: SHORT_MAX_VALUE, version: 2 });
    expect(prepareThenComplete(aborting, (x) => x.prepareAbortOrCommit(S.PrepareAbort, 2, NO_PRODUCER_ID, 2000, false)).producerEpoch).toBe(SHORT_MAX_VALUE);
    const committing = metadataIn(S.Ongoing, { epoch: SHORT_MAX_VALUE, version: 2 });
    expect(() => committing.prepareAbortOrCommit(S.PrepareCommit, 2, NO_PRODUCER_ID, 2000, false)).toThrow(/Illegal new producer epoch -32768/);
  });
});

describe('InitProducerId with an expected epoch (KIP-360)', () => {
  it('the current epoch bumps and is remembered; the last epoch is a retry and changes nothing', () => {
    const m = metadataIn(S.Empty, { epoch: 5, lastEpoch: NO_PRODUCER_EPOCH });
    expect(prepareThenComplete(m, (x) => x.prepareIncrementProducerEpoch(TIMEOUT, 5, 2000))).toMatchObject({ producerEpoch: 6, lastProducerEpoch: 5 });
    expect(prepareThenComplete(m, (x) => x.prepareIncrementProducerEpoch(TIMEOUT, 5, 2100))).toMatchObject({ producerEpoch: 6, lastProducerEpoch: 5 });
  });

  it('any other epoch is PRODUCER_FENCED, and nothing is left pending', () => {
    const m = metadataIn(S.CompleteCommit, { epoch: 6, lastEpoch: 5 });
    let err: unknown;
    try {
      m.prepareIncrementProducerEpoch(TIMEOUT, 4, 2000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).errorName).toBe('PRODUCER_FENCED');
    expect(m.pendingState).toBeNull();
  });

  it('an id with no epoch yet accepts any expected epoch and starts at 0', () => {
    const m = TransactionMetadata.create('tx', 10n, TIMEOUT, 1000);
    expect(m.prepareIncrementProducerEpoch(TIMEOUT, 7, 2000)).toMatchObject({ producerEpoch: 0, lastProducerEpoch: NO_PRODUCER_EPOCH });
  });
});

describe('fencing', () => {
  it('a new producer fences an ongoing transaction: epoch + 1, pending PrepareEpochFence, then an abort at that epoch', () => {
    const m = metadataIn(S.Ongoing, { epoch: 5, lastEpoch: 4 });
    const fence = m.prepareFenceProducerEpoch();
    expect(fence).toMatchObject({ txnState: S.PrepareEpochFence, producerEpoch: 6 });
    expect(m.pendingState).toBe(S.PrepareEpochFence);
    // PrepareEpochFence is never completed; the fence continues as an abort.
    expect(() => m.completeTransitionTo(fence)).toThrow(TransactionStateError);
    m.clearEpochFence(fence.producerEpoch);
    expect([m.state, m.producerEpoch, m.lastProducerEpoch, m.pendingState]).toEqual([S.Ongoing, 6, NO_PRODUCER_EPOCH, null]);
    expect(prepareThenComplete(m, (x) => x.prepareAbortOrCommit(S.PrepareAbort, 0, NO_PRODUCER_ID, 2000, false)).producerEpoch).toBe(6);
    prepareThenComplete(m, (x) => x.prepareComplete(3000));
    expect([m.state, m.producerEpoch]).toEqual([S.CompleteAbort, 6]);
    // The zombie's epoch 5 is neither the current nor the last epoch.
    expect(() => m.prepareIncrementProducerEpoch(TIMEOUT, 5, 4000)).toThrow(expect.objectContaining({ errorName: 'PRODUCER_FENCED' }));
  });

  it('a fence whose abort could not be written is not bumped again; a completed transition clears that', () => {
    const m = metadataIn(S.Ongoing, { epoch: 5 });
    m.clearEpochFence(m.prepareFenceProducerEpoch().producerEpoch);
    m.prepareAbortOrCommit(S.PrepareAbort, 0, NO_PRODUCER_ID, 2000, false);
    m.cancelPendingTransition();
    m.markEpochFenceFailed();
    expect(m.hasFailedEpochFence).toBe(true);
    const retry = m.prepareFenceProducerEpoch();
    expect(retry.producerEpoch).toBe(6);
    m.clearEpochFence(retry.producerEpoch);
    prepareThenComplete(m, (x) => x.prepareAbortOrCommit(S.PrepareAbort, 0, NO_PRODUCER_ID, 2000, false));
    prepareThenComplete(m, (x) => x.prepareComplete(3000));
    expect(m.hasFailedEpochFence).toBe(false);
  });

  it('fencing at MAX_VALUE - 1 aborts at MAX_VALUE; the next InitProducerId must rotate to a new producer id', () => {
    const m = metadataIn(S.Ongoing, { epoch: SHORT_MAX_VALUE - 1 });
    m.clearEpochFence(m.prepareFenceProducerEpoch().producerEpoch);
    expect(prepareThenComplete(m, (x) => x.prepareAbortOrCommit(S.PrepareAbort, 0, NO_PRODUCER_ID, 2000, false)).producerEpoch).toBe(SHORT_MAX_VALUE);
    prepareThenComplete(m, (x) => x.prepareComplete(3000));
    expect(() => m.prepareIncrementProducerEpoch(TIMEOUT, null, 4000)).toThrow(TransactionStateError);
    prepareThenComplete(m, (x) => x.prepareProducerIdRotation(77n, TIMEOUT, 4000, false));
    expect([m.producerId, m.producerEpoch, m.prevProducerId]).toEqual([77n, 0, 10n]);
  });

  it('a fence at MAX_VALUE keeps the epoch (no overflow)', () => {
    expect(metadataIn(S.Ongoing, { epoch: SHORT_MAX_VALUE }).prepareFenceProducerEpoch().producerEpoch).toBe(SHORT_MAX_VALUE);
  });

  it('clearEpochFence without a pending fence is refused', () => {
    expect(() => metadataIn(S.Ongoing).clearEpochFence(6)).toThrow(/no pending epoch fence/);
  });
});

describe('completeTransitionTo refuses a transit that does not match what was prepared', () => {
  const cases: {
    label: string;
    from: TransactionState;
    prepare: (m: TransactionMetadata) => TxnTransitMetadata;
    tamper: (t: TxnTransitMetadata) => TxnTransitMetadata;
  }[] = [
    {
      label: 'AddPartitions with another epoch',
      from: S.Ongoing,
      prepare: (m) => m.prepareAddPartitions([T1], 2000, 0),
      tamper: (t) => ({ ...t, producerEpoch: 9 }),
    },
    {
      label: 'AddPartitions with another producer id',
      from: S.Ongoing,
      prepare: (m) => m.prepareAddPartitions([T1], 2000, 0),
      tamper: (t) => ({ ...t, producerId: 11n }),
    },
    {
      label: 'AddPartitions that drops a partition',
      from: S.Ongoing,
      prepare: (m) => m.prepareAddPartitions([T1], 2000, 0),
      tamper: (t) => ({ ...t, topicPartitions: [T1] }),
    },
    {
      label: 'AddPartitions with another timeout',
      from: S.Ongoing,
      prepare: (m) => m.prepareAddPartitions([T1], 2000, 0),
      tamper: (t) => ({ ...t, txnTimeoutMs: 1 }),
    },
    {
      label: 'a transit of another state',
      from: S.Ongoing,
      prepare: (m) => m.prepareAddPartitions([T1], 2000, 0),
      tamper: (t) => ({ ...t, txnState: S.PrepareCommit }),
    },
    {
      label: 'InitProducerId with a start time',
      from: S.Empty,
      prepare: (m) => m.prepareIncrementProducerEpoch(TIMEOUT, null, 2000),
      tamper: (t) => ({ ...t, txnStartTimestampMs: 5 }),
    },
    {
      label: 'InitProducerId with partitions',
      from: S.Empty,
      prepare: (m) => m.prepareIncrementProducerEpoch(TIMEOUT, null, 2000),
      tamper: (t) => ({ ...t, topicPartitions: [T0] }),
    },
    {
      label: 'InitProducerId jumping two epochs',
      from: S.Empty,
      prepare: (m) => m.prepareIncrementProducerEpoch(TIMEOUT, null, 2000),
      tamper: (t) => ({ ...t, producerEpoch: 7 }),
    },
    {
      label: 'PrepareCommit with other partitions',
      from: S.Ongoing,
      prepare: (m) => m.prepareAbortOrCommit(S.PrepareCommit, 0, NO_PRODUCER_ID, 2000, false),
      tamper: (t) => ({ ...t, topicPartitions: [T0, T1] }),
    },
    {
      label: 'PrepareCommit with another start time',
      from: S.Ongoing,
      prepare: (m) => m.prepareAbortOrCommit(S.PrepareCommit, 0, NO_PRODUCER_ID, 2000, false),
      tamper: (t) => ({ ...t, txnStartTimestampMs: 1 }),
    },
    {
      label: 'V2 PrepareAbort not bumped from the current epoch',
      from: S.Ongoing,
      prepare: (m) => m.prepareAbortOrCommit(S.PrepareAbort, 2, NO_PRODUCER_ID, 2000, false),
      tamper: (t) => ({ ...t, lastProducerEpoch: 4 }),
    },
    {
      label: 'CompleteCommit with no start time',
      from: S.PrepareCommit,
      prepare: (m) => m.prepareComplete(2000),
      tamper: (t) => ({ ...t, txnStartTimestampMs: -1 }),
    },
    { label: 'CompleteAbort with another epoch', from: S.PrepareAbort, prepare: (m) => m.prepareComplete(2000), tamper: (t) => ({ ...t, producerEpoch: 6 }) },
  ];
  for (const c of cases) {
    it(`${c.label}, and leaves the metadata and its pending state as they were`, () => {
      const m = metadataIn(c.from);
      const transit = c.prepare(m);
      const before = m.prepareNoTransit();
      expect(() => m.completeTransitionTo(c.tamper(transit))).toThrow(TransactionStateError);
      expect(m.state).toBe(c.from);
      expect(m.pendingState).toBe(transit.txnState);
      expect(m.prepareNoTransit()).toEqual(before);
      m.completeTransitionTo(transit); // the untampered one still completes
    });
  }

  it('with nothing pending', () => {
    const m = metadataIn(S.Ongoing);
    expect(() => m.completeTransitionTo(m.prepareNoTransit())).toThrow(/none is pending/);
  });

  it('Dead: an expiring id is removed, never completed to Dead', () => {
    const m = metadataIn(S.CompleteCommit);
    expect(() => m.completeTransitionTo(m.prepareDead())).toThrow(/never completed/);
  });
});
