/**
 * Raw Kafka protocol for tests: request frames built with our schema codec, responses decoded
 * with it, over a Dispatcher in-process or a real socket. Deliberately independent of any
 * client library, so tests can send what no well-behaved client would (duplicates, garbage,
 * oversized frames, unknown APIs).
 */
import net from 'node:net';
import {
  Reader,
  decodeResponse,
  decodeResponseHeader,
  encodeRequestFrame,
  type ApiSchema,
  type RequestInput,
  type ResponseOf,
} from '../../src/protocol/index.js';
import type { Dispatcher } from '../../src/server/dispatcher.js';
import type { ConnectionInfo } from '../../src/server/connection.js';

const connection: ConnectionInfo = { id: 1, remoteAddress: '127.0.0.1:1', listenerName: 'PLAINTEXT' };

/** One request frame without its size prefix (what Dispatcher.dispatch takes). */
export function requestFrame<A extends ApiSchema>(api: A, version: number, body: RequestInput<A>, correlationId = 1): Buffer {
  return Buffer.from(encodeRequestFrame(api, version, correlationId, 'test-client', body).subarray(4));
}

export function decodeResponseFrame<A extends ApiSchema>(api: A, version: number, frame: Buffer): { correlationId: number; body: ResponseOf<A> } {
  const r = new Reader(frame, 0, frame.length);
  const { correlationId } = decodeResponseHeader(r, api.apiKey, version);
  return { correlationId, body: decodeResponse(api, version, r) };
}

/** Sends one request through a Dispatcher in-process; null when it answers nothing. */
export async function dispatch<A extends ApiSchema>(dispatcher: Dispatcher, api: A, version: number, body: RequestInput<A>): Promise<ResponseOf<A> | null> {
  const out = await dispatcher.dispatch(requestFrame(api, version, body), connection);
  if (out === null) return null;
  const frame = Array.isArray(out) ? Buffer.concat(out) : out;
  return decodeResponseFrame(api, version, frame).body;
}

/** A socket that speaks frames: send whole requests or raw bytes, read whole responses. */
export class RawKafkaSocket {
  private pending = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private readonly waiters: (() => void)[] = [];
  private nextCorrelationId = 1;
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= 4 && this.pending.length >= 4 + this.pending.readInt32BE(0)) {
        const size = this.pending.readInt32BE(0);
        this.frames.push(this.pending.subarray(4, 4 + size));
        this.pending = this.pending.subarray(4 + size);
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawKafkaSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawKafkaSocket(socket));
      });
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next response frame (header + body); rejects if the connection closes first. */
  async nextFrame(timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.isClosed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a response');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.shift()!;
  }

  async request<A extends ApiSchema>(api: A, version: number, body: RequestInput<A>): Promise<ResponseOf<A>> {
    const correlationId = this.nextCorrelationId++;
    this.write(encodeRequestFrame(api, version, correlationId, 'raw-test', body));
    const { correlationId: got, body: response } = decodeResponseFrame(api, version, await this.nextFrame());
    if (got !== correlationId) throw new Error(`correlation id ${got}, expected ${correlationId}`);
    return response;
  }

  /** Waits for the server to close the connection (rejects after `timeoutMs`). */
  async waitClosed(timeoutMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('connection still open')), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
