/**
 * The `.txnindex` file: Kafka's bytes exactly, a model test (random appends, truncations,
 * resets, reopenings and searches against an in-memory list), one named test per corruption
 * mode, and the file-lifecycle operations a segment needs (flush, rename, delete).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ABORTED_TXN_BYTES, CorruptTransactionIndexError, TransactionIndex, encodeAbortedTxn, type AbortedTxn } from '../../src/storage/transaction-index.js';
import { parseSegmentFileName, segmentPaths, TXN_INDEX_SUFFIX } from '../../src/storage/file-names.js';
import { KafkaError } from '../../src/errors.js';
import { Log } from '../../src/storage/log.js';
import { quietLogger } from '../helpers/logger.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-txnindex-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const txn = (producerId: number, firstOffset: number, lastOffset: number, lastStableOffset: number): AbortedTxn => ({
  producerId: BigInt(producerId),
  firstOffset: BigInt(firstOffset),
  lastOffset: BigInt(lastOffset),
  lastStableOffset: BigInt(lastStableOffset),
});

describe('file name and bytes', () => {
  it('the index of a segment is <20-digit base offset>.txnindex and parses back', () => {
    const paths = segmentPaths(dir, 368n);
    expect(path.basename(paths.txnIndex)).toBe('00000000000000000368.txnindex');
    expect(TXN_INDEX_SUFFIX).toBe('.txnindex');
    expect(parseSegmentFileName('00000000000000000368.txnindex')).toEqual({ baseOffset: 368n, kind: 'txnindex' });
  });

  it('a file we write holds exactly the bytes Kafka writes: version i16 0, then four big-endian i64', () => {
    const file = segmentPaths(dir, 0n).txnIndex;
    const index = TransactionIndex.open(file, 0n);
    index.append(txn(1, 5, 9, 3));
    index.append({ producerId: 0x0102030405060708n, firstOffset: 10n, lastOffset: 0x7fff_ffff_ffff_fffen, lastStableOffset: -1n });
    index.close();
    // Hand-computed from AbortedTxn.java: putShort(0) putLong(pid) putLong(first) putLong(last) putLong(lso).
    expect(fs.readFileSync(file)).toEqual(
      hex(`
        0000 0000000000000001 0000000000000005 0000000000000009 0000000000000003
        0000 0102030405060708 000000000000000a 7ffffffffffffffe ffffffffffffffff
      `),
    );
    expect(ABORTED_TXN_BYTES).toBe(34);
  });

  it('a Kafka-written file is read back entry by entry', () => {
    const file = path.join(dir, '00000000000000000100.txnindex');
    fs.writeFileSync(file, hex('0000 00000000000003e8 0000000000000064 00000000000000c8 0000000000000096'));
    const index = TransactionIndex.open(file, 100n);
    expect(index.allAbortedTxns()).toEqual([txn(1000, 100, 200, 150)]);
    expect(index.tornTailBytes).toBe(0);
    index.sanityCheck();
  });

  it('the file is created only by the first append', () => {
    const file = segmentPaths(dir, 0n).txnIndex;
    const index = TransactionIndex.open(file, 0n);
    expect(index.allAbortedTxns()).toEqual([]);
    index.truncateTo(0n);
    index.reset();
    index.sanityCheck();
    expect(fs.existsSync(file)).toBe(false);
    index.append(txn(1, 0, 1, 0));
    expect(fs.statSync(file).size).toBe(34);
    index.close();
  });
});

describe('append order', () => {
  it('refuses an entry whose last offset does not increase, and the file keeps its entries', () => {
    const file = segmentPaths(dir, 0n).txnIndex;
    const index = TransactionIndex.open(file, 0n);
    index.append(txn(1, 0, 10, 0));
    expect(() => index.append(txn(2, 5, 10, 0))).toThrow(/must increase sequentially/);
    expect(() => index.append(txn(2, 5, 9, 0))).toThrow(RangeError);
    index.append(txn(2, 5, 11, 0));
    index.close();
    expect(TransactionIndex.open(file, 0n).allAbortedTxns()).toEqual([txn(1, 0, 10, 0), txn(2, 5, 11, 0)]);
  });

  it('after a truncation the order restarts from the last kept entry', () => {
    const index = TransactionIndex.open(segmentPaths(dir, 0n).txnIndex, 0n);
    index.append(txn(1, 0, 10, 0));
    index.append(txn(1, 11, 20, 0));
    index.truncateTo(15n);
    expect(index.lastOffset).toBe(10n);
    index.append(txn(3, 12, 14, 0));
    expect(index.allAbortedTxns().map((t) => t.lastOffset)).toEqual([10n, 14n]);
    index.reset();
    expect(index.lastOffset).toBeNull();
    index.append(txn(4, 0, 1, 0));
    index.close();
  });
});

describe("collectAbortedTxns and truncateTo (the cases of Kafka's TransactionIndexTest)", () => {
  const all = [txn(0, 0, 10, 11), txn(1, 5, 15, 13), txn(2, 18, 35, 25), txn(3, 32, 50, 40)];

  it('returns the transactions overlapping [fetchOffset, upperBound) and is complete once an LSO reaches the bound', () => {
    const index = TransactionIndex.open(segmentPaths(dir, 0n).txnIndex, 0n);
    for (const t of all) index.append(t);
    expect(index.collectAbortedTxns(0n, 100n)).toEqual({ abortedTransactions: all, isComplete: false });
    expect(index.collectAbortedTxns(0n, 32n)).toEqual({ abortedTransactions: all.slice(0, 3), isComplete: true });
    expect(index.collectAbortedTxns(0n, 35n)).toEqual({ abortedTransactions: all, isComplete: true });
    expect(index.collectAbortedTxns(10n, 35n)).toEqual({ abortedTransactions: all, isComplete: true });
    expect(index.collectAbortedTxns(11n, 35n)).toEqual({ abortedTransactions: all.slice(1, 4), isComplete: true });
    expect(index.collectAbortedTxns(20n, 41n)).toEqual({ abortedTransactions: all.slice(2, 4), isComplete: false });
    // Ours: an LSO equal to the upper bound completes the search; a last offset equal to the fetch offset overlaps.
    expect(index.collectAbortedTxns(10n, 13n)).toEqual({ abortedTransactions: all.slice(0, 2), isComplete: true });
    expect(index.collectAbortedTxns(15n, 18n)).toEqual({ abortedTransactions: [all[1]], isComplete: true });
    index.close();
  });

  it('truncateTo keeps the entries ending below the offset; reset keeps none; a reopened index appends after them', () => {
    const file = segmentPaths(dir, 0n).txnIndex;
    const entries = [txn(0, 0, 10, 2), txn(1, 5, 15, 16), txn(2, 18, 35, 25), txn(3, 32, 50, 40)];
    const index = TransactionIndex.open(file, 0n);
    for (const t of entries) index.append(t);
    index.truncateTo(51n);
    expect(index.collectAbortedTxns(0n, 100n).abortedTransactions).toEqual(entries);
    index.truncateTo(50n);
    expect(index.collectAbortedTxns(0n, 100n).abortedTransactions).toEqual(entries.slice(0, 3));
    expect(fs.statSync(file).size).toBe(3 * 34);
    index.close();
    const reopened = TransactionIndex.open(file, 0n);
    reopened.append(txn(3, 50, 60, 55));
    expect(reopened.allAbortedTxns()).toEqual([...entries.slice(0, 3), txn(3, 50, 60, 55)]);
    expect(reopened.isEmpty).toBe(false);
    reopened.reset();
    expect(reopened.isEmpty).toBe(true);
    expect(reopened.collectAbortedTxns(0n, 100n).abortedTransactions).toEqual([]);
    expect(fs.statSync(file).size).toBe(0);
    reopened.close();
  });
});

describe('corruption modes', () => {
  it('a torn last entry is cut off at open, reported, and the next append lands on the boundary', () => {
    const file = segmentPaths(dir, 0n).txnIndex;
    const whole = Buffer.concat([encodeAbortedTxn(txn(1, 0, 5, 0)), encodeAbortedTxn(txn(2, 3, 8, 0))]);
    fs.writeFileSync(file, Buffer.concat([whole, encodeAbortedTxn(txn(3, 9, 12, 0)).subarray(0, 20)]));
    const index = TransactionIndex.open(file, 0n);
    expect(index.tornTailBytes).toBe(20);
    expect(index.allAbortedTxns()).toEqual([txn(1, 0, 5, 0), txn(2, 3, 8, 0)]);
    expect(fs.readFileSync(file)).toEqual(whole);
    index.sanityCheck();
    index.append(txn(3, 9, 12, 0));
    index.close();
    expect(TransactionIndex.open(file, 0n).allAbortedTxns()).toHaveLength(3);
  });

  it('a file shorter than one entry opens empty', () => {
    const file = segmentPaths(dir, 0n).txnIndex;
    fs.writeFileSync(file, Buffer.alloc(33, 7));
    const index = TransactionIndex.open(file, 0n);
    expect(index.tornTailBytes).toBe(33);
    expect(index.allAbortedTxns()).toEqual([]);
    expect(fs.statSync(file).size).toBe(0);
  });

  it('an entry of an unknown version is refused as corrupt, naming its position', () => {
    const file = segmentPaths(dir, 0n).txnIndex;
    const bad = encodeAbortedTxn(txn(2, 3, 8, 0));
    bad.writeInt16BE(1, 0);
    fs.writeFileSync(file, Buffer.concat([encodeAbortedTxn(txn(1, 0, 5, 0)), bad]));
    const err = (() => {
      try {
        TransactionIndex.open(file, 0n);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(CorruptTransactionIndexError);
    expect((err as CorruptTransactionIndexError).position).toBe(34);
    expect((err as CorruptTransactionIndexError).errorName).toBe('KAFKA_STORAGE_ERROR');
  });

  it('sanityCheck refuses an entry that ends before the segment base offset (Kafka CorruptIndexException)', () => {
    const file = segmentPaths(dir, 100n).txnIndex;
    fs.writeFileSync(file, encodeAbortedTxn(txn(1, 0, 99, 0)));
    expect(() => TransactionIndex.open(file, 100n).sanityCheck()).toThrow(/less than start offset 100/);
  });

  it('sanityCheck refuses last offsets that do not ascend', () => {
    const file = segmentPaths(dir, 0n).txnIndex;
    fs.writeFileSync(file, Buffer.concat([encodeAbortedTxn(txn(1, 0, 9, 0)), encodeAbortedTxn(txn(2, 0, 9, 0))]));
    expect(() => TransactionIndex.open(file, 0n).sanityCheck()).toThrow(CorruptTransactionIndexError);
  });

  it('sanityCheck refuses a file whose length is not a multiple of 34 (grown behind our back)', () => {
    const file = segmentPaths(dir, 0n).txnIndex;
    const index = TransactionIndex.open(file, 0n);
    index.append(txn(1, 0, 9, 0));
    index.close();
    fs.appendFileSync(file, Buffer.alloc(5));
    expect(() => index.sanityCheck()).toThrow(/not a multiple of 34/);
  });
});

describe('file lifecycle', () => {
  it('flush syncs and releases the descriptor; close releases it too and the index stays usable', async () => {
    const file = segmentPaths(dir, 0n).txnIndex;
    const index = TransactionIndex.open(file, 0n);
    await index.flush(); // nothing written: a no-op
    index.append(txn(1, 0, 9, 0));
    expect(index.hasOpenFd).toBe(true);
    await index.flush();
    expect(index.hasOpenFd).toBe(false);
    index.append(txn(1, 10, 19, 0));
    index.close();
    expect(index.hasOpenFd).toBe(false);
    expect(TransactionIndex.open(file, 0n).allAbortedTxns()).toHaveLength(2);
  });

  it('renameTo moves the file (to .deleted), deleteIfExists removes it and says whether it existed', () => {
    const file = segmentPaths(dir, 0n).txnIndex;
    const index = TransactionIndex.open(file, 0n);
    index.append(txn(1, 0, 9, 0));
    index.renameTo(file + '.deleted');
    expect(fs.existsSync(file)).toBe(false);
    expect(index.path).toBe(file + '.deleted');
    expect(index.deleteIfExists()).toBe(true);
    expect(fs.existsSync(file + '.deleted')).toBe(false);
    expect(index.deleteIfExists()).toBe(false);
    expect(index.allAbortedTxns()).toEqual([]);
  });

  it('renaming an index that has no file yet only changes where the first append creates it', () => {
    const file = segmentPaths(dir, 0n).txnIndex;
    const index = TransactionIndex.open(file, 0n);
    const moved = path.join(dir, 'moved.txnindex');
    index.renameTo(moved);
    index.append(txn(1, 0, 9, 0));
    index.close();
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.statSync(moved).size).toBe(34);
  });

  it('updateParentDir keeps the file name under the new directory', () => {
    const index = TransactionIndex.open(segmentPaths(dir, 7n).txnIndex, 7n);
    index.updateParentDir(path.join(dir, 'topic-0.abc-delete'));
    expect(index.path).toBe(path.join(dir, 'topic-0.abc-delete', '00000000000000000007.txnindex'));
  });

  it('a Log opening its directory keeps the .txnindex beside a .log and removes one whose segment is gone', async () => {
    const options = { logger: quietLogger(), backgroundTasks: false, segmentMs: Number.MAX_SAFE_INTEGER, retentionMs: -1 };
    await (await Log.open(dir, options)).close();
    const kept = segmentPaths(dir, 0n).txnIndex;
    const orphan = segmentPaths(dir, 500n).txnIndex;
    for (const f of [kept, orphan]) fs.writeFileSync(f, encodeAbortedTxn(txn(1, 0, 9, 0)));
    await (await Log.open(dir, options)).close();
    expect(fs.existsSync(kept)).toBe(true);
    expect(fs.existsSync(orphan)).toBe(false);
  });

  it('I/O failures surface as KAFKA_STORAGE_ERROR', () => {
    const index = TransactionIndex.open(path.join(dir, 'missing-dir', '00000000000000000000.txnindex'), 0n);
    expect(() => index.append(txn(1, 0, 9, 0))).toThrow(KafkaError);
    expect(index.allAbortedTxns()).toEqual([]);
  });
});

// ------------------------------------------------------------------------------ the model test

type Op =
  | { kind: 'append'; producerId: number; span: number; gap: number; lsoBack: number }
  | { kind: 'appendStale'; back: number }
  | { kind: 'truncateTo'; pick: number; delta: number }
  | { kind: 'reset' }
  | { kind: 'collect'; from: Bound; upper: Bound }
  | { kind: 'reopen' }
  | { kind: 'flush' };

/**
 * A search bound near one of the model's own offsets (an entry's first, last or last stable
 * offset, ±1), so the boundary cases (an LSO equal to the upper bound, a last offset equal to
 * the fetch offset) come up often; `pick` beyond the entries means an arbitrary offset.
 */
