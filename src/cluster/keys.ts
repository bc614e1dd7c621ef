/**
 * The key layout under the cluster prefix (cluster-config.ts, e.g. `/sluice/default/`) and the
 * values, JSON in UTF-8:
 *
 *   cluster-id                  "<22-char base64url uuid>"           created once, never changed
 *   brokers/<id>                {brokerId, endpoints:[{name,host,port,securityProtocol}], rack}
 *                               leased: gone when the broker's session ends
 *   controller                  {brokerId}                             leased; its create revision
 *                               is the controller epoch
 *   topics/<name>               {name, topicId, assignment:[[replica…]…], configs:{…}}
 *   partitions/<topic>/<p>      {leader, leaderEpoch, isr:[…], partitionEpoch}
 *
 * Broker ids and partition indexes are decimal. Topic names cannot contain '/' (Kafka's legal
 * characters are [a-zA-Z0-9._-]), so partitions/<topic>/ is an exact prefix of one topic's
 * partitions.
 */
import type { BrokerRegistration, ControllerInfo, MetadataChange, PartitionState, TopicRecord } from './metadata-store.js';

export const CLUSTER_ID_KEY = 'cluster-id';
export const CONTROLLER_KEY = 'controller';
export const BROKERS_PREFIX = 'brokers/';
export const TOPICS_PREFIX = 'topics/';
export const PARTITIONS_PREFIX = 'partitions/';

export const brokerKey = (brokerId: number): string => `${BROKERS_PREFIX}${brokerId}`;
export const topicKey = (name: string): string => `${TOPICS_PREFIX}${name}`;
export const partitionsPrefix = (topic: string): string => `${PARTITIONS_PREFIX}${topic}/`;
export const partitionKey = (topic: string, partition: number): string => `${partitionsPrefix(topic)}${partition}`;

export function encode(value: unknown): string {
  return JSON.stringify(value);
}

/** What a key (relative to the prefix) names; null for keys this version does not know. */
export type ParsedKey =
  | { kind: 'cluster-id' }
  | { kind: 'controller' }
  | { kind: 'broker'; brokerId: number }
  | { kind: 'topic'; name: string }
  | { kind: 'partition'; topic: string; partition: number };

const DECIMAL = /^(0|[1-9][0-9]*)$/;

export function parseKey(key: string): ParsedKey | null {
  if (key === CLUSTER_ID_KEY) return { kind: 'cluster-id' };
  if (key === CONTROLLER_KEY) return { kind: 'controller' };
  if (key.startsWith(BROKERS_PREFIX)) {
    const id = key.slice(BROKERS_PREFIX.length);
    return DECIMAL.test(id) ? { kind: 'broker', brokerId: Number(id) } : null;
  }
  if (key.startsWith(TOPICS_PREFIX)) return { kind: 'topic', name: key.slice(TOPICS_PREFIX.length) };
  if (key.startsWith(PARTITIONS_PREFIX)) {
    const rest = key.slice(PARTITIONS_PREFIX.length);
    const slash = rest.lastIndexOf('/');
    const p = rest.slice(slash + 1);
    if (slash <= 0 || !DECIMAL.test(p)) return null;
    return { kind: 'partition', topic: rest.slice(0, slash), partition: Number(p) };
  }
  return null;
}

/**
 * The change a key's new value (null: deleted) makes at `revision`; `createRevision` is the
 * key's create revision (the controller epoch for the controller key).
 */
export function changeOf(key: string, value: string | null, revision: number, createRevision: number): MetadataChange | null {
  const parsed = parseKey(key);
  if (parsed === null) return null;
  const json = value === null ? null : (JSON.parse(value) as unknown);
  switch (parsed.kind) {
    case 'cluster-id':
      return json === null ? null : { kind: 'cluster-id', revision, clusterId: json as string };
    case 'controller':
      return {
        kind: 'controller',
        revision,
        controller: json === null ? null : { brokerId: (json as { brokerId: number }).brokerId, epoch: createRevision },
      };
    case 'broker':
      return { kind: 'broker', revision, brokerId: parsed.brokerId, registration: json as BrokerRegistration | null };
    case 'topic':
      return { kind: 'topic', revision, name: parsed.name, topic: json as TopicRecord | null };
    case 'partition':
      return { kind: 'partition', revision, topic: parsed.topic, partition: parsed.partition, state: json as PartitionState | null };
  }
}

export function controllerOf(value: string, createRevision: number): ControllerInfo {
  return { brokerId: (JSON.parse(value) as { brokerId: number }).brokerId, epoch: createRevision };
}
