/**
 * ClusterClient: a small Kafka network client for sluice's console tools (topics, produce,
 * consume) and tests.
 *
 * Why our own client rather than a package from npm: the console tools must exercise exactly
 * our protocol codec paths (src/protocol — the schemas and codec the broker itself uses), so
 * a bug there shows up in both directions; they must also work against Apache Kafka, which
 * keeps us honest about compatibility; and we want no runtime dependency on an unmaintained
 * client (kafkajs has been unmaintained since 2023).
 *
 * What it does:
 * - Every connection starts with ApiVersions at our highest version. A broker that does not
 *   know it answers UNSUPPORTED_VERSION with a v0 body listing what it serves (KIP-511); we
 *   retry at the highest ApiVersions version both sides know (v0 if it lists none).
 * - Each request then uses the highest version in (our schema's validVersions ∩ the broker's
 *   advertised range); an API the broker does not serve at any shared version is an
 *   UnsupportedApiError naming both ranges.
 * - Metadata is cached per topic; partition requests (Produce, Fetch, ListOffsets) go to the
 *   partition leader's advertised host:port, admin requests to the controller. Connections are
 *   keyed by host:port, so a single-node broker that advertises the address we bootstrapped
 *   with is reached over that one connection.
 * - Retriable errors (LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION
 *   right after a topic is created, NOT_CONTROLLER, …) and lost connections are retried a few
 *   times with a small exponential backoff, refreshing metadata in between. Admin mutations
 *   (create/delete/alter) are not retried after a lost connection: the first attempt may have
 *   succeeded.
 * - Group requests (coordinator lookup, group admin, membership) live in group-client.ts and
 *   network-group-transport.ts, on top of `request` below.
 * - TLS and SASL options are handed to every connection (wire/connection.ts). Idempotence
 *   (producer ids, sequences) is the Producer's; this layer moves bytes.
 * - Not implemented: fetch sessions (every Fetch is a full fetch, sessionEpoch -1).
 */
import {
  ZERO_UUID,
  Reader,
  codecFor,
  apiVersionsApi,
  metadataApi,
  deleteTopicsApi,
  describeConfigsApi,
  alterConfigsApi,
  incrementalAlterConfigsApi,
  listOffsetsApi,
  fetchApi,
  type ApiSchema,
  type RequestInput,
  type ResponseOf,
} from '../protocol/index.js';
import { WireConnection, formatAddress, parseAddress, type ConnectionOptions } from '../wire/connection.js';
import { withRetries } from './retry.js';
import { ErrorCodes, KafkaConnectionError, KafkaResponseError, UnsupportedApiError, errorName, isRetriable as isRetriableCode } from './network-errors.js';
import { AlterConfigOp as AlterConfigOpId, ConfigResourceType, ConfigSource } from '../broker/config-types.js';

