/**
 * LogManager: a data directory of partition logs, laid out as Kafka lays out `log.dirs`:
 *
 *   <dataDir>/<topic>-<partition>/00000000000000000000.log …   one Log per partition
 *   <dataDir>/recovery-point-offset-checkpoint                 Kafka checkpoint format
 *   <dataDir>/log-start-offset-checkpoint                      Kafka checkpoint format
 *   <dataDir>/.kafka_cleanshutdown                             present only after a clean stop
 *
 * At start the marker is read and removed: if it was absent the last stop was unclean and
 * each log scans the segments past its recovery point, from the recovery point's position on.
 * Retention and checkpoints run here on timers for every log (Kafka's
 * `log.retention.check.interval.ms` and `log.flush.offset.checkpoint.interval.ms`).
 *
 * The recovery point advances in the background (ours: `log.recovery.point.flush.interval.ms`,
 * default 1 s): every interval, each log with data appended since its last flush is fdatasync'd
 * on the thread pool (through its group commit, so durable produces waiting then share the
 * flush), its recovery point moves to the offset flushed, and the recovery-point checkpoint
 * is written when a recovery point moved. So at most about one interval of appends lies past
 * the checkpointed recovery point, and that is all a restart after kill -9 or a power cut
 * scans. This is not Kafka's `flush.ms` / `flush.messages` (which stay as in Kafka, off by
 * default): nothing waits for these flushes, they only bound recovery work.
 */
import fs from 'node:fs';
import path from 'node:path';
import { native } from '../native.js';
import { getDefaultLogger, type Logger } from '../logger.js';
import { Log } from './log.js';
import { resolveLogConfig, type LogConfig, type LogConfigInput } from './log-config.js';
import { readCheckpoint, writeCheckpoint, writeCheckpointSync, type OffsetCheckpoint } from './checkpoint-file.js';
import { parseTopicPartitionDir, topicPartitionDir } from './file-names.js';
import type { LoadedLogState, LogState, LogStateStore } from './log-state.js';

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const CLEAN_SHUTDOWN_MARKER = '.kafka_cleanshutdown';

export interface LogManagerOptions {
  /** Defaults for every log (Kafka broker `log.*` names or topic names, or camelCase). */
  defaults?: LogConfigInput;
  /** Per-topic overrides, looked up when a log is opened or created. */
  topicConfig?: (topic: string) => LogConfigInput | undefined;
  logger?: Logger;
  /** log.flush.offset.checkpoint.interval.ms (default 60 s). */
  checkpointIntervalMs?: number;
  /** Run retention and checkpoints on timers (default true). */
  backgroundTasks?: boolean;
  /** Logs recovered in parallel at start (num.recovery.threads.per.data.dir; default 2). */
  recoveryThreads?: number;
  /**
   * log.recovery.point.flush.interval.ms (ours, default 1000): how often unflushed appends are
   * fdatasync'd in the background and the recovery points checkpointed. Number.MAX_SAFE_INTEGER
   * turns it off (then only flush.ms / flush.messages, rolls, durable appends and the
   * checkpoint interval's flush advance them, as in Kafka).
   */
  recoveryPointFlushIntervalMs?: number;
}

/** Default of log.recovery.point.flush.interval.ms. */
export const DEFAULT_RECOVERY_POINT_FLUSH_INTERVAL_MS = 1000;

function key(topic: string, partition: number): string {
  return topicPartitionDir(topic, partition);
}

/** A Log's view of the data-dir checkpoints. */
class ManagedLogState implements LogStateStore {
  constructor(
    private readonly manager: LogManager,
    private readonly name: string,
    private readonly loaded: LoadedLogState,
  ) {}
  load(): LoadedLogState {
    return this.loaded;
  }
  markOpen(state: LogState): void {
    this.manager.noteState(this.name, state);
  }
  async save(state: LogState): Promise<void> {
    this.manager.noteState(this.name, state);
    await this.manager.checkpoint();
  }
  saveClean(state: LogState): void {
    this.manager.noteState(this.name, state);
  }
}

export class LogManager {
  readonly dataDir: string;
  readonly defaults: LogConfig;
  private readonly options: LogManagerOptions;
  private readonly logger: Logger;
  private readonly logs = new Map<string, Log>();
  private readonly opening = new Map<string, Promise<Log>>();
  private readonly recoveryPoints: OffsetCheckpoint;
  private readonly logStartOffsets: OffsetCheckpoint;
  private readonly states = new Map<string, LogState>();
  private readonly cleanStart: boolean;
  private timers: NodeJS.Timeout[] = [];
  private checkpointing: Promise<void> | null = null;
  private checkpointAgain = false;
  private lastCheckpoint = '';
  private flushingRecoveryPoints = false;
  private closed = false;

