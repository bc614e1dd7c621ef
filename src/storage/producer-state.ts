/**
 * Idempotent-producer state of one partition (Kafka's ProducerStateManager, kept by Kafka's
 * storage layer next to the log it is rebuilt from): per producer id, its epoch and the last 5
 * batches it appended, so that a retried batch is recognised and answered with its original
 * offsets instead of being appended twice, and a gap in sequence numbers is refused.
 *
 * Transactions (Kafka's ongoingTxns): the first transactional batch of a producer opens its
 * transaction at that batch's base offset; its COMMIT or ABORT marker closes it. The open
 * transactions bound the last stable offset (`firstUnstableOffset`); an aborted one becomes a
 * `.txnindex` entry of the segment holding its marker (`applyEndTxnMarker`), carrying the LSO
 * just after it: the first offset of the oldest other open transaction, else marker + 1.
 *
 * Validation follows Kafka 3.x (ProducerAppendInfo.checkProducerEpoch / checkSequence and
 * ProducerStateEntry.findDuplicateBatch):
 * - epoch below the producer's current epoch → INVALID_PRODUCER_EPOCH;
 * - same epoch and same first/last sequence as one of the last 5 batches → duplicate (the
 *   caller answers NONE with the original base offset and appends nothing);
 * - a new epoch must start at sequence 0, unless the producer is unknown here
 *   → OUT_OF_ORDER_SEQUENCE_NUMBER;
 * - same epoch: the first sequence must follow the last one (wrapping at Int32.MAX to 0)
 *   → OUT_OF_ORDER_SEQUENCE_NUMBER; an unknown producer (never seen, or expired) may start
 *   at any sequence, as Kafka accepts since 2.5 (no UNKNOWN_PRODUCER_ID).
 *
 * Snapshots (ours, not Kafka's binary format): `<partitionDir>/<20-digit offset>.sluice-snapshot`,
 * msgpackr, written atomically, where offset is the log end offset the state covers:
 *
 *   { version: 2, offset: "<bigint>",
 *     producers: [[ "<producerId>", epoch, lastTimestamp,
 *                   [[firstSeq, lastSeq, "<firstOffset>", "<lastOffset>", timestamp], …],
 *                   "<currentTxnFirstOffset>" | null, coordinatorEpoch ], …] }
 *
 * Version 1 (before transactions) has no last two fields and is still read: no open transactions.
 *
 * At open the newest snapshot at or below the log end is loaded and the batches from its
 * offset to the log end are replayed from their headers, so the state is right after a
 * SIGKILL too (the snapshot is only a shortcut). Snapshots past the log end (the log lost an
 * unflushed tail) are deleted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pack, unpack } from 'msgpackr';
import { BATCH_FIELDS, BatchField, native } from '../native.js';
import type { ErrorName } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Log } from './log.js';
import type { AbortedTxn } from './transaction-index.js';
import { ControlRecordType, decodeControlRecord, decodeEndTxnMarker } from '../records/control-record.js';
import { decodeRecordBatches } from '../records/record-decode.js';
import { PRODUCER_BATCHES_RETAINED, PRODUCER_SNAPSHOTS_RETAINED, PRODUCER_STATE_SCAN_CHUNK_BYTES } from '../limits.js';

export const SNAPSHOT_SUFFIX = '.sluice-snapshot';
const SNAPSHOT_NAME = /^(\d{20})\.sluice-snapshot$/;
const SNAPSHOT_VERSION = 2;
const SNAPSHOT_VERSION_NO_TXN = 1;
const INT32_MAX = 0x7fff_ffff;
const NO_EPOCH = -1;
/** Attribute bits of a record batch. */
const CONTROL_FLAG = 0x20;
const TRANSACTIONAL_FLAG = 0x10;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: bigint;
  lastOffset: bigint;
  /** The batch's max timestamp (what Kafka keeps as the entry's lastTimestamp). */
  timestamp: number;
}

