/**
 * CreatePartitions (37), versions 0–3.
 *
 *   v0     topics (name, new total count, assignments or null), timeoutMs, validateOnly
 *   v1     same (responses sent before throttling)
 *   v2     flexible versions
 *   v3     THROTTLING_QUOTA_EXCEEDED may be answered (never: no quotas)
 *
 * New partitions are created (durably) before the answer. Assignments may name only this node.
 */
import { createPartitionsApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function createPartitionsHandler({ broker }: HandlerDeps): ApiHandler<typeof createPartitionsApi> {
  return {
    api: createPartitionsApi,
    versions: [0, 3],
    async handle(request) {
      const results = await broker.createPartitions(
        request.topics.map((t) => ({
          name: t.name,
          count: t.count,
          assignments: t.assignments === null ? null : t.assignments.map((a) => ({ brokerIds: a.brokerIds })),
        })),
        request.validateOnly,
      );
      return { throttleTimeMs: 0, results };
    },
  };
}
