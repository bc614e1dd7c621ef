/**
 * `sluice produce` — one record per stdin line, like kafka-console-producer:
 *
 *   echo 'this is a test log' | sluice produce --topic web_log
 *   printf 'user1:clicked\n' | sluice produce --topic web_log --key-separator :
 *
 * - `--key-separator S` turns on key parsing (kafka-console-producer's parse.key=true with
 *   key.separator=S): the line is split at the first S into key and value; a line without S
 *   is an error naming its line number, as in Kafka.
 * - Partition: `--partition N`, else murmur2 of the key (Java-compatible), else round robin.
 * - Records are batched per partition: a batch is sent when it holds `--batch-size` lines,
 *   grows past MAX_BATCH_BYTES, or when stdin pauses for `--linger-ms`. Each batch is one
 *   `Producer.send` (client/producer.ts over the network transport: one Produce request, retried
 *   on retriable errors); each partition has one send in flight at a time, so order is kept.
 *   The producer is not idempotent (as before; kafka-console-producer's is since Kafka 3.0).
 * - The topic is looked up with auto-creation allowed, as the console producer does.
 * - Prints nothing on success. On failure: the Kafka error name and message on stderr and a
 *   non-zero exit. `--progress` shows a running count on stderr when it is a terminal.
 */
import readline from 'node:readline';
import type { Command } from 'commander';
import { parseCompression, type RecordHeader } from '../records/index.js';
import { RoundRobinPartitioner } from '../client/partitioner.js';
import type { Acks, CompressionType, Message, MessageHeaders } from '../client/types.js';
import { KafkaError, errorNameOf } from '../errors.js';
import type { KafkaClient } from '../client/connect.js';
import { CliError, addBootstrapOption, collect, connectClient, intArg, parseKeyValue, type CliIo } from './common.js';

/** The partitioner reads only a message's explicit partition, which console lines never carry. */
const NO_MESSAGE: Message = { value: null };

/** A batch is also sent once its keys and values reach this size (Kafka's message.max.bytes is ~1 MiB). */
export const MAX_BATCH_BYTES = 512 * 1024;
/** Batches queued or in flight across partitions before stdin is read further. */
const MAX_PENDING_BATCHES = 16;

export interface ProduceOptions {
  bootstrapServer: string;
  topic: string;
  keySeparator?: string;
  compression: string;
  acks: string;
  partition?: number;
  batchSize: number;
  lingerMs: number;
  header?: string[];
  progress?: boolean;
  timeoutMs: number;
}

export function registerProduce(program: Command, io: CliIo): Command {
  const cmd = program
    .command('produce')
    .description('send stdin lines as records to a topic (like kafka-console-producer.sh)')
    .requiredOption('--topic <name>', 'topic to produce to')
    .option('--key-separator <sep>', 'parse a key from each line: key<sep>value (split at the first <sep>)')
    .option('--compression <codec>', 'none, gzip, snappy, lz4 or zstd', 'none')
    .option('--acks <acks>', '0, 1, -1 or all', '-1')
    .option('--partition <n>', 'send every record to this partition (default: murmur2 of the key, round robin without one)', intArg(0))
    .option('--batch-size <lines>', 'records per batch and partition', intArg(1, 1_000_000), 1000)
    .option('--linger-ms <ms>', 'send a partial batch once stdin has been quiet this long', intArg(0), 10)
    .option('--header <key=value>', 'a header added to every record, repeatable', collect)
    .option('--timeout-ms <ms>', 'how long the broker may take to acknowledge a batch', intArg(1), 30_000)
    .option('--progress', 'show a running count of sent records on stderr (when it is a terminal)');
  addBootstrapOption(cmd);
  cmd.action(async (options: ProduceOptions) => {
    const settings = validateProduceOptions(options, (message) => cmd.error(`error: ${message}`));
    await runProduce(options, settings, io);
  });
  return cmd;
}

export interface ProduceSettings {
  acks: Acks;
  compression: CompressionType;
  headers: RecordHeader[];
}

export function validateProduceOptions(options: ProduceOptions, fail: (message: string) => never): ProduceSettings {
  const acksText = options.acks.trim().toLowerCase();
  const acks = acksText === 'all' ? -1 : acksText === '0' ? 0 : acksText === '1' ? 1 : acksText === '-1' ? -1 : undefined;
  if (acks === undefined) fail(`--acks must be 0, 1, -1 or all (got "${options.acks}")`);
  const compression = options.compression.trim().toLowerCase() as CompressionType;
  try {
    parseCompression(compression);
  } catch {
    fail(`--compression must be one of none, gzip, snappy, lz4, zstd (got "${options.compression}")`);
  }
  if (options.keySeparator === '') fail('--key-separator must not be empty');
  let headers: RecordHeader[];
  try {
    headers = (options.header ?? []).map(parseHeaderOption);
  } catch (err) {
    fail((err as Error).message);
  }
  return { acks: acks as Acks, compression, headers };
}

/** `--header k=v` → a record header (value may be empty; the key may not). */
export function parseHeaderOption(text: string): RecordHeader {
  const [key, value] = parseKeyValue(text, '--header');
  return { key, value };
}

/**
 * One input line → key and value, as kafka-console-producer's LineMessageReader reads it.
 * Without a separator the key is null and the whole line is the value.
 */
export function parseLine(line: string, keySeparator: string | undefined, lineNumber: number): { key: Buffer | null; value: Buffer } {
  if (keySeparator === undefined) return { key: null, value: Buffer.from(line, 'utf8') };
  const i = line.indexOf(keySeparator);
  if (i < 0) throw new CliError(`No key separator found on line number ${lineNumber}: '${line}'`);
  return { key: Buffer.from(line.slice(0, i), 'utf8'), value: Buffer.from(line.slice(i + keySeparator.length), 'utf8') };
}

