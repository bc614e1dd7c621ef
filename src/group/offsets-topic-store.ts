/**
 * The `__consumer_offsets` store (the persistence half of Kafka's GroupMetadataManager): creates
 * the topic on first use, writes group metadata and committed offsets as records of
 * offsets-topic-records.ts in the partition that holds the group (partition-for.ts), writes
 * tombstones when they go, and replays the topic at start into groups.
 *
 * Appends are synchronous (the record is in the log when `appendInternal` returns), so callers
 * change their in-memory state only after the write succeeded and no request interleaves.
 *
 * TxnOffsetCommit writes its offsets as a transactional batch of the producer; replay keeps them
 * pending until that producer's COMMIT or ABORT marker in the partition (ReplayState below).
 *
 * Replay: last record per key wins, a null value (tombstone) deletes. A record that cannot be
 * decoded (no key, an unknown key or value version, a truncated field) is logged with its
 * topic-partition, offset and reason, counted in `stats.unreadableRecords`, and skipped: one bad
 * record never stops the load. A batch the log cannot read at all ends the load of that one
 * partition (where the next batch starts is unknown), logged and counted the same way.
 *
 * Not implemented: compaction of the topic (there is no log cleaner yet: it keeps every record,
 * and retention is off for it so that committed offsets of a quiet group are never lost).
 */
import { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Record as LogRecord, RecordInput } from '../records/index.js';
import { ControlRecordType, decodeControlRecord } from '../records/control-record.js';
import type { GroupCoordinatorConfig } from './config.js';
import { Group, Member, type CommittedOffset } from './group.js';
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type GroupMetadataValue,
  type OffsetCommitValue,
} from './offsets-topic-records.js';
import { partitionForGroup } from './partition-for.js';
import type { InternalBatch, InternalTxnAppend as TxnProducer, TxnMarkerWrittenEvent as TxnMarkerEvent } from '../broker/types.js';
import { InternalTopic } from '../broker/internal-topic.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** Bytes read per call while loading `__consumer_offsets` at start. */
const LOAD_CHUNK_BYTES = 4 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** The producer of a transactional append (TxnOffsetCommit), a batch as replay reads it, a marker event: the Broker's types. */
export type { InternalBatch, InternalTxnAppend as TxnProducer, TxnMarkerWrittenEvent as TxnMarkerEvent } from '../broker/types.js';

/** What the coordinator needs from the broker (the Broker class provides it). */
export interface CoordinatorStorage {
  topicId(name: string): string | undefined;
  ensureInternalTopic(name: string, partitionCount: number, configs: Record<string, string>): Promise<{ topicId: string; partitionCount: number }>;
  /** With `txn`, one transactional batch of that producer (TxnOffsetCommit). */
  appendInternal(
    topic: string,
    partition: number,
    records: RecordInput[],
    nowMs?: number,
    txn?: TxnProducer,
  ): { errorCode: number; errorMessage: string | null; baseOffset: bigint };
  readInternalBatches(topic: string, partition: number, offset: bigint, maxBytes: number): { batches: InternalBatch[]; nextOffset: bigint };
  logEndOffset(topic: string, partition: number): bigint;
  hasPartition(topic: string, partition: number): boolean;
  onTopicDeleted(listener: (topic: string) => void): void;
  /** Called synchronously after each transaction marker append. */
  onTxnMarkerWritten(listener: (e: TxnMarkerEvent) => void): void;
}

/** What replay has seen since start (read by tools and, later, metrics). */
export interface OffsetsTopicStats {
  /** Records replayed from `__consumer_offsets`. */
  recordsLoaded: number;
  /** Records (or unreadable batches) skipped because they could not be decoded; each was logged. */
  unreadableRecords: number;
}

/** Kafka's mapping of append errors when storing group metadata. */
export function storeGroupError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return errorCode;
  }
}

/** Kafka's mapping of append errors when storing offsets. */
export function storeOffsetsError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return storeGroupError(errorCode);
  }
}

export class OffsetsTopicStore {
  readonly stats: OffsetsTopicStats = { recordsLoaded: 0, unreadableRecords: 0 };
  private readonly topic: InternalTopic;