export interface ProducerEntry {
  producerId: bigint;
  epoch: number;
  /** Oldest first, at most PRODUCER_BATCHES_RETAINED. */
  batches: BatchMetadata[];
  lastTimestamp: number;
  /** First offset of the producer's open transaction; null when none is open. */
  currentTxnFirstOffset: bigint | null;
  /** Epoch of the coordinator that wrote the producer's last marker; -1 before any. */
  coordinatorEpoch: number;
}

/** Kafka's CompletedTxn: a transaction closed by its marker at `lastOffset`. */
export interface CompletedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  isAborted: boolean;
}

/** A COMMIT/ABORT control batch, as its header and its one control record give it. */
export interface EndTxnMarker {
  producerId: bigint;
  epoch: number;
  /** ControlRecordType.Commit or .Abort. */
  type: ControlRecordType.Abort | ControlRecordType.Commit;
  coordinatorEpoch: number;
  /** The marker's offset (the control batch's base offset). */
  offset: bigint;
  timestamp: number;
}

/** Where aborted transactions are recorded (the Log: the `.txnindex` of the marker's segment). */
export interface AbortedTxnSink {
  appendAbortedTxn(txn: AbortedTxn): void;
}

/** What validation needs of a batch: from its header. */
export interface ProducerBatch {
  producerId: bigint;
  epoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  maxTimestamp: number;
  /** Attribute bit 4: the batch belongs to the producer's transaction. */
  isTransactional?: boolean;
}

export type SequenceCheck = { kind: 'ok' } | { kind: 'duplicate'; batch: BatchMetadata } | { kind: 'error'; errorName: ErrorName; message: string };

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from Int32.MAX to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

export function snapshotFileName(offset: bigint): string {
  return offset.toString().padStart(20, '0') + SNAPSHOT_SUFFIX;
}

export class ProducerStateManager {
  readonly dir: string;
  private readonly producers = new Map<bigint, ProducerEntry>();
  /** Open transactions: producer id → first offset (few at a time; scanned for the minimum). */
  private readonly ongoing = new Map<bigint, bigint>();
  /** Log end offset the last written snapshot covers; -1 when none. */
  private snapshotOffset = -1n;
  private changedSinceSnapshot = false;

