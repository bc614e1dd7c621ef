import { describe, expect, test } from 'vitest';
import { apiVersionsApi, fetchApi, metadataApi, produceApi } from '../../src/protocol/apis/index.js';
import { decodeRequest, decodeResponse } from '../../src/protocol/codec.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestFrame,
  encodeResponseFrame,
  requestHeaderVersion,
  responseHeaderVersion,
  writeRequestHeader,
} from '../../src/protocol/headers.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';

describe('header versions', () => {
  test('the request header is v1 before the first flexible version and v2 from it', () => {
    expect(requestHeaderVersion(0, 8)).toBe(1);
    expect(requestHeaderVersion(0, 9)).toBe(2);
    expect(requestHeaderVersion(1, 11)).toBe(1);
    expect(requestHeaderVersion(1, 12)).toBe(2);
    expect(requestHeaderVersion(60, 0)).toBe(2);
    expect(requestHeaderVersion(47, 0)).toBe(1);
  });

  test('ControlledShutdown v0 is the one request with header v0', () => {
    expect(requestHeaderVersion(7, 0)).toBe(0);
  });

  test('an unknown API key has no header version', () => {
    expect(requestHeaderVersion(9999, 0)).toBeUndefined();
  });

  test('responses use header v1 in flexible versions, except ApiVersions which always uses v0', () => {
    expect(responseHeaderVersion(3, 8)).toBe(0);
    expect(responseHeaderVersion(3, 9)).toBe(1);
    expect(responseHeaderVersion(18, 3)).toBe(0);
    expect(responseHeaderVersion(18, 4)).toBe(0);
  });
});

describe('decodeRequestHeader', () => {
  test('an unknown API key still yields the correlation id, and nothing past it is read', () => {
    const buf = Buffer.from('0457' + '0002' + '0000002a' + 'ffff', 'hex'); // api key 1111
    const h = decodeRequestHeader(buf);
    expect(h.header).toEqual({ apiKey: 1111, apiVersion: 2, correlationId: 42, clientId: null });
    expect(h.headerVersion).toBeUndefined();
    expect(h.supported).toBe(false);
    expect(h.bodyOffset).toBe(8);
  });

  test('an ApiVersions request newer than ours is parsed as header v2 and flagged unsupported', () => {
    const frame = encodeRequestFrame(apiVersionsApi, 4, 9, 'newer-client', { clientSoftwareName: 'x', clientSoftwareVersion: 'y' });
    frame.writeInt16BE(7, 6); // pretend the client sent v7
    const h = decodeRequestHeader(frame, 4);
    expect(h.header).toEqual({ apiKey: 18, apiVersion: 7, correlationId: 9, clientId: 'newer-client' });
    expect(h.headerVersion).toBe(2);
    expect(h.supported).toBe(false);
  });

  test('a request for a version below our minimum is flagged unsupported', () => {
    const frame = encodeRequestFrame(produceApi, 3, 1, 'c', { acks: 1, timeoutMs: 1, topics: [] });
    frame.writeInt16BE(-1, 6);
    expect(decodeRequestHeader(frame, 4).supported).toBe(false);
  });

  test('header tagged fields are kept', () => {
    const w = new Writer();
    writeRequestHeader(w, { apiKey: 3, apiVersion: 12, correlationId: 5, clientId: null, unknownTaggedFields: [{ tag: 0, data: Buffer.from([1]) }] });
    const h = decodeRequestHeader(w.toBuffer());
    expect(h.header.clientId).toBeNull();
    expect(h.header.unknownTaggedFields).toEqual([{ tag: 0, data: Buffer.from([1]) }]);
  });

  test('a truncated header throws a ProtocolError', () => {
    expect(() => decodeRequestHeader(Buffer.from('00120000', 'hex'))).toThrow(ProtocolError);
    // Known API: the client id length runs past the end.
    expect(() => decodeRequestHeader(Buffer.from('0012000000000001' + '0010' + '41', 'hex'))).toThrow(ProtocolError);
  });
});

describe('frames', () => {
  test('a request frame is size, header and body, and decodes back', () => {
    const body = { maxWaitMs: 100, minBytes: 1, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 12n, partitionMaxBytes: 1024 }] }] };
    const frame = encodeRequestFrame(fetchApi, 12, 77, 'me', body);
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    const h = decodeRequestHeader(frame, 4);
    expect(h.header).toEqual({ apiKey: 1, apiVersion: 12, correlationId: 77, clientId: 'me' });
    const decoded = decodeRequest(fetchApi, 12, new Reader(frame, h.bodyOffset));
    expect(decoded.topics[0]!.partitions[0]!.fetchOffset).toBe(12n);
  });

  test('a flexible response frame carries a header tag section; ApiVersions does not', () => {
    const meta = encodeResponseFrame(metadataApi, 9, 5, { brokers: [], topics: [] });
    const r = new Reader(meta, 4);
    expect(decodeResponseHeader(r, 3, 9)).toEqual({ correlationId: 5 });
    expect(meta[8]).toBe(0); // empty header tag section
    expect(decodeResponse(metadataApi, 9, r)).toMatchObject({ brokers: [], topics: [] });
    expect(r.remaining()).toBe(0);

    const av = encodeResponseFrame(apiVersionsApi, 3, 6, { errorCode: 0, apiKeys: [] });
    expect(av.readInt32BE(0)).toBe(4 + 2 + 1 + 4 + 1);
    expect(av.readInt16BE(8)).toBe(0); // errorCode right after the correlation id
  });
});