  constructor(
    private readonly storage: CoordinatorStorage,
    private readonly config: GroupCoordinatorConfig,
    private readonly logger: Logger,
  ) {
    // cleanup.policy=compact as Kafka's; retention off because there is no log cleaner yet: with
    // time retention a quiet group's offsets would be deleted with its old segments.
    const configs = {
      'cleanup.policy': 'compact',
      'segment.bytes': String(config.offsetsTopicSegmentBytes),
      'compression.type': 'producer',
      'retention.ms': '-1',
    };
    this.topic = new InternalTopic(
      storage,
      { name: OFFSETS_TOPIC, partitionCount: config.offsetsTopicNumPartitions, partitionCountSetting: 'offsets.topic.num.partitions', configs },
      logger,
    );
  }

  /** Partitions of __consumer_offsets, or null until the topic exists. */
  private get partitionCount(): number | null {
    return this.topic.partitionCount;
  }

  /** Whether the topic exists (this node coordinates groups only then). */
  get ready(): boolean {
    return this.partitionCount !== null;
  }

  /** Opens the topic when it exists already; true when it did (it is to be loaded). */
  openExisting(): Promise<boolean> {
    return this.topic.openExisting();
  }

  /** Creates the topic when missing (concurrent callers share one creation). */
  ensureTopic(): Promise<void> {
    return this.topic.ensure();
  }

  /** The partition of `__consumer_offsets` that holds `groupId` (null before the topic exists). */
  partitionFor(groupId: string): number | null {
    return this.partitionCount === null ? null : partitionForGroup(groupId, this.partitionCount);
  }

  // ------------------------------------------------------------------ writing

  /** Appends records for `groupId` to its partition; the error code of the append. */
  append(groupId: string, records: RecordInput[], nowMs: number): number {
    return this.appendBatch(groupId, records, nowMs, undefined).errorCode;
  }

