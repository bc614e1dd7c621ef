/**
 * Timestamps beyond what a JS number holds exactly (found by test/fuzz/produce-append.fuzz):
 * a batch whose records put the max timestamp past 2^53 ms used to be appended, after which
 * closing the segment threw while writing its final time-index entry, at every close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/errors.js';
import { native } from '../../src/native.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { Log } from '../../src/storage/log.js';
import { quietLogger } from '../helpers/logger.js';
import { markUnclean, removeDir, tempDir } from '../helpers/storage.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

/** One record whose base (and so record and max) timestamp is `timestamp`, CRC fixed. */
function batchAt(timestamp: bigint): Buffer {
  const b = encodeRecordBatch([{ value: 'v' }], { now: 1_700_000_000_000 });
  b.writeBigInt64BE(timestamp, 27);
  b.writeBigInt64BE(timestamp, 35);
  b.writeUInt32BE(native.crc32cRange(b, 21, b.length), 17);
  return b;
}

describe('timestamps past the safe-integer range', () => {
  it('a batch with a max timestamp past 2^53 ms is refused with INVALID_TIMESTAMP and the log closes and reopens', async () => {
    const dir = tempDir('ts-range');
    dirs.push(dir);
    const log = await Log.open(dir, { backgroundTasks: false, logger: quietLogger() });
    log.appendBatchesSync(encodeRecordBatch([{ value: 'before' }]));
    for (const t of [2n ** 53n + 10n, 2n ** 62n]) {
      let error: unknown;
      try {
        log.appendBatchesSync(batchAt(t));
      } catch (err) {
        error = err;
      }
      expect(error, `max timestamp ${t}`).toBeInstanceOf(KafkaError);
      expect((error as KafkaError).errorName).toBe('INVALID_TIMESTAMP');
    }
    expect(log.nextOffset).toBe(1n);
    await log.close();
    markUnclean(dir);
    const reopened = await Log.open(dir, { backgroundTasks: false, logger: quietLogger() });
    expect(reopened.nextOffset).toBe(1n);
    await reopened.close();
  });

  it('a max timestamp of exactly 2^53 - 1 ms is stored and indexed', async () => {
    const dir = tempDir('ts-range');
    dirs.push(dir);
    const log = await Log.open(dir, { backgroundTasks: false, logger: quietLogger() });
    log.appendBatchesSync(batchAt(2n ** 53n - 1n));
    expect(log.maxTimestampAndOffset()?.timestamp).toBe(Number.MAX_SAFE_INTEGER);
    await log.close();
  });
});
