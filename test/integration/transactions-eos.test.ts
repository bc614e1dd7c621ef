/**
 * Transactions under failure, against `sluice serve`, with confluent-kafka (librdkafka 2.0):
 * - exactly-once consume-transform-produce: a processor (confluent_kafka_txn.py `process`: a
 *   static group member reading `in`, writing `out` in transactions that also commit its
 *   offsets) is SIGKILLed at random steps 20 times and restarted; `out` read with
 *   read_committed holds every input record exactly once;
 * - the broker SIGKILLed between persisting PrepareCommit/PrepareAbort and writing the markers
 *   (SLUICE_FAILPOINT=txn-after-prepare): after a restart the transaction completes as decided;
 * - a producer that stops mid-transaction is aborted after transaction.timeout.ms, the LSO moves
 *   on, and the producer is fenced.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { clientSource, runClient } from '../helpers/client-programs.js';
import { ensurePythonKafkaClients } from '../helpers/system-tools.js';
import { PythonTxnSession, TXN_SCRIPT, confluentRead, latestOffset } from '../helpers/txn-clients.js';
import { pollUntil } from '../helpers/wait.js';

const { Kafka, logLevel } = kafkajs;

let python: string;
const brokers: BrokerProcess[] = [];
const sessions: PythonTxnSession[] = [];
const children: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(() => {
  python = ensurePythonKafkaClients();
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of sessions) s.close();
  for (const b of brokers) await b.kill();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function startBroker(options: { dataDir?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<BrokerProcess> {
  const b = await startBrokerProcess({ ...options, args: ['--override', 'num.partitions=1', ...(options.args ?? [])] });
  brokers.push(b);
  return b;
}

const bootstrapOf = (b: BrokerProcess): string => `127.0.0.1:${b.port}`;

function session(b: BrokerProcess): PythonTxnSession {
  const s = PythonTxnSession.start(python, bootstrapOf(b));
  sessions.push(s);
  return s;
}

async function createTopics(b: BrokerProcess, topics: { topic: string; numPartitions: number }[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'eos-admin', brokers: [bootstrapOf(b)], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function plainProduce(b: BrokerProcess, topic: string, values: string[], partition = 0): Promise<void> {
  await runClient(python, [clientSource('confluent_kafka_client.py')], {
    op: 'produce',
    bootstrap: bootstrapOf(b),
    topic,
    partition,
    acks: 'all',
    records: values.map((value) => ({ key: null, value })),
  });
}

/** Waits until no open transaction holds the partition back (LSO = high watermark); returns it. */
function untilStable(b: BrokerProcess, topic: string, partition = 0, timeoutMs = 30_000): Promise<bigint> {
  return pollUntil(
    `${topic}/${partition}: LSO = high watermark`,
    async () => {
      const lso = await latestOffset(b.port, topic, partition, 1);
      return lso === (await latestOffset(b.port, topic, partition, 0)) ? lso : null;
    },
    { timeoutMs, retryErrors: true },
  );
}

const values = (r: { records: { value: string }[] }): string[] => r.records.map((x) => x.value);
/** "<partition>:<value>", partition by partition in offset order (partitions arrive interleaved). */
const byPartition = (r: { records: { partition: number; offset: number; value: string }[] }): string[] =>
  [...r.records].sort((a, b) => a.partition - b.partition || a.offset - b.offset).map((x) => `${x.partition}:${x.value}`);

