/**
 * The one generic codec. For a (schema, version, direction) it generates straight-line
 * JavaScript — every version test, every compact-or-not choice and every absent field resolved
 * at compile time, nested arrays and structs inlined as loops — and compiles it once with
 * `new Function`; the result is cached per schema object. Generated code only calls Writer /
 * Reader methods and a small table of helpers (`h`), so all byte handling stays in
 * primitives.ts.
 *
 * Why code generation rather than a closure tree: a Produce request body is a handful of
 * fields around one records blob and a Fetch response is a loop over partitions; with a
 * closure per field every value pays an indirect call and a megamorphic property read, while
 * the generated function reads `v.partitionIndex` on one object shape and writes it with a
 * monomorphic Writer call. Decoded structs are built as one object literal, so every struct of
 * a schema has a single hidden class.
 *
 * Tagged fields: written in ascending tag order together with any `unknownTaggedFields`
 * carried on the value (so unknown tags survive decode → encode); a known tagged field is
 * written only when it differs from its default.
 */
import { ProtocolError } from './errors.js';
import { Reader, Writer, ZERO_UUID, type TaggedField } from './primitives.js';
import {
  inVersions,
  isFlexibleVersion,
  isSupportedVersion,
  type ApiSchema,
  type Direction,
  type Field,
  type PrimitiveType,
  type RequestInput,
  type RequestOf,
  type ResponseInput,
  type ResponseOf,
} from './schema.js';

export interface CompiledCodec {
  readonly api: ApiSchema;
  readonly version: number;
  readonly direction: Direction;
  /** Appends the body to `w`. */
  encode(w: Writer, body: object): void;
  /** Reads one body from `r`, leaving `r.pos` just past it. */
  decode(r: Reader): Record<string, unknown>;
  /** The generated source, for debugging. */
  readonly source: { encode: string; decode: string };
}

const EMPTY_BUFFER = Buffer.alloc(0);
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

// ---- Defaults --------------------------------------------------------------------------

function isPrimitive(type: Field['type']): type is PrimitiveType {
  return typeof type === 'string';
}

/** A fresh default value for `field` (structs include every subfield, whatever the version). */
export function defaultValue(field: Field): unknown {
  const t = field.type;
  if (isPrimitive(t)) {
    const d = field.default;
    if (d !== undefined) {
      if (d === null) return null;
      if (t === 'int64' || t === 'varlong') return BigInt(d as number | bigint | string);
      return d;
    }
    switch (t) {
      case 'int64':
      case 'varlong':
        return 0n;
      case 'bool':
        return false;
      case 'string':
        return '';
      case 'uuid':
        return ZERO_UUID;
      case 'bytes':
        return EMPTY_BUFFER;
      case 'records':
        return null;
      default:
        return 0;
    }
  }
  if ('array' in t) return field.default === null ? null : [];
  const out: Record<string, unknown> = {};
  for (const f of t.struct) out[f.name] = defaultValue(f);
  return out;
}

/** Whether `value` equals `field`'s default (undefined counts as the default). */
function makeIsDefault(field: Field): (value: unknown) => boolean {
  const t = field.type;
  const d = defaultValue(field);
  if (isPrimitive(t)) {
    if (d === null) return (v) => v === undefined || v === null;
    if (t === 'bytes') return (v) => v === undefined || (v instanceof Uint8Array && v.length === 0);
    // `==` so that an int64 given as a number matches a bigint default.
    return (v) => v === undefined || v == d;
  }
  if ('array' in t) {
    if (d === null) return (v) => v === undefined || v === null;
    return (v) => v === undefined || (Array.isArray(v) && v.length === 0);
  }
  const subs = t.struct.map((f) => [f.name, makeIsDefault(f)] as const);
  return (v) => {
    if (v === undefined) return true;
    if (v === null || typeof v !== 'object') return false;
    const o = v as Record<string, unknown>;
    for (const [name, isDef] of subs) if (!isDef(o[name])) return false;
    return true;
  };
}

