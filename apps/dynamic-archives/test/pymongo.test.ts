import { readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { runTool } from '@packyard/core';
import { createArchive, Double, findArchive, keyHash, type KeyObject } from '@packyard/archive';
import { provisionTools, toolCacheEnv } from '@packyard/python-tools';
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

    const tools = await provisionTools();
    const { url } = await resolveIndexUrl();
    const { stdout } = await runTool(
      tools.uv,
      [
        'run',
        '--no-project',
        '--no-config',
        '--python',
        tools.python,
        '--index-url',
        url,
        '--with',
        PYMONGO,
        '--',
        'python',
        '-c',
        CHECK,
        JSON.stringify({
          final_name: finalName,
          record: stored.recordPath,
          store: storeDir,
          their_name: 'theirs-1.0.tar.xz',
        }),
      ],
      { env: { ...toolCacheEnv(tools), VIRTUAL_ENV: undefined }, tailLines: 30 },
    );
    const answer = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
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
});
