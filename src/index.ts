/**
 * sluice — a Kafka-compatible durable log for Node.js.
 *
 * `Log` is one crash-safe partition log on disk (Kafka's segment format); `LogManager` a
 * data directory of them. The embedded broker (`Sluice`) and the daemon build on these.
 */
export { Log, LogManager, resolveLogConfig, DEFAULT_LOG_CONFIG } from './storage/index.js';
export type { LogOptions, AppendOptions, AppendResult, ReadOptions, LogConfig, LogConfigInput, LogManagerOptions, TimestampType } from './storage/index.js';
export type { Record, RecordInput, RecordHeader, Bytes } from './records/index.js';
export { Codec, NativeError } from './native.js';
export { KafkaError, ErrorCode, OffsetOutOfRangeError, CorruptStorageError, CorruptMessageError, type ErrorName } from './errors.js';
