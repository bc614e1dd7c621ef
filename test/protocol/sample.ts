/**
 * A deterministic filler that builds a populated body for any schema and version: every field
 * present in the version gets a non-default value (tagged fields included, so they are
 * written), every absent field its default — the exact object a decode must give back.
 * Arrays get two elements; nullable strings, arrays and records are sometimes null.
 */
import { defaultValue } from '../../src/protocol/codec.js';
import { inVersions, type ApiSchema, type Direction, type Field } from '../../src/protocol/schema.js';

interface Seed {
  n: number;
}

function uuidFrom(n: number): string {
  const b = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) b[i] = (n * 31 + i * 7 + 1) & 0xff;
  return b.toString('base64url');
}

function primitive(field: Field, type: string, version: number, seed: Seed, nullableHere: boolean): unknown {
  const n = seed.n++;
  const tagged = inVersions(field.taggedVersions, version);
  if (nullableHere && !tagged && n % 4 === 0) return null;
  switch (type) {
    case 'int8':
      return (n % 100) + 2;
    case 'int16':
      return 1000 + (n % 30000);
    case 'uint16':
      return 40000 + (n % 20000);
    case 'int32':
      return 100_000 + n;
    case 'uint32':
      return 3_000_000_000 + (n % 1_000_000);
    case 'varint':
      return -(n + 5);
    case 'int64':
    case 'varlong':
      return 1_000_000_000_000n + BigInt(n);
    case 'uvarint':
      return 300 + n;
    case 'float64':
      return n + 0.25;
    case 'bool':
      return field.default === true ? false : true;
    case 'string':
      return n % 3 === 0 ? `näme-${n}` : `name-${n}`;
    case 'uuid':
      return uuidFrom(n);
    case 'bytes':
      return Buffer.from([n & 0xff, 1, 2, 3]);
    case 'records':
      return Buffer.from(Array.from({ length: 24 }, (_, i) => (n + i) & 0xff));
  }
  throw new Error(`no filler for ${type}`);
}

function value(field: Field, version: number, seed: Seed): unknown {
  const t = field.type;
  const nullableHere = inVersions(field.nullableVersions, version);
  if (typeof t === 'string') return primitive(field, t, version, seed, nullableHere);
  if ('array' in t) {
    const n = seed.n++;
    if (nullableHere && !inVersions(field.taggedVersions, version) && n % 5 === 0) return null;
    const items: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      if (Array.isArray(t.array)) items.push(sampleStruct(t.array as readonly Field[], version, seed));
      else items.push(primitive({ name: field.name, type: t.array as Field['type'], versions: field.versions }, t.array as string, version, seed, false));
    }
    return items;
  }
  return sampleStruct(t.struct, version, seed);
}

export function sampleStruct(fields: readonly Field[], version: number, seed: Seed): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    out[f.name] = inVersions(f.versions, version) ? value(f, version, seed) : defaultValue(f);
  }
  return out;
}

export function sampleBody(api: ApiSchema, version: number, direction: Direction): Record<string, unknown> {
  return sampleStruct(api[direction], version, { n: api.apiKey * 1000 + version * 37 + (direction === 'request' ? 0 : 500) });
}
