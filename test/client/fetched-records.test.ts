import { describe, expect, it } from 'vitest';
import { Codec, ControlRecordType, encodeEndTxnMarker, encodeMessageSet, encodeRecordBatch } from '../../src/records/index.js';
import { decodeFetchedRecords } from '../../src/client/fetched-records.js';
import { decodeMessages, scanFetched, skipUnreadable } from '../../src/client/fetched-messages.js';

const values = (buf: Buffer | null, options?: Parameters<typeof decodeFetchedRecords>[1]): string[] =>
  decodeFetchedRecords(buf, options).records.map((r) => `${r.offset}:${r.value?.toString() ?? 'null'}`);

describe('decodeFetchedRecords', () => {
  it('returns nothing and no next offset for an empty or null records field', () => {
    expect(decodeFetchedRecords(null)).toEqual({ records: [], nextOffset: null });
    expect(decodeFetchedRecords(Buffer.alloc(0))).toEqual({ records: [], nextOffset: null });
  });

  it('drops a partial batch at the end of a fetch and reports the offset after the last whole one', () => {
    const a = encodeRecordBatch([{ value: 'a' }, { value: 'b' }], { baseOffset: 10n });
    const b = encodeRecordBatch([{ value: 'c' }], { baseOffset: 12n });
    const decoded = decodeFetchedRecords(Buffer.concat([a, b.subarray(0, b.length - 3)]));
    expect(decoded.records.map((r) => r.value?.toString())).toEqual(['a', 'b']);
    expect(decoded.nextOffset).toBe(12n);
  });

  it('skips control batches but moves the next offset past them', () => {
    const data = encodeRecordBatch([{ value: 'x' }], { baseOffset: 0n, producerId: 7n, producerEpoch: 0, isTransactional: true });
    const commit = encodeEndTxnMarker({ type: ControlRecordType.Commit, producerId: 7n, producerEpoch: 0, coordinatorEpoch: 0, baseOffset: 1n });
    const decoded = decodeFetchedRecords(Buffer.concat([data, commit]));
    expect(decoded.records.map((r) => r.value?.toString())).toEqual(['x']);
    expect(decoded.nextOffset).toBe(2n);
  });

  it('drops records of aborted transactions under read_committed and keeps them under read_uncommitted', () => {
    const aborted = encodeRecordBatch([{ value: 'aborted' }], { baseOffset: 0n, producerId: 7n, producerEpoch: 0, isTransactional: true });
    const abort = encodeEndTxnMarker({ type: ControlRecordType.Abort, producerId: 7n, producerEpoch: 0, coordinatorEpoch: 0, baseOffset: 1n });
    const later = encodeRecordBatch([{ value: 'committed' }], { baseOffset: 2n, producerId: 7n, producerEpoch: 0, isTransactional: true });
    const buf = Buffer.concat([aborted, abort, later]);
    const abortedTransactions = [{ producerId: 7n, firstOffset: 0n }];
    expect(values(buf, { abortedTransactions, readCommitted: true })).toEqual(['2:committed']);
    expect(values(buf, { abortedTransactions })).toEqual(['0:aborted', '2:committed']);
  });

  it('reads legacy magic 0 and magic 1 message sets, alone or followed by record batches', () => {
    const v0 = encodeMessageSet([{ value: 'm0' }], { magic: 0, baseOffset: 0n });
    const v1 = encodeMessageSet([{ key: 'k', value: 'm1', timestamp: 1700000000000 }], { magic: 1, baseOffset: 1n });
    const v2 = encodeRecordBatch([{ value: 'm2' }], { baseOffset: 2n });
    const decoded = decodeFetchedRecords(Buffer.concat([v0, v1, v2]));
    expect(decoded.records.map((r) => [r.offset, r.value?.toString(), r.timestampType])).toEqual([
      [0n, 'm0', 'NoTimestamp'],
      [1n, 'm1', 'CreateTime'],
      [2n, 'm2', 'CreateTime'],
    ]);
    expect(decoded.records[1]!.timestamp).toBe(1700000000000);
    expect(decoded.nextOffset).toBe(3n);
  });
});

// ---- read_committed: the same crafted fetches through the console path (decodeFetchedRecords)
// and the consumer's (scanFetched → decodeMessages / skipUnreadable).