function minBytes(field: Field, version: number, flexible: boolean): number {
  const t = field.type;
  if (isPrimitive(t)) {
    switch (t) {
      case 'int8':
      case 'bool':
      case 'varint':
      case 'varlong':
      case 'uvarint':
        return 1;
      case 'int16':
      case 'uint16':
        return 2;
      case 'int32':
      case 'uint32':
        return 4;
      case 'int64':
      case 'float64':
        return 8;
      case 'uuid':
        return 16;
      case 'string':
        return flexible ? 1 : 2;
      case 'bytes':
      case 'records':
        return flexible ? 1 : 4;
    }
  }
  if ('array' in t) return flexible ? 1 : 4;
  return structMinBytes(t.struct, version, flexible);
}

function structMinBytes(fields: readonly Field[], version: number, flexible: boolean): number {
  let n = flexible ? 1 : 0;
  for (const f of fields) {
    if (!inVersions(f.versions, version)) continue;
    if (flexible && inVersions(f.taggedVersions, version)) continue;
    n += minBytes(f, version, flexible);
  }
  return n;
}

// ---- Runtime helpers the generated code calls -------------------------------------------

function invalidValue(path: string, message: string): ProtocolError {
  return new ProtocolError('INVALID_VALUE', `${path}: ${message}`);
}

/**
 * Writes a tagged-fields section: `known` is a flat list of (tag, encoder, value) triples,
 * `unknown` the raw fields carried on the value. Each field's bytes are produced in a scratch
 * Writer because the size prefix comes first.
 */
function writeTaggedSection(w: Writer, known: unknown[], unknown: readonly TaggedField[] | undefined): void {
  const entries: { tag: number; write: (w: Writer) => void }[] = [];
  for (let i = 0; i < known.length; i += 3) {
    const enc = known[i + 1] as (w: Writer, v: unknown) => void;
    const value = known[i + 2];
    entries.push({ tag: known[i] as number, write: (sw) => enc(sw, value) });
  }
  if (unknown !== undefined) {
    for (const f of unknown) entries.push({ tag: f.tag, write: (sw) => sw.writeRaw(f.data) });
  }
  entries.sort((a, b) => a.tag - b.tag);
  w.writeUnsignedVarint(entries.length);
  let last = -1;
  for (const e of entries) {
    if (e.tag === last) throw new ProtocolError('INVALID_VALUE', `tagged field ${e.tag} appears twice`);
    last = e.tag;
    const sw = new Writer(64);
    e.write(sw);
    w.writeUnsignedVarint(e.tag);
    w.writeUnsignedVarint(sw.pos);
    w.writeRaw(sw.view());
  }
}

interface Helpers {
  list: unknown[];
  ref(value: unknown): string;
}

function newHelpers(): Helpers {
  const list: unknown[] = [];
  return {
    list,
    ref(value: unknown): string {
      let i = list.indexOf(value);
      if (i < 0) {
        i = list.length;
        list.push(value);
      }
      return `h[${i}]`;
    },
  };
}

// ---- Code generation ---------------------------------------------------------------------

interface GenContext {
  version: number;
  flexible: boolean;
  h: Helpers;
  n: number; // counter for unique local names
}

function local(ctx: GenContext, prefix: string): string {
  return `${prefix}${ctx.n++}`;
}

function prop(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`schema field name ${JSON.stringify(name)} is not an identifier`);
  return name;
}

/** A JS expression for a fresh default of `field`. */
function defaultExpr(ctx: GenContext, field: Field): string {
  const d = defaultValue(field);
  if (d === null) return 'null';
  switch (typeof d) {
    case 'number':
      return Object.is(d, -0) ? '-0' : String(d);
    case 'bigint':
      return `${d}n`;
    case 'boolean':
      return String(d);
    case 'string':
      return JSON.stringify(d);
  }
  if (Array.isArray(d)) return '[]';
  if (d === EMPTY_BUFFER) return ctx.h.ref(EMPTY_BUFFER);
  return `${ctx.h.ref(() => defaultValue(field))}()`;
}

