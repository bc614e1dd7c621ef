/**
 * `sluice consume` — print a topic's records, like kafka-console-consumer:
 *
 *   sluice consume --topic web_log --from-beginning
 *   sluice consume --topic web_log --partition 0 --offset 5 --max-messages 10 --print-key
 *
 * - Without --partition every partition is read: one fetch through the network transport
 *   (client/network-transport.ts: one Fetch per leader) covering all of them, the partition
 *   order rotated each round so none is starved. Records are decoded by
 *   client/fetched-records.ts, which also reads legacy message sets and drops aborted
 *   transactions under read_committed.
 * - Start: --offset (earliest | latest | a number, needs --partition), else earliest with
 *   --from-beginning, else latest. An out-of-range position found while reading resets to
 *   earliest/latest as that start would; an explicit numeric --offset out of range is an error.
 * - Output is DefaultMessageFormatter's: the enabled fields in the order timestamp
 *   (`CreateTime:ms`), partition, offset, headers (`k:v,k:v` or NO_HEADERS), key, value,
 *   separated by --key-separator (default tab); null key/value/header values print `null`.
 * - Stops after --max-messages, after --timeout-ms without a new record, or on SIGINT/SIGTERM,
 *   then prints "Processed a total of N messages" on stderr, as Kafka does.
 * - --group joins that consumer group (client/group-membership.ts, the consumers' state
 *   machine, over the transport's group requests) with the topic as its subscription: only the partitions the group assigns are read, each from the group's
 *   committed offset (else earliest with --from-beginning, else latest, as auto.offset.reset).
 *   Positions are committed every 5 s (auto.commit.interval.ms), before each rebalance and on
 *   exit, and the member leaves the group on exit. --group excludes --partition and --offset,
 *   as in kafka-console-consumer.
 *
 * Why not client/consumer.ts: it reads a group's assignment only (no partitions chosen by
 * hand, which is what consume does without --group), and its messages carry no timestamp type
 * (--print-timestamp prints CreateTime or LogAppendTime). The requests are the same clients'.
 */
import type { Command } from 'commander';
import { ListOffsetsTimestamp } from '../broker/types.js';
import { decodeFetchedRecords, type FetchedRecord } from '../client/fetched-records.js';
import { GroupMembership } from '../client/group-membership.js';
import type { ClientTransport } from '../client/transport.js';
import { ErrorCode, KafkaError, errorNameOf, isRetriableCode } from '../errors.js';
import { CliError, addBootstrapOption, connectClient, intArg, writeOut, type CliIo } from './common.js';

export interface ConsumeOptions {
  bootstrapServer: string;
  topic: string;
  group?: string;
  fromBeginning?: boolean;
  partition?: number;
  offset?: string;
  maxMessages?: number;
  timeoutMs?: number;
  printKey?: boolean;
  printTimestamp?: boolean;
  printHeaders?: boolean;
  printPartition?: boolean;
  printOffset?: boolean;
  keySeparator: string;
  isolationLevel: string;
}

export type StartOffset = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'exact'; offset: bigint };

export interface ConsumeSettings {
  start: StartOffset;
  readCommitted: boolean;
}

export function registerConsume(program: Command, io: CliIo): Command {
  const cmd = program
    .command('consume')
    .description("print a topic's records on stdout (like kafka-console-consumer.sh)")
    .requiredOption('--topic <name>', 'topic to read')
    .option('--from-beginning', 'start at the earliest offset instead of the latest')
    .option('--partition <n>', 'read only this partition', intArg(0))
    .option('--offset <offset>', 'start offset with --partition: earliest, latest or a number')
    .option('--max-messages <n>', 'exit after this many records', intArg(1))
    .option('--timeout-ms <ms>', 'exit when no record arrived for this long (default: wait forever)', intArg(1))
    .option('--print-key', 'print each record key')
    .option('--print-timestamp', 'print each record timestamp (CreateTime:ms)')
    .option('--print-headers', 'print each record headers (k:v,k:v)')
    .option('--print-partition', 'print each record partition')
    .option('--print-offset', 'print each record offset')
    .option('--key-separator <sep>', 'separator between printed fields', '\t')
    .option('--isolation-level <level>', 'read_uncommitted or read_committed', 'read_uncommitted')
    .option('--group <id>', 'consumer group to join: read its assigned partitions from its committed offsets, commit as it goes');
  addBootstrapOption(cmd);
  cmd.action(async (options: ConsumeOptions) => {
    const settings = validateConsumeOptions(options, (message) => cmd.error(`error: ${message}`));
    await runConsume(options, settings, io);
  });
  return cmd;
}

