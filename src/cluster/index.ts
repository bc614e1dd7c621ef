/**
 * Cluster metadata (issue 13, part 1): the metadata store on etcd or local to one node, the
 * controller, and the cluster settings. Not wired into the broker yet (docs/cluster.md).
 */
import type { Logger } from '../logger.js';
import type { ClusterConfig } from './cluster-config.js';
import { EtcdMetadataStore } from './etcd-store.js';
import { LocalMetadataStore } from './local-store.js';
import type { MetadataStore } from './metadata-store.js';

export { loadClusterConfig, parseEtcdUrl, CLUSTER_CONFIG_DEFS, CLUSTER_METADATA_STORE, type ClusterConfig, type EtcdLocation } from './cluster-config.js';
export { Controller, type ControllerOptions, type CreateTopicRequest } from './controller.js';
export { EtcdMetadataStore, type EtcdStoreOptions } from './etcd-store.js';
export { LocalMetadataStore } from './local-store.js';
export { assignReplicasRackUnaware } from './replica-assignment.js';
export { nextPartitionState } from './leader-election.js';
export * from './metadata-store.js';

/** The store `config` names: etcd's, or the single node's seeded from `dataDir`. Not started. */
export async function openMetadataStore(
  config: ClusterConfig,
  node: { nodeId: number; clusterId: string | null; dataDir: string },
  logger?: Logger,
): Promise<MetadataStore> {
  if (config.mode === 'single-node') return await LocalMetadataStore.open(node.dataDir, node, logger);
  return new EtcdMetadataStore({
    endpoints: config.etcd.endpoints,
    prefix: config.etcd.prefix,
    brokerId: node.nodeId,
    sessionTimeoutMs: config.sessionTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    logger,
  });
}
