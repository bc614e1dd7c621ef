/**
 * Where recent reads of one segment ended, as (offset, position of the batch that starts
 * there) pairs, a fixed number of them replaced round-robin. A consumer's next read starts
 * where its last one ended: found here, it skips the index lookup and the header walk, two of
 * a read's three syscalls. Positions stay batch boundaries until the file is truncated, which
 * must call `clear()`.
 */
export class ReadEnds {
  private ends: number[] = [];
  private next = 0;

  /** `capacity`: a few consumers reading along the same segment. */
  constructor(private readonly capacity = 8) {}

  clear(): void {
    this.ends = [];
    this.next = 0;
  }

  remember(offset: number, position: number): void {
    const ends = this.ends;
    for (let i = 0; i < ends.length; i += 2) if (ends[i] === offset) return;
    if (ends.length < this.capacity * 2) {
      ends.push(offset, position);
    } else {
      ends[this.next] = offset;
      ends[this.next + 1] = position;
      this.next = (this.next + 2) % (this.capacity * 2);
    }
  }

  /** The position where a read ended at `offset`, or -1 when none is remembered. */
  positionOf(offset: number): number {
    const ends = this.ends;
    for (let i = 0; i < ends.length; i += 2) if (ends[i] === offset) return ends[i + 1]!;
    return -1;
  }
}