const PRIMITIVE_WRITE: Record<Exclude<PrimitiveType, 'string' | 'bytes' | 'records'>, string> = {
  int8: 'writeInt8',
  int16: 'writeInt16',
  int32: 'writeInt32',
  int64: 'writeInt64',
  uint16: 'writeUInt16',
  uint32: 'writeUInt32',
  float64: 'writeFloat64',
  bool: 'writeBool',
  uuid: 'writeUuid',
  varint: 'writeVarint',
  varlong: 'writeVarlong',
  uvarint: 'writeUnsignedVarint',
};

const PRIMITIVE_READ: Record<Exclude<PrimitiveType, 'string' | 'bytes' | 'records'>, string> = {
  int8: 'readInt8',
  int16: 'readInt16',
  int32: 'readInt32',
  int64: 'readInt64',
  uint16: 'readUInt16',
  uint32: 'readUInt32',
  float64: 'readFloat64',
  bool: 'readBool',
  uuid: 'readUuid',
  varint: 'readVarint',
  varlong: 'readVarlong',
  uvarint: 'readUnsignedVarint',
};

function stringMethod(kind: 'write' | 'read', type: 'string' | 'bytes' | 'records', flexible: boolean, nullable: boolean): string {
  // Records are written by their own Writer methods (which may splice a blob in by reference)
  // and read as bytes (a view of the request).
  const base = type === 'string' ? 'String' : type === 'records' && kind === 'write' ? 'Records' : 'Bytes';
  return `${kind}${flexible ? 'Compact' : ''}${nullable ? 'Nullable' : ''}${base}`;
}

/** Code that writes the value held in local `x` for `field` (present, non-tagged form). */
function genWriteValue(ctx: GenContext, field: Field, x: string, path: string, out: string[]): void {
  const t = field.type;
  const nullable = inVersions(field.nullableVersions, ctx.version);
  const pathLit = JSON.stringify(path);
  if (isPrimitive(t)) {
    if (t === 'string' || t === 'bytes' || t === 'records') {
      if (!nullable) out.push(`if (${x} === null) throw h.invalid(${pathLit}, "null is not allowed in this version");`);
      out.push(`w.${stringMethod('write', t, ctx.flexible, nullable)}(${x});`);
    } else {
      out.push(`w.${PRIMITIVE_WRITE[t]}(${x});`);
    }
    return;
  }
  if ('array' in t) {
    const i = local(ctx, 'i');
    const e = local(ctx, 'e');
    out.push(`if (${x} === null) {`);
    if (nullable) out.push(ctx.flexible ? `w.writeUnsignedVarint(0);` : `w.writeInt32(-1);`);
    else out.push(`throw h.invalid(${pathLit}, "null is not allowed in this version");`);
    out.push(`} else {`);
    out.push(ctx.flexible ? `w.writeUnsignedVarint(${x}.length + 1);` : `w.writeInt32(${x}.length);`);
    out.push(`for (let ${i} = 0; ${i} < ${x}.length; ${i}++) {`);
    out.push(`const ${e} = ${x}[${i}];`);
    if (Array.isArray(t.array)) {
      genEncodeStruct(ctx, t.array as readonly Field[], e, `${path}[]`, out);
    } else {
      const elem: Field = { name: field.name, type: t.array as PrimitiveType, versions: field.versions };
      genWriteValue(ctx, elem, e, `${path}[]`, out);
    }
    out.push(`}`, `}`);
    return;
  }
  out.push(`if (${x} === null) throw h.invalid(${pathLit}, "null struct");`);
  genEncodeStruct(ctx, t.struct, x, path, out);
}