describe('exactly-once consume-transform-produce', () => {
  /** A processor child and the steps it printed. */
  interface Processor {
    child: ChildProcess;
    steps: { step: string; count?: number; error?: unknown }[];
    stderr: () => string;
    exited: Promise<void>;
    /** Resolves at the step with this index (0-based, counting every step line) or when the child exits. */
    at(index: number): Promise<void>;
  }

  function startProcessor(b: BrokerProcess): Processor {
    const request = {
      op: 'process',
      bootstrap: bootstrapOf(b),
      group: 'eos-group',
      instance: 'eos-processor-1',
      transactional_id: 'eos-processor-1',
      input: 'eos-in',
      output: 'eos-out',
      max_records: 20,
    };
    const child = spawn(python, [TXN_SCRIPT, JSON.stringify(request)], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const steps: Processor['steps'] = [];
    const waiting: { index: number; resolve: () => void }[] = [];
    let stderr = '';
    let pending = '';
    const wake = (): void => {
      for (const w of waiting.splice(0)) {
        if (steps.length > w.index || child.exitCode !== null || child.signalCode !== null) w.resolve();
        else waiting.push(w);
      }
    };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        steps.push(JSON.parse(pending.slice(0, nl)) as Processor['steps'][number]);
        pending = pending.slice(nl + 1);
      }
      wake();
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        resolve();
        setImmediate(wake);
      }),
    );
    return {
      child,
      steps,
      stderr: () => stderr,
      exited,
      at: (index) =>
        new Promise<void>((resolve) => {
          waiting.push({ index, resolve });
          wake();
        }),
    };
  }

  it(
    'writes every input record to the output exactly once (read_committed) although the processor is SIGKILLed at 20 random points',
    { timeout: 240_000 },
    async () => {
      const b = await startBroker();
      const partitions = 3;
      const perPartition = 400;
      await createTopics(b, [
        { topic: 'eos-in', numPartitions: partitions },
        { topic: 'eos-out', numPartitions: partitions },
      ]);
      for (let p = 0; p < partitions; p++)
        await plainProduce(
          b,
          'eos-in',
          Array.from({ length: perPartition }, (_, i) => `v${p}-${i}`),
          p,
        );

      const history: string[] = [];
      const failures: string[] = [];
      const check = (proc: Processor): void => {
        for (const s of proc.steps) if (s.error !== undefined) failures.push(JSON.stringify(s.error));
        if (proc.child.exitCode !== null && proc.child.exitCode !== 0) failures.push(`processor exited ${proc.child.exitCode}: ${proc.stderr()}`);
      };
      for (let kill = 0; kill < 20; kill++) {
        const proc = startProcessor(b);
        // Steps after 'started': begun, produced, offsets, committed per transaction (or idle).
        // Kill at a random one of the first three transactions' steps, a few ms after it.
        const index = 1 + Math.floor(Math.random() * 12);
        await proc.at(index);
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 15)));
        proc.child.kill('SIGKILL');
        await proc.exited;
        history.push(`#${kill}: killed after ${proc.steps.map((s) => s.step).join(',')}`);
        check(proc);
      }

      // The last run finishes the input.
      const last = startProcessor(b);
      const total = partitions * perPartition;
      const final = await pollUntil(
        'the output to hold every input record',
        async () => {
          const r = await confluentRead(python, bootstrapOf(b), 'eos-out', 'read_committed', [0, 1, 2]);
          return r.records.length >= total ? r : null;
        },
        {
          timeoutMs: 120_000,
          intervalMs: 500,
          diagnostics: () => `${history.join('\n')}\nlast run: ${JSON.stringify(last.steps.slice(-5))}\n${last.stderr()}`,
        },
      );
      last.child.kill('SIGKILL');
      await last.exited;
      check(last);
      expect(failures).toEqual([]);
      // Some kills hit an open transaction (p = 1 - (1/4)^20 for random steps): the property was exercised.
      expect(history.some((h) => /(begun|produced|offsets)$/.test(h))).toBe(true);

      const expected = Array.from({ length: partitions }, (_, p) => Array.from({ length: perPartition }, (_, i) => `${p}:${i}:v${p}-${i}`)).flat();
      const got = values(final);
      expect(got.length).toBe(total);
      expect(new Set(got).size).toBe(total);
      expect([...got].sort()).toEqual([...expected].sort());
      // Per partition, in input order.
      for (let p = 0; p < partitions; p++) {
        expect(final.records.filter((r) => r.partition === p).map((r) => r.value)).toEqual(expected.slice(p * perPartition, (p + 1) * perPartition));
      }
    },
  );
});

