/**
 * Sluice: a Kafka broker inside the application's process, with kafkajs-shaped producer,
 * consumer and admin clients that call it directly (src/client/), and `listen()` to serve the
 * same broker over the Kafka wire protocol so kcat, kafkajs or Java clients see the same
 * topics, records and consumer groups.
 *
 *   const sluice = await Sluice.open({ dir: './data', 'num.partitions': 6 });
 *   await sluice.producer().send({ topic: 'orders', messages: [{ key: 'k', value: 'v' }] });
 *   await sluice.listen({ listeners: 'PLAINTEXT://127.0.0.1:9092' });
 *   await sluice.close();
 *
 * Settings are Kafka's broker settings by their Kafka names (server.properties), next to
 * `dir`. Topic-level names (`retention.ms`, `segment.bytes`, …) are accepted too and set the
 * broker default every topic falls back to (`log.retention.ms`, `log.segment.bytes`, …).
 *
 * Lifecycle: `close()` stops every consumer (auto-commit, leave the group), refuses further
 * sends, stops the listeners (answering requests in flight), stops the transaction and group
 * coordinators and closes the broker (flush, producer-state snapshots, clean-shutdown marker). One data
 * directory belongs to one process at a time.
 */
import { Broker } from './broker/broker.js';
import { BROKER_CONFIG_DEFS, loadBrokerConfig, type BrokerConfig } from './broker/broker-config.js';
import { TOPIC_CONFIG_DEFS } from './broker/topic-config.js';
import { Admin } from './client/admin.js';
import { Consumer, type ConsumerOptions } from './client/consumer.js';
import { InProcessTransport } from './client/in-process-transport.js';
import { Producer, type ProducerOptions } from './client/producer.js';
import { KafkaError } from './errors.js';
import { groupCoordinatorConfig } from './group/config.js';
import { GroupCoordinator } from './group/coordinator.js';
import { createLogger, type Logger } from './logger.js';
import { tuneAllocator } from './native.js';
import { serveBroker, type ServedBroker } from './server/broker-server.js';
import { transactionCoordinatorConfig } from './txn/config.js';
import { groupOffsetsPartitionFor, TransactionCoordinator } from './txn/coordinator.js';
import { formatAddress } from './wire/connection.js';

export type SettingValue = string | number | boolean;

export interface SluiceOptions {
  /** The data directory (created if missing). */
  dir: string;
  /** A pino logger; default JSON lines on stderr at SLUICE_LOG_LEVEL, else 'warn'. */
  logger?: Logger;
  /** Retention, checkpoints and producer-state snapshots on timers; default true. */
  backgroundTasks?: boolean;
  /**
   * Apply the read-path malloc tuning to this whole process (glibc; docs/memory.md); default
   * false: importing or opening sluice leaves the host's allocator as it was.
   */
  tuneAllocator?: boolean;
  /** Kafka broker or topic settings by name, e.g. 'num.partitions': 6, 'retention.ms': 86400000. */
  [setting: `${string}.${string}`]: SettingValue | undefined;
}

export interface ListenOptions {
  /** Kafka's listeners syntax, e.g. 'PLAINTEXT://127.0.0.1:9092' (port 0: any free port). */
  listeners?: string;
  /** What Metadata tells clients to connect to, when different from `listeners`. */
  advertisedListeners?: string;
}

export interface ListenResult {
  /** `NAME://host:port` of each bound listener, with the port actually bound. */
  addresses: string[];
  /** host:port of each listener, for a client's bootstrap list. */
  bootstrap: string[];
}

/** Broker settings from `SluiceOptions`: topic-level names become their broker synonyms. */
export function brokerProperties(options: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(options)) {
    if (name === 'dir' || name === 'logger' || name === 'backgroundTasks' || name === 'tuneAllocator' || value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new KafkaError('INVALID_CONFIG', `setting ${name} must be a string, number or boolean`);
    }
    let brokerName = name;
    if (BROKER_CONFIG_DEFS[name] === undefined) {
      const topicDef = TOPIC_CONFIG_DEFS.get(name);
      const synonym = topicDef?.synonyms.find((s) => s.scale === undefined);
      if (synonym !== undefined) brokerName = synonym.name;
    }
    out.set(brokerName, String(value));
  }
  return out;
}

