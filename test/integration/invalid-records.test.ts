/**
 * Issue 10's first defect, over raw Produce frames against the real daemon: batches whose
 * framing and CRC are right but whose records are not were stored with error 0 (and one moved
 * the log end offset by 2^31, after which consumers stalled). Each now gets Kafka's error with
 * record_errors (v8+), nothing is appended, a consumer (kcat) reads on past it, the next valid
 * produce gets the next offset, and the broker logs a warning naming the client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { Codec, native } from '../../src/native.js';
import { createTopicsApi, produceApi } from '../../src/protocol/index.js';
import { encodeMessageSet, encodeRecordBatch } from '../../src/records/index.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { garbage, invalidBatches } from '../helpers/invalid-batches.js';
import { RawKafkaSocket } from '../helpers/kafka-protocol.js';
import { kcatConsume } from '../helpers/kcat.js';
import { ensureKcat } from '../helpers/system-tools.js';

let broker: BrokerProcess;
let socket: RawKafkaSocket;
/** Values produced successfully to 'victim', in offset order. */
const stored: string[] = [];

async function produce(records: Buffer, version = 9, topic = 'victim') {
  const r = await socket.request(produceApi, version, { acks: -1, timeoutMs: 5000, topics: [{ name: topic, partitions: [{ partitionIndex: 0, records }] }] });
  return r.topics[0]!.partitions[0]!;
}

async function produceValid(value: string): Promise<bigint> {
  const p = await produce(encodeRecordBatch([{ value }]));
  expect(p.errorCode).toBe(0);
  stored.push(value);
  return p.baseOffset;
}

beforeAll(async () => {
  ensureKcat();
  broker = await startBrokerProcess();
  socket = await RawKafkaSocket.connect(broker.port);
  const r = await socket.request(createTopicsApi, 7, {
    topics: [
      { name: 'victim', numPartitions: 1, replicationFactor: 1 },
      { name: 'legacy', numPartitions: 1, replicationFactor: 1 },
    ],
    timeoutMs: 5000,
  });
  expect(r.topics.map((t) => t.errorCode)).toEqual([0, 0]);
  await produceValid('before');
});

afterAll(async () => {
  socket?.destroy();
  expect(await broker.stop()).toBe(0);
});

describe('Produce refuses record batches whose records are invalid', () => {
  for (const c of invalidBatches()) {
    it(`answers ${c.errorName} to a ${c.name}, appends nothing and the log goes on`, async () => {
      const next = BigInt(stored.length);
      const p = await produce(c.batch);
      expect(p.errorCode).toBe(ErrorCode[c.errorName]);
      expect(p.baseOffset).toBe(-1n);
      expect(p.errorMessage).toMatch(/invalid/);
      expect(p.recordErrors).toEqual(c.recordIndex >= 0 ? [{ batchIndex: c.recordIndex, batchIndexErrorMessage: p.errorMessage }] : []);
      // Before v8 there are no record_errors: the same error code all the same.
      expect((await produce(c.batch, 7)).errorCode).toBe(ErrorCode[c.errorName]);
      // Nothing moved the log end offset: the next valid batch gets the next offset.
      expect(await produceValid(`after ${c.name}`)).toBe(next);
    });
  }

  it('refuses the whole partition data when one of its batches is invalid', async () => {
    const next = BigInt(stored.length);
    const [bad] = invalidBatches();
    const p = await produce(Buffer.concat([encodeRecordBatch([{ value: 'valid, but sent with a bad one' }]), bad!.batch]));
    expect(p.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(await produceValid('after the mixed request')).toBe(next);
  });

  it('lets a consumer (kcat) read every stored record and reach the end', async () => {
    const lines = await kcatConsume(`127.0.0.1:${broker.port}`, 'victim', { expectLines: stored.length });
    expect(lines).toEqual(stored);
  });

  it('logs a warning naming the client id and address', () => {
    const warnings = broker
      .output()
      .split('\n')
      .filter((l) => l.includes('produce refused invalid records'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatchObject({ clientId: 'raw-test', clientAddress: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
  });
});

describe('Produce v2 refuses legacy message sets with garbage inside (CORRUPT_MESSAGE)', () => {
  /** One magic-1 message whose value is `value`, with `codec` in its attributes and a right CRC-32. */
  function wrapper(codec: Codec, value: Buffer): Buffer {
    const set = encodeMessageSet([{ value }], { magic: 1 });
    set[12 + 5] = codec; // attributes: the codec bits
    set.writeUInt32BE(native.crc32(set.subarray(12 + 4)), 12);
    return set;
  }

  for (const codec of [Codec.Gzip, Codec.Snappy, Codec.Lz4]) {
    it(`a ${Codec[codec]} wrapper message whose payload is random bytes`, async () => {
      const p = await produce(wrapper(codec, garbage(200, 77 + codec)), 2, 'legacy');
      expect(p.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    });
    it(`a ${Codec[codec]} wrapper message whose payload decompresses to random bytes`, async () => {
      const p = await produce(wrapper(codec, native.compress(codec, garbage(200, 99 + codec))), 2, 'legacy');
      expect(p.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    });
  }

  it('a message whose CRC-32 is wrong, and then a valid set is stored at offset 0', async () => {
    const set = encodeMessageSet([{ value: 'legacy' }], { magic: 1 });
    set[set.length - 1] ^= 0xff;
    expect((await produce(set, 2, 'legacy')).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const ok = await produce(encodeMessageSet([{ value: 'legacy ok' }], { magic: 1, compression: Codec.Gzip }), 2, 'legacy');
    expect(ok).toMatchObject({ errorCode: 0, baseOffset: 0n });
  });
});