describe('a broker SIGKILLed between the decision and the markers', () => {
  for (const decision of ['commit', 'abort'] as const) {
    it(`completes a transaction whose ${decision} was persisted but whose markers were not written, once restarted`, { timeout: 120_000 }, async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-txn-failpoint-'));
      dirs.push(dataDir);
      const topic = `failpoint-${decision}`;
      const first = await startBroker({ dataDir, env: { SLUICE_FAILPOINT: 'txn-after-prepare' } });
      await createTopics(first, [{ topic, numPartitions: 2 }]);
      await plainProduce(first, topic, ['before-0'], 0);
      const s = session(first);
      await s.ok({ op: 'init', transactional_id: `failpoint-${decision}` });
      await s.ok({ op: 'begin' });
      await s.ok({ op: 'produce', topic, partition: 0, records: ['t0', 't1'] });
      await s.ok({ op: 'produce', topic, partition: 1, records: ['t2'] });
      // The broker dies on EndTxn, after persisting PrepareCommit / PrepareAbort: the client sees a failure.
      const answer = s.call({ op: decision, timeout: 5 }, 30_000).catch((err: Error) => ({ error: { str: err.message } }));
      await pollUntil('the broker to kill itself at the failpoint', () => first.child.exitCode !== null || first.child.signalCode !== null, {
        diagnostics: () => first.output(),
      });
      expect(first.child.signalCode).toBe('SIGKILL');
      expect((await answer).error).toBeDefined();
      s.close();

      const second = await startBroker({ dataDir });
      await untilStable(second, topic, 0);
      await untilStable(second, topic, 1);
      const committed = await confluentRead(python, bootstrapOf(second), topic, 'read_committed', [0, 1]);
      expect(byPartition(committed)).toEqual(decision === 'commit' ? ['0:before-0', '0:t0', '0:t1', '1:t2'] : ['0:before-0']);
      // Each partition: the records, then one marker; the consumer's position is past the marker.
      expect(committed.positions).toEqual({ '0': 4, '1': 2 });
      const uncommitted = await confluentRead(python, bootstrapOf(second), topic, 'read_uncommitted', [0, 1]);
      expect(byPartition(uncommitted)).toEqual(['0:before-0', '0:t0', '0:t1', '1:t2']);

      // The transactional id is usable again: the coordinator's state is complete, not stuck.
      const next = session(second);
      await next.ok({ op: 'init', transactional_id: `failpoint-${decision}` });
      await next.ok({ op: 'begin' });
      await next.ok({ op: 'produce', topic, partition: 1, records: ['after'] });
      await next.ok({ op: 'commit' });
      expect(values(await confluentRead(python, bootstrapOf(second), topic, 'read_committed', [1]))).toEqual(
        decision === 'commit' ? ['t2', 'after'] : ['after'],
      );
    });
  }
});

describe('transaction timeout', () => {
  it(
    'aborts a transaction whose producer stopped, after transaction.timeout.ms: the LSO moves on, read_committed reads past it, and the producer is fenced',
    { timeout: 120_000 },
    async () => {
      const b = await startBroker({ args: ['--override', 'transaction.abort.timed.out.transaction.cleanup.interval.ms=200'] });
      const topic = 'txn-timeout';
      await createTopics(b, [{ topic, numPartitions: 1 }]);
      const kafka = new Kafka({ clientId: 'txn-timeout', brokers: [bootstrapOf(b)], logLevel: logLevel.NOTHING });
      const plain = kafka.producer();
      await plain.connect();
      await plain.send({ topic, acks: -1, messages: [{ partition: 0, value: 'p0' }] });
      const s = session(b);
      // Long enough for the checks below to run while it is open, on a loaded machine.
      await s.ok({ op: 'init', transactional_id: 'txn-timeout', transaction_timeout_ms: 10_000, conf: { 'socket.timeout.ms': 5000 } });
      await s.ok({ op: 'begin' });
      await s.ok({ op: 'produce', topic, records: ['hung-0', 'hung-1'] });
      await plain.send({ topic, acks: -1, messages: [{ partition: 0, value: 'p1' }] });
      await plain.disconnect();
      // Held at the hung transaction's first record, while it is open.
      expect(await latestOffset(b.port, topic, 0, 1)).toBe(1n);
      expect(values(await confluentRead(python, bootstrapOf(b), topic, 'read_committed'))).toEqual(['p0']);

      // p0, hung-0, hung-1, p1, the ABORT marker.
      expect(await untilStable(b, topic)).toBe(5n);
      const after = await confluentRead(python, bootstrapOf(b), topic, 'read_committed');
      expect(values(after)).toEqual(['p0', 'p1']);
      expect(after.positions).toEqual({ '0': 5 });

      const late = await s.call({ op: 'commit', timeout: 10 });
      expect(late.error).toBeDefined();
      expect(late.error!.name).toMatch(/FENCED|PRODUCER_EPOCH|INVALID_TXN_STATE/);
      expect(values(await confluentRead(python, bootstrapOf(b), topic, 'read_committed'))).toEqual(['p0', 'p1']);
    },
  );
});
