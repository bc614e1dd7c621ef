/**
 * The durability step of acks=all produces and of transaction markers: one flush per distinct
 * log, started together, so appends to one partition share its group-commit request and
 * partitions sync in parallel.
 */
import type { Log } from '../storage/log.js';

/** Flushes each distinct log once; resolves with the error of every log whose flush failed. */
export async function flushEach(logs: Iterable<Log>): Promise<Map<Log, unknown>> {
  const distinct = [...new Set(logs)];
  const outcomes = await Promise.all(
    distinct.map((log) =>
      log.flush().then(
        () => undefined,
        (err: unknown) => err ?? new Error('flush failed'),
      ),
    ),
  );
  const failed = new Map<Log, unknown>();
  distinct.forEach((log, i) => {
    if (outcomes[i] !== undefined) failed.set(log, outcomes[i]);
  });
  return failed;
}
