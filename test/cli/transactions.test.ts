import { afterEach, describe, expect, it } from 'vitest';
import { DESCRIBE_HEADERS, HANGING_HEADERS, LIST_HEADERS, PRODUCER_HEADERS, formatTable } from '../../src/cli/transactions.js';
import { connect, type KafkaClient } from '../../src/client/connect.js';
import { Sluice } from '../../src/sluice.js';
import { startFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';
import { quietLogger } from '../helpers/logger.js';
import { RawTxnProducer } from '../helpers/raw-transactions.js';
import { removeDir, tempDir } from '../helpers/storage.js';
import { pollUntil } from '../helpers/wait.js';
import { fakeTxnHandlers, fakeTxnState, type FakeProducer, type FakeTxnState } from '../helpers/fake-transactions.js';
import { runCli } from './run-cli.js';

const API = { FindCoordinator: 10, DescribeTransactions: 65, ListTransactions: 66, DescribeProducers: 61, WriteTxnMarkers: 27 };

const brokers: FakeBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

/** A fake broker (node 0) serving the transaction admin APIs, with topic `t` of 2 partitions. */
const waitFor = <T>(what: string, probe: () => T | Promise<T>): Promise<unknown> => pollUntil(what, probe, { timeoutMs: 30_000, intervalMs: 20 });

async function setup(): Promise<{ b: FakeBroker; txns: FakeTxnState; args: string[] }> {
  const txns = fakeTxnState();
  const b = await startFakeBroker({ handlers: fakeTxnHandlers(txns) });
  brokers.push(b);
  b.addTopic('t', 2);
  return { b, txns, args: ['--bootstrap-server', `127.0.0.1:${b.port}`] };
}

const MINUTE = 60_000n;
const producer = (over: Partial<FakeProducer> & { producerId: bigint }): FakeProducer => ({
  producerEpoch: 0,
  lastSequence: 4,
  lastTimestamp: BigInt(Date.now()),
  coordinatorEpoch: -1,
  currentTxnStartOffset: -1n,
  ...over,
});

/** The table's lines split into trimmed cells. */
const cells = (stdout: string): string[][] =>
  stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) =>
      l
        .split('\t')
        .slice(0, -1)
        .map((c) => c.trim()),
    );

