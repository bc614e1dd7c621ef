/**
 * FindCoordinator (10), versions 0–4.
 *
 *   v0     key: a group id; answer: nodeId, host, port
 *   v1     keyType: 0 group, 1 transaction; throttleTimeMs, errorMessage
 *   v2     same (responses sent before throttling)
 *   v3     flexible versions
 *   v4     batched: coordinatorKeys → coordinators[], one answer per key (KIP-699)
 *
 * This node coordinates every group and every transactional id. The first group lookup creates
 * `__consumer_offsets`, the first transactional one `__transaction_state` (as Kafka does); the
 * answer waits for it. Any other key type is INVALID_REQUEST ("Unknown coordinator type"), as
 * in Kafka.
 */
import { ErrorCode } from '../../errors.js';
import { findCoordinatorApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import type { HandlerDeps } from './common.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

interface Coordinator {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export function findCoordinatorHandler({ broker, groups, txns }: HandlerDeps): ApiHandler<typeof findCoordinatorApi> {
  async function lookup(keyType: number, key: string, listenerName: string): Promise<Coordinator> {
    const none = (errorCode: number, errorMessage: string): Coordinator => ({ errorCode, errorMessage, nodeId: -1, host: '', port: -1 });
    if (keyType === KEY_TYPE_TRANSACTION) {
      const errorCode = await txns.findCoordinator(key);
      if (errorCode !== ErrorCode.NONE) return none(errorCode, 'The transaction coordinator is not available');
    } else if (keyType === KEY_TYPE_GROUP) {
      const errorCode = await groups.findCoordinator();
      if (errorCode !== ErrorCode.NONE) return none(errorCode, 'The group coordinator is not available');
    } else {
      return none(ErrorCode.INVALID_REQUEST, `Unknown coordinator type ${keyType}`);
    }
    const self = broker.describeCluster({ listenerName }).brokers[0]!;
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: self.nodeId, host: self.host, port: self.port };
  }

  return {
    api: findCoordinatorApi,
    versions: [0, 4],
    async handle(request, ctx) {
      const listener = ctx.connection.listenerName;
      if (ctx.header.apiVersion < 4) {
        const c = await lookup(request.keyType, request.key, listener);
        return { throttleTimeMs: 0, ...c, errorMessage: ctx.header.apiVersion >= 1 ? c.errorMessage : null };
      }
      const coordinators = [];
      for (const key of request.coordinatorKeys) coordinators.push({ key, ...(await lookup(request.keyType, key, listener)) });
      return { throttleTimeMs: 0, coordinators };
    },
  };
}
