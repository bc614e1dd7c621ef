/**
 * Transactional offset commits (TxnOffsetCommit, KIP-98 / KIP-447) on an in-memory storage that
 * has the Broker's transaction surface: offsets are pending until the producer's marker reaches
 * the group's partition of __consumer_offsets, OffsetFetch with requireStable sees them as
 * unstable, the member checks of v3+, and replay of committed, aborted and open transactions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type ErrorName } from '../../src/errors.js';
import { GroupCoordinator, OFFSETS_TOPIC, type TxnOffsetCommitRequest } from '../../src/group/coordinator.js';
import { memoryLogger, quietLogger } from '../helpers/logger.js';
import { openCoordinator, stableGroup, TEST_CONFIG, testClock } from './harness.js';
import { MemoryStorage } from './memory-storage.js';

const opened: GroupCoordinator[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.shutdown();
});

async function setup(): Promise<{ storage: MemoryStorage; c: GroupCoordinator }> {
  const storage = new MemoryStorage([{ name: 't', numPartitions: 4 }]);
  const c = await openCoordinator(storage);
  opened.push(c);
  return { storage, c };
}

async function reopen(previous: GroupCoordinator, storage: MemoryStorage): Promise<GroupCoordinator> {
  previous.shutdown();
  const c = await GroupCoordinator.open(storage, TEST_CONFIG, quietLogger(), { clock: testClock() });
  opened.push(c);
  return c;
}

function txnCommit(groupId: string, producerId: bigint, offsets: Record<number, bigint>, over: Partial<TxnOffsetCommitRequest> = {}): TxnOffsetCommitRequest {
  return {
    transactionalId: `txn-${producerId}`,
    groupId,
    producerId,
    producerEpoch: 0,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [
      {
        name: 't',
        partitions: Object.entries(offsets).map(([p, o]) => ({
          partitionIndex: Number(p),
          committedOffset: o,
          committedLeaderEpoch: 3,
          committedMetadata: 'm',
        })),
      },
    ],
    ...over,
  };
}

async function expectTxnCommit(c: GroupCoordinator, r: TxnOffsetCommitRequest, errorCode = 0): Promise<void> {
  const res = await c.txnOffsetCommit(r);
  for (const t of res.topics) for (const p of t.partitions) expect(p.errorCode, `${t.name}-${p.partitionIndex}`).toBe(errorCode);
}

function plainCommit(c: GroupCoordinator, groupId: string, partition: number, offset: bigint): void {
  const res = c.commitOffsets({
    groupId,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [
      {
        name: 't',
        partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null, commitTimestamp: -1n }],
      },
    ],
  });
  expect(res[0]!.partitions[0]!.errorCode).toBe(0);
}

/** Committed offsets by partition of topic t, as OffsetFetch answers them (-1: none). */
function fetched(c: GroupCoordinator, groupId: string, partitions = [0, 1, 2, 3], requireStable = false): Record<number, bigint | string> {
  const r = c.fetchOffsets(groupId, [{ name: 't', partitionIndexes: partitions }], requireStable);
  expect(r.errorCode).toBe(0);
  const out: Record<number, bigint | string> = {};
  for (const p of r.topics[0]!.partitions) out[p.partitionIndex] = p.errorCode === 0 ? p.committedOffset : `error ${p.errorCode}`;
  return out;
}

function marker(storage: MemoryStorage, c: GroupCoordinator, groupId: string, producerId: bigint, committed: boolean): void {
  storage.writeMarker(OFFSETS_TOPIC, c.partitionFor(groupId)!, producerId, 0, committed);
}

const UNSTABLE = `error ${ErrorCode.UNSTABLE_OFFSET_COMMIT}`;

