/**
 * The TCP side of the broker: one net.Server per configured listener, each connection a
 * `Connection`, all sharing one MemoryPool (queued.max.request.bytes / queued.max.response.bytes).
 * Knows nothing of Kafka APIs — requests go to a `RequestDispatcher`.
 *
 * Every PARTIAL_REQUEST_CHECK_INTERVAL_MS one timer closes the connections whose request frame
 * trickles in slower than socket.request.min.bytes.per.second allows (see
 * Connection.isTrickling). When that timer itself runs late (the event loop was blocked, so
 * bytes may sit unread in the kernel), it restarts every frame's clock instead of judging.
 *
 * Shutdown (SIGTERM) is graceful: stop accepting, stop reading new requests, let requests in
 * flight finish and their responses go out (bounded by `drainTimeoutMs`), then close sockets.
 */
import net from 'node:net';
import { PARTIAL_REQUEST_CHECK_INTERVAL_MS, PARTIAL_REQUEST_GRACE_MS } from '../limits.js';
import type { Logger } from '../logger.js';
import { Connection, type ConnectionLimits, type RequestDispatcher } from './connection.js';
import { formatListener, type ListenerSpec } from './listeners.js';
import { MemoryPool } from './memory-pool.js';

export interface KafkaServerOptions {
  /** Milliseconds since an epoch (Date.now); tests drive it with fake timers. */
  clock?: () => number;
}

export interface BoundListener extends ListenerSpec {
  /** The port actually bound (differs from the spec when it asked for port 0). */
  boundPort: number;
}

export class KafkaServer {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  private readonly bound: BoundListener[] = [];
  private stopping = false;
  readonly memory: MemoryPool;
  private readonly clock: () => number;
  private trickleTimer: NodeJS.Timeout | undefined;
  private lastTrickleCheckMs = 0;

  constructor(
    private readonly dispatcher: RequestDispatcher,
    private readonly limits: ConnectionLimits,
    private readonly logger: Logger,
    options: KafkaServerOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.memory = new MemoryPool(
      { maxRequestBytes: limits.queuedMaxRequestBytes ?? -1, maxResponseBytes: limits.queuedMaxResponseBytes ?? -1, clock: this.clock },
      logger,
    );
  }

  get listeners(): readonly BoundListener[] {
    return this.bound;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** The open connections, oldest first. */
  get openConnections(): readonly Connection[] {
    return [...this.connections];
  }

  async listen(specs: ListenerSpec[]): Promise<BoundListener[]> {
    for (const spec of specs) {
      const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket, spec.name));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: spec.host === '' ? undefined : spec.host, port: spec.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.logger.error({ err, listener: formatListener(spec) }, 'listener error'));
      const address = server.address() as net.AddressInfo;
      const bound = { ...spec, boundPort: address.port };
      this.bound.push(bound);
      this.servers.push(server);
      this.logger.info({ listener: formatListener({ ...spec, port: address.port }) }, 'listening');
    }
    this.startTrickleChecks();
    return this.bound;
  }

  private startTrickleChecks(): void {
    const minBytesPerSecond = this.limits.minRequestBytesPerSecond ?? 0;
    if (minBytesPerSecond <= 0 || this.trickleTimer !== undefined) return;
    this.lastTrickleCheckMs = this.clock();
    this.trickleTimer = setInterval(() => this.closeTrickling(minBytesPerSecond), PARTIAL_REQUEST_CHECK_INTERVAL_MS);
    this.trickleTimer.unref();
  }

  private closeTrickling(minBytesPerSecond: number): void {
    const now = this.clock();
    const late = now - this.lastTrickleCheckMs > 2 * PARTIAL_REQUEST_CHECK_INTERVAL_MS;
    this.lastTrickleCheckMs = now;
    for (const c of this.connections) {
      if (late) c.restartFrameClock();
      else if (c.isTrickling(now, minBytesPerSecond, PARTIAL_REQUEST_GRACE_MS)) {
        this.logger.warn(
          { connection: c.id, remote: c.remoteAddress, minBytesPerSecond },
          'closing connection: request frame arriving slower than socket.request.min.bytes.per.second',
        );
        c.close();
      }
    }
  }

  private accept(socket: net.Socket, listenerName: string): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const connection = new Connection(
      this.nextConnectionId++,
      socket,
      listenerName,
      this.dispatcher,
      this.limits,
      this.memory,
      this.logger,
      (c) => this.connections.delete(c),
      this.clock,
    );
    this.connections.add(connection);
  }

  /** Graceful stop: no new connections or requests; answers in flight are sent, then sockets close. */
  async close(drainTimeoutMs = 5000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.trickleTimer);
    this.trickleTimer = undefined;
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const c of this.connections) c.stopReading();
    // The timers stay ref'd: while shutting down they may be all that keeps the process alive
    // (a connection paused by stopReading() holds no active handle), and an abandoned shutdown
    // would skip the broker's flush and clean-shutdown marker.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, drainTimeoutMs);
    });
    await Promise.race([Promise.all([...this.connections].map((c) => c.drained())), timeout]);
    clearTimeout(timer);
    const open = [...this.connections];
    for (const c of open) c.end();
    // Clients normally close their side at once; one that lingers is cut after a grace period.
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, 1000);
    });
    await Promise.race([Promise.all(closed), grace]);
    clearTimeout(graceTimer);
    for (const c of open) c.destroy();
    await Promise.all(closed);
  }
}
