/**
 * Cluster-mode settings, from server.properties (or the serve options) and `--cluster`:
 *
 *   cluster.metadata.store        (ours) etcd://host:port[,host:port…][/path] — the etcd members
 *                                 and, from the path, the cluster's key prefix (default
 *                                 /sluice/default/). Absent: a single node (LocalMetadataStore).
 *   broker.session.timeout.ms     Kafka's (KRaft: how long a broker lives without heartbeats):
 *                                 the etcd lease TTL, rounded up to whole seconds. Default 9000.
 *   broker.rack                   Kafka's: the rack in this broker's registration. Default none.
 *   controller.quorum.request.timeout.ms  Kafka's deadline of a broker's requests to the KRaft
 *                                 quorum: here, of each etcd request. Default 2000.
 *   unclean.leader.election.enable Kafka's broker default of the topic setting (defined with the
 *                                 log settings, storage/log-config-defs.ts). Default false.
 *
 * `--cluster <url>` on `sluice serve` sets cluster.metadata.store. Parsing only: the broker does
 * not run in cluster mode yet (docs/cluster.md).
 */
import { ConfigType, parseConfigValue, type ConfigDef } from '../config-def.js';
import { KafkaError } from '../errors.js';
import { BROKER_LOG_CONFIG_DEFS } from '../storage/log-config-defs.js';

export const CLUSTER_METADATA_STORE = 'cluster.metadata.store';
export const DEFAULT_CLUSTER_PREFIX = '/sluice/default/';

export const CLUSTER_CONFIG_DEFS: readonly ConfigDef[] = [
  {
    name: CLUSTER_METADATA_STORE,
    type: ConfigType.STRING,
    defaultValue: null,
    doc: 'etcd://host:port[,host:port][/prefix]: the etcd cluster that holds the cluster metadata; absent: a single node.',
  },
  {
    name: 'broker.session.timeout.ms',
    type: ConfigType.INT,
    defaultValue: '9000',
    doc: 'How long a broker stays registered without reaching the metadata store (etcd lease TTL).',
    range: { min: 1000 },
  },
  { name: 'broker.rack', type: ConfigType.STRING, defaultValue: null, doc: 'Rack of the broker.' },
  {
    name: 'controller.quorum.request.timeout.ms',
    type: ConfigType.INT,
    defaultValue: '2000',
    doc: 'Deadline of each request to the metadata store.',
    range: { min: 100 },
  },
  BROKER_LOG_CONFIG_DEFS['unclean.leader.election.enable']!,
];

export interface EtcdLocation {
  /** host:port of each member. */
  endpoints: string[];
  /** The key prefix, starting and ending with '/'. */
  prefix: string;
}

export type ClusterConfig =
  | { mode: 'single-node' }
  | {
      mode: 'etcd';
      etcd: EtcdLocation;
      sessionTimeoutMs: number;
      requestTimeoutMs: number;
      rack: string | null;
      uncleanLeaderElectionEnable: boolean;
    };

function invalid(message: string): KafkaError {
  return new KafkaError('INVALID_CONFIG', message);
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+):([0-9]{1,5})$/;
const PREFIX_SEGMENT = /^[a-zA-Z0-9._-]+$/;

/** Parses etcd://host:port[,host:port…][/path]; throws INVALID_CONFIG naming what is wrong. */
export function parseEtcdUrl(text: string, setting = CLUSTER_METADATA_STORE): EtcdLocation {
  const trimmed = text.trim();
  const m = /^etcd:\/\/([^/]*)(\/.*)?$/.exec(trimmed);
  if (m === null) throw invalid(`${setting}=${trimmed}: expected etcd://host:port[,host:port…][/prefix]`);
  const endpoints = m[1]!.split(',').map((s) => s.trim());
  if (endpoints.length === 0 || endpoints.some((e) => e === '')) throw invalid(`${setting}=${trimmed}: no etcd member given`);
  for (const e of endpoints) {
    const hp = HOST_PORT.exec(e);
    const port = hp === null ? NaN : Number(hp[2]);
    if (hp === null || port < 1 || port > 65535) throw invalid(`${setting}=${trimmed}: ${e} is not host:port`);
  }
  const path = (m[2] ?? '').split('/').filter((s) => s !== '');
  const bad = path.find((s) => !PREFIX_SEGMENT.test(s));
  if (bad !== undefined) throw invalid(`${setting}=${trimmed}: prefix segment "${bad}" may only contain [a-zA-Z0-9._-]`);
  return { endpoints, prefix: path.length === 0 ? DEFAULT_CLUSTER_PREFIX : `/${path.join('/')}/` };
}

/**
 * The cluster settings from `properties` (server.properties keys, strings) and `--cluster`
 * (which wins over cluster.metadata.store). Throws INVALID_CONFIG.
 */
export function loadClusterConfig(properties: ReadonlyMap<string, string>, clusterFlag?: string): ClusterConfig {
  const values = new Map<string, string | null>();
  for (const def of CLUSTER_CONFIG_DEFS) {
    const raw = def.name === CLUSTER_METADATA_STORE && clusterFlag !== undefined ? clusterFlag : properties.get(def.name);
    if (raw === undefined) {
      values.set(def.name, def.defaultValue);
      continue;
    }
    const parsed = parseConfigValue(def, raw);
    if ('error' in parsed) throw invalid(`invalid value ${raw} for ${def.name}: ${parsed.error}`);
    values.set(def.name, parsed.value === '' && def.type === ConfigType.STRING ? null : parsed.value);
  }
  const store = values.get(CLUSTER_METADATA_STORE) ?? null;
  if (store === null) return { mode: 'single-node' };
  return {
    mode: 'etcd',
    etcd: parseEtcdUrl(store, clusterFlag !== undefined ? '--cluster' : CLUSTER_METADATA_STORE),
    sessionTimeoutMs: Number(values.get('broker.session.timeout.ms')),
    requestTimeoutMs: Number(values.get('controller.quorum.request.timeout.ms')),
    rack: values.get('broker.rack') ?? null,
    uncleanLeaderElectionEnable: values.get('unclean.leader.election.enable') === 'true',
  };
}
