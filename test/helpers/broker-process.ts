/**
 * Runs the real broker as a child process for integration tests:
 *
 *   node bin/sluice.js serve --data-dir <dir> --listeners PLAINTEXT://127.0.0.1:0
 *
 * and resolves once it logs `{"msg":"listening","listener":"PLAINTEXT://127.0.0.1:<port>"}`
 * (JSON lines on stdout or stderr), with the bound port. Needs dist/ built — the vitest
 * globalSetup test/setup/build-dist.ts does that.
 *
 *   const broker = await startBrokerProcess();
 *   … connect to 127.0.0.1:broker.port …
 *   expect(await broker.stop()).toBe(0);     // SIGTERM, wait for exit, exit code
 *
 * Without `dataDir` a temporary one is made and removed by stop()/kill(); a given `dataDir`
 * is left alone (crash tests restart on it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SLUICE_BIN = path.join(ROOT, 'bin', 'sluice.js');

export interface BrokerProcessOptions {
  dataDir?: string;
  /** Extra arguments after `serve` (e.g. ['--override', 'num.partitions=3']). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the 'listening' line; default 30 s. */
  startTimeoutMs?: number;
  /** Runs the broker under `ulimit -n <fdLimit>` (soft and hard), through sh. */
  fdLimit?: number;
}

export interface BrokerProcess {
  port: number;
  /** `PLAINTEXT://127.0.0.1:<port>` as logged. */
  listener: string;
  dataDir: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and resolves with the exit code (null if killed by a signal). SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** SIGKILL, for crash tests; resolves when the process is gone. */
  kill(): Promise<void>;
}

export function startBrokerProcess(options: BrokerProcessOptions = {}): Promise<BrokerProcess> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'sluice-broker-'));
  const argv = [SLUICE_BIN, 'serve', '--data-dir', dataDir, '--listeners', 'PLAINTEXT://127.0.0.1:0', ...(options.args ?? [])];
  const [command, commandArgs] =
    options.fdLimit === undefined
      ? [process.execPath, argv]
      : ['/bin/sh', ['-c', `ulimit -n ${Math.floor(options.fdLimit)} && exec "$0" "$@"`, process.execPath, ...argv]];
  const child = spawn(command, commandArgs, {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const cleanup = (): void => {
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };

  return new Promise<BrokerProcess>((resolve, reject) => {
    let settled = false;
    const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
    const timer = setTimeout(() => {
      fail(new Error(`broker did not log 'listening' within ${options.startTimeoutMs ?? 30_000} ms; output:\n${output}`));
      child.kill('SIGKILL');
    }, options.startTimeoutMs ?? 30_000);

    function fail(err: Error): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void exited.then(cleanup);
      reject(err);
    }

    function onLine(line: string): void {
      if (settled) return;
      let entry: { msg?: unknown; listener?: unknown };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if (entry.msg !== 'listening' || typeof entry.listener !== 'string') return;
      const m = /:(\d+)$/.exec(entry.listener);
      if (m === null) return;
      settled = true;
      clearTimeout(timer);
      const listener = entry.listener;
      resolve({
        port: Number(m[1]),
        listener,
        dataDir,
        child,
        output: () => output,
        async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000) {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
          const { code } = await exited;
          clearTimeout(killer);
          cleanup();
          return code;
        },
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
          cleanup();
        },
      });
    }

    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]!.setEncoding('utf8');
      child[stream]!.on('data', (chunk: string) => {
        output += chunk;
        pending[stream] += chunk;
        let nl: number;
        while ((nl = pending[stream].indexOf('\n')) >= 0) {
          const line = pending[stream].slice(0, nl);
          pending[stream] = pending[stream].slice(nl + 1);
          onLine(line);
        }
      });
    }
    child.once('error', (err) => fail(err));
    void exited.then(({ code, signal }) => fail(new Error(`broker exited (code ${code}, signal ${signal}) before listening; output:\n${output}`)));
  });
}
