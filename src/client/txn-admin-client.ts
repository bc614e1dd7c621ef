/**
 * Transaction admin requests of the network transport — what Kafka's Admin client sends for
 * kafka-transactions.sh:
 *
 * - DescribeTransactions (65) goes to each transactional id's coordinator, found with
 *   FindCoordinator key type 1 (GroupClient.transactionCoordinator). The answer is cached per id
 *   until the coordinator answers COORDINATOR_LOAD_IN_PROGRESS,
 *   COORDINATOR_NOT_AVAILABLE or NOT_COORDINATOR, or the connection drops: then it is looked up
 *   again after a backoff, a few times. One request per id, all in flight at once.
 * - ListTransactions (66) goes to every broker (each coordinates its own ids) and the answers
 *   are merged, each listing naming the broker that gave it. A duration filter needs v1.
 * - DescribeProducers (61) and WriteTxnMarkers (27) go to each partition's leader, one request
 *   per leader; partitions whose leader moved (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, a
 *   lost connection) are sent again after a metadata refresh, a few times.
 *
 * Per-id and per-partition errors are values, as Kafka's responses carry them; a request-level
 * failure (a ListTransactions errorCode, an API the broker lacks) throws.
 */
import { describeProducersApi, describeTransactionsApi, listTransactionsApi, writeTxnMarkersApi } from '../protocol/index.js';
import type { BrokerLink, ClusterClient } from './cluster-client.js';
import { isCoordinatorError, type GroupClient } from './group-client.js';
import { ErrorCodes, KafkaConnectionError, KafkaResponseError } from './network-errors.js';
import { withRetries } from './retry.js';
import type {
  ActiveProducer,
  DescribedProducersTopic,
  DescribedTransaction,
  ListTransactionsFilter,
  ListedTransaction,
  ListedTransactions,
  TxnMarker,
  TxnMarkerResult,
} from './txn-admin-types.js';

const MAX_BACKOFF_MS = 1_000;

/** Partition errors that mean "the leader is elsewhere or not elected yet": refresh and resend. */
const LEADER_MOVED: ReadonlySet<number> = new Set([ErrorCodes.NOT_LEADER_OR_FOLLOWER, ErrorCodes.LEADER_NOT_AVAILABLE]);

interface PartitionRef {
  topic: string;
  partition: number;
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Partitions grouped by topic, in first-seen order, as the request schemas want them. */
function byTopic(refs: readonly PartitionRef[]): { name: string; partitionIndexes: number[] }[] {
  const out = new Map<string, number[]>();
  for (const r of refs) {
    const list = out.get(r.topic);
    if (list === undefined) out.set(r.topic, [r.partition]);
    else list.push(r.partition);
  }
  return [...out].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
}

export class TxnAdminClient {
  private readonly retries: number;
  private readonly retryBackoffMs: number;

  constructor(
    readonly client: ClusterClient,
    private readonly groups: GroupClient,
    options: { retries?: number; retryBackoffMs?: number } = {},
  ) {
    this.retries = options.retries ?? 5;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
  }

