/**
 * ClientTransport over the Kafka wire protocol, to sluice or any Kafka-compatible cluster.
 *
 * The low layer (cluster-client.ts) bootstraps, negotiates API versions per broker,
 * caches metadata and routes partition requests to each partition's leader; group-client.ts finds
 * group coordinators. This file maps the clients' requests onto it:
 *
 * - Produce: network-produce.ts — one request per leader per call, in call order (an
 *   idempotent producer's sequences reach each partition in order), retriable failures sent again
 *   with the same bytes up to `retries` times (the producer's sender asks for none: it retries
 *   itself, keeping each partition's order across requests in flight; produce-sender.ts).
 * - Fetch: one request per leader (fetchMany), record bytes handed over as the broker sent
 *   them; the consumer checks their CRCs. A fetch the consumer abandons (seek, pause, stop)
 *   resolves empty at once; its response is dropped when it comes.
 * - Group membership: network-group-transport.ts's WireGroupTransport, the coordinator found and re-found
 *   by GroupClient.
 * - Transactions: InitProducerId with a transactional id, AddPartitionsToTxn, AddOffsetsToTxn,
 *   EndTxn and TxnOffsetCommit at their coordinators (txn-client.ts); Produce carries the
 *   producer's transactional id.
 * - Transaction admin (DescribeTransactions, ListTransactions, DescribeProducers,
 *   WriteTxnMarkers): txn-admin-client.ts. Aborted transactions are filtered by the consumer
 *   (fetched-messages.ts), from the Fetch response's abortedTransactions.
 *
 * Not implemented: fetch sessions (every Fetch is a full one), Produce below v3 (Kafka < 0.11,
 * no record batches).
 */
import type {
  AlterConfigsResource,
  AlterConfigsResult,
  CreatableTopic,
  CreatePartitionsResult,
  CreatePartitionsTopic,
  CreateTopicResult,
  DeleteRecordsTopicRequest,
  DeleteRecordsTopicResult,
  DeleteTopicResult,
  DescribeConfigsResource,
  DescribeConfigsResult,
  FetchRequest,
  FetchResult,
  IncrementalAlterConfigsResource,
  InitProducerIdRequest,
  InitProducerIdResult,
  ListOffsetsTopicRequest,
  ListOffsetsTopicResult,
  MetadataResult,
  ProducePartitionResult,
  ProduceTopicData,
  ProduceTopicResult,
} from '../broker/types.js';
import { AlterConfigOp, ConfigSource, type ConfigType } from '../broker/config-types.js';
import { ErrorCode } from '../errors.js';
import {
  alterConfigsApi,
  createPartitionsApi,
  createTopicsApi,
  deleteRecordsApi,
  describeConfigsApi,
  initProducerIdApi,
  ZERO_UUID,
} from '../protocol/index.js';
import { ClusterClient, type AlterConfigOp as AlterConfigOpName, type ClusterClientOptions } from './cluster-client.js';
import { KafkaResponseError } from './network-errors.js';
import { WireGroupTransport } from './network-group-transport.js';
import { GroupClient } from './group-client.js';
import type { GroupTransport, MemberIdentity, OffsetToCommit } from './group-membership.js';
import type { ClientTransport, CommittedOffset, DescribedGroup, ListedGroup, TxnOffsetCommitRequest, TxnPartitionResults, TxnProducer } from './transport.js';
import { NetworkProducePath, type PartitionSend } from './network-produce.js';
import { TxnClient } from './txn-client.js';
import { TxnAdminClient } from './txn-admin-client.js';
import type {
  DescribedProducersTopic,
  DescribedTransaction,
  ListTransactionsFilter,
  ListedTransactions,
  TxnMarker,
  TxnMarkerResult,
} from './txn-admin-types.js';

export interface NetworkTransportOptions extends ClusterClientOptions {
  /** Bootstrap brokers, `host:port` each. */
  brokers: readonly string[];
}