export function validateConsumeOptions(options: ConsumeOptions, fail: (message: string) => never): ConsumeSettings {
  if (options.group !== undefined && options.partition !== undefined) fail('options group and partition cannot be specified together');
  if (options.group !== undefined && options.offset !== undefined) fail('options group and offset cannot be specified together');
  if (options.offset !== undefined && options.partition === undefined) fail('--offset requires --partition');
  if (options.offset !== undefined && options.fromBeginning === true) fail('--offset and --from-beginning cannot be used together');
  if (options.isolationLevel !== 'read_uncommitted' && options.isolationLevel !== 'read_committed') {
    fail(`--isolation-level must be read_uncommitted or read_committed (got "${options.isolationLevel}")`);
  }
  let start: StartOffset = options.fromBeginning === true ? { kind: 'earliest' } : { kind: 'latest' };
  if (options.offset !== undefined) {
    const o = options.offset.trim().toLowerCase();
    if (o === 'earliest') start = { kind: 'earliest' };
    else if (o === 'latest') start = { kind: 'latest' };
    else if (/^\d+$/.test(o)) start = { kind: 'exact', offset: BigInt(o) };
    else fail(`--offset must be earliest, latest or a non-negative number (got "${options.offset}")`);
  }
  return { start, readCommitted: options.isolationLevel === 'read_committed' };
}

export interface FormatOptions {
  printTimestamp?: boolean;
  printPartition?: boolean;
  printOffset?: boolean;
  printHeaders?: boolean;
  printKey?: boolean;
  keySeparator: string;
}

const NULL_LITERAL = Buffer.from('null');
const NEWLINE = Buffer.from('\n');

/** One record as kafka-console-consumer's DefaultMessageFormatter prints it (value always shown). */
export function formatRecord(record: FetchedRecord, partition: number, options: FormatOptions): Buffer {
  const sep = Buffer.from(options.keySeparator, 'utf8');
  const parts: Buffer[] = [];
  const field = (b: Buffer): void => {
    parts.push(b, sep);
  };
  if (options.printTimestamp === true) {
    field(Buffer.from(record.timestampType === 'NoTimestamp' ? 'NO_TIMESTAMP' : `${record.timestampType}:${record.timestamp}`));
  }
  if (options.printPartition === true) field(Buffer.from(`Partition:${partition}`));
  if (options.printOffset === true) field(Buffer.from(`Offset:${record.offset}`));
  if (options.printHeaders === true) {
    if (record.headers.length === 0) field(Buffer.from('NO_HEADERS'));
    else {
      const hs: Buffer[] = [];
      record.headers.forEach((h, i) => {
        if (i > 0) hs.push(Buffer.from(','));
        hs.push(Buffer.from(`${h.key}:`), h.value ?? NULL_LITERAL);
      });
      field(Buffer.concat(hs));
    }
  }
  if (options.printKey === true) field(record.key ?? NULL_LITERAL);
  parts.push(record.value ?? NULL_LITERAL, NEWLINE);
  return Buffer.concat(parts);
}

interface Position {
  partition: number;
  offset: bigint;
}

