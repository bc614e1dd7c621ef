/**
 * `sluice transactions` — the transactional state of producers, and the way out of a hanging
 * transaction, like kafka-transactions.sh (TransactionsCommand):
 *
 *   sluice transactions [--bootstrap-server H:P] list
 *   sluice transactions describe --transactional-id X
 *   sluice transactions describe-producers --topic T --partition P
 *   sluice transactions find-hanging --topic T [--partition P] [--max-transaction-timeout MIN]
 *   sluice transactions abort --topic T --partition P
 *                             (--start-offset O | --producer-id I --producer-epoch E --coordinator-epoch C)
 *
 * Output is Kafka's: the same subcommands, table columns and cell values ("None" for a
 * missing start time or transaction start offset, -1 for a missing coordinator epoch), each
 * cell padded to its column's width and followed by a tab. `abort` prints nothing on success,
 * as Kafka's does.
 *
 * find-hanging follows Kafka's search: the open transactions (DescribeProducers) of the
 * partitions whose producer wrote nothing for longer than --max-transaction-timeout minutes
 * (default 15) are candidates; a candidate hangs when ListTransactions knows no transactional
 * id for its producer, DescribeTransactions does not know that id, or the id's current
 * transaction does not include the partition (its coordinator will never write the marker).
 *
 * Differences, on purpose: failures print "Error: <KAFKA_ERROR_NAME>: …" on stderr (exit 1),
 * like every sluice command; --broker-id (search the replicas of one broker) and
 * --command-config are not taken: sluice serves one node, and the client's settings are
 * --bootstrap-server alone.
 *
 * Every request goes through the Admin client (client/admin-transactions.ts) over the network.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { Admin, PartitionProducerState, ProducerState, TransactionDescription } from '../client/admin.js';
import { ErrorCode, KafkaError, errorNameOf } from '../errors.js';
import { CliError, addBootstrapOption, connectClient, intArg, type CliIo } from './common.js';

const MS_PER_MINUTE = 60_000;

/** Kafka's prettyPrintTable: every cell padded to its column's width, then a tab. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => rows.reduce((w, r) => Math.max(w, r[i]!.length), h.length));
  const line = (cells: readonly string[]): string => cells.map((c, i) => `${c.padEnd(widths[i]!)}\t`).join('') + '\n';
  return line(headers) + rows.map(line).join('');
}

export const LIST_HEADERS = ['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'] as const;
export const DESCRIBE_HEADERS = [
  'CoordinatorId',
  'TransactionalId',
  'ProducerId',
  'ProducerEpoch',
  'TransactionState',
  'TransactionTimeoutMs',
  'CurrentTransactionStartTimeMs',
  'TransactionDurationMs',
  'TopicPartitions',
] as const;
export const PRODUCER_HEADERS = [
  'ProducerId',
  'ProducerEpoch',
  'LatestCoordinatorEpoch',
  'LastSequence',
  'LastTimestamp',
  'CurrentTransactionStartOffset',
] as const;
export const HANGING_HEADERS = [
  'Topic',
  'Partition',
  'ProducerId',
  'ProducerEpoch',
  'CoordinatorEpoch',
  'StartOffset',
  'LastTimestamp',
  'Duration(min)',
] as const;

/** Commander parser for a 64-bit integer option (producer ids and offsets). */
function longArg(min: bigint): (value: string) => bigint {
  return (value: string) => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('not an integer.');
    const n = BigInt(value.trim());
    if (n < min || n > 0x7fffffffffffffffn) throw new InvalidArgumentError(`must be between ${min} and ${0x7fffffffffffffffn}.`);
    return n;
  };
}

function failure(code: number, what: string): KafkaError {
  const name = errorNameOf(code);
  return new KafkaError(name, `${name}: ${what}`);
}

/** Runs `work` with an Admin over the network for the parent command's --bootstrap-server. */
async function withAdmin(io: CliIo, command: Command, work: (admin: Admin) => Promise<void>): Promise<void> {
  const { bootstrapServer } = command.optsWithGlobals<{ bootstrapServer: string }>();
  const client = await connectClient(io, bootstrapServer, 'sluice-transactions');
  try {
    await work(client.admin());
  } finally {
    await client.close();
  }
}

