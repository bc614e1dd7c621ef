/**
 * Metadata and DescribeCluster answers (Kafka's MetadataCache, as KafkaApis reads it): the
 * brokers (this node, on the listener the request came in on), the controller (this node) and
 * each topic's partitions with leader, leader epoch, replicas and ISR. Unknown topics are
 * auto-created through the topic admin when allowed. In a cluster this is where the
 * controller's view of brokers, leaders and ISRs will be read from.
 */
import { ErrorCode } from '../errors.js';
import type { BrokerConfig } from './broker-config.js';
import type { HostedTopic, ReplicaManager } from './replica-manager.js';
import type { TopicAdmin } from './topic-admin.js';
import { INTERNAL_TOPICS } from './topic-registry.js';
import { ZERO_UUID } from './uuid.js';
import type { BrokerEndpoint, DescribeClusterResult, MetadataResult, MetadataTopic } from './types.js';

export class MetadataCache {
  private readonly config: BrokerConfig;
  private readonly clusterId: string;
  private readonly replicas: ReplicaManager;
  private readonly admin: TopicAdmin;

  constructor(config: BrokerConfig, clusterId: string, replicas: ReplicaManager, admin: TopicAdmin) {
    this.config = config;
    this.clusterId = clusterId;
    this.replicas = replicas;
    this.admin = admin;
  }

  private endpoints(listenerName?: string): BrokerEndpoint[] {
    const list = this.config.advertisedListeners;
    const l = list.find((x) => x.name === listenerName) ?? list[0]!;
    return [{ nodeId: this.config.nodeId, host: l.host, port: l.port, rack: null }];
  }

  /**
   * Metadata for `topicNames` (null: every topic). Unknown topics are created when
   * auto.create.topics.enable and `allowAutoTopicCreation` are both on, and returned ready.
   */
  async metadata(topicNames: string[] | null, allowAutoTopicCreation: boolean, listenerName?: string): Promise<MetadataResult> {
    const topics: MetadataTopic[] = [];
    const names = topicNames ?? this.replicas.topicNames();
    for (const name of names) {
      let state = this.replicas.topic(name);
      // A creation in flight (another request's auto-creation, FindCoordinator's
      // __consumer_offsets) holds the admin lock: wait for it rather than answer
      // UNKNOWN_TOPIC_OR_PARTITION for a topic that exists a moment later.
      if (state === undefined && topicNames !== null) state = await this.admin.exclusive(async () => this.replicas.topic(name));
      if (state === undefined && topicNames !== null) {
        if (allowAutoTopicCreation && this.config.autoCreateTopicsEnable && !INTERNAL_TOPICS.has(name)) {
          const created = await this.admin.autoCreate(name);
          if (typeof created === 'number') {
            topics.push({ errorCode: created, name, topicId: ZERO_UUID, isInternal: false, partitions: [] });
            continue;
          }
          state = created;
        } else {
          topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: ZERO_UUID, isInternal: INTERNAL_TOPICS.has(name), partitions: [] });
          continue;
        }
      }
      if (state === undefined) continue;
      topics.push(this.describeTopic(state));
    }
    return { brokers: this.endpoints(listenerName), clusterId: this.clusterId, controllerId: this.config.nodeId, topics };
  }

  private describeTopic(state: HostedTopic): MetadataTopic {
    const id = this.config.nodeId;
    return {
      errorCode: ErrorCode.NONE,
      name: state.meta.name,
      topicId: state.meta.topicId,
      isInternal: state.meta.internal,
      partitions: state.partitions.map((p) => ({
        errorCode: ErrorCode.NONE,
        partitionIndex: p.index,
        leaderId: id,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: [id],
        isrNodes: [id],
        offlineReplicas: [],
      })),
    };
  }

  describeCluster(listenerName?: string): DescribeClusterResult {
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      clusterId: this.clusterId,
      controllerId: this.config.nodeId,
      brokers: this.endpoints(listenerName),
    };
  }
}
