/**
 * A broker's session with etcd: one lease at a time, TTL = broker.session.timeout.ms rounded up
 * to whole seconds, kept alive by the etcd3 client (a keepalive every TTL/3).
 *
 * The session is declared lost as soon as this process can no longer be sure the lease lives:
 * TTL after the *sending* of the last acknowledged keepalive (etcd restarted the lease's clock no
 * earlier than that), so before etcd itself can expire it. Then `lost` runs (the broker stops
 * leading), the old lease is revoked once etcd answers (its keys may still be there), a new
 * lease is granted and `established` runs again — until close().
 */
import type { Lease, Namespace } from 'etcd3';
import type { Logger } from '../logger.js';

const REOPEN_DELAY_MS = 200;

export interface SessionHooks {
  /** After each grant (the keys to attach to the lease); a failure ends this session and a new one is opened. */
  established(leaseId: string): Promise<void>;
  /** The lease may be gone: stop acting on what it holds. */
  lost(leaseId: string, reason: string): void;
}

export class EtcdSession {
  private lease: Lease | null = null;
  private leaseId: string | null = null;
  private alive = false;
  private closed = false;
  /** Send times of the keepalives not answered yet, oldest first (one stream answers in order). */
  private unansweredFiredMs: number[] = [];
  private confirmedFiredMs = 0;
  private watchdog: NodeJS.Timeout | null = null;
  private reopening: Promise<void> | null = null;

  constructor(
    private readonly ns: Namespace,
    readonly ttlSeconds: number,
    private readonly logger: Logger,
    private readonly hooks: SessionHooks,
  ) {}

  /** The live lease's id, or null while there is none. */
  id(): string | null {
    return this.alive ? this.leaseId : null;
  }

  /** Grants the first lease; rejects when etcd cannot be reached. */
  async start(): Promise<void> {
    await this.open();
  }

  /** Revokes the lease: whatever it holds is deleted at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatchdog();
    const lease = this.lease;
    this.lease = null;
    this.alive = false;
    if (lease !== null) await lease.revoke().catch((err: unknown) => this.logger.warn({ err }, 'lease revoke failed at close'));
  }

  private async open(): Promise<void> {
    const lease = this.ns.lease(this.ttlSeconds, { autoKeepAlive: true });
    lease.on('keepaliveEstablished', () => (this.unansweredFiredMs = []));
    lease.on('keepaliveFired', () => this.unansweredFiredMs.push(Date.now()));
    lease.on('keepaliveSucceeded', () => {
      const firedMs = this.unansweredFiredMs.shift();
      if (firedMs !== undefined && lease === this.lease) this.confirm(firedMs);
    });
    lease.on('lost', (err) => this.end(lease, `lease lost: ${err.message}`));
    const grantStartMs = Date.now();
    let id: string;
    try {
      id = await lease.grant();
    } catch (err) {
      lease.release();
      throw err;
    }
    if (this.closed) {
      await lease.revoke().catch(() => undefined);
      return;
    }
    this.lease = lease;
    this.leaseId = id;
    this.alive = true;
    this.confirm(grantStartMs);
    try {
      await this.hooks.established(id);
    } catch (err) {
      this.end(lease, `session setup failed: ${(err as Error).message}`);
    }
  }

  /** A keepalive sent at `firedMs` was acknowledged: the lease lives at least until firedMs + TTL. */
  private confirm(firedMs: number): void {
    if (!this.alive) return;
    this.confirmedFiredMs = Math.max(this.confirmedFiredMs, firedMs);
    this.stopWatchdog();
    const lease = this.lease!;
    const dueMs = this.confirmedFiredMs + this.ttlSeconds * 1000 - Date.now();
    this.watchdog = setTimeout(() => this.end(lease, `no keepalive acknowledged for ${this.ttlSeconds}s`), Math.max(1, dueMs));
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  private end(lease: Lease, reason: string): void {
    if (lease !== this.lease || !this.alive) return;
    this.alive = false;
    this.stopWatchdog();
    lease.release();
    lease.removeAllListeners();
    const id = this.leaseId!;
    this.logger.warn({ sessionId: id, reason }, 'etcd session lost');
    this.hooks.lost(id, reason);
    this.reopening ??= this.reopen(lease).finally(() => (this.reopening = null));
  }

  /** Revokes the old lease and opens a new session, until it works or close(). */
  private async reopen(old: Lease): Promise<void> {
    let revoked = false;
    while (!this.closed) {
      try {
        if (!revoked) {
          await old.revoke(); // an expired lease counts as revoked (etcd3 swallows "lease not found")
          revoked = true;
        }
        await this.open();
        return;
      } catch (err) {
        this.logger.debug({ err }, 'etcd session not reopened yet');
        await new Promise((r) => setTimeout(r, REOPEN_DELAY_MS));
      }
    }
  }
}
