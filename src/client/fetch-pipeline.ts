/**
 * Fetch pipelining for the consumer: the next Fetch is in flight while the application handles
 * the records of the last one, as the Java consumer's fetcher sends the next fetch as soon as a
 * partition's records are in hand.
 *
 * After a fetch, the consumer knows where each partition's position will be once its records
 * are handled (the offset after the last whole batch; a partition that returned nothing stays
 * where it is) and calls `prefetch` with those offsets. The next loop asks for the positions it
 * actually has: when they are exactly the predicted ones (same partitions, same order, same
 * offsets: the usual case) it takes the fetch already in flight; otherwise (a seek, pause,
 * rebalance, a handler that failed and must see its record again) the prefetch is abandoned —
 * the transport drops its response when it comes — and a new fetch is sent. Either way the
 * records handed out are those at the real positions: a prediction only ever saves time.
 *
 * Only the network transport gains from it: in process a fetch is a call into this thread, with
 * nothing to overlap.
 */
import type { FetchRequest, FetchResult } from '../broker/types.js';
import { ErrorCode } from '../errors.js';
import type { ClientTransport } from './transport.js';

export interface FetchTarget {
  topic: string;
  partition: number;
  fetchOffset: bigint;
}

export interface FetchSettings {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitionMaxBytes: number;
  isolationLevel: number;
}

const EMPTY: FetchResult = { errorCode: ErrorCode.NONE, topics: [] };

interface InFlight {
  key: string;
  controller: AbortController;
  result: Promise<FetchResult>;
}

function keyOf(targets: readonly FetchTarget[]): string {
  let k = '';
  for (const t of targets) k += `${t.topic}\0${t.partition}\0${t.fetchOffset}\n`;
  return k;
}

export class FetchPipeline {
  private ahead: InFlight | null = null;

  constructor(
    private readonly transport: ClientTransport,
    private readonly settings: FetchSettings,
  ) {}

  /** Whether prefetching is worth it on this transport (see the file comment). */
  get enabled(): boolean {
    return this.transport.kind === 'network';
  }

  /**
   * The records at `targets`: the prefetch in flight when it asked for exactly these, else a new
   * fetch. `wake` ends the wait early (an empty result): a seek, pause, stop or rebalance.
   */
  fetch(targets: readonly FetchTarget[], wake: AbortSignal): Promise<FetchResult> {
    const ahead = this.ahead;
    this.ahead = null;
    if (ahead !== null) {
      if (ahead.key === keyOf(targets)) return this.awaitWoken(ahead, wake);
      ahead.controller.abort();
    }
    return this.transport.fetch(this.request(targets), wake);
  }

  /** Sends the fetch the next loop is expected to ask for (a previous prefetch is abandoned). */
  prefetch(targets: readonly FetchTarget[]): void {
    this.cancel();
    if (targets.length === 0) return;
    const controller = new AbortController();
    const result = this.transport.fetch(this.request(targets), controller.signal);
    // Its failure is seen by whoever takes it; an abandoned one fails unseen.
    result.catch(() => undefined);
    this.ahead = { key: keyOf(targets), controller, result };
  }

  /** Abandons the prefetch in flight, if any. */
  cancel(): void {
    this.ahead?.controller.abort();
    this.ahead = null;
  }

  private awaitWoken(ahead: InFlight, wake: AbortSignal): Promise<FetchResult> {
    if (wake.aborted) {
      ahead.controller.abort();
      return Promise.resolve(EMPTY);
    }
    return new Promise<FetchResult>((resolve, reject) => {
      const onWake = (): void => {
        ahead.controller.abort();
        resolve(EMPTY);
      };
      wake.addEventListener('abort', onWake, { once: true });
      ahead.result.then(
        (r) => {
          wake.removeEventListener('abort', onWake);
          resolve(r);
        },
        (err: unknown) => {
          wake.removeEventListener('abort', onWake);
          if (wake.aborted) resolve(EMPTY);
          else reject(err as Error);
        },
      );
    });
  }

  private request(targets: readonly FetchTarget[]): FetchRequest {
    const s = this.settings;
    const topics: FetchRequest['topics'] = [];
    let last: FetchRequest['topics'][number] | undefined;
    for (const t of targets) {
      if (last === undefined || last.name !== t.topic) topics.push((last = { name: t.topic, partitions: [] }));
      last.partitions.push({ partition: t.partition, fetchOffset: t.fetchOffset, partitionMaxBytes: s.partitionMaxBytes });
    }
    return { maxWaitMs: s.maxWaitMs, minBytes: s.minBytes, maxBytes: s.maxBytes, isolationLevel: s.isolationLevel, topics };
  }
}