export interface ClusterClientOptions {
  /** Sent in every request header; default 'sluice-cli'. */
  clientId?: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Retries of a retriable failure before giving up; default 5. */
  retries?: number;
  /** First retry backoff; doubles per retry up to 1 s. Default 100 ms. */
  retryBackoffMs?: number;
  /** Upper bounds on the version used per API key (for tests and interop checks). */
  maxVersions?: { readonly [apiKey: number]: number };
  /** TLS for every connection (wire/connection.ts). */
  ssl?: ConnectionOptions['ssl'];
  /** SASL credentials for every connection (wire/connection.ts). */
  sasl?: ConnectionOptions['sasl'];
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionMetadata {
  partition: number;
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface TopicMetadata {
  name: string;
  topicId: string;
  errorCode: number;
  isInternal: boolean;
  partitions: PartitionMetadata[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
  topics: TopicMetadata[];
}

/** One resource's outcome in an admin response; `errorCode` 0 means success. */
export interface AdminResult {
  name: string;
  errorCode: number;
  errorName: string;
  errorMessage: string | null;
}

// Kafka's ConfigResource.Type, ConfigSource and AlterConfigOp ids: the broker's own tables.
export { ConfigResourceType, ConfigSource };

export interface ConfigResourceRef {
  resourceType: number;
  resourceName: string;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  /** ConfigSource id; -1 when the broker answered DescribeConfigs v0 (no sources). */
  source: number;
  isSensitive: boolean;
}

export interface DescribeConfigsResult extends ConfigResourceRef, Omit<AdminResult, 'name'> {
  configs: ConfigEntry[];
}

export type AlterConfigOp = 'SET' | 'DELETE' | 'APPEND' | 'SUBTRACT';

export interface AlterConfigsResource extends ConfigResourceRef {
  configs: { name: string; op: AlterConfigOp; value: string | null }[];
}

export type AlterConfigsResult = ConfigResourceRef & Omit<AdminResult, 'name'>;

/** ListOffsets' special timestamps. */
export const OffsetSpec = { LATEST: -1n, EARLIEST: -2n, MAX_TIMESTAMP: -3n } as const;

export interface ListOffsetsResult {
  offset: bigint;
  timestamp: bigint;
  leaderEpoch: number;
}

export interface FetchOptions {
  maxWaitMs?: number;
  minBytes?: number;
  /** Response limit across partitions (Fetch v3+). */
  maxBytes?: number;
  /** Per-partition limit; default 1 MiB (Kafka's max.partition.fetch.bytes). */
  partitionMaxBytes?: number;
  /** 0 read_uncommitted (default), 1 read_committed. */
  isolationLevel?: 0 | 1;
}

export interface FetchTarget {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface FetchResult extends FetchTarget {
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[] | null;
  /** Raw bytes as the broker sent them (record batches or legacy message sets); see fetched-records.ts. */
  records: Buffer | null;
}

/** An open connection to one broker and the API versions it advertised. */
export interface BrokerLink {
  conn: WireConnection;
  /** apiKey → [min, max] the broker advertised. */
  versions: Map<number, readonly [number, number]>;
}

const CLIENT_SOFTWARE_NAME = 'sluice';
const CLIENT_SOFTWARE_VERSION = '0.1.0';
function isRetriable(err: unknown, connectionErrors: boolean): boolean {
  if (err instanceof KafkaResponseError) return err.retriable;
  if (err instanceof KafkaConnectionError) return connectionErrors;
  return false;
}

export class ClusterClient {
  private readonly options: Required<Omit<ClusterClientOptions, 'maxVersions' | 'ssl' | 'sasl'>> & { maxVersions: { readonly [apiKey: number]: number } };
  private readonly security: Pick<ConnectionOptions, 'ssl' | 'sasl'>;
  private readonly bootstrap: { host: string; port: number }[];
  private readonly links = new Map<string, Promise<BrokerLink>>();
  /** The links of `links` that are open now, for callers that must not await (routeNow). */
  private readonly openLinks = new Map<string, BrokerLink>();
  private readonly brokers = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, TopicMetadata>();
  private readonly staleTopics = new Set<string>();
  private controllerId = -1;
  private clusterId: string | null = null;
  private closed = false;

  private constructor(bootstrap: { host: string; port: number }[], options: ClusterClientOptions) {
    this.bootstrap = bootstrap;
    this.options = {
      clientId: options.clientId ?? 'sluice-cli',
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      retries: options.retries ?? 5,
      retryBackoffMs: options.retryBackoffMs ?? 100,
      maxVersions: options.maxVersions ?? {},
    };
    this.security = { ...(options.ssl === undefined ? {} : { ssl: options.ssl }), ...(options.sasl === undefined ? {} : { sasl: options.sasl }) };
  }

  /**
   * Connects to the first reachable bootstrap broker and negotiates API versions with it.
   * Addresses are `host:port` (a `PLAINTEXT://` prefix is accepted).
   */
  static async connect(bootstrap: readonly string[], options: ClusterClientOptions = {}): Promise<ClusterClient> {
    const client = ClusterClient.create(bootstrap, options);
    await client.anyLink();
    return client;
  }

  /** A client that connects on its first request. */
  static create(bootstrap: readonly string[], options: ClusterClientOptions = {}): ClusterClient {
    const addresses = bootstrap
      .flatMap((b) => b.split(','))
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (addresses.length === 0) throw new Error('no bootstrap servers given');
    return new ClusterClient(
      addresses.map((a) => parseAddress(a)),
      options,
    );
  }

  /** Closes every connection. Requests in flight are rejected. */
  close(): void {
    this.closed = true;
    for (const link of this.links.values())
      link.then(
        (l) => l.conn.close(),
        () => undefined,
      );
    this.links.clear();
  }

  /** The version range the broker at the bootstrap (or `nodeId`) advertises for `api`, if any. */
  async brokerVersions(api: ApiSchema, nodeId?: number): Promise<readonly [number, number] | undefined> {
    const link = nodeId === undefined ? await this.anyLink() : await this.brokerLink(nodeId);
    return link.versions.get(api.apiKey);
  }

  /** The version this client would use for `api` with the bootstrap broker. */
  async negotiatedVersion(api: ApiSchema): Promise<number> {
    return this.versionFor(await this.anyLink(), api);
  }

  /**
   * Sends one `api` request to `broker` (default: any connected or bootstrap broker) at the
   * highest version both sides support, optionally within [minVersion, maxVersion], with the
   * body `build` makes for that version. No retries: for callers with their own retry rules
   * (group requests go to a coordinator that may move; see group-client.ts).
   */
  async request<A extends ApiSchema>(
    api: A,
    build: (version: number) => RequestInput<A>,
    options: {
      broker?: { host: string; port: number };
      controller?: boolean;
      minVersion?: number;
      maxVersion?: number;
      timeoutMs?: number;
      clientId?: string;
    } = {},
  ): Promise<{ version: number; response: ResponseOf<A> }> {
    const link =
      options.broker !== undefined
        ? await this.link(options.broker.host, options.broker.port)
        : options.controller === true
          ? await this.controllerLink()
          : await this.anyLink();
    const version = this.versionFor(link, api, options.maxVersion);
    if (options.minVersion !== undefined && version < options.minVersion) {
      throw new UnsupportedApiError(`${api.name} v${options.minVersion}+ is needed; the broker at ${link.conn.address} offers up to v${version}`);
    }
    const requestOptions = {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
    };
    const response = await link.conn.request(api, version, build(version), requestOptions);
    return { version, response };
  }

  /** The brokers of the last metadata response (fetched now if there was none). */
  async knownBrokers(): Promise<BrokerInfo[]> {
    if (this.brokers.size === 0) await this.metadata([]);
    return [...this.brokers.values()];
  }

  // ---- connections and versions -------------------------------------------------------

  private link(host: string, port: number): Promise<BrokerLink> {
    if (this.closed) return Promise.reject(new Error('client is closed'));
    const key = formatAddress(host, port);
    let link = this.links.get(key);
    if (link === undefined) {
      link = this.openLink(host, port);
      this.links.set(key, link);
      link.then(
        (l) => {
          this.openLinks.set(key, l);
          l.conn.onClose(() => {
            if (this.links.get(key) === link) this.links.delete(key);
            if (this.openLinks.get(key) === l) this.openLinks.delete(key);
          });
        },
        () => {
          if (this.links.get(key) === link) this.links.delete(key);
        },
      );
    }
    return link;
  }

  private async openLink(host: string, port: number): Promise<BrokerLink> {
    const conn = await WireConnection.connect(host, port, {
      clientId: this.options.clientId,
      requestTimeoutMs: this.options.requestTimeoutMs,
      connectTimeoutMs: this.options.connectTimeoutMs,
      ...this.security,
    });
    try {
      return { conn, versions: await this.negotiate(conn) };
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  /** ApiVersions with the KIP-511 fallback; see the file comment. */
  private async negotiate(conn: WireConnection): Promise<Map<number, readonly [number, number]>> {
    let version = Math.min(apiVersionsApi.validVersions[1], this.options.maxVersions[apiVersionsApi.apiKey] ?? Infinity);
    for (let attempt = 0; attempt < 3; attempt++) {
      const v = version;
      const res = await conn.request(
        apiVersionsApi,
        v,
        v >= 3 ? { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION } : {},
        { decode: (r) => decodeApiVersionsResponse(r, v) },
      );
      if (res.errorCode === ErrorCodes.UNSUPPORTED_VERSION && v > 0) {
        const theirs = res.apiKeys.find((k) => k.apiKey === apiVersionsApi.apiKey);
        const next = theirs === undefined ? 0 : Math.min(theirs.maxVersion, apiVersionsApi.validVersions[1]);
        version = next < v ? next : 0;
        continue;
      }
      if (res.errorCode !== 0) throw new KafkaResponseError(res.errorCode, `ApiVersions v${v} from ${conn.address}`);
      return new Map(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion] as const]));
    }
    throw new UnsupportedApiError(`${conn.address} refused every ApiVersions version we tried`);
  }

  /** The highest version both sides support for `api` (optionally capped), or UnsupportedApiError. */
  versionFor(link: BrokerLink, api: ApiSchema, cap = Infinity): number {
    const theirs = link.versions.get(api.apiKey);
    const ours = api.validVersions;
    if (theirs === undefined) throw new UnsupportedApiError(`the broker at ${link.conn.address} does not support ${api.name} (api key ${api.apiKey})`);
    const lo = Math.max(theirs[0], ours[0]);
    const hi = Math.min(theirs[1], ours[1], cap, this.options.maxVersions[api.apiKey] ?? Infinity);
    if (hi < lo) {
      throw new UnsupportedApiError(`${api.name}: the broker at ${link.conn.address} supports v${theirs[0]}-${theirs[1]}, this client v${ours[0]}-${ours[1]}`);
    }
    return hi;
  }

  private supports(link: BrokerLink, api: ApiSchema): boolean {
    const theirs = link.versions.get(api.apiKey);
    return theirs !== undefined && Math.max(theirs[0], api.validVersions[0]) <= Math.min(theirs[1], api.validVersions[1]);
  }

  /** An open connection to any broker: an existing one, else bootstrap, else a known broker. */
  private async anyLink(): Promise<BrokerLink> {
    for (const link of this.links.values()) {
      try {
        const l = await link;
        if (!l.conn.closed) return l;
      } catch {
        // try the next
      }
    }
    const candidates = [...this.bootstrap, ...[...this.brokers.values()].map((b) => ({ host: b.host, port: b.port }))];
    let lastError: unknown;
    for (const c of candidates) {
      try {
        return await this.link(c.host, c.port);
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError instanceof Error ? lastError : new Error('no broker reachable');
  }

  private async brokerLink(nodeId: number): Promise<BrokerLink> {
    let broker = this.brokers.get(nodeId);
    if (broker === undefined) {
      await this.metadata([]);
      broker = this.brokers.get(nodeId);
    }
    if (broker === undefined) throw new KafkaResponseError(ErrorCodes.LEADER_NOT_AVAILABLE, `broker ${nodeId} is not in the cluster metadata`);
    return this.link(broker.host, broker.port);
  }

  private async controllerLink(): Promise<BrokerLink> {
    if (this.controllerId < 0 || !this.brokers.has(this.controllerId)) await this.metadata([]);
    const controller = this.brokers.get(this.controllerId);
    return controller === undefined ? this.anyLink() : this.link(controller.host, controller.port);
  }

  /**
   * The open connection to the leader of `topic`-`partition` when the metadata and the
   * connection are both at hand, without awaiting anything; null otherwise (then `leaderLink`).
   * Lets a caller write several requests in exactly the order it was called.
   */
  routeNow(topic: string, partition: number): BrokerLink | null {
    if (this.staleTopics.has(topic)) return null;
    const p = this.topics.get(topic)?.partitions[partition];
    if (p === undefined || p.partition !== partition || p.leaderId < 0) return null;
    const leader = this.brokers.get(p.leaderId);
    if (leader === undefined) return null;
    const link = this.openLinks.get(formatAddress(leader.host, leader.port));
    return link === undefined || link.conn.closed ? null : link;
  }

  /** The partition count of `topic` in the cached metadata (0 when unknown). */
  cachedPartitionCount(topic: string): number {
    return this.topics.get(topic)?.partitions.length ?? 0;
  }

  /** Forgets the cached metadata of `topics`: the next request for them refreshes it. */
  markStale(topics: Iterable<string>): void {
    for (const t of topics) this.staleTopics.add(t);
  }

  async leaderLink(topic: string, partition: number, allowAutoTopicCreation = false): Promise<{ link: BrokerLink; topic: TopicMetadata }> {
    let t = this.topics.get(topic);
    if (t === undefined || this.staleTopics.has(topic)) {
      await this.metadata([topic], { allowAutoTopicCreation });
      t = this.topics.get(topic);
    }
    if (t === undefined) throw new KafkaResponseError(ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic} is not in the metadata response`);
    if (t.errorCode !== 0) throw new KafkaResponseError(t.errorCode, `metadata for topic ${topic}`);
    const p = t.partitions.find((x) => x.partition === partition);
    if (p === undefined) {
      throw new KafkaResponseError(
        ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION,
        `partition ${topic}-${partition} does not exist (${topic} has ${t.partitions.length} partitions)`,
      );
    }
    if (p.leaderId < 0) throw new KafkaResponseError(p.errorCode !== 0 ? p.errorCode : ErrorCodes.LEADER_NOT_AVAILABLE, `no leader for ${topic}-${partition}`);
    const leader = this.brokers.get(p.leaderId);
    if (leader === undefined)
      throw new KafkaResponseError(ErrorCodes.LEADER_NOT_AVAILABLE, `leader ${p.leaderId} of ${topic}-${partition} is not among the brokers`);
    return { link: await this.link(leader.host, leader.port), topic: t };
  }

  /** Runs `fn`, retrying retriable failures with backoff and a metadata refresh in between. */
  private retrying<T>(fn: () => Promise<T>, retryConnectionErrors: boolean, topics: readonly string[] = []): Promise<T> {
    return withRetries(fn, {
      retries: this.options.retries,
      backoffMs: this.options.retryBackoffMs,
      shouldRetry: (err) => !this.closed && isRetriable(err, retryConnectionErrors),
      beforeRetry: () => {
        for (const t of topics) this.staleTopics.add(t);
        this.controllerId = -1;
      },
    });
  }

  // ---- Metadata ------------------------------------------------------------------------

  /**
   * Cluster metadata for `topics` (null: every topic). Updates the broker and topic caches.
   * Per-topic errors are values in the result (`errorCode`).
   */
  metadata(topics: readonly string[] | null, options: { allowAutoTopicCreation?: boolean } = {}): Promise<ClusterMetadata> {
    return this.retrying(() => this.fetchMetadata(topics, options), true);
  }

  /** One Metadata request, without retries: for callers that run inside `retrying` already. */
  private async fetchMetadata(topics: readonly string[] | null, options: { allowAutoTopicCreation?: boolean }): Promise<ClusterMetadata> {
    const link = await this.anyLink();
    const v = this.versionFor(link, metadataApi);
    // v0 has no way to ask for "no topics": an empty list means all of them.
    const requested = topics === null ? (v === 0 ? [] : null) : topics.map((name) => ({ name, topicId: ZERO_UUID }));
    const body: Record<string, unknown> = { topics: requested };
    if (v >= 4) body.allowAutoTopicCreation = options.allowAutoTopicCreation ?? false;
    const res = await link.conn.request(metadataApi, v, body);
    return this.absorbMetadata(res, v === 0 && topics !== null && topics.length === 0 ? [] : null);
  }

  private absorbMetadata(res: ResponseOf<typeof metadataApi>, onlyTopics: string[] | null): ClusterMetadata {
    const brokers = res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
    this.brokers.clear();
    for (const b of brokers) this.brokers.set(b.nodeId, b);
    this.controllerId = res.controllerId;
    this.clusterId = res.clusterId;
    const topics: TopicMetadata[] = [];
    for (const t of res.topics) {
      if (t.name === null) continue;
      const topic: TopicMetadata = {
        name: t.name,
        topicId: t.topicId,
        errorCode: t.errorCode,
        isInternal: t.isInternal,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            errorCode: p.errorCode,
            leaderId: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            offlineReplicas: p.offlineReplicas,
          }))
          .sort((a, b) => a.partition - b.partition),
      };
      if (t.errorCode === 0) this.topics.set(t.name, topic);
      else this.topics.delete(t.name);
      this.staleTopics.delete(t.name);
      topics.push(topic);
    }
    const filtered = onlyTopics === null ? topics : topics.filter((t) => onlyTopics.includes(t.name));
    return { clusterId: this.clusterId, controllerId: this.controllerId, brokers, topics: filtered };
  }

  /** The cached metadata of `topic`, refreshed if unknown; throws on a topic-level error. */
  async topicMetadata(topic: string, options: { allowAutoTopicCreation?: boolean; refresh?: boolean } = {}): Promise<TopicMetadata> {
    return this.retrying(
      async () => {
        let t = this.topics.get(topic);
        if (t === undefined || options.refresh === true || this.staleTopics.has(topic)) {
          const md = await this.fetchMetadata([topic], options); // the retries are this loop's
          t = md.topics.find((x) => x.name === topic);
        }
        if (t === undefined) throw new KafkaResponseError(ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic} is not in the metadata response`);
        if (t.errorCode !== 0) throw new KafkaResponseError(t.errorCode, `topic ${topic}`);
        return t;
      },
      true,
      [topic],
    );
  }

  // ---- Admin ---------------------------------------------------------------------------

  deleteTopics(names: readonly string[], options: { timeoutMs?: number } = {}): Promise<AdminResult[]> {
    return this.retrying(async () => {
      const link = await this.controllerLink();
      const v = this.versionFor(link, deleteTopicsApi);
      const timeoutMs = options.timeoutMs ?? 30_000;
      const body = v >= 6 ? { topics: names.map((name) => ({ name, topicId: ZERO_UUID })), timeoutMs } : { topicNames: [...names], timeoutMs };
      const res = await link.conn.request(deleteTopicsApi, v, body);
      throwIfControllerMoved(
        res.responses.map((r) => r.errorCode),
        'DeleteTopics',
      );
      for (const name of names) this.topics.delete(name);
      return res.responses.map((r) => ({ name: r.name ?? r.topicId, errorCode: r.errorCode, errorName: errorName(r.errorCode), errorMessage: r.errorMessage }));
    }, false);
  }

  describeConfigs(
    resources: readonly (ConfigResourceRef & { configurationKeys?: readonly string[] | null })[],
    options: { includeSynonyms?: boolean; includeDocumentation?: boolean } = {},
  ): Promise<DescribeConfigsResult[]> {
    return this.retrying(async () => {
      const link = await this.anyLink();
      const v = this.versionFor(link, describeConfigsApi);
      const body: Record<string, unknown> = {
        resources: resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, configurationKeys: r.configurationKeys ?? null })),
      };
      if (v >= 1 && options.includeSynonyms === true) body.includeSynonyms = true;
      if (v >= 3 && options.includeDocumentation === true) body.includeDocumentation = true;
      const res = await link.conn.request(describeConfigsApi, v, body);
      return res.results.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        errorCode: r.errorCode,
        errorName: errorName(r.errorCode),
        errorMessage: r.errorMessage,
        configs: r.configs.map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          isDefault: v === 0 ? c.isDefault : c.configSource === ConfigSource.DEFAULT_CONFIG,
          source: v === 0 ? -1 : c.configSource,
          isSensitive: c.isSensitive,
        })),
      }));
    }, true);
  }

  /**
   * IncrementalAlterConfigs; against a broker without it (Kafka < 2.3), falls back to
   * AlterConfigs, which replaces a resource's whole dynamic config: the current dynamic
   * entries are read with DescribeConfigs, the operations applied to them, and the result sent.
   */
  incrementalAlterConfigs(resources: readonly AlterConfigsResource[], options: { validateOnly?: boolean } = {}): Promise<AlterConfigsResult[]> {
    return this.retrying(async () => {
      const link = await this.controllerLink();
      if (!this.supports(link, incrementalAlterConfigsApi)) return this.alterConfigsFallback(link, resources, options.validateOnly ?? false);
      const v = this.versionFor(link, incrementalAlterConfigsApi);
      const res = await link.conn.request(incrementalAlterConfigsApi, v, {
        resources: resources.map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: r.configs.map((c) => ({ name: c.name, configOperation: AlterConfigOpId[c.op], value: c.value })),
        })),
        validateOnly: options.validateOnly ?? false,
      });
      return res.responses.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        errorCode: r.errorCode,
        errorName: errorName(r.errorCode),
        errorMessage: r.errorMessage,
      }));
    }, false);
  }

  private async alterConfigsFallback(link: BrokerLink, resources: readonly AlterConfigsResource[], validateOnly: boolean): Promise<AlterConfigsResult[]> {
    const v = this.versionFor(link, alterConfigsApi);
    const current = await this.describeConfigs(resources);
    const full = resources.map((r, i) => {
      const described = current[i]!;
      if (described.errorCode !== 0) throw new KafkaResponseError(described.errorCode, `DescribeConfigs for ${r.resourceName}`, described.errorMessage);
      const dynamicSource = r.resourceType === ConfigResourceType.TOPIC ? ConfigSource.DYNAMIC_TOPIC_CONFIG : ConfigSource.DYNAMIC_BROKER_CONFIG;
      const values = new Map<string, string>();
      for (const c of described.configs) {
        const dynamic = c.source === -1 ? !c.isDefault && !c.readOnly : c.source === dynamicSource;
        if (dynamic && c.value !== null) values.set(c.name, c.value);
      }
      for (const op of r.configs) applyConfigOp(values, op);
      return { resourceType: r.resourceType, resourceName: r.resourceName, configs: [...values].map(([name, value]) => ({ name, value })) };
    });
    const res = await link.conn.request(alterConfigsApi, v, { resources: full, validateOnly });
    return res.responses.map((r) => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      errorCode: r.errorCode,
      errorName: errorName(r.errorCode),
      errorMessage: r.errorMessage,
    }));
  }

  // ---- Partition data ------------------------------------------------------------------

  /** The offset for `timestamp` (OffsetSpec.LATEST / EARLIEST / a time in ms) of one partition. */
  listOffsets(topic: string, partition: number, timestamp: bigint | number, options: { isolationLevel?: 0 | 1 } = {}): Promise<ListOffsetsResult> {
    return this.retrying(
      async () => {
        const { link } = await this.leaderLink(topic, partition);
        const ts = BigInt(timestamp);
        const v = this.versionFor(link, listOffsetsApi);
        const body: Record<string, unknown> = {
          replicaId: -1,
          topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp: ts }] }],
        };
        if (v >= 2) body.isolationLevel = options.isolationLevel ?? 0;
        const res = await link.conn.request(listOffsetsApi, v, body);
        const p = res.topics[0]?.partitions[0];
        if (p === undefined) throw new Error(`ListOffsets response from ${link.conn.address} has no entry for ${topic}-${partition}`);
        if (p.errorCode !== 0) throw new KafkaResponseError(p.errorCode, `ListOffsets ${topic}-${partition}`);
        if (v === 0) return { offset: p.oldStyleOffsets[0] ?? -1n, timestamp: -1n, leaderEpoch: -1 };
        return { offset: p.offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch };
      },
      true,
      [topic],
    );
  }

  /**
   * Fetches several partitions: one Fetch per leader, partitions in the order given (callers
   * rotate the order for fairness). Partition errors come back as values (`errorCode`);
   * retriable ones first refresh metadata and retry, as long as every partition failed.
   */
  fetchMany(targets: readonly FetchTarget[], options: FetchOptions = {}): Promise<FetchResult[]> {
    const topicNames = [...new Set(targets.map((t) => t.topic))];
    return this.retrying(
      async () => {
        const byLeader = new Map<BrokerLink, { target: FetchTarget; topic: TopicMetadata }[]>();
        for (const target of targets) {
          const { link, topic } = await this.leaderLink(target.topic, target.partition);
          let group = byLeader.get(link);
          if (group === undefined) byLeader.set(link, (group = []));
          group.push({ target, topic });
        }
        const results = await Promise.all([...byLeader].map(([link, group]) => this.fetchFrom(link, group, options)));
        const flat = results.flat();
        const failed = flat.filter((r) => r.errorCode !== 0);
        if (failed.length === flat.length && failed.length > 0 && failed.every((r) => isRetriableCode(r.errorCode))) {
          const first = failed[0]!;
          throw new KafkaResponseError(first.errorCode, `Fetch ${first.topic}-${first.partition} at offset ${first.offset}`);
        }
        const order = new Map(flat.map((r) => [`${r.topic}\u0000${r.partition}`, r]));
        return targets.map((t) => order.get(`${t.topic}\u0000${t.partition}`)!);
      },
      true,
      topicNames,
    );
  }

  private async fetchFrom(link: BrokerLink, group: { target: FetchTarget; topic: TopicMetadata }[], options: FetchOptions): Promise<FetchResult[]> {
    // Fetch v13+ names topics by id; without ids (an old broker's metadata) stay at v12.
    const haveIds = group.every((g) => g.topic.topicId !== ZERO_UUID);
    const v = this.versionFor(link, fetchApi, haveIds ? Infinity : 12);
    const maxWaitMs = options.maxWaitMs ?? 500;
    const topics: { name: string; topicId: string; partitions: Record<string, unknown>[] }[] = [];
    for (const { target, topic } of group) {
      let entry = topics[topics.length - 1];
      if (entry === undefined || entry.name !== target.topic) {
        entry = { name: target.topic, topicId: topic.topicId, partitions: [] };
        topics.push(entry);
      }
      entry.partitions.push({
        partition: target.partition,
        fetchOffset: target.offset,
        partitionMaxBytes: options.partitionMaxBytes ?? 1024 * 1024,
      });
    }
    const body: Record<string, unknown> = {
      maxWaitMs,
      minBytes: options.minBytes ?? 1,
      topics: topics.map((t) => (v >= 13 ? { topicId: t.topicId, partitions: t.partitions } : { topic: t.name, partitions: t.partitions })),
    };
    if (v >= 3) body.maxBytes = options.maxBytes ?? 50 * 1024 * 1024;
    if (v >= 4) body.isolationLevel = options.isolationLevel ?? 0;
    const res = await link.conn.request(fetchApi, v, body, { timeoutMs: this.options.requestTimeoutMs + maxWaitMs });
    if (res.errorCode !== 0) throw new KafkaResponseError(res.errorCode, `Fetch from ${link.conn.address}`);
    const nameById = new Map(topics.map((t) => [t.topicId, t.name]));
    const out: FetchResult[] = [];
    for (const t of res.responses) {
      const name = v >= 13 ? nameById.get(t.topicId) : t.topic;
      if (name === undefined) continue;
      for (const p of t.partitions) {
        const target = group.find((g) => g.target.topic === name && g.target.partition === p.partitionIndex)?.target;
        if (target === undefined) continue;
        out.push({
          topic: name,
          partition: p.partitionIndex,
          offset: target.offset,
          errorCode: p.errorCode,
          highWatermark: p.highWatermark,
          lastStableOffset: p.lastStableOffset,
          logStartOffset: p.logStartOffset,
          abortedTransactions: p.abortedTransactions,
          records: p.records,
        });
      }
    }
    for (const { target } of group) {
      if (!out.some((r) => r.topic === target.topic && r.partition === target.partition)) {
        throw new Error(`Fetch response from ${link.conn.address} has no entry for ${target.topic}-${target.partition}`);
      }
    }
    return out;
  }
}

