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

/**
 * Partitions of one topic created or opened at once: each writes two small files with fsync
 * (partition.metadata, leader-epoch-checkpoint), so overlapping them lets the thread pool and
 * the journal batch the syncs. Segment fds stay bounded by the handle cache whatever this is.
 */
export const PARTITION_OPEN_CONCURRENCY = 32;

/** Largest partition count accepted for one topic by CreateTopics / CreatePartitions. */
export const MAX_PARTITIONS_PER_TOPIC = 100_000;

// ------------------------------------------------------------------ server (sockets)
// socket.request.max.bytes and connections.max.idle.ms are Kafka settings (broker-config.ts).

/**
 * Requests read from one connection but not yet answered before reading pauses. Kafka bounds
 * this per broker (queued.max.requests = 500). The Java client pipelines at most 5 per
 * connection by default, librdkafka up to 1,000,000: past this bound TCP pushes back instead.
 */
export const MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION = 100;

/** Unsent response bytes on one connection before reading pauses (a slow reader). */
export const MAX_PENDING_RESPONSE_BYTES_PER_CONNECTION = 16 * 1024 * 1024;

/** Graceful shutdown: how long requests in flight may take to be answered before sockets close. */
export const SHUTDOWN_DRAIN_TIMEOUT_MS = 5_000;
