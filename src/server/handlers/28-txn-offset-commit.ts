/**
 * TxnOffsetCommit (28), versions 0–4: a transactional producer commits a consumer group's
 * offsets inside its transaction (consume-transform-produce, KIP-98). The offsets are written to
 * the group's `__consumer_offsets` partition in the producer's transaction and become the
 * group's committed offsets only when the transaction commits (dropped if it aborts); until then
 * OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT for those partitions.
 *
 *   v0     transactionalId, groupId, producerId, producerEpoch, topics → partitions (offset, metadata)
 *   v1     same (responses sent before throttling)
 *   v2     committedLeaderEpoch
 *   v3     flexible versions; generationId, memberId, groupInstanceId (KIP-447): the commit is
 *          checked against the group's members and generation like an OffsetCommit
 *   v4     same here (KIP-890 part 1 lets Kafka answer TRANSACTION_ABORTABLE)
 *
 * Errors per partition: UNKNOWN_TOPIC_OR_PARTITION, OFFSET_METADATA_TOO_LARGE, INVALID_GROUP_ID
 * (empty group id), ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
 * COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR, and the append's (INVALID_PRODUCER_EPOCH,
 * PRODUCER_FENCED, ...). Not implemented: quotas, ACLs (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 */
import { txnOffsetCommitApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

export function txnOffsetCommitHandler({ groups }: HandlerDeps): ApiHandler<typeof txnOffsetCommitApi> {
  return {
    api: txnOffsetCommitApi,
    versions: [0, 4],
    async handle(request) {
      const { topics } = await groups.txnOffsetCommit({
        transactionalId: request.transactionalId,
        groupId: request.groupId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        topics: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            committedOffset: p.committedOffset,
            committedLeaderEpoch: p.committedLeaderEpoch,
            committedMetadata: p.committedMetadata,
          })),
        })),
      });
      return { throttleTimeMs: 0, topics };
    },
  };
}
