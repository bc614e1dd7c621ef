/**
 * One pass of a Fetch over its partitions (ReplicaManager.fetchMessages calls it, and again
 * after a long-poll wait): Kafka's readFromLog. Up to partitionMaxBytes per partition and
 * maxBytes overall, at least one whole batch from the first partition with data (KIP-74).
 *
 * Isolation: read_uncommitted (0) reads up to the high watermark; read_committed (1) up to the
 * last stable offset and lists the aborted transactions overlapping the returned range
 * (Kafka's LocalLog.collectAbortedTransactions from the fetch offset to the offset after the
 * last returned batch; an empty list when nothing is returned, null for read_uncommitted), so
 * the consumer can drop their records.
 */
import { ErrorCode, type ErrorName } from '../errors.js';
import type { Logger } from '../logger.js';
import { partitionKey } from './fetch-waiters.js';
import type { Partition } from './partition.js';
import { storageErrorName } from './produce.js';
import type { TopicMetadata, TopicRegistry } from './topic-registry.js';
import { ZERO_UUID } from './uuid.js';
import type { FetchMemory, FetchPartitionResult, FetchRequest, FetchResult, FetchTopicResult } from './types.js';

/** Record batch header: baseOffset int64, batchLength int32, …, lastOffsetDelta int32 at 23. */
const BATCH_LENGTH_AT = 8;
const LOG_OVERHEAD = 12;
const LAST_OFFSET_DELTA_AT = 23;

export interface FetchReadSource {
  registry: TopicRegistry;
  partitions(topic: string): readonly Partition[] | undefined;
  logger: Logger;
}

export interface FetchReadResult {
  result: FetchResult;
  bytes: number;
  anyError: boolean;
  /** Partition key → partitionMaxBytes of the partitions read (what a long-poll waits on). */
  keys: Map<string, number>;
}

/** The offset after the last batch in `records` (whole stored batches). */
export function offsetAfterBatches(records: Buffer): bigint {
  let pos = 0;
  let next = -1n;
  while (pos + LAST_OFFSET_DELTA_AT + 4 <= records.length) {
    const base = records.readBigInt64BE(pos);
    next = base + BigInt(records.readInt32BE(pos + LAST_OFFSET_DELTA_AT)) + 1n;
    pos += LOG_OVERHEAD + records.readInt32BE(pos + BATCH_LENGTH_AT);
  }
  return next;
}

export function readFetch(source: FetchReadSource, request: FetchRequest, maxBytes: number, memory: FetchMemory | undefined): FetchReadResult {
  const committed = request.isolationLevel === 1;
  let remaining = maxBytes;
  let minOneBatch = true;
  let bytes = 0;
  let anyError = false;
  const keys = new Map<string, number>();
  const topics: FetchTopicResult[] = [];
  for (const t of request.topics) {
    const byId = t.topicId !== undefined && t.topicId !== null && t.topicId !== ZERO_UUID;
    const meta: TopicMetadata | undefined = byId ? source.registry.getById(t.topicId!) : source.registry.get(t.name ?? '');
    const hosted = meta === undefined ? undefined : source.partitions(meta.name);
    const unknown: ErrorName = byId ? 'UNKNOWN_TOPIC_ID' : 'UNKNOWN_TOPIC_OR_PARTITION';
    const partitions: FetchPartitionResult[] = t.partitions.map((p) => {
      const failed = (name: ErrorName): FetchPartitionResult => {
        anyError = true;
        return {
          partitionIndex: p.partition,
          errorCode: ErrorCode[name],
          highWatermark: -1n,
          lastStableOffset: -1n,
          logStartOffset: -1n,
          abortedTransactions: null,
          preferredReadReplica: -1,
          records: Buffer.alloc(0),
        };
      };
      const partition = hosted?.[p.partition];
      if (hosted === undefined || partition === undefined) return failed(hosted === undefined ? unknown : 'UNKNOWN_TOPIC_OR_PARTITION');
      const fenced = partition.checkLeaderEpoch(p.currentLeaderEpoch);
      if (fenced !== null) return failed(fenced);
      const hw = partition.highWatermark;
      const lso = partition.lastStableOffset;
      if (p.fetchOffset < partition.logStartOffset || p.fetchOffset > partition.logEndOffset) return failed('OFFSET_OUT_OF_RANGE');
      keys.set(partitionKey(meta!.name, p.partition), Math.max(0, p.partitionMaxBytes));
      const room = memory === undefined ? Infinity : memory.room();
      const limit = Math.min(Math.max(0, p.partitionMaxBytes), remaining, Math.max(0, room));
      let records: Buffer = Buffer.alloc(0);
      let abortedTransactions: FetchPartitionResult['abortedTransactions'] = committed ? [] : null;
      if (limit > 0 || (minOneBatch && room > 0)) {
        try {
          records = partition.log.readSync(p.fetchOffset, limit, { maxOffset: committed ? lso : hw, minOneBatch });
          memory?.take(records.length);
          if (committed && records.length > 0) {
            abortedTransactions = partition.log
              .collectAbortedTransactions(p.fetchOffset, offsetAfterBatches(records))
              .map((txn) => ({ producerId: txn.producerId, firstOffset: txn.firstOffset }));
          }
        } catch (err) {
          source.logger.error({ err, topic: meta!.name, partition: p.partition }, 'fetch read failed');
          return failed(storageErrorName(err));
        }
      }
      if (records.length > 0) minOneBatch = false;
      remaining = Math.max(0, remaining - records.length);
      bytes += records.length;
      return {
        partitionIndex: p.partition,
        errorCode: ErrorCode.NONE,
        highWatermark: hw,
        lastStableOffset: lso,
        logStartOffset: partition.logStartOffset,
        abortedTransactions,
        preferredReadReplica: -1,
        records,
      };
    });
    topics.push({ name: meta?.name ?? t.name ?? '', topicId: meta?.topicId ?? t.topicId ?? ZERO_UUID, partitions });
  }
  return { result: { errorCode: ErrorCode.NONE, topics }, bytes, anyError, keys };
}
