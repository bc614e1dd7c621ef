/**
 * The transactional producer's state machine (transaction-manager.ts) and its use by the
 * Producer's sender, against a fake transport that scripts the coordinators' answers.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, KafkaError } from '../../src/errors.js';
import { Producer } from '../../src/client/producer.js';
import { ProducerFencedError, TransactionManager, TransactionStateError } from '../../src/client/transaction-manager.js';
import type { ClientTransport, TxnOffsetCommitRequest, TxnPartitionResults } from '../../src/client/transport.js';
import type { InitProducerIdRequest, ProduceTopicData } from '../../src/broker/types.js';

type Call =
  | { api: 'InitProducerId'; request: InitProducerIdRequest }
  | { api: 'AddPartitionsToTxn'; topics: { name: string; partitions: number[] }[]; producerEpoch: number }
  | { api: 'AddOffsetsToTxn'; groupId: string }
  | { api: 'EndTxn'; committed: boolean; producerEpoch: number }
  | { api: 'TxnOffsetCommit'; request: TxnOffsetCommitRequest }
  | { api: 'Produce'; topicData: ProduceTopicData[]; transactionalId: string | null };

/** Answers every request with NONE unless a scripted error code is queued for its API. */
class FakeCoordinators {
  readonly calls: Call[] = [];
  private readonly scripted = new Map<string, number[]>();
  producerId = 7n;
  epoch = 0;
  /** Held AddPartitionsToTxn answers (released by `release`). */
  holdAdds = false;
  private held: (() => void)[] = [];

  script(api: string, ...codes: number[]): void {
    this.scripted.set(api, [...(this.scripted.get(api) ?? []), ...codes]);
  }

  private next(api: string): number {
    return this.scripted.get(api)?.shift() ?? ErrorCode.NONE;
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }

  of<A extends Call['api']>(api: A): Extract<Call, { api: A }>[] {
    return this.calls.filter((c): c is Extract<Call, { api: A }> => c.api === api);
  }

  transport(): ClientTransport {
    const partitionResults = (topics: { name: string; partitions: number[] }[], code: number): TxnPartitionResults => ({
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p, errorCode: code })) })),
    });
    const t: Partial<ClientTransport> = {
      kind: 'in-process',
      partitionCount: () => 4,
      metadata: async () => ({ brokers: [], clusterId: '', controllerId: 0, topics: [] }),
      initProducerId: async (request) => {
        this.calls.push({ api: 'InitProducerId', request });
        const code = this.next('InitProducerId');
        if (code !== ErrorCode.NONE) return { errorCode: code, errorMessage: null, producerId: -1n, producerEpoch: -1 };
        if (request.producerId !== undefined && request.producerId >= 0n) this.epoch++;
        return { errorCode: ErrorCode.NONE, errorMessage: null, producerId: this.producerId, producerEpoch: this.epoch };
      },
      addPartitionsToTxn: async (r) => {
        this.calls.push({ api: 'AddPartitionsToTxn', topics: r.topics, producerEpoch: r.producerEpoch });
        if (this.holdAdds) await new Promise<void>((resolve) => this.held.push(resolve));
        return partitionResults(r.topics, this.next('AddPartitionsToTxn'));
      },
      addOffsetsToTxn: async (r) => {
        this.calls.push({ api: 'AddOffsetsToTxn', groupId: r.groupId });
        return { errorCode: this.next('AddOffsetsToTxn') };
      },
      endTxn: async (r) => {
        this.calls.push({ api: 'EndTxn', committed: r.committed, producerEpoch: r.producerEpoch });
        return { errorCode: this.next('EndTxn') };
      },
      txnOffsetCommit: async (request) => {
        this.calls.push({ api: 'TxnOffsetCommit', request });
        return partitionResults(
          request.topics.map((x) => ({ name: x.name, partitions: x.partitions.map((p) => p.partitionIndex) })),
          this.next('TxnOffsetCommit'),
        );
      },
      produce: async (_acks, _timeoutMs, topicData, options) => {
        this.calls.push({ api: 'Produce', topicData, transactionalId: options?.transactionalId ?? null });
        const code = this.next('Produce');
        return topicData.map((td) => ({
          name: td.name,
          partitions: td.partitions.map((p) => ({
            index: p.index,
            errorCode: code,
            baseOffset: code === ErrorCode.NONE ? 0n : -1n,
            logAppendTimeMs: -1n,
            logStartOffset: 0n,
            recordErrors: [],
            errorMessage: null,
          })),
        }));
      },
    };
    return t as ClientTransport;
  }
}

