import { isPackyardError } from '@packyard/core';
import type { Decimal128 } from '@packyard/archive-store';
import {
  Binary,
  BSONRegExp,
  canonicalJson,
  Code,
  compareCodePoints,
  DBRef,
  Double,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  keyHash,
  parseCanonicalJson,
  pythonFloatRepr,
  type KeyObject,
} from '@packyard/archive-store';
import { errorOf } from '@packyard/test-helpers';

describe('keyHash', () => {
  it('matches the metatools test vector', () => {
    const key = { final_name: 'foobar-go-modules-1.2.3.tar.xz', gosum: 'abcdef0123456789' };
    expect(canonicalJson({ key })).toBe(
      '{"key": {"final_name": "foobar-go-modules-1.2.3.tar.xz", "gosum": "abcdef0123456789"}}',
    );
    expect(keyHash(key)).toBe(
      '13d7c90ed55ea43ee3bbee602ee3e9d65d2c88677123aed5d3567526db6c33be55629aa9c08489313a2ed4975ab9cb9879db710109708dc35c8c11b338f81d34',
    );
  });

  it('does not depend on the order keys were written in, at any depth', () => {
    expect(keyHash({ b: 1, a: { y: [1, { d: 1, c: 2 }], x: true } })).toBe(
      keyHash({ a: { x: true, y: [1, { c: 2, d: 1 }] }, b: 1 }),
    );
  });

  it('never modifies the key', () => {
    const key = Object.freeze({ gosum: 'x', nested: Object.freeze({ n: 1 }) });
    keyHash(key);
    expect(key).toEqual({ gosum: 'x', nested: { n: 1 } });
  });
});

describe('canonicalJson', () => {
  it('writes each type as pymongo canonical extended JSON does', () => {
    const text = canonicalJson({
      int: 3,
      negative: -7,
      long: 2 ** 40,
      big: 9_007_199_254_740_993n,
      float: 2.5,
      integral: new Double(2),
      tiny: 1e-7,
      huge: new Double(1e20),
      bool: false,
      none: null,
      date: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
      list: ['a', 1],
      nested: { z: {}, a: [] },
    });
    expect(text).toBe(
      '{"big": {"$numberLong": "9007199254740993"}, "bool": false, ' +
        '"date": {"$date": {"$numberLong": "1704164645006"}}, "float": {"$numberDouble": "2.5"}, ' +
        '"huge": {"$numberDouble": "1e+20"}, "int": {"$numberInt": "3"}, ' +
        '"integral": {"$numberDouble": "2.0"}, "list": ["a", {"$numberInt": "1"}], ' +
        '"long": {"$numberLong": "1099511627776"}, "negative": {"$numberInt": "-7"}, ' +
        '"nested": {"a": [], "z": {}}, "none": null, "tiny": {"$numberDouble": "1e-07"}}',
    );
  });

  it('escapes every character outside printable ASCII as \\uXXXX, as json.dumps does', () => {
    expect(canonicalJson({ s: 'é\u007f\u001f"\\\n😀' })).toBe(
      '{"s": "\\u00e9\\u007f\\u001f\\"\\\\\\n\\ud83d\\ude00"}',
    );
    // Keys sort by code point: "é" (U+00E9) before "😀" (U+1F600) before nothing else; "Z" before "a".
    expect(canonicalJson({ '😀': 1, é: 2, a: 3, Z: 4 })).toBe(
      '{"Z": {"$numberInt": "4"}, "a": {"$numberInt": "3"}, "\\u00e9": {"$numberInt": "2"}, "\\ud83d\\ude00": {"$numberInt": "1"}}',
    );
  });

  it.each([
    ['undefined', { a: undefined }, 'key.a'],
    ['a function', { a: () => 1 }, 'key.a'],
    ['a Map', { a: new Map() }, 'key.a'],
    ['an unsafe integer', { a: 2 ** 60 }, 'key.a'],
    ['an invalid Date', { a: new Date(Number.NaN) }, 'key.a'],
    ['a $-key', { a: { $date: 1 } }, 'key.a.$date'],
    ['a nested symbol', { a: [1, Symbol('s')] }, 'key.a[1]'],
  ])('refuses %s, naming where it is', (_what, key, field) => {
    const error = errorOf(() => canonicalJson(key as unknown as KeyObject));
    expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
    expect((error as { field: string }).field).toBe(field);
  });

  it('refuses a key that is not an object', () => {
    for (const key of [[1], 'x', null, 3]) {
      expect(
        isPackyardError(
          errorOf(() => keyHash(key as unknown as KeyObject)),
          'ARCHIVE_INVALID',
        ),
      ).toBe(true);
    }
  });
});

