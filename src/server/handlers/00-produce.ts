/**
 * Produce (0), versions 0–11.
 *
 *   v0–v2  magic 0/1 message sets (converted to magic 2 batches by the broker on append);
 *          v1 throttleTimeMs, v2 logAppendTimeMs
 *   v3     transactionalId; records must be magic 2 batches (first batch checked: INVALID_RECORD)
 *   v4     KAFKA_STORAGE_ERROR (older versions get NOT_LEADER_OR_FOLLOWER instead)
 *   v5     logStartOffset in the response
 *   v7     zstd (a zstd batch at v3–v6 answers UNSUPPORTED_COMPRESSION_TYPE)
 *   v8     recordErrors and errorMessage
 *   v9     flexible versions
 *   v10    tagged currentLeader / nodeEndpoints: only sent with NOT_LEADER_OR_FOLLOWER, which
 *          a single node never answers, so never sent
 *   v11    TRANSACTION_ABORTABLE (KIP-890) may be answered; older versions get INVALID_TXN_STATE
 *          in its place, as Kafka translates it for them
 *
 * Records that fail validation (broker/produce.ts: INVALID_RECORD or CORRUPT_MESSAGE, v8+ with
 * record_errors) are logged as a warning naming the client id and address, at most one per
 * client per INVALID_RECORDS_WARNING_INTERVAL_MS, with the count of those suppressed between.
 *
 * acks=0: the records are appended all the same, and no response is sent (null).
 * Topics are not auto-created by Produce (Kafka creates them only on Metadata).
 *
 * Transactions (v3+ transactionalId): transactional batches are appended when the request
 * carries a transactionalId (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka's KafkaApis),
 * the first of a transaction on each partition after the transaction coordinator verified it
 * (KIP-890 part 1, see broker/transactions.ts).
 *
 * Not implemented: quotas (throttleTimeMs is always 0); Kafka's "exactly one batch per
 * partition" rule for v3+ (several batches are appended together).
 */
import { ErrorCode } from '../../errors.js';
import { INVALID_RECORDS_WARNING_CLIENTS, INVALID_RECORDS_WARNING_INTERVAL_MS } from '../../limits.js';
import type { ProduceTopicResult } from '../../broker/types.js';
import { WarningLimiter } from '../warning-limiter.js';
import type { HandlerContext } from '../dispatcher.js';
import { produceApi } from '../../protocol/index.js';
import type { ProduceTopicData } from '../../broker/types.js';
import type { ApiHandler } from '../dispatcher.js';
import { entryHeaderAt, storageErrorForVersion, CODEC_ZSTD, type HandlerDeps } from './common.js';

/** Kafka's ProduceRequest.validateRecords: the check a request version puts on its records. */
function versionError(version: number, records: Buffer | null): { errorCode: number; errorMessage: string } | null {
  if (version < 3 || records === null || records.length === 0) return null;
  const first = entryHeaderAt(records);
  if (first === undefined) return null; // the broker answers CORRUPT_MESSAGE
  if (first.magic !== 2) {
    return {
      errorCode: ErrorCode.INVALID_RECORD,
      errorMessage: `Produce requests with version ${version} are only allowed to contain record batches with magic version 2`,
    };
  }
  if (version < 7 && first.codec === CODEC_ZSTD) {
    return {
      errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      errorMessage: `Produce requests with version ${version} are not allowed to use ZStandard compression`,
    };
  }
  return null;
}

/** Warns (rate-limited per client) about partitions whose records were refused as invalid. */
function warnInvalidRecords(limiter: WarningLimiter, ctx: HandlerContext, results: ProduceTopicResult[]): void {
  for (const t of results) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.INVALID_RECORD && p.errorCode !== ErrorCode.CORRUPT_MESSAGE) continue;
      const clientId = ctx.header.clientId ?? '';
      const address = ctx.connection.remoteAddress;
      const suppressed = limiter.admit(`${clientId}\u0000${address.slice(0, address.lastIndexOf(':'))}`);
      if (suppressed === null) return;
      ctx.logger.warn(
        { clientId, clientAddress: address, topic: t.name, partition: p.index, errorCode: p.errorCode, suppressed },
        `produce refused invalid records: ${p.errorMessage ?? ''}`,
      );
      return; // one warning per request at most
    }
  }
}

export function produceHandler({ broker }: HandlerDeps): ApiHandler<typeof produceApi> {
  const warnings = new WarningLimiter(INVALID_RECORDS_WARNING_INTERVAL_MS, INVALID_RECORDS_WARNING_CLIENTS);
  return {
    api: produceApi,
    versions: [0, 11],
    async handle(request, ctx) {
      const version = ctx.header.apiVersion;
      const rejected = new Map<string, { errorCode: number; errorMessage: string }>();
      const topicData: ProduceTopicData[] = [];
      for (const t of request.topics) {
        const partitions: ProduceTopicData['partitions'] = [];
        for (const p of t.partitions) {
          const error = versionError(version, p.records);
          if (error === null) partitions.push({ index: p.partitionIndex, records: p.records });
          else rejected.set(`${t.name}\u0000${p.partitionIndex}`, error);
        }
        topicData.push({ name: t.name, partitions });
      }
      const results = await broker.produce(request.acks, request.timeoutMs, topicData, {
        transactionalId: request.transactionalId,
        allowAutoTopicCreation: false,
      });
      warnInvalidRecords(warnings, ctx, results);
      if (request.acks === 0) return null;

      // Answer in request order, rejected partitions included.
      const topics = request.topics.map((t, i) => {
        const byIndex = new Map(results[i]!.partitions.map((r) => [r.index, r]));
        return {
          name: t.name,
          partitions: t.partitions.map((p) => {
            const error = rejected.size === 0 ? undefined : rejected.get(`${t.name}\u0000${p.partitionIndex}`);
            const r = error === undefined ? byIndex.get(p.partitionIndex) : undefined;
            if (r === undefined) {
              return {
                partitionIndex: p.partitionIndex,
                errorCode: error?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR,
                baseOffset: -1n,
                logAppendTimeMs: -1n,
                logStartOffset: -1n,
                recordErrors: [],
                errorMessage: error?.errorMessage ?? null,
              };
            }
            return {
              partitionIndex: p.partitionIndex,
              errorCode:
                version < 11 && r.errorCode === ErrorCode.TRANSACTION_ABORTABLE ? ErrorCode.INVALID_TXN_STATE : storageErrorForVersion(r.errorCode, version, 4),
              baseOffset: r.baseOffset,
              logAppendTimeMs: r.logAppendTimeMs,
              logStartOffset: r.logStartOffset,
              recordErrors: r.recordErrors,
              errorMessage: r.errorMessage,
            };
          }),
        };
      });
      return { topics, throttleTimeMs: 0 };
    },
  };
}