/** --header values as a Message's headers (a key given twice keeps both values, in order). */
function messageHeaders(headers: readonly RecordHeader[]): MessageHeaders | undefined {
  if (headers.length === 0) return undefined;
  const out: MessageHeaders = {};
  for (const h of headers) {
    const value = h.value ?? '';
    const prev = out[h.key];
    out[h.key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

interface PartitionState {
  records: Message[];
  bytes: number;
  /** The partition's send chain: one Produce in flight per partition keeps order. */
  chain: Promise<void>;
}

export async function runProduce(options: ProduceOptions, settings: ProduceSettings, io: CliIo): Promise<void> {
  const client = await connectClient(io, options.bootstrapServer, 'sluice-console-producer');
  const producer = client.producer({ acks: settings.acks, compression: settings.compression, idempotent: false, allowAutoTopicCreation: true });
  const headers = messageHeaders(settings.headers);
  // Created only once the topic is known: lines readline emits before iteration starts are lost.
  let rl: readline.Interface | undefined;
  let failure: Error | undefined;
  let sent = 0;
  let pendingBatches = 0;
  let slotWaiters: (() => void)[] = [];
  const showProgress = options.progress === true && io.stderr.isTTY === true;
  let lastProgressAt = 0;
  const progress = (force: boolean): void => {
    if (!showProgress) return;
    const now = Date.now();
    if (!force && now - lastProgressAt < 200) return;
    lastProgressAt = now;
    io.stderr.write(`\r${sent} records sent`);
  };

  try {
    const numPartitions = await partitionCount(client.transport, options.topic);
    if (options.partition !== undefined && options.partition >= numPartitions) {
      throw new CliError(`partition ${options.partition} does not exist: topic ${options.topic} has ${numPartitions} partitions`);
    }
    // Keyed records by murmur2 as the Java client; records without a key round robin, as
    // kafka-console-producer spreads them.
    const partitioner = new RoundRobinPartitioner();
    const states = new Map<number, PartitionState>();
    const state = (p: number): PartitionState => {
      let s = states.get(p);
      if (s === undefined) states.set(p, (s = { records: [], bytes: 0, chain: Promise.resolve() }));
      return s;
    };

    const send = (p: number): void => {
      const s = state(p);
      if (s.records.length === 0) return;
      const records = s.records;
      s.records = [];
      s.bytes = 0;
      pendingBatches++;
      s.chain = s.chain.then(async () => {
        try {
          if (failure !== undefined) return;
          await producer.send({ topic: options.topic, messages: records, timeout: options.timeoutMs });
          sent += records.length;
          progress(false);
        } catch (err) {
          failure ??= new CliError(`Error producing to ${options.topic}-${p}: ${(err as Error).message}`);
          rl?.close();
        } finally {
          pendingBatches--;
          const waiters = slotWaiters;
          slotWaiters = [];
          for (const w of waiters) w();
        }
      });
    };
    const sendAll = (): void => {
      for (const p of states.keys()) send(p);
    };

    let lingerTimer: NodeJS.Timeout | undefined;
    let lineNumber = 0;
    let inputError: Error | undefined;
    rl = readline.createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
    // Ctrl-C: stop reading, send what was read, then exit.
    const stopReading = (): void => rl?.close();
    if (io.signal?.aborted === true) stopReading();
    io.signal?.addEventListener('abort', stopReading, { once: true });
    for await (const line of rl) {
      if (failure !== undefined) break;
      lineNumber++;
      let parsed;
      try {
        parsed = parseLine(line, options.keySeparator, lineNumber);
      } catch (err) {
        // Lines before the bad one are still sent, as kafka-console-producer has sent them.
        inputError = err as Error;
        break;
      }
      const { key, value } = parsed;
      const p = options.partition ?? partitioner.partition(options.topic, numPartitions, NO_MESSAGE, key);
      const s = state(p);
      const record: Message = { key, value, partition: p, timestamp: Date.now() };
      if (headers !== undefined) record.headers = headers;
      s.records.push(record);
      s.bytes += value.length + (key?.length ?? 0);
      if (s.records.length >= options.batchSize || s.bytes >= MAX_BATCH_BYTES) send(p);
      if (lingerTimer !== undefined) clearTimeout(lingerTimer);
      lingerTimer = setTimeout(sendAll, options.lingerMs);
      while (pendingBatches >= MAX_PENDING_BATCHES && failure === undefined) {
        await new Promise<void>((resolve) => slotWaiters.push(resolve));
      }
    }
    if (lingerTimer !== undefined) clearTimeout(lingerTimer);
    if (failure === undefined) sendAll();
    await Promise.all([...states.values()].map((s) => s.chain));
    if (showProgress) {
      progress(true);
      io.stderr.write('\n');
    }
    if (inputError !== undefined && failure === undefined) throw inputError;
    if (failure !== undefined) {
      throw new CliError(`${failure.message}${sent > 0 ? ` (${sent} records were sent before the failure)` : ''}`);
    }
  } finally {
    rl?.close();
    await client.close();
  }
}

/** The partition count of `topic`, created if the broker auto-creates topics (as the console producer asks). */
async function partitionCount(transport: KafkaClient['transport'], topic: string): Promise<number> {
  const metadata = await transport.metadata([topic], true);
  const t = metadata.topics.find((x) => x.name === topic);
  const code = t === undefined ? 3 : t.errorCode;
  if (code !== 0) {
    const name = errorNameOf(code);
    throw new KafkaError(name, `${name}: topic ${topic}${code === 3 ? ' does not exist' : ''}`);
  }
  return t!.partitions.length;
}
