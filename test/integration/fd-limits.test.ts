/**
 * Issue 10's third defect, as it was found: one CreateTopics of 8,000 partitions against a
 * broker whose fd limit is lower than three fds per partition. It used to exhaust the fds,
 * fail with KAFKA_STORAGE_ERROR, leave the directories behind, and the next start died with
 * `listen EMFILE`. Segments now open their files on demand under a bounded handle cache, so
 * the request succeeds, the broker stays within its budget, and it restarts and serves.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopicsApi, encodeRequestFrame } from '../../src/protocol/index.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { decodeResponseFrame, RawKafkaSocket } from '../helpers/kafka-protocol.js';
import { kcatConsume, kcatProduce } from '../helpers/kcat.js';
import { ensureKcat } from '../helpers/system-tools.js';

const FD_LIMIT = 1024;
const PARTITIONS = 8000;
const start = (dataDir: string): Promise<BrokerProcess> =>
  startBrokerProcess({ dataDir, fdLimit: FD_LIMIT, startTimeoutMs: 120_000, args: ['--override', `max.broker.partitions=${PARTITIONS * 2}`] });

/** Descriptors of the broker process open on files of its data directory. */
function dataFds(broker: BrokerProcess): number {
  const dir = `/proc/${broker.child.pid}/fd`;
  let n = 0;
  for (const fd of fs.readdirSync(dir)) {
    try {
      if (fs.readlinkSync(path.join(dir, fd)).startsWith(broker.dataDir)) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

let dataDir: string;
let broker: BrokerProcess | undefined;

beforeAll(() => {
  ensureKcat();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-fd-limits-'));
});

afterAll(async () => {
  if (broker !== undefined) await broker.stop().catch(() => undefined);
  await fs.promises.rm(dataDir, { recursive: true, force: true });
}, 120_000);

describe(`a broker under ulimit -n ${FD_LIMIT}`, () => {
  it(`creates ${PARTITIONS} partitions in one CreateTopics, stays within its fd budget, and restarts after SIGTERM to serve produce and fetch across them`, async () => {
    broker = await start(dataDir);
    const socket = await RawKafkaSocket.connect(broker.port);
    socket.write(
      encodeRequestFrame(createTopicsApi, 7, 1, 'fd-test', { topics: [{ name: 'wide', numPartitions: PARTITIONS, replicationFactor: 1 }], timeoutMs: 600_000 }),
    );
    const { body } = decodeResponseFrame(createTopicsApi, 7, await socket.nextFrame(300_000));
    socket.destroy();
    expect(body.topics[0]).toMatchObject({ name: 'wide', errorCode: 0, numPartitions: PARTITIONS });
    expect(fs.readdirSync(dataDir).filter((n) => n.startsWith('wide-')).length).toBe(PARTITIONS);
    // Half the limit for segment handles (three fds each), the rest for sockets.
    expect(dataFds(broker)).toBeLessThanOrEqual(FD_LIMIT / 2);
    expect(await broker.stop('SIGTERM', 120_000)).toBe(0);

    broker = await start(dataDir);
    expect(dataFds(broker)).toBeLessThanOrEqual(FD_LIMIT / 2);
    const bootstrap = `127.0.0.1:${broker.port}`;
    const targets = [0, 1, PARTITIONS / 2, PARTITIONS - 1];
    for (const p of targets) await kcatProduce(bootstrap, 'wide', `p${p}-a\np${p}-b\n`, ['-p', String(p)]);
    for (const p of targets) expect(await kcatConsume(bootstrap, 'wide', { partition: p, expectLines: 2 })).toEqual([`p${p}-a`, `p${p}-b`]);
    expect(await broker.stop('SIGTERM', 120_000)).toBe(0);
    broker = undefined;
  }, 900_000);
});
