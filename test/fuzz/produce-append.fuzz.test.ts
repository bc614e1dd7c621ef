/**
 * Fuzzing the produce path's checks: appendToPartition (src/broker/produce.ts) against a real
 * Log in a temp dir, fed record batches from the record encoder and legacy message sets,
 * mutated where validation must look (test/fuzz/batches.ts). Whatever the bytes:
 *
 * - appendToPartition never throws: bad input is an error code in the result;
 * - nothing it acknowledges breaks a reader: every stored batch decodes (CRC, decompression,
 *   every record), holds lastOffsetDelta + 1 records at consecutive offsets (so a consumer
 *   moves past it), and a rejected request leaves the log end where it was;
 * - the log gives back every acknowledged record, also after an unclean restart (recovery
 *   scans the whole log and must keep every acknowledged batch);
 * - Log.appendBatches, which embedded callers use, refuses with a KafkaError what it cannot
 *   store readably.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partition } from '../../src/broker/partition.js';
import { appendToPartition, type AppendContext } from '../../src/broker/produce.js';
import { ErrorCode, KafkaError } from '../../src/errors.js';
import { Log } from '../../src/storage/log.js';
import { quietLogger } from '../helpers/logger.js';
import { markUnclean, removeDir, tempDir } from '../helpers/storage.js';
import { buildPayload, payloadArb, readBack } from './batches.js';
import { announce, fuzzParams } from './harness.js';

const RUNS = 12_000;
const EMBEDDED_RUNS = 4_000;
announce('produce-append.fuzz', RUNS + EMBEDDED_RUNS);

const ERROR_NAMES = new Map(Object.entries(ErrorCode).map(([name, code]) => [code as number, name]));
const CTX: AppendContext = { transactionalId: null, timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: Number.MAX_SAFE_INTEGER, nowMs: 1_700_000_000_000 };

let dir: string;
let log: Log;
let partition: Partition;
/** Every acknowledged record by offset, as decoded right after its append. */
const acked = new Map<bigint, { key: string | null; value: string | null }>();

function hex(b: Buffer | null): string | null {
  return b === null ? null : b.toString('hex');
}

beforeAll(async () => {
  dir = tempDir('fuzz-produce');
  log = await Log.open(dir, { backgroundTasks: false, logger: quietLogger() });
  partition = await Partition.open('fuzz', 0, log, { topicId: 'AAAAAAAAAAAAAAAAAAAAAA', uncleanStart: false, logger: quietLogger() });
});

afterAll(async () => {
  await log?.close();
  removeDir(dir);
});

/** Inputs that once got a bad batch stored (scripts/fuzz-corpus.mjs, and what fuzzing found). */
const REGRESSIONS = path.join(import.meta.dirname, '..', '..', 'fuzz', 'regressions', 'produce');

/** Outcomes by error name, printed after the run: a fuzzer that only ever hits CRC errors tests little. */
const outcomes = new Map<string, number>();

/** Appends `payload`; checks it was refused with the log unchanged, or stored readably. */
function checkAppend(payload: Buffer): void {
  const before = log.nextOffset;
  const { result } = appendToPartition(partition, 0, payload, CTX);
  const name = ERROR_NAMES.get(result.errorCode) ?? String(result.errorCode);
  outcomes.set(name, (outcomes.get(name) ?? 0) + 1);
  if (result.errorCode !== ErrorCode.NONE) {
    expect(log.nextOffset).toBe(before);
    return;
  }
  if (result.baseOffset < 0n) return; // empty records: nothing appended
  expect(result.baseOffset).toBe(before);
  const records = readBack(log, before, log.nextOffset);
  expect(records.length).toBe(Number(log.nextOffset - before));
  for (const r of records) acked.set(r.offset, { key: hex(r.key), value: hex(r.value) });
}

describe('produce path fuzzing', () => {
  it.each(fs.readdirSync(REGRESSIONS).filter((f) => f.endsWith('.bin')))('regression %s is refused or stored readably', (file) => {
    checkAppend(fs.readFileSync(path.join(REGRESSIONS, file)));
  });

  it('mutated batches are refused with an error or stored so that every reader can decode them', () => {
    outcomes.clear();
    fc.assert(
      fc.property(payloadArb, (spec) => checkAppend(buildPayload(spec))),
      fuzzParams(RUNS),
    );
    console.log(`produce-append.fuzz outcomes: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  });

  it('Log.appendBatches (the embedded path) throws a KafkaError or stores what readers decode', async () => {
    const embeddedDir = tempDir('fuzz-embedded');
    const embedded = await Log.open(embeddedDir, { backgroundTasks: false, logger: quietLogger() });
    try {
      fc.assert(
        fc.property(payloadArb, (spec) => {
          const before = embedded.nextOffset;
          try {
            embedded.appendBatchesSync(buildPayload({ ...spec, kind: 'batches' }));
          } catch (err) {
            expect(err).toBeInstanceOf(KafkaError);
            expect(embedded.nextOffset).toBe(before);
            return;
          }
          readBack(embedded, before, embedded.nextOffset);
        }),
        fuzzParams(EMBEDDED_RUNS),
      );
    } finally {
      await embedded.close();
      removeDir(embeddedDir);
    }
  });

  it('gives back every acknowledged record, also after an unclean restart', async () => {
    const check = () => {
      const all = readBack(log, log.logStartOffset, log.nextOffset);
      expect(all.length).toBe(acked.size);
      for (const r of all) expect({ key: hex(r.key), value: hex(r.value) }).toEqual(acked.get(r.offset));
    };
    check();
    const end = log.nextOffset;
    await log.close();
    markUnclean(dir);
    log = await Log.open(dir, { backgroundTasks: false, logger: quietLogger() });
    expect(log.nextOffset).toBe(end);
    check();
  });
});