describe('TxnOffsetCommit and transaction markers', () => {
  it('offsets committed in a transaction are invisible until its COMMIT marker, then they are the committed offsets', async () => {
    const { storage, c } = await setup();
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n, 1: 20n }));
    expect(fetched(c, 'g', [0, 1])).toEqual({ 0: -1n, 1: -1n });
    const batch = storage.batches(OFFSETS_TOPIC, c.partitionFor('g')!).at(-1)!;
    expect(batch).toMatchObject({ isTransactional: true, producerId: 7n, producerEpoch: 0 });

    marker(storage, c, 'g', 7n, true);
    expect(fetched(c, 'g', [0, 1])).toEqual({ 0: 10n, 1: 20n });
    const p0 = c.fetchOffsets('g', null).topics[0]!.partitions.find((p) => p.partitionIndex === 0)!;
    expect(p0).toMatchObject({ committedLeaderEpoch: 3, metadata: 'm' });
  });

  it('an ABORT marker drops the transaction offsets and keeps the offsets committed before', async () => {
    const { storage, c } = await setup();
    plainCommit(c, 'g', 0, 5n);
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n, 1: 20n }));
    marker(storage, c, 'g', 7n, false);
    expect(fetched(c, 'g', [0, 1], true)).toEqual({ 0: 5n, 1: -1n });
    // A later COMMIT of the same producer (a new transaction without offsets) brings nothing back.
    marker(storage, c, 'g', 7n, true);
    expect(fetched(c, 'g', [0, 1])).toEqual({ 0: 5n, 1: -1n });
  });

  it('OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT for partitions of an open transaction, and offsets once it commits', async () => {
    const { storage, c } = await setup();
    plainCommit(c, 'g', 2, 2n);
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n }));
    expect(fetched(c, 'g', [0, 2], true)).toEqual({ 0: UNSTABLE, 2: 2n });
    expect(fetched(c, 'g', [0, 2], false)).toEqual({ 0: -1n, 2: 2n });
    marker(storage, c, 'g', 7n, true);
    expect(fetched(c, 'g', [0, 2], true)).toEqual({ 0: 10n, 2: 2n });
  });

  it('a marker completes only its own producer offsets, and only for groups in the partition it was written to', async () => {
    const { storage, c } = await setup();
    // Two groups in different partitions of __consumer_offsets (3 partitions in TEST_CONFIG).
    const [a, b] = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'].reduce<string[]>(
      (found, g) => (found.length < 2 && !found.some((f) => c.partitionFor(f) === c.partitionFor(g)) ? [...found, g] : found),
      [],
    ) as [string, string];
    await expectTxnCommit(c, txnCommit(a, 7n, { 0: 10n }));
    await expectTxnCommit(c, txnCommit(b, 7n, { 0: 11n }));
    await expectTxnCommit(c, txnCommit(a, 8n, { 1: 12n }));

    marker(storage, c, a, 7n, true);
    expect(fetched(c, a, [0, 1], true)).toEqual({ 0: 10n, 1: UNSTABLE });
    expect(fetched(c, b, [0], true)).toEqual({ 0: UNSTABLE });
    marker(storage, c, b, 7n, true);
    marker(storage, c, a, 8n, false);
    expect(fetched(c, a, [0, 1], true)).toEqual({ 0: 10n, 1: -1n });
    expect(fetched(c, b, [0], true)).toEqual({ 0: 11n });
  });

  it('a plain OffsetCommit written after the transactional one wins when the transaction commits', async () => {
    const { storage, c } = await setup();
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n, 1: 20n }));
    plainCommit(c, 'g', 0, 99n);
    expect(fetched(c, 'g', [0, 1], true)).toEqual({ 0: UNSTABLE, 1: UNSTABLE });
    marker(storage, c, 'g', 7n, true);
    expect(fetched(c, 'g', [0, 1])).toEqual({ 0: 99n, 1: 20n });
  });

  it('a committed transaction replaces a plain commit written before its offsets', async () => {
    const { storage, c } = await setup();
    plainCommit(c, 'g', 0, 99n);
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n }));
    marker(storage, c, 'g', 7n, true);
    expect(fetched(c, 'g', [0])).toEqual({ 0: 10n });
  });

  it('a group that does not exist yet is created by a commit without a generation', async () => {
    const { storage, c } = await setup();
    await expectTxnCommit(c, txnCommit('new', 7n, { 0: 1n }));
    expect(c.groupState('new')).toBe('Empty');
    expect(c.listGroups().groups.map((g) => g.groupId)).toEqual(['new']);
    marker(storage, c, 'new', 7n, true);
    expect(fetched(c, 'new', [0])).toEqual({ 0: 1n });
  });
});

