/**
 * The codec's Kafka semantics, one behaviour per test: defaults for absent fields, refusing
 * values a version cannot carry, nullability, tagged fields, zero-copy records, hostile input.
 */
import { describe, expect, test } from 'vitest';
import { ALL_APIS, apiByKey, apiVersionsApi, createTopicsApi, fetchApi, listOffsetsApi, metadataApi, produceApi } from '../../src/protocol/apis/index.js';
import { codecFor, decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../src/protocol/codec.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';
import type { ApiSchema, Field } from '../../src/protocol/schema.js';

function protocolError(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

describe('versions', () => {
  test('a field absent from the version decodes as its default', () => {
    const v1 = encodeResponse(produceApi, 1, {
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, baseOffset: 5n }] }],
      throttleTimeMs: 7,
    });
    const decoded = decodeResponse(produceApi, 1, new Reader(v1));
    const p = decoded.topics[0]!.partitions[0]!;
    expect(p.baseOffset).toBe(5n);
    expect(p.logAppendTimeMs).toBe(-1n);
    expect(p.logStartOffset).toBe(-1n);
    expect(p.recordErrors).toEqual([]);
    expect(p.errorMessage).toBeNull();
    expect(p.currentLeader).toEqual({ leaderId: -1, leaderEpoch: -1 });
    expect(decoded.throttleTimeMs).toBe(7);
  });

  test('a field absent from the version is not written', () => {
    const body = { topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, baseOffset: 5n, logAppendTimeMs: 9n }] }] };
    expect(encodeResponse(produceApi, 1, body).length + 8).toBe(encodeResponse(produceApi, 2, body).length);
  });

  test('a non-default value in a non-ignorable field the version lacks is refused', () => {
    // ListOffsets isolationLevel arrives in v2 and is not ignorable.
    const err = protocolError(() => encodeRequest(listOffsetsApi, 1, { replicaId: -1, isolationLevel: 1, topics: [] }));
    expect(err.code).toBe('INVALID_VALUE');
    expect(err.message).toMatch(/isolationLevel.*not in version 1/);
    expect(() => encodeRequest(listOffsetsApi, 1, { replicaId: -1, isolationLevel: 0, topics: [] })).not.toThrow();
  });

  test('a non-default value in an ignorable field the version lacks is silently dropped', () => {
    const withEpoch = encodeRequest(listOffsetsApi, 3, {
      replicaId: -1,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n, currentLeaderEpoch: 4 }] }],
    });
    const without = encodeRequest(listOffsetsApi, 3, {
      replicaId: -1,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
    });
    expect(withEpoch).toEqual(without);
  });

  test('an unsupported version is refused with UNSUPPORTED_VERSION', () => {
    expect(protocolError(() => codecFor(fetchApi, 17, 'request')).code).toBe('UNSUPPORTED_VERSION');
    expect(protocolError(() => decodeRequest(produceApi, -1, new Reader(Buffer.alloc(0)))).code).toBe('UNSUPPORTED_VERSION');
  });

  test('fields left out of an encoder input get their defaults on the wire', () => {
    const bytes = encodeRequest(fetchApi, 7, { maxWaitMs: 1, minBytes: 1, topics: [] });
    const decoded = decodeRequest(fetchApi, 7, new Reader(bytes));
    expect(decoded.replicaId).toBe(-1);
    expect(decoded.maxBytes).toBe(0x7fffffff);
    expect(decoded.sessionEpoch).toBe(-1);
    expect(decoded.forgottenTopicsData).toEqual([]);
  });
});

