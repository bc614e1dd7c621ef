import { describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import type { ClientTransport } from '../../src/client/transport.js';
import type { TxnMarker } from '../../src/client/txn-admin-types.js';
import { ErrorCode } from '../../src/errors.js';
import { RawTxnProducer } from '../helpers/raw-transactions.js';
import { TRANSPORTS, sluicePerTest } from './helpers.js';

/** A transport with only the transaction admin calls, answering from the given functions. */
function transport(calls: Partial<ClientTransport>): ClientTransport {
  return calls as ClientTransport;
}

describe('Admin transaction methods', () => {
  it('describeTransactions gives Java-shaped descriptions, null start time when none is open, errors as values', async () => {
    const asked: string[][] = [];
    const admin = new Admin(
      transport({
        describeTransactions: async (ids) => {
          asked.push(ids);
          return [
            {
              transactionalId: 'a',
              errorCode: 0,
              transactionState: 'Ongoing',
              transactionTimeoutMs: 60_000,
              transactionStartTimeMs: 1_700_000_000_000n,
              producerId: 4n,
              producerEpoch: 1,
              topics: [{ topic: 't', partitions: [0, 2] }],
              coordinatorId: 3,
            },
            {
              transactionalId: 'b',
              errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND,
              transactionState: '',
              transactionTimeoutMs: 0,
              transactionStartTimeMs: -1n,
              producerId: -1n,
              producerEpoch: -1,
              topics: [],
              coordinatorId: 3,
            },
          ];
        },
      }),
    );
    const [a, b] = await admin.describeTransactions(['a', 'b', 'a']);
    expect(asked).toEqual([['a', 'b']]);
    expect(a).toEqual({
      transactionalId: 'a',
      errorCode: 0,
      coordinatorId: 3,
      state: 'Ongoing',
      producerId: 4n,
      producerEpoch: 1,
      transactionTimeoutMs: 60_000,
      transactionStartTimeMs: 1_700_000_000_000n,
      topicPartitions: [
        { topic: 't', partition: 0 },
        { topic: 't', partition: 2 },
      ],
    });
    expect(b).toMatchObject({ transactionalId: 'b', errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionStartTimeMs: null, topicPartitions: [] });
  });

  it('listTransactions passes the state, producer id and duration filters; no duration filter is -1', async () => {
    const filters: unknown[] = [];
    const admin = new Admin(
      transport({
        listTransactions: async (filter) => {
          filters.push(filter);
          return { transactions: [{ transactionalId: 'x', producerId: 9n, transactionState: 'Ongoing', coordinatorId: 0 }], unknownStateFilters: [] };
        },
      }),
    );
    expect(await admin.listTransactions()).toEqual([{ transactionalId: 'x', producerId: 9n, state: 'Ongoing', coordinatorId: 0 }]);
    await admin.listTransactions({ states: ['Ongoing'], producerIds: [9, '10', 11n], durationMs: 5_000 });
    expect(filters).toEqual([
      { stateFilters: [], producerIdFilters: [], durationFilterMs: -1n },
      { stateFilters: ['Ongoing'], producerIdFilters: [9n, 10n, 11n], durationFilterMs: 5_000n },
    ]);
  });

  it('describeProducers maps "none" values to null and throws on a failed partition', async () => {
    const admin = new Admin(
      transport({
        describeProducers: async (topics) =>
          topics.map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) =>
              t.name === 'gone'
                ? { partitionIndex, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: 'moved', activeProducers: [] }
                : {
                    partitionIndex,
                    errorCode: 0,
                    errorMessage: null,
                    activeProducers: [
                      { producerId: 1n, producerEpoch: 0, lastSequence: 3, lastTimestamp: 5n, coordinatorEpoch: -1, currentTxnStartOffset: -1n },
                    ],
                  },
            ),
          })),
      }),
    );
    expect(await admin.describeProducers([{ topic: 't', partition: 1 }])).toEqual([
      {
        topic: 't',
        partition: 1,
        activeProducers: [
          { producerId: 1n, producerEpoch: 0, lastSequence: 3, lastTimestamp: 5n, coordinatorEpoch: null, currentTransactionStartOffset: null },
        ],
      },
    ]);
    await expect(admin.describeProducers([{ topic: 'gone', partition: 0 }])).rejects.toMatchObject({ errorName: 'NOT_LEADER_OR_FOLLOWER' });
  });

  it('abortTransaction writes one ABORT marker for the producer on the partition and throws the broker error', async () => {
    const sent: TxnMarker[][] = [];
    let answer: number = ErrorCode.NONE;
    const admin = new Admin(
      transport({
        writeTxnMarkers: async (markers) => {
          sent.push(markers);
          return markers.map((m) => ({
            producerId: m.producerId,
            topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: answer })) })),
          }));
        },
      }),
    );
    await admin.abortTransaction({ topic: 't', partition: 2, producerId: 77, producerEpoch: 3, coordinatorEpoch: 5 });
    expect(sent).toEqual([
      [{ producerId: 77n, producerEpoch: 3, transactionResult: false, coordinatorEpoch: 5, topics: [{ name: 't', partitionIndexes: [2] }] }],
    ]);
    answer = ErrorCode.TRANSACTION_COORDINATOR_FENCED;
    await expect(admin.abortTransaction({ topic: 't', partition: 2, producerId: 77n, producerEpoch: 3, coordinatorEpoch: 4 })).rejects.toMatchObject({
      errorName: 'TRANSACTION_COORDINATOR_FENCED',
    });
  });
});