  private backoff(attempt: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.min(this.retryBackoffMs * 2 ** attempt, MAX_BACKOFF_MS)));
  }

  // ------------------------------------------------------------------ DescribeTransactions

  /** One description per id, in the order asked; see the file comment. */
  describeTransactions(transactionalIds: readonly string[]): Promise<DescribedTransaction[]> {
    return Promise.all(transactionalIds.map((id) => this.describeOne(id)));
  }

  private async describeOne(transactionalId: string): Promise<DescribedTransaction> {
    try {
      return await withRetries(
        async () => {
          const coordinator = await this.groups.transactionCoordinator(transactionalId);
          const { response } = await this.client.request(describeTransactionsApi, () => ({ transactionalIds: [transactionalId] }), { broker: coordinator });
          const t = response.transactionStates.find((x) => x.transactionalId === transactionalId) ?? response.transactionStates[0];
          if (t === undefined) throw new Error(`DescribeTransactions response has no entry for ${transactionalId}`);
          if (isCoordinatorError(t.errorCode)) throw new KafkaResponseError(t.errorCode, `DescribeTransactions ${transactionalId}`);
          return {
            transactionalId,
            errorCode: t.errorCode,
            transactionState: t.transactionState,
            transactionTimeoutMs: t.transactionTimeoutMs,
            transactionStartTimeMs: t.transactionStartTimeMs,
            producerId: t.producerId,
            producerEpoch: t.producerEpoch,
            topics: t.topics.map((x) => ({ topic: x.topic, partitions: [...x.partitions] })),
            coordinatorId: coordinator.nodeId,
          };
        },
        {
          retries: this.retries,
          backoffMs: this.retryBackoffMs,
          shouldRetry: (err) => (err instanceof KafkaResponseError && isCoordinatorError(err.errorCode)) || err instanceof KafkaConnectionError,
          beforeRetry: () => this.groups.forgetTransactionCoordinator(transactionalId),
        },
      );
    } catch (err) {
      // A coordinator that stayed unavailable is this id's answer, as a value.
      if (err instanceof KafkaResponseError && isCoordinatorError(err.errorCode)) {
        return {
          transactionalId,
          errorCode: err.errorCode,
          transactionState: '',
          transactionTimeoutMs: 0,
          transactionStartTimeMs: -1n,
          producerId: -1n,
          producerEpoch: -1,
          topics: [],
          coordinatorId: -1,
        };
      }
      throw err;
    }
  }

  // ------------------------------------------------------------------ ListTransactions

  async listTransactions(filter: ListTransactionsFilter): Promise<ListedTransactions> {
    const brokers = await this.client.knownBrokers();
    const withDuration = filter.durationFilterMs >= 0n;
    const answers = await Promise.all(
      brokers.map((b) =>
        withRetries(
          async () => {
            const { response } = await this.client.request(
              listTransactionsApi,
              () => ({ stateFilters: filter.stateFilters, producerIdFilters: filter.producerIdFilters, durationFilter: filter.durationFilterMs }),
              { broker: b, ...(withDuration ? { minVersion: 1 } : {}) },
            );
            if (response.errorCode !== 0) throw new KafkaResponseError(response.errorCode, `ListTransactions from broker ${b.nodeId} (${b.host}:${b.port})`);
            return {
              unknown: response.unknownStateFilters,
              listed: response.transactionStates.map((t): ListedTransaction => ({
                transactionalId: t.transactionalId,
                producerId: t.producerId,
                transactionState: t.transactionState,
                coordinatorId: b.nodeId,
              })),
            };
          },
          {
            retries: this.retries,
            backoffMs: this.retryBackoffMs,
            shouldRetry: (err) =>
              (err instanceof KafkaResponseError && err.errorCode === ErrorCodes.COORDINATOR_LOAD_IN_PROGRESS) || err instanceof KafkaConnectionError,
          },
        ),
      ),
    );
    const unknown = new Set<string>();
    for (const a of answers) for (const s of a.unknown) unknown.add(s);
    const transactions = answers
      .flatMap((a) => a.listed)
      .sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
    return { transactions, unknownStateFilters: [...unknown] };
  }

  // ------------------------------------------------------------------ DescribeProducers

  async describeProducers(topics: readonly { name: string; partitionIndexes: number[] }[]): Promise<DescribedProducersTopic[]> {
    const refs = topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
    const results = await this.atLeaders(refs, async (link, group) => {
      const v = this.client.versionFor(link, describeProducersApi);
      const res = await link.conn.request(describeProducersApi, v, { topics: byTopic(group) });
      const out = new Map<string, { errorCode: number; errorMessage: string | null; activeProducers: ActiveProducer[] }>();
      for (const t of res.topics) {
        for (const p of t.partitions) {
          out.set(keyOf(t.name, p.partitionIndex), {
            errorCode: p.errorCode,
            errorMessage: p.errorMessage,
            activeProducers: p.activeProducers.map((a) => ({
              producerId: a.producerId,
              producerEpoch: a.producerEpoch,
              lastSequence: a.lastSequence,
              lastTimestamp: a.lastTimestamp,
              coordinatorEpoch: a.coordinatorEpoch,
              currentTxnStartOffset: a.currentTxnStartOffset,
            })),
          });
        }
      }
      return out;
    });
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        const r = results.get(keyOf(t.name, partitionIndex))!;
        return 'activeProducers' in r
          ? { partitionIndex, ...r }
          : { partitionIndex, errorCode: r.errorCode, errorMessage: r.errorMessage, activeProducers: [] as ActiveProducer[] };
      }),
    }));
  }

  // ------------------------------------------------------------------ WriteTxnMarkers

  /** Each marker's partitions, at their leaders; one result per marker, in order. */
  async writeTxnMarkers(markers: readonly TxnMarker[]): Promise<TxnMarkerResult[]> {
    return Promise.all(
      markers.map(async (m) => {
        const refs = m.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
        const results = await this.atLeaders(refs, async (link, group) => {
          const v = this.client.versionFor(link, writeTxnMarkersApi);
          const res = await link.conn.request(writeTxnMarkersApi, v, {
            markers: [
              {
                producerId: m.producerId,
                producerEpoch: m.producerEpoch,
                transactionResult: m.transactionResult,
                topics: byTopic(group),
                coordinatorEpoch: m.coordinatorEpoch,
              },
            ],
          });
          const out = new Map<string, { errorCode: number; errorMessage: string | null }>();
          for (const r of res.markers) {
            if (r.producerId !== m.producerId) continue;
            for (const t of r.topics) for (const p of t.partitions) out.set(keyOf(t.name, p.partitionIndex), { errorCode: p.errorCode, errorMessage: null });
          }
          return out;
        });
        return {
          producerId: m.producerId,
          topics: m.topics.map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: results.get(keyOf(t.name, partitionIndex))!.errorCode })),
          })),
        };
      }),
    );
  }

  // ------------------------------------------------------------------ routing to leaders

  /**
   * Sends `refs` to their leaders (one `send` per leader) and collects each partition's answer
   * by key; partitions whose leader moved or whose connection failed are routed again after a
   * metadata refresh, up to `retries` times, and otherwise answer with that error code. A
   * partition the broker left out of its answer is UNKNOWN_SERVER_ERROR.
   */
  private async atLeaders<R extends { errorCode: number; errorMessage: string | null }>(
    refs: readonly PartitionRef[],
    send: (link: BrokerLink, group: PartitionRef[]) => Promise<Map<string, R>>,
  ): Promise<Map<string, R | { errorCode: number; errorMessage: string | null }>> {
    const results = new Map<string, R | { errorCode: number; errorMessage: string | null }>();
    let pending = [...refs];
    for (let attempt = 0; pending.length > 0; attempt++) {
      const last = attempt >= this.retries;
      const retry: PartitionRef[] = [];
      const fail = (r: PartitionRef, errorCode: number, errorMessage: string | null, retriable: boolean): void => {
        if (retriable && !last) retry.push(r);
        else results.set(keyOf(r.topic, r.partition), { errorCode, errorMessage });
      };
      const groups = new Map<BrokerLink, PartitionRef[]>();
      for (const r of pending) {
        try {
          const { link } = await this.client.leaderLink(r.topic, r.partition);
          let group = groups.get(link);
          if (group === undefined) groups.set(link, (group = []));
          group.push(r);
        } catch (err) {
          if (err instanceof KafkaResponseError) fail(r, err.errorCode, err.message, err.retriable);
          else if (err instanceof KafkaConnectionError) fail(r, ErrorCodes.NETWORK_EXCEPTION, err.message, true);
          else throw err;
        }
      }
      await Promise.all(
        [...groups].map(async ([link, group]) => {
          let answers: Map<string, R>;
          try {
            answers = await send(link, group);
          } catch (err) {
            if (!(err instanceof KafkaConnectionError)) throw err;
            for (const r of group) fail(r, ErrorCodes.NETWORK_EXCEPTION, err.message, true);
            return;
          }
          for (const r of group) {
            const a = answers.get(keyOf(r.topic, r.partition));
            if (a === undefined) fail(r, ErrorCodes.UNKNOWN_SERVER_ERROR, 'the broker did not answer for this partition', false);
            else if (LEADER_MOVED.has(a.errorCode) && !last) retry.push(r);
            else results.set(keyOf(r.topic, r.partition), a);
          }
        }),
      );
      pending = retry;
      if (pending.length > 0) {
        this.client.markStale(new Set(pending.map((r) => r.topic)));
        await this.backoff(attempt);
      }
    }
    return results;
  }
}