/** An ApiVersions body: at `version`, or v0 when the broker refused our version (KIP-511). */
function decodeApiVersionsResponse(r: Reader, version: number): ResponseOf<typeof apiVersionsApi> {
  // errorCode is the first field of every version, so it can be read before choosing.
  const errorCode = r.remaining() >= 2 ? r.buf.readInt16BE(r.pos) : 0;
  if (errorCode === ErrorCodes.UNSUPPORTED_VERSION && version > 0) {
    const start = r.pos;
    try {
      return codecFor(apiVersionsApi, 0, 'response').decode(r) as ResponseOf<typeof apiVersionsApi>;
    } catch {
      r.pos = start;
    }
  }
  return codecFor(apiVersionsApi, version, 'response').decode(r) as ResponseOf<typeof apiVersionsApi>;
}

/** NOT_CONTROLLER on any resource means the request went to the wrong broker: retry it whole. */
function throwIfControllerMoved(errorCodes: readonly number[], api: string): void {
  if (errorCodes.includes(ErrorCodes.NOT_CONTROLLER))
    throw new KafkaResponseError(ErrorCodes.NOT_CONTROLLER, `${api} reached a broker that is not the controller`);
}

/** Applies one incremental config operation to a resource's full dynamic config. */
export function applyConfigOp(values: Map<string, string>, op: { name: string; op: AlterConfigOp; value: string | null }): void {
  const list = (s: string | undefined): string[] => (s === undefined || s === '' ? [] : s.split(',').map((x) => x.trim()));
  switch (op.op) {
    case 'SET':
      if (op.value === null) values.delete(op.name);
      else values.set(op.name, op.value);
      break;
    case 'DELETE':
      values.delete(op.name);
      break;
    case 'APPEND': {
      const items = list(values.get(op.name));
      for (const item of list(op.value ?? '')) if (!items.includes(item)) items.push(item);
      values.set(op.name, items.join(','));
      break;
    }
    case 'SUBTRACT': {
      const remove = new Set(list(op.value ?? ''));
      values.set(
        op.name,
        list(values.get(op.name))
          .filter((x) => !remove.has(x))
          .join(','),
      );
      break;
    }
  }
}
