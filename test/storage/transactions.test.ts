import fs from 'node:fs';
import path from 'node:path';
import { pack } from 'msgpackr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Log } from '../../src/storage/log.js';
import { ProducerStateManager, snapshotFileName, type EndTxnMarker } from '../../src/storage/producer-state.js';
import type { AbortedTxn } from '../../src/storage/transaction-index.js';
import { ControlRecordType, encodeEndTxnMarker } from '../../src/records/control-record.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { quietLogger } from '../helpers/logger.js';
import { markUnclean, removeDir, rng, seedFrom, tempDir, waitFor } from '../helpers/storage.js';

let dir: string;
const logs: Log[] = [];

beforeEach(() => {
  dir = tempDir('txn-storage');
});
afterEach(async () => {
  for (const log of logs.splice(0)) await log.close().catch(() => undefined);
  removeDir(dir);
});

/**
 * The reference: Kafka's rules written out plainly. Open transactions by producer; an abort
 * records (producer, first, marker, LSO after it) where the LSO is the oldest other open
 * transaction's first offset, else marker + 1.
 */
class Model {
  readonly open = new Map<bigint, bigint>();
  readonly aborted: AbortedTxn[] = [];
  end = 0n;

  data(producerId: bigint, transactional: boolean, count: number): void {
    if (transactional && !this.open.has(producerId)) this.open.set(producerId, this.end);
    this.end += BigInt(count);
  }

  marker(producerId: bigint, abort: boolean): void {
    const offset = this.end++;
    const first = this.open.get(producerId);
    if (first === undefined) return;
    this.open.delete(producerId);
    if (abort) {
      const others = [...this.open.values()];
      const lso = others.length === 0 ? offset + 1n : others.reduce((a, b) => (b < a ? b : a));
      this.aborted.push({ producerId, firstOffset: first, lastOffset: offset, lastStableOffset: lso });
    }
  }

  get lastStableOffset(): bigint {
    const firsts = [...this.open.values()];
    return firsts.length === 0 ? this.end : firsts.reduce((a, b) => (b < a ? b : a));
  }

  /** What a fetch of [from, upper) must be told: the aborted transactions overlapping it. */
  abortedIn(from: bigint, upper: bigint): AbortedTxn[] {
    return this.aborted.filter((t) => t.lastOffset >= from && t.firstOffset < upper);
  }
}