export function registerTransactions(program: Command, io: CliIo): Command {
  const cmd = program
    .command('transactions')
    .description('list and describe transactions and producers, find and abort hanging transactions (like kafka-transactions.sh)');
  addBootstrapOption(cmd);

  const list = cmd.command('list').description('list transactions');
  list.action(() => withAdmin(io, list, (admin) => listTransactions(admin, io)));

  const describe = cmd
    .command('describe')
    .description('describe the state of an active transactional-id')
    .requiredOption('--transactional-id <id>', 'transactional id');
  describe.action((options: { transactionalId: string }) => withAdmin(io, describe, (admin) => describeTransaction(admin, options.transactionalId, io)));

  const producers = cmd
    .command('describe-producers')
    .description('describe the states of active producers for a topic partition')
    .requiredOption('--topic <topic>', 'topic name')
    .requiredOption('--partition <n>', 'partition number', intArg(0));
  producers.action((options: { topic: string; partition: number }) =>
    withAdmin(io, producers, (admin) => describeProducers(admin, options.topic, options.partition, io)),
  );

  const hanging = cmd
    .command('find-hanging')
    .description('find hanging transactions')
    .requiredOption('--topic <topic>', 'topic name to limit search to')
    .option('--partition <n>', 'partition number', intArg(0))
    .option('--max-transaction-timeout <minutes>', 'maximum transaction timeout in minutes to limit the scope of the search', intArg(0), 15);
  hanging.action((options: { topic: string; partition?: number; maxTransactionTimeout: number }) =>
    withAdmin(io, hanging, (admin) => findHanging(admin, options, io)),
  );

  const abort = cmd
    .command('abort')
    .description('abort a hanging transaction (requires administrative privileges)')
    .requiredOption('--topic <topic>', 'topic name')
    .requiredOption('--partition <n>', 'partition number', intArg(0))
    .option('--start-offset <offset>', 'start offset of the transaction to abort', longArg(0n))
    .option('--producer-id <id>', 'producer id (with --producer-epoch and --coordinator-epoch)', longArg(0n))
    .option('--producer-epoch <epoch>', 'producer epoch', intArg(0, 0x7fff))
    .option('--coordinator-epoch <epoch>', 'coordinator epoch', intArg());
  abort.action(async (options: AbortOptions) => {
    const plan = planAbort(options, (message) => abort.error(`error: ${message}`));
    await withAdmin(io, abort, (admin) => runAbort(admin, plan));
  });
  return cmd;
}

// ---- list / describe / describe-producers ---------------------------------------------------

