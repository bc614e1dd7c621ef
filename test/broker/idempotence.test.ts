import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { ErrorCode } from '../../src/errors.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { removeDir, tempDir } from '../helpers/storage.js';
import { fetchOne, openBroker, produceOne, valuesOf } from './helpers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const VITE_NODE = path.join(ROOT, 'node_modules', 'vite-node', 'vite-node.mjs');
const FIXTURE = path.join(HERE, 'fixtures', 'idempotent-producer.ts');

let dir: string;
const brokers: Broker[] = [];

async function open(): Promise<Broker> {
  const b = await openBroker(dir);
  brokers.push(b);
  return b;
}

beforeEach(() => {
  dir = tempDir('broker-idem');
});
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close().catch(() => undefined);
  removeDir(dir);
});

function idem(producerId: bigint, producerEpoch: number, baseSequence: number, n = 2, prefix = `s${baseSequence}`): Buffer {
  return encodeRecordBatch(
    Array.from({ length: n }, (_, i) => ({ key: null, value: `${prefix}-${i}` })),
    { producerId, producerEpoch, baseSequence },
  );
}

describe('idempotent produce', () => {
  it('answers a retried batch with its original offset and does not append it twice', async () => {
    const broker = await open();
    const { producerId } = await broker.initProducerId({ transactionalId: null, transactionTimeoutMs: 60_000 });
    expect((await produceOne(broker, 'i', 0, idem(producerId, 0, 0))).baseOffset).toBe(0n);
    expect((await produceOne(broker, 'i', 0, idem(producerId, 0, 2))).baseOffset).toBe(2n);
    const retry = await produceOne(broker, 'i', 0, idem(producerId, 0, 0));
    expect(retry).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect(broker.partition('i', 0)!.logEndOffset).toBe(4n);
    expect(valuesOf((await fetchOne(broker, 'i', 0, 0n)).records)).toEqual(['s0-0', 's0-1', 's2-0', 's2-1']);
  });

  it('refuses a gap in sequence numbers with OUT_OF_ORDER_SEQUENCE_NUMBER', async () => {
    const broker = await open();
    const { producerId } = await broker.initProducerId({ transactionalId: null, transactionTimeoutMs: 60_000 });
    await produceOne(broker, 'i', 0, idem(producerId, 0, 0));
    const gap = await produceOne(broker, 'i', 0, idem(producerId, 0, 5));
    expect(gap).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1n });
    expect(broker.partition('i', 0)!.logEndOffset).toBe(2n);
    // A new epoch must start at sequence 0.
    expect((await produceOne(broker, 'i', 0, idem(producerId, 1, 2))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await produceOne(broker, 'i', 0, idem(producerId, 1, 0))).errorCode).toBe(ErrorCode.NONE);
  });

  it('refuses a stale producer epoch with INVALID_PRODUCER_EPOCH', async () => {
    const broker = await open();
    const producerId = 77n;
    await produceOne(broker, 'i', 0, idem(producerId, 3, 0));
    const stale = await produceOne(broker, 'i', 0, idem(producerId, 2, 2));
    expect(stale.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('accepts any first sequence from a producer id the partition has not seen, as Kafka 3.x does', async () => {
    const broker = await open();
    expect((await produceOne(broker, 'i', 0, idem(5n, 0, 1000))).errorCode).toBe(0);
    expect((await produceOne(broker, 'i', 0, idem(5n, 0, 1002))).errorCode).toBe(0);
  });

  it('keeps producer state across a clean restart', async () => {
    const first = await open();
    const { producerId } = await first.initProducerId({ transactionalId: null, transactionTimeoutMs: 60_000 });
    await produceOne(first, 'i', 0, idem(producerId, 0, 0));
    await produceOne(first, 'i', 0, idem(producerId, 0, 2));
    await first.close();
    brokers.length = 0;
    expect(fs.readdirSync(path.join(dir, 'i-0')).filter((n) => n.endsWith('.sluice-snapshot'))).toEqual(['00000000000000000004.sluice-snapshot']);
    const second = await open();
    expect(await produceOne(second, 'i', 0, idem(producerId, 0, 2))).toMatchObject({ errorCode: 0, baseOffset: 2n });
    expect((await produceOne(second, 'i', 0, idem(producerId, 0, 6))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await produceOne(second, 'i', 0, idem(producerId, 0, 4))).toMatchObject({ errorCode: 0, baseOffset: 4n });
    expect(second.partition('i', 0)!.leaderEpoch).toBe(0);
  });

  it('rebuilds producer state from snapshot plus log after the process is SIGKILLed, and bumps the leader epoch', async () => {
    const lines = await new Promise<string[]>((resolve, reject) => {
      const child = spawn(process.execPath, [VITE_NODE, FIXTURE], {
        cwd: ROOT,
        env: { ...process.env, SLUICE_BROKER_DIR: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: string[] = [];
      let pending = '';
      let stderr = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          out.push(line);
          if (line === 'done') child.kill('SIGKILL');
        }
      });
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code, signal) => {
        if (signal === 'SIGKILL' && out.includes('done')) resolve(out);
        else reject(new Error(`child exited ${code ?? signal}: ${stderr}`));
      });
    });
    const producerId = BigInt(lines[0]!.split(' ')[1]!);
    const acks = lines.filter((l) => l.startsWith('ack')).map((l) => l.split(' ').slice(1).map(BigInt));
    expect(acks).toHaveLength(10);
    expect(fs.existsSync(path.join(dir, '.kafka_cleanshutdown'))).toBe(false);
    expect(fs.readdirSync(path.join(dir, 'idem-0')).filter((n) => n.endsWith('.sluice-snapshot'))).toEqual(['00000000000000000015.sluice-snapshot']);

    const broker = await open();
    const partition = broker.partition('idem', 0)!;
    expect(partition.logEndOffset).toBe(30n);
    expect(partition.leaderEpoch).toBe(1);
    // Retries of the last two acknowledged batches (one before, one after the snapshot).
    const dupAfter = await produceOne(
      broker,
      'idem',
      0,
      encodeRecordBatch(
        [0, 1, 2].map((j) => ({ key: null, value: `s${27 + j}` })),
        { producerId, producerEpoch: 0, baseSequence: 27 },
      ),
    );
    expect(dupAfter).toMatchObject({ errorCode: 0, baseOffset: acks[9]![1] });
    const dupEarlier = await produceOne(
      broker,
      'idem',
      0,
      encodeRecordBatch(
        [0, 1, 2].map((j) => ({ key: null, value: `s${24 + j}` })),
        { producerId, producerEpoch: 0, baseSequence: 24 },
      ),
    );
    expect(dupEarlier).toMatchObject({ errorCode: 0, baseOffset: acks[8]![1] });
    expect(partition.logEndOffset).toBe(30n);
    expect((await produceOne(broker, 'idem', 0, idem(producerId, 0, 31))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await produceOne(broker, 'idem', 0, idem(producerId, 0, 30))).toMatchObject({ errorCode: 0, baseOffset: 30n });
    // The new epoch starts at the log end as recovered; epoch 0 ends there.
    const [r] = broker.offsetForLeaderEpoch([{ name: 'idem', partitions: [{ partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 }] }]);
    expect(r!.partitions[0]).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 30n });
    const [fenced] = broker.offsetForLeaderEpoch([{ name: 'idem', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] }]);
    expect(fenced!.partitions[0]!.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    // Ids handed out before the crash are never handed out again.
    const next = await broker.initProducerId({ transactionalId: null, transactionTimeoutMs: 60_000 });
    expect(next.producerId).toBeGreaterThan(producerId);
  }, 60_000);
});

describe('InitProducerId', () => {
  it('hands out unique, increasing producer ids with epoch 0, also across restarts', async () => {
    const first = await open();
    const a = await Promise.all(Array.from({ length: 5 }, () => first.initProducerId({ transactionalId: null, transactionTimeoutMs: 1000 })));
    expect(a.every((r) => r.errorCode === 0 && r.producerEpoch === 0)).toBe(true);
    const ids = a.map((r) => r.producerId);
    expect(new Set(ids).size).toBe(5);
    await first.close();
    brokers.length = 0;
    const second = await open();
    const b = await second.initProducerId({ transactionalId: null, transactionTimeoutMs: 1000, producerId: ids[0]!, producerEpoch: 0 });
    expect(b.producerId).toBeGreaterThan(ids.reduce((x, y) => (x > y ? x : y)));
    expect(b.producerEpoch).toBe(0);
  });

  it('answers INVALID_REQUEST for a transactional id, as transactions are not supported yet', async () => {
    const broker = await open();
    const r = await broker.initProducerId({ transactionalId: 'tx-1', transactionTimeoutMs: 1000 });
    expect(r).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 });
  });
});
