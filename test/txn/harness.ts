/**
 * A TransactionCoordinator on a real Broker (temp dir, no background tasks) for state-machine
 * tests on a ManualClock: `TestTxnBroker` passes the internal-topic calls to the broker and
 * records the markers and the verifier, with failures injectable; a data dir can be reopened.
 */
import { Broker } from '../../src/broker/broker.js';
import { loadBrokerConfig } from '../../src/broker/broker-config.js';
import type { InitProducerIdRequest, InitProducerIdResult } from '../../src/broker/types.js';
import { ErrorCode } from '../../src/errors.js';
import type { RecordInput } from '../../src/records/index.js';
import type { TxnBroker, TxnMarkerRequest, TxnMarkerResult, TxnPartitionVerifier } from '../../src/txn/broker-port.js';
import { DEFAULT_TRANSACTION_COORDINATOR_CONFIG, type TransactionCoordinatorConfig } from '../../src/txn/config.js';
import { TransactionCoordinator } from '../../src/txn/coordinator.js';
import { readTransactionLogRecord, type TransactionLogRecord } from '../../src/txn/transaction-log-records.js';
import { TRANSACTION_STATE_TOPIC } from '../../src/txn/transaction-state-store.js';
import { quietLogger } from '../helpers/logger.js';
import type { ManualClock } from '../helpers/manual-clock.js';

export const TEST_TXN_CONFIG: TransactionCoordinatorConfig = { ...DEFAULT_TRANSACTION_COORDINATOR_CONFIG, transactionStateLogNumPartitions: 3 };

/** The Broker's calls, with marker writes recorded (and answered by `markerAnswer`) and appends that can fail. */
export class TestTxnBroker implements TxnBroker {
  readonly markers: TxnMarkerRequest[] = [];
  verifier: TxnPartitionVerifier | null = null;
  failAppendsWith: number | null = null;
  /** The error code of each partition's marker write (NONE by default); may return a promise to hold the write. */
  markerAnswer: (m: TxnMarkerRequest, topic: string, partition: number) => number | Promise<number> = () => ErrorCode.NONE;

  constructor(readonly broker: Broker) {}

  topicId(name: string): string | undefined {
    return this.broker.topicId(name);
  }
  ensureInternalTopic(name: string, partitionCount: number, configs: Record<string, string>) {
    return this.broker.ensureInternalTopic(name, partitionCount, configs);
  }
  appendInternal(topic: string, partition: number, records: RecordInput[], nowMs?: number) {
    if (this.failAppendsWith !== null) return { errorCode: this.failAppendsWith, errorMessage: 'injected failure' };
    return this.broker.appendInternal(topic, partition, records, nowMs);
  }
  readInternal(topic: string, partition: number, offset: bigint, maxBytes: number) {
    return this.broker.readInternal(topic, partition, offset, maxBytes);
  }
  logEndOffset(topic: string, partition: number): bigint {
    return this.broker.logEndOffset(topic, partition);
  }
  hasPartition(topic: string, partition: number): boolean {
    return this.broker.hasPartition(topic, partition);
  }
  flushPartition(topic: string, partition: number): Promise<void> {
    return this.broker.flushPartition(topic, partition);
  }
  initProducerId(request: InitProducerIdRequest): Promise<InitProducerIdResult> {
    return this.broker.initProducerId(request);
  }
  async writeTxnMarkers(markers: TxnMarkerRequest[]): Promise<TxnMarkerResult[]> {
    const out: TxnMarkerResult[] = [];
    for (const m of markers) {
      this.markers.push(structuredClone(m));
      const topics = [];
      for (const t of m.topics) {
        const partitions = [];
        for (const p of t.partitionIndexes) partitions.push({ partitionIndex: p, errorCode: await this.markerAnswer(m, t.name, p) });
        topics.push({ name: t.name, partitions });
      }
      out.push({ producerId: m.producerId, topics });
    }
    return out;
  }
  setTransactionVerifier(verifier: TxnPartitionVerifier | null): void {
    this.verifier = verifier;
  }
}

export async function openBroker(dir: string, properties: Record<string, string> = {}): Promise<Broker> {
  return Broker.open(loadBrokerConfig({ dataDir: dir, properties: { listeners: 'PLAINTEXT://127.0.0.1:9999', ...properties } }), {
    logger: quietLogger(),
    backgroundTasks: false,
  });
}

/** Opens a coordinator whose groups all live in `__consumer_offsets` partition 7, and makes it the transaction coordinator. */
export async function openCoordinator(
  broker: TxnBroker,
  clock: ManualClock,
  config: Partial<TransactionCoordinatorConfig> = {},
  ready = true,
): Promise<TransactionCoordinator> {
  const c = await TransactionCoordinator.open(broker, { ...TEST_TXN_CONFIG, ...config }, quietLogger(), {
    clock,
    offsetsPartitionFor: (groupId) => (groupId === 'no-such-group' ? Promise.reject(new Error('no coordinator')) : Promise.resolve(7)),
  });
  if (ready && (await c.findCoordinator('any')) !== ErrorCode.NONE) throw new Error('transaction coordinator not available');
  return c;
}

/** Every record of `__transaction_state`, in partition then offset order. */
export function transactionLog(broker: Broker): TransactionLogRecord[] {
  const out: TransactionLogRecord[] = [];
  for (let p = 0; broker.hasPartition(TRANSACTION_STATE_TOPIC, p); p++) {
    let offset = 0n;
    while (offset < broker.logEndOffset(TRANSACTION_STATE_TOPIC, p)) {
      const chunk = broker.readInternal(TRANSACTION_STATE_TOPIC, p, offset, 1 << 20);
      for (const r of chunk.records) out.push(readTransactionLogRecord(r.key!, r.value));
      offset = chunk.nextOffset;
    }
  }
  return out;
}

/** The states written for `transactionalId`, in order (tombstones as 'tombstone'). */
export function statesWritten(broker: Broker, transactionalId: string): (number | 'tombstone')[] {
  return transactionLog(broker)
    .filter((r) => (r.type === 'value' || r.type === 'tombstone') && r.transactionalId === transactionalId)
    .map((r) => (r.type === 'value' ? r.value.transactionStatus : 'tombstone'));
}

/** A promise with its resolve function, to hold a marker write. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
