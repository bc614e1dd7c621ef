/**
 * Kafka's leader epoch cache for one partition: which leader epoch started at which offset,
 * persisted as `<partitionDir>/leader-epoch-checkpoint` in Kafka's text format, written
 * atomically (temp, fsync, rename, fsync dir):
 *
 *   0            version
 *   2            number of entries
 *   0 0          epoch startOffset
 *   1 1500
 *
 * Epochs and start offsets only grow. `endOffsetFor` answers OffsetsForLeaderEpoch exactly as
 * Kafka's LeaderEpochFileCache.endOffsetFor does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { native } from '../native.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
const VERSION = 0;
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1n;

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

export function encodeLeaderEpochCheckpoint(entries: readonly EpochEntry[]): Buffer {
  const lines = [String(VERSION), String(entries.length), ...entries.map((e) => `${e.epoch} ${e.startOffset}`)];
  return Buffer.from(lines.join('\n') + '\n');
}

export function decodeLeaderEpochCheckpoint(text: string, file = LEADER_EPOCH_CHECKPOINT): EpochEntry[] {
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  if (lines.length < 2 || Number(lines[0]) !== VERSION) throw new Error(`${file}: unsupported version ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count !== lines.length - 2) throw new Error(`${file}: expected ${lines[1]} entries, found ${lines.length - 2}`);
  return lines.slice(2).map((line) => {
    const m = /^(\d+)\s+(\d+)$/.exec(line.trim());
    if (m === null) throw new Error(`${file}: malformed entry "${line}"`);
    return { epoch: Number(m[1]), startOffset: BigInt(m[2]!) };
  });
}

export class LeaderEpochCache {
  private entries: EpochEntry[];
  private readonly file: string;
  private writing: Promise<void> = Promise.resolve();

  private constructor(file: string, entries: EpochEntry[]) {
    this.file = file;
    this.entries = entries;
  }

  /** Reads the checkpoint in `dir` (absent or unreadable: empty cache). */
  static load(dir: string): LeaderEpochCache {
    const file = path.join(dir, LEADER_EPOCH_CHECKPOINT);
    let entries: EpochEntry[] = [];
    try {
      entries = decodeLeaderEpochCheckpoint(fs.readFileSync(file, 'utf8'), file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') entries = [];
    }
    return new LeaderEpochCache(file, entries);
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  /** The latest epoch, or UNDEFINED_EPOCH when empty. */
  get latestEpoch(): number {
    return this.entries.length === 0 ? UNDEFINED_EPOCH : this.entries[this.entries.length - 1]!.epoch;
  }

  /** Records that `epoch` starts at `startOffset`; ignored unless it is a newer epoch. */
  assign(epoch: number, startOffset: bigint): Promise<void> {
    const latest = this.entries[this.entries.length - 1];
    if (latest !== undefined && epoch <= latest.epoch) return this.writing;
    // An epoch starting where the previous one started replaces it (no records in between).
    while (this.entries.length > 0 && this.entries[this.entries.length - 1]!.startOffset >= startOffset) this.entries.pop();
    this.entries.push({ epoch, startOffset });
    return this.flush();
  }

  /** The epoch that was current when `offset` was written, or UNDEFINED_EPOCH. */
  epochForOffset(offset: bigint): number {
    let epoch = UNDEFINED_EPOCH;
    for (const e of this.entries) {
      if (e.startOffset > offset) break;
      epoch = e.epoch;
    }
    return epoch;
  }

  /** Kafka's LeaderEpochFileCache.endOffsetFor. */
  endOffsetFor(requestedEpoch: number, logEndOffset: bigint): { epoch: number; endOffset: bigint } {
    if (requestedEpoch === UNDEFINED_EPOCH || this.entries.length === 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === this.latestEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.entries.find((e) => e.epoch > requestedEpoch);
    if (higher === undefined) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    let floor: EpochEntry | undefined;
    for (const e of this.entries) if (e.epoch <= requestedEpoch) floor = e;
    return { epoch: floor === undefined ? requestedEpoch : floor.epoch, endOffset: higher.startOffset };
  }

  /** Drops entries starting past `endOffset` (the log was cut shorter). */
  truncateFromEnd(endOffset: bigint): Promise<void> {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.startOffset <= endOffset);
    return this.entries.length === before ? this.writing : this.flush();
  }

  /** After the log start offset moved to `startOffset`: entries before it collapse into one at it. */
  truncateFromStart(startOffset: bigint): Promise<void> {
    let last = -1;
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i]!.startOffset <= startOffset) last = i;
    if (last < 0 || (last === 0 && this.entries[0]!.startOffset === startOffset)) return this.writing;
    const kept = this.entries.slice(last);
    kept[0] = { epoch: kept[0]!.epoch, startOffset };
    this.entries = kept;
    return this.flush();
  }

  private flush(): Promise<void> {
    const run = (): Promise<void> => native.writeFileAtomic(this.file, encodeLeaderEpochCheckpoint(this.entries));
    const next = this.writing.then(run, run);
    this.writing = next.catch(() => undefined);
    return next;
  }
}
