/**
 * Transactions (KIP-98, KIP-447) against one `sluice serve`, judged by real clients:
 * confluent-kafka (librdkafka 2.0), kcat, kafkajs and @platformatic/kafka. Each commits and
 * aborts transactions and reads them back with read_committed and read_uncommitted; an open
 * transaction holds the last stable offset; offsets sent in a transaction are committed only
 * with it; a second producer with the same transactional.id fences the first. Crashes, the
 * exactly-once pipeline and timeouts: transactions-eos.test.ts.
 */
import {
  Consumer as PlatformaticConsumer,
  MessagesStreamModes,
  Producer as PlatformaticProducer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { clientSource, runClient } from '../helpers/client-programs.js';
import { kcatConsume, kcatProduce } from '../helpers/kcat.js';
import { ensureKcat, ensurePythonKafkaClients } from '../helpers/system-tools.js';
import { PythonTxnSession, confluentRead, fetchCommittedOffset, latestOffset } from '../helpers/txn-clients.js';
import { pollUntil } from '../helpers/wait.js';

const { Kafka, logLevel } = kafkajs;

let broker: BrokerProcess;
let python: string;
let kafka: InstanceType<typeof Kafka>;
let admin: ReturnType<InstanceType<typeof Kafka>['admin']>;
const sessions: PythonTxnSession[] = [];
const bootstrap = (): string => `127.0.0.1:${broker.port}`;

/** librdkafka's "no committed offset" (RD_KAFKA_OFFSET_INVALID). */
const OFFSET_INVALID = -1001;

beforeAll(async () => {
  ensureKcat();
  python = ensurePythonKafkaClients();
  broker = await startBrokerProcess({ args: ['--override', 'num.partitions=1'] });
  kafka = new Kafka({ clientId: 'sluice-txn-it', brokers: [bootstrap()], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  for (const s of sessions) s.close();
  await admin?.disconnect();
  await broker?.kill();
});

function session(): PythonTxnSession {
  const s = PythonTxnSession.start(python, bootstrap());
  sessions.push(s);
  return s;
}

async function createTopic(topic: string, numPartitions = 1): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
}

/** Non-transactional records from confluent-kafka (acks=all). */
async function plainProduce(topic: string, values: string[]): Promise<void> {
  await runClient(python, [clientSource('confluent_kafka_client.py')], {
    op: 'produce',
    bootstrap: bootstrap(),
    topic,
    acks: 'all',
    records: values.map((value) => ({ key: null, value })),
  });
}

const values = (r: { records: { value: string }[] }): string[] => r.records.map((x) => x.value);

/** Waits until no transaction holds `topic`/`partition` back: the LSO has caught up with the high watermark. */
async function untilStable(topic: string, partition = 0): Promise<bigint> {
  return pollUntil(`${topic}/${partition}: LSO = high watermark`, async () => {
    const [lso, hw] = [await latestOffset(broker.port, topic, partition, 1), await latestOffset(broker.port, topic, partition, 0)];
    return lso === hw ? hw : null;
  });
}

describe('confluent-kafka (librdkafka 2.0) transactional producer', () => {
  it('commits one transaction and aborts another: read_committed sees only the committed records, read_uncommitted sees both, and positions step over the markers', async () => {
    const topic = 'ck-commit-abort';
    await createTopic(topic);
    const s = session();
    await s.ok({ op: 'init', transactional_id: 'ck-commit-abort' });
    await s.ok({ op: 'begin' });
    await s.ok({ op: 'produce', topic, records: ['c0', 'c1', 'c2'] });
    await s.ok({ op: 'commit' });
    await s.ok({ op: 'begin' });
    await s.ok({ op: 'produce', topic, records: ['a0', 'a1'] });
    await s.ok({ op: 'abort' });
    await s.ok({ op: 'begin' });
    await s.ok({ op: 'produce', topic, records: ['c3'] });
    await s.ok({ op: 'commit' });

    // c0-c2 at 0-2, COMMIT marker 3, a0-a1 at 4-5, ABORT marker 6, c3 at 7, COMMIT marker 8.
    expect(await untilStable(topic)).toBe(9n);
    const committed = await confluentRead(python, bootstrap(), topic, 'read_committed');
    expect(committed.records.map((r) => [r.offset, r.value])).toEqual([
      [0, 'c0'],
      [1, 'c1'],
      [2, 'c2'],
      [7, 'c3'],
    ]);
    expect(committed.positions).toEqual({ '0': 9 });
    const uncommitted = await confluentRead(python, bootstrap(), topic, 'read_uncommitted');
    expect(uncommitted.records.map((r) => [r.offset, r.value])).toEqual([
      [0, 'c0'],
      [1, 'c1'],
      [2, 'c2'],
      [4, 'a0'],
      [5, 'a1'],
      [7, 'c3'],
    ]);
    expect(uncommitted.positions).toEqual({ '0': 9 });
  });

  it('keeps an open transaction invisible to read_committed and holds the last stable offset at its first record until it commits', async () => {
    const topic = 'ck-open';
    await createTopic(topic);
    await plainProduce(topic, ['p0', 'p1']);
    const s = session();
    await s.ok({ op: 'init', transactional_id: 'ck-open' });
    await s.ok({ op: 'begin' });
    await s.ok({ op: 'produce', topic, records: ['o0', 'o1', 'o2'] });
    // Written after the open transaction's records: stable, but behind the LSO.
    await plainProduce(topic, ['p2']);

    expect(await latestOffset(broker.port, topic, 0, 1)).toBe(2n);
    expect(await latestOffset(broker.port, topic, 0, 0)).toBe(6n);
    const wm = (isolation: string) => s.ok<{ low: number; high: number }>({ op: 'watermarks', topic, isolation });
    expect(await wm('read_committed')).toEqual({ low: 0, high: 2 });
    expect(await wm('read_uncommitted')).toEqual({ low: 0, high: 6 });
    const during = await confluentRead(python, bootstrap(), topic, 'read_committed');
    expect(values(during)).toEqual(['p0', 'p1']);
    expect(during.positions).toEqual({ '0': 2 });
    expect(values(await confluentRead(python, bootstrap(), topic, 'read_uncommitted'))).toEqual(['p0', 'p1', 'o0', 'o1', 'o2', 'p2']);

    await s.ok({ op: 'commit' });
    expect(await untilStable(topic)).toBe(7n);
    expect(await wm('read_committed')).toEqual({ low: 0, high: 7 });
    const after = await confluentRead(python, bootstrap(), topic, 'read_committed');
    expect(values(after)).toEqual(['p0', 'p1', 'o0', 'o1', 'o2', 'p2']);
    expect(after.positions).toEqual({ '0': 7 });
  });

  it('commits offsets sent with send_offsets_to_transaction only when the transaction commits, and drops them when it aborts', async () => {
    const topic = 'ck-offsets-out';
    const input = 'ck-offsets-in';
    const group = 'ck-offsets-group';
    await createTopic(topic);
    await createTopic(input);
    const committedOffset = async (): Promise<number> =>
      (await runClient<{ offset: number }>(python, [clientSource('confluent_kafka_txn.py')], { op: 'committed', bootstrap: bootstrap(), group, topic: input }))
        .offset;
    const s = session();
    await s.ok({ op: 'init', transactional_id: 'ck-offsets' });

    await s.ok({ op: 'begin' });
    await s.ok({ op: 'produce', topic, records: ['aborted'] });
    await s.ok({ op: 'send_offsets', group, offsets: [[input, 0, 5]] });
    // Pending: a plain OffsetFetch does not see it; a read_committed one (requireStable) is told to wait.
    expect(await committedOffset()).toBe(OFFSET_INVALID);
    expect((await fetchCommittedOffset(broker.port, group, input, 0, true)).errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    await s.ok({ op: 'abort' });
    expect(await committedOffset()).toBe(OFFSET_INVALID);
    expect(await fetchCommittedOffset(broker.port, group, input, 0, true)).toEqual({ errorCode: 0, offset: -1n });

    await s.ok({ op: 'begin' });
    await s.ok({ op: 'produce', topic, records: ['committed'] });
    await s.ok({ op: 'send_offsets', group, offsets: [[input, 0, 7]] });
    expect(await committedOffset()).toBe(OFFSET_INVALID);
    await s.ok({ op: 'commit' });
    expect(await committedOffset()).toBe(7);
    expect(await fetchCommittedOffset(broker.port, group, input, 0, true)).toEqual({ errorCode: 0, offset: 7n });
    expect(values(await confluentRead(python, bootstrap(), topic, 'read_committed'))).toEqual(['committed']);
  });

  it('fences the first producer when a second one initialises the same transactional.id: its open transaction is aborted and its commit fails fatally', async () => {
    const topic = 'ck-fence';
    await createTopic(topic);
    const first = session();
    await first.ok({ op: 'init', transactional_id: 'ck-fence' });
    await first.ok({ op: 'begin' });
    await first.ok({ op: 'produce', topic, records: ['zombie'] });

    const second = session();
    await second.ok({ op: 'init', transactional_id: 'ck-fence' });
    await second.ok({ op: 'begin' });
    await second.ok({ op: 'produce', topic, records: ['successor'] });
    await second.ok({ op: 'commit' });

    const zombie = await first.call({ op: 'commit', timeout: 15 });
    expect(zombie.error).toMatchObject({ fatal: true });
    expect(zombie.error!.name).toMatch(/FENCED|PRODUCER_EPOCH/);
    await untilStable(topic);
    expect(values(await confluentRead(python, bootstrap(), topic, 'read_committed'))).toEqual(['successor']);
    expect(values(await confluentRead(python, bootstrap(), topic, 'read_uncommitted'))).toEqual(['zombie', 'successor']);
  });
});

describe('kcat (librdkafka 2.0)', () => {
  it('-X transactional.id commits its whole input as one transaction; read_committed and read_uncommitted read the same records', async () => {
    const topic = 'kcat-txn';
    await createTopic(topic);
    const lines = Array.from({ length: 20 }, (_, i) => `kcat-${i}`);
    await kcatProduce(bootstrap(), topic, `${lines.join('\n')}\n`, ['-X', 'transactional.id=kcat-commit']);
    // Twenty records and the COMMIT marker.
    expect(await untilStable(topic)).toBe(21n);
    expect(await kcatConsume(bootstrap(), topic, { extra: ['-X', 'isolation.level=read_committed'], expectLines: 20 })).toEqual(lines);
    expect(await kcatConsume(bootstrap(), topic, { extra: ['-X', 'isolation.level=read_uncommitted'], expectLines: 20 })).toEqual(lines);
  });

  // (kcat -P aborts on Ctrl-C only between reads of stdin; interrupted mid-produce it exits
  // without ending the transaction, which then waits for transaction.timeout.ms — so the aborted
  // transaction here comes from confluent-kafka.)
  it('-C with isolation.level=read_committed skips an aborted transaction that read_uncommitted shows', async () => {
    const topic = 'kcat-abort';
    await createTopic(topic);
    await plainProduce(topic, ['before']);
    const s = session();
    await s.ok({ op: 'init', transactional_id: 'kcat-abort' });
    await s.ok({ op: 'begin' });
    await s.ok({ op: 'produce', topic, records: ['doomed-0', 'doomed-1', 'doomed-2'] });
    // Open: read_committed stops before it.
    expect(await kcatConsume(bootstrap(), topic, { extra: ['-X', 'isolation.level=read_committed'], expectLines: 1 })).toEqual(['before']);
    await s.ok({ op: 'abort' });
    await kcatProduce(bootstrap(), topic, 'after\n', ['-X', 'transactional.id=kcat-after']);
    await untilStable(topic);
    expect(await kcatConsume(bootstrap(), topic, { extra: ['-X', 'isolation.level=read_committed'], expectLines: 2 })).toEqual(['before', 'after']);
    expect(await kcatConsume(bootstrap(), topic, { extra: ['-X', 'isolation.level=read_uncommitted'], expectLines: 5 })).toEqual([
      'before',
      'doomed-0',
      'doomed-1',
      'doomed-2',
      'after',
    ]);
  });
});

/** Collects what a kafkajs group consumer delivers from the earliest offset until `last` arrives. */
async function kafkajsReadUntil(topic: string, groupId: string, last: string, readUncommitted = false): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs consumer: ${JSON.stringify(got)} without ${last}`)), 30_000);
      void consumer
        .run({
          eachMessage: async ({ message }) => {
            const v = message.value!.toString();
            got.push(v);
            if (v === last) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

describe('kafkajs 2.2 transactional producer', () => {
  it('sends and sendOffsets in transactions: the committed one is read by a read_committed consumer, the aborted one neither read nor its offsets committed', async () => {
    const topic = 'kjs-txn';
    const input = 'kjs-in';
    const group = 'kjs-offsets';
    await createTopic(topic);
    await createTopic(input);
    const producer = kafka.producer({ transactionalId: 'kjs-1', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const t1 = await producer.transaction();
      await t1.send({ topic, messages: [{ value: 'k0' }, { value: 'k1' }] });
      await t1.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: 0, offset: '4' }] }] });
      await t1.commit();

      const t2 = await producer.transaction();
      await t2.send({ topic, messages: [{ value: 'aborted' }] });
      await t2.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: 0, offset: '9' }] }] });
      await t2.abort();
      const offsets = await admin.fetchOffsets({ groupId: group, topics: [input] });
      expect(offsets[0]!.partitions.map((p) => [p.partition, p.offset])).toEqual([[0, '4']]);

      const t3 = await producer.transaction();
      await t3.send({ topic, messages: [{ value: 'k2' }] });
      await t3.commit();
    } finally {
      await producer.disconnect();
    }
    expect(await kafkajsReadUntil(topic, 'kjs-reader', 'k2')).toEqual(['k0', 'k1', 'k2']);
    expect(await kafkajsReadUntil(topic, 'kjs-reader-uncommitted', 'k2', true)).toEqual(['k0', 'k1', 'aborted', 'k2']);
  });

  it('fences a producer whose transactional id another producer has initialised since: its commit is rejected, its records never committed', async () => {
    const topic = 'kjs-fence';
    await createTopic(topic);
    const zombie = kafka.producer({ transactionalId: 'kjs-fence', idempotent: true, maxInFlightRequests: 1, retry: { retries: 1 } });
    const successor = kafka.producer({ transactionalId: 'kjs-fence', idempotent: true, maxInFlightRequests: 1 });
    await zombie.connect();
    try {
      const old = await zombie.transaction();
      await old.send({ topic, messages: [{ value: 'zombie' }] });
      await successor.connect();
      const fresh = await successor.transaction();
      await fresh.send({ topic, messages: [{ value: 'successor' }] });
      await fresh.commit();
      await expect(old.commit()).rejects.toThrow(/fenced|epoch/i);
    } finally {
      await zombie.disconnect();
      await successor.disconnect();
    }
    expect(await kafkajsReadUntil(topic, 'kjs-fence-reader', 'successor')).toEqual(['successor']);
  });
});

describe('@platformatic/kafka transactional producer', () => {
  async function platformaticReadUntil(topic: string, groupId: string, last: string, isolationLevel: 0 | 1): Promise<string[]> {
    const consumer = new PlatformaticConsumer({
      clientId: groupId,
      groupId,
      bootstrapBrokers: [bootstrap()],
      deserializers: stringDeserializers,
      isolationLevel,
      maxWaitTime: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    const got: string[] = [];
    try {
      const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`platformatic consumer: ${JSON.stringify(got)} without ${last}`)), 30_000);
        stream.on('data', (m: { value: string }) => {
          got.push(m.value);
          if (m.value === last) {
            clearTimeout(timer);
            resolve();
          }
        });
        stream.once('error', reject);
      });
      await stream.close();
    } finally {
      await new Promise<void>((resolve, reject) => consumer.close(true, (err) => (err ? reject(err) : resolve())));
    }
    return got;
  }

  it('beginTransaction: a committed transaction is read by read_committed consumers, an aborted one only by read_uncommitted ones', async () => {
    const topic = 'plat-txn';
    await createTopic(topic);
    const producer = new PlatformaticProducer({
      clientId: 'plat-txn',
      bootstrapBrokers: [bootstrap()],
      serializers: stringSerializers,
      idempotent: true,
      transactionalId: 'plat-txn-1',
      retries: 5,
      retryDelay: 100,
    });
    try {
      const t1 = await producer.beginTransaction();
      await t1.send({
        messages: [
          { topic, partition: 0, value: 'p0' },
          { topic, partition: 0, value: 'p1' },
        ],
      });
      await t1.commit();
      const t2 = await producer.beginTransaction();
      await t2.send({ messages: [{ topic, partition: 0, value: 'aborted' }] });
      await t2.abort();
      const t3 = await producer.beginTransaction();
      await t3.send({ messages: [{ topic, partition: 0, value: 'p2' }] });
      await t3.commit();
    } finally {
      await producer.close();
    }
    expect(await platformaticReadUntil(topic, 'plat-committed', 'p2', 1)).toEqual(['p0', 'p1', 'p2']);
    expect(await platformaticReadUntil(topic, 'plat-uncommitted', 'p2', 0)).toEqual(['p0', 'p1', 'aborted', 'p2']);
  });
});
