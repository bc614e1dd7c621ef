/**
 * Structured logging (pino). Libraries get a logger that writes JSON lines to stderr at
 * `SLUICE_LOG_LEVEL` (default 'info'); embedders pass their own pino logger instead.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

let defaultLogger: Logger | undefined;

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({ name: options.name ?? 'sluice', level: options.level ?? process.env.SLUICE_LOG_LEVEL ?? 'info' }, pino.destination({ fd: 2, sync: true }));
}

/** The process-wide default logger, created on first use. */
export function getDefaultLogger(): Logger {
  defaultLogger ??= createLogger();
  return defaultLogger;
}
