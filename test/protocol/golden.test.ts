/**
 * Golden bytes: frames and bodies as real clients send them, derived by hand from the protocol
 * guide (https://kafka.apache.org/protocol) or recorded by kafkajs (its fixtures under
 * src/protocol/requests/<api>/fixtures/, cited per test). Our codec must produce exactly these
 * bytes and read them back. Frames recorded from kcat and kafkajs against the real daemon are
 * checked in recorded.test.ts (fixtures under test/fixtures/protocol/).
 */
import { describe, expect, test } from 'vitest';
import { apiVersionsApi, fetchApi, metadataApi, produceApi } from '../../src/protocol/apis/index.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../src/protocol/codec.js';
import { decodeRequestHeader, encodeRequestFrame, encodeResponseFrame } from '../../src/protocol/headers.js';
import { Reader } from '../../src/protocol/primitives.js';

/**
 * Bytes from a spec like "00 12 'rdkafka' 00": hex pairs and quoted ASCII; on each line,
 * whatever follows a run of three or more spaces is a comment.
 */
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

/** Decodes a request frame: checks the size prefix and returns header and body reader. */
function openRequestFrame(frame: Buffer) {
  expect(frame.readInt32BE(0)).toBe(frame.length - 4);
  const h = decodeRequestHeader(frame, 4);
  return { ...h, reader: new Reader(frame, h.bodyOffset) };
}

