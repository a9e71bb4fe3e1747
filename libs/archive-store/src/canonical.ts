import { createHash } from 'node:crypto';
import { PackyardError } from '@packyard/core';
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  Code,
  DBRef,
  Decimal128,
  Double,
  EJSON,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
} from 'bson';

/**
 * The BSON types beyond JSON's that a metatools record can hold and packyard keeps as bson's own
 * classes, so they read back exactly and are written back byte for byte as pymongo writes them.
 */
export type BsonValue =
  Binary | ObjectId | Decimal128 | BSONRegExp | MinKey | MaxKey | Code | Timestamp | DBRef;

/**
 * A value a key (or record metadata) may hold: what pymongo's `bson.json_util` round-trips. A JS
 * number that is an integer is an integer (Python `int`); any other number is a float. For a float
 * with an integral value, such as Python's `2.0`, pass `new Double(2)`. Integers beyond 2^53 are given
 * as a bigint (`$numberLong`, any size, as `json_util` writes a Python int); a `Long` stays a
 * `$numberLong` whatever its value (pymongo's `Int64`).
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
  | BsonValue
  | KeyValue[]
  | { [key: string]: KeyValue };

/** A JSON-like object: the shape of a key and of a record. */
export type KeyObject = { [key: string]: KeyValue };

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

// Checked before Long: Timestamp is a subclass of Long in bson, and must not be read as a number.
const BSON_CLASSES = [
  Timestamp,
  Binary,
  ObjectId,
  Decimal128,
  BSONRegExp,
  MinKey,
  MaxKey,
  Code,
  DBRef,
] as const;

function isBsonValue(value: unknown): value is BsonValue {
  return BSON_CLASSES.some((type) => value instanceof type);
}

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
  'use strings, booleans, null, integers, floats, bigints, Dates, arrays, plain objects and bson types (what pymongo stores)';

/**
 * Checks `value` against what BSON canonical extended JSON can hold and encodes it as the extended
 * JSON tree pymongo's `json_util` writes (every number wrapped in its explicit type), so the text
 * below never guesses. Pure; throws ARCHIVE_INVALID naming the dotted path at fault.
 */
function encode(value: unknown, path: string): unknown {
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
      return integer(BigInt(value));
    }
    return double(value);
  }
  if (typeof value === 'bigint') return integer(value);
  if (value instanceof Double) return double(value.value);
  if (value instanceof Int32) return { $numberInt: String(value.value) };
  if (isBsonValue(value)) return EJSON.serialize(value, { relaxed: false });
  if (value instanceof Long) return { $numberLong: value.toString() };
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid(path, value, 'is an invalid Date', 'give a valid Date');
    return { $date: { $numberLong: String(value.getTime()) } };
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let index = 0; index < value.length; index++) {
      if (!(index in value))
        throw invalid(`${path}[${index}]`, undefined, 'is a hole in an array', TYPES_HINT);
      out.push(encode(value[index], `${path}[${index}]`));
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
      out[key] = encode(item, `${path}.${key}`);
    }
    return out;
  }
  throw invalid(path, value, `is ${describe(value)}, which has no canonical form`, TYPES_HINT);
}

// json_util writes a Python int that fits 32 bits as $numberInt and any other as $numberLong, of
// whatever size (its text never passes through BSON), so packyard does the same.
function integer(value: bigint): { $numberInt: string } | { $numberLong: string } {
  return value >= BigInt(INT32_MIN) && value <= BigInt(INT32_MAX)
    ? { $numberInt: String(value) }
    : { $numberLong: String(value) };
}

function double(value: number): { $numberDouble: string } {
  if (Number.isNaN(value)) return { $numberDouble: 'NaN' };
  if (!Number.isFinite(value)) return { $numberDouble: value > 0 ? 'Infinity' : '-Infinity' };
  return { $numberDouble: pythonFloatRepr(value) };
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

// What Python's json.dumps(..., sort_keys=True) writes with its default ensure_ascii=True: ", " and
// ": " separators, keys sorted by code point (a lone surrogate is its own code point), and every
// character outside printable ASCII (' '..'~') escaped as \uXXXX in lowercase hex, surrogate pairs
// for characters beyond the BMP.
/**
 * Orders strings by code point, as Python sorts `str`: a character beyond the BMP (a surrogate pair in
 * JS) sorts after U+FFFF, and a lone surrogate (which Python keeps in a str) sorts by its own value,
 * between U+D7FF and U+E000. Pure.
 */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return i < a.length ? 1 : j < b.length ? -1 : 0;
}

