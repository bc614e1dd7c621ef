/**
 * A GroupCoordinator on a real Broker (temp dir, no background tasks) for state-machine tests
 * on a ManualClock (a fresh one per test; `tick` moves it): helpers to join, sync and
 * heartbeat, a storage wrapper that can fail appends on demand, and consumer-protocol
 * subscription bytes.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { loadBrokerConfig } from '../../src/broker/broker-config.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, type GroupCoordinatorConfig } from '../../src/group/config.js';
import { GroupCoordinator, type CoordinatorStorage, type JoinGroupRequest, type SyncGroupRequest } from '../../src/group/coordinator.js';
import type { TxnMarkerEvent, TxnProducer } from '../../src/group/offsets-topic-store.js';
import type { JoinGroupResult, SyncGroupResult } from '../../src/group/group.js';
import type { RecordInput } from '../../src/records/index.js';
import { quietLogger } from '../helpers/logger.js';
import { removeDir, tempDir } from '../helpers/storage.js';

/** ConsumerProtocolSubscription v0 bytes: version, topics, null user data. */
export function subscription(topics: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const t of topics) {
    const name = Buffer.from(t);
    const len = Buffer.alloc(2);
    len.writeInt16BE(name.length);
    parts.push(len, name);
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  return Buffer.concat(parts);
}

/** Broker storage whose appends can be made to fail with an error code. */
export class FlakyStorage implements CoordinatorStorage {
  failAppendsWith: number | null = null;
  appends = 0;
  constructor(readonly broker: Broker) {}
  topicId(name: string): string | undefined {
    return this.broker.topicId(name);
  }
  ensureInternalTopic(name: string, partitionCount: number, configs: Record<string, string>): Promise<{ topicId: string; partitionCount: number }> {
    return this.broker.ensureInternalTopic(name, partitionCount, configs);
  }
  appendInternal(
    topic: string,
    partition: number,
    records: RecordInput[],
    nowMs?: number,
    txn?: TxnProducer,
  ): { errorCode: number; errorMessage: string | null; baseOffset: bigint } {
    this.appends++;
    if (this.failAppendsWith !== null) return { errorCode: this.failAppendsWith, errorMessage: 'injected failure', baseOffset: -1n };
    return txn === undefined ? this.broker.appendInternal(topic, partition, records, nowMs) : this.broker.appendInternal(topic, partition, records, nowMs, txn);
  }
  readInternalBatches(topic: string, partition: number, offset: bigint, maxBytes: number) {
    return this.broker.readInternalBatches(topic, partition, offset, maxBytes);
  }
  logEndOffset(topic: string, partition: number): bigint {
    return this.broker.logEndOffset(topic, partition);
  }
  hasPartition(topic: string, partition: number): boolean {
    return this.broker.hasPartition(topic, partition);
  }
  onTopicDeleted(listener: (topic: string) => void): void {
    this.broker.onTopicDeleted(listener);
  }
  onTxnMarkerWritten(listener: (e: TxnMarkerEvent) => void): void {
    this.broker.onTxnMarkerWritten(listener);
  }
}

export async function openBroker(dir: string): Promise<Broker> {
  return Broker.open(loadBrokerConfig({ dataDir: dir, properties: { listeners: 'PLAINTEXT://127.0.0.1:9999' } }), {
    logger: quietLogger(),
    backgroundTasks: false,
  });
}

export const TEST_CONFIG: GroupCoordinatorConfig = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, offsetsTopicNumPartitions: 3 };

/** The clock of the running test (coordinators opened by the suite run on it). */
let clock = new ManualClock();

export function testClock(): ManualClock {
  return clock;
}

export async function openCoordinator(storage: CoordinatorStorage, config: Partial<GroupCoordinatorConfig> = {}): Promise<GroupCoordinator> {
  const c = await GroupCoordinator.open(storage, { ...TEST_CONFIG, ...config }, quietLogger(), { clock });
  if ((await c.findCoordinator()) !== 0) throw new Error('coordinator not available');
  return c;
}

