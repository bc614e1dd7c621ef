/**
 * Allocates producer ids (InitProducerId). Ids come from blocks reserved by writing the end of
 * the block to disk before any id of it is handed out, so ids stay unique and increasing across
 * restarts, crashes included (a crash skips the rest of the block, as Kafka's block allocation
 * does):
 *
 *   <dataDir>/sluice-producer-ids.meta   msgpackr { version: 1, nextBlockStart: "<bigint>" }
 *
 * written atomically (temp, fsync, rename, fsync dir).
 *
 * Here, in broker/, because InitProducerId for idempotent producers is the broker's today and
 * broker/ may not import txn/ (above it). Kafka keeps it with the transaction coordinator
 * (which answers every InitProducerId); when txn/ has its coordinator, InitProducerId and this
 * allocator move up to it, and in a cluster the blocks come from the controller
 * (AllocateProducerIds) behind the same `generate()`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pack, unpack } from 'msgpackr';
import { native } from '../native.js';
import { PRODUCER_ID_BLOCK_SIZE } from '../limits.js';

export const PRODUCER_IDS_FILE = 'sluice-producer-ids.meta';
const VERSION = 1;

export class ProducerIdManager {
  private readonly file: string;
  private next: bigint;
  private blockEnd: bigint;
  private reserving: Promise<void> | null = null;

  private constructor(file: string, start: bigint) {
    this.file = file;
    this.next = start;
    this.blockEnd = start;
  }

  static load(dataDir: string): ProducerIdManager {
    const file = path.join(dataDir, PRODUCER_IDS_FILE);
    let start = 0n;
    try {
      const doc = unpack(fs.readFileSync(file)) as { version: number; nextBlockStart: string };
      if (doc.version !== VERSION) throw new Error(`${file}: unsupported version ${doc.version}`);
      start = BigInt(doc.nextBlockStart);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new ProducerIdManager(file, start);
  }

  /** The next unused producer id, persisted-safe. */
  async generate(): Promise<bigint> {
    while (this.next >= this.blockEnd) {
      this.reserving ??= this.reserve().finally(() => {
        this.reserving = null;
      });
      await this.reserving;
    }
    return this.next++;
  }

  private async reserve(): Promise<void> {
    const end = this.blockEnd + BigInt(PRODUCER_ID_BLOCK_SIZE);
    await native.writeFileAtomic(this.file, pack({ version: VERSION, nextBlockStart: String(end) }));
    this.blockEnd = end;
  }
}
