/** Polling for a condition with a liveness bound (never a timing assertion). */

export type Probe<T> = () => T | null | undefined | false | Promise<T | null | undefined | false>;

export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Treat a throwing probe as "not yet" (its last error is reported on timeout). */
  retryErrors?: boolean;
  /** Extra context for the timeout error, e.g. what the processes under test printed. */
  diagnostics?: () => string;
}

/** Resolves with the probe's first value that is not null, undefined or false. */
export async function pollUntil<T>(what: string, probe: Probe<T>, options: PollOptions = {}): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 100, retryErrors = false, diagnostics } = options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== null && v !== undefined && v !== false) return v;
    } catch (err) {
      if (!retryErrors) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      const extra = diagnostics === undefined ? '' : `\n${diagnostics()}`;
      throw new Error(`timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}${extra}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
