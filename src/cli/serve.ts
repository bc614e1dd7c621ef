/**
 * `sluice serve` — the broker daemon:
 *
 *   sluice serve [--data-dir ./data] [--listeners PLAINTEXT://127.0.0.1:9092]
 *                [--config server.properties] [--override key=value …] [--log-level info]
 *
 * Settings come from server.properties (Kafka's names and defaults, see broker-config.ts),
 * then --listeners, then each --override; --data-dir wins over log.dirs / log.dir.
 *
 * Logs are JSON lines (pino) on stderr. Once every listener is bound it logs one
 * `{"msg":"listening","listener":"PLAINTEXT://127.0.0.1:45123"}` line per listener (the real
 * port when the configured one was 0), then `{"msg":"ready","startupMs":…}` (ms since the
 * process started). SIGTERM or SIGINT shuts down gracefully — answer requests in flight, flush,
 * write the clean-shutdown marker — and exits 0; a second signal exits 1 at once. Startup
 * failures (bad config, port in use) log 'startup failed' and exit 1.
 *
 * Startup cost: the broker, the native addon and pino are imported only when the command runs,
 * so other commands do not pay for them.
 */
import { Option, type Command } from 'commander';
import { CliError, parseKeyValue } from './common.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export interface ServeOptions {
  dataDir?: string;
  listeners?: string;
  config?: string;
  override?: string[];
  logLevel?: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the broker: serve the Kafka wire protocol on the configured listeners')
    .option('--data-dir <dir>', 'data directory (default: log.dirs / log.dir of --config, else ./data)')
    .option('--listeners <list>', 'listeners to bind, NAME://host:port,... (default: PLAINTEXT://127.0.0.1:9092)')
    .option('--config <file>', 'a server.properties file (Kafka setting names)')
    .option('--override <key=value>', 'a broker setting that wins over --config (repeatable)', collect, [])
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .action(async (options: ServeOptions) => {
      await serve(options);
    });
}

/** Grace after a clean shutdown for handles someone leaked before the process is ended anyway. */
const EXIT_GRACE_MS = 2_000;

/**
 * Runs the daemon until SIGTERM / SIGINT, then shuts down gracefully and returns (the process
 * ends when its work is done, as every command's). Startup and shutdown failures throw a
 * CliError (exit 1) after a structured log line.
 */
export async function serve(options: ServeOptions): Promise<void> {
  // msgpackr (topic registry, producer snapshots) would load its optional native string
  // extractor, whose platform probe (detect-libc → process.report) costs ~10 ms of startup
  // and which only speeds up unpacking large documents; ours are a few KiB, read at open.
  process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED ??= 'true';
  const { createLogger } = await import('../logger.js');
  const logger = createLogger({ level: options.logLevel ?? 'info' });
  const properties = new Map<string, string>();
  if (options.listeners !== undefined) properties.set('listeners', options.listeners);
  for (const entry of options.override ?? []) {
    const [key, value] = parseKeyValue(entry, '--override');
    properties.set(key.trim(), value);
  }

  let stopRequested: ((signal: NodeJS.Signals) => void) | undefined;
  const stop = new Promise<NodeJS.Signals>((resolve) => (stopRequested = resolve));
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting without a clean shutdown');
      process.exit(1);
    }
    signalled = true;
    stopRequested!(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  // A daemon owns its process, so it takes the read-path allocator tuning (docs/memory.md)
  // that the library leaves to the embedding application.
  const { tuneAllocator } = await import('../native.js');
  const allocatorTuned = tuneAllocator();

  let running;
  try {
    const { startBrokerServer } = await import('../server/broker-server.js');
    running = await startBrokerServer(
      {
        ...(options.config !== undefined ? { propertiesFile: options.config } : {}),
        ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
        properties,
      },
      { logger },
    );
  } catch (err) {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    logger.fatal({ err }, 'startup failed');
    throw new CliError(`startup failed: ${(err as Error).message}`);
  }
  logger.info(
    {
      startupMs: Math.round(performance.now()),
      listeners: running.addresses,
      dataDir: running.broker.dataDir,
      nodeId: running.broker.brokerId,
      clusterId: running.broker.clusterId,
      allocatorTuned,
    },
    'ready',
  );

  const signal = await stop;
  logger.info({ signal }, 'shutting down');
  try {
    await running.close();
  } catch (err) {
    logger.error({ err }, 'shutdown failed');
    throw new CliError(`shutdown failed: ${(err as Error).message}`);
  }
  logger.info('stopped');
  // A second signal from here on still forces exit 1 (onSignal stays registered). The broker
  // and server hold nothing open now; if something else does, end the process all the same.
  setTimeout(() => {
    logger.warn({ graceMs: EXIT_GRACE_MS }, 'handles still open after shutdown; exiting');
    process.exit(process.exitCode ?? 0);
  }, EXIT_GRACE_MS).unref();
}
