/** Runs the sluice CLI in-process with captured output and a given stdin. */
import { Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/common.js';
import { KafkaWireClient } from '../../src/wire-client/index.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function runCli(args: string[], options: { stdin?: string | Readable; signal?: AbortSignal } = {}): Promise<CliRun> {
  const out = sink();
  const err = sink();
  const stdin = typeof options.stdin === 'string' || options.stdin === undefined ? Readable.from([options.stdin ?? '']) : options.stdin;
  const io: CliIo = {
    stdin,
    stdout: out.stream,
    stderr: err.stream,
    // Fast retries: the fakes answer at once, and failing tests should fail quickly.
    connect: (bootstrap, o) => KafkaWireClient.connect(bootstrap, { ...o, retries: 2, retryBackoffMs: 5 }),
  };
  if (options.signal !== undefined) io.signal = options.signal;
  const code = await main(['node', 'sluice', ...args], io);
  return { code, stdout: out.text(), stderr: err.text() };
}