/** Code that writes struct `v` (a local holding an object) field by field. */
function genEncodeStruct(ctx: GenContext, fields: readonly Field[], v: string, path: string, out: string[]): void {
  const tagged: Field[] = [];
  out.push(`if (${v} === undefined || ${v} === null || typeof ${v} !== "object") throw h.invalid(${JSON.stringify(path)}, "expected an object");`);
  for (const f of fields) {
    const name = prop(f.name);
    const fpath = path ? `${path}.${name}` : name;
    if (!inVersions(f.versions, ctx.version)) {
      if (!f.ignorable) {
        const isDef = ctx.h.ref(makeIsDefault(f));
        out.push(
          `if (!${isDef}(${v}.${name})) throw h.invalid(${JSON.stringify(fpath)}, "is not in version ${ctx.version} and is not ignorable, so it must be left at its default");`,
        );
      }
      continue;
    }
    if (ctx.flexible && inVersions(f.taggedVersions, ctx.version)) {
      tagged.push(f);
      continue;
    }
    const x = local(ctx, 'x');
    out.push(`let ${x} = ${v}.${name};`);
    out.push(`if (${x} === undefined) ${x} = ${defaultExpr(ctx, f)};`);
    genWriteValue(ctx, f, x, fpath, out);
  }
  if (!ctx.flexible) return;
  if (tagged.length === 0) {
    out.push(`if (${v}.unknownTaggedFields === undefined) { w.ensure(1); w.buf[w.pos++] = 0; } else w.writeTaggedFields(${v}.unknownTaggedFields);`);
    return;
  }
  const k = local(ctx, 'k');
  out.push(`let ${k};`);
  for (const f of tagged) {
    if (f.tag === undefined) throw new Error(`tagged field ${f.name} has no tag`);
    const x = local(ctx, 't');
    const isDef = ctx.h.ref(makeIsDefault(f));
    const enc = ctx.h.ref(compileTaggedEncoder(f, ctx.version));
    out.push(`const ${x} = ${v}.${prop(f.name)};`);
    out.push(`if (${x} !== undefined && !${isDef}(${x})) (${k} ??= []).push(${f.tag}, ${enc}, ${x});`);
  }
  out.push(`if (${k} === undefined && ${v}.unknownTaggedFields === undefined) { w.ensure(1); w.buf[w.pos++] = 0; }`);
  out.push(`else h.writeTaggedSection(w, ${k} ?? [], ${v}.unknownTaggedFields);`);
}

/** Code that reads one value of `field` into the already-declared local `x`. */
function genReadValue(ctx: GenContext, field: Field, x: string, out: string[]): void {
  const t = field.type;
  const nullable = inVersions(field.nullableVersions, ctx.version);
  if (isPrimitive(t)) {
    if (t === 'string' || t === 'bytes' || t === 'records') {
      out.push(`${x} = r.${stringMethod('read', t, ctx.flexible, nullable)}();`);
    } else {
      out.push(`${x} = r.${PRIMITIVE_READ[t]}();`);
    }
    return;
  }
  if ('array' in t) {
    const n = local(ctx, 'n');
    const i = local(ctx, 'i');
    const e = local(ctx, 'e');
    const elemFields = Array.isArray(t.array) ? (t.array as readonly Field[]) : undefined;
    const elemField: Field | undefined = elemFields ? undefined : { name: field.name, type: t.array as PrimitiveType, versions: field.versions };
    const min = Math.max(1, elemFields ? structMinBytes(elemFields, ctx.version, ctx.flexible) : minBytes(elemField!, ctx.version, ctx.flexible));
    out.push(`const ${n} = r.readArrayLength(${ctx.flexible}, ${min});`);
    out.push(`if (${n} < 0) {`);
    out.push(nullable ? `${x} = null;` : `throw r.malformed("null array ${field.name} in a version where it is not nullable");`);
    out.push(`} else {`);
    out.push(`${x} = [];`);
    out.push(`for (let ${i} = 0; ${i} < ${n}; ${i}++) {`);
    out.push(`let ${e};`);
    if (elemFields) genDecodeStruct(ctx, elemFields, e, out);
    else genReadValue(ctx, elemField!, e, out);
    out.push(`${x}.push(${e});`);
    out.push(`}`, `}`);
    return;
  }
  genDecodeStruct(ctx, t.struct, x, out);
}

