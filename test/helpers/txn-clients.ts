/**
 * Transactional clients as test drivers: a confluent-kafka session (test/integration/clients/
 * confluent_kafka_txn.py in `session` mode) that keeps one transactional producer alive across
 * requests, so a test can hold a transaction open while it looks at the broker; and raw
 * ListOffsets / OffsetFetch requests for what a client cannot show precisely (the LSO itself,
 * UNSTABLE_OFFSET_COMMIT).
 *
 *   const s = await PythonTxnSession.start(python, bootstrap);
 *   await s.call({ op: 'init', transactional_id: 't1' });
 *   await s.call({ op: 'begin' }); await s.call({ op: 'produce', topic, records: ['a'] });
 *   … the transaction is open here …
 *   await s.call({ op: 'commit' });
 *   s.close();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { listOffsetsApi, offsetFetchApi } from '../../src/protocol/index.js';
import { clientSource, runClient } from './client-programs.js';
import { RawKafkaSocket } from './kafka-protocol.js';

export interface ClientError {
  name: string;
  code: number;
  fatal: boolean;
  retriable: boolean;
  abortable: boolean;
  str: string;
}
export type Answer<T = { ok: true }> = T & { error?: ClientError };

export const TXN_SCRIPT = clientSource('confluent_kafka_txn.py');

export class PythonTxnSession {
  private buffered = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly bootstrap: string,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        this.lines.push(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
      }
      this.waiter?.();
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    child.once('exit', () => this.waiter?.());
  }

  static start(python: string, bootstrap: string): PythonTxnSession {
    const child = spawn(python, [TXN_SCRIPT, 'session'], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new PythonTxnSession(child, bootstrap);
  }

  /** Sends one request (bootstrap added) and resolves with its answer; rejects if the process dies or `timeoutMs` passes. */
  async call<T = { ok: true }>(request: object, timeoutMs = 60_000): Promise<Answer<T>> {
    this.child.stdin!.write(`${JSON.stringify({ bootstrap: this.bootstrap, ...request })}\n`);
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`confluent_kafka_txn.py exited:\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`confluent_kafka_txn.py: no answer to ${JSON.stringify(request)} within ${timeoutMs} ms:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 200);
      });
      this.waiter = null;
    }
    return JSON.parse(this.lines.shift()!) as Answer<T>;
  }

  /** Like call(), but throws on an error answer. */
  async ok<T = { ok: true }>(request: object, timeoutMs?: number): Promise<T> {
    const answer = await this.call<T>(request, timeoutMs);
    if (answer.error !== undefined) throw new Error(`${JSON.stringify(request).slice(0, 200)}: ${JSON.stringify(answer.error)}`);
    return answer;
  }

  close(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export interface ReadRecord {
  partition: number;
  offset: number;
  value: string;
}

/** confluent-kafka reads `topic` from the start to the end it has for `isolation`. */
export async function confluentRead(
  python: string,
  bootstrap: string,
  topic: string,
  isolation: 'read_committed' | 'read_uncommitted',
  partitions = [0],
): Promise<{ records: ReadRecord[]; positions: Record<string, number> }> {
  const r = await runClient<Answer<{ records: ReadRecord[]; positions: Record<string, number> }>>(python, [TXN_SCRIPT], {
    op: 'read',
    bootstrap,
    topic,
    isolation,
    partitions,
  });
  if (r.error !== undefined) throw new Error(`read ${topic}: ${JSON.stringify(r.error)}`);
  return r;
}

/** ListOffsets v7 latest: the high watermark (isolation 0) or the last stable offset (isolation 1). */
export async function latestOffset(port: number, topic: string, partition: number, isolationLevel: 0 | 1): Promise<bigint> {
  const raw = await RawKafkaSocket.connect(port);
  try {
    const r = await raw.request(listOffsetsApi, 7, {
      replicaId: -1,
      isolationLevel,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp: -1n }] }],
    });
    const p = r.topics[0]!.partitions[0]!;
    if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}/${partition}: error ${p.errorCode}`);
    return p.offset;
  } finally {
    raw.destroy();
  }
}

/** OffsetFetch v7 for one partition; requireStable as a read_committed consumer sends it (KIP-447). */
export async function fetchCommittedOffset(
  port: number,
  groupId: string,
  topic: string,
  partition: number,
  requireStable: boolean,
): Promise<{ errorCode: number; offset: bigint }> {
  const raw = await RawKafkaSocket.connect(port);
  try {
    const r = await raw.request(offsetFetchApi, 7, { groupId, topics: [{ name: topic, partitionIndexes: [partition] }], requireStable });
    const p = r.topics[0]!.partitions[0]!;
    return { errorCode: p.errorCode !== 0 ? p.errorCode : r.errorCode, offset: p.committedOffset };
  } finally {
    raw.destroy();
  }
}