describe('TxnOffsetCommit checks', () => {
  it('a generation for a group that does not exist is ILLEGAL_GENERATION, and the group is not created', async () => {
    const { c } = await setup();
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 1n }, { generationId: 1, memberId: 'm' }), ErrorCode.ILLEGAL_GENERATION);
    expect(c.groupState('g')).toBe('Dead');
  });

  it('members of a stable group commit with their generation; a stale generation, an unknown member and a fenced instance are refused', async () => {
    const { storage, c } = await setup();
    const { joins } = await stableGroup(c, 'g', 1, () => ({ groupInstanceId: 'i1' }));
    const m = joins[0]!;
    const member = { generationId: m.generationId, memberId: m.memberId, groupInstanceId: 'i1' };
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 1n }, { ...member, generationId: m.generationId + 1 }), ErrorCode.ILLEGAL_GENERATION);
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 1n }, { ...member, groupInstanceId: null, memberId: 'nobody' }), ErrorCode.UNKNOWN_MEMBER_ID);
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 1n }, { ...member, memberId: 'old-incarnation' }), ErrorCode.FENCED_INSTANCE_ID);
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 1n }, { ...member, groupInstanceId: 'i2' }), ErrorCode.UNKNOWN_MEMBER_ID);
    expect(fetched(c, 'g', [0], true)).toEqual({ 0: -1n });

    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 1n }, member));
    // Without member fields (TxnOffsetCommit v0–v2) a non-empty group accepts the commit too.
    await expectTxnCommit(c, txnCommit('g', 8n, { 1: 2n }));
    marker(storage, c, 'g', 7n, true);
    marker(storage, c, 'g', 8n, true);
    expect(fetched(c, 'g', [0, 1])).toEqual({ 0: 1n, 1: 2n });
  });

  it('an empty group id is INVALID_GROUP_ID and an unknown partition UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const { c } = await setup();
    await expectTxnCommit(c, txnCommit('', 7n, { 0: 1n }), ErrorCode.INVALID_GROUP_ID);
    const res = await c.txnOffsetCommit({
      ...txnCommit('g', 7n, { 0: 1n }),
      topics: [
        { name: 't', partitions: [{ partitionIndex: 9, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] },
        { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] },
      ],
    });
    expect(res.topics.map((t) => t.partitions[0]!.errorCode)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  });

  it('metadata above offset.metadata.max.bytes is OFFSET_METADATA_TOO_LARGE for that partition only', async () => {
    const { storage, c } = await setup();
    const r = txnCommit('g', 7n, { 0: 1n, 1: 2n });
    r.topics[0]!.partitions[1]!.committedMetadata = 'x'.repeat(TEST_CONFIG.offsetMetadataMaxBytes + 1);
    const res = await c.txnOffsetCommit(r);
    expect(res.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([0, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
    marker(storage, c, 'g', 7n, true);
    expect(fetched(c, 'g', [0, 1])).toEqual({ 0: 1n, 1: -1n });
  });

  it('a failed append answers the mapped error and leaves nothing pending', async () => {
    const { storage, c } = await setup();
    storage.failAppendsWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 1n }), ErrorCode.NOT_COORDINATOR);
    storage.failAppendsWith = ErrorCode.INVALID_PRODUCER_EPOCH;
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 1n }), ErrorCode.INVALID_PRODUCER_EPOCH);
    storage.failAppendsWith = null;
    expect(fetched(c, 'g', [0], true)).toEqual({ 0: -1n });
    expect(c.groupState('g')).toBe('Dead');
  });
});

describe('TxnOffsetCommit verification with the transaction coordinator (KIP-890)', () => {
  it("asks whether the group's __consumer_offsets partition is in the producer's transaction; a refusal writes nothing", async () => {
    const { storage, c } = await setup();
    const asked: unknown[][] = [];
    let answer: ErrorName | null = 'INVALID_TXN_STATE';
    c.setTransactionVerifier({
      verifyPartition: (...args) => {
        asked.push(args);
        return Promise.resolve(answer);
      },
    });
    const written = storage.logEndOffset(OFFSETS_TOPIC, c.partitionFor('g')!);
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n }), ErrorCode.INVALID_TXN_STATE);
    expect(asked).toEqual([['txn-7', 7n, 0, OFFSETS_TOPIC, c.partitionFor('g')]]);
    answer = 'PRODUCER_FENCED';
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n }), ErrorCode.PRODUCER_FENCED);
    answer = 'NETWORK_EXCEPTION';
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n }), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(storage.logEndOffset(OFFSETS_TOPIC, c.partitionFor('g')!)).toBe(written);
    expect(fetched(c, 'g', [0], true)).toEqual({ 0: -1n });
    expect(c.groupState('g')).toBe('Dead');

    answer = null;
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n }));
    expect(fetched(c, 'g', [0], true)).toEqual({ 0: UNSTABLE });
  });

  it('a coordinator shut down while the verification is pending answers COORDINATOR_NOT_AVAILABLE and writes nothing', async () => {
    const { storage, c } = await setup();
    let release: (v: ErrorName | null) => void = () => undefined;
    c.setTransactionVerifier({ verifyPartition: () => new Promise((resolve) => (release = resolve)) });
    const pending = c.txnOffsetCommit(txnCommit('g', 7n, { 0: 10n }));
    c.shutdown();
    release(null);
    expect((await pending).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(storage.logEndOffset(OFFSETS_TOPIC, c.partitionFor('g')!)).toBe(0n);
  });
});