export async function runConsume(options: ConsumeOptions, settings: ConsumeSettings, io: CliIo): Promise<void> {
  const client = await connectClient(io, options.bootstrapServer, 'sluice-console-consumer');
  const admin = client.admin();
  const transport = client.transport;
  let processed = 0;
  let started = false;
  let stdoutClosed = false;
  const onStdoutError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') stdoutClosed = true;
  };
  io.stdout.on('error', onStdoutError);
  const member = options.group === undefined ? undefined : new GroupMembership(transport.groupTransport('sluice-console-consumer'), { groupId: options.group });
  member?.setTopics([options.topic]);
  try {
    const [topic] = (await admin.fetchTopicMetadata({ topics: [options.topic] })).topics;
    let partitions = topic!.partitions.map((p) => p.partitionId).sort((a, b) => a - b);
    if (options.partition !== undefined) {
      if (!partitions.includes(options.partition)) {
        throw new CliError(`partition ${options.partition} does not exist: topic ${options.topic} has ${partitions.length} partitions`);
      }
      partitions = [options.partition];
    }
    let positions: Position[] = [];
    if (member === undefined) {
      for (const partition of partitions) positions.push({ partition, offset: await startOffset(transport, options.topic, partition, settings.start) });
    } else {
      positions = await joinGroup(member, transport, options.topic, settings.start);
    }
    started = true;
    let lastCommitAt = Date.now();

    const signal = io.signal;
    let lastRecordAt = Date.now();
    let round = 0;
    while (!stdoutClosed && signal?.aborted !== true) {
      if (options.maxMessages !== undefined && processed >= options.maxMessages) break;
      let maxWaitMs = 500;
      if (options.timeoutMs !== undefined) {
        const left = options.timeoutMs - (Date.now() - lastRecordAt);
        if (left <= 0) break;
        maxWaitMs = Math.min(maxWaitMs, left);
      }
      if (member !== undefined) {
        if (member.needsRejoin) {
          await commitPositions(member, options.topic, positions);
          positions = await joinGroup(member, transport, options.topic, settings.start);
        } else if (Date.now() - lastCommitAt >= AUTO_COMMIT_INTERVAL_MS) {
          await commitPositions(member, options.topic, positions);
          lastCommitAt = Date.now();
        }
        if (positions.length === 0) {
          // More members than partitions: this one waits for a rebalance to give it some.
          await new Promise((resolve) => setTimeout(resolve, maxWaitMs));
          continue;
        }
      }
      const current = positions;
      const order = current.map((_, i) => current[(i + round) % current.length]!);
      round++;
      const result = await transport.fetch({
        maxWaitMs,
        minBytes: 1,
        maxBytes: 50 * 1024 * 1024,
        isolationLevel: settings.readCommitted ? 1 : 0,
        topics: [{ name: options.topic, partitions: order.map((p) => ({ partition: p.partition, fetchOffset: p.offset, partitionMaxBytes: 1024 * 1024 })) }],
      });
      let retryLater = false;
      for (const t of result.topics) {
        for (const r of t.partitions) {
          const position = current.find((p) => p.partition === r.partitionIndex);
          if (position === undefined) continue;
          if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            if (settings.start.kind === 'exact') {
              throw new KafkaError(
                'OFFSET_OUT_OF_RANGE',
                `OFFSET_OUT_OF_RANGE: offset ${position.offset} of ${options.topic}-${position.partition} is out of range`,
              );
            }
            position.offset = await startOffset(transport, options.topic, position.partition, settings.start);
            continue;
          }
          if (r.errorCode !== ErrorCode.NONE) {
            if (isRetriableCode(r.errorCode)) {
              retryLater = true;
              continue;
            }
            const name = errorNameOf(r.errorCode);
            throw new KafkaError(name, `${name}: Fetch ${options.topic}-${position.partition} at offset ${position.offset}`);
          }
          const decoded = decodeFetchedRecords(r.records, {
            abortedTransactions: r.abortedTransactions,
            readCommitted: settings.readCommitted,
            lastStableOffset: r.lastStableOffset,
          });
          const out: Buffer[] = [];
          for (const record of decoded.records) {
            if (record.offset < position.offset) continue; // a batch may start before the fetch offset
            if (options.maxMessages !== undefined && processed >= options.maxMessages) break;
            out.push(formatRecord(record, position.partition, options));
            position.offset = record.offset + 1n;
            processed++;
          }
          if (decoded.nextOffset !== null && decoded.nextOffset > position.offset && (options.maxMessages === undefined || processed < options.maxMessages)) {
            position.offset = decoded.nextOffset;
          }
          if (out.length > 0) {
            lastRecordAt = Date.now();
            await writeOut(io.stdout, Buffer.concat(out));
          }
        }
      }
      if (retryLater) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (member !== undefined) {
      await commitPositions(member, options.topic, positions);
      await member.leave();
    }
  } finally {
    io.stdout.off('error', onStdoutError);
    // After a failure, still leave the group so it rebalances now rather than after the session timeout.
    if (member !== undefined) await member.leave().catch(() => undefined);
    await client.close();
    if (started) io.stderr.write(`Processed a total of ${processed} messages\n`);
  }
}

/** kafka-console-consumer's auto.commit.interval.ms (Kafka's default). */
const AUTO_COMMIT_INTERVAL_MS = 5_000;

/** Joins (or rejoins) the group; positions of the assigned partitions of `topic` from the committed offsets, else `start`. */
async function joinGroup(member: GroupMembership, transport: ClientTransport, topic: string, start: StartOffset): Promise<Position[]> {
  // Eager: this member stopped reading before rejoining, so it claims nothing.
  member.revokeAll();
  const assigned = (await member.join()).assignment.filter((t) => t.topic === topic).flatMap((t) => t.partitions);
  if (assigned.length === 0) return [];
  const committed = await member.committed(assigned.map((partition) => ({ topic, partition })));
  const positions: Position[] = [];
  for (const partition of assigned) {
    const c = committed.find((o) => o.partition === partition && o.topic === topic);
    positions.push({ partition, offset: c !== undefined && c.offset >= 0n ? c.offset : await startOffset(transport, topic, partition, start) });
  }
  return positions;
}

/** Commits the next offset to read of each position; skipped while the member has no generation. */
async function commitPositions(member: GroupMembership, topic: string, positions: readonly Position[]): Promise<void> {
  if (member.generationId < 0 || positions.length === 0) return;
  await member.commit(positions.map((p) => ({ topic, partition: p.partition, offset: p.offset })));
}

/** The earliest or latest offset of a partition (ListOffsets), or the exact one asked for. */
async function startOffset(transport: ClientTransport, topic: string, partition: number, start: StartOffset): Promise<bigint> {
  if (start.kind === 'exact') return start.offset;
  const timestamp = start.kind === 'earliest' ? ListOffsetsTimestamp.EARLIEST : ListOffsetsTimestamp.LATEST;
  const [t] = await transport.listOffsets(0, [{ name: topic, partitions: [{ partition, timestamp }] }]);
  const p = t?.partitions.find((x) => x.partitionIndex === partition);
  if (p === undefined) throw new KafkaError('UNKNOWN_SERVER_ERROR', `UNKNOWN_SERVER_ERROR: ListOffsets of ${topic}-${partition} got no answer`);
  if (p.errorCode !== ErrorCode.NONE) {
    const name = errorNameOf(p.errorCode);
    throw new KafkaError(name, `${name}: ListOffsets ${topic}-${partition}`);
  }
  return p.offset;
}