  /** Appends one batch for `groupId` (transactional with `txn`); its error code and base offset. */
  private appendBatch(groupId: string, records: RecordInput[], nowMs: number, txn: TxnProducer | undefined): { errorCode: number; baseOffset: bigint } {
    const partition = this.partitionFor(groupId);
    if (partition === null) return { errorCode: ErrorCode.NOT_COORDINATOR, baseOffset: -1n };
    try {
      const { errorCode, baseOffset } =
        txn === undefined
          ? this.storage.appendInternal(OFFSETS_TOPIC, partition, records, nowMs)
          : this.storage.appendInternal(OFFSETS_TOPIC, partition, records, nowMs, txn);
      return { errorCode, baseOffset };
    } catch (err) {
      this.logger.error({ err, group: groupId }, `append to ${OFFSETS_TOPIC} failed`);
      return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, baseOffset: -1n };
    }
  }

  /**
   * Writes the group's metadata record: generation, protocol, leader and members with their
   * subscription and assignment (`assignment`, or each member's current one when null).
   * Returns the coordinator-facing error code.
   */
  storeGroup(group: Group, assignment: Map<string, Buffer> | null, nowMs: number): number {
    const protocol = group.protocolName ?? '';
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generationId: group.generationId,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      currentStateTimestamp: group.currentStateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.metadataFor(protocol),
        assignment: assignment === null ? m.assignment : (assignment.get(m.memberId) ?? EMPTY),
      })),
    };
    let bytes: Buffer;
    try {
      bytes = encodeGroupMetadataValue(value);
    } catch (err) {
      this.logger.error({ err, group: group.groupId }, 'group metadata does not fit its record format');
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    const appended = this.append(group.groupId, [{ key: encodeGroupMetadataKey(group.groupId), value: bytes, timestamp: nowMs }], nowMs);
    return appended === ErrorCode.NONE ? ErrorCode.NONE : storeGroupError(appended);
  }

  /**
   * Writes offsets of one group in one batch, transactional with `txn` (TxnOffsetCommit). Returns
   * the coordinator-facing error code and the offset of the first record (the i-th offset's
   * record is at baseOffset + i).
   */
  storeOffsets(groupId: string, offsets: [string, number, OffsetCommitValue][], nowMs: number, txn?: TxnProducer): { errorCode: number; baseOffset: bigint } {
    const records = offsets.map(([topic, partition, value]) => ({
      key: encodeOffsetCommitKey(groupId, topic, partition),
      value: encodeOffsetCommitValue(value),
      timestamp: nowMs,
    }));
    const appended = this.appendBatch(groupId, records, nowMs, txn);
    return appended.errorCode === ErrorCode.NONE ? appended : { errorCode: storeOffsetsError(appended.errorCode), baseOffset: -1n };
  }

  /**
   * Tombstones for offsets of `groupId` and, with `groupToo`, for its metadata. Returns the raw
   * append error code (callers map it as the operation requires).
   */
  writeTombstones(groupId: string, offsets: [string, number][], groupToo: boolean, nowMs: number): number {
    const records: RecordInput[] = offsets.map(([topic, partition]) => ({
      key: encodeOffsetCommitKey(groupId, topic, partition),
      value: null,
      timestamp: nowMs,
    }));
    if (groupToo) records.push({ key: encodeGroupMetadataKey(groupId), value: null, timestamp: nowMs });
    if (records.length === 0) return ErrorCode.NONE;
    return this.append(groupId, records, nowMs);
  }

  // ------------------------------------------------------------------ replay

  /**
   * Replays every partition of the topic into groups (state Stable with members, else Empty).
   * Loaded members get no session timer here: the caller starts their sessions. Offsets of a
   * transaction whose marker is not in the log yet are loaded as pending: the transaction
   * coordinator writes that marker later.
   */
  load(nowMs: number): Group[] {
    const started = performance.now();
    const state = new ReplayState();
    const before = { ...this.stats };
    for (let p = 0; p < this.partitionCount!; p++) this.loadPartition(p, state);

    const ids = new Set<string>([...state.offsets.keys()]);
    for (const [id, value] of state.metadata) if (value !== null) ids.add(id);
    for (const [, byGroup] of state.pending) for (const id of byGroup.keys()) ids.add(id);
    const groups = new Map<string, Group>();
    for (const id of ids) {
      const value = state.metadata.get(id) ?? null;
      const group = new Group(
        id,
        value !== null && value.members.length > 0 ? 'Stable' : 'Empty',
        value !== null && value.currentStateTimestamp >= 0 ? value.currentStateTimestamp : nowMs,
      );
      if (value !== null) restoreGroup(group, value);
      for (const { topic, partition, value: o } of state.offsets.get(id)?.values() ?? []) group.setOffset(topic, partition, o);
      groups.set(id, group);
    }
    let pendingTxns = 0;
    for (const [producerId, byGroup] of state.pending) {
      pendingTxns++;
      for (const [id, offsets] of byGroup) {
        for (const { topic, partition, value } of offsets.values()) groups.get(id)!.pendingTxnOffsets.add(producerId, topic, partition, value);
      }
    }
    const records = this.stats.recordsLoaded - before.recordsLoaded;
    const unreadable = this.stats.unreadableRecords - before.unreadableRecords;
    const summary = { groups: groups.size, records, pendingTxns, unreadable, ms: Math.round(performance.now() - started) };
    if (unreadable > 0) this.logger.warn(summary, `loaded ${OFFSETS_TOPIC}; ${unreadable} unreadable record(s) skipped`);
    else this.logger.info(summary, `loaded ${OFFSETS_TOPIC}`);
    return [...groups.values()];
  }

  private loadPartition(partition: number, state: ReplayState): void {
    const end = this.storage.logEndOffset(OFFSETS_TOPIC, partition);
    let offset = 0n;
    while (offset < end) {
      let chunk: { batches: InternalBatch[]; nextOffset: bigint };
      try {
        chunk = this.storage.readInternalBatches(OFFSETS_TOPIC, partition, offset, LOAD_CHUNK_BYTES);
      } catch (err) {
        this.unreadable(partition, offset, err, 'the rest of this partition is not loaded: where the next batch starts is unknown');
        break;
      }
      if (chunk.nextOffset <= offset) break;
      offset = chunk.nextOffset;
      for (const batch of chunk.batches) {
        if (batch.isControl) {
          try {
            state.replayMarker(batch);
          } catch (err) {
            this.unreadable(partition, batch.baseOffset, err, 'skipped');
          }
          continue;
        }
        for (const record of batch.records) {
          this.stats.recordsLoaded++;
          try {
            state.replay(record, batch);
          } catch (err) {
            this.unreadable(partition, record.offset, err, 'skipped');
          }
        }
      }
    }
    state.endPartition();
  }

  private unreadable(partition: number, offset: bigint, err: unknown, consequence: string): void {
    this.stats.unreadableRecords++;
    const reason = err instanceof Error ? err.message : String(err);
    this.logger.error(
      { topic: OFFSETS_TOPIC, partition, offset: offset.toString(), reason },
      `unreadable record in ${OFFSETS_TOPIC}-${partition} at offset ${offset}: ${reason}; ${consequence}`,
    );
  }
}

