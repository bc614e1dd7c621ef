/**
 * The memory bounds of the TCP layer, with dispatchers that answer raw bytes: per connection
 * (requests in flight, unsent response bytes), broker-wide (queued.max.request.bytes,
 * queued.max.response.bytes), what a closed connection gives back, and the minimum arrival
 * rate of a request frame (socket.request.min.bytes.per.second) on an injected clock.
 */
import type net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PARTIAL_REQUEST_CHECK_INTERVAL_MS, PARTIAL_REQUEST_GRACE_MS, RESPONSE_OVERHEAD_BYTES } from '../../src/limits.js';
import type { ConnectionLimits, RequestDispatcher, ResponseBytes } from '../../src/server/connection.js';
import { parseListeners } from '../../src/server/listeners.js';
import { KafkaServer, type KafkaServerOptions } from '../../src/server/server.js';
import { connectFrames, frame } from '../helpers/frame-client.js';
import { memoryLogger } from '../helpers/logger.js';
import { pollUntil } from '../helpers/wait.js';

const servers: KafkaServer[] = [];
const sockets: net.Socket[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.close(100);
});

const base: ConnectionLimits = { maxRequestBytes: 1 << 20, maxIdleMs: 0, maxInFlightRequests: 1000, maxPendingResponseBytes: 64 << 20 };

async function start(dispatcher: RequestDispatcher, limits: Partial<ConnectionLimits>, options: KafkaServerOptions = {}) {
  const { logger, lines } = memoryLogger();
  const server = new KafkaServer(dispatcher, { ...base, ...limits }, logger, options);
  servers.push(server);
  const [bound] = await server.listen(parseListeners('PLAINTEXT://127.0.0.1:0'));
  return { server, port: bound!.boundPort, lines };
}

function connect(port: number) {
  return connectFrames(port, sockets);
}

/** Frames whose first byte is their index (mod 256) and whose length is `bytes`. */
function frames(n: number, bytes = 8): Buffer {
  return Buffer.concat(Array.from({ length: n }, (_, i) => frame(Buffer.alloc(bytes, i & 0xff))));
}

const RESPONSE_BYTES = 64 * 1024;
/** What one response of RESPONSE_BYTES counts for in the pool. */
const COUNTED = RESPONSE_BYTES + RESPONSE_OVERHEAD_BYTES;

/** Answers every frame with RESPONSE_BYTES bytes, the first one being the frame's first byte. */
function bigAnswers(observe: () => void): RequestDispatcher {
  return {
    dispatch(f) {
      observe();
      const out = Buffer.alloc(RESPONSE_BYTES);
      out[0] = f[0]!;
      return out;
    },
  };
}

describe('per-connection bounds', () => {
  it('a client that does not read holds at most the unsent-response cap, then gets every answer in order once it reads', async () => {
    const cap = 256 * 1024;
    let server!: KafkaServer;
    let dispatched = 0;
    let maxHeld = 0;
    // eslint-disable-next-line prefer-const -- declared above: the handler closes over it before start() returns
    ({ server } = await start(
      bigAnswers(() => {
        dispatched++;
        maxHeld = Math.max(maxHeld, server.memory.responseBytes);
      }),
      { maxPendingResponseBytes: cap },
    ));
    const c = await connect(server.listeners[0]!.boundPort);
    c.socket.pause();
    const n = 800; // 50 MiB of answers: far more than the kernel's socket buffers take
    c.socket.write(frames(n));
    await pollUntil('the connection to stop for its unsent responses', () => server.openConnections[0]?.pausedReason === 'responses');
    expect(dispatched).toBeLessThan(n);
    // A request is taken only while the connection is under its cap: one answer beyond it at most.
    expect(maxHeld).toBeLessThan(cap + COUNTED);
    expect(server.openConnections[0]!.pendingResponseBytes).toBeLessThan(cap + COUNTED);

    c.socket.resume();
    const got = await c.next(n);
    expect(got.map((r) => r[0])).toEqual(Array.from({ length: n }, (_, i) => i & 0xff));
    await pollUntil('every response to be released', () => server.memory.responseBytes === 0);
  });

  it('counts what a handler reads into its response from the moment it reads, and tells it the room left', async () => {
    const cap = 100_000;
    const rooms: number[] = [];
    let release!: () => void;
    const { server, port } = await start(
      {
        dispatch(_f, _c, memory) {
          rooms.push(memory!.room());
          memory!.take(60_000);
          rooms.push(memory!.room());
          return new Promise<ResponseBytes>((r) => (release = () => r(Buffer.alloc(10))));
        },
      },
      { maxPendingResponseBytes: cap },
    );
    const c = await connect(port);
    c.socket.write(frames(1));
    await pollUntil('the request to be handled', () => rooms.length === 2);
    expect(rooms).toEqual([cap, cap - 60_000]);
    expect(server.memory.responseBytes).toBe(60_000);
    release();
    await c.next(1);
    await pollUntil('the response to be released', () => server.memory.responseBytes === 0);
  });

  it('gives back every byte a connection held when it closes, and ignores answers that complete later', async () => {
    const held: ((r: ResponseBytes) => void)[] = [];
    let server!: KafkaServer;
    // eslint-disable-next-line prefer-const -- declared above: the handler closes over it before start() returns
    ({ server } = await start(
      {
        dispatch(f, _c, memory) {
          if (f[0]! % 2 === 0) return Buffer.alloc(RESPONSE_BYTES);
          memory!.take(1000);
          return new Promise<ResponseBytes>((r) => held.push(r));
        },
      },
      { maxPendingResponseBytes: 1 << 20, queuedMaxRequestBytes: 1 << 20, queuedMaxResponseBytes: 8 << 20 },
    ));
    const c = await connect(server.listeners[0]!.boundPort);
    c.socket.pause();
    c.socket.write(frames(200, 100));
    await pollUntil('requests to be held', () => held.length > 0 && server.memory.requestBytes > 0);
    c.socket.destroy();
    await pollUntil('the connection to close', () => server.connectionCount === 0);
    expect(server.memory.requestBytes).toBe(0);
    expect(server.memory.responseBytes).toBe(0);
    for (const r of held) r(Buffer.alloc(RESPONSE_BYTES));
    await new Promise((r) => setImmediate(r));
    expect(server.memory.responseBytes).toBe(0);
  });
});