interface Bound {
  pick: number;
  field: 'firstOffset' | 'lastOffset' | 'lastStableOffset';
  delta: number;
}
const boundArb: fc.Arbitrary<Bound> = fc.record({
  pick: fc.nat(60),
  field: fc.constantFrom('firstOffset' as const, 'lastOffset' as const, 'lastStableOffset' as const),
  delta: fc.integer({ min: -1, max: 1 }),
});
function boundValue(model: AbortedTxn[], b: Bound): bigint {
  const entry = model[b.pick];
  return entry === undefined ? BigInt(b.pick * 7 + b.delta) : entry[b.field] + BigInt(b.delta);
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      producerId: fc.nat(5),
      span: fc.nat(30),
      gap: fc.integer({ min: 1, max: 20 }),
      lsoBack: fc.nat(40),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('appendStale' as const), back: fc.nat(10) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncateTo' as const), pick: fc.nat(30), delta: fc.integer({ min: -1, max: 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('collect' as const), from: boundArb, upper: boundArb }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
);

/** What the index must answer, written from the definition rather than as Kafka's loop. */
function modelCollect(model: AbortedTxn[], fetchOffset: bigint, upperBound: bigint): { abortedTransactions: AbortedTxn[]; isComplete: boolean } {
  const stopAt = model.findIndex((t) => t.lastStableOffset >= upperBound);
  const searched = stopAt < 0 ? model : model.slice(0, stopAt + 1);
  return { abortedTransactions: searched.filter((t) => t.lastOffset >= fetchOffset && t.firstOffset < upperBound), isComplete: stopAt >= 0 };
}