async function listTransactions(admin: Admin, io: CliIo): Promise<void> {
  const listings = await admin.listTransactions();
  listings.sort((a, b) => a.coordinatorId - b.coordinatorId || (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
  const rows = listings.map((l) => [l.transactionalId, String(l.coordinatorId), String(l.producerId), l.state]);
  io.stdout.write(formatTable(LIST_HEADERS, rows));
}

/** A description's table row; the duration is counted to `nowMs`. */
export function describeRow(d: TransactionDescription, nowMs: number): string[] {
  const start = d.transactionStartTimeMs;
  return [
    String(d.coordinatorId),
    d.transactionalId,
    String(d.producerId),
    String(d.producerEpoch),
    d.state,
    String(d.transactionTimeoutMs),
    start === null ? 'None' : String(start),
    start === null ? 'None' : String(BigInt(nowMs) - start),
    d.topicPartitions.map((tp) => `${tp.topic}-${tp.partition}`).join(','),
  ];
}

async function describeTransaction(admin: Admin, transactionalId: string, io: CliIo): Promise<void> {
  const [d] = await admin.describeTransactions([transactionalId]);
  if (d === undefined) throw new CliError(`no description of transactional-id \`${transactionalId}\` came back`);
  if (d.errorCode !== ErrorCode.NONE) throw failure(d.errorCode, `failed to describe transaction state of transactional-id \`${transactionalId}\``);
  io.stdout.write(formatTable(DESCRIBE_HEADERS, [describeRow(d, Date.now())]));
}

function producerRow(p: ProducerState): string[] {
  return [
    String(p.producerId),
    String(p.producerEpoch),
    String(p.coordinatorEpoch ?? -1),
    String(p.lastSequence),
    String(p.lastTimestamp),
    p.currentTransactionStartOffset === null ? 'None' : String(p.currentTransactionStartOffset),
  ];
}

async function producersOf(admin: Admin, topic: string, partition: number): Promise<PartitionProducerState> {
  try {
    const [state] = await admin.describeProducers([{ topic, partition }]);
    if (state === undefined) throw new CliError(`no producer state of ${topic}-${partition} came back`);
    return state;
  } catch (err) {
    if (err instanceof KafkaError)
      throw new KafkaError(err.errorName, `${err.message} (failed to describe producers for partition ${topic}-${partition} on leader)`);
    throw err;
  }
}

async function describeProducers(admin: Admin, topic: string, partition: number, io: CliIo): Promise<void> {
  const state = await producersOf(admin, topic, partition);
  io.stdout.write(formatTable(PRODUCER_HEADERS, state.activeProducers.map(producerRow)));
}

// ---- find-hanging -----------------------------------------------------------------------------

interface OpenTransaction {
  topic: string;
  partition: number;
  producer: ProducerState;
}

async function findHanging(admin: Admin, options: { topic: string; partition?: number; maxTransactionTimeout: number }, io: CliIo): Promise<void> {
  const maxTransactionTimeoutMs = BigInt(options.maxTransactionTimeout) * BigInt(MS_PER_MINUTE);
  let partitions: { topic: string; partition: number }[];
  if (options.partition !== undefined) partitions = [{ topic: options.topic, partition: options.partition }];
  else {
    const { topics } = await admin.fetchTopicMetadata({ topics: [options.topic] });
    partitions = (topics[0]?.partitions ?? []).map((p) => ({ topic: options.topic, partition: p.partitionId })).sort((a, b) => a.partition - b.partition);
  }
  const nowMs = BigInt(Date.now());
  const candidates: OpenTransaction[] = [];
  for (const state of partitions.length === 0 ? [] : await admin.describeProducers(partitions)) {
    for (const producer of state.activeProducers) {
      if (producer.currentTransactionStartOffset !== null && nowMs - producer.lastTimestamp > maxTransactionTimeoutMs) {
        candidates.push({ topic: state.topic, partition: state.partition, producer });
      }
    }
  }
  const hanging = candidates.length === 0 ? [] : await filterHanging(admin, candidates);
  const rows = hanging.map((t) => [
    t.topic,
    String(t.partition),
    String(t.producer.producerId),
    String(t.producer.producerEpoch),
    String(t.producer.coordinatorEpoch ?? -1),
    String(t.producer.currentTransactionStartOffset ?? -1),
    String(t.producer.lastTimestamp),
    String((nowMs - t.producer.lastTimestamp) / BigInt(MS_PER_MINUTE)),
  ]);
  io.stdout.write(formatTable(HANGING_HEADERS, rows));
}

/** Kafka's filterHangingTransactions: the candidates no coordinator will finish. */
async function filterHanging(admin: Admin, candidates: readonly OpenTransaction[]): Promise<OpenTransaction[]> {
  const producerIds = [...new Set(candidates.map((c) => c.producer.producerId))];
  const transactionalIds = new Map<bigint, string>();
  for (const l of await admin.listTransactions({ producerIds })) if (producerIds.includes(l.producerId)) transactionalIds.set(l.producerId, l.transactionalId);
  const descriptions = new Map<string, TransactionDescription | null>();
  const ids = [...new Set(transactionalIds.values())];
  for (const d of ids.length === 0 ? [] : await admin.describeTransactions(ids)) {
    if (d.errorCode === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND) descriptions.set(d.transactionalId, null);
    else if (d.errorCode !== ErrorCode.NONE) throw failure(d.errorCode, `failed to describe ${ids.length} transactions`);
    else descriptions.set(d.transactionalId, d);
  }
  return candidates.filter((c) => {
    const id = transactionalIds.get(c.producer.producerId);
    const d = id === undefined ? null : (descriptions.get(id) ?? null);
    if (d === null) return true;
    return !d.topicPartitions.some((tp) => tp.topic === c.topic && tp.partition === c.partition);
  });
}

// ---- abort ------------------------------------------------------------------------------------

export interface AbortOptions {
  topic: string;
  partition: number;
  startOffset?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  coordinatorEpoch?: number;
}

export type AbortPlan =
  | { kind: 'start-offset'; topic: string; partition: number; startOffset: bigint }
  | { kind: 'producer'; topic: string; partition: number; producerId: bigint; producerEpoch: number; coordinatorEpoch: number };

/** Kafka's argument checks for `abort`; `fail` reports a usage error. */
export function planAbort(options: AbortOptions, fail: (message: string) => never): AbortPlan {
  const { topic, partition } = options;
  if (options.startOffset !== undefined) {
    if (options.producerId !== undefined || options.producerEpoch !== undefined || options.coordinatorEpoch !== undefined) {
      fail('--start-offset cannot be combined with --producer-id, --producer-epoch or --coordinator-epoch');
    }
    return { kind: 'start-offset', topic, partition, startOffset: options.startOffset };
  }
  if (options.producerId === undefined) {
    fail(
      'The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)',
    );
  }
  if (options.producerEpoch === undefined) fail('Missing required argument --producer-epoch');
  if (options.coordinatorEpoch === undefined) fail('Missing required argument --coordinator-epoch');
  // A transaction hanging since before its producer's first marker shows coordinator epoch -1:
  // 0 is at most any epoch the partition has seen (Kafka does the same).
  return {
    kind: 'producer',
    topic,
    partition,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    coordinatorEpoch: Math.max(0, options.coordinatorEpoch),
  };
}

async function runAbort(admin: Admin, plan: AbortPlan): Promise<void> {
  let spec: { topic: string; partition: number; producerId: bigint; producerEpoch: number; coordinatorEpoch: number };
  if (plan.kind === 'producer') spec = plan;
  else {
    const state = await producersOf(admin, plan.topic, plan.partition);
    const producer = state.activeProducers.find((p) => p.currentTransactionStartOffset === plan.startOffset);
    if (producer === undefined)
      throw new CliError(`Could not find any open transactions starting at offset ${plan.startOffset} on partition ${plan.topic}-${plan.partition}`);
    spec = {
      topic: plan.topic,
      partition: plan.partition,
      producerId: producer.producerId,
      producerEpoch: producer.producerEpoch,
      coordinatorEpoch: producer.coordinatorEpoch ?? 0,
    };
  }
  await admin.abortTransaction(spec);
}
