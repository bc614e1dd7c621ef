/**
 * One test per corruption mode: each must throw CorruptRecordError with a message saying what
 * is wrong, never return garbage records, never hang.
 */
import { describe, expect, it } from 'vitest';
import { Codec } from '../../src/native.js';
import { CorruptRecordError } from '../../src/records/errors.js';
import { decodeRecordBatches, decodeRecords, encodeRecordBatch, readRecordsInto, type Record } from '../../src/records/record-batch.js';
import { writeVarint } from '../../src/records/varint.js';

const RECORDS_AT = 61;

function batchOf(values: string[], compression: Codec = Codec.None): Buffer {
  return encodeRecordBatch(
    values.map((v) => ({ key: 'key', value: v })),
    { compression, now: 1_700_000_000_000 },
  );
}

function expectCorrupt(fn: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'expected a throw').toBeInstanceOf(CorruptRecordError);
  expect((thrown as CorruptRecordError).code).toBe('CORRUPT_MESSAGE');
  expect((thrown as Error).message).toMatch(message);
}

/** Applies `edit` to a copy of a valid batch; CRC left stale, so decoding runs with verifyCrc off. */
function garbled(edit: (buf: Buffer) => void, values = ['aaaa', 'bbbb', 'cccc']): Buffer {
  const buf = Buffer.from(batchOf(values));
  edit(buf);
  return buf;
}

describe('corrupt record batches', () => {
  it('a batch cut short of its declared length', () => {
    const buf = batchOf(['a', 'b']);
    expectCorrupt(() => decodeRecords(buf.subarray(0, buf.length - 1), 0), /declares \d+ bytes, \d+ present/);
  });

  it('fewer bytes than a batch header', () => {
    expectCorrupt(() => decodeRecords(batchOf(['a']).subarray(0, 40), 0), /header at 0 needs 61 bytes/);
  });

  it('a flipped bit anywhere in the CRC range', () => {
    const valid = batchOf(['hello', 'world']);
    for (let i = 21; i < valid.length; i++) {
      const buf = Buffer.from(valid);
      buf[i]! ^= 0x04;
      expectCorrupt(() => decodeRecords(buf, 0), /CRC-32C/);
    }
  });

  it('a magic other than 2', () => {
    expectCorrupt(
      () =>
        decodeRecords(
          garbled((b) => (b[16] = 1)),
          0,
          { verifyCrc: false },
        ),
      /magic 1/,
    );
  });

  it('a reserved compression codec id', () => {
    expectCorrupt(
      () =>
        decodeRecords(
          garbled((b) => (b[22] = 5)),
          0,
          { verifyCrc: false },
        ),
      /unknown compression codec id 5/,
    );
  });

  it('a batchLength below the header size', () => {
    expectCorrupt(
      () =>
        decodeRecords(
          garbled((b) => b.writeInt32BE(10, 8)),
          0,
          { verifyCrc: false },
        ),
      /batchLength 10/,
    );
  });

  it('a record count larger than the records present', () => {
    expectCorrupt(
      () =>
        decodeRecords(
          garbled((b) => b.writeInt32BE(4, 57)),
          0,
          { verifyCrc: false },
        ),
      /declares 4 records, its records section ends after 3/,
    );
  });

  it('an absurd record count', () => {
    expectCorrupt(
      () =>
        decodeRecords(
          garbled((b) => b.writeInt32BE(0x7fffffff, 57)),
          0,
          { verifyCrc: false },
        ),
      /record count 2147483647/,
    );
    expectCorrupt(
      () =>
        decodeRecords(
          garbled((b) => b.writeInt32BE(-1, 57)),
          0,
          { verifyCrc: false },
        ),
      /record count -1/,
    );
  });

  it('a record count smaller than the records present', () => {
    expectCorrupt(
      () =>
        decodeRecords(
          garbled((b) => b.writeInt32BE(2, 57)),
          0,
          { verifyCrc: false },
        ),
      /bytes left over after the batch's 2 records/,
    );
  });

  it('a record length running past the batch', () => {
    expectCorrupt(
      () =>
        decodeRecords(
          garbled((b) => writeVarint(b, RECORDS_AT, 60)),
          0,
          { verifyCrc: false },
        ),
      /record 0 .* has length 60/,
    );
  });

  it('a record length shorter than its fields', () => {
    // Record 0 body is 1+1+1+1+3+1+4+1 = 13 bytes; declaring 12 makes its fields overrun it.
    expectCorrupt(
      () =>
        decodeRecords(
          garbled((b) => writeVarint(b, RECORDS_AT, 12)),
          0,
          { verifyCrc: false },
        ),
      /record 0/,
    );
  });

  it('a key length overrunning its record', () => {
    expectCorrupt(
      () =>
        decodeRecords(
          garbled((b) => writeVarint(b, RECORDS_AT + 4, 40)),
          0,
          { verifyCrc: false },
        ),
      /key of 40 bytes overruns/,
    );
  });

  it('a negative key length other than -1', () => {
    expectCorrupt(
      () =>
        decodeRecords(
          garbled((b) => writeVarint(b, RECORDS_AT + 4, -2)),
          0,
          { verifyCrc: false },
        ),
      /invalid key length -2/,
    );
  });

  it('a value length overrunning its record', () => {
    expectCorrupt(
      () =>
        decodeRecords(
          garbled((b) => writeVarint(b, RECORDS_AT + 8, 50)),
          0,
          { verifyCrc: false },
        ),
      /value of 50 bytes overruns/,
    );
  });

  it('a header count larger than the record can hold', () => {
    expectCorrupt(
      () =>
        decodeRecords(
          garbled((b) => writeVarint(b, RECORDS_AT + 13, 20)),
          0,
          { verifyCrc: false },
        ),
      /invalid header count 20/,
    );
  });

  it('a varint that never terminates (all continuation bits)', () => {
    const buf = garbled((b) => b.fill(0xff, RECORDS_AT));
    expectCorrupt(() => decodeRecords(buf, 0, { verifyCrc: false }), /varint/);
  });

  it('a compressed section that does not decompress', () => {
    const buf = Buffer.from(batchOf(['x'.repeat(200), 'y'.repeat(200)], Codec.Gzip));
    buf.fill(0x55, RECORDS_AT + 10, RECORDS_AT + 30);
    expectCorrupt(() => decodeRecords(buf, 0, { verifyCrc: false }), /cannot decompress/);
  });

  it('a whole but corrupt batch in a fetched buffer, for decodeRecordBatches and readRecordsInto', () => {
    const good = batchOf(['a']);
    const bad = garbled((b) => b.writeInt32BE(9, 57));
    expectCorrupt(() => decodeRecordBatches(Buffer.concat([good, bad])), /CRC-32C/);
    const out: Record[] = [];
    expectCorrupt(() => readRecordsInto(Buffer.concat([good, bad]), out, 0n), /record/);
  });

  it('random garbling of the records section either decodes or throws CorruptRecordError, never anything else', () => {
    const valid = encodeRecordBatch(Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(i * 10), headers: { h: 'x' } })));
    let seed = 12345;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let round = 0; round < 2000; round++) {
      const buf = Buffer.from(valid);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) buf[RECORDS_AT + Math.floor(random() * (buf.length - RECORDS_AT))] = Math.floor(random() * 256);
      try {
        const records = decodeRecords(buf, 0, { verifyCrc: false });
        expect(records).toHaveLength(20);
      } catch (err) {
        expect(err, `round ${round} (seed 12345)`).toBeInstanceOf(CorruptRecordError);
      }
    }
  });
});
