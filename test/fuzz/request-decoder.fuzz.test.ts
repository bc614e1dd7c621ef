/**
 * Fuzzing the request decoder (src/protocol: headers + the schema codec), as the server runs it
 * on every frame: decodeRequestHeader, then the compiled decoder of that API and version.
 * Inputs are valid requests of every API and version we have a schema for (test/protocol/
 * sample.ts fills every field), mutated at the byte level, and random bytes behind a valid
 * header. Whatever the bytes:
 *
 * - the only error is our typed ProtocolError (the server turns it into a closed connection);
 * - the decoder never reads past the frame;
 * - what it allocates is bounded by the frame: every array element it builds took at least
 *   one byte of input, so a count of 2^31 fails before any array exists;
 * - it terminates (a loop that did not would hit the test's timeout).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALL_APIS,
  ProtocolError,
  Reader,
  codecFor,
  decodeRequestHeader,
  encodeRequestFrame,
  produceApi,
  type ApiSchema,
} from '../../src/protocol/index.js';
import { sampleBody } from '../protocol/sample.js';
import { announce, fuzzParams, mutate, mutationsArb } from './harness.js';

const MUTATED_RUNS = 60_000;
const RANDOM_BODY_RUNS = 30_000;
announce('request-decoder.fuzz', MUTATED_RUNS + RANDOM_BODY_RUNS);

interface Sample {
  api: ApiSchema;
  version: number;
  frame: Buffer;
}

/** One valid request frame (without its size prefix) per API and version. */
const SAMPLES: Sample[] = ALL_APIS.flatMap((api) => {
  const out: Sample[] = [];
  for (let version = api.validVersions[0]; version <= api.validVersions[1]; version++) {
    const frame = encodeRequestFrame(api, version, 7, 'fuzz-client', sampleBody(api, version, 'request') as never);
    out.push({ api, version, frame: Buffer.from(frame.subarray(4)) });
  }
  return out;
});

/** Decodes one frame as the server does; returns the body, or the ProtocolError it threw. */
function decodeFrame(frame: Buffer): { body: Record<string, unknown> | null; error: ProtocolError | null; end: number } {
  try {
    const { header, api, bodyOffset, supported } = decodeRequestHeader(frame);
    if (!supported) return { body: null, error: null, end: bodyOffset };
    const r = new Reader(frame, bodyOffset, frame.length);
    const body = codecFor(api!, header.apiVersion, 'request').decode(r);
    return { body, error: null, end: r.pos };
  } catch (err) {
    if (err instanceof ProtocolError) return { body: null, error: err, end: -1 };
    throw err;
  }
}

/** Array elements (and unknown tagged fields) in a decoded value: each cost ≥ 1 input byte. */
function elements(value: unknown): number {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return 0;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + elements(v), value.length);
  let n = 0;
  for (const v of Object.values(value)) n += elements(v);
  return n;
}

function checkDecode(frame: Buffer): void {
  const { body, end } = decodeFrame(frame);
  if (body === null) return;
  expect(end).toBeLessThanOrEqual(frame.length);
  expect(elements(body)).toBeLessThanOrEqual(frame.length);
}

describe('request decoder fuzzing', () => {
  it('decodes every valid sample request back without error', () => {
    for (const s of SAMPLES) {
      const { body, error } = decodeFrame(s.frame);
      expect(error, `${s.api.name} v${s.version}`).toBeNull();
      expect(body).not.toBeNull();
    }
  });

  it('mutated requests of every API and version fail only with ProtocolError and allocate within the frame', () => {
    fc.assert(
      fc.property(fc.nat({ max: SAMPLES.length - 1 }), mutationsArb, (i, mutations) => {
        checkDecode(mutate(SAMPLES[i]!.frame, mutations));
      }),
      fuzzParams(MUTATED_RUNS),
    );
  });

  it('random bytes behind a valid request header fail only with ProtocolError and allocate within the frame', () => {
    fc.assert(
      fc.property(fc.nat({ max: SAMPLES.length - 1 }), fc.uint8Array({ maxLength: 512 }), (i, bytes) => {
        const s = SAMPLES[i]!;
        const headerEnd = decodeRequestHeader(s.frame).bodyOffset;
        checkDecode(Buffer.concat([s.frame.subarray(0, headerEnd), bytes]));
      }),
      fuzzParams(RANDOM_BODY_RUNS),
    );
  });

  it('an array count of 2^31 - 1 in a small frame fails as MALFORMED_REQUEST before allocating', () => {
    // Produce v3: header, transactionalId (null), acks, timeoutMs, then the topics array count.
    const frame = Buffer.from(encodeRequestFrame(produceApi, 3, 1, 'c', { acks: 1, timeoutMs: 100, topics: [] }).subarray(4));
    frame.writeInt32BE(0x7fffffff, frame.length - 4);
    const { error } = decodeFrame(frame);
    expect(error?.code).toBe('MALFORMED_REQUEST');
    expect(error?.message).toMatch(/exceeds the 0 bytes left/);
  });
});
