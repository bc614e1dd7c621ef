/**
 * One client connection: Kafka's framing (int32 size, then the request), requests answered
 * strictly in arrival order (clients pipeline and match responses by correlation id, but
 * Kafka guarantees order per connection and librdkafka relies on it), bounded memory, and
 * timeouts for idle connections and for frames that trickle in.
 *
 *   frame := size:int32 (bytes that follow) request-header request-body
 *
 * A frame larger than `socket.request.max.bytes`, a negative size, or a request the dispatcher
 * cannot even parse closes this connection with a log line; nothing another connection holds
 * is touched.
 *
 * Memory. Reading stops (socket.pause(), as Kafka mutes a channel) before the next frame is
 * taken while any of these holds, and starts again when it no longer does:
 * - this connection has `maxInFlightRequests` requests read but not answered;
 * - this connection's responses not yet handed to the kernel (or being built: a fetch counts
 *   the records it read) reach `maxPendingResponseBytes` — a client that does not read;
 * - broker-wide, the MemoryPool is at `queued.max.request.bytes` or `queued.max.response.bytes`.
 * A frame's size is reserved from the pool when its size prefix is taken (Kafka's way: once
 * taken, a frame can always be read whole), and released when its request has been handled.
 * Response bytes are released when the socket has written them, or when the connection closes:
 * a destroyed socket drops what it had queued and this connection keeps no buffer.
 */
import type net from 'node:net';
import type { FetchMemory } from '../broker/types.js';
import type { Logger } from '../logger.js';
import { RESPONSE_OVERHEAD_BYTES } from '../limits.js';
import type { MemoryPool } from './memory-pool.js';

/** What the dispatcher returns for one request: a response frame body, or null for none (acks=0). */
export type ResponseBytes = Buffer | Buffer[] | null;

/** Thrown (or rejected) by a dispatcher when a request is malformed beyond answering. */
export class MalformedRequestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MalformedRequestError';
  }
}

/**
 * The response memory of one request: how much its handler may still read into the response
 * (a fetch), and what it did read. Counted against the connection and the broker-wide pool.
 */
export type ResponseMemory = FetchMemory;

export interface RequestDispatcher {
  /** Handles one request frame (without the size prefix). */
  dispatch(frame: Buffer, connection: ConnectionInfo, memory?: ResponseMemory): ResponseBytes | Promise<ResponseBytes>;
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
  /** Requests read but not yet answered before reading pauses. */
  maxInFlightRequests: number;
  /** Unsent response bytes before reading pauses; a fetch reads no more than the room left. */
  maxPendingResponseBytes: number;
  /** queued.max.request.bytes, broker-wide; ≤ 0 or absent: unbounded. */
  queuedMaxRequestBytes?: number;
  /** queued.max.response.bytes, broker-wide; ≤ 0 or absent: unbounded. */
  queuedMaxResponseBytes?: number;
  /** socket.request.min.bytes.per.second; 0 or absent: frames may arrive as slowly as they like. */
  minRequestBytesPerSecond?: number;
}

/** One request read and not yet written out, in arrival order. */
interface Pending {
  done: boolean;
  response: ResponseBytes;
  /** Frame bytes reserved from the pool (released once handled). */
  requestBytes: number;
  /** Response bytes counted for it (read by its handler, then the encoded size). */
  responseBytes: number;
}

export type PauseReason = 'in-flight' | 'responses' | 'memory' | 'stopped';

