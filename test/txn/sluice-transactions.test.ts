/**
 * Transactions through an embedded Sluice: the coordinator is opened with the broker and the
 * group coordinator (Sluice.txns), offsets sent with a transaction reach the group only when
 * it commits, and a transaction prepared before a restart is completed by Sluice.open.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { Sluice } from '../../src/sluice.js';
import { quietLogger } from '../helpers/logger.js';
import { removeDir, tempDir } from '../helpers/storage.js';

let dir: string;
let sluice: Sluice;

beforeEach(async () => {
  dir = tempDir('sluice-txn');
  sluice = await Sluice.open({
    dir,
    logger: quietLogger(),
    backgroundTasks: false,
    'offsets.topic.num.partitions': 2,
    'transaction.state.log.num.partitions': 2,
  });
  await sluice.broker.createTopics(
    [
      { name: 'in', numPartitions: 1, replicationFactor: 1 },
      { name: 'out', numPartitions: 1, replicationFactor: 1 },
    ],
    false,
  );
});

afterEach(async () => {
  await sluice.close();
  removeDir(dir);
});

/** A transaction that writes one record to `out` and commits offset 42 of `in`-0 for group `g`. */
async function transaction(transactionalId: string, committed: boolean): Promise<void> {
  const { txns, groups, broker } = sluice;
  expect(await txns.findCoordinator(transactionalId)).toBe(ErrorCode.NONE);
  const p = await txns.initProducerId({ transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  expect(p.errorCode).toBe(ErrorCode.NONE);
  const ids = { transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch };
  expect((await txns.addPartitionsToTxn({ ...ids, topics: [{ name: 'out', partitions: [0] }] })).topics[0]!.partitions[0]!.errorCode).toBe(0);
  const batch = encodeRecordBatch([{ value: 'v' }], { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, isTransactional: true });
  const [produced] = await broker.produce(-1, 1000, [{ name: 'out', partitions: [{ index: 0, records: batch }] }], { transactionalId });
  expect(produced!.partitions[0]!.errorCode).toBe(0);
  expect((await txns.addOffsetsToTxn({ ...ids, groupId: 'g' })).errorCode).toBe(ErrorCode.NONE);
  const committedOffsets = await groups.txnOffsetCommit({
    transactionalId,
    groupId: 'g',
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  expect(committedOffsets.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
  expect((await txns.endTxn({ ...ids, committed })).errorCode).toBe(ErrorCode.NONE);
}

const committedOffset = () => sluice.groups.fetchOffsets('g', [{ name: 'in', partitionIndexes: [0] }]).topics[0]!.partitions[0]!.committedOffset;

describe('Sluice.txns', () => {
  it('makes offsets sent with a transaction visible to the group when it commits', async () => {
    await transaction('eos', true);
    expect(committedOffset()).toBe(42n);
    expect(sluice.broker.partition('out', 0)!.lastStableOffset).toBe(2n);
  });

  it('drops offsets sent with a transaction that aborts', async () => {
    await transaction('eos-abort', false);
    expect(committedOffset()).toBe(-1n);
    expect(sluice.broker.partition('out', 0)!.lastStableOffset).toBe(2n);
  });

  it('keeps the coordinator state across close and open', async () => {
    await transaction('durable', true);
    await sluice.close();
    sluice = await Sluice.open({ dir, logger: quietLogger(), backgroundTasks: false });
    expect(sluice.txns.describeTransactions(['durable'])[0]).toMatchObject({ errorCode: 0, transactionState: 'CompleteCommit', producerEpoch: 0 });
    expect(committedOffset()).toBe(42n);
  });
});
