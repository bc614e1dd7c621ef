/**
 * The consumer: kafkajs' subscribe / run({ eachMessage | eachBatch }) / commitOffsets /
 * seek / pause / resume / stop / disconnect over a ClientTransport — `Broker.fetch` and the
 * GroupCoordinator of this process, or Fetch and the group requests over the wire. Membership
 * is group-membership.ts's state machine either way, so in-process consumers and
 * kafkajs/kcat/Java consumers over the wire can share one group.
 *
 * The loop (one per consumer, like a Java consumer's poll thread):
 *
 *   rejoin if needed (subscription changed, heartbeat said so, leader saw topics change)
 *   → positions of new partitions: committed offset, else earliest/latest (fromBeginning)
 *   → long-poll fetch of every assigned, unpaused partition (woken early by seek, pause,
 *     resume, stop, or a rebalance) — over the network usually the one already in flight
 *   → check the fetched batches (fetched-messages.ts) and, over the network, send the next
 *     fetch at once (fetch-pipeline.ts)
 *   → hand the records to eachMessage / eachBatch partition by partition, in offset order
 *     (eachBatch in runs of maxPollRecords)
 *   → auto-commit every `autoCommitInterval` ms / `autoCommitThreshold` records.
 *
 * Next to it: consumer-api.ts (the public shapes and events), partition-states.ts (positions,
 * pauses and seeks of the assigned partitions).
 *
 * Offsets: a partition's position is the next offset to hand out; committing commits
 * positions (Kafka's "next offset to consume"). With eachMessage the position moves past a
 * message when its handler resolves; with eachBatch on `resolveOffset` (and at the end of the
 * batch with eachBatchAutoResolve). Auto-commit also runs before partitions are revoked and on
 * stop, so a clean handover re-delivers nothing.
 *
 * A handler that throws is retried from the failed message after a backoff (kafkajs' retry
 * settings); after `retry.retries` failures in a row the consumer crashes: it emits
 * 'consumer.crash', leaves the group and stops.
 */
import { EventEmitter } from 'node:events';
import { ListOffsetsTimestamp, type FetchResult } from '../broker/types.js';
import { ErrorCode, KafkaError, errorNameOf } from '../errors.js';
import { builtInAssignor, type PartitionAssignor } from '../group/assignors/index.js';
import type { Logger } from '../logger.js';
import { decodeRecordBatchHeader, decodeRecords, recordBatchSize } from '../records/index.js';
import {
  ConsumerEvents,
  type AssignorOption,
  type Batch,
  type ConsumerEvent,
  type ConsumerEventName,
  type ConsumerEventPayloads,
  type ConsumerOptions,
  type RunOptions,
  type SubscribeOptions,
} from './consumer-api.js';
import { FetchPipeline, type FetchTarget } from './fetch-pipeline.js';
import { decodeMessages, runEnd, scanFetched, skipUnreadable, toMessage, type FetchedScan } from './fetched-messages.js';
import { GroupMembership, type GroupMembershipOptions, type JoinOutcome } from './group-membership.js';
import { PartitionStates, groupByTopic, key, type PartitionState } from './partition-states.js';
import type { GroupTransport } from './group-membership.js';
import type { ClientTransport } from './transport.js';
import type { TopicPartition, TopicPartitionOffsetAndMetadata, TopicPartitions } from './types.js';

export {
  ConsumerEvents,
  type AssignorOption,
  type Batch,
  type ConsumerEvent,
  type ConsumerEventName,
  type ConsumerEventPayloads,
  type ConsumerOptions,
  type EachBatchPayload,
  type EachMessagePayload,
  type RunOptions,
  type SubscribeOptions,
} from './consumer-api.js';

interface TopicSubscription {
  matcher: string | RegExp;
  fromBeginning: boolean;
}

/** Fetched bytes were checked by scanFetched (or need no check): decoding does not check again. */
const NO_CRC_CHECK = { verifyCrc: false } as const;

function toOffset(v: bigint | string | number): bigint {
  const o = typeof v === 'bigint' ? v : BigInt(v);
  if (o < 0n) throw new RangeError(`offset must not be negative, got ${o}`);
  return o;
}

