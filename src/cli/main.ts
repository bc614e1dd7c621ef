/**
 * The `sluice` command line: one subcommand per file, registered here.
 *
 *   sluice serve     run the broker (serve.ts)
 *   sluice topics    create / list / describe / alter / delete topics (topics.ts)
 *   sluice produce   stdin lines → records (produce.ts)
 *   sluice consume   records → stdout (consume.ts)
 *   sluice groups    list / describe / delete consumer groups, reset offsets (groups.ts)
 *   sluice transactions  list / describe transactions and producers, find and abort hanging ones (transactions.ts)
 *
 * Errors: usage mistakes are reported by commander ("error: …", exit 1); a failed operation
 * prints "Error: <KAFKA_ERROR_NAME>: <what>" on stderr and exits 1. Nothing calls
 * process.exit: `main` returns the exit code and the process ends when its work is done, so
 * a long-running `serve` keeps running after its action returns.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { processIo, type CliIo } from './common.js';

type Register = (program: Command, io: CliIo) => unknown;

/**
 * Each subcommand's module, in help order, imported only when needed: a command loads its own
 * module alone (`serve` must not pay for the network client and the console tools at
 * startup, nor the console tools for the broker); help and unknown commands load them all.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  serve: async () => (await import('./serve.js')).registerServe,
  topics: async () => (await import('./topics.js')).registerTopics,
  produce: async () => (await import('./produce.js')).registerProduce,
  consume: async () => (await import('./consume.js')).registerConsume,
  groups: async () => (await import('./groups.js')).registerGroups,
  transactions: async () => (await import('./transactions.js')).registerTransactions,
};

function packageVersion(): string {
  try {
    // src/cli/main.ts, dist/cli/main.js and the CLI bundle dist/bundle/sluice.cjs all sit two
    // levels below package.json.
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/**
 * The program with subcommand `only` (every subcommand when it is not one of ours); output goes
 * to `io` and exits become CommanderErrors.
 */
export async function buildProgram(io: CliIo = processIo(), only?: string): Promise<Command> {
  const names = only !== undefined && Object.hasOwn(COMMANDS, only) ? [only] : Object.keys(COMMANDS);
  const registers = await Promise.all(names.map((name) => COMMANDS[name]!()));
  const program = new Command('sluice')
    .description('sluice — a Kafka-compatible broker for Node.js, and its console tools')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError('(add --help for usage)');
  for (const register of registers) register(program, io);
  return program;
}

const GRACEFUL_COMMANDS = new Set(['produce', 'consume']);

/** The subcommand in node-style argv: the first argument after the script that is not an option. */
function commandName(argv: readonly string[]): string {
  return argv.slice(2).find((a) => !a.startsWith('-')) ?? '';
}

/** Runs the CLI on `argv` (node-style: [node, script, ...args]) and returns the exit code. */
export async function main(argv: readonly string[] = process.argv, io?: CliIo): Promise<number> {
  let cleanup = (): void => undefined;
  if (io === undefined) {
    const controller = new AbortController();
    // produce and consume stop gracefully on the first SIGINT/SIGTERM (flush, print the
    // total) and exit at once on the second. Other commands keep Node's default (exit now);
    // serve installs its own handlers.
    if (GRACEFUL_COMMANDS.has(commandName(argv))) {
      const onSignal = (): void => {
        if (controller.signal.aborted) process.exit(130);
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      cleanup = () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      };
    }
    io = processIo(controller.signal);
  }
  try {
    const program = await buildProgram(io, commandName(argv));
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    io.stderr.write(`Error: ${(err as Error).message ?? String(err)}\n`);
    return typeof (err as { exitCode?: unknown }).exitCode === 'number' ? (err as { exitCode: number }).exitCode : 1;
  } finally {
    cleanup();
  }
}
