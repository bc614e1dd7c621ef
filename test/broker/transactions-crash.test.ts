/**
 * Transactions across a SIGKILL of the broker process (fixtures/transactional-producer.ts):
 * open transactions, the LSO, the aborted-transaction index and coordinator epochs are rebuilt
 * from the producer-state snapshot plus the log.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { ErrorCode } from '../../src/errors.js';
import { decodeRecordBatches } from '../../src/records/index.js';
import { brokersPerTest, fetchOne } from './helpers.js';

const brokers = brokersPerTest('broker-txn-crash');

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const VITE_NODE = path.join(ROOT, 'node_modules', 'vite-node', 'vite-node.mjs');
const FIXTURE = path.join(HERE, 'fixtures', 'transactional-producer.ts');

/** Runs the fixture on `dir` until it prints `done`, then SIGKILLs it. */
function runAndKill(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VITE_NODE, FIXTURE], {
      cwd: ROOT,
      env: { ...process.env, SLUICE_BROKER_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('done\n')) child.kill('SIGKILL');
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' && out.includes('done')) resolve();
      else reject(new Error(`child exited ${code ?? signal}: ${stderr}`));
    });
  });
}

async function marker(broker: Broker, producerId: bigint, commit: boolean, coordinatorEpoch: number): Promise<number> {
  const [r] = await broker.writeTxnMarkers([
    { producerId, producerEpoch: 0, transactionResult: commit, coordinatorEpoch, topics: [{ name: 'txn', partitionIndexes: [0] }] },
  ]);
  return r!.topics[0]!.partitions[0]!.errorCode;
}

describe('transactions after a SIGKILL', () => {
  it('after a SIGKILL restores open transactions, the LSO and the aborted-transaction index from snapshot plus log', async () => {
    await runAndKill(brokers.dir);
    expect(fs.existsSync(path.join(brokers.dir, '.kafka_cleanshutdown'))).toBe(false);
    const broker = await brokers.open();
    const p = broker.partition('txn', 0)!;
    expect(p.logEndOffset).toBe(8n);
    expect(p.lastStableOffset).toBe(5n);
    let fetched = await fetchOne(broker, 'txn', 0, 0n, { isolationLevel: 1 });
    expect(fetched.abortedTransactions).toEqual([{ producerId: 900n, firstOffset: 2n }]);
    expect(decodeRecordBatches(fetched.records).map((b) => b.header.baseOffset)).toEqual([0n, 2n, 4n]);
    // The coordinator epoch of the last marker is restored too: an older one is fenced.
    expect(await marker(broker, 902n, true, 0)).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    expect(await marker(broker, 901n, false, 1)).toBe(ErrorCode.NONE);
    fetched = await fetchOne(broker, 'txn', 0, 0n, { isolationLevel: 1 });
    expect(fetched.lastStableOffset).toBe(9n);
    expect(fetched.abortedTransactions).toEqual([
      { producerId: 900n, firstOffset: 2n },
      { producerId: 901n, firstOffset: 5n },
    ]);
  });
});
