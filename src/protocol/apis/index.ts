/**
 * The registry: every API we implement, by API key. Each schema lives in its own file named
 * `<key>-<name>.ts`, which opens with the versions supported and what each adds.
 */
import type { ApiSchema } from '../schema.js';
import { produceApi } from './00-produce.js';
import { fetchApi } from './01-fetch.js';
import { listOffsetsApi } from './02-list-offsets.js';
import { metadataApi } from './03-metadata.js';
import { offsetCommitApi } from './08-offset-commit.js';
import { offsetFetchApi } from './09-offset-fetch.js';
import { findCoordinatorApi } from './10-find-coordinator.js';
import { joinGroupApi } from './11-join-group.js';
import { heartbeatApi } from './12-heartbeat.js';
import { leaveGroupApi } from './13-leave-group.js';
import { syncGroupApi } from './14-sync-group.js';
import { describeGroupsApi } from './15-describe-groups.js';
import { listGroupsApi } from './16-list-groups.js';
import { apiVersionsApi } from './18-api-versions.js';
import { createTopicsApi } from './19-create-topics.js';
import { deleteTopicsApi } from './20-delete-topics.js';
import { deleteRecordsApi } from './21-delete-records.js';
import { initProducerIdApi } from './22-init-producer-id.js';
import { offsetForLeaderEpochApi } from './23-offset-for-leader-epoch.js';
import { addPartitionsToTxnApi } from './24-add-partitions-to-txn.js';
import { addOffsetsToTxnApi } from './25-add-offsets-to-txn.js';
import { endTxnApi } from './26-end-txn.js';
import { writeTxnMarkersApi } from './27-write-txn-markers.js';
import { txnOffsetCommitApi } from './28-txn-offset-commit.js';
import { describeConfigsApi } from './32-describe-configs.js';
import { alterConfigsApi } from './33-alter-configs.js';
import { createPartitionsApi } from './37-create-partitions.js';
import { deleteGroupsApi } from './42-delete-groups.js';
import { incrementalAlterConfigsApi } from './44-incremental-alter-configs.js';
import { offsetDeleteApi } from './47-offset-delete.js';
import { describeClusterApi } from './60-describe-cluster.js';
import { describeProducersApi } from './61-describe-producers.js';
import { describeTransactionsApi } from './65-describe-transactions.js';
import { listTransactionsApi } from './66-list-transactions.js';

export {
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  apiVersionsApi,
  createTopicsApi,
  deleteTopicsApi,
  deleteRecordsApi,
  initProducerIdApi,
  offsetForLeaderEpochApi,
  addPartitionsToTxnApi,
  addOffsetsToTxnApi,
  endTxnApi,
  writeTxnMarkersApi,
  txnOffsetCommitApi,
  describeConfigsApi,
  alterConfigsApi,
  createPartitionsApi,
  deleteGroupsApi,
  incrementalAlterConfigsApi,
  offsetDeleteApi,
  describeClusterApi,
  describeProducersApi,
  describeTransactionsApi,
  listTransactionsApi,
};

/** Kafka's API keys for the APIs implemented here, by Kafka's names. */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  WriteTxnMarkers: 27,
  TxnOffsetCommit: 28,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  CreatePartitions: 37,
  DeleteGroups: 42,
  IncrementalAlterConfigs: 44,
  OffsetDelete: 47,
  DescribeCluster: 60,
  DescribeProducers: 61,
  DescribeTransactions: 65,
  ListTransactions: 66,
} as const;

/** Every implemented API, in API-key order. */
export const ALL_APIS: readonly ApiSchema[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  apiVersionsApi,
  createTopicsApi,
  deleteTopicsApi,
  deleteRecordsApi,
  initProducerIdApi,
  offsetForLeaderEpochApi,
  addPartitionsToTxnApi,
  addOffsetsToTxnApi,
  endTxnApi,
  writeTxnMarkersApi,
  txnOffsetCommitApi,
  describeConfigsApi,
  alterConfigsApi,
  createPartitionsApi,
  deleteGroupsApi,
  incrementalAlterConfigsApi,
  offsetDeleteApi,
  describeClusterApi,
  describeProducersApi,
  describeTransactionsApi,
  listTransactionsApi,
];

const byKey = new Map<number, ApiSchema>(ALL_APIS.map((api) => [api.apiKey, api]));

/** The schema for `apiKey`, or undefined when we do not implement that API. */
export function apiByKey(apiKey: number): ApiSchema | undefined {
  return byKey.get(apiKey);
}

/** Registry as a read-only map from API key to schema. */
export const API_REGISTRY: ReadonlyMap<number, ApiSchema> = byKey;
