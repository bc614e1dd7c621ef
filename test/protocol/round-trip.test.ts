/**
 * Every API, every version, both directions: a body populated from the schema itself
 * (test/protocol/sample.ts) encodes, decodes back deep-equal, and re-encodes to the same bytes.
 */
import { describe, expect, test } from 'vitest';
import { ALL_APIS } from '../../src/protocol/apis/index.js';
import { codecFor } from '../../src/protocol/codec.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';
import type { ApiSchema, Direction } from '../../src/protocol/schema.js';
import { sampleBody } from './sample.js';

const cases: [string, ApiSchema, number, Direction][] = [];
for (const api of ALL_APIS) {
  for (let v = api.validVersions[0]; v <= api.validVersions[1]; v++) {
    for (const dir of ['request', 'response'] as const) cases.push([`${api.name} v${v} ${dir}`, api, v, dir]);
  }
}

describe('round trips', () => {
  test.each(cases)('%s decodes to the populated body and re-encodes to identical bytes', (_label, api, version, dir) => {
    const codec = codecFor(api, version, dir);
    const body = sampleBody(api, version, dir);
    const w = new Writer(16);
    codec.encode(w, body);
    const bytes = w.toBuffer();

    const r = new Reader(bytes);
    const decoded = codec.decode(r);
    expect(r.remaining()).toBe(0);
    expect(decoded).toEqual(body);

    const w2 = new Writer(16);
    codec.encode(w2, decoded);
    expect(w2.toBuffer().equals(bytes)).toBe(true);
  });

  test('every implemented version of every API is exercised, 192 versions in all', () => {
    expect(cases.length).toBe(192 * 2);
  });
});
