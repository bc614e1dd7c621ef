/**
 * Hot-path codec cost: `npx vitest bench --run test/protocol` (ns/op = 1e9 / hz).
 *
 * - decode a Produce v9 request: one topic, one partition, a 100 KB records blob
 *   (the blob is a view, so the cost should not depend on its size)
 * - encode a Fetch v12 response: one topic, 10 partitions of 1 KB records each
 *
 * Measured (Node 20, this container): Produce decode ≈ 1.0 µs/op; Fetch encode ≈ 1.75 µs/op
 * into a reused Writer, ≈ 4.3 µs/op with the copy-out that encodeResponse() does.
 */
import { bench, describe } from 'vitest';
import { fetchApi, produceApi } from '../../src/protocol/apis/index.js';
import { codecFor, encodeRequest } from '../../src/protocol/codec.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';

const produceBytes = encodeRequest(produceApi, 9, {
  transactionalId: null,
  acks: -1,
  timeoutMs: 30000,
  topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, records: Buffer.alloc(100 * 1024, 1) }] }],
});
const produceV9 = codecFor(produceApi, 9, 'request');

const fetchBody = {
  throttleTimeMs: 0,
  errorCode: 0,
  sessionId: 0,
  responses: [
    {
      topic: 'orders',
      partitions: Array.from({ length: 10 }, (_, i) => ({
        partitionIndex: i,
        errorCode: 0,
        highWatermark: 1000n + BigInt(i),
        lastStableOffset: 1000n + BigInt(i),
        logStartOffset: 0n,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: Buffer.alloc(1024, i),
      })),
    },
  ],
};
const fetchV12 = codecFor(fetchApi, 12, 'response');
const w = new Writer(64 * 1024);

describe('protocol codec hot paths', () => {
  bench('decode Produce v9 request, 1 partition, 100 KB records', () => {
    produceV9.decode(new Reader(produceBytes));
  });
  bench('encode Fetch v12 response, 10 partitions × 1 KB records (into a reused Writer)', () => {
    w.reset();
    fetchV12.encode(w, fetchBody);
  });
  bench('encode Fetch v12 response, 10 partitions × 1 KB records, plus copy-out', () => {
    w.reset();
    fetchV12.encode(w, fetchBody);
    w.toBuffer();
  });
});
