/**
 * kcat (librdkafka's command-line client) as a test driver: run it with stdin, collect its
 * output. `ensureKcat()` (system-tools.ts) installs it when missing.
 */
import { runProcess, type ProcessResult } from './run-process.js';

export type RunResult = ProcessResult;

/** Runs kcat with `args` and `input` on stdin; kills it after `timeoutMs`. */
export function kcat(args: string[], input?: string | Buffer, timeoutMs = 20_000): Promise<RunResult> {
  return runProcess('kcat', args, { input: input ?? '', timeoutMs });
}

/** kcat -P; throws with kcat's stderr when it fails. */
export async function kcatProduce(bootstrap: string, topic: string, input: string, extra: string[] = []): Promise<void> {
  const r = await kcat(['-b', bootstrap, '-P', '-t', topic, ...extra], input);
  if (r.code !== 0) throw new Error(`kcat -P failed (${r.code}): ${r.stderr}`);
}

/**
 * kcat -C from `offset` to the end (-e), one line per message in `format`; retries until at
 * least `expectLines` lines arrive (appends acknowledged with acks=0 may land a moment later).
 */
export async function kcatConsume(
  bootstrap: string,
  topic: string,
  options: { format?: string; offset?: string; partition?: number; expectLines?: number; extra?: string[] } = {},
): Promise<string[]> {
  const args = [
    '-b',
    bootstrap,
    '-C',
    '-t',
    topic,
    '-o',
    options.offset ?? 'beginning',
    '-e',
    '-q',
    '-f',
    options.format ?? '%s\\n',
    '-X',
    'fetch.wait.max.ms=20',
  ];
  if (options.partition !== undefined) args.push('-p', String(options.partition));
  args.push(...(options.extra ?? []));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await kcat(args);
    if (r.code !== 0) throw new Error(`kcat -C failed (${r.code}): ${r.stderr}`);
    const lines = r.stdout.split('\n').filter((l) => l.length > 0);
    if (lines.length >= (options.expectLines ?? 0) || Date.now() > deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