function resolveAssignor(a: AssignorOption): PartitionAssignor {
  if (typeof a !== 'string') return a;
  const found = builtInAssignor(a);
  if (found === undefined) throw new RangeError(`unknown partition assignor '${a}' (expected range, roundrobin, sticky or cooperative-sticky)`);
  return found;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export class Consumer {
  readonly groupId: string;
  readonly events = ConsumerEvents;
  private readonly emitter = new EventEmitter();
  private readonly groupTransport: GroupTransport;
  /**
   * In process, fetched bytes come straight from this process's log, which checked every batch's
   * CRC-32C when it was appended and checks what it reads from disk that it has not checked since
   * (Segment.verified): a second check here would only repeat it. Over the wire they are checked
   * (Kafka's check.crcs).
   */
  private readonly verifyCrc: boolean;
  private readonly fetcher: FetchPipeline;
  private readonly membershipOptions: GroupMembershipOptions;
  private membership: GroupMembership;
  private readonly maxWaitTimeInMs: number;
  private readonly minBytes: number;
  private readonly maxBytes: number;
  private readonly maxBytesPerPartition: number;
  private readonly maxPollRecords: number;
  private readonly metadataMaxAge: number;
  private readonly isolationLevel: number;
  private readonly retries: number;
  private readonly initialRetryTime: number;
  private readonly maxRetryTime: number;
  private readonly subscriptions: TopicSubscription[] = [];
  private readonly states = new PartitionStates();
  private readonly seenCounts = new Map<string, number>();
  private run_: Required<Omit<RunOptions, 'eachMessage' | 'eachBatch'>> & Pick<RunOptions, 'eachMessage' | 'eachBatch'> = {
    autoCommit: true,
    autoCommitInterval: 5_000,
    autoCommitThreshold: null,
    eachBatchAutoResolve: true,
    partitionsConsumedConcurrently: 1,
  };
  private running = false;
  private loopDone: Promise<void> | null = null;
  private keepAlive: NodeJS.Timeout | undefined;
  private wake = new AbortController();
  /** Aborted by stop(): a JoinGroup parked in the coordinator is abandoned (the member then leaves). */
  private stopping = new AbortController();
  private nextMetadataRefreshMs = 0;
  private lastCommitMs = Date.now();
  private uncommittedCount = 0;
  private joinedOnce = false;
  private disconnected = false;

  constructor(
    private readonly transport: ClientTransport,
    options: ConsumerOptions,
    private readonly logger: Logger,
    private readonly onClose: (c: Consumer) => void = () => undefined,
  ) {
    if (typeof options.groupId !== 'string' || options.groupId.length === 0) throw new KafkaError('INVALID_GROUP_ID', 'a consumer needs a non-empty groupId');
    this.groupId = options.groupId;
    this.groupTransport = transport.groupTransport(options.clientId);
    this.verifyCrc = transport.kind !== 'in-process';
    this.membershipOptions = {
      groupId: options.groupId,
      groupInstanceId: options.groupInstanceId ?? null,
      sessionTimeoutMs: options.sessionTimeout ?? 30_000,
      rebalanceTimeoutMs: options.rebalanceTimeout ?? 60_000,
      heartbeatIntervalMs: options.heartbeatInterval ?? 3_000,
      assignors: (options.partitionAssigners ?? ['range', 'cooperative-sticky']).map(resolveAssignor),
    };
    this.membership = this.newMembership();
    this.maxWaitTimeInMs = options.maxWaitTimeInMs ?? 500;
    this.minBytes = options.minBytes ?? 1;
    this.maxBytes = options.maxBytes ?? 52_428_800;
    this.maxBytesPerPartition = options.maxBytesPerPartition ?? 1_048_576;
    this.maxPollRecords = options.maxPollRecords ?? 500;
    if (!Number.isInteger(this.maxPollRecords) || this.maxPollRecords < 1)
      throw new RangeError(`maxPollRecords must be a positive integer, not ${String(options.maxPollRecords)}`);
    this.metadataMaxAge = options.metadataMaxAge ?? 300_000;
    this.isolationLevel = options.readUncommitted === true ? 0 : 1;
    this.fetcher = new FetchPipeline(transport, {
      maxWaitMs: this.maxWaitTimeInMs,
      minBytes: this.minBytes,
      maxBytes: this.maxBytes,
      partitionMaxBytes: this.maxBytesPerPartition,
      isolationLevel: this.isolationLevel,
    });
    this.retries = options.retry?.retries ?? 5;
    this.initialRetryTime = options.retry?.initialRetryTime ?? 300;
    this.maxRetryTime = options.retry?.maxRetryTime ?? 30_000;
  }

  // ------------------------------------------------------------------ events

  on<E extends ConsumerEventName>(event: E, listener: (e: ConsumerEvent<E>) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  private emit<E extends ConsumerEventName>(type: E, payload: ConsumerEventPayloads[E]): void {
    try {
      this.emitter.emit(type, { type, timestamp: Date.now(), payload });
    } catch (err) {
      this.logger.error({ err, event: type }, 'consumer event listener threw');
    }
  }

  // ------------------------------------------------------------------ subscription

  /** kafkajs parity: there is nothing to connect to. */
  async connect(): Promise<void> {
    this.ensureUsable();
  }

  async subscribe(options: SubscribeOptions): Promise<void> {
    this.ensureUsable();
    if (this.running) throw new KafkaError('INVALID_REQUEST', 'subscribe before run');
    const topics = options.topics ?? (options.topic === undefined ? [] : [options.topic]);
    if (topics.length === 0) throw new RangeError('subscribe needs topics (names or RegExps)');
    for (const t of topics) {
      if (typeof t !== 'string' && !(t instanceof RegExp)) throw new TypeError(`invalid topic ${String(t)}: a name or a RegExp`);
      this.subscriptions.push({ matcher: t, fromBeginning: options.fromBeginning ?? false });
    }
  }

  private async matchedTopics(): Promise<string[]> {
    const names = new Set<string>();
    const hasRegExp = this.subscriptions.some((s) => s.matcher instanceof RegExp);
    const all = hasRegExp ? (await this.transport.metadata(null, false)).topics.filter((t) => !t.isInternal).map((t) => t.name) : [];
    for (const s of this.subscriptions) {
      if (typeof s.matcher === 'string') names.add(s.matcher);
      else {
        const re = s.matcher;
        for (const n of all) {
          re.lastIndex = 0;
          if (re.test(n)) names.add(n);
        }
      }
    }
    return [...names];
  }

  private fromBeginning(topic: string): boolean {
    for (const s of this.subscriptions) {
      if (typeof s.matcher === 'string' ? s.matcher === topic : ((s.matcher.lastIndex = 0), s.matcher.test(topic))) return s.fromBeginning;
    }
    return false;
  }

  // ------------------------------------------------------------------ run / stop

  /** Starts consuming; resolves once the loop runs (it joins the group in the background). */
  async run(options: RunOptions): Promise<void> {
    this.ensureUsable();
    if (this.running) throw new KafkaError('INVALID_REQUEST', 'the consumer is already running');
    if (this.subscriptions.length === 0) throw new KafkaError('INVALID_REQUEST', 'subscribe before run');
    if ((options.eachMessage === undefined) === (options.eachBatch === undefined)) throw new TypeError('run needs exactly one of eachMessage and eachBatch');
    this.run_ = {
      autoCommit: options.autoCommit ?? true,
      autoCommitInterval: options.autoCommitInterval === undefined ? 5_000 : options.autoCommitInterval,
      autoCommitThreshold: options.autoCommitThreshold ?? null,
      eachBatchAutoResolve: options.eachBatchAutoResolve ?? true,
      partitionsConsumedConcurrently: Math.max(1, options.partitionsConsumedConcurrently ?? 1),
      ...(options.eachMessage === undefined ? {} : { eachMessage: options.eachMessage }),
      ...(options.eachBatch === undefined ? {} : { eachBatch: options.eachBatch }),
    };
    this.running = true;
    this.stopping = new AbortController();
    // The coordinator's and the fetch's timers are unref'd (a broker must not keep a process
    // alive); a running consumer does, as a Java consumer's thread does.
    this.keepAlive = setInterval(() => undefined, 1 << 30);
    this.nextMetadataRefreshMs = 0;
    this.lastCommitMs = Date.now();
    this.loopDone = this.loop();
  }

  /** Stops consuming: the record in hand finishes, positions are committed (auto-commit), the member leaves its group. */
  async stop(): Promise<void> {
    if (!this.running && this.loopDone === null) return;
    this.running = false;
    this.stopping.abort();
    this.wakeUp();
    await this.loopDone;
    this.loopDone = null;
  }

  /** Stops and releases the consumer; it cannot be used again. */
  async disconnect(): Promise<void> {
    if (this.disconnected) return;
    await this.stop();
    await this.leave();
    this.disconnected = true;
    this.onClose(this);
    this.emit(ConsumerEvents.DISCONNECT, null);
  }

  private async leave(): Promise<void> {
    try {
      await this.membership.leave();
    } catch (err) {
      this.logger.warn({ err, group: this.groupId }, 'leaving the group failed');
    }
  }

  private ensureUsable(): void {
    if (this.disconnected) throw new KafkaError('INVALID_REQUEST', 'the consumer is disconnected');
  }

  private wakeUp(): void {
    this.wake.abort();
  }

  private async loop(): Promise<void> {
    try {
      while (this.running) {
        if (this.wake.signal.aborted) this.wake = new AbortController();
        await this.refreshMetadata();
        if (!this.running) break;
        if (this.membership.needsRejoin) {
          await this.rebalance();
          continue;
        }
        await this.initPositions();
        // The partitions to fetch, grouped by topic, straight from their states.
        const fetchable: PartitionState[] = [];
        for (const st of this.states.values()) if (st.position !== null && !st.paused) fetchable.push(st);
        if (fetchable.length === 0) {
          this.fetcher.cancel();
          await sleep(this.maxWaitTimeInMs, this.wake.signal);
          await this.maybeAutoCommit();
          continue;
        }
        fetchable.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
        let result: FetchResult;
        try {
          result = await this.fetcher.fetch(
            fetchable.map((st) => ({ topic: st.topic, partition: st.partition, fetchOffset: st.position! })),
            this.wake.signal,
          );
        } catch (err) {
          if (this.wake.signal.aborted) continue;
          throw err;
        }
        await this.process(result, fetchable);
        await this.maybeAutoCommit();
      }
      await this.commitPositions();
    } catch (err) {
      this.running = false;
      this.logger.error({ err, group: this.groupId }, 'consumer crashed');
      this.emit(ConsumerEvents.CRASH, { groupId: this.groupId, error: err as Error, restart: false });
    } finally {
      this.fetcher.cancel();
      this.states.revokeAll();
      await this.leave();
      this.membership = this.newMembership();
      clearInterval(this.keepAlive);
      this.emit(ConsumerEvents.STOP, null);
    }
  }

  /** A member that has not joined; a stopped consumer that runs again joins as a new member. */
  private newMembership(): GroupMembership {
    const m = new GroupMembership(this.groupTransport, this.membershipOptions);
    m.onRejoinNeeded = () => this.wakeUp();
    m.onHeartbeat = () => this.emit(ConsumerEvents.HEARTBEAT, { groupId: this.groupId, memberId: m.memberId, groupGenerationId: m.generationId });
    return m;
  }

  // ------------------------------------------------------------------ membership

  /**
   * Partition counts of the topics subscribed by name, looked at every loop (a map lookup): in
   * process a topic created or grown after the subscription is assigned at once; over the
   * network once a Metadata response shows it (every metadataMaxAge, or a group rejoin). RegExp
   * subscriptions are matched again every metadataMaxAge.
   */
  private namedTopicsChanged(): boolean {
    let changed = false;
    for (const sub of this.subscriptions) {
      if (typeof sub.matcher !== 'string') continue;
      const count = Math.max(0, this.transport.partitionCount(sub.matcher));
      if (this.seenCounts.get(sub.matcher) !== count) {
        if (this.seenCounts.has(sub.matcher)) changed = true;
        this.seenCounts.set(sub.matcher, count);
      }
    }
    return changed;
  }

  private async refreshMetadata(): Promise<void> {
    const now = Date.now();
    if (now >= this.nextMetadataRefreshMs) {
      this.nextMetadataRefreshMs = now + this.metadataMaxAge;
      // Over the network, partition counts are those of the last Metadata: refresh them first,
      // so a count learned later is not mistaken for a topic that grew.
      if (this.transport.kind === 'network') {
        const named = this.subscriptions.flatMap((s) => (typeof s.matcher === 'string' ? [s.matcher] : []));
        if (named.length > 0) await this.transport.metadata(named, false);
      }
      this.membership.setTopics(await this.matchedTopics());
      if (await this.membership.assignedMetadataChanged()) this.membership.requestRejoin();
    }
    if (this.namedTopicsChanged()) this.membership.requestRejoin();
  }

  private async rebalance(): Promise<void> {
    this.emit(ConsumerEvents.REBALANCING, { groupId: this.groupId, memberId: this.membership.memberId });
    const started = Date.now();
    if (this.membership.protocol === 'eager' && this.states.size > 0) {
      await this.commitPositions();
      const revoked = this.membership.revokeAll();
      this.states.revokeAll();
      this.emit(ConsumerEvents.PARTITIONS_REVOKED, { groupId: this.groupId, partitions: revoked });
    }
    // A join waits for every member of the group (up to the rebalance timeout); stop() must
    // not wait that long: it abandons the join, and leaving the group releases the others.
    const joining = this.membership.join();
    const signal = this.stopping.signal;
    let onStop = (): void => undefined;
    const stopped = new Promise<null>((resolve) => {
      onStop = () => resolve(null);
      if (signal.aborted) resolve(null);
      else signal.addEventListener('abort', onStop, { once: true });
    });
    let outcome: JoinOutcome | null;
    try {
      outcome = await Promise.race([joining, stopped]);
    } finally {
      signal.removeEventListener('abort', onStop);
    }
    if (outcome === null) {
      joining.catch(() => undefined);
      return;
    }
    if (outcome.revoked.length > 0) {
      const gone = outcome.revoked.flatMap((t) => t.partitions.map((p) => key(t.topic, p)));
      await this.commitPositions(new Set(gone));
      this.states.revoke(gone);
      this.emit(ConsumerEvents.PARTITIONS_REVOKED, { groupId: this.groupId, partitions: outcome.revoked });
    }
    for (const t of outcome.added) for (const p of t.partitions) this.states.add(t.topic, p);
    this.joinedOnce = true;
    const memberAssignment: { [topic: string]: number[] } = {};
    for (const t of outcome.assignment) memberAssignment[t.topic] = [...t.partitions];
    this.emit(ConsumerEvents.GROUP_JOIN, {
      groupId: this.groupId,
      memberId: outcome.memberId,
      leaderId: outcome.leaderId,
      isLeader: outcome.isLeader,
      memberAssignment,
      groupProtocol: outcome.protocol,
      duration: Date.now() - started,
    });
    if (outcome.added.length > 0) this.emit(ConsumerEvents.PARTITIONS_ASSIGNED, { groupId: this.groupId, partitions: outcome.added });
  }

  /** Committed offsets (or the reset policy) for partitions without a position; pending seeks win. */
  private async initPositions(): Promise<void> {
    const missing = [...this.states.values()].filter((s) => s.position === null);
    if (missing.length === 0) return;
    for (const s of missing) this.states.applyPendingSeek(s);
    const unknown = missing.filter((s) => s.position === null);
    if (unknown.length === 0) return;
    const committed = await this.membership.committed(unknown.map((s) => ({ topic: s.topic, partition: s.partition })));
    const reset: PartitionState[] = [];
    for (const s of unknown) {
      const c = committed.find((x) => x.topic === s.topic && x.partition === s.partition);
      if (s.position !== null) continue; // seeked meanwhile
      if (c !== undefined && c.offset >= 0n) {
        s.position = c.offset;
        s.committed = c.offset;
      } else reset.push(s);
    }
    await this.resetPositions(reset);
  }

  /** auto.offset.reset: earliest when the topic was subscribed fromBeginning, else latest. */
  private async resetPositions(states: PartitionState[]): Promise<void> {
    if (states.length === 0) return;
    const results = await this.transport.listOffsets(
      this.isolationLevel,
      groupByTopic(states).map((t) => ({
        name: t.topic,
        partitions: t.partitions.map((p) => ({
          partition: p,
          timestamp: this.fromBeginning(t.topic) ? ListOffsetsTimestamp.EARLIEST : ListOffsetsTimestamp.LATEST,
        })),
      })),
    );
    for (const t of results) {
      for (const p of t.partitions) {
        const s = this.states.get(t.name, p.partitionIndex);
        if (s === undefined || s.position !== null) continue;
        if (p.errorCode !== ErrorCode.NONE) {
          this.logger.warn({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode }, 'offset reset failed; retrying');
          continue;
        }
        s.position = p.offset;
      }
    }
  }

  // ------------------------------------------------------------------ processing

  /**
   * Hands the records of a fetch to the application, partition by partition. Each partition's
   * bytes are checked first (sizes, and CRCs over the wire) and where its position will be once
   * they are handled is known then: over the network the next fetch is sent at once, so it
   * travels while the handlers run (fetch-pipeline.ts).
   */
  private async process(result: FetchResult, fetched: readonly PartitionState[]): Promise<void> {
    const work: (() => Promise<void>)[] = [];
    const next = new Map<PartitionState, bigint>();
    let predictable = true;
    for (const t of result.topics) {
      for (const p of t.partitions) {
        const s = this.states.get(t.name, p.partitionIndex);
        if (s === undefined || s.position === null) continue;
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          predictable = false;
          this.logger.info({ topic: s.topic, partition: s.partition, position: s.position }, 'position out of range; resetting');
          s.position = null;
          await this.resetPositions([s]);
          continue;
        }
        if (p.errorCode !== ErrorCode.NONE) {
          predictable = false;
          this.logger.warn({ topic: s.topic, partition: s.partition, error: errorNameOf(p.errorCode) }, 'fetch error');
          continue;
        }
        if (p.records.length === 0) continue;
        let scan: FetchedScan | Error;
        try {
          scan = scanFetched(p.records, this.verifyCrc, this.isolationLevel === 1 ? p : null);
          if (scan.nextOffset > s.position) next.set(s, scan.nextOffset);
        } catch (err) {
          // Handed to processPartition, which fails as a handler failure does (retries, then a crash).
          scan = err as Error;
          predictable = false;
        }
        const bytes = p.records;
        const highWatermark = p.highWatermark;
        // Lag under read_committed is counted to the last stable offset, as the Java consumer's.
        const endOffset = this.isolationLevel === 1 && p.lastStableOffset >= 0n ? p.lastStableOffset : highWatermark;
        work.push(() => this.processPartition(s, bytes, highWatermark, endOffset, scan));
      }
    }
    if (predictable && this.fetcher.enabled && this.running && !this.membership.needsRejoin) {
      const targets: FetchTarget[] = [];
      for (const st of fetched) {
        if (st.position === null || st.paused || st.revoked) continue;
        targets.push({ topic: st.topic, partition: st.partition, fetchOffset: next.get(st) ?? st.position });
      }
      this.fetcher.prefetch(targets);
    }
    const concurrency = this.run_.partitionsConsumedConcurrently;
    for (let i = 0; i < work.length; i += concurrency) {
      if (!this.running || this.membership.needsRejoin) return;
      await Promise.all(work.slice(i, i + concurrency).map((w) => w()));
    }
  }

  private async processPartition(s: PartitionState, bytes: Buffer, highWatermark: bigint, endOffset: bigint, scan: FetchedScan | Error): Promise<void> {
    const start = s.position!;
    const epoch = s.seekEpoch;
    const stale = (): boolean => !this.running || this.membership.needsRejoin || s.seekEpoch !== epoch || s.paused || s.revoked;
    const pause = (): (() => void) => {
      this.pause([{ topic: s.topic, partitions: [s.partition] }]);
      return () => this.resume([{ topic: s.topic, partitions: [s.partition] }]);
    };
    const heartbeat = async (): Promise<void> => {
      await this.membership.heartbeat();
    };
    try {
      if (scan instanceof Error) throw scan;
      // Where the position goes when nothing more in the fetch is for the application (control
      // batches, aborted transactions, records before the position): past the last whole batch.
      const afterLast = scan.nextOffset;
      if (this.run_.eachMessage !== undefined) {
        const each = this.run_.eachMessage;
        const topic = s.topic;
        const partition = s.partition;
        // One record batch decoded at a time: few records are alive across the handler's
        // awaits, so young-generation GCs have little to copy. CRCs were checked by the scan.
        let handled: bigint | null = null;
        try {
          for (let pos = 0, size = recordBatchSize(bytes, pos); size > 0 && pos + size <= scan.wholeBytes; pos += size, size = recordBatchSize(bytes, pos)) {
            const header = decodeRecordBatchHeader(bytes, pos);
            if (header.isControl || header.baseOffset + BigInt(header.lastOffsetDelta) < start || scan.aborted?.has(pos) === true) continue;
            if (pos > 0) await this.letIoIn();
            const records = decodeRecords(bytes, pos, NO_CRC_CHECK);
            for (let i = 0; i < records.length; i++) {
              const r = records[i]!;
              if (r.offset < start) continue;
              if (!this.running || this.membership.needsRejoin || s.seekEpoch !== epoch || s.paused || s.revoked) return;
              const message = toMessage(r);
              await each({ topic, partition, message, heartbeat, pause });
              if (s.seekEpoch !== epoch) return;
              handled = message.offset;
              this.uncommittedCount++;
            }
          }
        } finally {
          // The position moves past each handled record; set once, not per record (a BigInt each).
          if (handled !== null && s.seekEpoch === epoch) {
            s.position = handled + 1n;
            s.failures = 0;
          }
        }
      } else {
        const each = this.run_.eachBatch!;
        const resolve = (next: bigint): void => {
          if (s.seekEpoch !== epoch || s.revoked) return;
          if (s.position === null || next > s.position) {
            this.uncommittedCount += Number(next - (s.position ?? next));
            s.position = next;
          }
        };
        const payload = {
          resolveOffset: (offset: bigint | string | number) => resolve(toOffset(offset) + 1n),
          heartbeat,
          commitOffsetsIfNecessary: () => this.maybeAutoCommit(),
          uncommittedOffsets: () => this.uncommitted().map((o) => ({ ...o })),
          isRunning: () => this.running,
          isStale: stale,
          pause,
        };
        // The fetch is handed out in runs of whole record batches of up to maxPollRecords
        // records (fetched-messages.ts: runEnd), each one eachBatch call.
        for (let from = 0; from < scan.wholeBytes;) {
          const to = runEnd(bytes, from, scan.wholeBytes, this.maxPollRecords);
          const messages = decodeMessages(bytes, from, to, start, scan.aborted);
          from = to;
          if (messages.length === 0) continue;
          const batch: Batch = {
            topic: s.topic,
            partition: s.partition,
            highWatermark,
            messages,
            isEmpty: () => messages.length === 0,
            firstOffset: () => messages[0]?.offset ?? null,
            lastOffset: () => (messages.length > 0 ? messages[messages.length - 1]!.offset : endOffset - 1n),
            offsetLag: () => endOffset - 1n - messages[messages.length - 1]!.offset,
            offsetLagLow: () => endOffset - 1n - messages[0]!.offset,
          };
          await each({ batch, ...payload });
          await this.letIoIn();
          if (this.run_.eachBatchAutoResolve) resolve(messages[messages.length - 1]!.offset + 1n);
          s.failures = 0;
          if (stale()) return;
        }
        // Control batches and aborted transactions after the last record are passed too; without
        // auto-resolve only those right at the resolved position (a fetch of nothing but markers
        // must still move the consumer on).
        if (!this.run_.eachBatchAutoResolve) {
          if (!stale()) s.position = skipUnreadable(bytes, scan, s.position!);
          return;
        }
      }
      if (!stale() && afterLast > s.position!) s.position = afterLast;
    } catch (err) {
      s.failures++;
      if (s.failures > this.retries) throw err;
      const backoff = Math.min(this.maxRetryTime, this.initialRetryTime * 2 ** (s.failures - 1));
      this.logger.warn(
        { err, topic: s.topic, partition: s.partition, attempt: s.failures, backoffMs: backoff },
        'handler failed; retrying from the failed record',
      );
      // The position stayed at the failed record: the next fetch hands it out again.
      await this.commitPositions();
      await sleep(backoff, this.wake.signal);
    }
  }

  /**
   * Over the network, a turn of the event loop between runs of records: handlers that resolve at
   * once chain microtasks only, and without a turn the socket would not be read until the whole
   * fetch is handed out — the prefetched response would wait in the kernel's buffer, with the
   * broker blocked writing it.
   */
  private letIoIn(): Promise<void> | undefined {
    return this.fetcher.enabled ? new Promise((resolve) => setImmediate(resolve)) : undefined;
  }

  // ------------------------------------------------------------------ offsets

  private uncommitted(only?: Set<string>): TopicPartitionOffsetAndMetadata[] {
    return this.states.uncommitted(only);
  }

  private async maybeAutoCommit(): Promise<void> {
    if (!this.run_.autoCommit) return;
    const { autoCommitInterval, autoCommitThreshold } = this.run_;
    const due =
      (autoCommitInterval !== null && Date.now() - this.lastCommitMs >= autoCommitInterval) ||
      (autoCommitThreshold !== null && this.uncommittedCount >= autoCommitThreshold);
    if (due) await this.commitPositions();
  }

  /** Auto-commit of positions (all, or those in `only`); nothing when autoCommit is off. */
  private async commitPositions(only?: Set<string>): Promise<void> {
    if (!this.run_.autoCommit) return;
    await this.commit(this.uncommitted(only));
  }

  private async commit(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    this.lastCommitMs = Date.now();
    if (offsets.length === 0) return;
    const ok = this.membership.memberId !== '' ? await this.membership.commit(offsets) : await this.commitStandalone(offsets);
    if (!ok) return;
    this.uncommittedCount = 0;
    this.committedNow(offsets);
  }

  /** After a member's commit succeeded: the partitions' committed positions, and the event. */
  private committedNow(offsets: readonly TopicPartitionOffsetAndMetadata[]): void {
    const topics = new Map<string, { partition: number; offset: bigint }[]>();
    for (const o of offsets) {
      const s = this.states.get(o.topic, o.partition);
      if (s !== undefined) s.committed = o.offset;
      let partitions = topics.get(o.topic);
      if (partitions === undefined) topics.set(o.topic, (partitions = []));
      partitions.push({ partition: o.partition, offset: o.offset });
    }
    this.emit(ConsumerEvents.COMMIT_OFFSETS, {
      groupId: this.groupId,
      memberId: this.membership.memberId,
      groupGenerationId: this.membership.generationId,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a.partition - b.partition) })),
    });
  }

  /** Commits outside group membership (generation -1): only while the group has no members. */
  private async commitStandalone(offsets: TopicPartitionOffsetAndMetadata[]): Promise<boolean> {
    const results = await this.transport.commitOffsets(this.groupId, offsets, null);
    const failed = results.find((r) => r.errorCode !== ErrorCode.NONE);
    if (failed !== undefined)
      throw new KafkaError(errorNameOf(failed.errorCode), `OffsetCommit ${this.groupId} ${failed.topic}-${failed.partition}: ${errorNameOf(failed.errorCode)}`);
    return true;
  }

  /**
   * Commits `offsets` (each the next offset to consume, as Kafka commits). While the consumer
   * runs this is a member's commit under its generation; a commit refused because the group is
   * rebalancing throws REBALANCE_IN_PROGRESS (the consumer rejoins on its own).
   */
  async commitOffsets(offsets: { topic: string; partition: number; offset: bigint | string | number; metadata?: string | null }[]): Promise<void> {
    this.ensureUsable();
    const list = offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: toOffset(o.offset), metadata: o.metadata ?? null }));
    if (list.length === 0) return;
    if (this.membership.memberId !== '') {
      if (!(await this.membership.commit(list)))
        throw new KafkaError('REBALANCE_IN_PROGRESS', `group ${this.groupId} is rebalancing; the offsets were not committed`);
      this.committedNow(list);
      return;
    }
    await this.commitStandalone(list);
  }

  /** The group's committed offsets of `partitions` (-1 where none). */
  async committed(partitions: TopicPartition[]): Promise<{ topic: string; partition: number; offset: bigint; metadata: string }[]> {
    return this.membership.committed(partitions);
  }

  /**
   * Moves the position of a partition: the next record handed out is at `offset`. A batch in
   * progress for it stops. Before the partition is assigned, the seek waits for the assignment.
   */
  seek({ topic, partition, offset }: { topic: string; partition: number; offset: bigint | string | number }): void {
    this.ensureUsable();
    if (this.states.seek(topic, partition, toOffset(offset))) this.wakeUp();
  }

  pause(topics: { topic: string; partitions?: number[] }[]): void {
    this.states.pause(topics);
    this.wakeUp();
  }

  resume(topics: { topic: string; partitions?: number[] }[]): void {
    this.states.resume(topics);
    this.wakeUp();
  }

  /** Paused partitions among the assigned ones. */
  paused(): TopicPartitions[] {
    return this.states.paused();
  }

  /** The partitions assigned to this consumer now. */
  assignment(): TopicPartitions[] {
    return this.states.assigned();
  }

  /** Whether the consumer has joined its group at least once since `run`. */
  get joined(): boolean {
    return this.joinedOnce;
  }
}
