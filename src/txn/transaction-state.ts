/**
 * The transaction state machine of one transactional id, as data (transaction-coordinator/
 * .../TransactionState.java, Kafka 4.x), and the epoch constants its transitions use. The
 * transitions themselves are TransactionMetadata's (transaction-metadata.ts).
 *
 *   state              id  may follow                                        expires
 *   Empty               0  Empty, CompleteCommit, CompleteAbort                  yes
 *   Ongoing             1  Ongoing, Empty, CompleteCommit, CompleteAbort         no
 *   PrepareCommit       2  Ongoing                                               no
 *   PrepareAbort        3  Ongoing, PrepareEpochFence, Empty, CompleteCommit,    no
 *                          CompleteAbort  (the last three: transactions V2 only)
 *   CompleteCommit      4  PrepareCommit                                         yes
 *   CompleteAbort       5  PrepareAbort                                          yes
 *   Dead                6  Empty, CompleteAbort, CompleteCommit                  no
 *   PrepareEpochFence   7  Ongoing (never completed: only ever a pending state)  no
 *
 * The id is the byte `__transaction_state` stores (TransactionLogValue.TransactionStatus);
 * the name is what DescribeTransactions and ListTransactions report.
 */
export const TransactionState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TransactionState = (typeof TransactionState)[keyof typeof TransactionState];

/** Every state, by id. */
export const ALL_TRANSACTION_STATES: readonly TransactionState[] = [0, 1, 2, 3, 4, 5, 6, 7];

/** Kafka's state names, as DescribeTransactions and ListTransactions spell them. */
export const TRANSACTION_STATE_NAMES: Readonly<Record<TransactionState, string>> = {
  0: 'Empty',
  1: 'Ongoing',
  2: 'PrepareCommit',
  3: 'PrepareAbort',
  4: 'CompleteCommit',
  5: 'CompleteAbort',
  6: 'Dead',
  7: 'PrepareEpochFence',
};

const S = TransactionState;

/** Kafka's TransactionState.validPreviousStates. */
export const VALID_PREVIOUS_STATES: Readonly<Record<TransactionState, ReadonlySet<TransactionState>>> = {
  [S.Empty]: new Set([S.Empty, S.CompleteCommit, S.CompleteAbort]),
  [S.Ongoing]: new Set([S.Ongoing, S.Empty, S.CompleteCommit, S.CompleteAbort]),
  [S.PrepareCommit]: new Set([S.Ongoing]),
  [S.PrepareAbort]: new Set([S.Ongoing, S.PrepareEpochFence, S.Empty, S.CompleteCommit, S.CompleteAbort]),
  [S.CompleteCommit]: new Set([S.PrepareCommit]),
  [S.CompleteAbort]: new Set([S.PrepareAbort]),
  [S.Dead]: new Set([S.Empty, S.CompleteAbort, S.CompleteCommit]),
  [S.PrepareEpochFence]: new Set([S.Ongoing]),
};

/** States in which `transactional.id.expiration.ms` may remove the id. */
const EXPIRATION_ALLOWED: ReadonlySet<TransactionState> = new Set([S.Empty, S.CompleteCommit, S.CompleteAbort]);

export function isValidTransition(from: TransactionState, to: TransactionState): boolean {
  return VALID_PREVIOUS_STATES[to].has(from);
}

export function isExpirationAllowed(state: TransactionState): boolean {
  return EXPIRATION_ALLOWED.has(state);
}

export function isTransactionState(id: number): id is TransactionState {
  return Number.isInteger(id) && id >= 0 && id <= 7;
}

export function transactionStateFromName(name: string): TransactionState | undefined {
  return ALL_TRANSACTION_STATES.find((s) => TRANSACTION_STATE_NAMES[s] === name);
}

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const SHORT_MAX_VALUE = 0x7fff;
/** The feature level of KIP-890 part 2 (transaction.version 2): epoch bump on every end. */
export const TRANSACTION_VERSION_EPOCH_BUMP = 2;

/** Kafka keeps MAX_VALUE for fencing: a client never gets an epoch above MAX_VALUE - 1. */
export function isEpochExhausted(producerEpoch: number): boolean {
  return producerEpoch >= SHORT_MAX_VALUE - 1;
}

export function supportsEpochBump(clientTransactionVersion: number): boolean {
  return clientTransactionVersion >= TRANSACTION_VERSION_EPOCH_BUMP;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}
