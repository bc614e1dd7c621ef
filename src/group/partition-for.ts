/**
 * Which partition of `__consumer_offsets` holds a group: Kafka's
 * `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`, bit for bit, so a data
 * directory (and every tool that reads the topic) agrees with Kafka on where a group lives.
 *
 * Java's String.hashCode is s[0]*31^(n-1) + … + s[n-1] over UTF-16 code units in 32-bit
 * two's-complement arithmetic; JavaScript strings are UTF-16 too, so charCodeAt gives the same
 * units. Utils.abs is `n & 0x7fffffff` (not Math.abs: Integer.MIN_VALUE maps to 0).
 */

/** Java's `String.hashCode()`. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's GroupCoordinator.partitionFor. */
export function partitionForGroup(groupId: string, partitionCount: number): number {
  return (javaStringHashCode(groupId) & 0x7fffffff) % partitionCount;
}