const MAX_BACKOFF_MS = 1_000;
/** JoinGroup and SyncGroup wait up to the rebalance timeout; the member's own is sent with them. */
const GROUP_REQUEST_TIMEOUT_MS = 300_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class NetworkTransport implements ClientTransport {
  readonly kind = 'network' as const;
  readonly groups: GroupClient;
  readonly txns: TxnClient;
  private readonly retries: number;
  private readonly retryBackoffMs: number;
  private txnAdminClient: TxnAdminClient | null = null;
  private readonly producer: NetworkProducePath;

  private constructor(
    readonly client: ClusterClient,
    options: NetworkTransportOptions,
  ) {
    this.retries = options.retries ?? 5;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.groups = new GroupClient(client, { retries: this.retries, retryBackoffMs: this.retryBackoffMs });
    this.txns = new TxnClient(client, this.groups);
    this.producer = new NetworkProducePath(client, this.retries, (attempt) => this.backoff(attempt));
  }

  /** Connects to the first reachable bootstrap broker. */
  static async connect(options: NetworkTransportOptions): Promise<NetworkTransport> {
    return new NetworkTransport(await ClusterClient.connect(options.brokers, options), options);
  }

  /**
   * A transport with connections of its own, opened on first use. Each consumer gets one: a
   * broker answers the requests of one connection in order, so a JoinGroup the coordinator
   * holds until the group's other members join, or a long-poll Fetch, would otherwise hold up
   * every other member's and producer's requests on a shared connection.
   */
  static open(options: NetworkTransportOptions): NetworkTransport {
    return new NetworkTransport(ClusterClient.create(options.brokers, options), options);
  }

  private backoff(attempt: number): Promise<void> {
    return sleep(Math.min(this.retryBackoffMs * 2 ** attempt, MAX_BACKOFF_MS));
  }

  // ------------------------------------------------------------------ metadata

  partitionCount(topic: string): number {
    return this.client.cachedPartitionCount(topic);
  }

  /** Metadata; a topic just created may have no leader yet (LEADER_NOT_AVAILABLE): asked again. */
  async metadata(topics: string[] | null, allowAutoTopicCreation: boolean): Promise<MetadataResult> {
    for (let attempt = 0; ; attempt++) {
      const md = await this.client.metadata(topics, { allowAutoTopicCreation });
      const electing = md.topics.filter((t) => t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE || t.partitions.some((p) => p.leaderId < 0));
      if (electing.length === 0 || attempt >= this.retries) {
        return {
          brokers: md.brokers,
          clusterId: md.clusterId ?? '',
          controllerId: md.controllerId,
          topics: md.topics.map((t) => ({
            errorCode: t.errorCode,
            name: t.name,
            topicId: t.topicId,
            isInternal: t.isInternal,
            partitions: t.partitions.map((p) => ({
              errorCode: p.errorCode,
              partitionIndex: p.partition,
              leaderId: p.leaderId,
              leaderEpoch: p.leaderEpoch,
              replicaNodes: p.replicas,
              isrNodes: p.isr,
              offlineReplicas: p.offlineReplicas,
            })),
          })),
        };
      }
      this.client.markStale(electing.map((t) => t.name));
      await this.backoff(attempt);
    }
  }

  // ------------------------------------------------------------------ produce

  produce(
    acks: number,
    timeoutMs: number,
    topicData: ProduceTopicData[],
    options: { retries?: number; transactionalId?: string | null } = {},
  ): Promise<ProduceTopicResult[]> {
    const sends: PartitionSend[] = [];
    const transactionalId = options.transactionalId ?? null;
    for (const t of topicData) for (const p of t.partitions) sends.push({ topic: t.name, partition: p.index, records: p.records, transactionalId });
    // Retries are counted up from `attempt`: starting at the limit leaves `retries` of them.
    return this.producer.produceInOrder(acks, timeoutMs, sends, Math.max(0, this.retries - (options.retries ?? this.retries))).then((results) => {
      const byTopic = new Map<string, ProducePartitionResult[]>();
      for (const [s, r] of results) {
        let list = byTopic.get(s.topic);
        if (list === undefined) byTopic.set(s.topic, (list = []));
        list.push(r);
      }
      return [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    });
  }

  async initProducerId(request: InitProducerIdRequest): Promise<InitProducerIdResult> {
    const transactionalId = request.transactionalId;
    if (transactionalId !== null) return this.txns.initProducerId({ ...request, transactionalId });
    const { response } = await this.client.request(initProducerIdApi, () => ({
      transactionalId: request.transactionalId,
      transactionTimeoutMs: request.transactionTimeoutMs,
      producerId: request.producerId ?? -1n,
      producerEpoch: request.producerEpoch ?? -1,
    }));
    return { errorCode: response.errorCode, errorMessage: null, producerId: response.producerId, producerEpoch: response.producerEpoch };
  }

  // ------------------------------------------------------------------ transactions

  addPartitionsToTxn(request: TxnProducer & { topics: { name: string; partitions: number[] }[] }): Promise<TxnPartitionResults> {
    return this.txns.addPartitionsToTxn(request);
  }

  addOffsetsToTxn(request: TxnProducer & { groupId: string }): Promise<{ errorCode: number }> {
    return this.txns.addOffsetsToTxn(request);
  }

  endTxn(request: TxnProducer & { committed: boolean }): Promise<{ errorCode: number }> {
    return this.txns.endTxn(request);
  }

  txnOffsetCommit(request: TxnOffsetCommitRequest): Promise<TxnPartitionResults> {
    return this.txns.txnOffsetCommit(request);
  }

  // ------------------------------------------------------------------ fetch, offsets

  fetch(request: FetchRequest, signal?: AbortSignal): Promise<FetchResult> {
    const targets = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name!, partition: p.partition, offset: p.fetchOffset, maxBytes: p.partitionMaxBytes })),
    );
    const fetching = this.client
      .fetchMany(targets, {
        maxWaitMs: request.maxWaitMs,
        minBytes: request.minBytes,
        maxBytes: request.maxBytes,
        partitionMaxBytes: targets[0]?.maxBytes ?? 1_048_576,
        isolationLevel: request.isolationLevel === 1 ? 1 : 0,
      })
      .then((results) => {
        const topics = new Map<string, FetchResult['topics'][number]>();
        for (const r of results) {
          let t = topics.get(r.topic);
          if (t === undefined) topics.set(r.topic, (t = { name: r.topic, topicId: ZERO_UUID, partitions: [] }));
          t.partitions.push({
            partitionIndex: r.partition,
            errorCode: r.errorCode,
            highWatermark: r.highWatermark,
            lastStableOffset: r.lastStableOffset,
            logStartOffset: r.logStartOffset,
            abortedTransactions: r.abortedTransactions,
            preferredReadReplica: -1,
            records: r.records ?? Buffer.alloc(0),
          });
        }
        return { errorCode: ErrorCode.NONE, topics: [...topics.values()] };
      });
    if (signal === undefined) return fetching;
    if (signal.aborted) {
      fetching.catch(() => undefined);
      return Promise.resolve({ errorCode: ErrorCode.NONE, topics: [] });
    }
    return new Promise<FetchResult>((resolve, reject) => {
      const onAbort = (): void => resolve({ errorCode: ErrorCode.NONE, topics: [] });
      signal.addEventListener('abort', onAbort, { once: true });
      fetching.then(
        (r) => {
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) resolve({ errorCode: ErrorCode.NONE, topics: [] });
          else reject(err as Error);
        },
      );
    });
  }

  /** One ListOffsets per partition, in parallel; a partition's failure is its errorCode. */
  async listOffsets(isolationLevel: number, topics: ListOffsetsTopicRequest[]): Promise<ListOffsetsTopicResult[]> {
    return Promise.all(
      topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (p) => {
            try {
              const r = await this.client.listOffsets(t.name, p.partition, p.timestamp, { isolationLevel: isolationLevel === 1 ? 1 : 0 });
              return { partitionIndex: p.partition, errorCode: ErrorCode.NONE, timestamp: r.timestamp, offset: r.offset, leaderEpoch: r.leaderEpoch };
            } catch (err) {
              if (!(err instanceof KafkaResponseError)) throw err;
              return { partitionIndex: p.partition, errorCode: err.errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
            }
          }),
        ),
      })),
    );
  }

  /** DeleteRecords at each partition's leader. */
  async deleteRecords(topics: DeleteRecordsTopicRequest[]): Promise<DeleteRecordsTopicResult[]> {
    const out: DeleteRecordsTopicResult[] = [];
    for (const t of topics) {
      const partitions: DeleteRecordsTopicResult['partitions'] = [];
      for (const p of t.partitions) {
        const { link } = await this.client.leaderLink(t.name, p.partition);
        const { response } = await this.client.request(
          deleteRecordsApi,
          () => ({ topics: [{ name: t.name, partitions: [{ partitionIndex: p.partition, offset: p.offset }] }], timeoutMs: 30_000 }),
          { broker: { host: link.conn.host, port: link.conn.port } },
        );
        const r = response.topics[0]?.partitions[0];
        partitions.push(
          r === undefined
            ? { partitionIndex: p.partition, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR }
            : { partitionIndex: r.partitionIndex, lowWatermark: r.lowWatermark, errorCode: r.errorCode },
        );
      }
      out.push({ name: t.name, partitions });
    }
    return out;
  }

  // ------------------------------------------------------------------ topic admin, configs

  async createTopics(topics: CreatableTopic[], validateOnly: boolean): Promise<CreateTopicResult[]> {
    const { response } = await this.client.request(
      createTopicsApi,
      () => ({
        topics: topics.map((t) => ({
          name: t.name,
          numPartitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          assignments: t.assignments ?? [],
          configs: t.configs ?? [],
        })),
        timeoutMs: 30_000,
        validateOnly,
      }),
      { controller: true },
    );
    this.client.markStale(topics.map((t) => t.name));
    return response.topics.map((t) => ({
      name: t.name,
      topicId: t.topicId,
      errorCode: t.errorCode,
      errorMessage: t.errorMessage,
      numPartitions: t.numPartitions,
      replicationFactor: t.replicationFactor,
      configs: [],
    }));
  }

  async deleteTopics(names: string[]): Promise<DeleteTopicResult[]> {
    const results = await this.client.deleteTopics(names);
    return results.map((r) => ({ name: r.name, topicId: ZERO_UUID, errorCode: r.errorCode, errorMessage: r.errorMessage }));
  }

  async createPartitions(topics: CreatePartitionsTopic[], validateOnly: boolean): Promise<CreatePartitionsResult[]> {
    const { response } = await this.client.request(
      createPartitionsApi,
      () => ({ topics: topics.map((t) => ({ name: t.name, count: t.count, assignments: t.assignments ?? null })), timeoutMs: 30_000, validateOnly }),
      { controller: true },
    );
    this.client.markStale(topics.map((t) => t.name));
    return response.results.map((r) => ({ name: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage }));
  }

  async describeConfigs(resources: DescribeConfigsResource[], includeSynonyms: boolean): Promise<DescribeConfigsResult[]> {
    const { version, response } = await this.client.request(describeConfigsApi, () => ({ resources, includeSynonyms, includeDocumentation: false }));
    return response.results.map((r) => ({
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      configs: r.configs.map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: c.readOnly,
        isDefault: version === 0 ? c.isDefault : c.configSource === ConfigSource.DEFAULT_CONFIG,
        configSource: c.configSource as ConfigSource,
        isSensitive: c.isSensitive,
        synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.source as ConfigSource })),
        configType: c.configType as ConfigType,
        documentation: c.documentation,
      })),
    }));
  }

  async alterConfigs(resources: AlterConfigsResource[], validateOnly: boolean): Promise<AlterConfigsResult[]> {
    const { response } = await this.client.request(alterConfigsApi, () => ({ resources, validateOnly }), { controller: true });
    for (const r of resources) if (r.resourceType === 2) this.client.markStale([r.resourceName]);
    return response.responses.map((r) => ({
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      resourceType: r.resourceType,
      resourceName: r.resourceName,
    }));
  }

  /** IncrementalAlterConfigs at the controller; AlterConfigs with the whole dynamic config on brokers without it. */
  async incrementalAlterConfigs(resources: IncrementalAlterConfigsResource[], validateOnly: boolean): Promise<AlterConfigsResult[]> {
    const opName = (id: number): AlterConfigOpName => {
      const name = (Object.keys(AlterConfigOp) as AlterConfigOpName[]).find((k) => AlterConfigOp[k] === id);
      if (name === undefined) throw new KafkaResponseError(ErrorCode.INVALID_REQUEST, `unknown config operation ${id}`);
      return name;
    };
    const results = await this.client.incrementalAlterConfigs(
      resources.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs: r.configs.map((c) => ({ name: c.name, op: opName(c.configOperation), value: c.value })),
      })),
      { validateOnly },
    );
    for (const r of resources) if (r.resourceType === 2) this.client.markStale([r.resourceName]);
    return results.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage, resourceType: r.resourceType, resourceName: r.resourceName }));
  }

  // ------------------------------------------------------------------ groups

  groupTransport(clientId?: string): GroupTransport {
    return new WireGroupTransport(this.groups, GROUP_REQUEST_TIMEOUT_MS, clientId);
  }

  async listGroups(states?: readonly string[]): Promise<ListedGroup[]> {
    return (await this.groups.listGroups(states === undefined ? {} : { states })).map((g) => ({
      groupId: g.groupId,
      protocolType: g.protocolType,
      state: g.state ?? '',
    }));
  }

  async describeGroup(groupId: string): Promise<DescribedGroup> {
    const g = await this.groups.describeGroup(groupId);
    return {
      groupId: g.groupId,
      errorCode: g.errorCode,
      state: g.state,
      protocolType: g.protocolType,
      protocol: g.protocol,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.metadata,
        memberAssignment: m.assignment,
      })),
      coordinator: g.coordinator,
    };
  }

  async fetchOffsets(groupId: string, partitions: { topic: string; partitions: number[] }[] | null): Promise<CommittedOffset[]> {
    const refs = partitions === null ? null : partitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
    const offsets = await this.groups.fetchOffsets(groupId, refs);
    return offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata, errorCode: o.errorCode }));
  }

  commitOffsets(
    groupId: string,
    offsets: readonly OffsetToCommit[],
    member: MemberIdentity | null,
  ): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    return this.groups.commitOffsets(
      groupId,
      offsets.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        offset: o.offset,
        ...(o.metadata === undefined || o.metadata === null ? {} : { metadata: o.metadata }),
      })),
      member ?? undefined,
    );
  }

  deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    return this.groups.deleteGroups(groupIds);
  }

  deleteOffsets(
    groupId: string,
    partitions: { topic: string; partitions: number[] }[],
  ): Promise<{ errorCode: number; partitions: { topic: string; partition: number; errorCode: number }[] }> {
    return this.groups.deleteOffsets(
      groupId,
      partitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))),
    );
  }

  // ------------------------------------------------------------------ transaction admin

  /** Made on first use: most transports never send these (txn-admin-client.ts). */
  private get txnAdmin(): TxnAdminClient {
    return (this.txnAdminClient ??= new TxnAdminClient(this.client, this.groups, { retries: this.retries, retryBackoffMs: this.retryBackoffMs }));
  }

  describeTransactions(transactionalIds: string[]): Promise<DescribedTransaction[]> {
    return this.txnAdmin.describeTransactions(transactionalIds);
  }

  listTransactions(filter: ListTransactionsFilter): Promise<ListedTransactions> {
    return this.txnAdmin.listTransactions(filter);
  }

  describeProducers(topics: { name: string; partitionIndexes: number[] }[]): Promise<DescribedProducersTopic[]> {
    return this.txnAdmin.describeProducers(topics);
  }

  writeTxnMarkers(markers: TxnMarker[]): Promise<TxnMarkerResult[]> {
    return this.txnAdmin.writeTxnMarkers(markers);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
