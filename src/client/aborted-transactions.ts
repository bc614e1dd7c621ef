/**
 * read_committed's rule for which fetched batches belong to aborted transactions, as Kafka's
 * consumer applies it (CompletedFetch.nextFetchedRecord):
 *
 * A Fetch response at isolation level read_committed lists, for each partition, the aborted
 * transactions that overlap the returned range: a producer id and the first offset of the
 * transaction. Walking the batches in offset order, each batch that carries a producer id first
 * makes "aborted" every producer whose listed transaction began at or before the batch's last
 * offset. A transactional data batch of an aborted producer is dropped; that producer's ABORT
 * marker (a control batch) ends the aborted range, so its later transactions (committed, or
 * aborted and listed again with a later first offset) are judged afresh. A COMMIT marker does
 * not end anything: a producer cannot be in an aborted and a committed transaction at once.
 *
 * Control batches themselves are never handed to the application; the caller skips them, and
 * moves its position past them all the same.
 */
import { ControlRecordType, decodeControlRecord, decodeRecords, type RecordBatchHeader } from '../records/index.js';

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** What a batch is to a read_committed reader. */
export const enum TxnVerdict {
  /** Data the application gets (a committed or non-transactional batch). */
  Deliver = 0,
  /** A batch of an aborted transaction: skipped, the position moves past it. */
  Aborted = 1,
  /** A control batch (transaction marker): skipped, the position moves past it. */
  Control = 2,
}

export class AbortedTransactions {
  /** The listed transactions by first offset, consumed from `next` on. */
  private readonly pending: AbortedTransaction[];
  private next = 0;
  private readonly abortedProducers = new Set<bigint>();

  constructor(list: readonly AbortedTransaction[] | null | undefined) {
    this.pending =
      list === null || list === undefined ? [] : [...list].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /**
   * The verdict on a whole batch, updating the aborted producers; batches must be passed in
   * offset order. `isAbortMarker` reads a control batch's record (asked only for a control
   * batch of an aborted producer: usually never).
   */
  judge(header: RecordBatchHeader, isAbortMarker: () => boolean): TxnVerdict {
    if (header.producerId >= 0n) {
      const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
      while (this.next < this.pending.length && this.pending[this.next]!.firstOffset <= lastOffset) {
        this.abortedProducers.add(this.pending[this.next]!.producerId);
        this.next++;
      }
      if (header.isControl) {
        if (this.abortedProducers.has(header.producerId) && isAbortMarker()) this.abortedProducers.delete(header.producerId);
        return TxnVerdict.Control;
      }
      if (header.isTransactional && this.abortedProducers.has(header.producerId)) return TxnVerdict.Aborted;
      return TxnVerdict.Deliver;
    }
    return header.isControl ? TxnVerdict.Control : TxnVerdict.Deliver;
  }
}

/** Whether a control batch's first record (none: not a marker) is an ABORT marker. */
export function isAbortRecord(first: { key: Buffer | null } | undefined): boolean {
  return first !== undefined && decodeControlRecord(first.key).type === ControlRecordType.Abort;
}

/** Whether the (whole, checked) control batch at `position` of `buf` holds an ABORT marker. */
export function isAbortMarkerAt(buf: Buffer, position: number): boolean {
  return isAbortRecord(decodeRecords(buf, position, { verifyCrc: false })[0]);
}
