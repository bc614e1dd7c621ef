/**
 * Embedded callers get the same record validation as Produce: Log.appendBatches refuses a batch
 * whose records are invalid with Kafka's error, appends nothing of the call, and the log goes on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRecordsError } from '../../src/errors.js';
import { Codec } from '../../src/native.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { Log } from '../../src/storage/log.js';
import { invalidBatches } from '../helpers/invalid-batches.js';
import { quietLogger } from '../helpers/logger.js';
import { readAll, removeDir, tempDir } from '../helpers/storage.js';

let dir: string;
let log: Log;

beforeEach(async () => {
  dir = tempDir('record-validation');
  log = await Log.open(dir, { logger: quietLogger(), backgroundTasks: false });
});

afterEach(async () => {
  await log.close();
  removeDir(dir);
});

describe('Log.appendBatches validates the records inside each batch', () => {
  for (const c of invalidBatches()) {
    it(`refuses a ${c.name} with ${c.errorName} and leaves the log unchanged`, async () => {
      await log.appendBatches(encodeRecordBatch([{ value: 'before' }]));
      const valid = encodeRecordBatch([{ value: 'same call' }]);
      const err = await log.appendBatches(Buffer.concat([valid, c.batch])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidRecordsError);
      expect((err as InvalidRecordsError).errorName).toBe(c.errorName);
      expect((err as InvalidRecordsError).batchIndex).toBe(1);
      expect((err as InvalidRecordsError).recordIndex).toBe(c.recordIndex);
      expect(log.nextOffset).toBe(1n); // nothing of the call appended, not even the valid batch
      expect((await log.appendBatches(encodeRecordBatch([{ value: 'after' }]))).baseOffset).toBe(1n);
      expect((await readAll(log)).map((r) => r.value!.toString())).toEqual(['before', 'after']);
    });
  }

  it('accepts valid batches of every codec', async () => {
    for (const compression of [Codec.None, Codec.Gzip, Codec.Snappy, Codec.Lz4, Codec.Zstd]) {
      await log.appendBatches(encodeRecordBatch([{ key: 'k', value: 'v'.repeat(5000), headers: { a: 'b' } }, { value: null }], { compression }));
    }
    expect(log.nextOffset).toBe(10n);
  });

  it('sets a CreateTime batch maxTimestamp from its records, as Kafka does, when the producer sent another', async () => {
    const batch = encodeRecordBatch(
      [
        { value: 'a', timestamp: 5_000 },
        { value: 'b', timestamp: 9_000 },
      ],
      { now: 1 },
    );
    batch.writeBigInt64BE(-1n, 35); // sarama before 1.23 sends -1
    batch.writeUInt32BE((await import('../../src/native.js')).native.crc32cRange(batch, 21, batch.length), 17);
    await log.appendBatches(batch);
    expect(batch.readBigInt64BE(35)).toBe(9_000n);
    expect(await log.offsetForTimestamp(8_000)).toBe(1n);
  });
});
