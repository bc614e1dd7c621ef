/**
 * A partition this node leads (every partition, on a single node): its Log, its leader epoch
 * (with the leader-epoch-checkpoint history), its high watermark and its producer state.
 *
 * With one replica the in-sync replica set is this node, so every successful append is
 * replicated "to all in-sync replicas" at once: the high watermark equals the log end offset
 * after each append, for acks 0, 1 and -1 alike, and the last stable offset equals the high
 * watermark (no transactions).
 *
 * Also written, for Kafka tools: `partition.metadata` ("version: 0\ntopic_id: <id>\n").
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ErrorName } from '../errors.js';
import { native } from '../native.js';
import type { Logger } from '../logger.js';
import type { Log } from '../storage/log.js';
import { ProducerStateManager } from '../storage/producer-state.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { ListOffsetsTimestamp } from './types.js';

export const PARTITION_METADATA_FILE = 'partition.metadata';

export class Partition {
  readonly topic: string;
  readonly index: number;
  readonly log: Log;
  readonly epochs: LeaderEpochCache;
  readonly producers: ProducerStateManager;

  private constructor(topic: string, index: number, log: Log, epochs: LeaderEpochCache, producers: ProducerStateManager) {
    this.topic = topic;
    this.index = index;
    this.log = log;
    this.epochs = epochs;
    this.producers = producers;
  }

  /**
   * Wraps an open log: loads the epoch history (starting epoch 0 at the log start for a new
   * partition), bumps the leader epoch when the last stop was unclean (as a new election would,
   * so consumers detect a truncated tail through OffsetsForLeaderEpoch), and rebuilds producer
   * state from its snapshot plus the log tail.
   */
  static async open(topic: string, index: number, log: Log, options: { topicId: string; uncleanStart: boolean; logger: Logger }): Promise<Partition> {
    const epochs = LeaderEpochCache.load(log.dir);
    await epochs.truncateFromEnd(log.nextOffset);
    if (epochs.latestEpoch < 0) await epochs.assign(0, log.logStartOffset);
    else if (options.uncleanStart) await epochs.assign(epochs.latestEpoch + 1, log.nextOffset);
    const { state, replayedBatches } = ProducerStateManager.load(log, options.logger);
    if (replayedBatches > 0) options.logger.debug({ topic, partition: index, batches: replayedBatches }, 'rebuilt producer state from the log');
    const metadataFile = path.join(log.dir, PARTITION_METADATA_FILE);
    if (!fs.existsSync(metadataFile)) {
      await native.writeFileAtomic(metadataFile, Buffer.from(`version: 0\ntopic_id: ${options.topicId}\n`));
    }
    return new Partition(topic, index, log, epochs, state);
  }

  get leaderEpoch(): number {
    return this.epochs.latestEpoch;
  }

  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }

  get logEndOffset(): bigint {
    return this.log.nextOffset;
  }

  get highWatermark(): bigint {
    return this.log.nextOffset;
  }

  get lastStableOffset(): bigint {
    return this.highWatermark;
  }

  /**
   * Kafka's checkCurrentLeaderEpoch, for Fetch, ListOffsets and OffsetsForLeaderEpoch: a client
   * that knows a newer epoch than ours answers UNKNOWN_LEADER_EPOCH, an older one
   * FENCED_LEADER_EPOCH; no epoch (undefined or -1) is not checked.
   */
  checkLeaderEpoch(current: number | undefined): ErrorName | null {
    if (current === undefined || current < 0) return null;
    if (current > this.leaderEpoch) return 'UNKNOWN_LEADER_EPOCH';
    if (current < this.leaderEpoch) return 'FENCED_LEADER_EPOCH';
    return null;
  }

  /**
   * ListOffsets by timestamp: -1 latest (the high watermark, or the last stable offset for
   * read_committed), -2 earliest (log start), -3 the record with the largest timestamp
   * (KIP-734), -4 earliest local (= earliest), -5 latest tiered (none: offset -1), >= 0 the
   * first record with a timestamp at or after it (offset -1 when there is none).
   */
  async fetchOffsetForTimestamp(timestamp: bigint, isolationLevel: number): Promise<{ timestamp: bigint; offset: bigint; leaderEpoch: number }> {
    const none = { timestamp: -1n, offset: -1n, leaderEpoch: -1 };
    switch (timestamp) {
      case ListOffsetsTimestamp.LATEST: {
        const offset = isolationLevel === 1 ? this.lastStableOffset : this.highWatermark;
        return { timestamp: -1n, offset, leaderEpoch: this.leaderEpoch };
      }
      case ListOffsetsTimestamp.EARLIEST:
      case ListOffsetsTimestamp.EARLIEST_LOCAL:
        return { timestamp: -1n, offset: this.logStartOffset, leaderEpoch: this.epochs.epochForOffset(this.logStartOffset) };
      case ListOffsetsTimestamp.LATEST_TIERED:
        return none;
      case ListOffsetsTimestamp.MAX_TIMESTAMP: {
        const max = this.log.maxTimestampAndOffset();
        if (max === null) return none;
        return { timestamp: BigInt(max.timestamp), offset: max.offset, leaderEpoch: this.epochs.epochForOffset(max.offset) };
      }
      default: {
        const offset = await this.log.offsetForTimestamp(timestamp);
        if (offset === null || offset >= this.highWatermark) return none;
        const record = this.log.readRecordsSync(offset, 1)[0];
        return { timestamp: BigInt(record?.timestamp ?? -1), offset, leaderEpoch: this.epochs.epochForOffset(offset) };
      }
    }
  }

  /** The end offset of `leaderEpoch` here (Kafka's LeaderEpochFileCache.endOffsetFor). */
  lastOffsetForLeaderEpoch(leaderEpoch: number): { epoch: number; endOffset: bigint } {
    return this.epochs.endOffsetFor(leaderEpoch, this.logEndOffset);
  }

  /**
   * DeleteRecords on the leader: raises the log start offset to `offset` (-1: the high
   * watermark) and drops the epochs below it; the new log start offset, or
   * OFFSET_OUT_OF_RANGE past the high watermark. Storage errors are thrown.
   */
  async deleteRecordsOnLeader(offset: bigint): Promise<bigint | 'OFFSET_OUT_OF_RANGE'> {
    const target = offset === -1n ? this.highWatermark : offset;
    if (target < 0n || target > this.highWatermark) return 'OFFSET_OUT_OF_RANGE';
    const lowWatermark = await this.log.deleteRecordsBefore(target);
    await this.epochs.truncateFromStart(lowWatermark);
    return lowWatermark;
  }
}