describe('parseCanonicalJson', () => {
  it('reads back what canonicalJson wrote, equal, and re-encodes to the same text', () => {
    const value = {
      int: 3,
      float: 0.1,
      integral: new Double(4),
      bool: true,
      list: [1, 'two', [3]],
      nested: { deeper: { date: new Date(Date.UTC(2020, 5, 6)) } },
      big: 2n ** 62n,
    };
    const text = canonicalJson(value);
    const back = parseCanonicalJson(text);
    expect(back['int']).toBe(3);
    expect(back['float']).toBe(0.1);
    expect(back['integral']).toBeInstanceOf(Double);
    expect((back['integral'] as Double).value).toBe(4);
    expect(back['list']).toEqual([1, 'two', [3]]);
    expect(back['nested']).toEqual({ deeper: { date: new Date(Date.UTC(2020, 5, 6)) } });
    expect(back['big']).toBe(2n ** 62n);
    expect(canonicalJson(back)).toBe(text);
  });
});

describe('every type a metatools record can hold', () => {
  // The text pymongo 4.20.0 writes for these values with metatools' JSON options (checked against
  // real pymongo in apps/dynamic-archives/test/pymongo.test.ts).
  const text =
    '{"big": {"$numberLong": "18446744073709551616"}, ' +
    '"bin": {"$binary": {"base64": "AAEC/w==", "subType": "00"}}, ' +
    '"code": {"$code": "function () {}"}, ' +
    '"dec": {"$numberDecimal": "1.10E+5"}, ' +
    '"int64": {"$numberLong": "5"}, ' +
    '"max": {"$maxKey": 1}, "min": {"$minKey": 1}, ' +
    '"neg": {"$numberLong": "-9223372036854775809"}, ' +
    '"oid": {"$oid": "0123456789abcdef01234567"}, ' +
    '"re": {"$regularExpression": {"options": "im", "pattern": "^a.*"}}, ' +
    '"ts": {"$timestamp": {"i": 7, "t": 1700000000}}, ' +
    '"uuid": {"$binary": {"base64": "AQID", "subType": "04"}}}';

  it('reads each value exactly and writes the same bytes back', () => {
    const back = parseCanonicalJson(text);
    expect(back['big']).toBe(2n ** 64n);
    expect(back['neg']).toBe(-(2n ** 63n) - 1n);
    expect(back['int64']).toBeInstanceOf(Long);
    expect(back['ts']).toBeInstanceOf(Timestamp);
    expect((back['ts'] as Timestamp).t).toBe(1700000000);
    expect((back['ts'] as Timestamp).i).toBe(7);
    expect(back['bin']).toBeInstanceOf(Binary);
    expect(Buffer.from((back['bin'] as Binary).value()).toString('hex')).toBe('000102ff');
    expect((back['uuid'] as Binary).sub_type).toBe(4);
    expect(back['oid']).toBeInstanceOf(ObjectId);
    expect((back['dec'] as Decimal128).toString()).toBe('1.10E+5');
    expect(back['re']).toBeInstanceOf(BSONRegExp);
    expect(back['min']).toBeInstanceOf(MinKey);
    expect(back['max']).toBeInstanceOf(MaxKey);
    expect(back['code']).toBeInstanceOf(Code);
    expect(canonicalJson(back)).toBe(text);
  });

  it('writes bson values given by the caller as pymongo does', () => {
    expect(
      canonicalJson({
        ref: new DBRef('coll', new ObjectId('0123456789abcdef01234567')),
        ts: new Timestamp({ t: 1, i: 2 }),
        long: Long.fromNumber(3),
      }),
    ).toBe(
      '{"long": {"$numberLong": "3"}, "ref": {"$id": {"$oid": "0123456789abcdef01234567"}, "$ref": "coll"}, ' +
        '"ts": {"$timestamp": {"i": 2, "t": 1}}}',
    );
  });

  it('sorts keys by code point as Python does, lone surrogates included', () => {
    const keys = ['\uffff', '\ud800', '\u{10000}', '\ue000', '\ud7ff', '\udfff'];
    expect([...keys].sort(compareCodePoints)).toEqual([
      '\ud7ff',
      '\ud800',
      '\udfff',
      '\ue000',
      '\uffff',
      '\u{10000}',
    ]);
    expect(canonicalJson({ '\u{10000}': 1, '\ud800': 2 })).toBe(
      '{"\\ud800": {"$numberInt": "2"}, "\\ud800\\udc00": {"$numberInt": "1"}}',
    );
  });
});

describe('pythonFloatRepr', () => {
  it.each([
    [2.5, '2.5'],
    [2, '2.0'],
    [0.1, '0.1'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [123456789012345680, '1.2345678901234568e+17'],
    [-1e300, '-1e+300'],
    [-0, '-0.0'],
    [0, '0.0'],
  ])('%p → %s', (value, text) => {
    expect(pythonFloatRepr(value)).toBe(text);
  });
});
