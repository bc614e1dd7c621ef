/**
 * One TCP connection to one Kafka broker, speaking size-prefixed frames:
 *
 *   request frame    int32 size, request header (apiKey, apiVersion, correlationId, clientId…), body
 *   response frame   int32 size, response header (correlationId [+ tagged fields]), body
 *
 * Requests are pipelined: each gets the next correlation id and a pending entry; a response
 * is matched to its request by correlation id (Kafka answers in order, but matching by id
 * turns a broker bug into a clear error instead of a silent mix-up). Each request has a
 * timeout; on timeout the connection is closed (as the Java client does) because the broker
 * may still answer later and the stream position is no longer trustworthy. When the socket
 * closes, every request in flight is rejected with a KafkaConnectionError naming the broker.
 *
 * The header and body codecs are those of src/protocol — the same code paths the broker uses.
 *
 * Security: `ssl` opens the socket with TLS (node:tls options: ca, cert, key, servername,
 * rejectUnauthorized, …). `sasl` is the shape the SASL handshake will take (SaslHandshake +
 * SaslAuthenticate right after connecting); until it is implemented a connection asked for it
 * refuses to open (UNSUPPORTED_SASL_MECHANISM) rather than talk unauthenticated.
 */
import net from 'node:net';
import tls from 'node:tls';
import { KafkaError } from '../errors.js';
import { Reader, codecFor, decodeResponseHeader, encodeRequestFrame, type ApiSchema, type RequestInput, type ResponseOf } from '../protocol/index.js';
import { KafkaConnectionError, RequestTimeoutError } from './errors.js';

