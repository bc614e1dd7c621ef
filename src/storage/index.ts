export { Log, invalidBatchesError, type LogOptions, type AppendOptions, type AppendResult, type ReadOptions } from './log.js';
export { LogManager, type LogManagerOptions } from './log-manager.js';
export {
  resolveLogConfig,
  maxUncompressedBytesFor,
  MAX_DECOMPRESSION_RATIO,
  DEFAULT_LOG_CONFIG,
  type LogConfig,
  type LogConfigInput,
  type TimestampType,
} from './log-config.js';
export { configureSegmentHandles, segmentHandles, type HandleCacheStats } from './handle-cache.js';
export { ProducerStateManager, type ProducerBatch } from './producer-state.js';