describe('nullability', () => {
  test('null is refused in a version where the field is not nullable', () => {
    // Metadata topics become nullable in v1.
    const err = protocolError(() => encodeRequest(metadataApi, 0, { topics: null }));
    expect(err.code).toBe('INVALID_VALUE');
    expect(err.message).toMatch(/topics: null is not allowed/);
    expect(encodeRequest(metadataApi, 1, { topics: null })).toEqual(Buffer.from('ffffffff', 'hex'));
  });

  test('a null array on the wire where the version forbids it is malformed', () => {
    const err = protocolError(() => decodeRequest(metadataApi, 0, new Reader(Buffer.from('ffffffff', 'hex'))));
    expect(err.code).toBe('MALFORMED_REQUEST');
  });

  test('a null string where the version forbids it is refused both ways', () => {
    expect(protocolError(() => encodeRequest(produceApi, 3, { acks: 1, topics: [{ name: null as unknown as string }] })).code).toBe('INVALID_VALUE');
    // Produce v3: transactionalId null, acks, timeout, 1 topic whose name is null (-1).
    const wire = Buffer.from('ffff' + '0001' + '00000000' + '00000001' + 'ffff' + '00000000', 'hex');
    expect(protocolError(() => decodeRequest(produceApi, 3, new Reader(wire))).code).toBe('MALFORMED_REQUEST');
  });
});

describe('tagged fields', () => {
  test('tagged fields at their defaults are not written', () => {
    const body = { errorCode: 0, apiKeys: [], throttleTimeMs: 0 };
    // errorCode, empty compact array, throttle, empty tag section
    expect(encodeResponse(apiVersionsApi, 3, body).toString('hex')).toBe('0000' + '01' + '00000000' + '00');
  });

  test('a non-default tagged field is written and read back', () => {
    const bytes = encodeResponse(apiVersionsApi, 3, { zkMigrationReady: true });
    expect(bytes.subarray(-4).toString('hex')).toBe('01030101'); // 1 field: tag 3, 1 byte, true
    expect(decodeResponse(apiVersionsApi, 3, new Reader(bytes)).zkMigrationReady).toBe(true);
  });

  test('unknown tagged fields survive a decode and re-encode, in tag order with the known ones', () => {
    // ApiVersions v3 response with tag 3 (known) and tags 7 and 9 (unknown).
    const wire = Buffer.from('0000' + '01' + '00000000' + '03' + '030101' + '0702beef' + '0900', 'hex');
    const decoded = decodeResponse(apiVersionsApi, 3, new Reader(wire));
    expect(decoded.zkMigrationReady).toBe(true);
    expect(decoded.unknownTaggedFields).toEqual([
      { tag: 7, data: Buffer.from('beef', 'hex') },
      { tag: 9, data: Buffer.alloc(0) },
    ]);
    expect(encodeResponse(apiVersionsApi, 3, decoded)).toEqual(wire);
  });

  test('unknown tagged fields in nested structs are kept per struct', () => {
    // CreateTopics v5 request: one topic whose struct carries unknown tag 4.
    const topic = {
      name: 't',
      numPartitions: 1,
      replicationFactor: 1,
      assignments: [],
      configs: [],
      unknownTaggedFields: [{ tag: 4, data: Buffer.from([1]) }],
    };
    const bytes = encodeRequest(createTopicsApi, 5, { topics: [topic], timeoutMs: 1000, validateOnly: false });
    const decoded = decodeRequest(createTopicsApi, 5, new Reader(bytes));
    expect(decoded.topics[0]!.unknownTaggedFields).toEqual([{ tag: 4, data: Buffer.from([1]) }]);
    expect(decoded.unknownTaggedFields).toBeUndefined();
  });

  test('a tagged field whose declared size disagrees with its content is malformed', () => {
    // tag 3 (zkMigrationReady, a bool) declared as 2 bytes.
    const wire = Buffer.from('0000' + '01' + '00000000' + '01' + '03020100', 'hex');
    expect(protocolError(() => decodeResponse(apiVersionsApi, 3, new Reader(wire))).code).toBe('MALFORMED_REQUEST');
  });

  test('tagged fields are only a flexible-version thing: Fetch v11 has no clusterId tag section', () => {
    const v11 = encodeRequest(fetchApi, 11, { maxWaitMs: 1, minBytes: 1, topics: [], clusterId: 'c' });
    expect(decodeRequest(fetchApi, 11, new Reader(v11)).clusterId).toBeNull();
    const v12 = encodeRequest(fetchApi, 12, { maxWaitMs: 1, minBytes: 1, topics: [], clusterId: 'c' });
    expect(decodeRequest(fetchApi, 12, new Reader(v12)).clusterId).toBe('c');
  });
});

