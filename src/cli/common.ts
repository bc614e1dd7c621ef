/**
 * What the console commands share: their I/O (injectable, so tests run them in-process),
 * option parsers, the client factory and error formatting.
 */
import { InvalidArgumentError, type Command } from 'commander';
// Types only: the client is loaded when a command connects, so `serve` (which imports this
// module through main.ts) never loads it.
import type { ConnectOptions, KafkaClient } from '../client/connect.js';

export const DEFAULT_BOOTSTRAP_SERVER = '127.0.0.1:9092';

type Output = NodeJS.WritableStream & { isTTY?: boolean };

export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: Output;
  stderr: Output;
  /** Aborted on SIGINT / SIGTERM: long-running commands stop cleanly and exit 0. */
  signal?: AbortSignal;
  /** Makes the network client (client/connect.ts); tests substitute their own. */
  connect?: (options: ConnectOptions) => Promise<KafkaClient>;
}

export function processIo(signal?: AbortSignal): CliIo {
  const io: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  if (signal !== undefined) io.signal = signal;
  return io;
}

/** A failure the user should see as one line on stderr, with a non-zero exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** The network client (Producer, Consumer and Admin over the Kafka protocol) for `--bootstrap-server`. */
export async function connectClient(io: CliIo, bootstrapServer: string, clientId: string): Promise<KafkaClient> {
  const brokers = bootstrapServer
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (brokers.length === 0) throw new CliError('--bootstrap-server names no broker');
  if (io.connect !== undefined) return io.connect({ brokers, clientId });
  const { connect } = await import('../client/connect.js');
  return connect({ brokers, clientId });
}

/** Adds `--bootstrap-server`, which every network command takes. */
export function addBootstrapOption(command: Command): Command {
  return command.option('--bootstrap-server <host:port>', 'broker(s) to connect to, comma-separated', DEFAULT_BOOTSTRAP_SERVER);
}

/** Commander parser for an integer option within [min, max]. */
export function intArg(min = -0x80000000, max = 0x7fffffff): (value: string) => number {
  return (value: string) => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('not an integer.');
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}.`);
    return n;
  };
}

/** Commander collector for a repeatable option. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Splits `key=value` at the first '='. */
export function parseKeyValue(text: string, what: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new CliError(`invalid ${what} "${text}": expected key=value`);
  return [text.slice(0, i), text.slice(i + 1)];
}

/**
 * Writes `text` and, when the stream asks to, waits until it drains — or fails or closes
 * (a reader like `head` going away must not leave us waiting for a drain that never comes).
 */
export function writeOut(stream: Output, text: string | Buffer): Promise<void> | undefined {
  if (stream.write(text)) return undefined;
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('error', done);
    stream.once('close', done);
  });
}
