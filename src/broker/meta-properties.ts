/**
 * Kafka's `meta.properties` in the data directory (Kafka's MetaProperties, version 1):
 *
 *   #
 *   #<date>
 *   node.id=<id>
 *   version=1
 *   cluster.id=<22-char base64 uuid>
 *
 * Read at start: the cluster id comes from here (created on first start, from cluster.id if
 * configured, else random), and a configured cluster.id or node.id that differs from the stored
 * one is refused, as Kafka refuses to start on another cluster's data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { KafkaError } from '../errors.js';
import { native } from '../native.js';
import type { BrokerConfig } from './broker-config.js';
import { parseProperties } from './properties-file.js';
import { randomUuid } from './uuid.js';

export const META_PROPERTIES = 'meta.properties';

/** Reads or creates meta.properties; the cluster id. Throws INVALID_CONFIG on a mismatch with the config. */
export async function loadMetaProperties(dataDir: string, config: Pick<BrokerConfig, 'nodeId' | 'clusterId'>): Promise<string> {
  const file = path.join(dataDir, META_PROPERTIES);
  let stored: Map<string, string> | null = null;
  try {
    stored = parseProperties(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (stored !== null) {
    const clusterId = stored.get('cluster.id');
    if (clusterId === undefined) throw new KafkaError('INVALID_CONFIG', `${file} has no cluster.id`);
    if (config.clusterId !== null && config.clusterId !== clusterId) {
      throw new KafkaError('INVALID_CONFIG', `cluster.id ${config.clusterId} does not match ${clusterId} in ${file}`);
    }
    const nodeId = stored.get('node.id') ?? stored.get('broker.id');
    if (nodeId !== undefined && Number(nodeId) !== config.nodeId) {
      throw new KafkaError('INVALID_CONFIG', `node.id ${config.nodeId} does not match ${nodeId} stored in ${file}`);
    }
    return clusterId;
  }
  const clusterId = config.clusterId ?? randomUuid();
  const text = `#\n#${new Date().toString()}\nnode.id=${config.nodeId}\nversion=1\ncluster.id=${clusterId}\n`;
  await native.writeFileAtomic(file, Buffer.from(text));
  return clusterId;
}
