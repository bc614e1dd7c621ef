/**
 * AlterConfigs (33), versions 0–2.
 *
 *   v0     resources (type, name, configs), validateOnly: a topic's overrides are replaced by
 *          exactly the given set (configs left out return to their defaults)
 *   v1     same (responses sent before throttling)
 *   v2     flexible versions
 *
 * Changes are validated, stored durably and applied to the live logs before the answer.
 * Not implemented: broker resources (dynamic broker configs: INVALID_REQUEST).
 */
import { alterConfigsApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function alterConfigsHandler({ broker }: HandlerDeps): ApiHandler<typeof alterConfigsApi> {
  return {
    api: alterConfigsApi,
    versions: [0, 2],
    async handle(request) {
      const results = await broker.alterConfigs(
        request.resources.map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: r.configs.map((c) => ({ name: c.name, value: c.value })),
        })),
        request.validateOnly,
      );
      return { throttleTimeMs: 0, responses: results };
    },
  };
}