describe('broker-wide bounds', () => {
  it('queued.max.response.bytes: connections that do not read stop being read, with a warning, and are read again as memory is released', async () => {
    const cap = 512 * 1024;
    let server!: KafkaServer;
    let lines!: Record<string, unknown>[];
    let maxHeld = 0;
    let heldAtTake = 0;
    // eslint-disable-next-line prefer-const -- declared above: the handler closes over them before start() returns
    ({ server, lines } = await start(
      bigAnswers(() => {
        heldAtTake = Math.max(heldAtTake, server.memory.responseBytes);
        maxHeld = Math.max(maxHeld, server.memory.responseBytes + COUNTED);
      }),
      { queuedMaxResponseBytes: cap },
    ));
    const port = server.listeners[0]!.boundPort;
    const clients = await Promise.all([connect(port), connect(port), connect(port)]);
    const n = 400;
    for (const c of clients) {
      c.socket.pause();
      c.socket.write(frames(n));
    }
    await pollUntil(
      'every connection to be muted for memory',
      () => server.openConnections.length === 3 && server.openConnections.every((c) => c.pausedReason === 'memory'),
    );
    expect(heldAtTake).toBeLessThan(cap);
    expect(maxHeld).toBeLessThan(cap + COUNTED);
    const warnings = lines.filter((l) => String(l.msg).includes('connection muted'));
    expect(warnings).toHaveLength(1); // rate-limited: three connections, one line
    expect(warnings[0]!.reason).toBe('queued.max.response.bytes');

    for (const c of clients) c.socket.resume();
    for (const c of clients) expect((await c.next(n)).map((r) => r[0])).toEqual(Array.from({ length: n }, (_, i) => i & 0xff));
    await pollUntil('every response to be released', () => server.memory.responseBytes === 0);
  });

  it('queued.max.request.bytes: no frame is taken while the requests in hand exceed it; the rest follow as they are answered', async () => {
    const frameBytes = 10_000;
    const cap = 25_000;
    const held: (() => void)[] = [];
    const requestBytesAtTake: number[] = [];
    let server!: KafkaServer;
    // eslint-disable-next-line prefer-const -- declared above: the handler closes over it before start() returns
    ({ server } = await start(
      {
        dispatch(f) {
          requestBytesAtTake.push(server.memory.requestBytes);
          return new Promise<ResponseBytes>((r) => held.push(() => r(f.subarray(0, 1))));
        },
      },
      { queuedMaxRequestBytes: cap },
    ));
    const port = server.listeners[0]!.boundPort;
    const a = await connect(port);
    const b = await connect(port);
    a.socket.write(frames(10, frameBytes));
    b.socket.write(frames(10, frameBytes));
    await pollUntil(
      'both connections to be muted',
      () => server.openConnections.length === 2 && server.openConnections.every((c) => c.pausedReason === 'memory'),
    );
    // Each frame is reserved whole when its size is read, while anything is left (Kafka's
    // non-strict pool): 0, 10,000 and 20,000 bytes in hand admit a frame, 30,000 does not.
    expect(held).toHaveLength(3);
    expect(server.memory.requestBytes).toBe(3 * frameBytes);
    expect(Math.max(...requestBytesAtTake)).toBeLessThanOrEqual(cap + frameBytes);

    while (a.responses.length < 10 || b.responses.length < 10) {
      await pollUntil('a request to be handled', () => held.length > 0 || (a.responses.length === 10 && b.responses.length === 10));
      for (const go of held.splice(0)) go();
      await new Promise((r) => setImmediate(r));
    }
    expect(a.responses.map((r) => r[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(b.responses.map((r) => r[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(server.memory.requestBytes).toBe(0);
  });
});

describe('socket.request.min.bytes.per.second', () => {
  const minBytesPerSecond = 1000;

  /** A server on a clock the test moves, its checker on fake intervals. */
  async function startClocked() {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let now = 1_000_000;
    const clock = () => now;
    const started = await start({ dispatch: (f) => Buffer.from(f) }, { minRequestBytesPerSecond: minBytesPerSecond }, { clock });
    /** Moves the clock by `ms`, one checker interval at a time. */
    const advance = (ms: number): void => {
      for (let t = 0; t < ms; t += PARTIAL_REQUEST_CHECK_INTERVAL_MS) {
        now += PARTIAL_REQUEST_CHECK_INTERVAL_MS;
        vi.advanceTimersByTime(PARTIAL_REQUEST_CHECK_INTERVAL_MS);
      }
    };
    /** Moves the clock by `ms` at once, then lets the checker run once. */
    const jump = (ms: number): void => {
      now += ms;
      vi.advanceTimersByTime(PARTIAL_REQUEST_CHECK_INTERVAL_MS);
    };
    return { ...started, advance, jump };
  }

  it('closes a connection whose request frame trickles in slower than the minimum, with a log line', async () => {
    const { server, port, lines, advance } = await startClocked();
    const c = await connect(port);
    const whole = frame(Buffer.alloc(5000, 1));
    c.socket.write(whole.subarray(0, 100));
    await pollUntil('the first bytes to arrive', () => server.openConnections[0]?.bufferedBytes === 100);
    // 100 bytes buy 100 ms beyond the grace period.
    advance(PARTIAL_REQUEST_GRACE_MS);
    expect(server.connectionCount).toBe(1);
    advance(2 * PARTIAL_REQUEST_CHECK_INTERVAL_MS);
    await c.closed;
    expect(lines.some((l) => String(l.msg).includes('socket.request.min.bytes.per.second'))).toBe(true);
  });

  it('keeps a connection whose frame arrives at the minimum rate or faster, and answers it', async () => {
    const { server, port, advance } = await startClocked();
    const c = await connect(port);
    const whole = frame(Buffer.alloc(30_000, 2));
    let sent = 0;
    while (sent < whole.length) {
      const next = Math.min(whole.length, sent + minBytesPerSecond);
      c.socket.write(whole.subarray(sent, next));
      sent = next;
      if (sent < whole.length) {
        await pollUntil('the bytes to arrive', () => server.openConnections[0]?.bufferedBytes === sent);
        advance(PARTIAL_REQUEST_CHECK_INTERVAL_MS);
      }
    }
    const [r] = await c.next(1);
    expect(r!.length).toBe(30_000);
    expect(server.connectionCount).toBe(1);
  });

  it('does not hold a connection idle between frames to the rate: only a frame begun and unfinished', async () => {
    const { server, port, advance } = await startClocked();
    const c = await connect(port);
    c.socket.write(frame(Buffer.from('one')));
    await c.next(1);
    advance(5 * PARTIAL_REQUEST_GRACE_MS);
    expect(server.connectionCount).toBe(1);
    c.socket.write(frame(Buffer.from('two')));
    expect((await c.next(2))[1]!.toString()).toBe('two');
  });

  it('restarts the clocks instead of judging when its own check runs late (the event loop was blocked)', async () => {
    const { server, port, advance, jump } = await startClocked();
    const c = await connect(port);
    c.socket.write(Buffer.from([0, 0, 0x10]));
    await pollUntil('the first bytes to arrive', () => server.openConnections[0]?.bufferedBytes === 3);
    // One check a minute after the last: the bytes may have sat unread in the kernel all along.
    jump(60_000);
    expect(server.connectionCount).toBe(1);
    // From there the frame is timed afresh, and judged again.
    advance(PARTIAL_REQUEST_GRACE_MS);
    expect(server.connectionCount).toBe(1);
    advance(2 * PARTIAL_REQUEST_CHECK_INTERVAL_MS);
    await c.closed;
  });
});
