/**
 * Applying changes to a MetadataSnapshot: how a snapshot is built from the stored keys, and
 * how a watcher (the controller, later every broker's metadata cache) keeps one current.
 */
import type { MetadataChange, MetadataSnapshot } from './metadata-store.js';

export function emptySnapshot(revision: number): MetadataSnapshot {
  return { revision, clusterId: null, controller: null, brokers: new Map(), topics: new Map(), partitions: new Map() };
}

/** Applies `changes` (in revision order) to `snapshot`; its revision becomes the last change's. */
export function applyChanges(snapshot: MetadataSnapshot, changes: readonly MetadataChange[]): void {
  for (const change of changes) {
    switch (change.kind) {
      case 'cluster-id':
        snapshot.clusterId = change.clusterId;
        break;
      case 'controller':
        snapshot.controller = change.controller;
        break;
      case 'broker':
        if (change.registration === null) snapshot.brokers.delete(change.brokerId);
        else snapshot.brokers.set(change.brokerId, change.registration);
        break;
      case 'topic':
        if (change.topic === null) snapshot.topics.delete(change.name);
        else snapshot.topics.set(change.name, { value: change.topic, modRevision: change.revision });
        break;
      case 'partition': {
        let partitions = snapshot.partitions.get(change.topic);
        if (change.state === null) {
          partitions?.delete(change.partition);
          if (partitions?.size === 0) snapshot.partitions.delete(change.topic);
          break;
        }
        if (partitions === undefined) snapshot.partitions.set(change.topic, (partitions = new Map()));
        partitions.set(change.partition, { value: change.state, modRevision: change.revision });
        break;
      }
    }
    snapshot.revision = Math.max(snapshot.revision, change.revision);
  }
}
