/**
 * `connect({ brokers, clientId })`: the network client. The same Producer, Consumer and Admin
 * that `Sluice.open` hands out in process, over the Kafka wire protocol to sluice or any
 * Kafka-compatible cluster (network-transport.ts).
 *
 *   const client = await connect({ brokers: ['127.0.0.1:9092'], clientId: 'orders' });
 *   const producer = client.producer({ acks: -1 });
 *   await producer.send({ topic: 'orders', messages: [{ key: 'k', value: 'v' }] });
 *   await client.close();
 */
import { KafkaError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import type { ConnectionOptions } from '../wire/connection.js';
import { Admin } from './admin.js';
import { Consumer, type ConsumerOptions } from './consumer.js';
import { NetworkTransport, type NetworkTransportOptions } from './network-transport.js';
import { Producer, type ProducerOptions } from './producer.js';

export interface ConnectOptions {
  /** Bootstrap brokers, `host:port` each (a `PLAINTEXT://` prefix is accepted). */
  brokers: string[];
  /** client.id sent with every request; default 'sluice'. */
  clientId?: string;
  /** request.timeout.ms; default 30000. */
  requestTimeout?: number;
  /** The TCP (and TLS) connect timeout, ms; default 10000. */
  connectionTimeout?: number;
  /** Retries of retriable errors (kafkajs' names); default 5 retries from 100 ms, doubling up to 1 s. */
  retry?: { retries?: number; initialRetryTime?: number };
  /** TLS: true, or node:tls connect options (ca, cert, key, servername, …). */
  ssl?: ConnectionOptions['ssl'];
  /** SASL credentials (the handshake is not implemented yet: connecting with them fails). */
  sasl?: ConnectionOptions['sasl'];
  /** A pino logger for the consumers; default JSON lines on stderr at SLUICE_LOG_LEVEL, else 'warn'. */
  logger?: Logger;
}

/** Producers, consumers and admins sharing one set of connections to a cluster. */
export class KafkaClient {
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();
  private closing: Promise<void> | null = null;

  constructor(
    readonly transport: NetworkTransport,
    private readonly transportOptions: NetworkTransportOptions,
    private readonly logger: Logger,
  ) {}

  private ensureOpen(): void {
    if (this.closing !== null) throw new KafkaError('INVALID_REQUEST', 'the client is closed');
  }

  producer(options: ProducerOptions = {}): Producer {
    this.ensureOpen();
    // The producer's sender retries produce itself (in partition order), with the client's retry settings.
    const { retries, retryBackoffMs } = this.transportOptions;
    const retry = {
      ...(retries === undefined ? {} : { retries }),
      ...(retryBackoffMs === undefined ? {} : { initialRetryTime: retryBackoffMs }),
      ...options.retry,
    };
    const p = new Producer(this.transport, { ...options, retry }, (x) => this.producers.delete(x));
    this.producers.add(p);
    return p;
  }

  consumer(options: ConsumerOptions): Consumer {
    this.ensureOpen();
    // Its own connections (see NetworkTransport.open), closed with it.
    const transport = NetworkTransport.open(this.transportOptions);
    const c = new Consumer(transport, options, this.logger, (x) => {
      this.consumers.delete(x);
      void transport.close();
    });
    this.consumers.add(c);
    return c;
  }

  admin(): Admin {
    this.ensureOpen();
    return new Admin(this.transport);
  }

  /** Stops every consumer (commit, leave the group), refuses further sends, closes the connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.consumers].map((c) => c.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'consumer disconnect failed'))));
      await Promise.all([...this.producers].map((p) => p.disconnect()));
      await this.transport.close();
    })();
    return this.closing;
  }
}

/** Connects to the first reachable bootstrap broker (API versions negotiated) and returns the client. */
export async function connect(options: ConnectOptions): Promise<KafkaClient> {
  if (!Array.isArray(options?.brokers) || options.brokers.length === 0)
    throw new KafkaError('INVALID_CONFIG', 'connect needs bootstrap brokers: { brokers: ["host:port"] }');
  const transportOptions: NetworkTransportOptions = {
    brokers: options.brokers,
    clientId: options.clientId ?? 'sluice',
    ...(options.requestTimeout === undefined ? {} : { requestTimeoutMs: options.requestTimeout }),
    ...(options.connectionTimeout === undefined ? {} : { connectTimeoutMs: options.connectionTimeout }),
    ...(options.retry?.retries === undefined ? {} : { retries: options.retry.retries }),
    ...(options.retry?.initialRetryTime === undefined ? {} : { retryBackoffMs: options.retry.initialRetryTime }),
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
    ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
  };
  const transport = await NetworkTransport.connect(transportOptions);
  return new KafkaClient(transport, transportOptions, options.logger ?? createLogger({ level: process.env.SLUICE_LOG_LEVEL ?? 'warn' }));
}
