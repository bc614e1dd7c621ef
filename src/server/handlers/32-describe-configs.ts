/**
 * DescribeConfigs (32), versions 0–4.
 *
 *   v0     resources (type 2 topic, 4 broker; configurationKeys null = all); isDefault
 *   v1     includeSynonyms; configSource and synonyms replace isDefault (KIP-226)
 *   v2     same (responses sent before throttling)
 *   v3     includeDocumentation; configType and documentation (KIP-569)
 *   v4     flexible versions
 *
 * Topic configs show overrides (DYNAMIC_TOPIC_CONFIG), broker settings from server.properties
 * (STATIC_BROKER_CONFIG) and Kafka's defaults (DEFAULT_CONFIG). The broker resource is this
 * node's id; the empty name (cluster-wide dynamic defaults) has no entries.
 * Not implemented: BROKER_LOGGER resources (INVALID_REQUEST), dynamic broker configs.
 */
import { describeConfigsApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

const DEFAULT_CONFIG = 5;

export function describeConfigsHandler({ broker }: HandlerDeps): ApiHandler<typeof describeConfigsApi> {
  return {
    api: describeConfigsApi,
    versions: [0, 4],
    handle(request, ctx) {
      const version = ctx.header.apiVersion;
      const results = broker.describeConfigs(
        request.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, configurationKeys: r.configurationKeys })),
        version >= 1 && request.includeSynonyms,
        version >= 3 && request.includeDocumentation,
      );
      return {
        throttleTimeMs: 0,
        results: results.map((r) => ({
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: r.configs.map((c) => ({
            name: c.name,
            value: c.value,
            readOnly: c.readOnly,
            ...(version === 0 ? { isDefault: c.isDefault || c.configSource === DEFAULT_CONFIG } : {}),
            configSource: c.configSource,
            isSensitive: c.isSensitive,
            synonyms: c.synonyms,
            configType: c.configType,
            documentation: c.documentation,
          })),
        })),
      };
    },
  };
}
