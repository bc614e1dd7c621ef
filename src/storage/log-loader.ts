/**
 * Opening a partition log's directory, Kafka's LogLoader: sweep what interrupted operations
 * left, open the segments, and after an unclean stop recover those past the recovery point
 * (validate every batch, truncate a torn or corrupt tail, rebuild the indexes) off the event
 * loop. A clean stop opens the segments and reads their state without a scan.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SegmentRecovery } from '../native.js';
import type { Logger } from '../logger.js';
import type { LogConfig } from './log-config.js';
import type { LoadedLogState } from './log-state.js';
import { Segment } from './segment.js';
import { parseSegmentFileName, DELETED_SUFFIX, CLEANED_SUFFIX, SWAP_SUFFIX } from './file-names.js';

export interface LoadedLog {
  /** Ascending by base offset, the active segment last; never empty. */
  segments: Segment[];
  logStartOffset: bigint;
  recoveryPoint: bigint;
  /** Bytes the recovery scans read (0 after a clean stop), for tests and metrics. */
  recoveryScannedBytes: number;
  /** Sealed segments holding offsets past the recovery point: the next flush syncs them. */
  unflushed: Segment[];
}

/**
 * Loads the log in `dir`. `prepare` is called on every segment as it is opened or created,
 * before it is used (the Log wires its callbacks there). On failure every segment opened so
 * far is closed again (fds and handle-cache places) before the error is rethrown.
 */
export async function loadLog(dir: string, config: LogConfig, state: LoadedLogState, logger: Logger, prepare: (segment: Segment) => void): Promise<LoadedLog> {
  const segments: Segment[] = [];
  try {
    return await load(dir, config, state, logger, prepare, segments);
  } catch (err) {
    for (const s of segments) {
      try {
        s.close(false);
      } catch {
        // The load's own error is the one to report; the fd is released either way.
      }
    }
    throw err;
  }
}

async function load(
  dir: string,
  config: LogConfig,
  state: LoadedLogState,
  logger: Logger,
  prepare: (segment: Segment) => void,
  segments: Segment[],
): Promise<LoadedLog> {
  const bases = sweepDirectory(dir);
  const recoveryPoint = state.cleanShutdown ? null : (state.recoveryPoint ?? 0n);
  let scanned = 0;
  const report = (segment: Segment, result: SegmentRecovery): void => {
    scanned += result.validBytes + result.truncatedBytes - result.startPosition;
    reportRecovery(logger, segment, result);
  };
  for (let i = 0; i < bases.length; i++) {
    const next = bases[i + 1];
    const recovering = recoveryPoint !== null && (next === undefined || next > recoveryPoint);
    const segment = Segment.open(dir, bases[i]!, config, i === bases.length - 1, recovering);
    prepare(segment);
    segments.push(segment);
  }
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const next = segments[i + 1];
    const needsRecovery = recoveryPoint !== null && (next === undefined || next.baseOffset > recoveryPoint);
    if (needsRecovery) {
      const result = await segment.recover(config, true, recoveryPoint);
      report(segment, result);
      if (result.truncatedBytes > 0 && i < segments.length - 1) {
        // Everything after a corrupt point in the middle of the log is unreachable.
        const dropped = segments.splice(i + 1);
        logger.warn({ segments: dropped.map((s) => s.path) }, 'deleting segments after a corrupt tail');
        for (const s of dropped) await s.delete();
        segment.unseal(config);
      } else if (i < segments.length - 1) {
        segment.seal();
      }
    } else if (!segment.indexesLookSane()) {
      logger.warn({ segment: segment.path }, 'index failed its sanity check; rebuilding it');
      const result = await segment.recover(config, false);
      if (result.error !== null) {
        logger.error(
          { segment: segment.path, position: result.errorPosition, reason: result.error },
          'corrupt record batch found while rebuilding the index; the range will not be served',
        );
      }
      // Rebuilding grew the indexes to segment.index.bytes; a sealed segment keeps only its entries.
      if (i < segments.length - 1) segment.seal();
    } else {
      segment.loadState();
    }
    if (!needsRecovery && i === segments.length - 1 && segment.corruptFrom !== Number.POSITIVE_INFINITY) {
      // The active segment takes appends at its end: anything appended after a torn or
      // corrupt tail could never be read (and would be lost at the next recovery). Cut the
      // tail first, as recovery after an unclean stop does.
      report(segment, await segment.recover(config, true));
    }
  }
  if (segments.length === 0) {
    const segment = Segment.create(dir, state.logStartOffset ?? 0n, config);
    prepare(segment);
    segments.push(segment);
  }

  const active = segments[segments.length - 1]!;
  const firstBase = segments[0]!.baseOffset;
  let logStartOffset = state.logStartOffset ?? firstBase;
  if (logStartOffset < firstBase) logStartOffset = firstBase;
  if (logStartOffset > active.nextOffset) logStartOffset = active.nextOffset;
  // As Kafka's LogLoader: after an unclean stop the recovery point stays where it was (the
  // recovered bytes may exist only in the page cache); the background flush advances it.
  // Flushing them here instead would make the start wait for the disk to write them all.
  const point = recoveryPoint === null || recoveryPoint > active.nextOffset ? active.nextOffset : recoveryPoint;
  const unflushed = recoveryPoint === null ? [] : segments.filter((s) => s !== active && s.nextOffset > point);
  return { segments, logStartOffset, recoveryPoint: point, recoveryScannedBytes: scanned, unflushed };
}

/**
 * Removes leftovers of interrupted operations (`.deleted`, `.cleaned`, `.swap`, temp files,
 * indexes without a log) and returns the base offsets of the segments, ascending.
 */
function sweepDirectory(dir: string): bigint[] {
  const names = fs.readdirSync(dir);
  const logs = new Set<bigint>();
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (parsed?.kind === 'log') logs.add(parsed.baseOffset);
  }
  for (const name of names) {
    const full = path.join(dir, name);
    if (name.endsWith(DELETED_SUFFIX) || name.endsWith(CLEANED_SUFFIX) || name.endsWith(SWAP_SUFFIX) || name.endsWith('.tmp')) {
      fs.rmSync(full, { force: true });
      continue;
    }
    const parsed = parseSegmentFileName(name);
    if (parsed !== null && parsed.kind !== 'log' && !logs.has(parsed.baseOffset)) fs.rmSync(full, { force: true });
  }
  return [...logs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function reportRecovery(logger: Logger, segment: Segment, result: SegmentRecovery): void {
  if (result.truncatedBytes > 0) {
    logger.warn(
      { segment: segment.path, truncatedBytes: result.truncatedBytes, validBytes: result.validBytes, reason: result.error, position: result.errorPosition },
      `recovery truncated ${result.truncatedBytes} bytes of torn or corrupt data`,
    );
  } else {
    // bytes: what the scan read, from the recovery point's position (fromPosition) on.
    logger.info(
      { segment: segment.path, batches: result.batchCount, bytes: result.validBytes - result.startPosition, fromPosition: result.startPosition },
      'recovered segment',
    );
  }
}