/** Code that reads a struct into the already-declared local `target`. */
function genDecodeStruct(ctx: GenContext, fields: readonly Field[], target: string, out: string[]): void {
  const locals: [string, string][] = [];
  const tagged: [Field, string][] = [];
  for (const f of fields) {
    const x = local(ctx, 'x');
    locals.push([prop(f.name), x]);
    if (!inVersions(f.versions, ctx.version)) {
      out.push(`const ${x} = ${defaultExpr(ctx, f)};`);
    } else if (ctx.flexible && inVersions(f.taggedVersions, ctx.version)) {
      out.push(`let ${x} = ${defaultExpr(ctx, f)};`);
      tagged.push([f, x]);
    } else {
      out.push(`let ${x};`);
      genReadValue(ctx, f, x, out);
    }
  }
  const u = local(ctx, 'u');
  if (ctx.flexible) {
    const nt = local(ctx, 'nt');
    const i = local(ctx, 'i');
    const tag = local(ctx, 'tag');
    const size = local(ctx, 'size');
    const end = local(ctx, 'end');
    out.push(`let ${u};`);
    out.push(`const ${nt} = r.readUnsignedVarint();`);
    out.push(`for (let ${i} = 0; ${i} < ${nt}; ${i}++) {`);
    out.push(`const ${tag} = r.readUnsignedVarint();`);
    out.push(`const ${size} = r.readUnsignedVarint();`);
    out.push(`const ${end} = r.pos + ${size};`);
    out.push(`if (${end} > r.end) throw r.malformed("tagged field " + ${tag} + " of " + ${size} + " bytes runs past the end");`);
    out.push(`switch (${tag}) {`);
    for (const [f, x] of tagged) {
      out.push(`case ${f.tag}: {`);
      genReadValue(ctx, f, x, out);
      out.push(`break; }`);
    }
    out.push(`default: (${u} ??= []).push({ tag: ${tag}, data: r.readRaw(${size}) });`);
    out.push(`}`);
    out.push(`if (r.pos !== ${end}) throw r.malformed("tagged field " + ${tag} + " declared " + ${size} + " bytes but used " + (r.pos - ${end} + ${size}));`);
    out.push(`}`);
  }
  out.push(`${target} = { ${locals.map(([name, x]) => `${name}: ${x}`).join(', ')} };`);
  if (ctx.flexible) out.push(`if (${u} !== undefined) ${target}.unknownTaggedFields = ${u};`);
}

const HELPER_FIELDS = { invalid: invalidValue, writeTaggedSection };

function build<T>(h: Helpers, name: string, params: string, body: string[]): { fn: T; source: string } {
  const source = `"use strict";\nreturn function ${name.replace(/\W/g, '_')}(${params}) {\n${body.join('\n')}\n};`;
  const table = Object.assign(h.list, HELPER_FIELDS);
  const fn = new Function('h', source)(table) as T;
  return { fn, source };
}

/** An encoder for one tagged field's value (the bytes inside its tagged-field envelope). */
function compileTaggedEncoder(field: Field, version: number): (w: Writer, value: unknown) => void {
  const ctx: GenContext = { version, flexible: true, h: newHelpers(), n: 0 };
  const out: string[] = [];
  const bare: Field = { ...field, taggedVersions: undefined, tag: undefined };
  genWriteValue(ctx, bare, 'x', field.name, out);
  return build<(w: Writer, value: unknown) => void>(ctx.h, `encodeTag_${field.name}`, 'w, x', out).fn;
}

// ---- Compilation cache and the public entry points --------------------------------------

const cache = new WeakMap<ApiSchema, { request: (CompiledCodec | undefined)[]; response: (CompiledCodec | undefined)[] }>();

