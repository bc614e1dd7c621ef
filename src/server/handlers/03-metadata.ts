/**
 * Metadata (3), versions 0–12.
 *
 *   v0     an empty topic list means every topic (internal ones included)
 *   v1     null means every topic, empty means none; rack, controllerId, isInternal
 *   v2     clusterId
 *   v3     throttleTimeMs
 *   v4     allowAutoTopicCreation (earlier versions always allow it); topics are created
 *          only when auto.create.topics.enable is on too
 *   v5     offlineReplicas (always empty)
 *   v7     leaderEpoch
 *   v8     authorized operations: with no authorizer, every operation the resource type
 *          supports when asked for (as Kafka), else -2147483648 ("not requested")
 *   v9     flexible versions
 *   v10    topicId in the answer; a request naming a topic by id, or with a null name, is
 *          INVALID_REQUEST before v12 (as Kafka)
 *   v11    clusterAuthorizedOperations removed (DescribeCluster has it)
 *   v12    topics by id: unknown ids answer UNKNOWN_TOPIC_ID with a null name
 *
 * Internal topics on demand, as Kafka's AutoTopicCreationManager: a request that allows
 * auto-creation and names `__consumer_offsets` creates it, with the group coordinator's configs
 * (compacted, offsets.topic.num.partitions), even when auto.create.topics.enable is off — what
 * lag checkers such as Burrow ask first on a fresh broker. `__transaction_state` does not exist
 * until transactions are implemented.
 *
 * The broker list holds this node's endpoint on the listener the request arrived on.
 * Not implemented: racks (null), authorizers.
 */
import { ErrorCode, KafkaError } from '../../errors.js';
import { ZERO_UUID, metadataApi, type ResponseInput } from '../../protocol/index.js';
import type { MetadataTopic } from '../../broker/types.js';
import { OFFSETS_TOPIC } from '../../group/coordinator.js';
import type { ApiHandler } from '../dispatcher.js';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_AUTHORIZED_OPERATIONS, TOPIC_AUTHORIZED_OPERATIONS, type HandlerDeps } from './common.js';

type TopicOut = NonNullable<ResponseInput<typeof metadataApi>['topics']>[number];

export function metadataHandler({ broker, groups }: HandlerDeps): ApiHandler<typeof metadataApi> {
  return {
    api: metadataApi,
    versions: [0, 12],
    async handle(request, ctx) {
      const version = ctx.header.apiVersion;
      const requested = request.topics;
      const all = requested === null || (version === 0 && requested.length === 0);
      // Topics asked for by id (v12) are resolved here; unknown ids answer by id.
      const names: string[] = [];
      const unknownIds: string[] = [];
      if (!all) {
        for (const t of requested) {
          const hasId = t.topicId !== ZERO_UUID;
          if (version < 12 && (t.name === null || hasId)) {
            throw new KafkaError('INVALID_REQUEST', `Metadata v${version} requests topics by name only`);
          }
          if (t.name !== null) names.push(t.name);
          else if (!hasId) throw new KafkaError('INVALID_REQUEST', 'a topic needs a name or an id');
          else {
            const name = broker.topicName(t.topicId);
            if (name === undefined) unknownIds.push(t.topicId);
            else names.push(name);
          }
        }
      }
      const allowAutoTopicCreation = version < 4 ? true : request.allowAutoTopicCreation;
      if (allowAutoTopicCreation && names.includes(OFFSETS_TOPIC) && broker.topicId(OFFSETS_TOPIC) === undefined) {
        // The coordinator creates the topic as its first FindCoordinator does; should that
        // fail, the topic answers UNKNOWN_TOPIC_OR_PARTITION below and the client retries.
        await groups.findCoordinator();
      }
      const result = await broker.metadata(all ? null : names, allowAutoTopicCreation, { listenerName: ctx.connection.listenerName });
      const topicOps = version >= 8 && request.includeTopicAuthorizedOperations ? TOPIC_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;

      const topics: TopicOut[] = result.topics.map((t: MetadataTopic) => ({
        errorCode: t.errorCode,
        name: t.name,
        topicId: t.topicId,
        isInternal: t.isInternal,
        partitions: t.partitions,
        ...(version >= 8 ? { topicAuthorizedOperations: t.errorCode === ErrorCode.NONE ? topicOps : AUTHORIZED_OPERATIONS_OMITTED } : {}),
      }));
      for (const topicId of unknownIds) {
        topics.push({
          errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
          name: null,
          topicId,
          isInternal: false,
          partitions: [],
          ...(version >= 8 ? { topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED } : {}),
        });
      }
      const clusterOps =
        version >= 8 && version <= 10 && request.includeClusterAuthorizedOperations ? CLUSTER_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
      return {
        throttleTimeMs: 0,
        brokers: result.brokers,
        clusterId: result.clusterId,
        controllerId: result.controllerId,
        topics,
        ...(version >= 8 && version <= 10 ? { clusterAuthorizedOperations: clusterOps } : {}),
      };
    },
  };
}
