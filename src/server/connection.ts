/**
 * One client connection: Kafka's framing (int32 size, then the request), requests answered
 * strictly in arrival order (clients pipeline and match responses by correlation id, but
 * Kafka guarantees order per connection and librdkafka relies on it), bounded in-flight work,
 * and an idle timeout.
 *
 *   frame := size:int32 (bytes that follow) request-header request-body
 *
 * A frame larger than `socket.request.max.bytes`, a negative size, or a request the dispatcher
 * cannot even parse closes this connection with a log line; nothing another connection holds
 * is touched.
 */
import type net from 'node:net';
import type { Logger } from '../logger.js';

/** What the dispatcher returns for one request: a response frame body, or null for none (acks=0). */
export type ResponseBytes = Buffer | Buffer[] | null;

/** Thrown (or rejected) by a dispatcher when a request is malformed beyond answering. */
export class MalformedRequestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MalformedRequestError';
  }
}

export interface RequestDispatcher {
  /** Handles one request frame (without the size prefix). */
  dispatch(frame: Buffer, connection: ConnectionInfo): ResponseBytes | Promise<ResponseBytes>;
}

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly listenerName: string;
}

export interface ConnectionLimits {
  /** socket.request.max.bytes */
  maxRequestBytes: number;
  /** connections.max.idle.ms */
  maxIdleMs: number;
  /** Requests read but not yet answered before the socket is paused (Kafka's queued.max.requests is per broker). */
  maxInFlightRequests: number;
  /** Unsent response bytes before the socket is paused. */
  maxPendingResponseBytes: number;
}

interface Pending {
  done: boolean;
  response: ResponseBytes;
}

export class Connection implements ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly listenerName: string;
  private readonly socket: net.Socket;
  private readonly dispatcher: RequestDispatcher;
  private readonly limits: ConnectionLimits;
  private readonly logger: Logger;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly queue: Pending[] = [];
  private paused = false;
  private reading = true;
  private closed = false;
  private readonly onClose: (c: Connection) => void;
  /** Resolves when every request read so far has been answered (graceful shutdown). */
  private idleWaiters: (() => void)[] = [];

  constructor(
    id: number,
    socket: net.Socket,
    listenerName: string,
    dispatcher: RequestDispatcher,
    limits: ConnectionLimits,
    logger: Logger,
    onClose: (c: Connection) => void,
  ) {
    this.id = id;
    this.socket = socket;
    this.listenerName = listenerName;
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.dispatcher = dispatcher;
    this.limits = limits;
    this.logger = logger.child({ connection: id, remote: this.remoteAddress });
    this.onClose = onClose;
    socket.setNoDelay(true);
    if (limits.maxIdleMs > 0) socket.setTimeout(limits.maxIdleMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('timeout', () => {
      this.logger.info({ idleMs: limits.maxIdleMs }, 'closing idle connection (connections.max.idle.ms)');
      this.close();
    });
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => {
      this.logger.debug({ err }, 'socket error');
      this.close();
    });
    socket.on('close', () => this.close());
  }

  get inFlight(): number {
    return this.queue.length;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const size = this.peekInt32();
      if (size < 0 || size > this.limits.maxRequestBytes) {
        this.logger.warn({ size, max: this.limits.maxRequestBytes }, 'closing connection: request size is negative or over socket.request.max.bytes');
        this.close();
        return;
      }
      if (this.buffered < 4 + size) break;
      this.take(4);
      const frame = this.take(size);
      this.handle(frame);
      if (this.closed) return;
    }
    this.maybePause();
  }

  private peekInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    return Buffer.concat(this.chunks, 4).readInt32BE(0);
  }

  /** Removes and returns the next `n` buffered bytes (a view when they sit in one chunk). */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    while (copied < n) {
      const c = this.chunks[0]!;
      const want = n - copied;
      if (c.length <= want) {
        c.copy(out, copied);
        copied += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, copied, 0, want);
        this.chunks[0] = c.subarray(want);
        copied += want;
      }
    }
    return out;
  }

  private handle(frame: Buffer): void {
    const pending: Pending = { done: false, response: null };
    this.queue.push(pending);
    let result: ResponseBytes | Promise<ResponseBytes>;
    try {
      result = this.dispatcher.dispatch(frame, this);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => this.complete(pending, response),
        (err: unknown) => this.fail(err),
      );
    } else {
      this.complete(pending, result);
    }
  }

  private fail(err: unknown): void {
    if (err instanceof MalformedRequestError) {
      this.logger.warn({ reason: err.message }, 'closing connection: malformed request');
    } else {
      this.logger.error({ err }, 'closing connection: request handler failed');
    }
    this.close();
  }

  private complete(pending: Pending, response: ResponseBytes): void {
    pending.done = true;
    pending.response = response;
    this.flushResponses();
  }

  /** Writes finished responses from the head of the queue, keeping arrival order. */
  private flushResponses(): void {
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const { response } = this.queue.shift()!;
      if (response !== null && !this.closed) {
        const parts = Array.isArray(response) ? response : [response];
        let length = 0;
        for (const p of parts) length += p.length;
        const size = Buffer.allocUnsafe(4);
        size.writeInt32BE(length, 0);
        this.socket.cork();
        this.socket.write(size);
        for (const p of parts) this.socket.write(p);
        this.socket.uncork();
      }
    }
    if (this.queue.length === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
    this.maybeResume();
  }

  private maybePause(): void {
    if (this.paused || this.closed) return;
    if (this.queue.length >= this.limits.maxInFlightRequests || this.socket.writableLength >= this.limits.maxPendingResponseBytes) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (!this.paused || this.closed || !this.reading) return;
    if (this.queue.length < this.limits.maxInFlightRequests && this.socket.writableLength < this.limits.maxPendingResponseBytes) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** Resolves once every request already read has been answered. */
  drained(): Promise<void> {
    if (this.queue.length === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops reading new requests (graceful shutdown); answers to requests in flight still go out. */
  stopReading(): void {
    this.reading = false;
    this.paused = true;
    this.socket.pause();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.chunks = [];
    this.buffered = 0;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    this.socket.destroy();
    this.onClose(this);
  }

  /** Ends the connection after pending writes are flushed. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    // Read (and drop) until the peer's FIN: a socket left paused by stopReading() never sees
    // it, never closes, and — being neither read nor written — holds nothing that keeps the
    // event loop alive, so a shutdown awaiting its close would be abandoned mid-way.
    this.socket.resume();
    this.onClose(this);
  }

  /** Drops the socket whatever its state (after `end()` when the peer does not close). */
  destroy(): void {
    this.socket.destroy();
  }
}