describe('sluice transactions: usage', () => {
  it('is listed by sluice --help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('transactions');
  });

  it('--help lists the subcommands of kafka-transactions.sh', async () => {
    const r = await runCli(['transactions', '--help']);
    expect(r.code).toBe(0);
    for (const c of ['list', 'describe', 'describe-producers', 'find-hanging', 'abort', '--bootstrap-server']) expect(r.stdout).toContain(c);
  });

  it.each([
    ['describe', ['--transactional-id']],
    ['describe-producers', ['--topic', '--partition']],
    ['find-hanging', ['--topic', '--partition', '--max-transaction-timeout']],
    ['abort', ['--topic', '--partition', '--start-offset', '--producer-id', '--producer-epoch', '--coordinator-epoch']],
    ['list', []],
  ])('%s --help lists its options', async (sub, options) => {
    const r = await runCli(['transactions', sub, '--help']);
    expect(r.code).toBe(0);
    for (const o of options) expect(r.stdout).toContain(o);
  });

  it.each([
    [['describe'], "required option '--transactional-id <id>' not specified"],
    [['describe-producers', '--topic', 't'], "required option '--partition <n>' not specified"],
    [['describe-producers', '--topic', 't', '--partition', 'x'], 'not an integer'],
    [['find-hanging'], "required option '--topic <topic>' not specified"],
    [['abort', '--topic', 't', '--partition', '0'], 'The transaction to abort must be identified either with --start-offset'],
    [['abort', '--topic', 't', '--partition', '0', '--producer-id', '5'], 'Missing required argument --producer-epoch'],
    [['abort', '--topic', 't', '--partition', '0', '--producer-id', '5', '--producer-epoch', '1'], 'Missing required argument --coordinator-epoch'],
    [['abort', '--topic', 't', '--partition', '0', '--start-offset', '3', '--producer-id', '5'], '--start-offset cannot be combined'],
    [
      ['abort', '--topic', 't', '--partition', '0', '--producer-id', '5', '--producer-epoch', '40000', '--coordinator-epoch', '0'],
      'must be between 0 and 32767',
    ],
    [['frobnicate'], "unknown command 'frobnicate'"],
  ])('%j fails before connecting: %s', async (args, message) => {
    const r = await runCli(['transactions', '--bootstrap-server', '127.0.0.1:1', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it("prints tables as Kafka's tool does: each cell padded to its column, then a tab", () => {
    expect(formatTable(['A', 'Bee'], [['long', 'x']])).toBe('A   \tBee\t\nlong\tx  \t\n');
  });
});

describe('sluice transactions over the wire (fake broker)', () => {
  it('list prints every transactional id with its coordinator, producer id and state', async () => {
    const { txns, args } = await setup();
    txns.transactions.push(
      { transactionalId: 'tx-b', producerId: 8n, producerEpoch: 1, state: 'Ongoing', timeoutMs: 60_000, startTimeMs: 1_700_000_000_000n, topics: [] },
      { transactionalId: 'tx-a', producerId: 7n, producerEpoch: 0, state: 'CompleteCommit', timeoutMs: 60_000, startTimeMs: -1n, topics: [] },
    );
    const r = await runCli(['transactions', ...args, 'list']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(cells(r.stdout)).toEqual([[...LIST_HEADERS], ['tx-a', '0', '7', 'CompleteCommit'], ['tx-b', '0', '8', 'Ongoing']]);
  });

  it('takes --bootstrap-server after the subcommand too', async () => {
    const { args } = await setup();
    const r = await runCli(['transactions', 'list', ...args]);
    expect(r.code).toBe(0);
    expect(cells(r.stdout)).toEqual([[...LIST_HEADERS]]);
  });

  it('describe asks the coordinator of the id (FindCoordinator key type 1) and prints its transaction', async () => {
    const { b, txns, args } = await setup();
    txns.transactions.push({
      transactionalId: 'billing',
      producerId: 42n,
      producerEpoch: 3,
      state: 'Ongoing',
      timeoutMs: 60_000,
      startTimeMs: 1_700_000_000_000n,
      topics: [{ topic: 't', partitions: [0, 1] }],
    });
    const r = await runCli(['transactions', ...args, 'describe', '--transactional-id', 'billing']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [header, row] = cells(r.stdout);
    expect(header).toEqual([...DESCRIBE_HEADERS]);
    expect(row!.slice(0, 7)).toEqual(['0', 'billing', '42', '3', 'Ongoing', '60000', '1700000000000']);
    expect(BigInt(row![7]!)).toBeGreaterThan(0n);
    expect(row![8]).toBe('t-0,t-1');
    expect(txns.coordinatorKeyTypes).toEqual([1]);
    expect(b.requests.some((q) => q.apiKey === API.DescribeTransactions)).toBe(true);
  });

  it('describe shows None for the start time and duration of an id without an open transaction', async () => {
    const { txns, args } = await setup();
    txns.transactions.push({ transactionalId: 'idle', producerId: 1n, producerEpoch: 0, state: 'Empty', timeoutMs: 60_000, startTimeMs: -1n, topics: [] });
    const r = await runCli(['transactions', ...args, 'describe', '--transactional-id', 'idle']);
    expect(r.code).toBe(0);
    expect(cells(r.stdout)[1]).toEqual(['0', 'idle', '1', '0', 'Empty', '60000', 'None', 'None', '']);
  });

  it('describe retries while the coordinator is loading, then answers', async () => {
    const { txns, args } = await setup();
    txns.transactions.push({ transactionalId: 'x', producerId: 1n, producerEpoch: 0, state: 'Empty', timeoutMs: 1000, startTimeMs: -1n, topics: [] });
    txns.coordinatorErrors.push(15); // COORDINATOR_NOT_AVAILABLE
    txns.describeErrors.push(14); // COORDINATOR_LOAD_IN_PROGRESS
    const r = await runCli(['transactions', ...args, 'describe', '--transactional-id', 'x']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(cells(r.stdout)[1]![1]).toBe('x');
  });

  it('describe of an unknown id fails with TRANSACTIONAL_ID_NOT_FOUND', async () => {
    const { args } = await setup();
    const r = await runCli(['transactions', ...args, 'describe', '--transactional-id', 'nobody']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TRANSACTIONAL_ID_NOT_FOUND');
    expect(r.stderr).toContain('nobody');
    expect(r.stdout).toBe('');
  });

  it("describe-producers prints the partition's active producers, None where no transaction is open", async () => {
    const { txns, args } = await setup();
    txns.producers.set('t-1', [
      producer({ producerId: 5n, producerEpoch: 2, coordinatorEpoch: 0, lastTimestamp: 1_700_000_000_123n, currentTxnStartOffset: 17n }),
      producer({ producerId: 6n, lastSequence: 9, lastTimestamp: 1_700_000_000_456n }),
    ]);
    const r = await runCli(['transactions', ...args, 'describe-producers', '--topic', 't', '--partition', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(cells(r.stdout)).toEqual([[...PRODUCER_HEADERS], ['5', '2', '0', '4', '1700000000123', '17'], ['6', '0', '-1', '9', '1700000000456', 'None']]);
  });

  it('describe-producers of a partition the broker lacks fails with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const { args } = await setup();
    const r = await runCli(['transactions', ...args, 'describe-producers', '--topic', 'nope', '--partition', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('find-hanging reports open transactions no coordinator will finish, and not the others', async () => {
    const { txns, args } = await setup();
    const old = BigInt(Date.now()) - 60n * MINUTE;
    txns.producers.set('t-0', [
      // No transactional id knows producer 10: hanging.
      producer({ producerId: 10n, producerEpoch: 1, coordinatorEpoch: 2, lastTimestamp: old, currentTxnStartOffset: 3n }),
      // Producer 11's open transaction includes t-0: its coordinator will write the marker.
      producer({ producerId: 11n, lastTimestamp: old, currentTxnStartOffset: 5n }),
      // Producer 12 wrote recently: not a candidate.
      producer({ producerId: 12n, currentTxnStartOffset: 8n }),
      // Producer 13 has no open transaction.
      producer({ producerId: 13n, lastTimestamp: old }),
    ]);
    // Producer 14's id is known but its current transaction no longer includes t-1: hanging.
    txns.producers.set('t-1', [producer({ producerId: 14n, lastTimestamp: old, currentTxnStartOffset: 0n })]);
    txns.transactions.push(
      {
        transactionalId: 'live',
        producerId: 11n,
        producerEpoch: 0,
        state: 'Ongoing',
        timeoutMs: 60_000,
        startTimeMs: old,
        topics: [{ topic: 't', partitions: [0] }],
      },
      {
        transactionalId: 'moved-on',
        producerId: 14n,
        producerEpoch: 0,
        state: 'Ongoing',
        timeoutMs: 60_000,
        startTimeMs: old,
        topics: [{ topic: 'other', partitions: [0] }],
      },
    );
    const r = await runCli(['transactions', ...args, 'find-hanging', '--topic', 't']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = cells(r.stdout);
    expect(rows[0]).toEqual([...HANGING_HEADERS]);
    expect(rows.slice(1).map((row) => row.slice(0, 7))).toEqual([
      ['t', '0', '10', '1', '2', '3', String(old)],
      ['t', '1', '14', '0', '-1', '0', String(old)],
    ]);
    expect(Number(rows[1]![7])).toBeGreaterThanOrEqual(60);
  });

  it('find-hanging --partition searches that partition alone, within --max-transaction-timeout', async () => {
    const { b, txns, args } = await setup();
    const old = BigInt(Date.now()) - 30n * MINUTE;
    txns.producers.set('t-0', [producer({ producerId: 10n, lastTimestamp: old, currentTxnStartOffset: 3n })]);
    txns.producers.set('t-1', [producer({ producerId: 20n, lastTimestamp: old, currentTxnStartOffset: 3n })]);
    const within = await runCli(['transactions', ...args, 'find-hanging', '--topic', 't', '--partition', '1', '--max-transaction-timeout', '45']);
    expect(cells(within.stdout)).toEqual([[...HANGING_HEADERS]]);
    expect(b.requests.some((q) => q.apiKey === API.ListTransactions)).toBe(false);
    const beyond = await runCli(['transactions', ...args, 'find-hanging', '--topic', 't', '--partition', '1', '--max-transaction-timeout', '20']);
    expect(
      cells(beyond.stdout)
        .slice(1)
        .map((row) => row[2]),
    ).toEqual(['20']);
  });

  it('abort --start-offset writes an ABORT marker for the producer whose transaction starts there', async () => {
    const { txns, args } = await setup();
    txns.producers.set('t-1', [
      producer({ producerId: 5n, producerEpoch: 2, coordinatorEpoch: 4, currentTxnStartOffset: 17n }),
      producer({ producerId: 6n, producerEpoch: 0, currentTxnStartOffset: 30n }),
    ]);
    const r = await runCli(['transactions', ...args, 'abort', '--topic', 't', '--partition', '1', '--start-offset', '17']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(txns.markers).toEqual([
      { producerId: 5n, producerEpoch: 2, transactionResult: false, coordinatorEpoch: 4, topics: [{ name: 't', partitionIndexes: [1] }] },
    ]);
    const after = await runCli(['transactions', ...args, 'describe-producers', '--topic', 't', '--partition', '1']);
    expect(cells(after.stdout)[1]![5]).toBe('None');
  });

  it('abort --start-offset with no open transaction there fails and writes nothing', async () => {
    const { txns, args } = await setup();
    txns.producers.set('t-0', [producer({ producerId: 5n, currentTxnStartOffset: 17n })]);
    const r = await runCli(['transactions', ...args, 'abort', '--topic', 't', '--partition', '0', '--start-offset', '18']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Could not find any open transactions starting at offset 18 on partition t-0');
    expect(txns.markers).toEqual([]);
  });

  it('abort with producer id and epochs sends them as given, coordinator epoch -1 as 0', async () => {
    const { txns, args } = await setup();
    const r = await runCli([
      'transactions',
      ...args,
      'abort',
      '--topic',
      't',
      '--partition',
      '0',
      '--producer-id',
      '9007199254740993',
      '--producer-epoch',
      '7',
      '--coordinator-epoch',
      '-1',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(txns.markers).toEqual([
      { producerId: 9007199254740993n, producerEpoch: 7, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 't', partitionIndexes: [0] }] },
    ]);
  });

  it("abort with a stale producer epoch fails with the broker's INVALID_PRODUCER_EPOCH", async () => {
    const { txns, args } = await setup();
    txns.producers.set('t-0', [producer({ producerId: 5n, producerEpoch: 3, currentTxnStartOffset: 17n })]);
    const r = await runCli([
      'transactions',
      ...args,
      'abort',
      '--topic',
      't',
      '--partition',
      '0',
      '--producer-id',
      '5',
      '--producer-epoch',
      '2',
      '--coordinator-epoch',
      '0',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('INVALID_PRODUCER_EPOCH');
  });
});

/**
 * Against a running sluice (the Sluice a `sluice serve` runs, listening on loopback): the real
 * transaction coordinator and broker; transactions are written with their own calls
 * (helpers/raw-transactions.ts).
 */
describe('sluice transactions against a running sluice', () => {
  let opened: { sluice: Sluice; dir: string; client: KafkaClient; args: string[] } | null = null;
  afterEach(async () => {
    if (opened === null) return;
    await opened.client.close();
    await opened.sluice.close();
    removeDir(opened.dir);
    opened = null;
  });

  async function serve(): Promise<{ sluice: Sluice; client: KafkaClient; args: string[] }> {
    const dir = tempDir('cli-txn');
    const sluice = await Sluice.open({ dir, logger: quietLogger(), 'offsets.topic.num.partitions': 3, 'transaction.state.log.num.partitions': 3 });
    const { bootstrap } = await sluice.listen({ listeners: 'PLAINTEXT://127.0.0.1:0' });
    const client = await connect({ brokers: bootstrap, logger: quietLogger(), retry: { initialRetryTime: 20 } });
    opened = { sluice, dir, client, args: ['--bootstrap-server', bootstrap.join(',')] };
    await client.admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    return opened;
  }

  it('lists, describes and shows the producers of an open transaction, then aborts it by its start offset', async () => {
    const { sluice, client, args } = await serve();
    const plain = client.producer();
    await plain.send({ topic: 'orders', messages: [{ value: 'before', partition: 1 }] });
    const producer = await RawTxnProducer.init(sluice, 'billing-1');
    // An old record timestamp: the producer's last timestamp makes the transaction look an hour old.
    const old = Date.now() - 3_600_000;
    await producer.send('orders', 1, ['pending'], old);

    const list = await runCli(['transactions', ...args, 'list']);
    expect(list.stderr).toBe('');
    expect(cells(list.stdout)).toContainEqual(['billing-1', String(sluice.broker.brokerId), expect.stringMatching(/^\d+$/), 'Ongoing']);

    const described = await runCli(['transactions', ...args, 'describe', '--transactional-id', 'billing-1']);
    expect(described.stderr).toBe('');
    const [, row] = cells(described.stdout);
    expect(row![1]).toBe('billing-1');
    expect(row![4]).toBe('Ongoing');
    expect(row![8]).toBe('orders-1');
    const producerId = row![2]!;
    const producerEpoch = row![3]!;

    const producers = await runCli(['transactions', ...args, 'describe-producers', '--topic', 'orders', '--partition', '1']);
    expect(producers.stderr).toBe('');
    const open = cells(producers.stdout).find((r) => r[0] === producerId);
    expect(open).toEqual([producerId, producerEpoch, expect.any(String), '0', String(old), '1']);

    // Its coordinator still counts orders-1 in the transaction: not hanging.
    const hanging = await runCli(['transactions', ...args, 'find-hanging', '--topic', 'orders', '--max-transaction-timeout', '1']);
    expect(hanging.stderr).toBe('');
    expect(cells(hanging.stdout)).toEqual([[...HANGING_HEADERS]]);

    // A read_committed reader is held at the open transaction; the admin abort releases it.
    const lso = async (): Promise<bigint> =>
      (await sluice.transport.listOffsets(1, [{ name: 'orders', partitions: [{ partition: 1, timestamp: -1n }] }]))[0]!.partitions[0]!.offset;
    expect(await lso()).toBe(1n);
    const aborted = await runCli(['transactions', ...args, 'abort', '--topic', 'orders', '--partition', '1', '--start-offset', '1']);
    expect(aborted.stderr).toBe('');
    expect(aborted.code).toBe(0);
    await waitFor('the LSO past the ABORT marker', async () => (await lso()) === 3n);
    const after = await runCli(['transactions', ...args, 'describe-producers', '--topic', 'orders', '--partition', '1']);
    expect(cells(after.stdout).find((r) => r[0] === producerId)![5]).toBe('None');

    const values: string[] = [];
    const consumer = client.consumer({ groupId: 'after-abort', maxWaitTimeInMs: 50, heartbeatInterval: 100 });
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    await plain.send({ topic: 'orders', messages: [{ value: 'after', partition: 1 }] });
    await waitFor('the records around the aborted transaction', () => values.length === 2);
    expect(values).toEqual(['before', 'after']);
    await consumer.disconnect();
  });

  it('abort with a stale producer epoch is refused by the broker', async () => {
    const { sluice, args } = await serve();
    await RawTxnProducer.init(sluice, 'stale');
    const current = await RawTxnProducer.init(sluice, 'stale');
    await current.send('orders', 0, ['x']);
    const described = cells((await runCli(['transactions', ...args, 'describe', '--transactional-id', 'stale'])).stdout)[1]!;
    const epoch = Number(described[3]);
    expect(epoch).toBeGreaterThan(0);
    const r = await runCli([
      'transactions',
      ...args,
      'abort',
      '--topic',
      'orders',
      '--partition',
      '0',
      '--producer-id',
      described[2]!,
      '--producer-epoch',
      String(epoch - 1),
      '--coordinator-epoch',
      '0',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('INVALID_PRODUCER_EPOCH');
    await current.abort();
  });

  it('describe of an id the coordinator never saw fails with TRANSACTIONAL_ID_NOT_FOUND', async () => {
    const { args } = await serve();
    const r = await runCli(['transactions', ...args, 'describe', '--transactional-id', 'never-seen']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TRANSACTIONAL_ID_NOT_FOUND');
  });
});
