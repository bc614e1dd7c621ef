/**
 * Client-side partition assignors, named as Kafka names them in JoinGroup, with results equal
 * to the Java client's so members of any client can share a group. The consumer protocol they
 * read and write lives in ../consumer-protocol.ts.
 */
import { CooperativeStickyAssignor } from './cooperative-sticky.js';
import { RangeAssignor } from './range.js';
import { RoundRobinAssignor } from './round-robin.js';
import { StickyAssignor } from './sticky.js';
import type { PartitionAssignor } from './types.js';

export * from './types.js';
export { RangeAssignor } from './range.js';
export { RoundRobinAssignor } from './round-robin.js';
export { StickyAssignor, encodeStickyUserData, decodeStickyUserData } from './sticky.js';
export { CooperativeStickyAssignor, cooperativeMemberData } from './cooperative-sticky.js';
export * from '../consumer-protocol.js';

/** The built-in assignors by protocol name; Java's default list is range then cooperative-sticky. */
export function builtInAssignor(name: string): PartitionAssignor | undefined {
  switch (name) {
    case 'range':
      return new RangeAssignor();
    case 'roundrobin':
      return new RoundRobinAssignor();
    case 'sticky':
      return new StickyAssignor();
    case 'cooperative-sticky':
      return new CooperativeStickyAssignor();
    default:
      return undefined;
  }
}
