/**
 * Protocol as data: every API's request and response is a list of `Field`s written here in
 * TypeScript from Kafka's message specification, and one generic codec (codec.ts) compiles
 * them per version. The rules are Kafka's:
 *
 * - `versions` — the field is on the wire only in these versions. Decoding a version without
 *   it yields the field's default; encoding one throws if the value is not the default,
 *   unless the field is `ignorable`.
 * - `nullableVersions` — null is allowed (and encoded as -1 / compact 0) only in these.
 * - `taggedVersions` + `tag` — in these versions the field travels in the enclosing struct's
 *   tagged-fields section, written only when its value is not the default.
 * - `default` — Kafka's default; without one: 0, 0n, false, '', ZERO_UUID, empty bytes,
 *   null records, empty arrays, and structs of defaults.
 * - From the API's first flexible version on, strings, bytes, records and arrays are compact
 *   (unsigned varint length + 1) and every struct ends with a tagged-fields section.
 *
 * Version ranges are tuples: `[3]` is Kafka's "3+", `[0, 7]` is "0-7" (inclusive).
 * Values: int64 and varlong are `bigint`, uuid is a 22-character base64url string,
 * bytes and records are Buffers (records decode as zero-copy views of the request).
 */
import type { TaggedField } from './primitives.js';

export type PrimitiveType =
  'int8' | 'int16' | 'int32' | 'int64' | 'uint16' | 'uint32' | 'float64' | 'bool' | 'string' | 'bytes' | 'records' | 'uuid' | 'varint' | 'varlong' | 'uvarint';

/** `[min]` = min and later; `[min, max]` = inclusive range. */
export type Versions = readonly [number] | readonly [number, number];

export type FieldType = PrimitiveType | { readonly array: PrimitiveType | readonly Field[] } | { readonly struct: readonly Field[] };

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly versions: Versions;
  readonly nullableVersions?: Versions;
  readonly taggedVersions?: Versions;
  readonly tag?: number;
  readonly default?: number | bigint | boolean | string | null;
  readonly ignorable?: boolean;
}

export interface ApiSchema {
  readonly apiKey: number;
  readonly name: string;
  /** Inclusive [min, max] of the versions we implement. */
  readonly validVersions: readonly [number, number];
  /** First flexible version, or Infinity when no version is flexible. */
  readonly flexibleVersions: number;
  readonly request: readonly Field[];
  readonly response: readonly Field[];
}

export type Direction = 'request' | 'response';

export function inVersions(range: Versions | undefined, version: number): boolean {
  if (range === undefined) return false;
  return version >= range[0] && (range.length === 1 || version <= range[1]);
}

export function isFlexibleVersion(api: ApiSchema, version: number): boolean {
  return version >= api.flexibleVersions;
}

export function isSupportedVersion(api: ApiSchema, version: number): boolean {
  return Number.isInteger(version) && version >= api.validVersions[0] && version <= api.validVersions[1];
}

// ---- Types inferred from a schema written `as const` -------------------------------------

type PrimitiveValue<T> = T extends 'int64' | 'varlong'
  ? bigint
  : T extends 'bool'
    ? boolean
    : T extends 'string' | 'uuid'
      ? string
      : T extends 'bytes' | 'records'
        ? Buffer
        : number;

type PrimitiveInput<T> = T extends 'int64' | 'varlong' ? bigint | number : PrimitiveValue<T>;

type Nullable<F> = F extends { readonly nullableVersions: Versions } ? null : never;

/** The decoded value of one field (every field is present after decoding; absent = default). */
export type FieldValue<F extends Field> =
  | (F['type'] extends PrimitiveType
      ? PrimitiveValue<F['type']>
      : F['type'] extends { readonly array: infer E }
        ? E extends PrimitiveType
          ? PrimitiveValue<E>[]
          : E extends readonly Field[]
            ? StructValue<E>[]
            : never
        : F['type'] extends { readonly struct: infer S extends readonly Field[] }
          ? StructValue<S>
          : never)
  | Nullable<F>;

/** What the encoder accepts for one field: int64 may be a number, nested structs are inputs. */
export type FieldInput<F extends Field> =
  | (F['type'] extends PrimitiveType
      ? PrimitiveInput<F['type']>
      : F['type'] extends { readonly array: infer E }
        ? E extends PrimitiveType
          ? readonly PrimitiveInput<E>[]
          : E extends readonly Field[]
            ? readonly StructInput<E>[]
            : never
        : F['type'] extends { readonly struct: infer S extends readonly Field[] }
          ? StructInput<S>
          : never)
  | Nullable<F>;

export type StructValue<Fs extends readonly Field[]> = {
  [F in Fs[number] as F['name']]: FieldValue<F>;
} & { unknownTaggedFields?: TaggedField[] };

/** Encoder input: any field may be left out, and then its default is written. */
export type StructInput<Fs extends readonly Field[]> = {
  [F in Fs[number] as F['name']]?: FieldInput<F>;
} & { unknownTaggedFields?: readonly TaggedField[] };

export type RequestOf<A extends ApiSchema> = StructValue<A['request']>;
export type ResponseOf<A extends ApiSchema> = StructValue<A['response']>;
export type RequestInput<A extends ApiSchema> = StructInput<A['request']>;
export type ResponseInput<A extends ApiSchema> = StructInput<A['response']>;
