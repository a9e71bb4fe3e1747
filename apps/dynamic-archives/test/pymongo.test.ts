import { readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  ArchiveStore,
  Binary,
  BSONRegExp,
  canonicalJson,
  Code,
  collectGarbage,
  createArchive,
  DBRef,
  Decimal128,
  Double,
  findArchive,
  keyHash,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  parseCanonicalJson,
  Timestamp,
  verifyStore,
  type KeyObject,
} from '@packyard/archive-store';
import { provisionTools, runPythonWith } from '@packyard/python-tools';
import { resolveIndexUrl } from '@packyard/pypi-client';
import { aDir, aRoot } from './helpers.js';

/** The pymongo whose bson.json_util metatools' store is written with. */
const PYMONGO = 'pymongo==4.20.0';

// metatools' JSON_OPTIONS (metatools/store.py): canonical mode, dates as $numberLong, naive UTC.
const CHECK = String.raw`
import hashlib, json, sys
from collections import OrderedDict
from datetime import datetime
from bson.json_util import dumps, loads, JSONOptions, JSONMode, DatetimeRepresentation
OPTS = JSONOptions(json_mode=JSONMode.CANONICAL, datetime_representation=DatetimeRepresentation.NUMBERLONG,
                   strict_number_long=True, strict_uuid=True, document_class=OrderedDict, tz_aware=False)
request = json.loads(sys.argv[1])
def h(doc):
    return hashlib.sha512(dumps(doc, json_options=OPTS, sort_keys=True).encode("utf-8")).hexdigest()
native = {"final_name": request["final_name"], "int": 3, "big": 2**40, "float": 2.5, "integral": 3.0,
          "bool": True, "none": None, "list": [1, "two", 3.5], "nested": {"x": {"y": 1}, "a": []},
          "date": datetime(2024, 1, 2, 3, 4, 5, 6000), "text": "caf\u00e9 \U0001F600"}
text = open(request["record"], encoding="utf-8").read()
record = loads(text, json_options=OPTS)
# A record as metatools writes one (FileStorageBackend.write), for another name, on the same blob.
theirs = dict(native, final_name=request["their_name"])
kh = h({"key": theirs})
import os
path = os.path.join(request["store"], "dynamic", "local", kh[0:2], kh[2:4], kh[4:6], kh)
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "wb") as f:
    f.write(dumps({"key": theirs, "hashes": record["hashes"], "metadata": {"created_on": datetime.utcnow()}},
                  json_options=OPTS, sort_keys=True).encode("utf-8"))
print(json.dumps({
    "nativeHash": h({"key": native}),
    "recordKeyHash": h({"key": record["key"]}),
    "recordText": dumps(record, json_options=OPTS, sort_keys=True) == text,
    "keyEqual": dict(record["key"]) == native,
    "sha512": record["hashes"]["sha512"],
    "size": record["hashes"]["size"],
}))
`;

// Every BSON type json_util writes, in a key and in metadata, both ways: pymongo reads packyard's
// record and writes it back to the same text; packyard finds, reads and re-writes a record pymongo
// wrote, and gc/verify work on that store.
const EVERY_TYPE = String.raw`
import hashlib, json, os, sys
from collections import OrderedDict
from datetime import datetime
from bson import Binary, Code, DBRef, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.json_util import dumps, loads, JSONOptions, JSONMode, DatetimeRepresentation
OPTS = JSONOptions(json_mode=JSONMode.CANONICAL, datetime_representation=DatetimeRepresentation.NUMBERLONG,
                   strict_number_long=True, strict_uuid=True, document_class=OrderedDict, tz_aware=False)
request = json.loads(sys.argv[1])
def text(doc):
    return dumps(doc, json_options=OPTS, sort_keys=True)
def h(doc):
    return hashlib.sha512(text(doc).encode("utf-8")).hexdigest()
oid = ObjectId("0123456789abcdef01234567")
values = {"bin": b"\x00\x01\x02\xff", "uuid": Binary(bytes(range(16)), 4), "user": Binary(b"x", 0x80),
          "oid": oid, "dec": Decimal128("1.10E+5"), "re": Regex("^a.*", "im"), "min": MinKey(), "max": MaxKey(),
          "code": Code("function () {}"), "scoped": Code("x", {"y": 1}), "ts": Timestamp(1700000000, 7),
          "i64": Int64(5), "big": 2**64, "neg": -(2**63) - 1, "ref": DBRef("coll", oid),
          "date": datetime(2024, 1, 2, 3, 4, 5, 6000), "float": 2.0, "nan": float("nan"),
          "keys": {"\ud800": 1, "\U00010000": 2, "\ue000": 3, "\udfff": 4}}
key = dict(values, final_name=request["their_name"])
ours = open(request["record"], encoding="utf-8").read()
record = loads(ours, json_options=OPTS)
kh = h({"key": key})
path = os.path.join(request["store"], "dynamic", "local", kh[0:2], kh[2:4], kh[4:6], kh)
os.makedirs(os.path.dirname(path), exist_ok=True)
theirs = text({"key": key, "hashes": record["hashes"], "metadata": dict(values, created_on=datetime(2024, 5, 6))})
with open(path, "wb") as f:
    f.write(theirs.encode("utf-8"))
print(json.dumps({
    "theirHash": kh,
    "oursReDumped": text(record) == ours,
    "oursKeyHash": h({"key": record["key"]}),
    "oursKeyDiffer": sorted(k for k, v in values.items() if k != "nan" and record["key"][k] != v),
    "theirPath": path,
}))
`;