function manager(fake: FakeCoordinators, maxBlockMs = 60_000): TransactionManager {
  return new TransactionManager(fake.transport(), { transactionalId: 'tx-1', transactionTimeoutMs: 30_000, retryBackoffMs: 1, maxBlockMs });
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TransactionManager', () => {
  it('gets the producer id with InitProducerId carrying the transactional id and timeout', async () => {
    const fake = new FakeCoordinators();
    const m = manager(fake);
    await Promise.all([m.initTransactions(), m.initTransactions()]);
    expect(fake.of('InitProducerId')).toHaveLength(1);
    expect(fake.of('InitProducerId')[0]!.request).toMatchObject({ transactionalId: 'tx-1', transactionTimeoutMs: 30_000, producerId: -1n, producerEpoch: -1 });
    expect(m.identity).toEqual({ producerId: 7n, producerEpoch: 0 });
    expect(m.state).toBe('READY');
  });

  it('refuses a second transaction while one is open', async () => {
    const m = manager(new FakeCoordinators());
    await m.initTransactions();
    m.beginTransaction();
    expect(() => m.beginTransaction()).toThrow(TransactionStateError);
  });

  it('refuses sends outside a transaction', async () => {
    const m = manager(new FakeCoordinators());
    await m.initTransactions();
    expect(() => m.checkSend()).toThrow(TransactionStateError);
  });

  it('adds the partitions asked for together in one AddPartitionsToTxn and allows their batches only once added', async () => {
    const fake = new FakeCoordinators();
    const m = manager(fake);
    let changes = 0;
    m.onChange(() => changes++);
    await m.initTransactions();
    m.beginTransaction();
    expect(m.maySend('a', 0)).toBe(false);
    expect(m.maySend('a', 1)).toBe(false);
    expect(m.maySend('b', 0)).toBe(false);
    await tick();
    expect(fake.of('AddPartitionsToTxn')).toEqual([
      {
        api: 'AddPartitionsToTxn',
        producerEpoch: 0,
        topics: [
          { name: 'a', partitions: [0, 1] },
          { name: 'b', partitions: [0] },
        ],
      },
    ]);
    expect(m.maySend('a', 0) && m.maySend('a', 1) && m.maySend('b', 0)).toBe(true);
    expect(changes).toBeGreaterThan(0);
  });

  it('asks for partitions requested during an AddPartitionsToTxn in the next one', async () => {
    const fake = new FakeCoordinators();
    fake.holdAdds = true;
    const m = manager(fake);
    await m.initTransactions();
    m.beginTransaction();
    m.maySend('a', 0);
    await tick();
    m.maySend('a', 1);
    m.maySend('a', 0);
    await tick();
    expect(fake.of('AddPartitionsToTxn')).toHaveLength(1);
    fake.release();
    await tick();
    fake.release();
    await tick();
    expect(fake.of('AddPartitionsToTxn').map((c) => c.topics)).toEqual([[{ name: 'a', partitions: [0] }], [{ name: 'a', partitions: [1] }]]);
    expect(m.maySend('a', 1)).toBe(true);
  });

  it('retries CONCURRENT_TRANSACTIONS and coordinator errors with a backoff', async () => {
    const fake = new FakeCoordinators();
    fake.script('InitProducerId', ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR);
    fake.script('AddPartitionsToTxn', ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    fake.script('EndTxn', ErrorCode.CONCURRENT_TRANSACTIONS);
    const m = manager(fake);
    await m.initTransactions();
    expect(fake.of('InitProducerId')).toHaveLength(3);
    m.beginTransaction();
    m.maySend('a', 0);
    await m.commit(async () => {
      while (!m.maySend('a', 0)) await tick();
    });
    expect(fake.of('AddPartitionsToTxn')).toHaveLength(3);
    expect(fake.of('EndTxn')).toHaveLength(2);
    expect(m.state).toBe('READY');
  });

  it('ends a transaction that added nothing without EndTxn', async () => {
    const fake = new FakeCoordinators();
    const m = manager(fake);
    await m.initTransactions();
    m.beginTransaction();
    await m.commit(async () => undefined);
    m.beginTransaction();
    await m.abort(
      () => undefined,
      async () => undefined,
    );
    expect(fake.of('EndTxn')).toHaveLength(0);
    expect(m.state).toBe('READY');
  });

  it('commits with EndTxn(commit) after the flush', async () => {
    const fake = new FakeCoordinators();
    const m = manager(fake);
    await m.initTransactions();
    m.beginTransaction();
    m.maySend('a', 0);
    let flushed = false;
    await m.commit(async () => {
      await tick();
      flushed = fake.of('EndTxn').length === 0;
    });
    expect(flushed).toBe(true);
    expect(fake.of('EndTxn')).toEqual([{ api: 'EndTxn', committed: true, producerEpoch: 0 }]);
  });

  it('makes the producer unusable for good when the coordinator answers PRODUCER_FENCED', async () => {
    const fake = new FakeCoordinators();
    fake.script('EndTxn', ErrorCode.PRODUCER_FENCED);
    const m = manager(fake);
    await m.initTransactions();
    m.beginTransaction();
    await m.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '5' }] }] });
    const err = await m.commit(async () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProducerFencedError);
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).errorName).toBe('PRODUCER_FENCED');
    expect(m.state).toBe('FATAL_ERROR');
    expect(() => m.beginTransaction()).toThrow(err as Error);
    await expect(
      m.abort(
        () => undefined,
        async () => undefined,
      ),
    ).rejects.toBe(err);
  });

  it('treats INVALID_PRODUCER_EPOCH from InitProducerId and TRANSACTIONAL_ID_AUTHORIZATION_FAILED as fatal', async () => {
    const fenced = new FakeCoordinators();
    fenced.script('InitProducerId', ErrorCode.INVALID_PRODUCER_EPOCH);
    const m1 = manager(fenced);
    await expect(m1.initTransactions()).rejects.toBeInstanceOf(ProducerFencedError);
    expect(m1.state).toBe('FATAL_ERROR');

    const denied = new FakeCoordinators();
    const m2 = manager(denied);
    await m2.initTransactions();
    m2.beginTransaction();
    denied.script('AddOffsetsToTxn', ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    await expect(m2.sendOffsets({ consumerGroupId: 'g', topics: [] })).rejects.toMatchObject({ errorName: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' });
    expect(m2.state).toBe('FATAL_ERROR');
  });

  it('allows only abort() after an abortable error, and is usable again after it', async () => {
    const fake = new FakeCoordinators();
    fake.script('AddPartitionsToTxn', ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const m = manager(fake);
    await m.initTransactions();
    m.beginTransaction();
    m.maySend('secret', 0);
    await tick();
    expect(m.state).toBe('ABORTABLE_ERROR');
    expect(m.failure()).toMatchObject({ errorName: 'TOPIC_AUTHORIZATION_FAILED' });
    expect(() => m.checkSend()).toThrow(TransactionStateError);
    await expect(m.commit(async () => undefined)).rejects.toBeInstanceOf(TransactionStateError);
    await expect(m.sendOffsets({ consumerGroupId: 'g', topics: [] })).rejects.toBeInstanceOf(TransactionStateError);
    let dropped: Error | null = null;
    await m.abort(
      (e) => (dropped = e),
      async () => undefined,
    );
    expect(dropped).toBeInstanceOf(KafkaError);
    expect(m.state).toBe('READY');
    m.beginTransaction();
    expect(m.state).toBe('IN_TRANSACTION');
  });

  it('sends offsets with AddOffsetsToTxn, then TxnOffsetCommit with the consumer group metadata', async () => {
    const fake = new FakeCoordinators();
    const m = manager(fake);
    await m.initTransactions();
    m.beginTransaction();
    await m.sendOffsets({
      consumerGroupId: 'billing',
      topics: [{ topic: 'in', partitions: [{ partition: 2, offset: '42' }] }],
      consumer: { generationId: 3, memberId: 'm-1', groupInstanceId: null },
    });
    expect(fake.calls.map((c) => c.api)).toEqual(['InitProducerId', 'AddOffsetsToTxn', 'TxnOffsetCommit']);
    expect(fake.of('TxnOffsetCommit')[0]!.request).toMatchObject({
      transactionalId: 'tx-1',
      groupId: 'billing',
      producerId: 7n,
      producerEpoch: 0,
      generationId: 3,
      memberId: 'm-1',
      topics: [{ name: 'in', partitions: [{ partitionIndex: 2, committedOffset: 42n, committedLeaderEpoch: -1 }] }],
    });
    await m.commit(async () => undefined);
    expect(fake.of('EndTxn')).toHaveLength(1);
  });

  it('makes the transaction abortable when TxnOffsetCommit says the consumer generation moved on', async () => {
    const fake = new FakeCoordinators();
    fake.script('TxnOffsetCommit', ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION);
    const m = manager(fake);
    await m.initTransactions();
    m.beginTransaction();
    await expect(
      m.sendOffsets({
        consumerGroupId: 'g',
        topics: [{ topic: 'in', partitions: [{ partition: 0, offset: 1 }] }],
        consumer: { generationId: 1, memberId: 'x' },
      }),
    ).rejects.toMatchObject({ errorName: 'ILLEGAL_GENERATION' });
    expect(fake.of('TxnOffsetCommit')).toHaveLength(2);
    expect(m.state).toBe('ABORTABLE_ERROR');
  });

  it('bumps the epoch after aborting a transaction whose batch failed on its sequence (KIP-360)', async () => {
    const fake = new FakeCoordinators();
    const identities: number[] = [];
    const m = manager(fake);
    m.onIdentity((_, epoch) => identities.push(epoch));
    await m.initTransactions();
    m.beginTransaction();
    m.maySend('a', 0);
    await tick();
    m.batchFailed(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'gap');
    expect(m.state).toBe('ABORTABLE_ERROR');
    await m.abort(
      () => undefined,
      async () => undefined,
    );
    expect(fake.of('EndTxn')).toEqual([{ api: 'EndTxn', committed: false, producerEpoch: 0 }]);
    expect(fake.of('InitProducerId')[1]!.request).toMatchObject({ transactionalId: 'tx-1', producerId: 7n, producerEpoch: 0 });
    expect(identities).toEqual([0, 1]);
    expect(m.identity.producerEpoch).toBe(1);
  });

  it('fails a call whose retriable errors outlast maxBlockMs, leaving the transaction open', async () => {
    const fake = new FakeCoordinators();
    const m = manager(fake, 0);
    await m.initTransactions();
    m.beginTransaction();
    fake.script('AddOffsetsToTxn', ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.CONCURRENT_TRANSACTIONS);
    await expect(m.sendOffsets({ consumerGroupId: 'g', topics: [] })).rejects.toMatchObject({ errorName: 'REQUEST_TIMED_OUT' });
    expect(m.state).toBe('IN_TRANSACTION');
  });
});

describe('transactional Producer over a fake transport', () => {
  it('sends a partition batch only after AddPartitionsToTxn for it succeeded, with the transactional id', async () => {
    const fake = new FakeCoordinators();
    fake.holdAdds = true;
    const producer = new Producer(fake.transport(), { transactionalId: 'tx-1', retry: { initialRetryTime: 1 } });
    const txn = await producer.transaction();
    const sent = txn.send({ topic: 't', messages: [{ value: 'a', partition: 1 }] });
    await tick();
    expect(fake.of('AddPartitionsToTxn')).toHaveLength(1);
    expect(fake.of('Produce')).toHaveLength(0);
    fake.release();
    await sent;
    expect(fake.calls.map((c) => c.api)).toEqual(['InitProducerId', 'AddPartitionsToTxn', 'Produce']);
    expect(fake.of('Produce')[0]!.transactionalId).toBe('tx-1');
    await txn.commit();
    expect(fake.of('EndTxn')).toEqual([{ api: 'EndTxn', committed: true, producerEpoch: 0 }]);
    expect(txn.isActive()).toBe(false);
    await expect(txn.send({ topic: 't', messages: [{ value: 'b' }] })).rejects.toThrow(TransactionStateError);
  });

  it('refuses sends outside a transaction and a second open transaction', async () => {
    const fake = new FakeCoordinators();
    const producer = new Producer(fake.transport(), { transactionalId: 'tx-1' });
    await producer.connect();
    await expect(producer.send({ topic: 't', messages: [{ value: 'a' }] })).rejects.toBeInstanceOf(TransactionStateError);
    await producer.transaction();
    await expect(producer.transaction()).rejects.toBeInstanceOf(TransactionStateError);
  });

  it('fails the unsent batches of an aborted transaction and sends EndTxn(abort)', async () => {
    const fake = new FakeCoordinators();
    fake.holdAdds = true;
    const producer = new Producer(fake.transport(), { transactionalId: 'tx-1', lingerMs: 10_000 });
    const txn = await producer.transaction();
    const first = txn.send({ topic: 't', messages: [{ value: 'a', partition: 0 }] });
    await tick();
    const flushed = producer.flush(); // hands the first batch to the sender, which waits for its AddPartitionsToTxn
    await tick();
    const waitingForAdd = txn.send({ topic: 't', messages: [{ value: 'b', partition: 0 }] });
    const lingering = txn.send({ topic: 't', messages: [{ value: 'c', partition: 2 }] });
    const firstSettled = first.then(
      () => 'ok',
      (e: unknown) => e,
    );
    const aborting = txn.abort();
    fake.release();
    await aborting;
    await expect(lingering).rejects.toBeInstanceOf(KafkaError);
    await expect(waitingForAdd).rejects.toBeInstanceOf(KafkaError);
    expect(await firstSettled).toBeInstanceOf(KafkaError);
    expect(fake.of('Produce')).toHaveLength(0);
    expect(fake.of('EndTxn')).toEqual([{ api: 'EndTxn', committed: false, producerEpoch: 0 }]);
    await flushed;
    const again = await producer.transaction();
    expect(again.isActive()).toBe(true);
  });

  it('makes the transaction abortable when a batch fails, and fenced for good on PRODUCER_FENCED', async () => {
    const fake = new FakeCoordinators();
    fake.script('Produce', ErrorCode.INVALID_RECORD);
    const producer = new Producer(fake.transport(), { transactionalId: 'tx-1' });
    const txn = await producer.transaction();
    await expect(txn.send({ topic: 't', messages: [{ value: 'a' }] })).rejects.toMatchObject({ errorName: 'INVALID_RECORD' });
    await expect(txn.commit()).rejects.toBeInstanceOf(TransactionStateError);
    await txn.abort();

    fake.script('Produce', ErrorCode.PRODUCER_FENCED);
    const txn2 = await producer.transaction();
    await expect(txn2.send({ topic: 't', messages: [{ value: 'a' }] })).rejects.toMatchObject({ errorName: 'PRODUCER_FENCED' });
    await expect(txn2.abort()).rejects.toBeInstanceOf(ProducerFencedError);
    expect(txn2.isActive()).toBe(false);
    await expect(producer.transaction()).rejects.toBeInstanceOf(ProducerFencedError);
  });
});
