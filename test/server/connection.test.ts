import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaServer } from '../../src/server/server.js';
import { MalformedRequestError, type RequestDispatcher, type ResponseBytes } from '../../src/server/connection.js';
import { parseListeners } from '../../src/server/listeners.js';
import { connectFrames, frame } from '../helpers/frame-client.js';
import { memoryLogger } from '../helpers/logger.js';

const servers: KafkaServer[] = [];
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.close(100);
});

const limits = { maxRequestBytes: 1024, maxIdleMs: 0, maxInFlightRequests: 4, maxPendingResponseBytes: 1 << 20 };

async function start(dispatcher: RequestDispatcher, overrides: Partial<typeof limits> = {}) {
  const { logger, lines } = memoryLogger();
  const server = new KafkaServer(dispatcher, { ...limits, ...overrides }, logger);
  servers.push(server);
  const [bound] = await server.listen(parseListeners('PLAINTEXT://127.0.0.1:0'));
  return { server, port: bound!.boundPort, lines };
}

function connect(port: number) {
  return connectFrames(port, sockets);
}

describe('connection framing and ordering', () => {
  it('answers pipelined requests in arrival order even when they complete out of order', async () => {
    const dispatcher: RequestDispatcher = {
      dispatch(f: Buffer): Promise<ResponseBytes> {
        const delay = f[0]!; // first byte says how long this request "takes"
        return new Promise((r) => setTimeout(() => r(Buffer.from(f)), delay));
      },
    };
    const { port } = await start(dispatcher);
    const c = await connect(port);
    c.socket.write(Buffer.concat([frame(Buffer.from([30, 1])), frame(Buffer.from([0, 2])), frame(Buffer.from([10, 3]))]));
    const got = await c.next(3);
    expect(got.map((b) => b[1])).toEqual([1, 2, 3]);
  });

  it('reassembles frames split across TCP segments at every byte boundary', async () => {
    const dispatcher: RequestDispatcher = { dispatch: (f) => Buffer.from(f) };
    const { port } = await start(dispatcher);
    const c = await connect(port);
    const bytes = Buffer.concat([frame(Buffer.from('hello')), frame(Buffer.from('world!'))]);
    for (const b of bytes) {
      c.socket.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    const got = await c.next(2);
    expect(got.map((b) => b.toString())).toEqual(['hello', 'world!']);
  });

  it('sends nothing for a request whose handler returns no response, without blocking later ones', async () => {
    const dispatcher: RequestDispatcher = { dispatch: (f) => (f[0] === 0 ? null : Buffer.from(f)) };
    const { port } = await start(dispatcher);
    const c = await connect(port);
    c.socket.write(Buffer.concat([frame(Buffer.from([0])), frame(Buffer.from([7]))]));
    const [only] = await c.next(1);
    expect(only![0]).toBe(7);
  });

  it('closes only the offending connection on a frame over socket.request.max.bytes, with a log line', async () => {
    const dispatcher: RequestDispatcher = { dispatch: (f) => Buffer.from(f) };
    const { port, lines } = await start(dispatcher);
    const good = await connect(port);
    const bad = await connect(port);
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(1_000_000);
    bad.socket.write(huge);
    await bad.closed;
    expect(lines.some((l) => String(l.msg).includes('socket.request.max.bytes'))).toBe(true);
    good.socket.write(frame(Buffer.from('still here')));
    const [r] = await good.next(1);
    expect(r!.toString()).toBe('still here');
  });

  it('closes the connection on a negative frame size', async () => {
    const { port } = await start({ dispatch: (f) => Buffer.from(f) });
    const c = await connect(port);
    c.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    await c.closed;
    expect(c.responses).toHaveLength(0);
  });

  it('closes the connection when the dispatcher reports a malformed request', async () => {
    const { port, lines } = await start({
      dispatch: () => {
        throw new MalformedRequestError('bad header');
      },
    });
    const c = await connect(port);
    c.socket.write(frame(Buffer.from([1, 2, 3])));
    await c.closed;
    expect(lines.some((l) => l.reason === 'bad header')).toBe(true);
  });

  it('stops reading a connection with too many requests in flight and resumes as they complete', async () => {
    let release: (() => void)[] = [];
    let maxSeen = 0;
    let active = 0;
    const dispatcher: RequestDispatcher = {
      dispatch(f) {
        active++;
        maxSeen = Math.max(maxSeen, active);
        return new Promise((r) =>
          release.push(() => {
            active--;
            r(Buffer.from(f));
          }),
        );
      },
    };
    const { port } = await start(dispatcher, { maxInFlightRequests: 2 });
    const c = await connect(port);
    const frames = Array.from({ length: 10 }, (_, i) => frame(Buffer.from([i])));
    c.socket.write(Buffer.concat(frames));
    while (c.responses.length < 10) {
      await new Promise((r) => setTimeout(r, 5));
      const batch = release;
      release = [];
      for (const go of batch) go();
    }
    expect(c.responses.map((b) => b[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // All ten frames arrive in one TCP read: the ones past the bound wait in the buffer.
    expect(maxSeen).toBe(2);
  });

  it('closes a connection idle for connections.max.idle.ms', async () => {
    const { port, lines } = await start({ dispatch: (f) => Buffer.from(f) }, { maxIdleMs: 50 });
    const c = await connect(port);
    await c.closed;
    expect(lines.some((l) => String(l.msg).includes('idle'))).toBe(true);
  });

  it('on graceful close answers requests already in flight before closing', async () => {
    let release: (() => void) | undefined;
    const { server, port } = await start({
      dispatch: (f) => new Promise<ResponseBytes>((r) => (release = () => r(Buffer.from(f)))),
    });
    const c = await connect(port);
    c.socket.write(frame(Buffer.from('inflight')));
    while (release === undefined) await new Promise((r) => setTimeout(r, 1));
    const closing = server.close(5000);
    release();
    const [r] = await c.next(1);
    expect(r!.toString()).toBe('inflight');
    await closing;
    servers.splice(servers.indexOf(server), 1);
  });
});

describe('listener parsing', () => {
  it('parses Kafka listener lists, including IPv6 and wildcard hosts', () => {
    expect(parseListeners('PLAINTEXT://127.0.0.1:9092, INTERNAL://:9093,EXT://[::1]:9094')).toEqual([
      { name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 },
      { name: 'INTERNAL', host: '', port: 9093 },
      { name: 'EXT', host: '::1', port: 9094 },
    ]);
    expect(() => parseListeners('127.0.0.1:9092')).toThrow(/NAME:\/\/host:port/);
    expect(() => parseListeners('A://h:1,A://h:2')).toThrow(/unique/);
  });
});
