/**
 * The Produce path of the network transport: one request per leader per call, written in the
 * order of the calls. When the metadata and the leader's connection are at hand the requests
 * are written before `produceInOrder` returns; otherwise the call waits behind a gate that keeps
 * later calls behind it, so the sequence numbers an idempotent producer assigned in call order
 * reach each partition in that order. Partitions that fail with a retriable error
 * (NOT_LEADER_OR_FOLLOWER, a lost connection, …) are sent again with the same bytes — the same
 * producer id, epoch and sequence, so the broker drops a batch it already has — after a backoff
 * and a metadata refresh, up to `retries` times.
 */
import type { ProducePartitionResult } from '../broker/types.js';
import { ErrorCode } from '../errors.js';
import { produceApi } from '../protocol/index.js';
import type { BrokerLink, ClusterClient } from './cluster-client.js';
import { KafkaConnectionError, KafkaResponseError, UnsupportedApiError, isRetriable } from './network-errors.js';

/** One partition's records of a produce call. */
export interface PartitionSend {
  topic: string;
  partition: number;
  records: Buffer | null;
  /** The producer's transactional id (the same for every send of one produce call). */
  transactionalId: string | null;
}

function failedPartition(index: number, errorCode: number, errorMessage: string | null): ProducePartitionResult {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage };
}

