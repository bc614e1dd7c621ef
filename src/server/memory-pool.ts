/**
 * The broker-wide memory bounds of the network layer, as Kafka's SocketServer keeps them with
 * its MemoryPool: bytes of requests read but not yet handled (`queued.max.request.bytes`,
 * Kafka's name) and bytes of responses built but not yet handed to the kernel
 * (`queued.max.response.bytes`, ours: Kafka sends fetched records with sendfile and keeps no
 * response bytes of its own, while we hold the records a fetch read until the socket takes them).
 *
 * Like Kafka's pool in its non-strict mode, a reservation is granted while anything is left,
 * even when it asks for more than is left, so one request larger than the room left never waits
 * forever; usage therefore stays below the cap plus one reservation. A connection that finds the
 * pool exhausted stops reading (Kafka mutes the channel) and asks to be woken: every release
 * that brings usage back under both caps wakes every waiting connection, once, on the next turn
 * of the event loop (each checks again and may wait again).
 */
import type { Logger } from '../logger.js';
import { MEMORY_MUTE_WARN_INTERVAL_MS } from '../limits.js';

export interface MemoryPoolOptions {
  /** queued.max.request.bytes; ≤ 0: unbounded. */
  maxRequestBytes: number;
  /** queued.max.response.bytes; ≤ 0: unbounded. */
  maxResponseBytes: number;
  /** Milliseconds since an epoch, for rate-limiting the warning (tests drive it). */
  clock?: () => number;
}

export class MemoryPool {
  private requestBytes_ = 0;
  private responseBytes_ = 0;
  private readonly waiters = new Set<() => void>();
  private wakeScheduled = false;
  private lastWarnMs = -Infinity;
  private mutedSinceWarn = 0;
  private readonly clock: () => number;

  constructor(
    private readonly options: MemoryPoolOptions,
    private readonly logger: Logger,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  get requestBytes(): number {
    return this.requestBytes_;
  }

  get responseBytes(): number {
    return this.responseBytes_;
  }

  /** Connections currently waiting for memory. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Why a connection may not start another request now, or null when it may. */
  exhausted(): 'queued.max.request.bytes' | 'queued.max.response.bytes' | null {
    if (this.options.maxRequestBytes > 0 && this.requestBytes_ >= this.options.maxRequestBytes) return 'queued.max.request.bytes';
    if (this.options.maxResponseBytes > 0 && this.responseBytes_ >= this.options.maxResponseBytes) return 'queued.max.response.bytes';
    return null;
  }

  /** Response bytes that may still be taken (Infinity when unbounded; ≤ 0 when none). */
  responseRoom(): number {
    return this.options.maxResponseBytes > 0 ? this.options.maxResponseBytes - this.responseBytes_ : Infinity;
  }

  acquireRequest(bytes: number): void {
    this.requestBytes_ += bytes;
  }

  releaseRequest(bytes: number): void {
    if (bytes === 0) return;
    this.requestBytes_ -= bytes;
    this.maybeWake();
  }

  acquireResponse(bytes: number): void {
    this.responseBytes_ += bytes;
  }

  releaseResponse(bytes: number): void {
    if (bytes === 0) return;
    this.responseBytes_ -= bytes;
    this.maybeWake();
  }

  /**
   * Registers `wake` to be called once memory is back under both caps; logs a warning (at most
   * once per MEMORY_MUTE_WARN_INTERVAL_MS) that connections are muted. `context` goes into it.
   */
  waitForMemory(wake: () => void, reason: string, context: Record<string, unknown>): void {
    this.waiters.add(wake);
    this.mutedSinceWarn++;
    const now = this.clock();
    if (now - this.lastWarnMs >= MEMORY_MUTE_WARN_INTERVAL_MS) {
      this.logger.warn(
        {
          ...context,
          reason,
          mutedConnections: this.waiters.size,
          mutedSinceLastWarning: this.mutedSinceWarn,
          queuedRequestBytes: this.requestBytes_,
          queuedResponseBytes: this.responseBytes_,
          maxRequestBytes: this.options.maxRequestBytes,
          maxResponseBytes: this.options.maxResponseBytes,
        },
        `connection muted: broker-wide ${reason} reached; it is read again when memory is released`,
      );
      this.lastWarnMs = now;
      this.mutedSinceWarn = 0;
    }
  }

  /** Forgets a waiter (its connection closed). */
  cancelWait(wake: () => void): void {
    this.waiters.delete(wake);
  }

  private maybeWake(): void {
    if (this.wakeScheduled || this.waiters.size === 0 || this.exhausted() !== null) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      if (this.exhausted() !== null) return;
      const woken = [...this.waiters];
      this.waiters.clear();
      for (const wake of woken) wake();
    });
  }
}