/** Kafka's default `socket.request.max.bytes` bounds what we accept back too (plus fetch slack). */
const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export interface SaslOptions {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

export interface ConnectionOptions {
  clientId: string | null;
  /** TLS: true for the system's CAs, or node:tls connect options. */
  ssl?: boolean | tls.ConnectionOptions;
  sasl?: SaslOptions;
  /** Per-request timeout; a request may add to it (Fetch adds its maxWaitMs). */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  maxResponseBytes?: number;
}

/** How a response body is read: by default with the request's own schema and version. */
export type ResponseDecoder<T> = (reader: Reader) => T;

interface Pending {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  decode: ResponseDecoder<unknown>;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class WireConnection {
  readonly host: string;
  readonly port: number;
  private readonly socket: net.Socket;
  private readonly options: Required<Omit<ConnectionOptions, 'ssl' | 'sasl'>>;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being received (from its 4-byte prefix); -1 between frames. */
  private frameSize = -1;
  private closedError: KafkaConnectionError | undefined;
  private readonly closeListeners: (() => void)[] = [];

  private constructor(host: string, port: number, socket: net.Socket, options: Required<Omit<ConnectionOptions, 'ssl' | 'sasl'>>) {
    this.host = host;
    this.port = port;
    this.socket = socket;
    this.options = options;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(`connection error: ${err.message}`, err));
    socket.on('close', () => this.fail('connection closed by the broker'));
  }

  /** Opens a connection; rejects with a KafkaConnectionError naming host:port on failure or timeout. */
  static connect(host: string, port: number, options: ConnectionOptions): Promise<WireConnection> {
    const full: Required<Omit<ConnectionOptions, 'ssl' | 'sasl'>> = {
      clientId: options.clientId,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    };
    const address = formatAddress(host, port);
    if (options.sasl !== undefined) {
      return Promise.reject(new KafkaError('UNSUPPORTED_SASL_MECHANISM', `${address}: SASL ${options.sasl.mechanism} is not implemented by this client yet`));
    }
    const ssl = options.ssl;
    return new Promise((resolve, reject) => {
      const socket =
        ssl === undefined || ssl === false
          ? net.connect({ host, port, noDelay: true })
          : tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : undefined, ...(ssl === true ? {} : ssl) }).setNoDelay(true);
      const connectEvent = ssl === undefined || ssl === false ? 'connect' : 'secureConnect';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new KafkaConnectionError(address, `connect timed out after ${full.connectTimeoutMs} ms`));
      }, full.connectTimeoutMs);
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(new KafkaConnectionError(address, `cannot connect: ${err.message}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.once(connectEvent, () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new WireConnection(host, port, socket, full));
      });
    });
  }

  get address(): string {
    return formatAddress(this.host, this.port);
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Called once when the connection closes for any reason. */
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /**
   * Sends one request and resolves with its decoded response body. `decode` overrides how
   * the body is read (ApiVersions reads a v0 body when the broker refused our version).
   */
  request<A extends ApiSchema, T = ResponseOf<A>>(
    api: A,
    version: number,
    body: RequestInput<A>,
    options: { timeoutMs?: number; decode?: ResponseDecoder<T>; clientId?: string } = {},
  ): Promise<T> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    const correlationId = this.takeCorrelationId();
    let frame: Buffer;
    try {
      frame = encodeRequestFrame(api, version, correlationId, options.clientId ?? this.options.clientId, body);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    const decode = options.decode ?? ((r: Reader) => codecFor(api, version, 'response').decode(r) as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new RequestTimeoutError(this.address, `${api.name} v${version} (correlation id ${correlationId}) got no response within ${timeoutMs} ms`));
        this.destroy('connection closed after a request timed out');
      }, timeoutMs);
      this.pending.set(correlationId, {
        apiKey: api.apiKey,
        apiVersion: version,
        apiName: api.name,
        decode,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
      });
      this.socket.write(frame);
    });
  }

  /** Sends a request the broker will not answer (Produce with acks=0); resolves once written. */
  send<A extends ApiSchema>(api: A, version: number, body: RequestInput<A>): Promise<void> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    const frame = encodeRequestFrame(api, version, this.takeCorrelationId(), this.options.clientId, body);
    return new Promise((resolve, reject) => {
      this.socket.write(frame, (err) => {
        if (err) reject(new KafkaConnectionError(this.address, `write failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  /** Closes the connection; requests in flight are rejected. */
  close(): void {
    this.destroy('connection closed by the client');
  }

  private takeCorrelationId(): number {
    const id = this.nextCorrelationId;
    this.nextCorrelationId = id === 0x7fffffff ? 0 : id + 1;
    return id;
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      if (this.frameSize < 0) {
        if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
        const size = this.chunks[0]!.readInt32BE(0);
        if (size < 4 || size > this.options.maxResponseBytes) {
          this.destroy(`invalid response frame size ${size}`);
          return;
        }
        this.frameSize = size;
      }
      // Chunks are joined once, when the whole frame is here (a large Fetch arrives in many).
      if (this.buffered < 4 + this.frameSize) return;
      const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      const frame = buf.subarray(4, 4 + this.frameSize);
      const rest = buf.subarray(4 + this.frameSize);
      this.frameSize = -1;
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.onFrame(frame);
      if (this.closed) return;
    }
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (p === undefined) {
      this.destroy(`response with unknown correlation id ${correlationId}`);
      return;
    }
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    try {
      const reader = new Reader(frame);
      decodeResponseHeader(reader, p.apiKey, p.apiVersion);
      p.resolve(p.decode(reader));
    } catch (err) {
      p.reject(new Error(`${this.address}: cannot decode ${p.apiName} v${p.apiVersion} response: ${(err as Error).message}`, { cause: err }));
    }
  }

  private fail(reason: string, cause?: unknown): void {
    if (this.closedError !== undefined) return;
    this.closedError = new KafkaConnectionError(this.address, reason, { cause });
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new KafkaConnectionError(this.address, `${reason} while ${p.apiName} v${p.apiVersion} was in flight`, { cause }));
    }
    for (const l of this.closeListeners.splice(0)) l();
  }

  private destroy(reason: string): void {
    this.fail(reason);
    this.socket.destroy();
  }
}

/** host:port, with IPv6 hosts bracketed. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses `host:port` / `[v6]:port`; `defaultPort` when the port is left out. */
export function parseAddress(address: string, defaultPort = 9092): { host: string; port: number } {
  const trimmed = address.trim().replace(/^[A-Za-z_]+:\/\//, '');
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(trimmed);
  if (m === null) throw new Error(`invalid broker address "${address}": expected host:port`);
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid broker address "${address}": port out of range`);
  return { host: m[1] ?? m[2]!, port };
}