describe.each(TRANSPORTS)('Admin transaction methods against a Sluice over the %s transport', (kind) => {
  const open = sluicePerTest(kind);

  it('describes, lists and shows the producers of an open transaction, then aborts it on its partition', async () => {
    const { sluice } = await open();
    const admin = sluice.admin();
    await admin.createTopics({ topics: [{ topic: 'pay', numPartitions: 2 }] });
    const p = await RawTxnProducer.init(sluice, 'pay-1');
    await p.send('pay', 1, ['a', 'b']);

    const [d] = await admin.describeTransactions(['pay-1']);
    expect(d).toMatchObject({
      transactionalId: 'pay-1',
      errorCode: 0,
      coordinatorId: sluice.broker.brokerId,
      state: 'Ongoing',
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      topicPartitions: [{ topic: 'pay', partition: 1 }],
    });
    expect(d!.transactionStartTimeMs).not.toBeNull();
    expect(await admin.listTransactions({ states: ['Ongoing'] })).toEqual([
      { transactionalId: 'pay-1', producerId: p.producerId, state: 'Ongoing', coordinatorId: sluice.broker.brokerId },
    ]);
    expect(await admin.listTransactions({ states: ['CompleteCommit'] })).toEqual([]);
    const [none] = await admin.describeTransactions(['never']);
    expect(none!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);

    const [producers] = await admin.describeProducers([{ topic: 'pay', partition: 1 }]);
    const mine = producers!.activeProducers.find((x) => x.producerId === p.producerId);
    expect(mine).toMatchObject({ producerEpoch: p.producerEpoch, lastSequence: 1, currentTransactionStartOffset: 0n });

    await expect(
      admin.abortTransaction({ topic: 'pay', partition: 1, producerId: p.producerId, producerEpoch: p.producerEpoch - 1, coordinatorEpoch: 0 }),
    ).rejects.toMatchObject({ errorName: 'INVALID_PRODUCER_EPOCH' });
    await admin.abortTransaction({ topic: 'pay', partition: 1, producerId: p.producerId, producerEpoch: p.producerEpoch, coordinatorEpoch: 0 });
    const [after] = await admin.describeProducers([{ topic: 'pay', partition: 1 }]);
    expect(after!.activeProducers.find((x) => x.producerId === p.producerId)!.currentTransactionStartOffset).toBeNull();
    await expect(admin.describeProducers([{ topic: 'nope', partition: 0 }])).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });
});
