/**
 * The daemon's assembly: a Broker on its data directory, a Dispatcher with every handler, and a
 * KafkaServer listening on every configured listener.
 *
 * Start: open the broker (recovering the logs after an unclean stop) → load consumer groups and
 * committed offsets from __consumer_offsets → load transactional ids from __transaction_state
 * and complete the transactions prepared before the stop → bind each listener → for a listener configured
 * with port 0, tell the broker the bound port so Metadata and DescribeCluster advertise the
 * real one.
 *
 * Close (graceful, SIGTERM): parked long-poll fetches answer at once with what they have, and
 * the transaction coordinator stops its timers and marker retries, the group coordinator answers
 * parked JoinGroup / SyncGroup requests (NOT_COORDINATOR) and stops its timers → the server stops accepting and reading, answers every request in flight
 * (bounded by SHUTDOWN_DRAIN_TIMEOUT_MS) and closes its sockets → the broker flushes,
 * snapshots producer state and writes its clean-shutdown marker.
 */
import { setMaxListeners } from 'node:events';
import { Broker } from '../broker/broker.js';
import { loadBrokerConfig, type BrokerConfig, type Listener, type LoadBrokerConfigOptions } from '../broker/broker-config.js';
import { MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, MAX_PENDING_RESPONSE_BYTES_PER_CONNECTION, SHUTDOWN_DRAIN_TIMEOUT_MS } from '../limits.js';
import { KafkaError } from '../errors.js';
import { groupCoordinatorConfig } from '../group/config.js';
import { GroupCoordinator } from '../group/coordinator.js';
import { getDefaultLogger, type Logger } from '../logger.js';
import { transactionCoordinatorConfig } from '../txn/config.js';
import { groupOffsetsPartitionFor, TransactionCoordinator } from '../txn/coordinator.js';
import type { ConnectionLimits } from './connection.js';
import { Dispatcher } from './dispatcher.js';
import { brokerHandlers } from './handlers/index.js';
import { formatListener } from './listeners.js';
import { KafkaServer, type BoundListener } from './server.js';

export interface BrokerServerOptions {
  logger?: Logger;
  /** Retention, checkpoints and producer snapshots on timers (default true). */
  backgroundTasks?: boolean;
}

export interface BrokerServer {
  readonly broker: Broker;
  readonly groups: GroupCoordinator;
  readonly txns: TransactionCoordinator;
  readonly server: KafkaServer;
  readonly dispatcher: Dispatcher;
  /** Every bound listener, with the port actually bound. */
  readonly listeners: readonly BoundListener[];
  /** `NAME://host:port` of each bound listener. */
  readonly addresses: readonly string[];
  /** Graceful: drains the server, then closes the broker. Idempotent. */
  close(): Promise<void>;
}

/** The connection limits of a broker configuration. */
export function connectionLimits(config: BrokerConfig): ConnectionLimits {
  return {
    maxRequestBytes: config.socketRequestMaxBytes,
    // Kafka: -1 = never; 0 would close at once, which no one means.
    maxIdleMs: config.connectionsMaxIdleMs > 0 ? config.connectionsMaxIdleMs : 0,
    maxInFlightRequests: MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
    maxPendingResponseBytes: MAX_PENDING_RESPONSE_BYTES_PER_CONNECTION,
    queuedMaxRequestBytes: config.queuedMaxRequestBytes,
    queuedMaxResponseBytes: config.queuedMaxResponseBytes,
    minRequestBytesPerSecond: config.socketRequestMinBytesPerSecond,
  };
}

export async function startBrokerServer(config: BrokerConfig | LoadBrokerConfigOptions = {}, options: BrokerServerOptions = {}): Promise<BrokerServer> {
  const resolved = 'nodeId' in config ? config : loadBrokerConfig(config);
  checkListeners(resolved.listeners);
  const logger = options.logger ?? getDefaultLogger();
  const broker = await Broker.open(resolved, { logger, backgroundTasks: options.backgroundTasks ?? true });
  let groups: GroupCoordinator | undefined;
  let txns: TransactionCoordinator;
  try {
    groups = await GroupCoordinator.open(broker, groupCoordinatorConfig(resolved), logger);
    txns = await TransactionCoordinator.open(broker, transactionCoordinatorConfig(resolved), logger, { offsetsPartitionFor: groupOffsetsPartitionFor(groups) });
    // KIP-890 part 1: TxnOffsetCommit checks AddOffsetsToTxn was done (Kafka's verification).
    groups.setTransactionVerifier(txns);
  } catch (err) {
    groups?.shutdown();
    await broker.close().catch(() => undefined);
    throw err;
  }
  let served: ServedBroker;
  try {
    served = await serveBroker(broker, groups, txns, logger);
  } catch (err) {
    txns.shutdown();
    groups.shutdown();
    await broker.close().catch(() => undefined);
    throw err;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      txns.shutdown();
      groups.shutdown();
      try {
        await served.close();
      } finally {
        await broker.close();
      }
    })();
    return closing;
  };
  return { broker, groups, txns, server: served.server, dispatcher: served.dispatcher, listeners: served.listeners, addresses: served.addresses, close };
}

function checkListeners(listeners: readonly Listener[]): void {
  for (const l of listeners) {
    if (l.securityProtocol !== 'PLAINTEXT') {
      throw new KafkaError('INVALID_CONFIG', `listener ${l.name} uses ${l.securityProtocol}; only PLAINTEXT listeners are supported`);
    }
  }
}

/** A broker and coordinator that are already open, served on the broker's listeners. */
export interface ServedBroker {
  readonly server: KafkaServer;
  readonly dispatcher: Dispatcher;
  readonly listeners: readonly BoundListener[];
  readonly addresses: readonly string[];
  /**
   * Graceful stop of the network side only: parked fetches answer at once, requests in flight
   * are answered, sockets close. The broker and the coordinator stay open (their owner closes
   * them). Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Binds every listener of `broker.listeners` and serves the Kafka protocol on them from
 * `broker`, `groups` and `txns`, which the caller opened and keeps owning: the daemon above, and the
 * embedded broker's `listen()`, whose in-process clients keep working on the same objects.
 */
export async function serveBroker(broker: Broker, groups: GroupCoordinator, txns: TransactionCoordinator, logger: Logger): Promise<ServedBroker> {
  checkListeners(broker.listeners);
  const shutdown = new AbortController();
  // Every parked fetch listens on it (bounded by MAX_FETCH_WAITERS).
  setMaxListeners(0, shutdown.signal);
  let dispatcher: Dispatcher | undefined;
  const handlers = brokerHandlers({ broker, groups, txns, shutdown: shutdown.signal }, () => dispatcher!.advertised());
  dispatcher = new Dispatcher(handlers, logger);
  const server = new KafkaServer(dispatcher, connectionLimits(broker.config), logger);

  let listeners: BoundListener[];
  try {
    listeners = await server.listen(broker.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port })));
  } catch (err) {
    await server.close(0).catch(() => undefined);
    throw err;
  }
  for (const l of listeners) {
    if (l.port === 0) broker.updateListenerPort(l.name, l.boundPort);
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shutdown.abort(new Error('server shutting down'));
      await server.close(SHUTDOWN_DRAIN_TIMEOUT_MS);
    })();
    return closing;
  };
  return { server, dispatcher, listeners, addresses: listeners.map((l) => formatListener({ ...l, port: l.boundPort })), close };
}
