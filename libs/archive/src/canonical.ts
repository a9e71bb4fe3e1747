import { createHash } from 'node:crypto';
import { PackyardError } from '@packyard/core';
import { Double, EJSON, Int32, Long } from 'bson';
import { compareNames } from './entries.js';

/**
 * A value a key (or record metadata) may hold: what pymongo's `bson.json_util` round-trips. A JS
 * number that is an integer is an integer (Python `int`); any other number is a float. For a float
 * with an integral value, such as Python's `2.0`, pass `new Double(2)`. Integers beyond 2^53 are given
 * as a bigint (up to 64 bits, as BSON holds).
 */
export type KeyValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Date
  | Double
  | Int32
  | Long
  | KeyValue[]
  | { [key: string]: KeyValue };

/** A JSON-like object: the shape of a key and of a record. */
export type KeyObject = { [key: string]: KeyValue };

export { Double };

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function invalid(path: string, value: unknown, problem: string, hint: string): PackyardError {
  return new PackyardError('ARCHIVE_INVALID', `${path} ${problem}`, {
    field: path,
    value: describe(value),
    hint,
  });
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (value === undefined) return 'undefined';
  if (typeof value === 'object' && value !== null) return (value as object).constructor?.name ?? 'an object';
  return String(value);
}

const TYPES_HINT =
  'use strings, booleans, null, integers, floats, bigints, Dates, arrays and plain objects (what pymongo stores)';

/**
 * Checks `value` against what BSON canonical extended JSON can hold, and turns every number into the
 * explicit BSON type pymongo would pick, so the encoding below never guesses. Pure; throws
 * ARCHIVE_INVALID naming the dotted path at fault.
 */
function normalise(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      if (!Number.isSafeInteger(value)) {
        throw invalid(
          path,
          value,
          'is an integer too large to be exact in a JS number',
          'give it as a bigint (3n) for an integer, or new Double(x) for a float',
        );
      }
      return integer(BigInt(value), path);
    }
    return new Double(value);
  }
  if (typeof value === 'bigint') return integer(value, path);
  if (value instanceof Double) return value;
  if (value instanceof Int32) return value;
  if (value instanceof Long) return integer(value.toBigInt(), path);
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid(path, value, 'is an invalid Date', 'give a valid Date');
    return value;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let index = 0; index < value.length; index++) {
      if (!(index in value))
        throw invalid(`${path}[${index}]`, undefined, 'is a hole in an array', TYPES_HINT);
      out.push(normalise(value[index], `${path}[${index}]`));
    }
    return out;
  }
  if (typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw invalid(path, value, `is a ${describe(value)}, which has no canonical form`, TYPES_HINT);
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // A user key like "$date" would be read back as the type it names, not as data.
      if (key.startsWith('$')) {
        throw invalid(
          `${path}.${key}`,
          key,
          "is a key starting with '$', which extended JSON reserves",
          'rename the key',
        );
      }
      out[key] = normalise(item, `${path}.${key}`);
    }
    return out;
  }
  throw invalid(path, value, `is ${describe(value)}, which has no canonical form`, TYPES_HINT);
}

// pymongo writes a Python int that fits 32 bits as $numberInt and any other as $numberLong; one that
// does not fit 64 bits cannot be stored.
function integer(value: bigint, path: string): Int32 | Long {
  if (value < INT64_MIN || value > INT64_MAX) {
    throw invalid(
      path,
      value,
      'does not fit in 64 bits, the largest integer BSON holds',
      'store it as a string',
    );
  }
  if (value >= BigInt(INT32_MIN) && value <= BigInt(INT32_MAX)) return new Int32(Number(value));
  return Long.fromBigInt(value);
}

