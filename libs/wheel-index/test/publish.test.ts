import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPackyardError, type PackyardError } from '@packyard/core';
import { createLocalStore, type ObjectStore, type PutObjectInput } from '@packyard/r2-store';
import {
  addFilesToIndex,
  contentTypeOf,
  planIndexObjects,
  publishIndex,
  writeIndexFromPackageList,
} from '@packyard/wheel-index';
import { aWheel, anSdist, removeDir, tempDir, treeDigests } from './support.js';

let work: string;
let index: string;

beforeEach(async () => {
  work = await tempDir('publish');
  index = join(work, 'index');
  await addFilesToIndex(index, [
    await aWheel(join(work, 'src'), { name: 'alpha', version: '1.0' }),
    await anSdist(join(work, 'src'), { name: 'alpha', version: '1.0' }),
    await aWheel(join(work, 'src'), { name: 'beta', version: '2.0' }),
  ]);
});
afterEach(async () => {
  await removeDir(work);
});

/** A local store that records the key of every put, in order. */
function recording(dir: string): { store: ObjectStore; puts: string[] } {
  const inner = createLocalStore({ dir });
  const puts: string[] = [];
  const store: ObjectStore = Object.assign(Object.create(inner) as ObjectStore, {
    put: (input: PutObjectInput) => {
      puts.push(input.key);
      return inner.put(input);
    },
  });
  return { store, puts };
}

async function refusal(promise: Promise<unknown>): Promise<PackyardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isPackyardError(error)) throw new Error(`expected a PackyardError, got ${String(error)}`);
  return error;
}

describe('planIndexObjects', () => {
  it('gives each object its stage and Content-Type', () => {
    const plan = planIndexObjects(
      [
        'files/a/a-1.0-py3-none-any.whl',
        'files/a/a-1.0-py3-none-any.whl.metadata',
        'files/a/a-1.0.tar.gz',
        'index.html',
        'project/a/index.html',
        'project/projects.json',
        'simple/a/index.html',
        'simple/a/index.json',
        'simple/index.html',
        'simple/index.json',
      ],
      'pypi/',
    );
    expect(plan.map((o) => [o.key, o.stage, o.immutable, o.contentType])).toEqual([
      ['pypi/files/a/a-1.0-py3-none-any.whl', 'files', true, 'application/octet-stream'],
      ['pypi/files/a/a-1.0-py3-none-any.whl.metadata', 'files', true, 'text/plain; charset=utf-8'],
      ['pypi/files/a/a-1.0.tar.gz', 'files', true, 'application/gzip'],
      ['pypi/index.html', 'roots', false, 'text/html; charset=utf-8'],
      ['pypi/project/a/index.html', 'projects', false, 'text/html; charset=utf-8'],
      ['pypi/project/projects.json', 'roots', false, 'application/json'],
      ['pypi/simple/a/index.html', 'projects', false, 'text/html; charset=utf-8'],
      ['pypi/simple/a/index.json', 'projects', false, 'application/vnd.pypi.simple.v1+json'],
      ['pypi/simple/index.html', 'roots', false, 'text/html; charset=utf-8'],
      ['pypi/simple/index.json', 'roots', false, 'application/vnd.pypi.simple.v1+json'],
    ]);
    expect(contentTypeOf('files/a/a-1.0.zip')).toBe('application/zip');
  });

  it('refuses a key the store cannot hold', () => {
    expect(() => planIndexObjects(['simple/a/index.json'], '/abs/')).toThrow(/invalid object key/);
  });
});

