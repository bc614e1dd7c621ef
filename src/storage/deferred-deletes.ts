/**
 * Kafka's `file.delete.delay.ms`: files of deleted segments are renamed to `.deleted` at once
 * (so they never come back, and are swept at the next start if the process dies) and unlinked
 * after the delay, off the event loop — a reader that located a batch in them just before the
 * rename still has its fd.
 */
import { native } from '../native.js';
import type { Logger } from '../logger.js';

export class DeferredDeletes {
  private readonly pending = new Map<NodeJS.Timeout, string[]>();

  constructor(
    private readonly logger: Logger,
    private delayMs: () => number,
  ) {}

  /** Unlinks `paths` after the delay (at once when it is 0). */
  schedule(paths: string[]): void {
    if (paths.length === 0) return;
    const delay = this.delayMs();
    if (delay === 0) {
      this.unlink(paths);
      return;
    }
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      this.unlink(paths);
    }, delay);
    timer.unref();
    this.pending.set(timer, paths);
  }

  /** Cancels the timers and unlinks everything still pending now (at close). */
  async runAll(): Promise<void> {
    const paths: string[] = [];
    for (const [timer, files] of this.pending) {
      clearTimeout(timer);
      paths.push(...files);
    }
    this.pending.clear();
    if (paths.length > 0) await native.unlinkFiles(paths);
  }

  private unlink(paths: string[]): void {
    native.unlinkFiles(paths).catch((err: unknown) => this.logger.error({ err, files: paths }, 'unlink failed; the files are swept at the next start'));
  }
}