/**
 * Formats a double the way Python's `repr(float)` does (which pymongo puts in `$numberDouble`): the
 * shortest digits that round-trip, as in JS, but in exponent form when the decimal exponent is below
 * -4 or at least 16, with a sign and at least two exponent digits, and a `.0` on integral values. Pure.
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa, exponent] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const point = Number(exponent) + 1; // digits = 0.d1d2… × 10^point
  if (point > -4 && point <= 16) {
    if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
    if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
    return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  const e = point - 1;
  const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${head}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

// bson (JS) writes a double's digits with Number#toString (or toFixed(1) when integral); pymongo
// writes Python's repr. They agree except on the exponent form, which is re-rendered here.
function fixDoubles(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fixDoubles);
  if (node !== null && typeof node === 'object') {
    const entries = Object.entries(node as Record<string, unknown>);
    if (entries.length === 1 && entries[0]![0] === '$numberDouble' && typeof entries[0]![1] === 'string') {
      const text = entries[0]![1];
      if (text === 'NaN' || text === 'Infinity' || text === '-Infinity' || text === '-0.0') return node;
      return { $numberDouble: pythonFloatRepr(Number(text)) };
    }
    return Object.fromEntries(entries.map(([key, value]) => [key, fixDoubles(value)]));
  }
  return node;
}

// What Python's json.dumps(..., sort_keys=True) writes with its default ensure_ascii=True: ", " and
// ": " separators, keys sorted by code point (UTF-8 byte order is the same order), and every
// character outside printable ASCII (' '..'~') escaped as \uXXXX in lowercase hex, surrogate pairs
// for characters beyond the BMP.
function pythonJson(node: unknown): string {
  if (node === null) return 'null';
  if (node === true) return 'true';
  if (node === false) return 'false';
  if (typeof node === 'string') return pythonString(node);
  if (Array.isArray(node)) return `[${node.map(pythonJson).join(', ')}]`;
  if (typeof node === 'object') {
    const keys = Object.keys(node as object).sort(compareNames);
    const record = node as Record<string, unknown>;
    return `{${keys.map((key) => `${pythonString(key)}: ${pythonJson(record[key])}`).join(', ')}}`;
  }
  // EJSON canonical output holds only the kinds above; numbers are always wrapped in strings.
  throw new PackyardError('INTERNAL', `unexpected ${typeof node} in canonical extended JSON`);
}

function pythonString(text: string): string {
  let out = '"';
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const char = text[index]!;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char === '\b') out += '\\b';
    else if (char === '\f') out += '\\f';
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/**
 * The canonical text of `document`: BSON canonical extended JSON (bson's EJSON, relaxed: false) with
 * keys sorted at every depth, written exactly as metatools writes it with pymongo
 * (`json_util.dumps(doc, json_options=CANONICAL, sort_keys=True)`). `field` names the document in
 * errors. Pure.
 */
export function canonicalJson(document: KeyObject, field = 'key'): string {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw invalid(field, document, 'is not an object', 'give a plain object such as { gosum: "…" }');
  }
  const normalised = normalise(document, field);
  return pythonJson(fixDoubles(EJSON.serialize(normalised, { relaxed: false })));
}

/** sha512 (hex) of `canonicalJson({ key })`: where metatools files the dynamic record for `key`. Pure. */
export function keyHash(key: KeyObject): string {
  if (key === null || typeof key !== 'object' || Array.isArray(key)) {
    throw invalid('key', key, 'is not an object', 'give a plain object such as { gosum: "…" }');
  }
  const text = canonicalJson({ key }, 'key');
  return createHash('sha512').update(text, 'utf8').digest('hex');
}

/**
 * Parses canonical extended JSON back into the values `canonicalJson` takes: $numberInt and safe
 * $numberLong become numbers (larger ones bigints), $numberDouble a number (a `Double` when integral,
 * so it stays a float), $date a Date. Throws on text that is not extended JSON. Pure.
 */
export function parseCanonicalJson(text: string): KeyObject {
  const parsed: unknown = EJSON.parse(text, { relaxed: false });
  const value = fromBson(parsed);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date) {
    throw new SyntaxError('the document is not an object');
  }
  return value as KeyObject;
}

function fromBson(node: unknown): KeyValue {
  if (node instanceof Int32) return node.value;
  if (node instanceof Long) {
    const big = node.toBigInt();
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big;
  }
  if (node instanceof Double) return Number.isInteger(node.value) ? node : node.value;
  if (node instanceof Date || node === null) return node;
  if (Array.isArray(node)) return node.map(fromBson);
  if (typeof node === 'object') {
    const proto: unknown = Object.getPrototypeOf(node);
    if (proto !== Object.prototype && proto !== null) {
      throw new SyntaxError(`extended JSON type ${describe(node)} is not one packyard reads`);
    }
    return Object.fromEntries(Object.entries(node as object).map(([key, value]) => [key, fromBson(value)]));
  }
  if (typeof node === 'string' || typeof node === 'boolean') return node;
  throw new SyntaxError(`unexpected ${typeof node} in extended JSON`);
}
