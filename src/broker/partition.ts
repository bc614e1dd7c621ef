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
import { native } from '../native.js';
import type { Logger } from '../logger.js';
import type { Log } from '../storage/log.js';
import { ProducerStateManager } from '../storage/producer-state.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';

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
}
