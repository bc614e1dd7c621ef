import { describe, expect, it } from 'vitest';
import { RoundRobinPartitioner } from '../../src/client/partitioner.js';
import { murmur2, partitionForKey, toPositive } from '../../src/client/murmur2.js';

// Apache Kafka, clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java (testMurmur2).
const JAVA_VECTORS: [string | number[], number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  [[0x61, 0x62, 0x63], 479470107],
];

describe('murmur2', () => {
  it.each(JAVA_VECTORS)('hashes %j to the Java client value %i', (input, expected) => {
    const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Uint8Array.from(input);
    expect(murmur2(bytes)).toBe(expected);
  });

  it('covers every tail length (0-3 bytes past the last 4-byte block) deterministically', () => {
    const seen = new Set<number>();
    for (let n = 0; n < 8; n++) seen.add(murmur2(Buffer.alloc(n, 0x41)));
    expect(seen.size).toBe(8);
    expect(murmur2(Buffer.alloc(0))).toBe(murmur2(new Uint8Array(0)));
  });
});

describe('partitioning', () => {
  it('maps a key to toPositive(murmur2(key)) % numPartitions, as the Java default partitioner', () => {
    // murmur2("21") = -973932308; toPositive clears the sign bit.
    expect(toPositive(-973932308)).toBe(-973932308 & 0x7fffffff);
    expect(partitionForKey(Buffer.from('21'), 7)).toBe((-973932308 & 0x7fffffff) % 7);
    expect(toPositive(-2147483648)).toBe(0);
  });

  // RoundRobinPartitioner: the console producer's (sluice produce) and the producer's 'roundrobin'.
  const message = { value: null };

  it('sends records without a key round robin over the partitions', () => {
    const p = new RoundRobinPartitioner();
    expect(Array.from({ length: 7 }, () => p.partition('t', 3, message, null))).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it('keeps a key on the same partition every time', () => {
    const p = new RoundRobinPartitioner();
    const key = Buffer.from('user-42');
    const first = p.partition('t', 12, message, key);
    for (let i = 0; i < 20; i++) expect(p.partition('t', 12, message, key)).toBe(first);
  });

  it('refuses a partition count that is not positive', () => {
    expect(() => new RoundRobinPartitioner().partition('t', 0, message, null)).toThrow(RangeError);
    expect(() => partitionForKey(Buffer.from('k'), 0)).toThrow(RangeError);
  });
});