export class Connection implements ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly listenerName: string;
  private readonly socket: net.Socket;
  private readonly dispatcher: RequestDispatcher;
  private readonly limits: ConnectionLimits;
  private readonly pool: MemoryPool;
  private readonly clock: () => number;
  private readonly logger: Logger;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame whose prefix was taken and whose body is still arriving; -1 none. */
  private frameSize = -1;
  /** When the frame now arriving began (its first byte, or reading resumed), and bytes then buffered. */
  private frameStartMs = 0;
  private frameStartBuffered = 0;
  private readonly queue: Pending[] = [];
  /** Response bytes of this connection counted in the pool (built, or written but not flushed). */
  private responseBytes = 0;
  private pausedFor: PauseReason | null = null;
  private closed = false;
  private readonly onClose: (c: Connection) => void;
  private readonly wake = (): void => this.resumeIf('memory');
  /** Resolves when every request read so far has been answered (graceful shutdown). */
  private idleWaiters: (() => void)[] = [];

  constructor(
    id: number,
    socket: net.Socket,
    listenerName: string,
    dispatcher: RequestDispatcher,
    limits: ConnectionLimits,
    pool: MemoryPool,
    logger: Logger,
    onClose: (c: Connection) => void,
    clock: () => number = Date.now,
  ) {
    this.id = id;
    this.socket = socket;
    this.listenerName = listenerName;
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.dispatcher = dispatcher;
    this.limits = limits;
    this.pool = pool;
    this.clock = clock;
    this.logger = logger.child({ connection: id, remote: this.remoteAddress });
    this.onClose = onClose;
    socket.setNoDelay(true);
    if (limits.maxIdleMs > 0) socket.setTimeout(limits.maxIdleMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('timeout', () => {
      this.logger.info({ idleMs: limits.maxIdleMs }, 'closing idle connection (connections.max.idle.ms)');
      this.close();
    });
    socket.on('error', (err) => {
      this.logger.debug({ err }, 'socket error');
      this.close();
    });
    socket.on('close', () => this.close());
  }

  get inFlight(): number {
    return this.queue.length;
  }

  /** Bytes read from the socket and not yet taken as a whole frame. */
  get bufferedBytes(): number {
    return this.buffered + (this.frameSize >= 0 ? 4 : 0);
  }

  /** Why reading is paused, or null while it is not. */
  get pausedReason(): PauseReason | null {
    return this.pausedFor;
  }

  /** Response bytes this connection holds in the pool (tests, metrics). */
  get pendingResponseBytes(): number {
    return this.responseBytes;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.buffered === 0) this.markFrameStart();
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.pump();
  }

  /** Takes and dispatches whole frames while every bound allows another request. */
  private pump(): void {
    while (!this.closed && this.pausedFor === null) {
      if (this.frameSize < 0) {
        if (this.buffered < 4) return;
        const blocked = this.blockedBy();
        if (blocked !== null) {
          this.pause(blocked);
          return;
        }
        const size = this.peekInt32();
        if (size < 0 || size > this.limits.maxRequestBytes) {
          this.logger.warn({ size, max: this.limits.maxRequestBytes }, 'closing connection: request size is negative or over socket.request.max.bytes');
          this.close();
          return;
        }
        this.take(4);
        this.frameSize = size;
        this.pool.acquireRequest(size);
      }
      if (this.buffered < this.frameSize) return;
      const frame = this.take(this.frameSize);
      const requestBytes = this.frameSize;
      this.frameSize = -1;
      this.markFrameStart();
      this.handle(frame, requestBytes);
    }
  }

  /** What keeps this connection from taking another request now, or null. */
  private blockedBy(): PauseReason | null {
    if (this.queue.length >= this.limits.maxInFlightRequests) return 'in-flight';
    if (this.responseBytes >= this.limits.maxPendingResponseBytes) return 'responses';
    if (this.pool.exhausted() !== null) return 'memory';
    return null;
  }

  private pause(reason: PauseReason): void {
    this.pausedFor = reason;
    this.socket.pause();
    if (reason === 'memory') {
      this.pool.waitForMemory(this.wake, this.pool.exhausted() ?? 'memory', { connection: this.id, remote: this.remoteAddress });
    }
  }

  /** Reads again if paused for `reason` (or for any of this connection's own bounds). */
  private resumeIf(...reasons: PauseReason[]): void {
    if (this.closed || this.pausedFor === null || !reasons.includes(this.pausedFor)) return;
    this.pausedFor = null;
    this.markFrameStart();
    this.socket.resume();
    this.pump();
  }

  /** The frame now arriving is timed from here (a paused socket is not the client's fault). */
  private markFrameStart(): void {
    this.frameStartMs = this.clock();
    this.frameStartBuffered = this.buffered;
  }

  /**
   * True when the frame now arriving came in slower than `minBytesPerSecond` allows: it gets
   * `graceMs` plus one second per `minBytesPerSecond` bytes received since it began (or since
   * reading last resumed). False while nothing is arriving or reading is paused.
   */
  isTrickling(nowMs: number, minBytesPerSecond: number, graceMs: number): boolean {
    if (this.closed || this.pausedFor !== null || minBytesPerSecond <= 0) return false;
    if (this.frameSize < 0 && this.buffered === 0) return false;
    const received = Math.max(0, this.buffered - this.frameStartBuffered);
    return nowMs - this.frameStartMs > graceMs + (received * 1000) / minBytesPerSecond;
  }

  /** Restarts the partial-frame clock (the server's checker fell behind: its measure is void). */
  restartFrameClock(): void {
    this.markFrameStart();
  }

  private peekInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    return Buffer.concat(this.chunks, 4).readInt32BE(0);
  }

  /** Removes and returns the next `n` buffered bytes (a view when they sit in one chunk). */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
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

  private handle(frame: Buffer, requestBytes: number): void {
    const pending: Pending = { done: false, response: null, requestBytes, responseBytes: 0 };
    this.queue.push(pending);
    const memory: ResponseMemory = {
      room: () => (this.closed ? 0 : Math.min(this.limits.maxPendingResponseBytes - this.responseBytes, this.pool.responseRoom())),
      take: (bytes) => this.countResponse(pending, bytes),
    };
    let result: ResponseBytes | Promise<ResponseBytes>;
    try {
      result = this.dispatcher.dispatch(frame, this, memory);
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

  /** Counts `bytes` more of response memory for `pending` (negative: fewer). */
  private countResponse(pending: Pending, bytes: number): void {
    if (this.closed || bytes === 0) return;
    pending.responseBytes += bytes;
    this.responseBytes += bytes;
    if (bytes > 0) this.pool.acquireResponse(bytes);
    else this.pool.releaseResponse(-bytes);
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
    if (this.closed) return;
    pending.done = true;
    pending.response = response;
    this.pool.releaseRequest(pending.requestBytes);
    pending.requestBytes = 0;
    // What the handler read is now in the encoded response (or was copied into it and is
    // garbage): from here the response counts for its own size.
    const bytes = response === null ? 0 : sizeOf(response) + RESPONSE_OVERHEAD_BYTES;
    this.countResponse(pending, bytes - pending.responseBytes);
    this.flushResponses();
  }

  /** Writes finished responses from the head of the queue, keeping arrival order. */
  private flushResponses(): void {
    while (this.queue.length > 0 && this.queue[0]!.done && !this.closed) {
      const pending = this.queue.shift()!;
      const { response } = pending;
      pending.response = null;
      if (response !== null) {
        const parts = Array.isArray(response) ? response : [response];
        const size = Buffer.allocUnsafe(4);
        size.writeInt32BE(sizeOf(response), 0);
        this.socket.cork();
        this.socket.write(size);
        for (let i = 0; i < parts.length - 1; i++) this.socket.write(parts[i]!);
        // Called once the kernel has every part (or the socket failed: then close() has
        // released this connection's bytes already and countResponse ignores it).
        this.socket.write(parts[parts.length - 1]!, () => this.written(pending));
        this.socket.uncork();
      }
    }
    if (this.queue.length === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
    this.resumeIf('in-flight', 'responses');
  }

  private written(pending: Pending): void {
    this.countResponse(pending, -pending.responseBytes);
    this.resumeIf('responses', 'in-flight');
  }

  /** Resolves once every request already read has been answered. */
  drained(): Promise<void> {
    if (this.queue.length === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops reading new requests (graceful shutdown); answers to requests in flight still go out. */
  stopReading(): void {
    if (this.closed) return;
    if (this.pausedFor === 'memory') this.pool.cancelWait(this.wake);
    this.pausedFor = 'stopped';
    this.socket.pause();
  }

  /** Gives back everything this connection holds in the pool; forgets its buffers and queue. */
  private release(): void {
    this.pool.cancelWait(this.wake);
    let requestBytes = this.frameSize > 0 ? this.frameSize : 0;
    for (const p of this.queue) {
      requestBytes += p.requestBytes;
      p.requestBytes = 0;
      p.response = null;
    }
    this.frameSize = -1;
    this.queue.length = 0;
    this.chunks = [];
    this.buffered = 0;
    this.pool.releaseRequest(requestBytes);
    this.pool.releaseResponse(this.responseBytes);
    this.responseBytes = 0;
  }

  close(): void {
    if (this.closed) return;
    this.release();
    this.closed = true;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    this.socket.destroy();
    this.onClose(this);
  }

  /** Ends the connection after pending writes are flushed. */
  end(): void {
    if (this.closed) return;
    // Responses already written stay in the socket until flushed; the pool no longer counts them.
    this.release();
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

function sizeOf(response: ResponseBytes): number {
  if (response === null) return 0;
  if (!Array.isArray(response)) return response.length;
  let n = 0;
  for (const p of response) n += p.length;
  return n;
}