describe('producer state: open transactions', () => {
  it('interleaved transactional producers move the first unstable offset and report aborts as Kafka does', () => {
    const seed = seedFrom('TXN_MODEL_SEED');
    const r = rng(seed);
    const state = new ProducerStateManager(dir);
    const model = new Model();
    const sink: AbortedTxn[] = [];
    const seq = new Map<bigint, number>();
    for (let step = 0; step < 2000; step++) {
      const producerId = BigInt(r.int(1, 5));
      const kind = r.next();
      if (kind < 0.6) {
        // Producers 1-4 are transactional, 5 is only idempotent.
        const transactional = producerId !== 5n;
        const count = r.int(1, 4);
        const baseSequence = seq.get(producerId) ?? 0;
        seq.set(producerId, baseSequence + count);
        const batch = { producerId, epoch: 0, baseSequence, lastOffsetDelta: count - 1, maxTimestamp: step, isTransactional: transactional };
        expect(state.check([batch]), `seed ${seed} step ${step}`).toEqual({ kind: 'ok' });
        state.apply(batch, model.end);
        model.data(producerId, transactional, count);
      } else if (producerId !== 5n) {
        const abort = kind < 0.8;
        const m: EndTxnMarker = {
          producerId,
          epoch: 0,
          type: abort ? ControlRecordType.Abort : ControlRecordType.Commit,
          coordinatorEpoch: 0,
          offset: model.end,
          timestamp: step,
        };
        expect(state.checkEndTxnMarker(m)).toEqual({ kind: 'ok' });
        const hadOpen = model.open.has(producerId);
        const result = state.applyEndTxnMarker(m, { appendAbortedTxn: (txn) => sink.push(txn) });
        model.marker(producerId, abort);
        expect(result === null, `seed ${seed} step ${step}`).toBe(!hadOpen);
        if (result !== null) expect(result.completed).toMatchObject({ producerId, lastOffset: m.offset, isAborted: abort });
      }
      expect(state.firstUnstableOffset ?? model.end, `seed ${seed} step ${step}`).toBe(model.lastStableOffset);
    }
    expect(sink, `seed ${seed}`).toEqual(model.aborted);
    expect(model.aborted.length).toBeGreaterThan(10);
    expect(state.ongoingTransactions().map((t) => t.producerId)).toEqual(
      [...model.open].sort((a, b) => (a[1] < b[1] ? -1 : 1)).map(([producerId]) => producerId),
    );
  });

  it('an empty transaction (marker without data) completes nothing and is not indexed', () => {
    const state = new ProducerStateManager(dir);
    const sink: AbortedTxn[] = [];
    const result = state.applyEndTxnMarker(
      { producerId: 7n, epoch: 0, type: ControlRecordType.Abort, coordinatorEpoch: 3, offset: 0n, timestamp: 0 },
      { appendAbortedTxn: (t) => sink.push(t) },
    );
    expect(result).toBeNull();
    expect(sink).toEqual([]);
    expect(state.entry(7n)?.coordinatorEpoch).toBe(3);
  });

  it('refuses a marker of an older producer epoch or an older coordinator epoch', () => {
    const state = new ProducerStateManager(dir);
    state.apply({ producerId: 1n, epoch: 2, baseSequence: 0, lastOffsetDelta: 0, maxTimestamp: 0, isTransactional: true }, 0n);
    state.applyEndTxnMarker({ producerId: 1n, epoch: 2, type: ControlRecordType.Commit, coordinatorEpoch: 5, offset: 1n, timestamp: 0 }, null);
    expect(state.checkEndTxnMarker({ producerId: 1n, epoch: 1, coordinatorEpoch: 5 })).toMatchObject({ kind: 'error', errorName: 'INVALID_PRODUCER_EPOCH' });
    expect(state.checkEndTxnMarker({ producerId: 1n, epoch: 2, coordinatorEpoch: 4 })).toMatchObject({
      kind: 'error',
      errorName: 'TRANSACTION_COORDINATOR_FENCED',
    });
    expect(state.checkEndTxnMarker({ producerId: 1n, epoch: 3, coordinatorEpoch: 5 })).toEqual({ kind: 'ok' });
  });

  it('refuses a non-transactional batch from a producer whose transaction is open, in one request too', () => {
    const state = new ProducerStateManager(dir);
    const batch = (baseSequence: number, isTransactional: boolean) => ({
      producerId: 1n,
      epoch: 0,
      baseSequence,
      lastOffsetDelta: 0,
      maxTimestamp: 0,
      isTransactional,
    });
    expect(state.check([batch(0, false), batch(1, true)])).toEqual({ kind: 'ok' });
    expect(state.check([batch(0, true), batch(1, false)])).toMatchObject({ kind: 'error', errorName: 'INVALID_TXN_STATE' });
    state.apply(batch(0, true), 0n);
    expect(state.check([batch(1, false)])).toMatchObject({ kind: 'error', errorName: 'INVALID_TXN_STATE' });
    state.applyEndTxnMarker({ producerId: 1n, epoch: 0, type: ControlRecordType.Commit, coordinatorEpoch: 0, offset: 1n, timestamp: 0 }, null);
    expect(state.check([batch(1, false)])).toEqual({ kind: 'ok' });
  });

  it('keeps a producer with an open transaction past the idle expiration', () => {
    const state = new ProducerStateManager(dir);
    state.apply({ producerId: 1n, epoch: 0, baseSequence: 0, lastOffsetDelta: 0, maxTimestamp: 0, isTransactional: true }, 0n);
    state.apply({ producerId: 2n, epoch: 0, baseSequence: 0, lastOffsetDelta: 0, maxTimestamp: 0 }, 1n);
    expect(state.expire(10_000, 1000)).toBe(1);
    expect(state.entry(1n)).toBeDefined();
    expect(state.firstUnstableOffset).toBe(0n);
  });
});