export class Sluice {
  readonly broker: Broker;
  readonly groups: GroupCoordinator;
  /** Transactions: InitProducerId with a transactional id, AddPartitionsToTxn, EndTxn, … */
  readonly txns: TransactionCoordinator;
  /** The clients' transport: direct calls into `broker` and `groups`. */
  readonly transport: InProcessTransport;
  private readonly logger: Logger;
  private readonly properties: Map<string, string>;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();
  private served: ServedBroker | null = null;
  private closing: Promise<void> | null = null;

  private constructor(broker: Broker, groups: GroupCoordinator, txns: TransactionCoordinator, logger: Logger, properties: Map<string, string>) {
    this.broker = broker;
    this.groups = groups;
    this.txns = txns;
    this.transport = new InProcessTransport(broker, groups, txns);
    this.logger = logger;
    this.properties = properties;
  }

  /** Opens (or creates) the data directory, recovering it after an unclean stop, and loads the consumer groups. */
  static async open(options: SluiceOptions): Promise<Sluice> {
    if (typeof options?.dir !== 'string' || options.dir.length === 0) throw new KafkaError('INVALID_CONFIG', 'Sluice.open needs a data directory: { dir }');
    const properties = brokerProperties(options as unknown as Record<string, unknown>);
    if (options.tuneAllocator === true) tuneAllocator();
    const config: BrokerConfig = loadBrokerConfig({ dataDir: options.dir, properties });
    const logger = options.logger ?? createLogger({ level: process.env.SLUICE_LOG_LEVEL ?? 'warn' });
    const broker = await Broker.open(config, { logger, backgroundTasks: options.backgroundTasks ?? true });
    let groups: GroupCoordinator | undefined;
    let txns: TransactionCoordinator;
    try {
      groups = await GroupCoordinator.open(broker, groupCoordinatorConfig(config), logger);
      // After the groups: completing transactions prepared before a restart writes markers
      // into __consumer_offsets, which the group coordinator follows.
      txns = await TransactionCoordinator.open(broker, transactionCoordinatorConfig(config), logger, { offsetsPartitionFor: groupOffsetsPartitionFor(groups) });
      // KIP-890 part 1: TxnOffsetCommit checks AddOffsetsToTxn was done (Kafka's verification).
      groups.setTransactionVerifier(txns);
    } catch (err) {
      groups?.shutdown();
      await broker.close().catch(() => undefined);
      throw err;
    }
    return new Sluice(broker, groups, txns, logger, properties);
  }

  private ensureOpen(): void {
    if (this.closing !== null) throw new KafkaError('INVALID_REQUEST', 'sluice is closed');
  }

  admin(): Admin {
    this.ensureOpen();
    return new Admin(this.transport);
  }

  producer(options: ProducerOptions = {}): Producer {
    this.ensureOpen();
    const p = new Producer(this.transport, options, (x) => this.producers.delete(x));
    this.producers.add(p);
    return p;
  }

  consumer(options: ConsumerOptions): Consumer {
    this.ensureOpen();
    const c = new Consumer(this.transport, options, this.logger, (x) => this.consumers.delete(x));
    this.consumers.add(c);
    return c;
  }

  /**
   * Serves this broker over the Kafka wire protocol (PLAINTEXT). Clients over the wire and the
   * in-process clients share topics, records and groups. Once per Sluice.
   */
  async listen(options: ListenOptions = {}): Promise<ListenResult> {
    this.ensureOpen();
    if (this.served !== null) throw new KafkaError('INVALID_REQUEST', `already listening on ${this.served.addresses.join(', ')}`);
    const props = new Map(this.properties);
    if (options.listeners !== undefined) props.set('listeners', options.listeners);
    if (options.advertisedListeners !== undefined) props.set('advertised.listeners', options.advertisedListeners);
    const resolved = loadBrokerConfig({ dataDir: this.broker.dataDir, properties: props });
    this.broker.setListeners(resolved.listeners, resolved.advertisedListeners);
    this.served = await serveBroker(this.broker, this.groups, this.txns, this.logger);
    return {
      addresses: [...this.served.addresses],
      bootstrap: this.broker.advertisedListeners.map((l) => formatAddress(l.host, l.port)),
    };
  }

  /** Stops consumers, producers and listeners, then closes the broker. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.consumers].map((c) => c.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'consumer disconnect failed'))));
      await Promise.all([...this.producers].map((p) => p.disconnect()));
      this.txns.shutdown();
      this.groups.shutdown();
      try {
        if (this.served !== null) await this.served.close();
      } finally {
        await this.broker.close();
      }
    })();
    return this.closing;
  }
}
