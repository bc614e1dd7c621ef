/**
 * Request and response headers, and size-prefixed frames.
 *
 *   frame            int32 size (bytes that follow), header, body
 *
 *   request header   v0  apiKey int16, apiVersion int16, correlationId int32
 *                    v1  + clientId: nullable string, ALWAYS the int16-length form, even in
 *                        flexible versions, so any broker can read the header of any
 *                        ApiVersions request
 *                    v2  + tagged fields
 *   response header  v0  correlationId int32
 *                    v1  + tagged fields
 *
 * Which header an API version uses follows from the API's flexibleVersions: flexible → request
 * v2 / response v1, otherwise request v1 / response v0. Two exceptions: ControlledShutdown v0
 * (api key 7, not implemented here) sends request header v0, and ApiVersions responses always
 * use response header v0 (KIP-511), because the client cannot know yet which versions we speak.
 */
import { codecFor } from './codec.js';
import { ProtocolError } from './errors.js';
import { Reader, Writer, type TaggedField } from './primitives.js';
import { apiByKey } from './apis/index.js';
import type { ApiSchema, RequestInput, ResponseInput } from './schema.js';

const CONTROLLED_SHUTDOWN_KEY = 7;
const API_VERSIONS_KEY = 18;

export type RequestHeaderVersion = 0 | 1 | 2;
export type ResponseHeaderVersion = 0 | 1;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** Null in header v0, and when the client sends a null client id. */
  clientId: string | null;
  unknownTaggedFields?: TaggedField[];
}

/**
 * The request header version for an API version; undefined for an API key we do not know.
 * Versions above what we implement still get a version (flexible), as Kafka derives it.
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): RequestHeaderVersion | undefined {
  if (apiKey === CONTROLLED_SHUTDOWN_KEY && apiVersion === 0) return 0;
  const api = apiByKey(apiKey);
  if (api === undefined) return undefined;
  return apiVersion >= api.flexibleVersions ? 2 : 1;
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): ResponseHeaderVersion {
  if (apiKey === API_VERSIONS_KEY) return 0;
  const api = apiByKey(apiKey);
  if (api === undefined) return 0;
  return apiVersion >= api.flexibleVersions ? 1 : 0;
}

export interface DecodedRequestHeader {
  header: RequestHeader;
  /** Undefined when the API key is unknown: then only apiKey/apiVersion/correlationId were read. */
  headerVersion: RequestHeaderVersion | undefined;
  /** Offset in the buffer where the body starts (for an unknown API: just past correlationId). */
  bodyOffset: number;
  /** Our schema for the API, if we implement it. */
  api: ApiSchema | undefined;
  /** Whether we can decode this body: API known and version within its validVersions. */
  supported: boolean;
}

/**
 * Reads a request header from `buf[offset, end)` — one request without its size prefix.
 * apiKey, apiVersion and correlationId come first and are always read, so an unknown API or
 * version can still be answered (UNSUPPORTED_VERSION) under the right correlation id; the
 * client id and tagged fields are read when the API is known.
 */
export function decodeRequestHeader(buf: Buffer, offset = 0, end = buf.length): DecodedRequestHeader {
  const r = new Reader(buf, offset, end);
  const apiKey = r.readInt16();
  const apiVersion = r.readInt16();
  const correlationId = r.readInt32();
  const header: RequestHeader = { apiKey, apiVersion, correlationId, clientId: null };
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const api = apiByKey(apiKey);
  if (headerVersion === undefined) return { header, headerVersion, bodyOffset: r.pos, api, supported: false };
  if (headerVersion >= 1) header.clientId = r.readNullableString();
  if (headerVersion >= 2) {
    const tags = r.readTaggedFields();
    if (tags !== undefined) header.unknownTaggedFields = tags;
  }
  const supported = api !== undefined && apiVersion >= api.validVersions[0] && apiVersion <= api.validVersions[1];
  return { header, headerVersion, bodyOffset: r.pos, api, supported };
}

/** Appends a request header; the version follows from the API unless given. */
export function writeRequestHeader(w: Writer, header: RequestHeader, headerVersion?: RequestHeaderVersion): void {
  const v = headerVersion ?? requestHeaderVersion(header.apiKey, header.apiVersion);
  if (v === undefined) throw new ProtocolError('UNSUPPORTED_VERSION', `no request header version known for api key ${header.apiKey}`);
  w.writeInt16(header.apiKey);
  w.writeInt16(header.apiVersion);
  w.writeInt32(header.correlationId);
  if (v >= 1) w.writeNullableString(header.clientId);
  if (v >= 2) w.writeTaggedFields(header.unknownTaggedFields);
}

/** Appends a response header of the version that `apiKey`/`apiVersion` call for. */
export function writeResponseHeader(w: Writer, apiKey: number, apiVersion: number, correlationId: number): void {
  w.writeInt32(correlationId);
  if (responseHeaderVersion(apiKey, apiVersion) === 1) w.writeTaggedFields(undefined);
}

export interface ResponseHeader {
  correlationId: number;
  unknownTaggedFields?: TaggedField[];
}

/** Reads a response header for a request we sent as `apiKey`/`apiVersion`. */
export function decodeResponseHeader(r: Reader, apiKey: number, apiVersion: number): ResponseHeader {
  const correlationId = r.readInt32();
  const out: ResponseHeader = { correlationId };
  if (responseHeaderVersion(apiKey, apiVersion) === 1) {
    const tags = r.readTaggedFields();
    if (tags !== undefined) out.unknownTaggedFields = tags;
  }
  return out;
}

const frameWriter = new Writer(64 * 1024);

function finishFrame(w: Writer): Buffer {
  w.buf.writeInt32BE(w.pos - 4, 0);
  const out = w.toBuffer();
  if (w.buf.length > 4 * 1024 * 1024) w.buf = Buffer.allocUnsafe(64 * 1024);
  return out;
}

/** A whole request as it goes on the socket: size, header, body. */
export function encodeRequestFrame<A extends ApiSchema>(
  api: A,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: RequestInput<A>,
): Buffer {
  const codec = codecFor(api, version, 'request');
  const w = frameWriter.reset();
  w.writeInt32(0);
  writeRequestHeader(w, { apiKey: api.apiKey, apiVersion: version, correlationId, clientId });
  codec.encode(w, body);
  return finishFrame(w);
}

/** A whole response as it goes on the socket: size, header, body. */
export function encodeResponseFrame<A extends ApiSchema>(api: A, version: number, correlationId: number, body: ResponseInput<A>): Buffer {
  const codec = codecFor(api, version, 'response');
  const w = frameWriter.reset();
  w.writeInt32(0);
  writeResponseHeader(w, api.apiKey, version, correlationId);
  codec.encode(w, body);
  return finishFrame(w);
}
