/**
 * The topics of this node: name, topic id, partition count, replication factor and config
 * overrides. Kept in memory and persisted as one msgpackr file, written atomically (temp,
 * fsync, rename, fsync dir) after every change:
 *
 *   <dataDir>/sluice-topics.meta
 *     { version: 1,
 *       topics: [{ name, topicId (22-char base64url), partitionCount, replicationFactor,
 *                  configs: { <kafka topic config name>: <string> }, internal, createdMs }],
 *       deleting: [<topic name>, …] }   deleted topics whose logs may still be on disk
 *
 * Name rules are Kafka's (org.apache.kafka.common.internals.Topic): 1-249 characters of
 * [a-zA-Z0-9._-], not "." or "..", and not colliding with an existing topic once '.' and '_'
 * are treated alike (Kafka's metric names cannot tell them apart) — INVALID_TOPIC_EXCEPTION.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pack, unpack } from 'msgpackr';
import { native } from '../native.js';
import type { TopicConfigs } from './topic-config.js';

export const TOPICS_FILE = 'sluice-topics.meta';
const FORMAT_VERSION = 1;
export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Topics owned by coordinators; users cannot create or auto-create them. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

export interface TopicMetadata {
  name: string;
  topicId: string;
  partitionCount: number;
  replicationFactor: number;
  configs: TopicConfigs;
  internal: boolean;
  createdMs: number;
}

/** Kafka's Topic.validate: an error message, or null when the name is legal. */
export function topicNameError(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  if (!LEGAL.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

function unifyCollisionChars(name: string): string {
  return name.replaceAll('.', '_');
}

export class TopicRegistry {
  private readonly file: string;
  private readonly byName = new Map<string, TopicMetadata>();
  private readonly byId = new Map<string, TopicMetadata>();
  private readonly byUnified = new Map<string, string>();
  private readonly deletingNames = new Set<string>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(dataDir: string) {
    this.file = path.join(dataDir, TOPICS_FILE);
  }

  /** Reads the registry file of `dataDir` (absent: no topics). */
  static load(dataDir: string): TopicRegistry {
    const registry = new TopicRegistry(dataDir);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(registry.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return registry;
      throw err;
    }
    const doc = unpack(bytes) as { version: number; topics: TopicMetadata[]; deleting?: string[] };
    if (doc.version !== FORMAT_VERSION) throw new Error(`${registry.file}: unsupported version ${doc.version}`);
    for (const t of doc.topics) registry.index({ ...t, configs: { ...t.configs } });
    for (const name of doc.deleting ?? []) registry.deletingNames.add(name);
    return registry;
  }

  get(name: string): TopicMetadata | undefined {
    return this.byName.get(name);
  }

  getById(topicId: string): TopicMetadata | undefined {
    return this.byId.get(topicId);
  }

  all(): TopicMetadata[] {
    return [...this.byName.values()];
  }

  /** The existing topic `name` would collide with ('.' vs '_'), or null. */
  collidesWith(name: string): string | null {
    const other = this.byUnified.get(unifyCollisionChars(name));
    return other !== undefined && other !== name ? other : null;
  }

  private index(topic: TopicMetadata): void {
    this.byName.set(topic.name, topic);
    this.byId.set(topic.topicId, topic);
    this.byUnified.set(unifyCollisionChars(topic.name), topic.name);
  }

  /** Adds a topic and persists; resolves when the file is durable. */
  add(topic: TopicMetadata): Promise<void> {
    this.index(topic);
    return this.persist();
  }

  /** Names of deleted topics whose logs may not all be removed yet (a crash in between). */
  get deleting(): ReadonlySet<string> {
    return this.deletingNames;
  }

  /** Removes a topic and persists it as "deleting" until `deleted(name)`. */
  remove(name: string): Promise<void> {
    this.deletingNames.add(name);
    const topic = this.byName.get(name);
    if (topic !== undefined) {
      this.byName.delete(name);
      this.byId.delete(topic.topicId);
      this.byUnified.delete(unifyCollisionChars(name));
    }
    return this.persist();
  }

  /** The logs of a removed topic are gone. */
  deleted(name: string): Promise<void> {
    if (!this.deletingNames.delete(name)) return this.writing;
    return this.persist();
  }

  /** Replaces fields of a topic (partition count, configs) and persists. */
  update(name: string, patch: Partial<Pick<TopicMetadata, 'partitionCount' | 'configs'>>): Promise<void> {
    const topic = this.byName.get(name);
    if (topic === undefined) throw new Error(`no topic ${name}`);
    Object.assign(topic, patch);
    return this.persist();
  }

  /** Writes the current state; writes are serialized so the file ends as the last state. */
  persist(): Promise<void> {
    const run = async (): Promise<void> => {
      const doc = { version: FORMAT_VERSION, topics: this.all(), deleting: [...this.deletingNames] };
      await native.writeFileAtomic(this.file, pack(doc));
    };
    const next = this.writing.then(run, run);
    this.writing = next.catch(() => undefined);
    return next;
  }
}