/** What a coordinator test file shares: one broker and its storage, and the coordinators it opened. */
export interface CoordinatorSuite {
  readonly broker: Broker;
  readonly storage: FlakyStorage;
  /** Opens a coordinator on the test's clock, shut down after the test. */
  coordinator(config?: Partial<GroupCoordinatorConfig>): Promise<GroupCoordinator>;
  /** Shuts down a coordinator the test opened itself after the test too. */
  shutDownAfter(c: GroupCoordinator): void;
}

/**
 * Registers the file's hooks: a broker with `topics` in a temp dir for the whole file, a new
 * manual clock and healthy storage for each test, and every coordinator opened shut down after it.
 */
export function coordinatorSuite(dirName: string, topics: { name: string; numPartitions: number }[]): CoordinatorSuite {
  let dir = '';
  let broker: Broker | undefined;
  let storage: FlakyStorage | undefined;
  const opened: GroupCoordinator[] = [];
  beforeAll(async () => {
    dir = tempDir(dirName);
    broker = await openBroker(dir);
    storage = new FlakyStorage(broker);
    await broker.createTopics(
      topics.map((t) => ({ ...t, replicationFactor: 1 })),
      false,
    );
  });
  afterAll(async () => {
    await broker?.close();
    removeDir(dir);
  });
  beforeEach(() => {
    clock = new ManualClock();
    storage!.failAppendsWith = null;
  });
  afterEach(() => {
    for (const c of opened.splice(0)) c.shutdown();
  });
  return {
    get broker() {
      return broker!;
    },
    get storage() {
      return storage!;
    },
    async coordinator(config = {}) {
      const c = await openCoordinator(storage!, config);
      opened.push(c);
      return c;
    },
    shutDownAfter(c) {
      opened.push(c);
    },
  };
}

/** A promise with its outcome readable synchronously (to tell parked from answered). */
export interface Tracked<T> {
  readonly done: boolean;
  readonly value: T;
  readonly promise: Promise<T>;
}

export function track<T>(promise: Promise<T>): Tracked<T> {
  const t = { done: false, value: undefined as T, promise };
  void promise.then((v) => {
    t.done = true;
    t.value = v;
  });
  return t;
}

/**
 * Moves the test's clock by `ms`: runs the timers due and lets the promises they settle run.
 * The default is a few ms: a 0 ms timer fires 1 ms later (as Node's do), and the initial
 * rebalance delay of 0 re-arms itself once when several members join together.
 */
export async function tick(ms = 5): Promise<void> {
  await clock.advance(ms);
}

export const SESSION_MS = 10_000;
export const REBALANCE_MS = 30_000;

export function joinRequest(groupId: string, over: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId,
    memberId: '',
    groupInstanceId: null,
    requireKnownMemberId: false,
    supportSkippingAssignment: false,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: REBALANCE_MS,
    sessionTimeoutMs: SESSION_MS,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    ...over,
  };
}

export function syncRequest(
  groupId: string,
  member: JoinGroupResult,
  assignments: SyncGroupRequest['assignments'] = [],
  over: Partial<SyncGroupRequest> = {},
): SyncGroupRequest {
  return {
    groupId,
    generationId: member.generationId,
    memberId: member.memberId,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments,
    ...over,
  };
}

/**
 * `n` members join `groupId` together and sync: the leader assigns "a<i>" to member i. Returns
 * each member's JoinGroup answer (with its generation) and SyncGroup answer.
 */
export async function stableGroup(
  c: GroupCoordinator,
  groupId: string,
  n: number,
  over: (i: number) => Partial<JoinGroupRequest> = () => ({}),
): Promise<{ joins: JoinGroupResult[]; syncs: SyncGroupResult[] }> {
  const pending = Array.from({ length: n }, (_, i) => track(c.joinGroup(joinRequest(groupId, { clientId: `c${i}`, ...over(i) }))));
  await tick();
  if (!pending.every((p) => p.done)) throw new Error('join phase did not complete');
  const joins = pending.map((p) => p.value);
  const leader = joins.find((j) => j.memberId === j.leader)!;
  const assignments = joins.map((j, i) => ({ memberId: j.memberId, assignment: Buffer.from(`a${i}`) }));
  const syncs = await Promise.all(
    joins.map((j, i) => c.syncGroup(syncRequest(groupId, j, j === leader ? assignments : [], { groupInstanceId: over(i).groupInstanceId ?? null }))),
  );
  return { joins, syncs };
}
