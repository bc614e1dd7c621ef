/**
 * Hostile and broken input over raw sockets against the real daemon: a bad connection is
 * closed (or answered with an error), and the daemon keeps serving everyone else.
 */
import { afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import {
  Reader,
  Writer,
  apiVersionsApi,
  codecFor,
  createTopicsApi,
  encodeRequestFrame,
  metadataApi,
  produceApi,
  writeRequestHeader,
} from '../../src/protocol/index.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { RawKafkaSocket } from '../helpers/kafka-protocol.js';

const SOCKET_REQUEST_MAX_BYTES = 200_000;
const MESSAGE_MAX_BYTES = 20_000;

let broker: BrokerProcess;
const sockets: RawKafkaSocket[] = [];

async function connect(): Promise<RawKafkaSocket> {
  const s = await RawKafkaSocket.connect(broker.port);
  sockets.push(s);
  return s;
}

/** Another client still gets answers: ApiVersions and Metadata on a fresh connection. */
async function expectStillServing(): Promise<void> {
  const s = await connect();
  const versions = await s.request(apiVersionsApi, 3, { clientSoftwareName: 'probe', clientSoftwareVersion: '1' });
  expect(versions.errorCode).toBe(0);
  const md = await s.request(metadataApi, 12, { topics: null, allowAutoTopicCreation: false });
  expect(md.brokers[0]!.port).toBe(broker.port);
}

/** A request header for `apiKey`/`apiVersion` followed by `body` bytes, size-prefixed. */
function frameWithBody(apiKey: number, apiVersion: number, body: Buffer): Buffer {
  const w = new Writer(256);
  w.writeInt32(0);
  writeRequestHeader(w, { apiKey, apiVersion, correlationId: 7, clientId: 'bad' });
  const head = w.toBuffer();
  const frame = Buffer.concat([head, body]);
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** apiKey, apiVersion, correlationId and `rest`, size-prefixed, whatever the version. */
function rawFrame(apiKey: number, apiVersion: number, rest: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeInt32BE(8 + rest.length, 0);
  head.writeInt16BE(apiKey, 4);
  head.writeInt16BE(apiVersion, 6);
  head.writeInt32BE(1, 8);
  return Buffer.concat([head, rest]);
}

beforeAll(async () => {
  broker = await startBrokerProcess({
    args: ['--override', `socket.request.max.bytes=${SOCKET_REQUEST_MAX_BYTES}`, '--override', `message.max.bytes=${MESSAGE_MAX_BYTES}`],
  });
  const s = await connect();
  const r = await s.request(createTopicsApi, 7, { topics: [{ name: 'victim', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 });
  expect(r.topics[0]!.errorCode).toBe(0);
});

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

afterAll(async () => {
  expect(await broker.stop()).toBe(0);
});

describe('frames the daemon cannot answer close that connection only', () => {
  it('a frame size above socket.request.max.bytes', async () => {
    const s = await connect();
    const size = Buffer.alloc(4);
    size.writeInt32BE(SOCKET_REQUEST_MAX_BYTES + 1);
    s.write(size);
    await s.waitClosed();
    await expectStillServing();
  });

  it('a negative frame size', async () => {
    const s = await connect();
    s.write(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
    await s.waitClosed();
    await expectStillServing();
  });

  it('a garbage body for a known API (Metadata v1 claiming 2^31-1 topics)', async () => {
    const s = await connect();
    s.write(frameWithBody(metadataApi.apiKey, 1, Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x00, 0x01])));
    await s.waitClosed();
    await expectStillServing();
  });

  it('a truncated body (CreateTopics cut short)', async () => {
    const s = await connect();
    const whole = encodeRequestFrame(createTopicsApi, 4, 9, 'bad', { topics: [{ name: 'never', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 });
    const cut = Buffer.from(whole.subarray(0, whole.length - 6));
    cut.writeInt32BE(cut.length - 4, 0);
    s.write(cut);
    await s.waitClosed();
    await expectStillServing();
  });

  it('an unknown API key', async () => {
    const s = await connect();
    const frame = Buffer.alloc(4 + 8);
    frame.writeInt32BE(8, 0);
    frame.writeInt16BE(9999, 4);
    frame.writeInt16BE(0, 6);
    frame.writeInt32BE(1, 8);
    s.write(frame);
    await s.waitClosed();
    await expectStillServing();
  });

  it('a version of a served API beyond what ApiVersions advertises (Fetch v99), as Kafka closes it', async () => {
    const s = await connect();
    s.write(rawFrame(1, 99, Buffer.alloc(64)));
    await s.waitClosed();
    await expectStillServing();
  });

  it('a version below the served range (Metadata v-1)', async () => {
    const s = await connect();
    s.write(rawFrame(metadataApi.apiKey, -1, Buffer.alloc(8)));
    await s.waitClosed();
    await expectStillServing();
  });

  it('requests pipelined after a bad one are not answered; earlier ones are', async () => {
    const s = await connect();
    const good = encodeRequestFrame(apiVersionsApi, 0, 1, 'x', {});
    const bad = frameWithBody(metadataApi.apiKey, 1, Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    s.write(Buffer.concat([good, bad, encodeRequestFrame(apiVersionsApi, 0, 3, 'x', {})]));
    const first = await s.nextFrame();
    expect(first.readInt32BE(0)).toBe(1);
    await s.waitClosed();
    await expect(s.nextFrame(100)).rejects.toThrow();
  });
});

describe('errors the daemon answers', () => {
  it('ApiVersions v99: a v0 answer with UNSUPPORTED_VERSION and the full list (KIP-511)', async () => {
    const s = await connect();
    s.write(frameWithBody(apiVersionsApi.apiKey, 99, Buffer.from([0x00, 0x00, 0x00])));
    const frame = await s.nextFrame();
    const r = new Reader(frame, 0, frame.length);
    expect(r.readInt32()).toBe(7); // correlation id, response header v0
    const body = codecFor(apiVersionsApi, 0, 'response').decode(r) as {
      errorCode: number;
      apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[];
    };
    expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(body.apiKeys.map((k) => k.apiKey)).toEqual([
      0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 32, 33, 37, 42, 44, 47, 60, 61, 65, 66,
    ]);
    expect(body.apiKeys.find((k) => k.apiKey === 18)).toEqual({ apiKey: 18, minVersion: 0, maxVersion: 4 });
    // The connection stays usable.
    expect((await s.request(apiVersionsApi, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' })).errorCode).toBe(0);
  });

  it('a batch with a corrupted CRC: CORRUPT_MESSAGE, nothing appended', async () => {
    const s = await connect();
    const batch = encodeRecordBatch([{ key: 'k', value: 'some value that will be damaged' }]);
    batch[batch.length - 3] ^= 0xff;
    const r = await s.request(produceApi, 9, { acks: -1, timeoutMs: 5000, topics: [{ name: 'victim', partitions: [{ partitionIndex: 0, records: batch }] }] });
    expect(r.topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE, baseOffset: -1n });
    const ok = await s.request(produceApi, 9, {
      acks: -1,
      timeoutMs: 5000,
      topics: [{ name: 'victim', partitions: [{ partitionIndex: 0, records: encodeRecordBatch([{ value: 'fine' }]) }] }],
    });
    expect(ok.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
  });

  it('a batch over message.max.bytes: MESSAGE_TOO_LARGE', async () => {
    const s = await connect();
    const batch = encodeRecordBatch([{ value: Buffer.alloc(MESSAGE_MAX_BYTES + 1000, 0x61) }]);
    expect(batch.length).toBeLessThan(SOCKET_REQUEST_MAX_BYTES);
    const r = await s.request(produceApi, 9, { acks: 1, timeoutMs: 5000, topics: [{ name: 'victim', partitions: [{ partitionIndex: 0, records: batch }] }] });
    expect(r.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
  });

  it('FindCoordinator with an unknown key type: INVALID_REQUEST; transaction keys: this node', async () => {
    const s = await connect();
    const { findCoordinatorApi } = await import('../../src/protocol/index.js');
    const r = await s.request(findCoordinatorApi, 2, { key: 'group', keyType: 7 });
    expect(r).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, nodeId: -1, host: '', port: -1 });
    const batched = await s.request(findCoordinatorApi, 4, { keyType: 1, coordinatorKeys: ['txn-a', 'txn-b'] });
    expect(batched.coordinators.map((c) => [c.key, c.errorCode])).toEqual([
      ['txn-a', ErrorCode.NONE],
      ['txn-b', ErrorCode.NONE],
    ]);
  });
});