const txn = (producerId: bigint, baseOffset: bigint, ...vals: string[]): Buffer =>
  encodeRecordBatch(
    vals.map((value) => ({ value })),
    { baseOffset, producerId, producerEpoch: 0, isTransactional: true },
  );
const marker = (type: ControlRecordType.Abort | ControlRecordType.Commit, producerId: bigint, baseOffset: bigint): Buffer =>
  encodeEndTxnMarker({ type, producerId, producerEpoch: 0, coordinatorEpoch: 0, baseOffset });
const abortAt = (producerId: bigint, baseOffset: bigint): Buffer => marker(ControlRecordType.Abort, producerId, baseOffset);
const commitAt = (producerId: bigint, baseOffset: bigint): Buffer => marker(ControlRecordType.Commit, producerId, baseOffset);

interface Fetched {
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[] | null;
  lastStableOffset: bigint;
}

/** What the consumer hands out from a read_committed fetch, and where its position ends. */
function consumerView(bytes: Buffer, fetched: Fetched, position = 0n): { values: string[]; nextOffset: bigint; resolvedPosition: bigint } {
  const scan = scanFetched(bytes, true, fetched);
  const messages = decodeMessages(bytes, 0, scan.wholeBytes, position, scan.aborted);
  return {
    values: messages.map((m) => `${m.offset}:${m.value?.toString() ?? 'null'}`),
    nextOffset: scan.nextOffset,
    resolvedPosition: skipUnreadable(bytes, scan, position),
  };
}

function consoleView(bytes: Buffer, fetched: Fetched): string[] {
  return values(bytes, { ...fetched, readCommitted: true });
}