/** A partition's write path as the broker will drive it: append, then update producer state. */
class Writer {
  readonly model = new Model();
  /** What was written, to replay into a model of a truncated log. */
  readonly ops: { baseOffset: bigint; apply: (m: Model) => void }[] = [];
  private readonly seq = new Map<bigint, number>();
  constructor(
    readonly log: Log,
    public state: ProducerStateManager,
  ) {}

  async data(producerId: bigint, transactional: boolean, count: number): Promise<void> {
    const baseSequence = this.seq.get(producerId) ?? 0;
    this.seq.set(producerId, baseSequence + count);
    const records = Array.from({ length: count }, (_, i) => ({ key: `p${producerId}`, value: `v${baseSequence + i}`.padEnd(60, '.'), timestamp: 1000 }));
    const bytes = encodeRecordBatch(records, { producerId, producerEpoch: 0, baseSequence, isTransactional: transactional });
    const batch = { producerId, epoch: 0, baseSequence, lastOffsetDelta: count - 1, maxTimestamp: 1000, isTransactional: transactional };
    expect(this.state.check([batch])).toEqual({ kind: 'ok' });
    const result = await this.log.appendBatches(bytes);
    expect(result.baseOffset).toBe(this.model.end);
    this.state.apply(batch, result.baseOffset);
    this.model.data(producerId, transactional, count);
    this.ops.push({ baseOffset: result.baseOffset, apply: (m) => m.data(producerId, transactional, count) });
  }

  async marker(producerId: bigint, abort: boolean): Promise<void> {
    const type = abort ? ControlRecordType.Abort : ControlRecordType.Commit;
    const result = await this.log.appendBatches(encodeEndTxnMarker({ type, producerId, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1000 }));
    this.state.applyEndTxnMarker({ producerId, epoch: 0, type, coordinatorEpoch: 0, offset: result.baseOffset, timestamp: 1000 }, this.log);
    this.model.marker(producerId, abort);
    this.ops.push({ baseOffset: result.baseOffset, apply: (m) => m.marker(producerId, abort) });
  }

  /** The model of the log truncated to `offset` (a batch boundary). */
  modelBefore(offset: bigint): Model {
    const m = new Model();
    for (const op of this.ops) if (op.baseOffset < offset) op.apply(m);
    return m;
  }
}

async function openLog(): Promise<{ log: Log; state: ProducerStateManager; replayedFrom: bigint }> {
  const log = await Log.open(dir, { logger: quietLogger(), 'segment.bytes': 1500, 'file.delete.delay.ms': 0, backgroundTasks: false });
  logs.push(log);
  const { state, replayedFrom } = ProducerStateManager.load(log, quietLogger());
  return { log, state, replayedFrom };
}

async function closeLog(log: Log): Promise<void> {
  logs.splice(logs.indexOf(log), 1);
  await log.close();
}

/** Three transactional producers and an idempotent one, interleaved, aborts and commits, a transaction left open. */
async function writeMix(w: Writer, seed: number, midSnapshot = false): Promise<void> {
  const r = rng(seed);
  for (let step = 0; step < 120; step++) {
    if (midSnapshot && step === 60) w.state.takeSnapshotSync(w.log.nextOffset);
    const producerId = BigInt(r.int(1, 4));
    if (producerId === 4n) await w.data(4n, false, r.int(1, 3));
    else if (r.chance(0.65)) await w.data(producerId, true, r.int(1, 3));
    else await w.marker(producerId, r.chance(0.6));
  }
  // Producer 1 ends with an open transaction: the LSO stays at its first offset.
  await w.data(1n, true, 1);
}

function txnIndexFiles(): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.txnindex'));
}

