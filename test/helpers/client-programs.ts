/**
 * Third-party Kafka clients as test drivers: the small programs in test/integration/clients/
 * take one JSON request as their argument and print one JSON document of what the client saw.
 *
 *   const out = await runClient<{ acked: unknown[] }>(DEBIAN_PYTHON, [script('kafka_python_client.py')], { op: 'produce', … });
 *   const bin = buildGoClient('sarama');   // compiled once per source version, cached in os.tmpdir()
 *
 * Also reads back how the broker stored a partition (codec and magic of each batch), so tests
 * can check that a producer's compression survived.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchApi } from '../../src/protocol/index.js';
import { entryHeaders } from '../../src/server/handlers/common.js';
import { RawKafkaSocket } from './kafka-protocol.js';
import { runProcess, type ProcessResult } from './run-process.js';
import { DEBIAN_GOPATH } from './system-tools.js';

/** Where a v2 batch header keeps the producer id. */
const PRODUCER_ID_OFFSET = 43;
const CLIENTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../integration/clients');

/** Path of a client program's source under test/integration/clients/. */
export function clientSource(name: string): string {
  return path.join(CLIENTS, name);
}

export type ClientRun = ProcessResult;

/** Runs `cmd args… '<request as JSON>'`; SIGKILL after `timeoutMs`. */
export function runClientRaw(cmd: string, args: string[], request: object, timeoutMs = 60_000): Promise<ClientRun> {
  return runProcess(cmd, [...args, JSON.stringify(request)], { timeoutMs });
}

/** Like runClientRaw, but parses the JSON it printed and throws (with its stderr) when it failed. */
export async function runClient<T>(cmd: string, args: string[], request: object, timeoutMs?: number): Promise<T> {
  const r = await runClientRaw(cmd, args, request, timeoutMs);
  if (r.code !== 0) throw new Error(`${path.basename(args[0] ?? cmd)} ${JSON.stringify(request).slice(0, 300)} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * Compiles test/integration/clients/<name>/main.go in GOPATH mode against Debian's Go library
 * packages; the binary is cached under os.tmpdir() by a hash of the source and the toolchain,
 * so a test run compiles each program at most once.
 */
export function buildGoClient(name: string): string {
  const source = path.join(CLIENTS, name, 'main.go');
  const goVersion = execFileSync('go', ['version'], { encoding: 'utf8' });
  const hash = createHash('sha256').update(fs.readFileSync(source)).update(goVersion).digest('hex').slice(0, 16);
  const root = path.join(os.tmpdir(), 'sluice-go-clients');
  const bin = path.join(root, `${name}-${hash}`);
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(root, { recursive: true });
  const partial = `${bin}.${process.pid}.tmp`;
  execFileSync('go', ['build', '-o', partial, source], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '', GOPATH: `${DEBIAN_GOPATH}:${path.join(root, 'gopath')}`, GOCACHE: path.join(root, 'cache') },
  });
  fs.renameSync(partial, bin); // atomic: a concurrent build of the same source wins harmlessly
  return bin;
}

export interface StoredBatch {
  offset: bigint;
  magic: number;
  codec: number;
  /** Magic 2 only; -1 unless an idempotent producer wrote the batch. */
  producerId: bigint;
}

/** Every entry stored in `partition` of `topic`, read with a raw Fetch v12. */
export async function storedBatches(port: number, topic: string, partition = 0): Promise<StoredBatch[]> {
  const raw = await RawKafkaSocket.connect(port);
  try {
    const r = await raw.request(fetchApi, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      topics: [{ topic, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 8 << 20 }] }],
    });
    const p = r.responses[0]!.partitions[0]!;
    if (p.errorCode !== 0) throw new Error(`fetch ${topic}/${partition}: error ${p.errorCode}`);
    const records = p.records!;
    return entryHeaders(records).map(({ position, offset, magic, codec }) => ({
      offset,
      magic,
      codec,
      producerId: magic >= 2 ? records.readBigInt64BE(position + PRODUCER_ID_OFFSET) : -1n,
    }));
  } finally {
    raw.destroy();
  }
}

/** Codec ids as stored in batch attributes. */
export const CODEC_IDS: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
