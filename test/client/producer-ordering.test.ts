/**
 * The producer's sender under injected failures: a transport in front of a real broker (its
 * producer state checks sequences, as Kafka's does) that loses answers, refuses requests with
 * retriable or fatal errors and holds answers back so several requests are in flight at once.
 * Whatever fails, each partition's records land once each, in the order they were sent, and
 * every send learns its own offsets. The last test does it over the wire, through a proxy that
 * cuts the connection after Produce requests reached the broker.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProduceTopicData, ProduceTopicResult } from '../../src/broker/types.js';
import { connect } from '../../src/client/connect.js';
import { InProcessTransport } from '../../src/client/in-process-transport.js';
import { Producer, type ProducerOptions } from '../../src/client/producer.js';
import type { ClientTransport } from '../../src/client/transport.js';
import { ErrorCode } from '../../src/errors.js';
import { decodeRecordBatches } from '../../src/records/index.js';
import { Sluice } from '../../src/sluice.js';
import { quietLogger } from '../helpers/logger.js';
import { removeDir, tempDir } from '../helpers/storage.js';

/** What the flaky transport does with the n-th produce call (0-based). */
type Fault = 'lose-answer' | 'not-leader' | 'fatal' | 'ok';

interface Flaky {
  transport: ClientTransport;
  calls: number;
  /** Produce calls in flight at most, seen so far. */
  maxInFlight: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function failAll(topicData: ProduceTopicData[], errorCode: number): ProduceTopicResult[] {
  return topicData.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({
      index: p.index,
      errorCode,
      baseOffset: -1n,
      logAppendTimeMs: -1n,
      logStartOffset: -1n,
      recordErrors: [],
      errorMessage: 'injected',
    })),
  }));
}

/**
 * Delegates to the in-process transport; `fault(n)` decides the fate of the n-th produce call.
 * Every answer is held back a few ms, so the sender keeps several calls in flight.
 */
