/**
 * CreateTopics (19), versions 0–7.
 *
 *   v0     topics (name, numPartitions, replicationFactor, assignments, configs), timeoutMs
 *   v1     validateOnly; errorMessage
 *   v2     throttleTimeMs
 *   v4     numPartitions / replicationFactor -1: the broker defaults (KIP-464)
 *   v5     flexible; the answer carries numPartitions, replicationFactor and the topic's
 *          configs (KIP-525)
 *   v7     topicId
 *
 * This node is the controller, so topics are created (durably) before the answer; timeoutMs
 * has nothing to wait for. Not implemented: topicConfigErrorCode (configs are validated up
 * front: an invalid one fails the whole topic with INVALID_CONFIG), quotas, create-topic
 * policies. -1 defaults are accepted at every version.
 */
import { createTopicsApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function createTopicsHandler({ broker }: HandlerDeps): ApiHandler<typeof createTopicsApi> {
  return {
    api: createTopicsApi,
    versions: [0, 7],
    async handle(request) {
      // The decoded request and the broker's results already have the schema's field names.
      const results = await broker.createTopics(request.topics, request.validateOnly);
      return { throttleTimeMs: 0, topics: results };
    },
  };
}
