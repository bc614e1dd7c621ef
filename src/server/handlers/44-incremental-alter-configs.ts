/**
 * IncrementalAlterConfigs (44), versions 0–1.
 *
 *   v0     resources (type, name, configs with configOperation: 0 SET, 1 DELETE, 2 APPEND,
 *          3 SUBTRACT — the last two for list configs), validateOnly (KIP-339)
 *   v1     flexible versions
 *
 * Changes are validated, stored durably and applied to the live logs before the answer.
 * Not implemented: broker resources (dynamic broker configs: INVALID_REQUEST).
 */
import { incrementalAlterConfigsApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function incrementalAlterConfigsHandler({ broker }: HandlerDeps): ApiHandler<typeof incrementalAlterConfigsApi> {
  return {
    api: incrementalAlterConfigsApi,
    versions: [0, 1],
    async handle(request) {
      const results = await broker.incrementalAlterConfigs(
        request.resources.map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: r.configs.map((c) => ({ name: c.name, configOperation: c.configOperation, value: c.value })),
        })),
        request.validateOnly,
      );
      return { throttleTimeMs: 0, responses: results };
    },
  };
}
