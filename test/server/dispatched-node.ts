/**
 * A node as the handler tests drive it: a Broker on a temp dir with its group and transaction
 * coordinators, behind the real Dispatcher and every handler — the daemon's wiring, without
 * sockets.
 */
import { Broker } from '../../src/broker/broker.js';
import { loadBrokerConfig } from '../../src/broker/broker-config.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, type GroupCoordinatorConfig } from '../../src/group/config.js';
import { GroupCoordinator } from '../../src/group/coordinator.js';
import { Dispatcher } from '../../src/server/dispatcher.js';
import { brokerHandlers } from '../../src/server/handlers/index.js';
import { DEFAULT_TRANSACTION_COORDINATOR_CONFIG } from '../../src/txn/config.js';
import { groupOffsetsPartitionFor, TransactionCoordinator } from '../../src/txn/coordinator.js';
import { quietLogger } from '../helpers/logger.js';
import { removeDir, tempDir } from '../helpers/storage.js';

export interface DispatchedNode {
  dir: string;
  broker: Broker;
  groups: GroupCoordinator;
  txns: TransactionCoordinator;
  dispatcher: Dispatcher;
  /** Stops the coordinators, closes the broker and removes the directory. */
  close(): Promise<void>;
}

export interface DispatchedNodeOptions {
  groups?: Partial<GroupCoordinatorConfig>;
  /** Opens the transaction coordinator (default: Kafka's defaults on this broker). */
  openTxns?: (broker: Broker, groups: GroupCoordinator) => Promise<TransactionCoordinator>;
}

/** Opens a node whose advertised listener is PLAINTEXT://127.0.0.1:9999 (nothing listens there). */
export async function openDispatchedNode(name: string, options: DispatchedNodeOptions = {}): Promise<DispatchedNode> {
  const dir = tempDir(name);
  const broker = await Broker.open(loadBrokerConfig({ dataDir: dir, properties: { listeners: 'PLAINTEXT://127.0.0.1:9999' } }), {
    logger: quietLogger(),
    backgroundTasks: false,
  });
  const groups = await GroupCoordinator.open(broker, { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...options.groups }, quietLogger());
  const txns = options.openTxns
    ? await options.openTxns(broker, groups)
    : await TransactionCoordinator.open(broker, DEFAULT_TRANSACTION_COORDINATOR_CONFIG, quietLogger(), {
        offsetsPartitionFor: groupOffsetsPartitionFor(groups),
      });
  const shutdown = new AbortController();
  const dispatcher: Dispatcher = new Dispatcher(
    brokerHandlers({ broker, groups, txns, shutdown: shutdown.signal }, () => dispatcher.advertised()),
    quietLogger(),
  );
  return {
    dir,
    broker,
    groups,
    txns,
    dispatcher,
    async close() {
      shutdown.abort();
      txns.shutdown();
      groups.shutdown();
      await broker.close();
      removeDir(dir);
    },
  };
}
