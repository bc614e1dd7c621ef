/**
 * Bounds of every layer, in one place (STYLE: every queue, buffer and in-flight count has a
 * limit), grouped by the layer that applies them. A leaf module, like errors.ts: any layer may
 * import it. Kafka's own settings live under Kafka's names in broker/broker-config.ts and
 * storage/log-config-defs.ts; these are ours.
 */

// ------------------------------------------------------------------ storage (producer state)

/** Bytes of batches whose headers are read per call while rebuilding producer state from the log at open. */
export const PRODUCER_STATE_SCAN_CHUNK_BYTES = 16 * 1024 * 1024;

/** Producer-state snapshot files kept per partition (newest first). */
export const PRODUCER_SNAPSHOTS_RETAINED = 2;

/** Batches remembered per producer id for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN). */
export const PRODUCER_BATCHES_RETAINED = 5;

// ------------------------------------------------------------------ broker

/** Fetches parked in long-poll at once; past this a fetch answers at once with what it has. */
export const MAX_FETCH_WAITERS = 10_000;

/** How often changed producer state is snapshotted (besides clean close). */
export const PRODUCER_SNAPSHOT_INTERVAL_MS = 30_000;

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
// Kafka settings of the network layer live in broker-config.ts: socket.request.max.bytes,
// connections.max.idle.ms, queued.max.request.bytes; and ours in Kafka's style,
// queued.max.response.bytes and socket.request.min.bytes.per.second.

/**
 * Requests read from one connection but not yet answered before reading pauses. Kafka reads one
 * request per connection at a time (the channel is muted until its response is sent); we let a
 * client pipeline this many, so produce with acks=all and fetches of several consumers sharing a
 * connection overlap. The Java client pipelines at most 5 per connection by default, librdkafka
 * up to 1,000,000: past this bound TCP pushes back instead.
 */
export const MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION = 100;

/**
 * Response bytes of one connection built but not yet handed to the kernel (a client that does
 * not read): past it the connection is not read, and a fetch reads no more than the room left
 * (at least one batch while any is left). Each connection stays below it plus one response.
 */
export const MAX_PENDING_RESPONSE_BYTES_PER_CONNECTION = 16 * 1024 * 1024;

/**
 * What one queued response costs besides its bytes (the stream's write requests, the size
 * prefix, the objects around them), counted with them: a client that does not read the answers
 * to many small requests (acks=1 produce) is bounded too.
 */
export const RESPONSE_OVERHEAD_BYTES = 512;

/**
 * A request frame that has started arriving gets this long, plus one second per
 * socket.request.min.bytes.per.second bytes received, to arrive whole (as Apache httpd's
 * mod_reqtimeout measures a request body); past it the connection is closed (slowloris).
 */
export const PARTIAL_REQUEST_GRACE_MS = 10_000;

/** How often partial request frames are checked against socket.request.min.bytes.per.second. */
export const PARTIAL_REQUEST_CHECK_INTERVAL_MS = 1_000;

/** At most one warning per this interval that connections are muted for lack of memory. */
export const MEMORY_MUTE_WARN_INTERVAL_MS = 10_000;

/** Invalid-records warnings: at most one per client (client id and host) per this interval. */
export const INVALID_RECORDS_WARNING_INTERVAL_MS = 10_000;

/** Clients whose invalid-records warnings are rate-limited at once (least recent forgotten). */
export const INVALID_RECORDS_WARNING_CLIENTS = 10_000;

/** Graceful shutdown: how long requests in flight may take to be answered before sockets close. */
export const SHUTDOWN_DRAIN_TIMEOUT_MS = 5_000;
