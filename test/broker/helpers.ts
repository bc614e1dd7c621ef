/**
 * Helpers for the broker tests: brokers on temp dirs with a silent logger and no timers,
 * record batches, and small accessors for results.
 */
import { Broker } from '../../src/broker/broker.js';
import { loadBrokerConfig, type BrokerConfigInput } from '../../src/broker/broker-config.js';
import type { FetchRequest, FetchPartitionResult, ProducePartitionResult } from '../../src/broker/types.js';
import { decodeRecordBatches, encodeRecordBatch, type EncodeRecordBatchOptions, type Record as LogRecord } from '../../src/records/index.js';
import { afterEach, beforeEach } from 'vitest';
import { quietLogger } from '../helpers/logger.js';
import { removeDir, tempDir } from '../helpers/storage.js';

export async function openBroker(dataDir: string, properties: BrokerConfigInput = {}): Promise<Broker> {
  return Broker.open(loadBrokerConfig({ dataDir, properties }), { logger: quietLogger(), backgroundTasks: false });
}

/**
 * Brokers opened by a test on a fresh temp dir (`dir`), closed and the dir removed after each
 * test: `const brokers = brokersPerTest('name')` at the top of a file, then `brokers.open(props)`.
 */
export function brokersPerTest(name: string): { readonly dir: string; open(properties?: BrokerConfigInput): Promise<Broker>; forget(): void } {
  let dir = '';
  const opened: Broker[] = [];
  beforeEach(() => {
    dir = tempDir(name);
  });
  afterEach(async () => {
    for (const b of opened.splice(0)) await b.close().catch(() => undefined);
    removeDir(dir);
  });
  return {
    get dir() {
      return dir;
    },
    async open(properties = {}) {
      const b = await openBroker(dir, properties);
      opened.push(b);
      return b;
    },
    /** The test closed its brokers itself: nothing to close after it. */
    forget() {
      opened.length = 0;
    },
  };
}

/** One record batch of `n` records with values `${prefix}-${i}`. */
export function batch(n: number, prefix = 'v', options: EncodeRecordBatchOptions & { timestamp?: number } = {}): Buffer {
  const ts = options.timestamp ?? Date.now();
  return encodeRecordBatch(
    Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${prefix}-${i}`, timestamp: ts + i })),
    options,
  );
}

export async function produceOne(broker: Broker, topic: string, partition: number, records: Buffer | null, acks = -1): Promise<ProducePartitionResult> {
  const [t] = await broker.produce(acks, 30_000, [{ name: topic, partitions: [{ index: partition, records }] }]);
  return t!.partitions[0]!;
}

export function fetchRequest(
  topic: string,
  partition: number,
  fetchOffset: bigint,
  overrides: Partial<FetchRequest> & { partitionMaxBytes?: number } = {},
): FetchRequest {
  return {
    maxWaitMs: overrides.maxWaitMs ?? 0,
    minBytes: overrides.minBytes ?? 0,
    maxBytes: overrides.maxBytes ?? 50 * 1024 * 1024,
    isolationLevel: overrides.isolationLevel ?? 0,
    topics: overrides.topics ?? [
      { name: topic, partitions: [{ partition, fetchOffset, partitionMaxBytes: overrides.partitionMaxBytes ?? 1024 * 1024, currentLeaderEpoch: -1 }] },
    ],
  };
}

export async function fetchOne(
  broker: Broker,
  topic: string,
  partition: number,
  fetchOffset: bigint,
  overrides: Parameters<typeof fetchRequest>[3] = {},
): Promise<FetchPartitionResult> {
  const result = await broker.fetch(fetchRequest(topic, partition, fetchOffset, overrides));
  return result.topics[0]!.partitions[0]!;
}

export function recordsOf(bytes: Buffer): LogRecord[] {
  return decodeRecordBatches(bytes).flatMap((b) => b.records);
}

export function valuesOf(bytes: Buffer): string[] {
  return recordsOf(bytes).map((r) => r.value!.toString());
}
