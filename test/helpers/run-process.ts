/** Runs a program to completion and collects its output: the one child-process runner the test drivers share. */
import { spawn } from 'node:child_process';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunProcessOptions {
  /** Written to stdin, which is then closed; without it stdin is not connected. */
  input?: string | Buffer;
  /** SIGKILL after this long (a liveness bound for a hung program). */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

export function runProcess(cmd: string, args: readonly string[], options: RunProcessOptions): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const withInput = options.input !== undefined;
    const child = spawn(cmd, args, { stdio: [withInput ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (withInput) {
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(options.input);
    }
  });
}
