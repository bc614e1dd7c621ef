/** The network transport's one retry loop: exponential backoff from `backoffMs`, capped at 1 s. */

const MAX_BACKOFF_MS = 1000;

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** Wait before the first retry; doubles per retry up to 1 s. */
  backoffMs: number;
  /** Whether `err` is worth another attempt (called only while retries remain). */
  shouldRetry(err: unknown): boolean;
  /** Runs before each wait, e.g. to forget what the failure showed to be stale. */
  beforeRetry?(err: unknown): void;
}

/**
 * Runs `fn` until it succeeds, fails with an error `shouldRetry` refuses, or has failed
 * `retries + 1` times. Callers must not nest these loops: each level would multiply the attempts.
 */
export async function withRetries<T>(fn: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= policy.retries || !policy.shouldRetry(err)) throw err;
      policy.beforeRetry?.(err);
      await new Promise((resolve) => setTimeout(resolve, Math.min(policy.backoffMs * 2 ** attempt, MAX_BACKOFF_MS)));
    }
  }
}
