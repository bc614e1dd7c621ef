/**
 * The consumer protocol's subscription and assignment bytes: golden bytes derived by hand from
 * ConsumerProtocolSubscription.json / ConsumerProtocolAssignment.json (apache/kafka), kafkajs's
 * MemberMetadata / MemberAssignment encoders (src/consumer/assignerProtocol.js, run here), and
 * Java's forward-compatibility rule (ConsumerProtocol: a newer version is read with the newest
 * known layout).
 */
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import {
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  encodeConsumerAssignment,
  encodeConsumerSubscription,
} from '../../src/group/consumer-protocol.js';
import { ProtocolError } from '../../src/protocol/errors.js';

/** Bytes from a spec like "00 02 't1'": hex pairs and quoted ASCII; text after 3+ spaces is a comment. */
function bytes(spec: string): Buffer {
  const out: number[] = [];
  const code = spec
    .split('\n')
    .map((line) => line.trim().split(/\s{3,}/)[0])
    .join(' ');
  for (const token of code.match(/'[^']*'|[0-9a-fA-F]{2}/g) ?? []) {
    if (token.startsWith("'")) out.push(...Buffer.from(token.slice(1, -1), 'latin1'));
    else out.push(parseInt(token, 16));
  }
  return Buffer.from(out);
}

interface KafkajsAssignerProtocol {
  MemberMetadata: {
    encode(m: { version: number; topics: string[]; userData?: Buffer }): Buffer;
    decode(b: Buffer): { version: number; topics: string[]; userData: Buffer | null };
  };
  MemberAssignment: {
    encode(a: { version: number; assignment: Record<string, number[]>; userData?: Buffer }): Buffer;
    decode(b: Buffer): { version: number; assignment: Record<string, number[]>; userData: Buffer | null } | null;
  };
}
const kafkajs = createRequire(import.meta.url)('kafkajs/src/consumer/assignerProtocol.js') as KafkajsAssignerProtocol;

const subscriptionV3 = bytes(`
  00 03                     version 3
  00 00 00 02               topics: 2
  00 02 't1'
  00 02 't2'
  00 00 00 02 ab cd         userData: 2 bytes
  00 00 00 01               ownedPartitions: 1 topic
  00 02 't1'
  00 00 00 02 00 00 00 00 00 00 00 03
  00 00 00 07               generationId 7
  00 05 'rack1'             rackId
`);

describe('subscription', () => {
  const input = {
    topics: ['t2', 't1'],
    userData: Buffer.from([0xab, 0xcd]),
    ownedPartitions: [{ topic: 't1', partitions: [3, 0] }],
    generationId: 7,
    rackId: 'rack1',
  };

  test('v3 carries topics sorted, user data, owned partitions sorted by topic and partition, generation and rack', () => {
    expect(encodeConsumerSubscription(input)).toEqual(subscriptionV3);
    expect(decodeConsumerSubscription(subscriptionV3)).toEqual({
      version: 3,
      topics: ['t1', 't2'],
      userData: Buffer.from([0xab, 0xcd]),
      ownedPartitions: [{ topic: 't1', partitions: [0, 3] }],
      generationId: 7,
      rackId: 'rack1',
    });
  });

  test('owned partitions listed under one topic twice are merged into one sorted entry', () => {
    const buf = encodeConsumerSubscription({
      topics: ['b', 'a'],
      ownedPartitions: [
        { topic: 'b', partitions: [1] },
        { topic: 'a', partitions: [2] },
        { topic: 'b', partitions: [0] },
      ],
    });
    expect(decodeConsumerSubscription(buf).ownedPartitions).toEqual([
      { topic: 'a', partitions: [2] },
      { topic: 'b', partitions: [0, 1] },
    ]);
  });

  test('each older version drops the fields it lacks, and decodes them as their defaults', () => {
    const v0 = bytes(`
      00 00  00 00 00 02  00 02 't1'  00 02 't2'  00 00 00 02 ab cd
    `);
    const v1 = Buffer.concat([bytes('00 01'), v0.subarray(2), bytes(`00 00 00 01  00 02 't1'  00 00 00 02 00 00 00 00 00 00 00 03`)]);
    const v2 = Buffer.concat([bytes('00 02'), v1.subarray(2), bytes('00 00 00 07')]);
    expect(encodeConsumerSubscription(input, 0)).toEqual(v0);
    expect(encodeConsumerSubscription(input, 1)).toEqual(v1);
    expect(encodeConsumerSubscription(input, 2)).toEqual(v2);

    expect(decodeConsumerSubscription(v0)).toMatchObject({ version: 0, ownedPartitions: [], generationId: -1, rackId: null });
    expect(decodeConsumerSubscription(v1)).toMatchObject({ version: 1, generationId: -1, rackId: null });
    expect(decodeConsumerSubscription(v1).ownedPartitions).toEqual([{ topic: 't1', partitions: [0, 3] }]);
    expect(decodeConsumerSubscription(v2)).toMatchObject({ version: 2, generationId: 7, rackId: null });
  });

  test('defaults: null user data, no owned partitions, generation -1, null rack', () => {
    const buf = encodeConsumerSubscription({ topics: ['t'] });
    expect(buf).toEqual(
      bytes(`
        00 03  00 00 00 01  00 01 't'
        ff ff ff ff              userData null
        00 00 00 00              no owned partitions
        ff ff ff ff              generation -1
        ff ff                    rack null
      `),
    );
    expect(decodeConsumerSubscription(buf)).toEqual({
      version: 3,
      topics: ['t'],
      userData: null,
      ownedPartitions: [],
      generationId: -1,
      rackId: null,
    });
  });

  test('an empty rack id reads as no rack, as Java reads it', () => {
    const buf = bytes(`00 03  00 00 00 00  ff ff ff ff  00 00 00 00  ff ff ff ff  00 00`);
    expect(decodeConsumerSubscription(buf).rackId).toBeNull();
  });

  test('a newer version is read with the v3 layout and its extra fields are ignored', () => {
    const v9 = Buffer.concat([bytes('00 09'), subscriptionV3.subarray(2), bytes(`00 00 00 2a  00 03 'new'`)]);
    expect(decodeConsumerSubscription(v9)).toEqual({ ...decodeConsumerSubscription(subscriptionV3), version: 9 });
  });

  test('a negative version, a truncated body and a null topic array are rejected', () => {
    expect(() => decodeConsumerSubscription(bytes('ff ff  00 00 00 00  ff ff ff ff'))).toThrow(ProtocolError);
    expect(() => decodeConsumerSubscription(subscriptionV3.subarray(0, subscriptionV3.length - 3))).toThrow(/truncated/);
    expect(() => decodeConsumerSubscription(bytes('00 00  ff ff ff ff  ff ff ff ff'))).toThrow(/null array/);
    expect(() => decodeConsumerSubscription(bytes('00'))).toThrow(ProtocolError);
    expect(() => encodeConsumerSubscription({ topics: [] }, 4)).toThrow(/version 4/);
  });

  test('decoded user data does not alias the input buffer', () => {
    const buf = Buffer.from(subscriptionV3);
    const sub = decodeConsumerSubscription(buf);
    buf.fill(0);
    expect(sub.userData).toEqual(Buffer.from([0xab, 0xcd]));
  });
});

