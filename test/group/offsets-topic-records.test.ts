/**
 * The __consumer_offsets record layouts byte for byte (Kafka's OffsetCommitKey/Value and
 * GroupMetadataKey/Value schemas), reading the older versions Kafka wrote, rejecting what does
 * not follow them; and the group → partition mapping Java computes.
 */
import { describe, expect, it } from 'vitest';
import {
  OffsetsTopicFormatError,
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type GroupMetadataValue,
} from '../../src/group/offsets-topic-records.js';
import { javaStringHashCode, partitionForGroup } from '../../src/group/partition-for.js';
import { subscribedTopicsOf } from '../../src/group/subscription.js';
import { subscription } from './harness.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const i64 = (n: number): string => n.toString(16).padStart(16, '0');

describe('keys', () => {
  it('OffsetCommitKey v1: version, group, topic, partition', () => {
    const key = encodeOffsetCommitKey('g', 't', 1);
    expect(key).toEqual(hex('0001 0001 67 0001 74 00000001'));
    expect(decodeKey(key)).toEqual({ type: 'offset', group: 'g', topic: 't', partition: 1 });
    // v0 has the same fields.
    expect(decodeKey(hex('0000 0001 67 0001 74 00000002'))).toEqual({ type: 'offset', group: 'g', topic: 't', partition: 2 });
  });

  it('GroupMetadataKey v2: version, group', () => {
    expect(encodeGroupMetadataKey('grp')).toEqual(hex('0002 0003 677270'));
    expect(decodeKey(encodeGroupMetadataKey('grp'))).toEqual({ type: 'group', group: 'grp' });
  });

  it('an unknown key version, a truncated key and a null string are refused', () => {
    expect(() => decodeKey(hex('0003 0001 67'))).toThrow(OffsetsTopicFormatError);
    expect(() => decodeKey(hex('0001 0001'))).toThrow(/truncated/);
    expect(() => decodeKey(hex('0002 ffff'))).toThrow(/null string/);
  });

  it('UTF-8 names are length-prefixed in bytes', () => {
    const key = encodeGroupMetadataKey('é');
    expect(key).toEqual(hex('0002 0002 c3a9'));
    expect(decodeKey(key)).toEqual({ type: 'group', group: 'é' });
  });
});

describe('OffsetCommitValue', () => {
  it('v3: offset, leaderEpoch, metadata, commitTimestamp', () => {
    const value = { offset: 5n, leaderEpoch: 2, metadata: 'm', commitTimestamp: 1000, expireTimestamp: null };
    const bytes = encodeOffsetCommitValue(value);
    expect(bytes).toEqual(hex(`0003 ${i64(5)} 00000002 0001 6d ${i64(1000)}`));
    expect(decodeOffsetCommitValue(bytes)).toEqual(value);
  });

  it('v1 when the commit carries an expire timestamp', () => {
    const value = { offset: 5n, leaderEpoch: -1, metadata: '', commitTimestamp: 1000, expireTimestamp: 2000 };
    const bytes = encodeOffsetCommitValue(value);
    expect(bytes).toEqual(hex(`0001 ${i64(5)} 0000 ${i64(1000)} ${i64(2000)}`));
    expect(decodeOffsetCommitValue(bytes)).toEqual(value);
  });

  it('reads v0 and v2 (no leader epoch, no expiry)', () => {
    for (const version of ['0000', '0002']) {
      expect(decodeOffsetCommitValue(hex(`${version} ${i64(9)} 0002 6869 ${i64(77)}`))).toEqual({
        offset: 9n,
        leaderEpoch: -1,
        metadata: 'hi',
        commitTimestamp: 77,
        expireTimestamp: null,
      });
    }
  });

  it('refuses unknown versions and truncated values', () => {
    expect(() => decodeOffsetCommitValue(hex(`0004 ${i64(1)}`))).toThrow(/version 4/);
    expect(() => decodeOffsetCommitValue(hex(`0003 ${i64(1)} 0000`))).toThrow(OffsetsTopicFormatError);
  });
});