describe('Log: aborted-transaction index and last stable offset', () => {
  it('lists aborted transactions across segment rolls and keeps them, and the LSO, across clean and unclean reopens', async () => {
    const seed = seedFrom('TXN_LOG_SEED');
    let { log, state } = await openLog();
    const w = new Writer(log, state);
    await writeMix(w, seed, true);
    const model = w.model;
    expect(log.segmentCount, `seed ${seed}`).toBeGreaterThan(3);
    expect(model.aborted.length, `seed ${seed}`).toBeGreaterThan(3);
    // Some aborted transaction starts in an earlier segment than its marker's.
    expect(model.aborted.some((t) => log.segmentBaseOffsets.filter((b) => b > t.firstOffset && b <= t.lastOffset).length > 0)).toBe(true);
    expect(txnIndexFiles().length).toBeGreaterThan(1);

    const check = (label: string): void => {
      expect(log.collectAbortedTransactions(0n, log.nextOffset), `${label}, seed ${seed}`).toEqual(model.aborted);
      expect(log.lastStableOffset, `${label}, seed ${seed}`).toBe(model.lastStableOffset);
      expect(log.lastStableOffset).toBeLessThan(log.nextOffset);
      // Fetch-sized windows: every aborted transaction overlapping the window, none other.
      for (let from = 0n; from < log.nextOffset; from += 7n) {
        const upper = from + 20n;
        expect(log.collectAbortedTransactions(from, upper), `${label} [${from}, ${upper}), seed ${seed}`).toEqual(model.abortedIn(from, upper));
      }
    };
    check('live');

    state.takeSnapshotSync(log.nextOffset);
    await closeLog(log);
    ({ log, state } = await openLog());
    check('clean reopen');
    expect(state.firstUnstableOffset).toBe(model.lastStableOffset);

    // After an unclean stop recovery empties every .txnindex past the recovery point; the
    // producer-state replay (from log start: the end snapshot is past it) writes them again.
    await closeLog(log);
    markUnclean(dir);
    ({ log } = await openLog());
    check('unclean reopen');

    // A crash with the recovery point in the last segment: only that segment's index is
    // emptied, and the replay starts at the mid-log snapshot, which carries the transactions
    // open there (the end snapshot lies past the emptied segment, so it is not used).
    await closeLog(log);
    const lastBase = log.segmentBaseOffsets.at(-1)!;
    markUnclean(dir, lastBase + 1n);
    let replayedFrom: bigint;
    ({ log, replayedFrom } = await openLog());
    expect(replayedFrom).toBeGreaterThan(0n);
    expect(replayedFrom).toBeLessThanOrEqual(lastBase);
    check('unclean reopen from the mid-log snapshot');

    await closeLog(log);
    for (const n of fs.readdirSync(dir)) if (n.endsWith('.sluice-snapshot') || n.endsWith('.txnindex')) fs.rmSync(path.join(dir, n));
    markUnclean(dir, 0n);
    ({ log } = await openLog());
    check('rebuilt without snapshots or indexes');
  });

  it('truncation removes the aborted transactions whose marker is past the point, on disk too', async () => {
    const seed = seedFrom('TXN_TRUNCATE_SEED');
    let { log, state } = await openLog();
    const w = new Writer(log, state);
    await writeMix(w, seed);
    const all = w.model.aborted;
    expect(all.length, `seed ${seed}`).toBeGreaterThan(3);
    const cut = all[Math.floor(all.length / 2)]!.lastOffset; // the marker itself goes
    state.takeSnapshotSync(log.nextOffset); // past the cut: the reload must not use it
    await log.truncateTo(cut);
    expect(log.nextOffset).toBe(cut);
    const model = w.modelBefore(cut);
    expect(model.aborted).toEqual(all.filter((t) => t.lastOffset < cut));
    expect(log.collectAbortedTransactions(0n, log.nextOffset), `seed ${seed}`).toEqual(model.aborted);
    for (const n of txnIndexFiles()) expect(BigInt(n.slice(0, 20))).toBeLessThan(log.nextOffset);
    // The truncated marker's transaction is open again once producer state is reloaded.
    state.reload(log, quietLogger());
    expect(state.firstUnstableOffset ?? log.nextOffset, `seed ${seed}`).toBe(model.lastStableOffset);
    expect(log.lastStableOffset, `seed ${seed}`).toBe(model.lastStableOffset);
    expect(log.lastStableOffset).toBeLessThan(cut);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.sluice-snapshot') && BigInt(n.slice(0, 20)) > cut)).toEqual([]);
    state.takeSnapshotSync(log.nextOffset);
    await closeLog(log);
    ({ log } = await openLog());
    expect(log.collectAbortedTransactions(0n, log.nextOffset), `seed ${seed}`).toEqual(model.aborted);
    expect(log.lastStableOffset, `seed ${seed}`).toBe(model.lastStableOffset);
  });

  it('rebuilds a corrupt .txnindex of a sealed segment from the log at open', async () => {
    const seed = seedFrom('TXN_CORRUPT_SEED');
    let { log, state } = await openLog();
    const w = new Writer(log, state);
    await writeMix(w, seed, true);
    state.takeSnapshotSync(log.nextOffset);
    await closeLog(log);
    const victim = txnIndexFiles()[0]!;
    const bytes = fs.readFileSync(path.join(dir, victim));
    bytes.writeInt16BE(7, 0); // an entry version Kafka does not know
    fs.writeFileSync(path.join(dir, victim), bytes);
    let replayedFrom: bigint;
    ({ log, replayedFrom } = await openLog());
    expect(replayedFrom).toBeLessThanOrEqual(BigInt(victim.slice(0, 20)));
    expect(log.collectAbortedTransactions(0n, log.nextOffset), `seed ${seed}`).toEqual(w.model.aborted);
    expect(log.lastStableOffset).toBe(w.model.lastStableOffset);
  });

  it("deletes a segment's .txnindex with the segment when retention removes it", async () => {
    const seed = seedFrom('TXN_RETENTION_SEED');
    const { log, state } = await openLog();
    const w = new Writer(log, state);
    await w.data(9n, true, 1); // opened at offset 0 and never closed
    await writeMix(w, seed);
    const withIndex = txnIndexFiles().map((n) => BigInt(n.slice(0, 20)));
    const newStart = log.segmentBaseOffsets.find((b) => b > withIndex[0]!)!;
    await log.deleteRecordsBefore(newStart);
    // The open transaction that began before the new log start holds the LSO at the log start.
    expect(w.model.lastStableOffset).toBe(0n);
    expect(log.lastStableOffset).toBe(newStart);
    await waitFor(() => txnIndexFiles().every((n) => BigInt(n.slice(0, 20)) >= newStart), "the deleted segments' .txnindex files to go");
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.deleted'))).toEqual([]);
    expect(log.collectAbortedTransactions(newStart, log.nextOffset), `seed ${seed}`).toEqual(w.model.abortedIn(newStart, log.nextOffset));
  });

  it('reads a version-1 producer snapshot (before transactions) as one without open transactions', async () => {
    let { log, state } = await openLog();
    const w = new Writer(log, state);
    await w.data(9n, false, 3);
    await closeLog(log);
    for (const n of fs.readdirSync(dir)) if (n.endsWith('.sluice-snapshot')) fs.rmSync(path.join(dir, n));
    fs.writeFileSync(path.join(dir, snapshotFileName(3n)), pack({ version: 1, offset: '3', producers: [['9', 0, 1000, [[0, 2, '0', '2', 1000]]]] }));
    ({ log, state } = await openLog());
    expect(state.entry(9n)).toMatchObject({ epoch: 0, currentTxnFirstOffset: null, coordinatorEpoch: -1 });
    expect(state.check([{ producerId: 9n, epoch: 0, baseSequence: 0, lastOffsetDelta: 2, maxTimestamp: 1000 }])).toMatchObject({ kind: 'duplicate' });
    expect(log.lastStableOffset).toBe(3n);
  });
});