/** Runs a Python script with pymongo (pinned) through packyard's uv; returns its last line, parsed. */
async function runWithPymongo(
  script: string,
  request: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const tools = await provisionTools();
  const { url } = await resolveIndexUrl();
  const stdout = await runPythonWith(tools, {
    requirements: [PYMONGO],
    indexUrl: url,
    script,
    payload: request,
    tailLines: 30,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

let root: string;

beforeAll(async () => {
  root = await aRoot();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('records against pymongo bson.json_util', () => {
  it('hash, write and read back a key with every type exactly as metatools does, both ways', async () => {
    const storeDir = await aDir(root);
    const finalName = 'mixed-1.0.tar.xz';
    const key: KeyObject = {
      int: 3,
      big: 2 ** 40,
      float: 2.5,
      integral: new Double(3),
      bool: true,
      none: null,
      list: [1, 'two', 3.5],
      nested: { x: { y: 1 }, a: [] },
      date: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
      text: 'café 😀',
    };
    const builder = createArchive(finalName, { storeDir, distfilesDir: false });
    await builder.initialize('mixed-1.0');
    await import('node:fs/promises').then((fs) => fs.writeFile(join(builder.topPath, 'README'), 'HELLO'));
    const stored = await builder.store({ key });

    const found = await findArchive(finalName, { key, storeDir });
    expect(found?.key).toEqual({ ...key, final_name: finalName });
    expect(found?.digests).toEqual(stored.digests);

    const answer = await runWithPymongo(CHECK, {
      final_name: finalName,
      record: stored.recordPath,
      store: storeDir,
      their_name: 'theirs-1.0.tar.xz',
    });
    const hash = keyHash({ ...key, final_name: finalName });
    expect(answer).toEqual({
      nativeHash: hash,
      recordKeyHash: hash,
      recordText: true,
      keyEqual: true,
      sha512: stored.digests.sha512,
      size: stored.size,
    });
    expect(basename(stored.recordPath)).toBe(hash);

    // And packyard finds what metatools wrote.
    const theirs = await findArchive('theirs-1.0.tar.xz', { key, storeDir });
    expect(theirs?.digests).toEqual(stored.digests);
    expect(theirs?.metadata['created_on']).toBeInstanceOf(Date);
    expect((await readFile(stored.recordPath, 'utf8')).includes('"text": "caf\\u00e9 \\ud83d\\ude00"')).toBe(
      true,
    );
  });

  it('reads, finds and re-writes every BSON type byte for byte, and gc and verify work on such a store', async () => {
    const storeDir = await aDir(root);
    const oid = new ObjectId('0123456789abcdef01234567');
    const values: KeyObject = {
      bin: new Binary(Buffer.from([0, 1, 2, 255]), 0),
      uuid: new Binary(Buffer.from([...Array(16).keys()]), 4),
      user: new Binary(Buffer.from('x'), 0x80),
      oid,
      dec: Decimal128.fromString('1.10E+5'),
      re: new BSONRegExp('^a.*', 'im'),
      min: new MinKey(),
      max: new MaxKey(),
      code: new Code('function () {}'),
      scoped: new Code('x', { y: 1 }),
      ts: new Timestamp({ t: 1700000000, i: 7 }),
      i64: Long.fromNumber(5),
      big: 2n ** 64n,
      neg: -(2n ** 63n) - 1n,
      ref: new DBRef('coll', oid),
      date: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
      float: new Double(2),
      nan: Number.NaN,
      keys: { '\ud800': 1, '\u{10000}': 2, '\ue000': 3, '\udfff': 4 },
    };
    const builder = createArchive('ours-1.0.tar.zst', { storeDir, distfilesDir: false });
    await builder.initialize('ours-1.0');
    await import('node:fs/promises').then((fs) => fs.writeFile(join(builder.topPath, 'README'), 'HELLO'));
    const stored = await builder.store({ key: values, metadata: values });

    const answer = await runWithPymongo(EVERY_TYPE, {
      record: stored.recordPath,
      store: storeDir,
      their_name: 'theirs-1.0.tar.zst',
    });
    expect(answer['oursReDumped']).toBe(true);
    expect(answer['oursKeyHash']).toBe(keyHash({ ...values, final_name: 'ours-1.0.tar.zst' }));
    expect(answer['oursKeyDiffer']).toEqual([]);
    expect(answer['theirHash']).toBe(keyHash({ ...values, final_name: 'theirs-1.0.tar.zst' }));

    // packyard finds pymongo's record, reads every value exactly, and writes the same bytes back.
    const theirs = await findArchive('theirs-1.0.tar.zst', { key: values, storeDir });
    expect(theirs?.digests).toEqual(stored.digests);
    const metadata = theirs!.metadata;
    expect(metadata['big']).toBe(2n ** 64n);
    expect(metadata['ts']).toBeInstanceOf(Timestamp);
    expect((metadata['ts'] as Timestamp).t).toBe(1700000000);
    expect(metadata['bin']).toBeInstanceOf(Binary);
    expect(metadata['dec']).toBeInstanceOf(Decimal128);
    expect(metadata['created_on']).toEqual(new Date(Date.UTC(2024, 4, 6)));
    const text = await readFile(String(answer['theirPath']), 'utf8');
    expect(canonicalJson(parseCanonicalJson(text), 'record')).toBe(text);

    // gc and verify read only what they need: nothing refused, nothing in use removed.
    const store = new ArchiveStore(storeDir);
    const dry = await collectGarbage(store, { dryRun: true });
    expect(dry).toMatchObject({ removed: [], kept: 1, unreadable: [] });
    expect((await collectGarbage(store)).removed).toEqual([]);
    expect((await verifyStore(store)).problems).toEqual([]);
  });
});