describe('GroupMetadataValue', () => {
  const value: GroupMetadataValue = {
    protocolType: 'consumer',
    generationId: 4,
    protocolName: 'range',
    leaderId: 'm1',
    currentStateTimestamp: 123,
    members: [
      {
        memberId: 'm1',
        groupInstanceId: 'i1',
        clientId: 'c',
        clientHost: '/127.0.0.1',
        rebalanceTimeoutMs: 300000,
        sessionTimeoutMs: 45000,
        subscription: Buffer.from([1, 2]),
        assignment: Buffer.from([3]),
      },
      {
        memberId: 'm2',
        groupInstanceId: null,
        clientId: 'c',
        clientHost: '/::1',
        rebalanceTimeoutMs: 1,
        sessionTimeoutMs: 2,
        subscription: Buffer.alloc(0),
        assignment: Buffer.alloc(0),
      },
    ],
  };

  it('v3 round-trips, nullable protocol, leader and instance id included', () => {
    const bytes = encodeGroupMetadataValue(value);
    expect(bytes.readInt16BE(0)).toBe(3);
    expect(decodeGroupMetadataValue(bytes)).toEqual(value);
    const empty = { ...value, protocolName: null, leaderId: null, members: [] };
    expect(decodeGroupMetadataValue(encodeGroupMetadataValue(empty))).toEqual(empty);
    // An empty group: type, generation, null protocol, null leader, timestamp, no members.
    expect(encodeGroupMetadataValue({ ...empty, protocolType: '', generationId: 1, currentStateTimestamp: 5 })).toEqual(
      hex(`0003 0000 00000001 ffff ffff ${i64(5)} 00000000`),
    );
  });

  it('reads v0 (no rebalance timeout: the session timeout stands in), v1 and v2', () => {
    const member = (withRebalance: boolean) => `0002 6d31 0001 63 0001 68 ${withRebalance ? '00000007' : ''} 00000009 00000001 aa 00000000`;
    const v0 = hex(`0000 0001 78 00000002 0001 70 0002 6d31 00000001 ${member(false)}`);
    expect(decodeGroupMetadataValue(v0)).toEqual({
      protocolType: 'x',
      generationId: 2,
      protocolName: 'p',
      leaderId: 'm1',
      currentStateTimestamp: -1,
      members: [
        {
          memberId: 'm1',
          groupInstanceId: null,
          clientId: 'c',
          clientHost: 'h',
          rebalanceTimeoutMs: 9,
          sessionTimeoutMs: 9,
          subscription: hex('aa'),
          assignment: Buffer.alloc(0),
        },
      ],
    });
    const v1 = hex(`0001 0001 78 00000002 0001 70 0002 6d31 00000001 ${member(true)}`);
    expect(decodeGroupMetadataValue(v1).members[0]!.rebalanceTimeoutMs).toBe(7);
    const v2 = hex(`0002 0001 78 00000002 0001 70 0002 6d31 ${i64(55)} 00000001 ${member(true)}`);
    expect(decodeGroupMetadataValue(v2).currentStateTimestamp).toBe(55);
  });

  it('refuses unknown versions, negative counts and null bytes', () => {
    expect(() => decodeGroupMetadataValue(hex('0009'))).toThrow(/version 9/);
    expect(() => decodeGroupMetadataValue(hex(`0003 0000 00000001 ffff ffff ${i64(5)} ffffffff`))).toThrow(/negative member count/);
    expect(() =>
      decodeGroupMetadataValue(hex(`0003 0000 00000001 ffff ffff ${i64(5)} 00000001 0001 61 ffff 0001 63 0001 68 00000001 00000001 ffffffff`)),
    ).toThrow(/null bytes/);
  });
});

describe('group → partition (Utils.abs(groupId.hashCode()) % n)', () => {
  it("computes Java's String.hashCode over UTF-16 units", () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('é')).toBe(233);
    expect(javaStringHashCode('😀')).toBe(0xd83d * 31 + 0xde00);
    // Overflows wrap as in Java: this one is Integer.MIN_VALUE.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
  });

  it('maps with Utils.abs (n & 0x7fffffff), so Integer.MIN_VALUE goes to partition 0', () => {
    expect(partitionForGroup('hello', 50)).toBe(99162322 % 50);
    expect(partitionForGroup('polygenelubricants', 50)).toBe(0);
    expect(partitionForGroup('console-consumer-12345', 50)).toBe((javaStringHashCode('console-consumer-12345') & 0x7fffffff) % 50);
    for (const g of ['a', 'group', 'my-consumer-group', '']) expect(partitionForGroup(g, 7)).toBeLessThan(7);
  });
});

describe('consumer subscriptions', () => {
  it('reads the topics of every ConsumerProtocolSubscription version prefix', () => {
    expect(subscribedTopicsOf(subscription(['a', 'bb']))).toEqual(['a', 'bb']);
    // v3 adds fields after the topics: ignored.
    const v3 = Buffer.concat([hex('0003 00000001 0001 61'), hex('ffffffff 00000000 ffffffff 0000')]);
    expect(subscribedTopicsOf(v3)).toEqual(['a']);
  });

  it('answers null for what does not parse', () => {
    expect(subscribedTopicsOf(Buffer.alloc(0))).toBeNull();
    expect(subscribedTopicsOf(hex('ffff 00000000'))).toBeNull();
    expect(subscribedTopicsOf(hex('0000 ffffffff'))).toBeNull();
    expect(subscribedTopicsOf(hex('0000 00000002 0001 61'))).toBeNull();
    expect(subscribedTopicsOf(hex('0000 00000001 0005 61'))).toBeNull();
  });
});
