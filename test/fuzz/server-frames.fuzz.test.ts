/**
 * Fuzzing the server on raw frames: Produce request frames (every served version, acks 0, 1
 * and -1) go through the real Dispatcher and handlers into a real Broker on a temp dir, with
 * mutated record batches (test/fuzz/batches.ts) and mutated frame bytes behind the API key
 * (version, correlation id, client id, topic and partition fields, lengths). Whatever the
 * frame:
 *
 * - the answer is a response frame, no response (acks=0), or MalformedRequestError (the
 *   connection closes); nothing else is thrown and no handler fails (no UNKNOWN_SERVER_ERROR
 *   or KAFKA_STORAGE_ERROR, nothing logged at error level);
 * - a response decodes at the request's version, under its correlation id;
 * - what the broker stored reads back batch by batch, as a consumer would.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { loadBrokerConfig } from '../../src/broker/broker-config.js';
import { ErrorCode } from '../../src/errors.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG } from '../../src/group/config.js';
import { GroupCoordinator } from '../../src/group/coordinator.js';
import { DEFAULT_TRANSACTION_COORDINATOR_CONFIG } from '../../src/txn/config.js';
import { groupOffsetsPartitionFor, TransactionCoordinator } from '../../src/txn/coordinator.js';
import { decodeRequestHeader, produceApi } from '../../src/protocol/index.js';
import { MalformedRequestError, type ConnectionInfo } from '../../src/server/connection.js';
import { Dispatcher } from '../../src/server/dispatcher.js';
import { brokerHandlers } from '../../src/server/handlers/index.js';
import type { Log } from '../../src/storage/log.js';
import { decodeResponseFrame, requestFrame } from '../helpers/kafka-protocol.js';
import { memoryLogger, quietLogger } from '../helpers/logger.js';
import { removeDir, tempDir } from '../helpers/storage.js';
import { buildPayload, payloadArb, readBack } from './batches.js';
import { announce, fuzzParams, mutate, mutationsArb } from './harness.js';

const RUNS = 8_000;
announce('server-frames.fuzz', RUNS);

const TOPIC = 'fuzz';
const connection: ConnectionInfo = { id: 1, remoteAddress: '127.0.0.1:1', listenerName: 'PLAINTEXT' };

let dir: string;
let broker: Broker;
let groups: GroupCoordinator;
let txns: TransactionCoordinator;
let dispatcher: Dispatcher;
let log: Log;
const { logger, lines } = memoryLogger();
const shutdown = new AbortController();
let versions: [number, number];

beforeAll(async () => {
  dir = tempDir('fuzz-server');
  const config = loadBrokerConfig({ dataDir: dir, properties: { listeners: 'PLAINTEXT://127.0.0.1:9999', 'auto.create.topics.enable': 'false' } });
  broker = await Broker.open(config, { logger, backgroundTasks: false });
  groups = await GroupCoordinator.open(broker, DEFAULT_GROUP_COORDINATOR_CONFIG, quietLogger());
  txns = await TransactionCoordinator.open(broker, DEFAULT_TRANSACTION_COORDINATOR_CONFIG, quietLogger(), { offsetsPartitionFor: groupOffsetsPartitionFor(groups) });
  const d: Dispatcher = new Dispatcher(brokerHandlers({ broker, groups, txns, shutdown: shutdown.signal }, () => d.advertised()), logger);
  dispatcher = d;
  const [created] = await broker.createTopics([{ name: TOPIC, numPartitions: 1, replicationFactor: 1 }], false);
  expect(created!.errorCode).toBe(ErrorCode.NONE);
  log = broker.partition(TOPIC, 0)!.log;
  const served = dispatcher.advertised().find((a) => a.apiKey === produceApi.apiKey)!;
  versions = [served.minVersion, served.maxVersion];
});

afterAll(async () => {
  shutdown.abort();
  txns?.shutdown();
  groups?.shutdown();
  await broker?.close();
  removeDir(dir);
});

const frameArb = fc.record({
  payload: payloadArb,
  version: fc.nat(),
  acks: fc.constantFrom(-1, 1, 0),
  frameMutations: fc.option(mutationsArb, { freq: 3, nil: null }),
});

describe('server frame fuzzing', () => {
  it('mutated Produce frames get a decodable answer or a closed connection, and never a handler failure', async () => {
    await fc.assert(
      fc.asyncProperty(frameArb, async ({ payload, version: v, acks, frameMutations }) => {
        const version = versions[0] + (v % (versions[1] - versions[0] + 1));
        let frame = requestFrame(produceApi, version, { acks, timeoutMs: 1000, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, records: buildPayload(payload) }] }] }, 42);
        // Everything behind the API key may change: a different API is another fuzzer's job.
        if (frameMutations !== null) frame = mutate(frame, frameMutations, 2, frame.length);
        const before = log.nextOffset;
        const errorsBefore = lines.filter((l) => (l.level as number) >= 50).length;
        let out;
        try {
          out = await dispatcher.dispatch(frame, connection);
        } catch (err) {
          expect(err).toBeInstanceOf(MalformedRequestError);
          return;
        }
        expect(lines.filter((l) => (l.level as number) >= 50).slice(errorsBefore)).toEqual([]);
        if (out !== null) {
          const { apiVersion, correlationId } = decodeRequestHeader(frame).header;
          const response = decodeResponseFrame(produceApi, apiVersion, Array.isArray(out) ? Buffer.concat(out) : out);
          expect(response.correlationId).toBe(correlationId);
          for (const t of response.body.topics) {
            for (const p of t.partitions) {
              expect(p.errorCode).not.toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
              expect(p.errorCode).not.toBe(ErrorCode.KAFKA_STORAGE_ERROR);
            }
          }
        }
        // Only what this frame appended: an earlier failure must not fail every later input.
        readBack(log, before, log.nextOffset);
      }),
      fuzzParams(RUNS),
    );
  });
});