/** group id → "partition:topic" → offset. */
type OffsetsByGroup = Map<string, Map<string, { topic: string; partition: number; value: CommittedOffset }>>;

function setOffset(map: OffsetsByGroup, groupId: string, topic: string, partition: number, value: CommittedOffset): void {
  let group = map.get(groupId);
  if (group === undefined) map.set(groupId, (group = new Map()));
  group.set(`${partition}:${topic}`, { topic, partition, value });
}

function deleteOffset(map: OffsetsByGroup, groupId: string, topic: string, partition: number): void {
  const group = map.get(groupId);
  if (group === undefined) return;
  group.delete(`${partition}:${topic}`);
  if (group.size === 0) map.delete(groupId);
}

/**
 * What replay has built so far (Kafka's loadGroupsAndOffsets): last record per key wins, a null
 * value (tombstone) deletes. Offsets in a transactional batch are pending for its producer
 * until that producer's marker in the same partition: COMMIT makes each the committed offset
 * unless a later plain commit of that partition exists, ABORT drops them. A plain tombstone also
 * drops the open transactions' offsets of its partition, as the live coordinator does.
 */
class ReplayState {
  readonly offsets: OffsetsByGroup = new Map();
  readonly metadata = new Map<string, GroupMetadataValue | null>();
  /** Open transactions at the end of their partition (no marker yet): producerId, offsets. */
  readonly pending: [bigint, OffsetsByGroup][] = [];
  /** Open transactions of the partition being replayed. */
  private open = new Map<bigint, OffsetsByGroup>();

  replay(record: LogRecord, batch: InternalBatch): void {
    if (record.key === null) throw new Error('record without a key');
    const key = decodeKey(record.key);
    if (key.type === 'group') {
      this.metadata.set(key.group, record.value === null ? null : decodeGroupMetadataValue(record.value));
      return;
    }
    if (batch.isTransactional) {
      let txn = this.open.get(batch.producerId);
      if (txn === undefined) this.open.set(batch.producerId, (txn = new Map()));
      if (record.value === null) deleteOffset(txn, key.group, key.topic, key.partition);
      else setOffset(txn, key.group, key.topic, key.partition, { ...decodeOffsetCommitValue(record.value), recordOffset: record.offset });
      return;
    }
    if (record.value === null) {
      deleteOffset(this.offsets, key.group, key.topic, key.partition);
      for (const txn of this.open.values()) deleteOffset(txn, key.group, key.topic, key.partition);
      return;
    }
    setOffset(this.offsets, key.group, key.topic, key.partition, { ...decodeOffsetCommitValue(record.value), recordOffset: record.offset });
  }

  /** A control batch: a COMMIT or ABORT marker ends its producer's transaction in this partition. */
  replayMarker(batch: InternalBatch): void {
    const record = batch.records[0];
    if (record === undefined) return;
    const { type } = decodeControlRecord(record.key);
    if (type !== ControlRecordType.Commit && type !== ControlRecordType.Abort) return;
    const txn = this.open.get(batch.producerId);
    this.open.delete(batch.producerId);
    if (txn === undefined || type === ControlRecordType.Abort) return;
    for (const [groupId, offsets] of txn) {
      for (const { topic, partition, value } of offsets.values()) {
        const current = this.offsets.get(groupId)?.get(`${partition}:${topic}`);
        if (current === undefined || current.value.recordOffset < value.recordOffset) setOffset(this.offsets, groupId, topic, partition, value);
      }
    }
  }

  endPartition(): void {
    for (const entry of this.open) this.pending.push(entry);
    this.open = new Map();
  }
}

/** Rebuilds a group's members, generation, protocol and leader from its metadata record. */
function restoreGroup(group: Group, value: GroupMetadataValue): void {
  group.generationId = value.generationId;
  group.protocolName = value.protocolName;
  for (const m of value.members) {
    const member = new Member({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      protocolType: value.protocolType,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.sessionTimeoutMs,
      protocols: [{ name: value.protocolName ?? '', metadata: m.subscription }],
    });
    member.assignment = m.assignment;
    group.add(member, null);
  }
  // add() takes the protocol type and leader from the first member; the stored ones count.
  group.protocolType = value.protocolType.length > 0 ? value.protocolType : null;
  group.leaderId = value.members.length > 0 ? value.leaderId : null;
  if (group.leaderId !== null && !group.members.has(group.leaderId)) group.leaderId = group.members.keys().next().value ?? null;
  group.subscribedTopics = group.computeSubscribedTopics();
}
