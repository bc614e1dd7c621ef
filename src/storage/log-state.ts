/**
 * Where a Log keeps what it must know at the next start: the recovery point (offsets below
 * it were fsync'd), the log start offset (set by retention and DeleteRecords), and whether
 * the last stop was clean. A LogManager keeps these in Kafka's data-dir checkpoint files; a
 * standalone `Log.open(dir)` keeps them in one file of its own inside the partition dir:
 *
 *   <dir>/sluice-log.state   msgpack { version: 1, recoveryPoint: string, logStartOffset: string,
 *                                      cleanShutdown: boolean }   (offsets as decimal strings)
 *
 * written atomically (temp, fsync, rename, fsync dir).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pack, unpack } from 'msgpackr';
import { native } from '../native.js';

export interface LogState {
  recoveryPoint: bigint;
  logStartOffset: bigint;
}

export interface LoadedLogState {
  recoveryPoint: bigint | null;
  logStartOffset: bigint | null;
  cleanShutdown: boolean;
}

export interface LogStateStore {
  /** What the previous run left behind. */
  load(): LoadedLogState;
  /** Records that the log is open, so a crash from here on reads as an unclean stop. */
  markOpen(state: LogState): void;
  /** Persists the state durably (periodic checkpoints, DeleteRecords, retention). */
  save(state: LogState): Promise<void>;
  /** Persists the final state of a clean close. */
  saveClean(state: LogState): void;
}

export const LOCAL_STATE_FILE = 'sluice-log.state';

interface StateRecord {
  version: 1;
  recoveryPoint: string;
  logStartOffset: string;
  cleanShutdown: boolean;
}

/** The standalone store: one small file in the partition directory. */
export class LocalLogStateStore implements LogStateStore {
  private readonly file: string;

  constructor(dir: string) {
    this.file = path.join(dir, LOCAL_STATE_FILE);
  }

  load(): LoadedLogState {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { recoveryPoint: null, logStartOffset: null, cleanShutdown: false };
      throw err;
    }
    try {
      const record = unpack(bytes) as StateRecord;
      if (record.version !== 1) throw new Error(`unsupported version ${String(record.version)}`);
      return {
        recoveryPoint: BigInt(record.recoveryPoint),
        logStartOffset: BigInt(record.logStartOffset),
        cleanShutdown: record.cleanShutdown === true,
      };
    } catch {
      // An unreadable state file costs a full recovery scan, never data: treat it as absent.
      return { recoveryPoint: null, logStartOffset: null, cleanShutdown: false };
    }
  }

  markOpen(state: LogState): void {
    native.writeFileAtomicSync(this.file, this.encode(state, false));
  }

  save(state: LogState): Promise<void> {
    return native.writeFileAtomic(this.file, this.encode(state, false));
  }

  saveClean(state: LogState): void {
    native.writeFileAtomicSync(this.file, this.encode(state, true));
  }

  private encode(state: LogState, cleanShutdown: boolean): Buffer {
    const record: StateRecord = {
      version: 1,
      recoveryPoint: state.recoveryPoint.toString(),
      logStartOffset: state.logStartOffset.toString(),
      cleanShutdown,
    };
    return pack(record);
  }
}