/** The compiled codec of `api` at `version` in `direction`; compiled on first use, then cached. */
export function codecFor(api: ApiSchema, version: number, direction: Direction): CompiledCodec {
  let entry = cache.get(api);
  if (entry === undefined) {
    entry = { request: [], response: [] };
    cache.set(api, entry);
  }
  const hit = entry[direction][version];
  if (hit !== undefined) return hit;
  if (!isSupportedVersion(api, version)) {
    throw new ProtocolError(
      'UNSUPPORTED_VERSION',
      `${api.name} (api key ${api.apiKey}) version ${version} is outside ${api.validVersions[0]}-${api.validVersions[1]}`,
    );
  }
  const fields = api[direction];
  const flexible = isFlexibleVersion(api, version);

  const encCtx: GenContext = { version, flexible, h: newHelpers(), n: 0 };
  const encBody: string[] = [];
  genEncodeStruct(encCtx, fields, 'v', '', encBody);
  const enc = build<(w: Writer, v: object) => void>(encCtx.h, `encode_${api.name}_v${version}_${direction}`, 'w, v', encBody);

  const decCtx: GenContext = { version, flexible, h: newHelpers(), n: 0 };
  const decBody: string[] = ['let o;'];
  genDecodeStruct(decCtx, fields, 'o', decBody);
  decBody.push('return o;');
  const dec = build<(r: Reader) => Record<string, unknown>>(decCtx.h, `decode_${api.name}_v${version}_${direction}`, 'r', decBody);

  const label = `${api.name} v${version} ${direction}`;
  const encodeFn = enc.fn;
  const compiled: CompiledCodec = {
    api,
    version,
    direction,
    encode(w: Writer, body: object): void {
      try {
        encodeFn(w, body);
      } catch (err) {
        if (err instanceof ProtocolError) {
          throw new ProtocolError(err.code, `${label}: ${err.message}`, err.position);
        }
        if (err instanceof RangeError || err instanceof TypeError) {
          throw new ProtocolError('INVALID_VALUE', `${label}: ${err.message}`);
        }
        throw err;
      }
    },
    decode: dec.fn,
    source: { encode: enc.source, decode: dec.source },
  };
  entry[direction][version] = compiled;
  return compiled;
}

const shared = new Writer(64 * 1024);

function encodeWith(api: ApiSchema, version: number, direction: Direction, body: object): Buffer {
  const codec = codecFor(api, version, direction);
  shared.reset();
  codec.encode(shared, body);
  const out = shared.toBuffer();
  if (shared.buf.length > 4 * 1024 * 1024) shared.buf = Buffer.allocUnsafe(64 * 1024); // do not pin a huge scratch buffer
  return out;
}

/** Encodes a response body (no header, no size prefix) into a new Buffer. */
export function encodeResponse<A extends ApiSchema>(api: A, version: number, body: ResponseInput<A>): Buffer {
  return encodeWith(api, version, 'response', body);
}

/** Encodes a request body (no header, no size prefix) into a new Buffer. */
export function encodeRequest<A extends ApiSchema>(api: A, version: number, body: RequestInput<A>): Buffer {
  return encodeWith(api, version, 'request', body);
}

/** Appends a response body to `w`. */
export function writeResponse<A extends ApiSchema>(w: Writer, api: A, version: number, body: ResponseInput<A>): void {
  codecFor(api, version, 'response').encode(w, body);
}

/** Appends a request body to `w`. */
export function writeRequest<A extends ApiSchema>(w: Writer, api: A, version: number, body: RequestInput<A>): void {
  codecFor(api, version, 'request').encode(w, body);
}

/** Decodes a request body from `reader`; `records` fields are views of the reader's buffer. */
export function decodeRequest<A extends ApiSchema>(api: A, version: number, reader: Reader): RequestOf<A> {
  return codecFor(api, version, 'request').decode(reader) as RequestOf<A>;
}

/** Decodes a response body from `reader`. */
export function decodeResponse<A extends ApiSchema>(api: A, version: number, reader: Reader): ResponseOf<A> {
  return codecFor(api, version, 'response').decode(reader) as ResponseOf<A>;
}