function pythonJson(node: unknown): string {
  if (node === null) return 'null';
  if (node === true) return 'true';
  if (node === false) return 'false';
  if (typeof node === 'string') return pythonString(node);
  // Only the counters inside $timestamp and the 1 of $minKey/$maxKey are bare numbers.
  if (typeof node === 'number' && Number.isSafeInteger(node)) return String(node);
  if (Array.isArray(node)) return `[${node.map(pythonJson).join(', ')}]`;
  if (typeof node === 'object') {
    const keys = Object.keys(node as object).sort(compareCodePoints);
    const record = node as Record<string, unknown>;
    return `{${keys.map((key) => `${pythonString(key)}: ${pythonJson(record[key])}`).join(', ')}}`;
  }
  // The encoded tree holds only the kinds above; other numbers are always wrapped in strings.
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
  return pythonJson(encode(document, field));
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
 * Parses canonical extended JSON back into the values `canonicalJson` takes, losslessly:
 * `$numberInt` becomes a number; `$numberLong` a number when it is beyond 32 bits and safe, a bigint
 * beyond 2^53 (of any size, as json_util writes them), and a `Long` within 32 bits (pymongo's
 * `Int64`, which it writes back as `$numberLong`); `$numberDouble` a number (a `Double` when
 * integral, so it stays a float); `$date` a Date; `$binary`, `$oid`, `$numberDecimal`,
 * `$regularExpression`, `$minKey`, `$maxKey`, `$code`, `$timestamp` and `$ref` bson's classes.
 * `canonicalJson` of the result is the text pymongo writes for the same record. Throws SyntaxError on
 * text that is not extended JSON. Pure.
 */
export function parseCanonicalJson(text: string): KeyObject {
  const value = fromExtendedJson(JSON.parse(text) as unknown);
  if (!isPlainObject(value)) throw new SyntaxError('the document is not an object');
  return value as KeyObject;
}

function isPlainObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const LONG_TEXT = /^-?[0-9]+$/;

/** Turns one parsed extended JSON node (from JSON.parse) into a KeyValue. Pure. */
export function fromExtendedJson(node: unknown): KeyValue {
  if (node === null || typeof node === 'string' || typeof node === 'boolean') return node;
  // Canonical text wraps every number; a bare one (relaxed text) is read as it stands.
  if (typeof node === 'number') return node;
  if (Array.isArray(node)) return node.map(fromExtendedJson);
  if (typeof node !== 'object') throw new SyntaxError(`unexpected ${typeof node} in extended JSON`);
  const record = node as Record<string, unknown>;
  const keys = Object.keys(record);
  if (!keys.some((key) => key.startsWith('$'))) {
    return Object.fromEntries(keys.map((key) => [key, fromExtendedJson(record[key])]));
  }
  if (keys.length === 1 && typeof record['$numberLong'] === 'string') {
    const text = record['$numberLong'];
    if (!LONG_TEXT.test(text)) throw new SyntaxError(`$numberLong ${JSON.stringify(text)} is not an integer`);
    const big = BigInt(text);
    if (big >= BigInt(INT32_MIN) && big <= BigInt(INT32_MAX)) return Long.fromBigInt(big);
    return Number.isSafeInteger(Number(big)) && BigInt(Number(big)) === big ? Number(big) : big;
  }
  if (keys.length === 1 && typeof record['$numberInt'] === 'string') {
    const value = Number(record['$numberInt']);
    if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX)
      throw new SyntaxError(`$numberInt ${JSON.stringify(record['$numberInt'])} is not a 32-bit integer`);
    return value;
  }
  const binary = record['$binary'] as Record<string, unknown> | undefined;
  if (keys.length === 1 && isPlainObject(binary) && typeof binary!['base64'] === 'string') {
    // Built here: bson's own reader refuses a subtype 4 whose length is not a UUID's, which pymongo keeps.
    const subType = binary!['subType'];
    if (typeof subType !== 'string' || !/^[0-9a-fA-F]{1,2}$/.test(subType))
      throw new SyntaxError(`$binary subType ${JSON.stringify(subType)} is not one byte of hex`);
    return new Binary(Buffer.from(binary!['base64'], 'base64'), Number.parseInt(subType, 16));
  }
  let value: unknown;
  try {
    value = EJSON.deserialize(record as never, { relaxed: false });
  } catch (error) {
    throw new SyntaxError(`extended JSON ${keys.join(', ')}: ${(error as Error).message}`);
  }
  return fromBson(value);
}

function fromBson(node: unknown): KeyValue {
  if (isBsonValue(node)) return node;
  if (node instanceof Int32) return node.value;
  if (node instanceof Double) return Number.isInteger(node.value) ? node : node.value;
  if (node instanceof Long) return node.toBigInt();
  if (node instanceof BSONSymbol) return node.value; // json_util reads a symbol as a str
  if (node instanceof Date || node === null) return node;
  if (typeof node === 'string' || typeof node === 'boolean') return node;
  if (typeof node === 'number') return node;
  if (node === undefined) return null; // $undefined, which json_util reads as None
  throw new SyntaxError(`extended JSON type ${describe(node)} is not one packyard reads`);
}
