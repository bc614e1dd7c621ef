/**
 * DescribeCluster (60), versions 0–1 (KIP-700).
 *
 *   v0     includeClusterAuthorizedOperations; clusterId, controllerId, brokers,
 *          clusterAuthorizedOperations (with no authorizer: every cluster operation when asked
 *          for, as Kafka; else -2147483648)
 *   v1     endpointType (KIP-919): 1 brokers is served; 2 controllers answers
 *          MISMATCHED_ENDPOINT_TYPE, anything else UNSUPPORTED_ENDPOINT_TYPE — as a Kafka
 *          broker answers (v0: INVALID_REQUEST)
 *
 * This node is the controller, so controllerId is its own id.
 */
import { ErrorCode } from '../../errors.js';
import { describeClusterApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_AUTHORIZED_OPERATIONS, type HandlerDeps } from './common.js';

const EndpointType = { BROKER: 1, CONTROLLER: 2 } as const;

export function describeClusterHandler({ broker }: HandlerDeps): ApiHandler<typeof describeClusterApi> {
  return {
    api: describeClusterApi,
    versions: [0, 1],
    handle(request, ctx) {
      const version = ctx.header.apiVersion;
      if (request.endpointType !== EndpointType.BROKER) {
        const known = request.endpointType === EndpointType.CONTROLLER;
        return {
          throttleTimeMs: 0,
          errorCode: version === 0 ? ErrorCode.INVALID_REQUEST : known ? ErrorCode.MISMATCHED_ENDPOINT_TYPE : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: known
            ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER'
            : `Unsupported endpoint type ${request.endpointType}`,
          clusterId: '',
        };
      }
      const r = broker.describeCluster({ listenerName: ctx.connection.listenerName });
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        endpointType: EndpointType.BROKER,
        clusterId: r.clusterId,
        controllerId: r.controllerId,
        brokers: r.brokers.map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
        clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? CLUSTER_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
      };
    },
  };
}
