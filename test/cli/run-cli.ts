/** Runs the sluice CLI in-process with captured output and a given stdin. */
import { Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/common.js';
import { connect } from '../../src/client/connect.js';
import type { Message } from '../../src/client/types.js';

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
    // Fast retries (the default count, 5): the fakes answer at once, and failing tests should fail quickly.
    connect: (o) => connect({ ...o, retry: { initialRetryTime: 5 } }),
  };
  if (options.signal !== undefined) io.signal = options.signal;
  const code = await main(['node', 'sluice', ...args], io);
  return { code, stdout: out.text(), stderr: err.text() };
}

/** Produces `messages` to `topic`-`partition` of the broker at `port`, one record batch (one send) per message. */
export async function produceTo(port: number, topic: string, partition: number, messages: Omit<Message, 'partition'>[]): Promise<void> {
  const client = await connect({ brokers: [`127.0.0.1:${port}`] });
  try {
    const producer = client.producer({ acks: -1, idempotent: false });
    for (const m of messages) await producer.send({ topic, messages: [{ ...m, partition }] });
  } finally {
    await client.close();
  }
}
