/**
 * Request dispatch: header → handler by API key → encoded response. Handlers (one file per
 * API key in handlers/) translate between wire bodies and broker calls; this module owns what
 * is common to all of them:
 *
 * - Versions: a request for an API and version we serve is decoded and handled. ApiVersions at
 *   a version we do not serve is answered with a v0 body, UNSUPPORTED_VERSION and the full list
 *   (KIP-511), so a newer client can retry at a version we know. Any other API key or version
 *   we do not serve closes the connection with a log line, as Kafka does (its RequestContext
 *   fails to parse the request and the processor closes the channel): a client only sends what
 *   ApiVersions advertised, and an error body would not do, since many responses (Produce,
 *   Metadata, Fetch before v7) have no top-level error code and would read as empty successes.
 * - A body that fails to decode closes the connection (MalformedRequestError).
 * - A handler that throws is a bug or an I/O failure: it is logged and the client gets the
 *   error body with UNKNOWN_SERVER_ERROR (or the KafkaError's own code) rather than a hang.
 */
import type { Logger } from '../logger.js';
import { ErrorCode, KafkaError } from '../errors.js';
import {
  Reader,
  Writer,
  ProtocolError,
  codecFor,
  decodeRequestHeader,
  inVersions,
  writeResponseHeader,
  apiVersionsApi,
  type ApiSchema,
  type Field,
  type RequestHeader,
  type RequestOf,
  type ResponseInput,
} from '../protocol/index.js';
import { MalformedRequestError, type ConnectionInfo, type RequestDispatcher, type ResponseBytes, type ResponseMemory } from './connection.js';

/**
 * Records blobs from this size on are handed to the socket as they are rather than copied into
 * the response buffer; below it, one more iovec costs more than the copy saves.
 */
const SPLICE_MIN_BYTES = 16 * 1024;

export interface HandlerContext {
  readonly header: RequestHeader;
  readonly connection: ConnectionInfo;
  readonly logger: Logger;
  /** What the response may still take of the connection's memory (a fetch reads no more). */
  readonly memory: ResponseMemory | undefined;
}

/** One API key's handler: the versions it serves and the translation to broker calls. */
export interface ApiHandler<A extends ApiSchema = ApiSchema> {
  readonly api: A;
  /** Served versions, inclusive; advertised in ApiVersions. */
  readonly versions: readonly [number, number];
  /** Returns the response body, or null when no response is sent (Produce with acks=0). */
  handle(request: RequestOf<A>, ctx: HandlerContext): ResponseInput<A> | null | Promise<ResponseInput<A> | null>;
}

/** Builds the `version` error body for `api`: every top-level errorCode set, arrays empty. */
export function errorBody(api: ApiSchema, version: number, errorCode: number): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of api.response as readonly Field[]) {
    if (!inVersions(field.versions, version)) continue;
    if (field.name === 'errorCode') body.errorCode = errorCode;
  }
  return body;
}

export class Dispatcher implements RequestDispatcher {
  private readonly handlers = new Map<number, ApiHandler>();
  private readonly writer = new Writer(64 * 1024);

  constructor(
    handlers: readonly ApiHandler[],
    private readonly logger: Logger,
  ) {
    this.writer.spliceMinBytes = SPLICE_MIN_BYTES;
    for (const h of handlers) this.handlers.set(h.api.apiKey, h as ApiHandler);
  }

  /** The ApiVersions list: every API we serve with its version range. */
  advertised(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    return [...this.handlers.values()]
      .map((h) => ({ apiKey: h.api.apiKey, minVersion: h.versions[0], maxVersion: h.versions[1] }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }

  dispatch(frame: Buffer, connection: ConnectionInfo, memory?: ResponseMemory): ResponseBytes | Promise<ResponseBytes> {
    let decoded;
    try {
      decoded = decodeRequestHeader(frame);
    } catch (err) {
      throw new MalformedRequestError(`unreadable request header: ${(err as Error).message}`, { cause: err });
    }
    const { header, api, bodyOffset } = decoded;
    const handler = this.handlers.get(header.apiKey);
    const served = handler !== undefined && header.apiVersion >= handler.versions[0] && header.apiVersion <= handler.versions[1];
    if (!served) return this.unsupported(header);

    let request;
    try {
      request = codecFor(api!, header.apiVersion, 'request').decode(new Reader(frame, bodyOffset, frame.length));
    } catch (err) {
      if (err instanceof ProtocolError) {
        throw new MalformedRequestError(`${api!.name} v${header.apiVersion}: ${err.message}`, { cause: err });
      }
      throw err;
    }
    const ctx: HandlerContext = { header, connection, logger: this.logger, memory };
    let result: ResponseInput<ApiSchema> | null | Promise<ResponseInput<ApiSchema> | null>;
    try {
      result = handler!.handle(request as RequestOf<ApiSchema>, ctx);
    } catch (err) {
      return this.failed(header, api!, err);
    }
    if (result instanceof Promise) {
      return result.then(
        (body) => (body === null ? null : this.encode(api!, header, body)),
        (err: unknown) => this.failed(header, api!, err),
      );
    }
    return result === null ? null : this.encode(api!, header, result);
  }

  /**
   * The response frame body. Large records blobs (Fetch) are not copied: they come back as
   * parts of their own, between copies of the bytes around them, and go out with writev.
   */
  private encode(api: ApiSchema, header: RequestHeader, body: ResponseInput<ApiSchema>): Buffer | Buffer[] {
    const w = this.writer.reset();
    writeResponseHeader(w, api.apiKey, header.apiVersion, header.correlationId);
    codecFor(api, header.apiVersion, 'response').encode(w, body);
    const parts = w.toBuffers();
    const out = parts.length === 1 ? parts[0]! : parts;
    // Don't keep a buffer grown by one huge response forever.
    if (w.buf.length > 8 * 1024 * 1024) this.writer.buf = Buffer.allocUnsafe(64 * 1024);
    return out;
  }

  private failed(header: RequestHeader, api: ApiSchema, err: unknown): Buffer | Buffer[] {
    const code = err instanceof KafkaError ? err.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
    this.logger.error({ err, api: api.name, version: header.apiVersion, correlationId: header.correlationId }, 'request handler failed');
    return this.encode(api, header, errorBody(api, header.apiVersion, code) as ResponseInput<ApiSchema>);
  }

  private unsupported(header: RequestHeader): Buffer {
    if (header.apiKey === apiVersionsApi.apiKey) {
      // KIP-511: always answerable, at v0, with the versions we do serve.
      const w = this.writer.reset();
      w.writeInt32(header.correlationId);
      codecFor(apiVersionsApi, 0, 'response').encode(w, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: this.advertised() });
      return w.toBuffer();
    }
    const served = this.handlers.get(header.apiKey);
    const what =
      served === undefined
        ? `API key ${header.apiKey}, which is not served`
        : `${served.api.name} v${header.apiVersion} (served: v${served.versions[0]}-v${served.versions[1]})`;
    throw new MalformedRequestError(`unsupported request: ${what}`);
  }
}
