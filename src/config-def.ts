/**
 * How a Kafka setting is defined (Kafka's ConfigDef, in its clients' common package): a type, a
 * default as Kafka prints it, a validator and a doc string. A leaf module, like errors.ts, so the
 * layer that owns a setting defines it there (storage/log-config-defs.ts for the log settings,
 * broker/broker-config.ts for the rest) and the layers above describe and validate from the
 * same table.
 */

/** Kafka's ConfigDef.Type, with the numbers DescribeConfigs v3+ sends. */
export const ConfigType = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;
export type ConfigType = (typeof ConfigType)[keyof typeof ConfigType];

/** Java's Long.MAX_VALUE as Kafka prints it ("never" for flush.ms and friends). */
export const LONG_MAX = '9223372036854775807';

const INT_MAX = 0x7fff_ffff;
const INT_MIN = -0x8000_0000;

/**
 * A numeric range (Kafka's ConfigDef.Range): the bounds the storage layer also enforces when it
 * resolves a value, so they are data rather than a closure.
 */
export interface Range {
  min?: number;
  max?: number;
}

/** A check beyond the type and range; an error message or null. */
export type Check = (value: string) => string | null;

export interface ConfigDef {
  name: string;
  type: ConfigType;
  /** Kafka's default as Kafka prints it, or null when there is none. */
  defaultValue: string | null;
  doc: string;
  range?: Range;
  check?: Check;
}

export const oneOf =
  (...values: string[]): Check =>
  (v) =>
    values.includes(v) ? null : `must be one of ${values.join(', ')}`;

/** The message for a value outside `range` (Kafka's wording: ">= min", "in [min, max]"). */
function rangeError(range: Range, value: string): string | null {
  const n = Number(value);
  if (range.max === undefined) return n >= range.min! ? null : `must be >= ${range.min}`;
  if (range.min === undefined) return n <= range.max ? null : `must be <= ${range.max}`;
  return n >= range.min && n <= range.max ? null : `must be in [${range.min}, ${range.max}]`;
}

/** Why `value` is not a valid `type`, or null. */
export function typeError(type: ConfigType, value: string): string | null {
  switch (type) {
    case ConfigType.INT:
    case ConfigType.LONG: {
      if (!/^-?\d+$/.test(value)) return 'expected an integer';
      if (type === ConfigType.INT && (Number(value) > INT_MAX || Number(value) < INT_MIN)) return 'out of int range';
      if (type === ConfigType.LONG && (BigInt(value) > BigInt(LONG_MAX) || BigInt(value) < -BigInt(LONG_MAX) - 1n)) return 'out of long range';
      return null;
    }
    case ConfigType.DOUBLE:
      return value.trim() !== '' && Number.isFinite(Number(value)) ? null : 'expected a number';
    case ConfigType.BOOLEAN:
      return value === 'true' || value === 'false' ? null : 'expected true or false';
    default:
      return null;
  }
}

/**
 * Normalizes `raw` as Kafka parses a value of `def`'s type (trimmed; booleans lower case; lists
 * without empty items) and checks type, range and check; the value, or an error message.
 */
export function parseConfigValue(def: Pick<ConfigDef, 'type' | 'range' | 'check'>, raw: string): { value: string } | { error: string } {
  let value = raw.trim();
  if (def.type === ConfigType.BOOLEAN) value = value.toLowerCase();
  if (def.type === ConfigType.LIST)
    value = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
      .join(',');
  const problem = typeError(def.type, value) ?? (def.range === undefined ? null : rangeError(def.range, value)) ?? def.check?.(value) ?? null;
  return problem === null ? { value } : { error: problem };
}

/** The largest value of an INT setting, for bounds derived from the type. */
export const CONFIG_INT_MAX = INT_MAX;