function flaky(inner: InProcessTransport, fault: (n: number) => Fault): Flaky {
  const state: Flaky = { transport: null as unknown as ClientTransport, calls: 0, maxInFlight: 0 };
  let inFlight = 0;
  const transport = Object.create(inner) as ClientTransport;
  transport.produce = async (acks, timeoutMs, topicData) => {
    const n = state.calls++;
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    try {
      const f = fault(n);
      if (f === 'not-leader') {
        await sleep(5);
        return failAll(topicData, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      }
      if (f === 'fatal') {
        await sleep(5);
        return failAll(topicData, ErrorCode.INVALID_RECORD);
      }
      const results = await inner.produce(acks, timeoutMs, topicData);
      await sleep(5);
      if (f === 'lose-answer') throw new Error('connection lost (injected) after the broker appended');
      return results;
    } finally {
      inFlight--;
    }
  };
  state.transport = transport;
  return state;
}

describe('producer ordering under failures', () => {
  let sluice: Sluice | null = null;
  let dir = '';
  afterEach(async () => {
    await sluice?.close();
    sluice = null;
    removeDir(dir);
  });

  async function setUp(fault: (n: number) => Fault, options: ProducerOptions = {}) {
    dir = tempDir('ordering');
    sluice = await Sluice.open({ dir, logger: quietLogger() });
    await sluice.admin().createTopics({ topics: [{ topic: 't', numPartitions: 2 }] });
    const f = flaky(new InProcessTransport(sluice.broker, sluice.groups, sluice.txns), fault);
    // batchSizeBytes 1: every send is a batch of its own, so many batches per partition are in flight.
    const producer = new Producer(f.transport, { lingerMs: 1, batchSizeBytes: 1, retry: { initialRetryTime: 1 }, ...options });
    return { f, producer };
  }

  async function logOf(partition: number): Promise<{ values: string[]; producerIds: bigint[] }> {
    const r = await sluice!.broker.fetch({
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 24,
      isolationLevel: 0,
      topics: [{ name: 't', partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 24 }] }],
    });
    const batches = decodeRecordBatches(r.topics[0]!.partitions[0]!.records);
    return { values: batches.flatMap((b) => b.records.map((x) => x.value!.toString())), producerIds: [...new Set(batches.map((b) => b.header.producerId))] };
  }

  /** 40 concurrent one-record sends, alternating partitions 0 and 1. */
  function sendAll(producer: Producer) {
    return Array.from({ length: 40 }, (_, i) => producer.send({ topic: 't', messages: [{ value: String(i), partition: i % 2 }] }));
  }

  const expected = (partition: number) =>
    Array.from({ length: 40 }, (_, i) => i)
      .filter((i) => i % 2 === partition)
      .map(String);

  it('resends a batch whose answer was lost with the same sequence, so the broker keeps one copy', async () => {
    const { f, producer } = await setUp((n) => (n % 3 === 1 ? 'lose-answer' : 'ok'));
    const sent = await Promise.all(sendAll(producer));
    expect((await logOf(0)).values).toEqual(expected(0));
    expect((await logOf(1)).values).toEqual(expected(1));
    expect(f.maxInFlight).toBeGreaterThan(1);
    // Each send learned an offset of its own record (or -1 where the broker reported a duplicate).
    for (const [i, metadata] of sent.entries()) {
      const m = metadata[0]!;
      expect(m.partition).toBe(i % 2);
      if (m.baseOffset >= 0n) expect(m.baseOffset).toBe(BigInt(Math.floor(i / 2)));
    }
  });

  it('keeps each partition in order when a request fails retriably while later ones are in flight (OUT_OF_ORDER_SEQUENCE_NUMBER behind the gap)', async () => {
    const { f, producer } = await setUp((n) => (n === 2 || n === 9 ? 'not-leader' : 'ok'));
    await Promise.all(sendAll(producer));
    expect(f.maxInFlight).toBeGreaterThan(1);
    expect((await logOf(0)).values).toEqual(expected(0));
    expect((await logOf(1)).values).toEqual(expected(1));
  });

  it('fails only the sends of a request refused for good, and sends the later ones under a new producer id, in order', async () => {
    const { producer } = await setUp((n) => (n === 3 ? 'fatal' : 'ok'));
    const results = await Promise.allSettled(sendAll(producer));
    // The refused request carried one batch of each partition: two sends, one per partition.
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    expect(failed.map((i) => i % 2).sort()).toEqual([0, 1]);
    for (const i of failed) expect(results[i]).toMatchObject({ status: 'rejected', reason: { errorName: 'INVALID_RECORD' } });
    for (const p of [0, 1]) {
      const log = await logOf(p);
      expect(log.values).toEqual(expected(p).filter((v) => !failed.includes(Number(v))));
      expect(log.producerIds).toHaveLength(2);
    }
    // Sends after the failure still work.
    await producer.send({ topic: 't', messages: [{ value: 'after', partition: 0 }] });
    expect((await logOf(0)).values.at(-1)).toBe('after');
  });

  it('without idempotence keeps one request per partition in flight, so a retried batch cannot be overtaken', async () => {
    const { producer } = await setUp((n) => (n === 2 || n === 5 ? 'not-leader' : 'ok'), { acks: 1 });
    await Promise.all(sendAll(producer));
    expect((await logOf(0)).values).toEqual(expected(0));
    expect((await logOf(1)).values).toEqual(expected(1));
  });

  it('coalesces concurrent sends into one batch per partition and one request, each send resolving with its own offset', async () => {
    const { f, producer } = await setUp(() => 'ok', { batchSizeBytes: 16384, lingerMs: 20 });
    const sent = await Promise.all(sendAll(producer));
    expect(f.calls).toBe(1);
    expect(sent.map((m) => [m[0]!.partition, m[0]!.baseOffset])).toEqual(Array.from({ length: 40 }, (_, i) => [i % 2, BigInt(Math.floor(i / 2))]));
    expect((await logOf(0)).values).toEqual(expected(0));
  });

  it('fails a send with a malformed message on its own, while the sends lingering with it land', async () => {
    const { producer } = await setUp(() => 'ok', { batchSizeBytes: 16384, lingerMs: 20 });
    const good = [
      producer.send({ topic: 't', messages: [{ value: 'a', partition: 0 }] }),
      producer.send({ topic: 't', messages: [{ value: 'b', partition: 0 }] }),
    ];
    await expect(producer.send({ topic: 't', messages: [{ value: 42 as unknown as string, partition: 0 }] })).rejects.toThrow(TypeError);
    await Promise.all(good);
    expect((await logOf(0)).values).toEqual(['a', 'b']);
  });

  it('flush() sends what lingers at once and resolves when it is answered', async () => {
    const { producer } = await setUp(() => 'ok', { batchSizeBytes: 16384, lingerMs: 60_000 });
    let done = false;
    const sent = producer.send({ topic: 't', messages: [{ value: 'x', partition: 1 }] }).then(() => (done = true));
    await producer.flush();
    await sent;
    expect(done).toBe(true);
    expect((await logOf(1)).values).toEqual(['x']);
  });

  it('gives up after retry.retries and fails the sends with the last error', async () => {
    const { producer } = await setUp(() => 'not-leader', { retry: { retries: 2, initialRetryTime: 1 } });
    await expect(producer.send({ topic: 't', messages: [{ value: 'x', partition: 0 }] })).rejects.toMatchObject({ errorName: 'NOT_LEADER_OR_FOLLOWER' });
  });
});