describe('ApiVersions', () => {
  // kafkajs and librdkafka before KIP-511: request header v1 (client id as an int16 string),
  // empty body.
  const v0Frame = bytes(`
    00 00 00 11            size 17
    00 12 00 00            api key 18, version 0
    00 00 00 01            correlation id 1
    00 07 'kafkajs'        client id
  `);

  test('a v0 request is a v1 header with the client id and an empty body', () => {
    expect(encodeRequestFrame(apiVersionsApi, 0, 1, 'kafkajs', {})).toEqual(v0Frame);
    const { header, headerVersion, supported, reader } = openRequestFrame(v0Frame);
    expect(header).toEqual({ apiKey: 18, apiVersion: 0, correlationId: 1, clientId: 'kafkajs' });
    expect(headerVersion).toBe(1);
    expect(supported).toBe(true);
    expect(decodeRequest(apiVersionsApi, 0, reader)).toEqual({ clientSoftwareName: '', clientSoftwareVersion: '' });
    expect(reader.remaining()).toBe(0);
  });

  // librdkafka ≥ 1.4: request header v2 — the client id stays an int16 string, then an empty
  // tagged-field section; the body carries client.software.name/version as compact strings.
  const v3Frame = bytes(`
    00 00 00 24            size 36
    00 12 00 03            api key 18, version 3
    00 00 00 02            correlation id 2
    00 07 'rdkafka'        client id (int16 length even in header v2)
    00                     header tagged fields: none
    0b 'librdkafka'        compact string, length 10 + 1
    06 '2.3.0'             compact string, length 5 + 1
    00                     body tagged fields: none
  `);

  test('a v3 request as librdkafka sends it carries the software name and version', () => {
    expect(encodeRequestFrame(apiVersionsApi, 3, 2, 'rdkafka', { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.3.0' })).toEqual(v3Frame);
    const { header, headerVersion, reader } = openRequestFrame(v3Frame);
    expect(header).toEqual({ apiKey: 18, apiVersion: 3, correlationId: 2, clientId: 'rdkafka' });
    expect(headerVersion).toBe(2);
    expect(decodeRequest(apiVersionsApi, 3, reader)).toEqual({ clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.3.0' });
  });

  // v3 response: response header v0 (no tagged fields, KIP-511) even though the body is
  // flexible; the body ends with tagged supportedFeatures (tag 0) and finalizedFeaturesEpoch (1).
  const v3ResponseFrame = bytes(`
    00 00 00 36            size 54
    00 00 00 02            correlation id 2 — and no header tagged fields
    00 00                  error code
    02                     apiKeys: compact array of 1
    00 12 00 00 00 04 00     api key 18, versions 0-4, no tags
    00 00 00 00            throttle time
    02                     2 tagged fields
    00 17                    tag 0 (supportedFeatures), 23 bytes:
    02 11 'metadata.version' 00 01 00 14 00
    01 08                    tag 1 (finalizedFeaturesEpoch), 8 bytes:
    00 00 00 00 00 00 00 05
  `);

  test('a v3 response uses response header v0 and writes its non-default tagged fields in tag order', () => {
    const body = {
      errorCode: 0,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
      throttleTimeMs: 0,
      finalizedFeaturesEpoch: 5n,
      supportedFeatures: [{ name: 'metadata.version', minVersion: 1, maxVersion: 20 }],
    };
    expect(encodeResponseFrame(apiVersionsApi, 3, 2, body)).toEqual(v3ResponseFrame);
    const decoded = decodeResponse(apiVersionsApi, 3, new Reader(v3ResponseFrame, 8));
    expect(decoded).toEqual({ ...body, finalizedFeatures: [], zkMigrationReady: false });
  });
});

describe('Metadata', () => {
  const v1Request = bytes(`
    00 00 00 01            topics: 1
    00 0a 'test-topic'
  `);

  test('a v1 request lists topics as int16 strings in an int32-counted array; null means all', () => {
    expect(encodeRequest(metadataApi, 1, { topics: [{ name: 'test-topic' }] })).toEqual(v1Request);
    expect(encodeRequest(metadataApi, 1, { topics: null })).toEqual(bytes('ff ff ff ff'));
    const decoded = decodeRequest(metadataApi, 1, new Reader(v1Request));
    expect(decoded.topics).toEqual([{ name: 'test-topic', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }]);
    expect(decoded.allowAutoTopicCreation).toBe(true); // v4+ field, absent in v1: Kafka's default
  });

  const v1Response = bytes(`
    00 00 00 01            brokers: 1
    00 00 00 00              node id 0
    00 09 'localhost'        host
    00 00 23 84              port 9092
    ff ff                    rack: null
    00 00 00 00            controller id 0
    00 00 00 01            topics: 1
    00 00                    error code
    00 0a 'test-topic'       name
    00                       is internal: false
    00 00 00 01              partitions: 1
    00 00                      error code
    00 00 00 00                partition 0
    00 00 00 00                leader 0
    00 00 00 01 00 00 00 00    replicas [0]
    00 00 00 01 00 00 00 00    isr [0]
  `);

  test('a v1 response has broker racks, the controller id and isInternal, but no cluster id', () => {
    const body = {
      brokers: [{ nodeId: 0, host: 'localhost', port: 9092, rack: null }],
      controllerId: 0,
      topics: [
        {
          errorCode: 0,
          name: 'test-topic',
          isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 0, replicaNodes: [0], isrNodes: [0] }],
        },
      ],
    };
    expect(encodeResponse(metadataApi, 1, body)).toEqual(v1Response);
    const decoded = decodeResponse(metadataApi, 1, new Reader(v1Response));
    expect(decoded.brokers).toEqual(body.brokers);
    expect(decoded.clusterId).toBeNull();
    expect(decoded.topics[0]!.partitions[0]!.leaderEpoch).toBe(-1);
  });

  // Metadata v9 is the first flexible version: header v2, compact arrays and strings, a
  // tagged-field section after every struct.
  const v9Frame = bytes(`
    00 00 00 23            size 35
    00 03 00 09            api key 3, version 9
    00 00 00 07            correlation id 7
    00 07 'rdkafka'        client id
    00                     header tags
    02                     topics: compact array of 1
    0b 'test-topic' 00       compact name, no tags (no topicId before v10)
    01                     allowAutoTopicCreation
    00                     includeClusterAuthorizedOperations
    00                     includeTopicAuthorizedOperations
    00                     body tags
  `);

  test('a v9 request is flexible: compact arrays and strings with a tag section after each struct', () => {
    const body = {
      topics: [{ name: 'test-topic' }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    };
    expect(encodeRequestFrame(metadataApi, 9, 7, 'rdkafka', body)).toEqual(v9Frame);
    const { reader } = openRequestFrame(v9Frame);
    expect(decodeRequest(metadataApi, 9, reader)).toEqual({ ...body, topics: [{ name: 'test-topic', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }] });
  });

  test('v8 is not flexible and v9 is: the same request changes encoding at the boundary', () => {
    const body = { topics: [{ name: 'a' }], allowAutoTopicCreation: false };
    expect(encodeRequest(metadataApi, 8, body)).toEqual(bytes(`00 00 00 01 00 01 'a' 00 00 00`));
    expect(encodeRequest(metadataApi, 9, body)).toEqual(bytes(`02 02 'a' 00 00 00 00 00`));
  });
});

describe('Produce', () => {
  // kafkajs src/protocol/requests/produce/fixtures/v3_request.json: a v3 request carrying one
  // record batch (magic 2, three records with headers) recorded from kafkajs.
  const v3Request = Buffer.from([
    255, 255, 255, 255, 0, 0, 117, 48, 0, 0, 0, 1, 0, 31, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 101, 98, 98, 97, 54, 56, 56, 55, 57, 99, 54, 102,
    53, 48, 56, 49, 100, 56, 99, 50, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 210, 10, 69, 237, 0, 0, 0, 0, 0, 2,
    0, 0, 1, 95, 142, 187, 58, 12, 0, 0, 1, 95, 142, 187, 58, 12, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 10, 0, 0, 0, 3, 146, 1, 0, 0, 0, 48,
    107, 101, 121, 45, 57, 100, 48, 102, 51, 52, 56, 99, 98, 50, 101, 55, 51, 48, 101, 49, 101, 100, 99, 52, 62, 115, 111, 109, 101, 45, 118, 97, 108, 117, 101,
    45, 97, 49, 55, 98, 52, 99, 56, 49, 102, 57, 101, 99, 100, 49, 101, 56, 57, 54, 101, 51, 6, 2, 97, 2, 98, 2, 99, 2, 100, 2, 99, 2, 101, 130, 1, 0, 0, 2, 48,
    107, 101, 121, 45, 99, 55, 48, 55, 51, 101, 57, 54, 53, 99, 51, 52, 98, 52, 99, 99, 54, 52, 52, 50, 62, 115, 111, 109, 101, 45, 118, 97, 108, 117, 101, 45,
    54, 53, 100, 102, 52, 50, 50, 48, 55, 48, 100, 55, 97, 100, 55, 51, 57, 49, 52, 102, 2, 2, 97, 2, 98, 130, 1, 0, 0, 4, 48, 107, 101, 121, 45, 49, 54, 57,
    51, 98, 49, 56, 52, 97, 57, 98, 53, 50, 100, 98, 101, 48, 51, 98, 99, 62, 115, 111, 109, 101, 45, 118, 97, 108, 117, 101, 45, 51, 102, 99, 98, 54, 53, 102,
    102, 99, 97, 48, 56, 55, 99, 98, 97, 50, 48, 97, 100, 2, 2, 97, 2, 98,
  ]);

  test('a v3 request from kafkajs decodes with its record batch as a zero-copy view and re-encodes identically', () => {
    const decoded = decodeRequest(produceApi, 3, new Reader(v3Request));
    expect(decoded.transactionalId).toBeNull();
    expect(decoded.acks).toBe(-1);
    expect(decoded.timeoutMs).toBe(30000);
    expect(decoded.topics).toHaveLength(1);
    const topic = decoded.topics[0]!;
    expect(topic.name).toBe('test-topic-ebba68879c6f5081d8c2');
    const records = topic.partitions[0]!.records!;
    expect(topic.partitions[0]!.partitionIndex).toBe(0);
    expect(records.length).toBe(270);
    expect(records.buffer).toBe(v3Request.buffer); // a view, not a copy
    expect(records.readBigInt64BE(0)).toBe(0n); // base offset
    expect(records.readInt32BE(8)).toBe(270 - 12); // batch length covers the rest of the blob
    expect(records[16]).toBe(2); // magic 2
    expect(encodeRequest(produceApi, 3, decoded)).toEqual(v3Request);
  });
});

describe('Fetch', () => {
  // kafkajs src/protocol/requests/fetch/fixtures/v4_request.json (body only). kafkajs leaves
  // replicaId unset there, so it goes out as 0, and reads READ_COMMITTED (isolation level 1).
  const v4Request = Buffer.from([
    0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1, 0, 160, 0, 0, 1, 0, 0, 0, 1, 0, 10, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 16, 0, 0,
  ]);

  test('a v4 request encodes byte-for-byte like kafkajs', () => {
    const body = {
      replicaId: 0,
      maxWaitMs: 5,
      minBytes: 1,
      maxBytes: 10485760,
      isolationLevel: 1,
      topics: [{ topic: 'test-topic', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1048576 }] }],
    };
    expect(encodeRequest(fetchApi, 4, body)).toEqual(v4Request);
    const decoded = decodeRequest(fetchApi, 4, new Reader(v4Request));
    expect(decoded.isolationLevel).toBe(1);
    expect(decoded.topics[0]!.partitions[0]).toEqual({
      partition: 0,
      currentLeaderEpoch: -1,
      fetchOffset: 0n,
      lastFetchedEpoch: -1,
      logStartOffset: -1n,
      partitionMaxBytes: 1048576,
    });
    expect(decoded.sessionEpoch).toBe(-1); // v7+ field: default
  });
});
