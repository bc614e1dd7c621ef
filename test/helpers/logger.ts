import pino, { type Logger } from 'pino';

/** A logger that records lines in memory instead of printing them, for assertions. */
export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { logger, lines };
}

export function quietLogger(): Logger {
  return pino({ level: 'silent' });
}