  constructor(dir: string) {
    this.dir = dir;
  }

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: bigint): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /** Every producer this partition tracks (DescribeProducers). */
  entries(): ProducerEntry[] {
    return [...this.producers.values()];
  }

  /**
   * Validates `batches` (in order, as one produce carries them) against the current state and
   * against each other. A duplicate of an already-appended batch answers the whole request.
   * `origin` 'coordinator' (Kafka's AppendOrigin.COORDINATOR: a coordinator's transactional
   * write) checks epochs and transaction state only, no duplicates or sequences.
   */
  check(batches: readonly ProducerBatch[], origin: 'client' | 'coordinator' = 'client'): SequenceCheck {
    const pending = new Map<bigint, { epoch: number; lastSeq: number; txnOpen: boolean }>();
    const client = origin === 'client';
    for (const b of batches) {
      if (b.producerId < 0n) continue;
      const current = this.producers.get(b.producerId);
      const lastSeq = incrementSequence(b.baseSequence, b.lastOffsetDelta);
      if (client && current !== undefined && current.epoch === b.epoch) {
        const dup = current.batches.find((m) => m.firstSeq === b.baseSequence && m.lastSeq === lastSeq);
        if (dup !== undefined) return { kind: 'duplicate', batch: dup };
      }
      const updated = pending.get(b.producerId);
      const epoch = updated?.epoch ?? current?.epoch ?? NO_EPOCH;
      if (b.epoch < epoch) {
        return {
          kind: 'error',
          errorName: 'INVALID_PRODUCER_EPOCH',
          message: `Epoch of producer ${b.producerId} is ${b.epoch}, which is smaller than the last seen epoch ${epoch}`,
        };
      }
      if (client && b.epoch !== epoch) {
        if (b.baseSequence !== 0 && epoch !== NO_EPOCH) {
          return {
            kind: 'error',
            errorName: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
            message: `Invalid sequence number for new epoch of producer ${b.producerId}: ${b.epoch} (request epoch), ${b.baseSequence} (seq. number), ${epoch} (current producer epoch)`,
          };
        }
      } else if (client) {
        const currentLastSeq = updated !== undefined ? updated.lastSeq : (current?.batches[current.batches.length - 1]?.lastSeq ?? -1);
        if (current !== undefined && !inSequence(currentLastSeq, b.baseSequence)) {
          return {
            kind: 'error',
            errorName: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
            message: `Out of order sequence number for producer ${b.producerId}: ${b.baseSequence} (incoming seq. number), ${currentLastSeq} (current end sequence number)`,
          };
        }
      }
      // Kafka's ProducerAppendInfo.appendDataBatch: inside an open transaction every batch is transactional.
      const txnOpen = updated?.txnOpen ?? (current !== undefined && current.currentTxnFirstOffset !== null);
      if (txnOpen && b.isTransactional !== true) {
        return {
          kind: 'error',
          errorName: 'INVALID_TXN_STATE',
          message: `Expected transactional write from producer ${b.producerId}: its transaction is open`,
        };
      }
      pending.set(b.producerId, { epoch: b.epoch, lastSeq, txnOpen: txnOpen || b.isTransactional === true });
    }
    return { kind: 'ok' };
  }

  /** Records an appended batch (after `check`, or while replaying the log). */
  apply(b: ProducerBatch, firstOffset: bigint): void {
    if (b.producerId < 0n) return;
    let entry = this.producers.get(b.producerId);
    if (entry === undefined) {
      entry = { producerId: b.producerId, epoch: b.epoch, batches: [], lastTimestamp: b.maxTimestamp, currentTxnFirstOffset: null, coordinatorEpoch: -1 };
      this.producers.set(b.producerId, entry);
    }
    if (entry.epoch !== b.epoch) {
      entry.epoch = b.epoch;
      entry.batches = [];
    }
    if (b.isTransactional === true && entry.currentTxnFirstOffset === null) {
      entry.currentTxnFirstOffset = firstOffset;
      this.ongoing.set(b.producerId, firstOffset);
    }
    entry.batches.push({
      firstSeq: b.baseSequence,
      lastSeq: incrementSequence(b.baseSequence, b.lastOffsetDelta),
      firstOffset,
      lastOffset: firstOffset + BigInt(b.lastOffsetDelta),
      timestamp: b.maxTimestamp,
    });
    if (entry.batches.length > PRODUCER_BATCHES_RETAINED) entry.batches.shift();
    entry.lastTimestamp = b.maxTimestamp;
    this.changedSinceSnapshot = true;
  }

  /**
   * Checks a marker against the producer's state (Kafka's ProducerAppendInfo.checkProducerEpoch
   * and the coordinator-epoch check of appendEndTxnMarker).
   */
  checkEndTxnMarker(m: Pick<EndTxnMarker, 'producerId' | 'epoch' | 'coordinatorEpoch'>): SequenceCheck {
    const entry = this.producers.get(m.producerId);
    if (entry === undefined) return { kind: 'ok' };
    if (m.epoch < entry.epoch) {
      return {
        kind: 'error',
        errorName: 'INVALID_PRODUCER_EPOCH',
        message: `Epoch of producer ${m.producerId} is ${m.epoch}, which is smaller than the last seen epoch ${entry.epoch}`,
      };
    }
    if (m.coordinatorEpoch < entry.coordinatorEpoch) {
      return {
        kind: 'error',
        errorName: 'TRANSACTION_COORDINATOR_FENCED',
        message: `Invalid coordinator epoch for producer ${m.producerId}: ${m.coordinatorEpoch} (zombie), ${entry.coordinatorEpoch} (current)`,
      };
    }
    return { kind: 'ok' };
  }

  /**
   * Records an appended COMMIT/ABORT marker (after `checkEndTxnMarker`, or while replaying the
   * log) and completes the producer's open transaction, as Kafka's UnifiedLog.append does:
   * an aborted one goes to `sink` (the Log's `.txnindex`) with the LSO that follows it, then
   * leaves the open set. A marker without an open transaction (empty transaction) completes
   * nothing: it cannot move the LSO and is not indexed. Returns the completed transaction.
   */
  applyEndTxnMarker(m: EndTxnMarker, sink: AbortedTxnSink | null): { completed: CompletedTxn; lastStableOffset: bigint } | null {
    let entry = this.producers.get(m.producerId);
    if (entry === undefined) {
      entry = {
        producerId: m.producerId,
        epoch: m.epoch,
        batches: [],
        lastTimestamp: m.timestamp,
        currentTxnFirstOffset: null,
        coordinatorEpoch: m.coordinatorEpoch,
      };
      this.producers.set(m.producerId, entry);
    }
    if (entry.epoch !== m.epoch) {
      entry.epoch = m.epoch;
      entry.batches = [];
    }
    entry.coordinatorEpoch = m.coordinatorEpoch;
    entry.lastTimestamp = m.timestamp;
    this.changedSinceSnapshot = true;
    const firstOffset = entry.currentTxnFirstOffset;
    entry.currentTxnFirstOffset = null;
    if (firstOffset === null) return null;
    const completed: CompletedTxn = { producerId: m.producerId, firstOffset, lastOffset: m.offset, isAborted: m.type === ControlRecordType.Abort };
    const lastStableOffset = this.lastStableOffsetAfter(completed);
    if (completed.isAborted && sink !== null) sink.appendAbortedTxn({ producerId: m.producerId, firstOffset, lastOffset: m.offset, lastStableOffset });
    this.ongoing.delete(m.producerId);
    return { completed, lastStableOffset };
  }

  /**
   * Kafka's lastStableOffset(completedTxn): the first offset of the oldest open transaction
   * of another producer, else the offset after the marker.
   */
  lastStableOffsetAfter(completed: CompletedTxn): bigint {
    let min: bigint | null = null;
    for (const [producerId, first] of this.ongoing) {
      if (producerId !== completed.producerId && (min === null || first < min)) min = first;
    }
    return min ?? completed.lastOffset + 1n;
  }

  /** First offset of the oldest open transaction; null when none is open (the LSO is then the log end). */
  get firstUnstableOffset(): bigint | null {
    let min: bigint | null = null;
    for (const first of this.ongoing.values()) if (min === null || first < min) min = first;
    return min;
  }

  /** The open transactions, oldest first: [producerId, firstOffset]. */
  ongoingTransactions(): { producerId: bigint; firstOffset: bigint }[] {
    return [...this.ongoing]
      .map(([producerId, firstOffset]) => ({ producerId, firstOffset }))
      .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /**
   * Forgets producers idle longer than `expirationMs` (producer.id.expiration.ms). A producer
   * with an open transaction is kept, as in Kafka (its transaction times out at the coordinator).
   */
  expire(nowMs: number, expirationMs: number): number {
    let removed = 0;
    for (const [id, entry] of this.producers) {
      if (entry.currentTxnFirstOffset === null && nowMs - entry.lastTimestamp >= expirationMs) {
        this.producers.delete(id);
        removed++;
      }
    }
    if (removed > 0) this.changedSinceSnapshot = true;
    return removed;
  }

  // ------------------------------------------------------------------ snapshots

  private encode(offset: bigint): Buffer {
    const producers = [...this.producers.values()].map((e) => [
      String(e.producerId),
      e.epoch,
      e.lastTimestamp,
      e.batches.map((b) => [b.firstSeq, b.lastSeq, String(b.firstOffset), String(b.lastOffset), b.timestamp]),
      e.currentTxnFirstOffset === null ? null : String(e.currentTxnFirstOffset),
      e.coordinatorEpoch,
    ]);
    return pack({ version: SNAPSHOT_VERSION, offset: String(offset), producers });
  }

  private decode(bytes: Buffer): bigint {
    const doc = unpack(bytes) as {
      version: number;
      offset: string;
      producers: [string, number, number, [number, number, string, string, number][], (string | null)?, number?][];
    };
    if (doc.version !== SNAPSHOT_VERSION && doc.version !== SNAPSHOT_VERSION_NO_TXN) throw new Error(`unsupported producer snapshot version ${doc.version}`);
    this.producers.clear();
    this.ongoing.clear();
    for (const [id, epoch, lastTimestamp, batches, txnFirstOffset, coordinatorEpoch] of doc.producers) {
      const producerId = BigInt(id);
      const currentTxnFirstOffset = txnFirstOffset === undefined || txnFirstOffset === null ? null : BigInt(txnFirstOffset);
      if (currentTxnFirstOffset !== null) this.ongoing.set(producerId, currentTxnFirstOffset);
      this.producers.set(producerId, {
        currentTxnFirstOffset,
        coordinatorEpoch: coordinatorEpoch ?? -1,
        producerId,
        epoch,
        lastTimestamp,
        batches: batches.map(([firstSeq, lastSeq, firstOffset, lastOffset, timestamp]) => ({
          firstSeq,
          lastSeq,
          firstOffset: BigInt(firstOffset),
          lastOffset: BigInt(lastOffset),
          timestamp,
        })),
      });
    }
    return BigInt(doc.offset);
  }

  /** Snapshot offsets present in the directory, newest first. */
  private listSnapshots(): bigint[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const offsets: bigint[] = [];
    for (const name of names) {
      const m = SNAPSHOT_NAME.exec(name);
      if (m !== null) offsets.push(BigInt(m[1]!));
    }
    return offsets.sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  }

  /**
   * Writes a snapshot at `logEndOffset` if producer state changed since the last one (or, with
   * `force`, if the log end moved, so a later replay starts there) and removes older snapshots
   * beyond the retained count. The state is captured synchronously, so it is
   * exactly the state at `logEndOffset`.
   */
  async takeSnapshot(logEndOffset: bigint, force = false): Promise<boolean> {
    if (!this.changedSinceSnapshot && logEndOffset === this.snapshotOffset) return false;
    if (!force && !this.changedSinceSnapshot) return false;
    const bytes = this.encode(logEndOffset);
    this.changedSinceSnapshot = false;
    await native.writeFileAtomic(path.join(this.dir, snapshotFileName(logEndOffset)), bytes);
    this.snapshotOffset = logEndOffset;
    const stale = this.listSnapshots()
      .slice(PRODUCER_SNAPSHOTS_RETAINED)
      .map((o) => path.join(this.dir, snapshotFileName(o)));
    if (stale.length > 0) await native.unlinkFiles(stale);
    return true;
  }

  /** Synchronous variant for shutdown paths. */
  takeSnapshotSync(logEndOffset: bigint): void {
    if (!this.changedSinceSnapshot && logEndOffset === this.snapshotOffset) return;
    native.writeFileAtomicSync(path.join(this.dir, snapshotFileName(logEndOffset)), this.encode(logEndOffset));
    this.changedSinceSnapshot = false;
    this.snapshotOffset = logEndOffset;
    for (const o of this.listSnapshots().slice(PRODUCER_SNAPSHOTS_RETAINED)) fs.rmSync(path.join(this.dir, snapshotFileName(o)), { force: true });
  }

  /**
   * Loads the newest usable snapshot and replays the log from its offset to the end.
   * Returns the offset replay started from and how many batches it read.
   *
   * The replay also rebuilds the `.txnindex` entries the Log lost in recovery: it starts no
   * later than `log.txnIndexRebuildFrom` (a snapshot past it is skipped, not deleted), and
   * every ABORT marker it passes is offered to the Log, which keeps the entries it has. The
   * state is then the Log's source of its last stable offset.
   */
  static load(log: Log, logger: Logger): { state: ProducerStateManager; replayedFrom: bigint; replayedBatches: number } {
    const state = new ProducerStateManager(log.dir);
    return { state, ...state.reload(log, logger) };
  }

  /**
   * Kafka's truncateAndReload: forgets the state and loads it again from the newest snapshot at
   * or below the log end (deleting those past it) plus the log. Call after Log.truncateTo or
   * truncateFullyAndStartAt: transactions opened or closed in the removed range are undone.
   */
  reload(log: Log, logger: Logger): { replayedFrom: bigint; replayedBatches: number } {
    this.producers.clear();
    this.ongoing.clear();
    this.snapshotOffset = -1n;
    const end = log.nextOffset;
    const rebuildFrom = log.txnIndexRebuildFrom;
    let from = log.logStartOffset;
    for (const offset of this.listSnapshots()) {
      const file = path.join(log.dir, snapshotFileName(offset));
      if (offset > end) {
        fs.rmSync(file, { force: true });
        continue;
      }
      if (rebuildFrom !== null && offset > rebuildFrom) continue;
      try {
        const at = this.decode(fs.readFileSync(file));
        this.snapshotOffset = at;
        if (at > from) from = at;
        break;
      } catch (err) {
        logger.warn({ err, file }, 'unreadable producer snapshot; deleting it');
        this.producers.clear();
        this.ongoing.clear();
        fs.rmSync(file, { force: true });
      }
    }
    let batches = 0;
    let offset = from;
    try {
      while (offset < end) {
        // Headers only: the replay needs no record bodies (a window read per small batch run, one pread per large batch).
        const scan = log.batchHeadersSync(offset, PRODUCER_STATE_SCAN_CHUNK_BYTES);
        if (scan === null) break;
        for (let i = 0; i < scan.count; i++) {
          const h = i * BATCH_FIELDS;
          const hd = scan.headers;
          const baseOffset = BigInt(hd[h + BatchField.BaseOffset]!);
          const lastOffset = baseOffset + BigInt(hd[h + BatchField.LastOffsetDelta]!);
          batches++;
          if (lastOffset < offset) continue;
          const attributes = hd[h + BatchField.Attributes]!;
          const producerId = BigInt(hd[h + BatchField.ProducerId]!);
          if ((attributes & CONTROL_FLAG) === 0) {
            this.apply(
              {
                producerId,
                epoch: hd[h + BatchField.ProducerEpoch]!,
                baseSequence: hd[h + BatchField.BaseSequence]!,
                lastOffsetDelta: hd[h + BatchField.LastOffsetDelta]!,
                maxTimestamp: hd[h + BatchField.MaxTimestamp]!,
                isTransactional: (attributes & TRANSACTIONAL_FLAG) !== 0,
              },
              baseOffset,
            );
          } else if ((attributes & TRANSACTIONAL_FLAG) !== 0 && producerId >= 0n) {
            // A transaction marker: its type is in the record key, so this one batch is read whole.
            const marker = readEndTxnMarker(log, baseOffset, producerId, hd[h + BatchField.ProducerEpoch]!);
            if (marker !== null) this.applyEndTxnMarker(marker, log);
          }
          offset = lastOffset + 1n;
        }
      }
    } catch (err) {
      logger.error({ err, log: log.dir, offset: String(offset) }, 'producer state replay stopped at an unreadable batch');
    }
    // Replayed batches are not in any snapshot yet.
    this.changedSinceSnapshot = batches > 0;
    log.trackTransactions(this);
    return { replayedFrom: from, replayedBatches: batches };
  }
}

/** The COMMIT/ABORT marker of the control batch at `offset`; null for other control types. */
function readEndTxnMarker(log: Log, offset: bigint, producerId: bigint, epoch: number): EndTxnMarker | null {
  const [batch] = decodeRecordBatches(log.readSync(offset, 1, { minOneBatch: true }), { verifyCrc: false });
  const record = batch?.records[0];
  if (record === undefined) return null;
  const key = decodeControlRecord(record.key);
  if (key.type !== ControlRecordType.Abort && key.type !== ControlRecordType.Commit) return null;
  return {
    producerId,
    epoch,
    type: key.type,
    coordinatorEpoch: decodeEndTxnMarker(record.value).coordinatorEpoch,
    offset: batch!.header.baseOffset,
    timestamp: record.timestamp,
  };
}