describe('records', () => {
  test('records decode as a view of the request buffer, not a copy', () => {
    const blob = Buffer.alloc(1000, 7);
    const bytes = encodeRequest(produceApi, 9, { acks: 1, timeoutMs: 1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, records: blob }] }] });
    const decoded = decodeRequest(produceApi, 9, new Reader(bytes));
    const records = decoded.topics[0]!.partitions[0]!.records!;
    expect(records.equals(blob)).toBe(true);
    expect(records.buffer).toBe(bytes.buffer);
    expect(records.byteOffset).toBeGreaterThan(bytes.byteOffset);
  });

  test('null records are written as -1 (compact 0)', () => {
    const body = { topics: [{ name: 't', partitions: [{ partitionIndex: 0, records: null }] }] };
    expect(encodeRequest(produceApi, 8, body).subarray(-4).toString('hex')).toBe('ffffffff');
    expect(encodeRequest(produceApi, 9, body).subarray(-3).toString('hex')).toBe('000000');
  });
});

describe('hostile input', () => {
  test('an array count of 2^31-1 with a few bytes behind it is rejected before any loop runs', () => {
    // Metadata v0 request: topics count 0x7fffffff, then 6 bytes.
    const wire = Buffer.from('7fffffff' + '000174' + '000175', 'hex');
    const start = process.hrtime.bigint();
    const err = protocolError(() => decodeRequest(metadataApi, 0, new Reader(wire)));
    expect(err.code).toBe('MALFORMED_REQUEST');
    expect(err.message).toMatch(/exceeds the 6 bytes left/);
    expect(Number(process.hrtime.bigint() - start)).toBeLessThan(50e6);
  });

  test('every truncation of a valid request throws a ProtocolError, never garbage', () => {
    const bytes = encodeRequest(fetchApi, 12, {
      maxWaitMs: 500,
      minBytes: 1,
      clusterId: 'cluster',
      topics: [{ topic: 'orders', partitions: [{ partition: 3, fetchOffset: 100n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [{ topic: 'old', partitions: [1, 2] }],
      rackId: 'rack-a',
    });
    for (let cut = 0; cut < bytes.length; cut++) {
      const err = protocolError(() => decodeRequest(fetchApi, 12, new Reader(bytes.subarray(0, cut))));
      expect(err.code).toBe('MALFORMED_REQUEST');
    }
  });
});

describe('schemas', () => {
  // First flexible version of each API, from Kafka's "flexibleVersions" (none → Infinity).
  const FIRST_FLEXIBLE: Record<string, number> = {
    Produce: 9,
    Fetch: 12,
    ListOffsets: 6,
    Metadata: 9,
    OffsetCommit: 8,
    OffsetFetch: 6,
    FindCoordinator: 3,
    JoinGroup: 6,
    Heartbeat: 4,
    LeaveGroup: 4,
    SyncGroup: 4,
    DescribeGroups: 5,
    ListGroups: 3,
    ApiVersions: 3,
    CreateTopics: 5,
    DeleteTopics: 4,
    DeleteRecords: 2,
    InitProducerId: 2,
    OffsetForLeaderEpoch: 4,
    DescribeConfigs: 4,
    AlterConfigs: 2,
    CreatePartitions: 2,
    DeleteGroups: 2,
    IncrementalAlterConfigs: 1,
    OffsetDelete: Infinity,
    DescribeCluster: 0,
    AddPartitionsToTxn: 3,
    AddOffsetsToTxn: 3,
    EndTxn: 3,
    WriteTxnMarkers: 1,
    TxnOffsetCommit: 3,
    DescribeProducers: 0,
    DescribeTransactions: 0,
    ListTransactions: 0,
  };

  test.each(ALL_APIS.map((api) => [api.name, api] as const))('%s mirrors Kafka’s first flexible version', (name, api) => {
    expect(api.flexibleVersions).toBe(FIRST_FLEXIBLE[name]);
    expect(apiByKey(api.apiKey)).toBe(api);
  });

  function checkFields(api: ApiSchema, fields: readonly Field[], path: string, problems: string[]): void {
    const names = new Set<string>();
    const tags = new Map<string, Set<number>>();
    for (const f of fields) {
      const where = `${api.name} ${path}${f.name}`;
      if (names.has(f.name)) problems.push(`${where}: duplicate name`);
      names.add(f.name);
      if (!/^[a-z][A-Za-z0-9]*$/.test(f.name)) problems.push(`${where}: not camelCase`);
      if ((f.tag === undefined) !== (f.taggedVersions === undefined)) problems.push(`${where}: tag without taggedVersions or the reverse`);
      if (f.taggedVersions !== undefined && f.taggedVersions[0] < api.flexibleVersions) problems.push(`${where}: tagged before flexible`);
      if (f.tag !== undefined) {
        const key = String(f.taggedVersions);
        const set = tags.get(key) ?? new Set<number>();
        if (set.has(f.tag)) problems.push(`${where}: tag ${f.tag} reused`);
        set.add(f.tag);
        tags.set(key, set);
      }
      if (f.versions[0] > api.validVersions[1]) problems.push(`${where}: only in versions we do not implement`);
      const t = f.type;
      if (typeof t !== 'string') {
        if ('struct' in t) checkFields(api, t.struct, `${path}${f.name}.`, problems);
        else if (Array.isArray(t.array)) checkFields(api, t.array as readonly Field[], `${path}${f.name}[].`, problems);
      }
    }
  }

  test('field names are unique camelCase, tags are unique per struct and only in flexible versions', () => {
    const problems: string[] = [];
    for (const api of ALL_APIS) {
      checkFields(api, api.request, 'request.', problems);
      checkFields(api, api.response, 'response.', problems);
    }
    expect(problems).toEqual([]);
  });

  test('the shared encode writer does not leak bytes between calls', () => {
    const a = encodeResponse(apiVersionsApi, 0, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] });
    const b = encodeResponse(apiVersionsApi, 0, { errorCode: 0, apiKeys: [] });
    expect(a.toString('hex')).toBe('0023' + '00000001' + '001200000004');
    expect(b.toString('hex')).toBe('0000' + '00000000');
    const w = new Writer();
    codecFor(apiVersionsApi, 0, 'response').encode(w, { errorCode: 35, apiKeys: [] });
    expect(w.view().toString('hex')).toBe('002300000000');
  });
});

describe('records spliced by reference (Writer.spliceMinBytes)', () => {
  const big = Buffer.alloc(40_000, 7);
  const small = Buffer.from([1, 2, 3]);
  const partition = (partitionIndex: number, records: Buffer | null) => ({
    partitionIndex,
    errorCode: 0,
    highWatermark: 10n,
    lastStableOffset: 10n,
    logStartOffset: 0n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records,
  });
  const body = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [{ topic: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [partition(0, big), partition(1, small), partition(2, null), partition(3, big)] }],
  };

  for (const version of [4, 12]) {
    test(`Fetch v${version}: the parts concatenate to the copied encoding, large blobs are not copied`, () => {
      const copied = encodeResponse(fetchApi, version, body);
      const w = new Writer(64);
      w.spliceMinBytes = 16 * 1024;
      codecFor(fetchApi, version, 'response').encode(w, body);
      const parts = w.toBuffers();
      expect(Buffer.concat(parts).equals(copied)).toBe(true);
      expect(w.toBuffer().equals(copied)).toBe(true);
      const shared = parts.filter((p) => p === big);
      expect(shared).toHaveLength(2);
      expect(parts.some((p) => p === small)).toBe(false);
      w.reset();
      expect(w.toBuffers()).toEqual([Buffer.alloc(0)]);
    });
  }

  test('without spliceMinBytes everything is copied into one part', () => {
    const w = new Writer(64);
    codecFor(fetchApi, 12, 'response').encode(w, body);
    const parts = w.toBuffers();
    expect(parts).toHaveLength(1);
    expect(parts[0]!.equals(encodeResponse(fetchApi, 12, body))).toBe(true);
  });
});
