/**
 * Fetch (1), versions 0–16.
 *
 *   v0–v1  records down-converted to a magic 0 message set; v1 throttleTimeMs
 *   v2–v3  down-converted to magic 1 (timestamps kept); v3 maxBytes
 *   v4     isolationLevel: read_committed (1) returns data below the last stable offset only,
 *          with the abortedTransactions overlapping it (null for read_uncommitted);
 *          lastStableOffset; from here on the stored magic 2 batches are returned as they are
 *          in the segment files (transaction markers included: clients skip control batches)
 *   v5     logStartOffset
 *   v6     KAFKA_STORAGE_ERROR (older versions get NOT_LEADER_OR_FOLLOWER instead)
 *   v7     fetch sessions (KIP-227): answered sessionlessly, see below; top-level errorCode
 *   v9     currentLeaderEpoch fencing (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH)
 *   v10    zstd may be returned; before v10 a topic with compression.type=zstd answers
 *          UNSUPPORTED_COMPRESSION_TYPE, as Kafka does (zstd batches written under
 *          compression.type=producer are sent uncompressed by the v0–v3 down-conversion)
 *   v11    rackId (ignored), preferredReadReplica: always -1
 *   v12    flexible; lastFetchedEpoch (ignored: no divergence on a single node)
 *   v13    topics by id (unknown ids: UNKNOWN_TOPIC_ID)
 *   v15    replicaState replaces replicaId
 *   v16    tagged nodeEndpoints: only with NOT_LEADER_OR_FOLLOWER, so never sent
 *
 * Sessions: the request's sessionId 0 with epoch 0 (create) or -1 (sessionless) gets a full
 * answer with sessionId 0, which KIP-227 defines as "no session was created"; clients then
 * keep sending full requests. Any other sessionId can only be stale (we never hand one out):
 * epoch -1 closes it and gets a full answer, anything else FETCH_SESSION_ID_NOT_FOUND; a
 * sessionId 0 with an epoch above 0 is INVALID_FETCH_SESSION_EPOCH. forgottenTopicsData is
 * meaningless without a session and ignored.
 *
 * Memory: the records a read returns are the response's records as they are — the dispatcher
 * hands blobs from 16 KiB on to the socket by reference (writev), never copied into the
 * response buffer — and every read is bounded by the connection's room for unsent responses
 * (ctx.memory: its own cap and queued.max.response.bytes); with no room left a partition
 * answers without records and the client fetches again, as after any short read.
 *
 * Not implemented: follower fetching (replicaId / replicaState are ignored: one node),
 * divergingEpoch, quotas (throttleTimeMs 0), log.message.downconversion.enable=false.
 */
import { ErrorCode } from '../../errors.js';
import { fetchApi, type ResponseInput } from '../../protocol/index.js';
import { toMessageSet } from '../../broker/index.js';
import type { FetchMemory, FetchRequest, FetchResult } from '../../broker/types.js';
import type { ApiHandler } from '../dispatcher.js';
import { entryHeaders, storageErrorForVersion, type HandlerDeps } from './common.js';

type FetchResponse = ResponseInput<typeof fetchApi>;

/** Message-set magic that Fetch v0–v3 clients read; null: magic 2 as stored. */
function downConversionMagic(version: number): 0 | 1 | null {
  if (version <= 1) return 0;
  if (version <= 3) return 1;
  return null;
}

/**
 * Down-converts stored batches for an old client. Like Kafka's RecordsUtil.downConvert, records
 * before the fetch offset are dropped from uncompressed entries (old consumers expect the first
 * uncompressed message at the offset they asked for); a compressed wrapper is kept whole.
 */
export function downConvert(records: Buffer, magic: 0 | 1, fetchOffset: bigint): Buffer {
  if (records.length === 0) return records;
  const converted = toMessageSet(records, magic);
  const entries = entryHeaders(converted);
  const keep = entries.filter((e) => e.codec !== 0 || e.offset >= fetchOffset);
  if (keep.length === entries.length) return converted;
  return Buffer.concat(keep.map((e) => converted.subarray(e.position, e.position + e.length)));
}