describe('model test', () => {
  it('random appends, truncations, resets, reopenings and searches agree with an in-memory list, on disk too', async () => {
    const base = 20n;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
        const file = path.join(dir, `${Math.random().toString(36).slice(2)}.txnindex`);
        let index = TransactionIndex.open(file, base);
        let model: AbortedTxn[] = [];
        for (const op of ops) {
          const last = model.length === 0 ? base - 1n : model[model.length - 1]!.lastOffset;
          switch (op.kind) {
            case 'append': {
              const lastOffset = last + BigInt(op.gap);
              const firstOffset = lastOffset - BigInt(op.span);
              const t: AbortedTxn = { producerId: BigInt(op.producerId), firstOffset, lastOffset, lastStableOffset: lastOffset - BigInt(op.lsoBack) };
              index.append(t);
              model.push(t);
              break;
            }
            case 'appendStale':
              if (model.length === 0) break;
              expect(() => index.append({ producerId: 9n, firstOffset: 0n, lastOffset: last - BigInt(op.back), lastStableOffset: 0n })).toThrow(RangeError);
              break;
            case 'truncateTo': {
              const at = boundValue(model, { pick: op.pick, field: 'lastOffset', delta: op.delta });
              index.truncateTo(at);
              model = model.filter((t) => t.lastOffset < at);
              break;
            }
            case 'reset':
              index.reset();
              model = [];
              break;
            case 'collect': {
              const from = boundValue(model, op.from);
              const upper = boundValue(model, op.upper);
              expect(index.collectAbortedTxns(from, upper)).toEqual(modelCollect(model, from, upper));
              break;
            }
            case 'reopen':
              index.close();
              index = TransactionIndex.open(file, base);
              expect(index.tornTailBytes).toBe(0);
              break;
            case 'flush':
              await index.flush();
              break;
          }
          expect(index.allAbortedTxns()).toEqual(model);
        }
        index.close();
        const onDisk = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
        expect(onDisk).toEqual(Buffer.concat(model.map((t) => encodeAbortedTxn(t))));
        index.sanityCheck();
      }),
      { numRuns: 200 },
    );
  });
});