describe('assignment', () => {
  const assignmentV3 = bytes(`
    00 03                     version 3
    00 00 00 02               2 topics, in the order given
    00 02 't2'  00 00 00 01 00 00 00 04
    00 02 't1'  00 00 00 02 00 00 00 00 00 00 00 01
    ff ff ff ff               userData null
  `);

  test('carries topics and partitions as given and user data; versions 0-3 share the layout', () => {
    const input = {
      assignedPartitions: [
        { topic: 't2', partitions: [4] },
        { topic: 't1', partitions: [0, 1] },
      ],
    };
    expect(encodeConsumerAssignment(input)).toEqual(assignmentV3);
    for (const version of [0, 1, 2]) {
      expect(encodeConsumerAssignment(input, version)).toEqual(Buffer.concat([bytes(`00 0${version}`), assignmentV3.subarray(2)]));
    }
    expect(decodeConsumerAssignment(assignmentV3)).toEqual({ version: 3, ...input, userData: null });
  });

  test('a newer version is read with the v3 layout', () => {
    const v7 = Buffer.concat([bytes('00 07'), assignmentV3.subarray(2), bytes('01 02 03')]);
    expect(decodeConsumerAssignment(v7)).toEqual({ ...decodeConsumerAssignment(assignmentV3), version: 7 });
  });

  test('an empty buffer is an empty assignment, a truncated one is rejected', () => {
    expect(decodeConsumerAssignment(Buffer.alloc(0))).toEqual({ version: 0, assignedPartitions: [], userData: null });
    expect(() => decodeConsumerAssignment(assignmentV3.subarray(0, 9))).toThrow(/^ConsumerProtocolAssignment: array of 2 items/);
    expect(() => decodeConsumerAssignment(assignmentV3.subarray(0, assignmentV3.length - 1))).toThrow(/^ConsumerProtocolAssignment: truncated/);
  });
});

describe('kafkajs', () => {
  // kafkajs 2.2.4: MemberMetadata.encode({ version: 0, topics: ['topic-a', 'topic-b'] }).
  const kafkajsMetadata = bytes(`
    00 00                     version 0 (its round-robin assigner's version)
    00 00 00 02  00 07 'topic-a'  00 07 'topic-b'
    00 00 00 00               userData: empty, not null
  `);

  test('its member metadata is a v0 subscription with empty user data', () => {
    expect(kafkajs.MemberMetadata.encode({ version: 0, topics: ['topic-a', 'topic-b'] })).toEqual(kafkajsMetadata);
    expect(decodeConsumerSubscription(kafkajsMetadata)).toEqual({
      version: 0,
      topics: ['topic-a', 'topic-b'],
      userData: Buffer.alloc(0),
      ownedPartitions: [],
      generationId: -1,
      rackId: null,
    });
  });

  test('it reads our v3 subscription with the fields it knows', () => {
    const decoded = kafkajs.MemberMetadata.decode(subscriptionV3);
    expect(decoded).toEqual({ version: 3, topics: ['t1', 't2'], userData: Buffer.from([0xab, 0xcd]) });
  });

  test('assignments travel both ways', () => {
    const fromKafkajs = kafkajs.MemberAssignment.encode({ version: 0, assignment: { 'topic-a': [0, 2], 'topic-b': [1] } });
    expect(fromKafkajs).toEqual(
      bytes(`
        00 00  00 00 00 02
        00 07 'topic-a'  00 00 00 02 00 00 00 00 00 00 00 02
        00 07 'topic-b'  00 00 00 01 00 00 00 01
        00 00 00 00
      `),
    );
    expect(decodeConsumerAssignment(fromKafkajs)).toEqual({
      version: 0,
      assignedPartitions: [
        { topic: 'topic-a', partitions: [0, 2] },
        { topic: 'topic-b', partitions: [1] },
      ],
      userData: Buffer.alloc(0),
    });

    const ours = encodeConsumerAssignment({ assignedPartitions: [{ topic: 'topic-a', partitions: [1, 3] }] });
    expect(kafkajs.MemberAssignment.decode(ours)).toEqual({ version: 3, assignment: { 'topic-a': [1, 3] }, userData: null });
  });
});
