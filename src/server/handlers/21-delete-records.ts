/**
 * DeleteRecords (21), versions 0–2.
 *
 *   v0     topics → partitions (partitionIndex, offset: -1 = the high watermark), timeoutMs;
 *          the answer is each partition's new log start offset (lowWatermark)
 *   v1     same (responses sent before throttling)
 *   v2     flexible versions
 *
 * An offset above the high watermark answers OFFSET_OUT_OF_RANGE. The log start offset moves
 * (and is checkpointed) before the answer; whole segments below it are deleted by retention.
 * Not implemented: quotas.
 */
import { deleteRecordsApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function deleteRecordsHandler({ broker }: HandlerDeps): ApiHandler<typeof deleteRecordsApi> {
  return {
    api: deleteRecordsApi,
    versions: [0, 2],
    async handle(request) {
      const results = await broker.deleteRecords(
        request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, offset: p.offset })) })),
      );
      return { throttleTimeMs: 0, topics: results };
    },
  };
}