export function fetchHandler({ broker, shutdown }: HandlerDeps): ApiHandler<typeof fetchApi> {
  return {
    api: fetchApi,
    versions: [0, 16],
    async handle(request, ctx) {
      const version = ctx.header.apiVersion;
      const sessionError = sessionCheck(request.sessionId, request.sessionEpoch, version);
      if (sessionError !== 0) return { throttleTimeMs: 0, errorCode: sessionError, sessionId: 0, responses: [] };

      const byId = version >= 13;
      const fetchRequest: FetchRequest = {
        maxWaitMs: request.maxWaitMs,
        minBytes: request.minBytes,
        maxBytes: request.maxBytes,
        isolationLevel: request.isolationLevel,
        topics: request.topics.map((t) => ({
          name: byId ? null : t.topic,
          topicId: byId ? t.topicId : null,
          partitions: t.partitions.map((p) => ({
            partition: p.partition,
            fetchOffset: p.fetchOffset,
            logStartOffset: p.logStartOffset,
            partitionMaxBytes: p.partitionMaxBytes,
            currentLeaderEpoch: p.currentLeaderEpoch,
          })),
        })),
      };
      const result = await fetchUnlessShuttingDown(fetchRequest, ctx.memory);
      return encodeResult(result, version, request.topics);
    },
  };

  /** `memory`: the connection's room for this response; reads stop at it (see FetchMemory). */
  async function fetchUnlessShuttingDown(request: FetchRequest, memory: FetchMemory | undefined): Promise<FetchResult> {
    if (shutdown.aborted || request.maxWaitMs <= 0) return broker.fetch({ ...request, maxWaitMs: 0 }, undefined, memory);
    try {
      return await broker.fetch(request, shutdown, memory);
    } catch (err) {
      if (!shutdown.aborted) throw err;
      return broker.fetch({ ...request, maxWaitMs: 0 }, undefined, memory);
    }
  }

  function encodeResult(result: FetchResult, version: number, requested: readonly { partitions: readonly { fetchOffset: bigint }[] }[]): FetchResponse {
    const magic = downConversionMagic(version);
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      sessionId: 0,
      responses: result.topics.map((t, ti) => {
        const zstdTopic = version < 10 && t.partitions.some((p) => p.errorCode === ErrorCode.NONE) && broker.topicConfig(t.name, 'compression.type') === 'zstd';
        return {
          topic: t.name,
          topicId: t.topicId,
          partitions: t.partitions.map((p, pi) => {
            if (zstdTopic && p.errorCode === ErrorCode.NONE) {
              return {
                partitionIndex: p.partitionIndex,
                errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
                highWatermark: -1n,
                lastStableOffset: -1n,
                logStartOffset: -1n,
                abortedTransactions: null,
                preferredReadReplica: -1,
                records: null,
              };
            }
            let records = p.records;
            let errorCode = storageErrorForVersion(p.errorCode, version, 6);
            if (magic !== null && records.length > 0) {
              try {
                records = downConvert(records, magic, requested[ti]!.partitions[pi]!.fetchOffset);
              } catch {
                // Stored bytes that do not decode are a storage problem, as for a failed read.
                errorCode = storageErrorForVersion(ErrorCode.KAFKA_STORAGE_ERROR, version, 6);
                records = Buffer.alloc(0);
              }
            }
            return {
              partitionIndex: p.partitionIndex,
              errorCode,
              highWatermark: p.highWatermark,
              lastStableOffset: p.lastStableOffset,
              logStartOffset: p.logStartOffset,
              abortedTransactions: p.abortedTransactions,
              preferredReadReplica: -1,
              records,
            };
          }),
        };
      }),
    };
  }
}

/** KIP-227 as a broker that never creates sessions answers it; 0 = serve a full fetch. */
function sessionCheck(sessionId: number, sessionEpoch: number, version: number): number {
  if (version < 7) return ErrorCode.NONE;
  const FINAL_EPOCH = -1;
  const INITIAL_EPOCH = 0;
  if (sessionId === 0) return sessionEpoch === FINAL_EPOCH || sessionEpoch === INITIAL_EPOCH ? ErrorCode.NONE : ErrorCode.INVALID_FETCH_SESSION_EPOCH;
  return sessionEpoch === FINAL_EPOCH ? ErrorCode.NONE : ErrorCode.FETCH_SESSION_ID_NOT_FOUND;
}
