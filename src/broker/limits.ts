/**
 * Bounds of the broker layer, in one place (STYLE: every queue and in-flight count has a
 * limit). Kafka's own defaults live in broker-config.ts under Kafka's names; these are ours.
 */

/** Fetches parked in long-poll at once; past this a fetch answers at once with what it has. */
export const MAX_FETCH_WAITERS = 10_000;

/** Bytes read per call while rebuilding producer state from the log at open. */
export const PRODUCER_STATE_SCAN_CHUNK_BYTES = 4 * 1024 * 1024;

/** How often changed producer state is snapshotted (besides clean close). */
export const PRODUCER_SNAPSHOT_INTERVAL_MS = 30_000;

/** Producer-state snapshot files kept per partition (newest first). */
export const PRODUCER_SNAPSHOTS_RETAINED = 2;

/** Batches remembered per producer id for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN). */
export const PRODUCER_BATCHES_RETAINED = 5;

/** Producer ids reserved per write of the id counter. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

/** Largest partition count accepted for one topic by CreateTopics / CreatePartitions. */
export const MAX_PARTITIONS_PER_TOPIC = 100_000;