describe('publishIndex', () => {
  it('writes files, then project pages, then root pages; a second run writes nothing', async () => {
    const { store, puts } = recording(join(work, 'bucket'));
    const first = await publishIndex(index, store);
    expect(first.uploaded).toHaveLength(puts.length);
    expect(puts.slice(0, 5).every((key) => key.startsWith('files/'))).toBe(true);
    expect(puts.slice(5, 11).sort()).toEqual([
      'project/alpha/index.html',
      'project/beta/index.html',
      'simple/alpha/index.html',
      'simple/alpha/index.json',
      'simple/beta/index.html',
      'simple/beta/index.json',
    ]);
    expect(puts.slice(11).sort()).toEqual([
      'index.html',
      'project/projects.json',
      'simple/index.html',
      'simple/index.json',
    ]);
    const stages = puts.map((key) => planIndexObjects([key])[0]?.stage);
    expect(stages).toEqual([...stages].sort((a, b) => order(a) - order(b)));
    expect(await treeDigests(join(work, 'bucket'))).toEqual(
      Object.fromEntries(Object.entries(await treeDigests(index)).filter(([path]) => !path.startsWith('.'))),
    );
    puts.length = 0;
    const second = await publishIndex(index, store);
    expect(puts).toEqual([]);
    expect(second.skipped).toEqual(first.uploaded);
  });

  it('uploads only what changed: the new file and the pages that list it', async () => {
    const { store, puts } = recording(join(work, 'bucket'));
    await publishIndex(index, store);
    puts.length = 0;
    await addFilesToIndex(index, [await aWheel(join(work, 'src'), { name: 'beta', version: '2.1' })]);
    const result = await publishIndex(index, store);
    expect(result.uploaded).toEqual([
      'files/beta/beta-2.1-py3-none-any.whl',
      'files/beta/beta-2.1-py3-none-any.whl.metadata',
    ]);
    expect(result.replaced).toEqual([
      'index.html',
      'project/beta/index.html',
      'project/projects.json',
      'simple/beta/index.html',
      'simple/beta/index.json',
    ]);
    expect(puts.slice(0, 2).sort()).toEqual(result.uploaded);
  });

  it('refuses a file held with other bytes before writing anything, and replaces it when asked', async () => {
    const bucket = join(work, 'bucket');
    const { store, puts } = recording(bucket);
    await publishIndex(index, store);
    const key = 'files/alpha/alpha-1.0.tar.gz';
    await writeFile(join(bucket, key), 'other bytes');
    await addFilesToIndex(index, [await aWheel(join(work, 'src'), { name: 'gamma', version: '1.0' })]);
    puts.length = 0;
    const error = await refusal(publishIndex(index, store));
    expect(error.code).toBe('STORE_CONFLICT');
    expect(error.message).toContain(`holds ${key} with other bytes`);
    expect(error.value).toEqual([key]);
    expect(puts).toEqual([]);
    const replaced = await publishIndex(index, store, { replace: true });
    expect(replaced.replaced).toContain(key);
    expect(await readFile(join(bucket, key))).toEqual(await readFile(join(index, key)));
  });

  it('publishes a package-list build (pages only) and leaves its state file out', async () => {
    const list = join(work, 'packages.jsonl');
    await writeFile(
      list,
      `${JSON.stringify({ filename: 'delta-1.0-py3-none-any.whl', hash: `sha256=${'a'.repeat(64)}`, size: 10 })}\n`,
    );
    const out = join(work, 'pages');
    await writeIndexFromPackageList(list, out, { packagesUrl: 'https://files.example/' });
    const { store, puts } = recording(join(work, 'bucket'));
    await publishIndex(out, store, { prefix: 'pypi/' });
    expect(puts.every((key) => key.startsWith('pypi/'))).toBe(true);
    expect(puts).toContain('pypi/simple/delta/index.json');
    expect(puts.some((key) => key.includes('package-list-state'))).toBe(false);
  });

  it('refuses a directory that is not an index, and a prefix without "/"', async () => {
    const { store } = recording(join(work, 'bucket'));
    const notIndex = await refusal(publishIndex(join(work, 'src'), store));
    expect(notIndex.code).toBe('CONFIG_INVALID');
    expect(notIndex.message).toContain('has no simple/index.json');
    const prefix = await refusal(publishIndex(index, store, { prefix: 'pypi' }));
    expect(prefix.code).toBe('CONFIG_INVALID');
    expect(prefix.value).toBe('pypi');
  });
});

function order(stage: string | undefined): number {
  return ['files', 'projects', 'roots'].indexOf(stage ?? '');
}