  private constructor(dataDir: string, options: LogManagerOptions, cleanStart: boolean) {
    this.dataDir = dataDir;
    this.options = options;
    this.defaults = resolveLogConfig(options.defaults ?? {});
    this.logger = (options.logger ?? getDefaultLogger()).child({ dataDir });
    this.cleanStart = cleanStart;
    this.recoveryPoints = readCheckpoint(path.join(dataDir, RECOVERY_POINT_CHECKPOINT));
    this.logStartOffsets = readCheckpoint(path.join(dataDir, LOG_START_OFFSET_CHECKPOINT));
  }

  /** Opens every partition log in `dataDir` (recovering after an unclean stop). */
  static async open(dataDir: string, options: LogManagerOptions = {}): Promise<LogManager> {
    await fs.promises.mkdir(dataDir, { recursive: true });
    const marker = path.join(dataDir, CLEAN_SHUTDOWN_MARKER);
    const cleanStart = fs.existsSync(marker);
    const manager = new LogManager(dataDir, options, cleanStart);
    if (cleanStart) {
      fs.rmSync(marker);
      await native.fsyncDir(dataDir);
    }
    await manager.loadLogs();
    if (options.backgroundTasks ?? true) manager.startBackgroundTasks();
    return manager;
  }

  get wasCleanShutdown(): boolean {
    return this.cleanStart;
  }