describe('deleting offsets of open transactions', () => {
  it('DeleteGroups drops pending transaction offsets: neither their COMMIT nor a restart brings them back', async () => {
    const { storage, c } = await setup();
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n }));
    expect(c.deleteGroups(['g'])).toEqual([{ groupId: 'g', errorCode: 0 }]);
    marker(storage, c, 'g', 7n, true);
    expect(fetched(c, 'g', [0], true)).toEqual({ 0: -1n });
    const again = await reopen(c, storage);
    expect(again.groupState('g')).toBe('Dead');
    expect(fetched(again, 'g', [0], true)).toEqual({ 0: -1n });
  });

  it('OffsetDelete drops the pending offsets of its partitions and keeps the others', async () => {
    const { storage, c } = await setup();
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n, 1: 11n }));
    expect(c.deleteOffsets('g', [{ name: 't', partitions: [0] }])).toEqual({
      errorCode: 0,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }],
    });
    expect(fetched(c, 'g', [0, 1], true)).toEqual({ 0: -1n, 1: UNSTABLE });
    marker(storage, c, 'g', 7n, true);
    expect(fetched(c, 'g', [0, 1])).toEqual({ 0: -1n, 1: 11n });
    const again = await reopen(c, storage);
    expect(fetched(again, 'g', [0, 1])).toEqual({ 0: -1n, 1: 11n });
  });

  it('offset expiry keeps a group whose only offsets are pending in a transaction', async () => {
    const { c } = await setup();
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n }));
    c.expireOffsets(Date.now() + TEST_CONFIG.offsetsRetentionMs * 10);
    expect(c.groupState('g')).toBe('Empty');
    expect(fetched(c, 'g', [0], true)).toEqual({ 0: UNSTABLE });
  });
});

describe('replay of transactional offset commits', () => {
  it('after a restart, committed transactions are visible, aborted ones are not, and open ones stay pending until their marker', async () => {
    const { storage, c } = await setup();
    plainCommit(c, 'g', 3, 3n);
    await expectTxnCommit(c, txnCommit('g', 1n, { 0: 10n }));
    await expectTxnCommit(c, txnCommit('g', 2n, { 1: 20n }));
    await expectTxnCommit(c, txnCommit('g', 3n, { 2: 30n }));
    await expectTxnCommit(c, txnCommit('g', 1n, { 0: 11n })); // same transaction, later offset
    marker(storage, c, 'g', 1n, true);
    marker(storage, c, 'g', 2n, false);
    await expectTxnCommit(c, txnCommit('only-pending', 4n, { 0: 40n }));
    const live = fetched(c, 'g', [0, 1, 2, 3], true);

    const again = await reopen(c, storage);
    expect(fetched(again, 'g', [0, 1, 2, 3], true)).toEqual(live);
    expect(live).toEqual({ 0: 11n, 1: -1n, 2: UNSTABLE, 3: 3n });
    expect(again.groupState('only-pending')).toBe('Empty');
    expect(fetched(again, 'only-pending', [0], true)).toEqual({ 0: UNSTABLE });

    // The transaction coordinator finishes the open transactions after the restart.
    marker(storage, again, 'g', 3n, true);
    marker(storage, again, 'only-pending', 4n, false);
    expect(fetched(again, 'g', [2], true)).toEqual({ 2: 30n });
    expect(fetched(again, 'only-pending', [0], true)).toEqual({ 0: -1n });
    const third = await reopen(again, storage);
    expect(fetched(third, 'g', [0, 1, 2, 3], true)).toEqual({ 0: 11n, 1: -1n, 2: 30n, 3: 3n });
  });

  it('after a restart a plain commit written after the transactional one still wins over its COMMIT', async () => {
    const { storage, c } = await setup();
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n, 1: 20n }));
    plainCommit(c, 'g', 0, 99n);
    marker(storage, c, 'g', 7n, true);
    const again = await reopen(c, storage);
    expect(fetched(again, 'g', [0, 1])).toEqual({ 0: 99n, 1: 20n });
  });

  it('an unreadable marker is reported and skipped: its transaction stays pending, the rest loads', async () => {
    const { storage, c } = await setup();
    plainCommit(c, 'g', 3, 3n);
    await expectTxnCommit(c, txnCommit('g', 7n, { 0: 10n }));
    const at = storage.appendControl(OFFSETS_TOPIC, c.partitionFor('g')!, 7n, 0, Buffer.from([0xff]));
    c.shutdown();
    const { logger, lines } = memoryLogger();
    const again = await GroupCoordinator.open(storage, TEST_CONFIG, logger, { clock: testClock() });
    opened.push(again);
    expect(fetched(again, 'g', [0, 3], true)).toEqual({ 0: UNSTABLE, 3: 3n });
    expect(again.stats().offsetsTopic.unreadableRecords).toBe(1);
    expect(lines).toContainEqual(expect.objectContaining({ partition: again.partitionFor('g'), offset: String(at) }));
  });
});