describe('producer ordering over a connection that breaks', () => {
  let sluice: Sluice | null = null;
  let proxy: net.Server | null = null;
  let dir = '';
  afterEach(async () => {
    proxy?.close();
    proxy = null;
    await sluice?.close();
    sluice = null;
    removeDir(dir);
  });

  it('resends what was in flight when the connection dropped after the broker appended it, and the log keeps one copy in order', async () => {
    dir = tempDir('ordering-net');
    sluice = await Sluice.open({ dir, logger: quietLogger() });
    await sluice.admin().createTopics({ topics: [{ topic: 't', numPartitions: 1 }] });
    let host = '';
    let port = 0;
    // A proxy that forwards Kafka frames and, after the 3rd and 7th Produce requests reached the
    // broker, cuts the connection before their answers come back.
    let produces = 0;
    proxy = net.createServer((client) => {
      const upstream = net.connect({ host, port });
      let pending = Buffer.alloc(0);
      client.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 6 && pending.length >= 4 + pending.readInt32BE(0)) {
          const size = 4 + pending.readInt32BE(0);
          const frame = pending.subarray(0, size);
          pending = pending.subarray(size);
          upstream.write(frame);
          if (frame.readInt16BE(4) === 0 && [3, 7].includes(++produces)) {
            setTimeout(() => {
              client.destroy();
              upstream.destroy();
            }, 20);
            return;
          }
        }
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
    const proxyPort = (proxy.address() as net.AddressInfo).port;
    // The broker advertises the proxy, so Metadata routes the partition's leader through it too.
    const { addresses } = await sluice.listen({ listeners: 'PLAINTEXT://127.0.0.1:0', advertisedListeners: `PLAINTEXT://127.0.0.1:${proxyPort}` });
    // A listener as NAME://host:port.
    const bound = /^[A-Za-z_]+:\/\/(.+):(\d+)$/.exec(addresses[0]!)!;
    host = bound[1]!;
    port = Number(bound[2]);
    const client = await connect({ brokers: [`127.0.0.1:${proxyPort}`], clientId: 'ordering', logger: quietLogger(), retry: { initialRetryTime: 10 } });
    try {
      const producer = client.producer({ batchSizeBytes: 1 });
      await producer.connect();
      await Promise.all(Array.from({ length: 40 }, (_, i) => producer.send({ topic: 't', messages: [{ value: String(i) }] })));
      const r = await sluice.broker.fetch({
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 24,
        isolationLevel: 0,
        topics: [{ name: 't', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 24 }] }],
      });
      const values = decodeRecordBatches(r.topics[0]!.partitions[0]!.records).flatMap((b) => b.records.map((x) => x.value!.toString()));
      expect(produces).toBeGreaterThanOrEqual(7);
      expect(values).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    } finally {
      await client.close();
    }
  });
});