  private async loadLogs(): Promise<void> {
    const entries = await fs.promises.readdir(this.dataDir, { withFileTypes: true });
    const dirs = entries.filter((e) => e.isDirectory() && parseTopicPartitionDir(e.name) !== null).map((e) => e.name);
    if (!this.cleanStart && dirs.length > 0)
      this.logger.warn({ logs: dirs.length }, 'previous shutdown was not clean; recovering logs past their recovery points');
    const threads = Math.max(1, this.options.recoveryThreads ?? 2);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < dirs.length) {
        const name = dirs[next++]!;
        const { topic, partition } = parseTopicPartitionDir(name)!;
        await this.openLog(topic, partition);
      }
    };
    await Promise.all(Array.from({ length: Math.min(threads, dirs.length) }, worker));
  }

  private configFor(topic: string, overrides?: LogConfigInput): LogConfigInput {
    return { ...this.defaultsInput(), ...(this.options.topicConfig?.(topic) ?? {}), ...(overrides ?? {}) };
  }

  private defaultsInput(): LogConfigInput {
    return { ...this.defaults } as unknown as LogConfigInput;
  }

  private openLog(topic: string, partition: number, overrides?: LogConfigInput): Promise<Log> {
    const name = key(topic, partition);
    const pending = this.opening.get(name);
    if (pending !== undefined) return pending;
    const loaded: LoadedLogState = {
      recoveryPoint: this.recoveryPoints.get(name) ?? null,
      logStartOffset: this.logStartOffsets.get(name) ?? null,
      cleanShutdown: this.cleanStart,
    };
    const opening = Log.open(path.join(this.dataDir, name), {
      ...this.configFor(topic, overrides),
      logger: this.logger,
      stateStore: new ManagedLogState(this, name, loaded),
      backgroundTasks: false,
    }).then(
      (log) => {
        this.logs.set(name, log);
        this.opening.delete(name);
        return log;
      },
      (err: unknown) => {
        this.opening.delete(name);
        throw err;
      },
    );
    this.opening.set(name, opening);
    return opening;
  }

  getLog(topic: string, partition: number): Log | undefined {
    return this.logs.get(key(topic, partition));
  }

  /** Returns the log, creating its directory (with `config` overrides) when it does not exist. */
  async getOrCreateLog(topic: string, partition: number, config?: LogConfigInput): Promise<Log> {
    this.ensureOpen();
    return this.logs.get(key(topic, partition)) ?? (await this.openLog(topic, partition, config));
  }

  /** Every open log with its topic and partition. */
  *allLogs(): IterableIterator<{ topic: string; partition: number; log: Log }> {
    for (const [name, log] of this.logs) {
      const { topic, partition } = parseTopicPartitionDir(name)!;
      yield { topic, partition, log };
    }
  }

  /** Closes and removes a partition's directory. */
  async deleteLog(topic: string, partition: number): Promise<void> {
    if (!this.logs.has(key(topic, partition))) return;
    await this.deleteLogs([{ topic, partition }]);
  }

  /**
   * Closes and removes partition directories, open or not (a creation that failed half-way
   * leaves a directory no Log owns), with one directory fsync and one checkpoint for all.
   * Every directory is attempted; the first failure is thrown after.
   */
  async deleteLogs(partitions: { topic: string; partition: number }[]): Promise<void> {
    let failure: unknown = null;
    for (const { topic, partition } of partitions) {
      const name = key(topic, partition);
      await this.opening.get(name)?.catch(() => undefined);
      const log = this.logs.get(name);
      this.logs.delete(name);
      this.states.delete(name);
      this.recoveryPoints.delete(name);
      this.logStartOffsets.delete(name);
      try {
        if (log !== undefined) await log.close();
      } catch (err) {
        failure ??= err;
      }
      try {
        // Only a directory is a partition's: a file of that name (in the way of a creation
        // that then failed) was never ours to remove.
        const dir = path.join(this.dataDir, name);
        const stat = await fs.promises.lstat(dir).catch(() => null);
        if (stat?.isDirectory() === true) await fs.promises.rm(dir, { recursive: true, force: true });
      } catch (err) {
        failure ??= err;
      }
    }
    await native.fsyncDir(this.dataDir);
    await this.checkpoint();
    if (failure !== null) throw failure instanceof Error ? failure : new Error(String(failure as string));
  }

  /** Called by logs when their recovery point or start offset changes. */
  noteState(name: string, state: LogState): void {
    this.states.set(name, state);
  }

  /** Writes both checkpoint files (coalescing concurrent calls). */
  async checkpoint(): Promise<void> {
    if (this.checkpointing !== null) {
      this.checkpointAgain = true;
      return this.checkpointing;
    }
    this.checkpointing = (async () => {
      do {
        this.checkpointAgain = false;
        const [recovery, start] = this.snapshot();
        // Cheap when nothing moved: the background flush calls this every second.
        const key = `${[...recovery].join(';')}|${[...start].join(';')}`;
        if (key === this.lastCheckpoint) continue;
        await writeCheckpoint(path.join(this.dataDir, RECOVERY_POINT_CHECKPOINT), recovery);
        await writeCheckpoint(path.join(this.dataDir, LOG_START_OFFSET_CHECKPOINT), start);
        this.lastCheckpoint = key;
      } while (this.checkpointAgain);
    })().finally(() => {
      this.checkpointing = null;
    });
    return this.checkpointing;
  }

  private snapshot(): [OffsetCheckpoint, OffsetCheckpoint] {
    for (const [name, log] of this.logs) {
      this.states.set(name, { recoveryPoint: log.recoveryPoint, logStartOffset: log.logStartOffset });
    }
    const recovery: OffsetCheckpoint = new Map(this.recoveryPoints);
    const start: OffsetCheckpoint = new Map(this.logStartOffsets);
    for (const [name, state] of this.states) {
      recovery.set(name, state.recoveryPoint);
      start.set(name, state.logStartOffset);
    }
    return [recovery, start];
  }

  /** Runs retention on every log once (the timer calls this every retention check interval). */
  async applyRetention(now = Date.now()): Promise<number> {
    let deleted = 0;
    for (const log of this.logs.values()) {
      try {
        deleted += await log.applyRetention(now);
      } catch (err) {
        this.logger.error({ err, log: log.dir }, 'retention failed');
      }
    }
    return deleted;
  }

  private startBackgroundTasks(): void {
    const every = (ms: number, task: () => Promise<unknown>): void => {
      const timer = setInterval(() => {
        task().catch((err: unknown) => this.logger.error({ err }, 'background task failed'));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.defaults.retentionCheckIntervalMs, () => this.applyRetention());
    every(this.options.checkpointIntervalMs ?? 60_000, async () => {
      await Promise.all([...this.logs.values()].map((l) => l.flush().catch(() => undefined)));
      await this.checkpoint();
    });
    const interval = this.options.recoveryPointFlushIntervalMs ?? DEFAULT_RECOVERY_POINT_FLUSH_INTERVAL_MS;
    if (interval < Number.MAX_SAFE_INTEGER) every(Math.max(1, interval), () => this.flushRecoveryPoints());
  }

  /**
   * fdatasyncs every log with appends since its last flush (off the event loop) and writes
   * the checkpoint files when a recovery point moved. A round still running skips the next.
   */
  async flushRecoveryPoints(): Promise<void> {
    if (this.flushingRecoveryPoints || this.closed) return;
    this.flushingRecoveryPoints = true;
    try {
      const dirty = [...this.logs.values()].filter((l) => l.isOpen && l.hasUnflushedData);
      await Promise.all(
        dirty.map((l) =>
          l.flush().catch((err: unknown) => {
            // A log closed meanwhile (topic deleted) has nothing left to flush.
            if (l.isOpen) this.logger.error({ err, log: l.dir }, 'background flush failed');
          }),
        ),
      );
      if (!this.closed) await this.checkpoint();
    } finally {
      this.flushingRecoveryPoints = false;
    }
  }

  /** Flushes and closes every log, writes the checkpoints and the clean-shutdown marker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all([...this.opening.values()].map((p) => p.catch(() => undefined)));
    await Promise.all([...this.logs.values()].map((l) => l.close()));
    if (this.checkpointing !== null) await this.checkpointing;
    const [recovery, start] = this.snapshot();
    writeCheckpointSync(path.join(this.dataDir, RECOVERY_POINT_CHECKPOINT), recovery);
    writeCheckpointSync(path.join(this.dataDir, LOG_START_OFFSET_CHECKPOINT), start);
    native.writeFileAtomicSync(path.join(this.dataDir, CLEAN_SHUTDOWN_MARKER), Buffer.alloc(0));
    this.logs.clear();
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error(`log manager for ${this.dataDir} is closed`);
  }
}
