/**
 * An in-memory CoordinatorStorage with the transaction surface of the Broker contract
 * (TXN_CONTRACTS.md: appendInternal with a producer, readInternalBatches, onTxnMarkerWritten):
 * each partition is a list of batches; `writeMarker` appends a COMMIT/ABORT control batch and
 * tells the listeners, as Broker.writeTxnMarkers does. Reads return at most three batches per
 * call so that replay pages through the log. Survives coordinator restarts (reopen on it).
 */
import { ErrorCode } from '../../src/errors.js';
import type { CoordinatorStorage, InternalBatch, TxnMarkerEvent, TxnProducer } from '../../src/group/offsets-topic-store.js';
import { ControlRecordType, encodeControlRecordKey, encodeEndTxnMarkerValue } from '../../src/records/control-record.js';
import type { Bytes, RecordInput } from '../../src/records/index.js';

const BATCHES_PER_READ = 3;

function bytes(b: Bytes | undefined): Buffer | null {
  if (b === undefined || b === null) return null;
  return typeof b === 'string' ? Buffer.from(b) : Buffer.from(b);
}

export class MemoryStorage implements CoordinatorStorage {
  failAppendsWith: number | null = null;
  private readonly partitions = new Map<string, number>();
  private readonly logs = new Map<string, InternalBatch[]>();
  private readonly markerListeners: ((e: TxnMarkerEvent) => void)[] = [];
  private readonly deleteListeners: ((topic: string) => void)[] = [];

  constructor(topics: { name: string; numPartitions: number }[]) {
    for (const t of topics) this.partitions.set(t.name, t.numPartitions);
  }

  topicId(name: string): string | undefined {
    return this.partitions.has(name) ? `id-${name}` : undefined;
  }

  async ensureInternalTopic(name: string, partitionCount: number): Promise<{ topicId: string; partitionCount: number }> {
    if (!this.partitions.has(name)) this.partitions.set(name, partitionCount);
    return { topicId: `id-${name}`, partitionCount: this.partitions.get(name)! };
  }

  private log(topic: string, partition: number): InternalBatch[] {
    const key = `${topic}-${partition}`;
    let log = this.logs.get(key);
    if (log === undefined) this.logs.set(key, (log = []));
    return log;
  }

  appendInternal(topic: string, partition: number, records: RecordInput[], nowMs = 0, txn?: TxnProducer) {
    if (this.failAppendsWith !== null) return { errorCode: this.failAppendsWith, errorMessage: 'injected failure', baseOffset: -1n };
    if (!this.hasPartition(topic, partition)) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'unknown', baseOffset: -1n };
    const baseOffset = this.logEndOffset(topic, partition);
    this.log(topic, partition).push({
      baseOffset,
      lastOffset: baseOffset + BigInt(records.length - 1),
      producerId: txn?.producerId ?? -1n,
      producerEpoch: txn?.producerEpoch ?? -1,
      isTransactional: txn !== undefined,
      isControl: false,
      records: records.map((r, i) => ({
        offset: baseOffset + BigInt(i),
        timestamp: Number(r.timestamp ?? nowMs),
        key: bytes(r.key),
        value: bytes(r.value),
        headers: [],
      })),
    });
    return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset };
  }

  /** Appends a transaction marker of `producerId` to a partition and tells the listeners. */
  writeMarker(topic: string, partition: number, producerId: bigint, producerEpoch: number, committed: boolean): void {
    const key = encodeControlRecordKey(committed ? ControlRecordType.Commit : ControlRecordType.Abort);
    const offset = this.appendControl(topic, partition, producerId, producerEpoch, key);
    for (const l of this.markerListeners) l({ topic, partition, producerId, producerEpoch, committed, offset });
  }

  /** Appends a control batch whose one record has `key` (no listener is told); its offset. */
  appendControl(topic: string, partition: number, producerId: bigint, producerEpoch: number, key: Buffer | null): bigint {
    const offset = this.logEndOffset(topic, partition);
    this.log(topic, partition).push({
      baseOffset: offset,
      lastOffset: offset,
      producerId,
      producerEpoch,
      isTransactional: true,
      isControl: true,
      records: [{ offset, timestamp: 0, key, value: encodeEndTxnMarkerValue(0), headers: [] }],
    });
    return offset;
  }

  readInternalBatches(topic: string, partition: number, offset: bigint): { batches: InternalBatch[]; nextOffset: bigint } {
    const batches = this.log(topic, partition)
      .filter((b) => b.lastOffset >= offset)
      .slice(0, BATCHES_PER_READ);
    return { batches, nextOffset: batches.length === 0 ? offset : batches[batches.length - 1]!.lastOffset + 1n };
  }

  logEndOffset(topic: string, partition: number): bigint {
    const log = this.log(topic, partition);
    return log.length === 0 ? 0n : log[log.length - 1]!.lastOffset + 1n;
  }

  /** Batches of a partition (for assertions on what was written). */
  batches(topic: string, partition: number): readonly InternalBatch[] {
    return this.log(topic, partition);
  }

  hasPartition(topic: string, partition: number): boolean {
    return partition >= 0 && partition < (this.partitions.get(topic) ?? 0);
  }

  onTopicDeleted(listener: (topic: string) => void): void {
    this.deleteListeners.push(listener);
  }

  onTxnMarkerWritten(listener: (e: TxnMarkerEvent) => void): void {
    this.markerListeners.push(listener);
  }
}