function errorCodeOf(err: unknown): number {
  if (err instanceof KafkaResponseError) return err.errorCode;
  if (err instanceof KafkaConnectionError) return ErrorCode.REQUEST_TIMED_OUT;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

export class NetworkProducePath {
  /** Settles once the produce calls waiting for routes have written their requests. */
  private gate: Promise<void> | null = null;

  constructor(
    private readonly client: ClusterClient,
    private readonly retries: number,
    private readonly backoff: (attempt: number) => Promise<void>,
  ) {}

  /** Writes the requests now when every route is known, else behind the gate (see the file comment); `attempt` counts the retries so far. */
  produceInOrder(acks: number, timeoutMs: number, sends: PartitionSend[], attempt: number): Promise<[PartitionSend, ProducePartitionResult][]> {
    if (this.gate === null) {
      const routes = this.routesNow(sends);
      if (routes !== null) return this.sendRouted(acks, timeoutMs, routes, attempt);
    }
    const written = (this.gate ?? Promise.resolve()).then(async () => {
      const failed: [PartitionSend, ProducePartitionResult][] = [];
      const ready: PartitionSend[] = [];
      for (const s of sends) {
        try {
          await this.client.leaderLink(s.topic, s.partition);
          ready.push(s);
        } catch (err) {
          failed.push([s, failedPartition(s.partition, errorCodeOf(err), (err as Error).message)]);
        }
      }
      const routes = this.routesNow(ready);
      if (routes === null) {
        // A connection that closed between the lookup and now: retried like any lost connection.
        for (const s of ready) failed.push([s, failedPartition(s.partition, ErrorCode.REQUEST_TIMED_OUT, 'connection lost')]);
      }
      const sent = routes === null ? Promise.resolve([]) : this.sendRouted(acks, timeoutMs, routes, attempt);
      return { results: Promise.all([this.retryFailed(acks, timeoutMs, failed, attempt), sent]).then(([a, b]) => [...a, ...b]) };
    });
    const gate = written.then(
      () => undefined,
      () => undefined,
    );
    this.gate = gate;
    void gate.then(() => {
      if (this.gate === gate) this.gate = null;
    });
    return written.then((w) => w.results);
  }

  private routesNow(sends: PartitionSend[]): Map<BrokerLink, PartitionSend[]> | null {
    const routes = new Map<BrokerLink, PartitionSend[]>();
    for (const s of sends) {
      const link = this.client.routeNow(s.topic, s.partition);
      if (link === null) return null;
      let list = routes.get(link);
      if (list === undefined) routes.set(link, (list = []));
      list.push(s);
    }
    return routes;
  }

  /** One Produce per leader, written before this returns; retriable failures are sent again. */
  private sendRouted(
    acks: number,
    timeoutMs: number,
    routes: Map<BrokerLink, PartitionSend[]>,
    attempt: number,
  ): Promise<[PartitionSend, ProducePartitionResult][]> {
    const pending: Promise<[PartitionSend, ProducePartitionResult][]>[] = [];
    for (const [link, sends] of routes) pending.push(this.sendTo(link, acks, timeoutMs, sends));
    return Promise.all(pending).then((parts) => this.retryFailed(acks, timeoutMs, parts.flat(), attempt));
  }

  private sendTo(link: BrokerLink, acks: number, timeoutMs: number, sends: PartitionSend[]): Promise<[PartitionSend, ProducePartitionResult][]> {
    let v: number;
    try {
      v = this.client.versionFor(link, produceApi);
      if (v < 3) throw new UnsupportedApiError(`Produce v3+ (record batches) is needed; the broker at ${link.conn.address} offers up to v${v}`);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const topics: { name: string; partitions: { partitionIndex: number; records: Buffer | null }[] }[] = [];
    for (const s of sends) {
      let t = topics.length > 0 && topics[topics.length - 1]!.name === s.topic ? topics[topics.length - 1] : topics.find((x) => x.name === s.topic);
      if (t === undefined) topics.push((t = { name: s.topic, partitions: [] }));
      t.partitions.push({ partitionIndex: s.partition, records: s.records });
    }
    const body = { transactionalId: sends[0]?.transactionalId ?? null, acks, timeoutMs, topics };
    if (acks === 0) {
      return link.conn.send(produceApi, v, body).then(
        () => sends.map((s): [PartitionSend, ProducePartitionResult] => [s, failedPartition(s.partition, ErrorCode.NONE, null)]),
        (err: unknown) =>
          sends.map((s): [PartitionSend, ProducePartitionResult] => [s, failedPartition(s.partition, errorCodeOf(err), (err as Error).message)]),
      );
    }
    return link.conn.request(produceApi, v, body, { timeoutMs: timeoutMs + 30_000 }).then(
      (res) => {
        const out: [PartitionSend, ProducePartitionResult][] = [];
        for (const s of sends) {
          const p = res.topics.find((t) => t.name === s.topic)?.partitions.find((x) => x.partitionIndex === s.partition);
          if (p === undefined) {
            out.push([
              s,
              failedPartition(
                s.partition,
                ErrorCode.UNKNOWN_SERVER_ERROR,
                `the Produce response from ${link.conn.address} has no entry for ${s.topic}-${s.partition}`,
              ),
            ]);
            continue;
          }
          out.push([
            s,
            {
              index: s.partition,
              errorCode: p.errorCode,
              baseOffset: p.baseOffset,
              logAppendTimeMs: p.logAppendTimeMs,
              logStartOffset: p.logStartOffset,
              recordErrors: p.recordErrors,
              errorMessage: p.errorMessage,
            },
          ]);
        }
        return out;
      },
      (err: unknown) => sends.map((s): [PartitionSend, ProducePartitionResult] => [s, failedPartition(s.partition, errorCodeOf(err), (err as Error).message)]),
    );
  }

  private async retryFailed(
    acks: number,
    timeoutMs: number,
    results: [PartitionSend, ProducePartitionResult][],
    attempt: number,
  ): Promise<[PartitionSend, ProducePartitionResult][]> {
    const again = results.filter(([, r]) => r.errorCode !== ErrorCode.NONE && isRetriable(r.errorCode));
    if (again.length === 0 || attempt >= this.retries) return results;
    this.client.markStale(new Set(again.map(([s]) => s.topic)));
    await this.backoff(attempt);
    const retried = await this.produceInOrder(
      acks,
      timeoutMs,
      again.map(([s]) => s),
      attempt + 1,
    );
    const byKey = new Map(retried.map(([s, r]) => [s, r]));
    return results.map(([s, r]) => [s, byKey.get(s) ?? r]);
  }
}