describe('read_committed filtering of fetched batches', () => {
  it('drops only the aborted producer of two interleaved transactions', () => {
    const bytes = Buffer.concat([txn(1n, 0n, 'p1-a'), txn(2n, 1n, 'p2-a'), txn(1n, 2n, 'p1-b'), commitAt(2n, 3n), abortAt(1n, 4n), txn(2n, 5n, 'p2-next')]);
    const fetched = { abortedTransactions: [{ producerId: 1n, firstOffset: 0n }], lastStableOffset: 6n };
    expect(consoleView(bytes, fetched)).toEqual(['1:p2-a', '5:p2-next']);
    expect(consumerView(bytes, fetched).values).toEqual(['1:p2-a', '5:p2-next']);
  });

  it('delivers a commit that follows an abort by the same producer: the ABORT marker ends the aborted range', () => {
    const bytes = Buffer.concat([txn(7n, 0n, 'aborted-1', 'aborted-2'), abortAt(7n, 2n), txn(7n, 3n, 'committed'), commitAt(7n, 4n)]);
    const fetched = { abortedTransactions: [{ producerId: 7n, firstOffset: 0n }], lastStableOffset: 5n };
    expect(consoleView(bytes, fetched)).toEqual(['3:committed']);
    const view = consumerView(bytes, fetched);
    expect(view.values).toEqual(['3:committed']);
    expect(view.nextOffset).toBe(5n);
  });

  it('drops two aborted transactions of one producer listed separately and keeps the commit before them', () => {
    const bytes = Buffer.concat([
      txn(7n, 0n, 'committed'),
      commitAt(7n, 1n),
      txn(7n, 2n, 'aborted-1'),
      abortAt(7n, 3n),
      txn(7n, 4n, 'aborted-2'),
      encodeRecordBatch([{ value: 'plain' }], { baseOffset: 5n }),
      abortAt(7n, 6n),
    ]);
    const fetched = {
      abortedTransactions: [
        { producerId: 7n, firstOffset: 4n },
        { producerId: 7n, firstOffset: 2n },
      ],
      lastStableOffset: 7n,
    };
    expect(consoleView(bytes, fetched)).toEqual(['0:committed', '5:plain']);
    expect(consumerView(bytes, fetched).values).toEqual(['0:committed', '5:plain']);
  });

  it('keeps every record under read_uncommitted and when no aborted transaction is listed', () => {
    const bytes = Buffer.concat([txn(7n, 0n, 'a'), abortAt(7n, 1n), txn(7n, 2n, 'b')]);
    expect(values(bytes, { abortedTransactions: [{ producerId: 7n, firstOffset: 0n }] })).toEqual(['0:a', '2:b']);
    expect(consumerView(bytes, { abortedTransactions: [], lastStableOffset: 3n }).values).toEqual(['0:a', '2:b']);
    expect(consumerView(bytes, { abortedTransactions: null, lastStableOffset: -1n }).values).toEqual(['0:a', '2:b']);
  });

  it('moves the position past a fetch that holds only control batches', () => {
    const bytes = Buffer.concat([commitAt(3n, 10n), abortAt(4n, 11n)]);
    const fetched = { abortedTransactions: [], lastStableOffset: 12n };
    expect(decodeFetchedRecords(bytes, { ...fetched, readCommitted: true })).toEqual({ records: [], nextOffset: 12n });
    const view = consumerView(bytes, fetched, 10n);
    expect(view.values).toEqual([]);
    expect(view.nextOffset).toBe(12n);
    expect(view.resolvedPosition).toBe(12n);
  });

  it('moves the position past a fetch that holds only an aborted transaction and its marker', () => {
    const bytes = Buffer.concat([txn(9n, 20n, 'x', 'y'), abortAt(9n, 22n)]);
    const fetched = { abortedTransactions: [{ producerId: 9n, firstOffset: 20n }], lastStableOffset: 23n };
    const view = consumerView(bytes, fetched, 20n);
    expect(view.values).toEqual([]);
    expect(view.resolvedPosition).toBe(23n);
  });

  it('stops skipping at the first data batch the application has not resolved', () => {
    const bytes = Buffer.concat([commitAt(3n, 0n), txn(3n, 1n, 'data'), commitAt(3n, 2n)]);
    const scan = scanFetched(bytes, true, { abortedTransactions: [], lastStableOffset: 3n });
    expect(skipUnreadable(bytes, scan, 0n)).toBe(1n);
    // Once the record at 1 is resolved, the marker after it is passed too.
    expect(skipUnreadable(bytes, scan, 2n)).toBe(3n);
  });

  it('never returns records at or past the last stable offset', () => {
    const bytes = Buffer.concat([txn(1n, 0n, 'stable'), commitAt(1n, 1n), txn(2n, 2n, 'open')]);
    const fetched = { abortedTransactions: [], lastStableOffset: 2n };
    expect(decodeFetchedRecords(bytes, { ...fetched, readCommitted: true })).toEqual({
      records: [expect.objectContaining({ offset: 0n })],
      nextOffset: 2n,
    });
    const view = consumerView(bytes, fetched);
    expect(view.values).toEqual(['0:stable']);
    expect(view.nextOffset).toBe(2n);
    expect(view.resolvedPosition).toBe(0n);
  });

  it.each([
    ['gzip', Codec.Gzip],
    ['snappy', Codec.Snappy],
    ['lz4', Codec.Lz4],
    ['zstd', Codec.Zstd],
  ])('drops an aborted %s-compressed transactional batch and keeps a committed one', (_name, compression) => {
    const batch = (producerId: bigint, baseOffset: bigint, vals: string[]): Buffer =>
      encodeRecordBatch(
        vals.map((value) => ({ value })),
        { baseOffset, producerId, producerEpoch: 0, isTransactional: true, compression },
      );
    const bytes = Buffer.concat([batch(5n, 0n, ['gone-1', 'gone-2']), batch(6n, 2n, ['kept-1', 'kept-2']), abortAt(5n, 4n), commitAt(6n, 5n)]);
    const fetched = { abortedTransactions: [{ producerId: 5n, firstOffset: 0n }], lastStableOffset: 6n };
    expect(consoleView(bytes, fetched)).toEqual(['2:kept-1', '3:kept-2']);
    const view = consumerView(bytes, fetched);
    expect(view.values).toEqual(['2:kept-1', '3:kept-2']);
    expect(view.nextOffset).toBe(6n);
  });

  it('delivers a non-transactional batch of a producer whose transaction was aborted', () => {
    const idempotent = encodeRecordBatch([{ value: 'idempotent' }], { baseOffset: 1n, producerId: 7n, producerEpoch: 0 });
    const bytes = Buffer.concat([txn(7n, 0n, 'aborted'), idempotent, abortAt(7n, 2n)]);
    const fetched = { abortedTransactions: [{ producerId: 7n, firstOffset: 0n }], lastStableOffset: 3n };
    expect(consoleView(bytes, fetched)).toEqual(['1:idempotent']);
    expect(consumerView(bytes, fetched).values).toEqual(['1:idempotent']);
  });
});
