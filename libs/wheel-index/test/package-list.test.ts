import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Parser } from 'htmlparser2';
import { isPackyardError, runTool, type PackyardError } from '@packyard/core';
import { provisionTools, toolCacheEnv } from '@packyard/python-tools';
import { parsePackageList, writeIndexFromPackageList } from '@packyard/wheel-index';
import {
  fileIdentity,
  readWithPypiSimple,
  realPython,
  removeDir,
  serveDirectory,
  tempDir,
  treeHash,
} from './support.js';

const DUMB_PYPI = 'dumb-pypi==1.15.0';
const PACKAGES_URL = 'https://files.example.invalid/pool/';

let work: string;
beforeEach(async () => {
  work = await tempDir('list');
});
afterEach(async () => {
  await removeDir(work);
});

const h = (c: string): string => c.repeat(64);
const LIST = [
  {
    filename: 'Demo_Pkg-1.10.0-py3-none-any.whl',
    hash: `sha256=${h('a')}`,
    requires_python: '>=3.8',
    core_metadata: `sha256=${h('b')}`,
    upload_timestamp: 1700000000,
    uploaded_by: 'ci',
  },
  { filename: 'Demo_Pkg-1.10.0.tar.gz', hash: `sha256=${h('c')}`, requires_python: '>=3.8' },
  {
    filename: 'Demo_Pkg-1.9.0-py3-none-any.whl',
    hash: `sha256=${h('d')}`,
    core_metadata: 'true',
    yanked_reason: 'broken <b>build</b>',
  },
  { filename: 'other-0.1.tar.gz', hash: `sha256=${h('e')}`, yanked_reason: '' },
];

async function writeList(lines: unknown[], name = 'packages.jsonl'): Promise<string> {
  const path = join(work, name);
  await writeFile(
    path,
    `${lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n')}\n`,
  );
  return path;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

interface Anchor {
  text: string;
  attribs: Record<string, string>;
}

function anchorsOf(html: string): Anchor[] {
  const out: Anchor[] = [];
  let open: Anchor | undefined;
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'a') open = { text: '', attribs };
      },
      ontext(text) {
        if (open) open.text += text;
      },
      onclosetag(name) {
        if (name === 'a' && open) out.push(open);
        open = undefined;
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return out;
}

it('builds PEP 503 + PEP 691 pages for files stored elsewhere', async () => {
  const out = join(work, 'out');
  const result = await writeIndexFromPackageList(await writeList(LIST), out, { packagesUrl: PACKAGES_URL });
  expect(result).toEqual({
    projects: ['demo-pkg', 'other'],
    files: 4,
    written: ['demo-pkg', 'other'],
    removed: [],
    full: true,
  });
  expect((await readdir(out)).sort()).toEqual(['index.html', 'package-list-state.json', 'project', 'simple']);
  const page = await readJson(join(out, 'simple/demo-pkg/index.json'));
  expect(page).toEqual({
    meta: { 'api-version': '1.0' },
    name: 'demo-pkg',
    versions: ['1.9.0', '1.10.0'],
    files: [
      {
        filename: 'Demo_Pkg-1.9.0-py3-none-any.whl',
        url: 'https://files.example.invalid/pool/Demo_Pkg-1.9.0-py3-none-any.whl',
        hashes: { sha256: h('d') },
        'core-metadata': true,
        'dist-info-metadata': true,
        yanked: 'broken <b>build</b>',
      },
      {
        filename: 'Demo_Pkg-1.10.0-py3-none-any.whl',
        url: 'https://files.example.invalid/pool/Demo_Pkg-1.10.0-py3-none-any.whl',
        hashes: { sha256: h('a') },
        'requires-python': '>=3.8',
        'core-metadata': { sha256: h('b') },
        'dist-info-metadata': { sha256: h('b') },
        yanked: false,
        'upload-time': '2023-11-14T22:13:20.000000Z',
      },
      {
        filename: 'Demo_Pkg-1.10.0.tar.gz',
        url: 'https://files.example.invalid/pool/Demo_Pkg-1.10.0.tar.gz',
        hashes: { sha256: h('c') },
        'requires-python': '>=3.8',
        'core-metadata': false,
        'dist-info-metadata': false,
        yanked: false,
      },
    ],
  });
  // With sizes (packyard's addition to the format) a page is PEP 700 complete: API 1.1.
  await writeIndexFromPackageList(await writeList(LIST.map((line, i) => ({ ...line, size: 100 + i }))), out, {
    packagesUrl: PACKAGES_URL,
  });
  expect((await readJson(join(out, 'simple/demo-pkg/index.json')))['meta']).toEqual({ 'api-version': '1.1' });
});

it('links every file as dumb-pypi does from the same list', async () => {
  const list = await writeList(LIST);
  const ours = join(work, 'ours');
  const theirs = join(work, 'theirs');
  await writeIndexFromPackageList(list, ours, { packagesUrl: PACKAGES_URL });
  const tools = await provisionTools();
  await runTool(
    tools.uv,
    [
      'tool',
      'run',
      '--python',
      await realPython(),
      '--from',
      DUMB_PYPI,
      'dumb-pypi',
      '--package-list-json',
      list,
      '--packages-url',
      PACKAGES_URL,
      '--output-dir',
      theirs,
      '--no-generate-timestamp',
    ],
    { env: { ...toolCacheEnv(tools), UV_NO_CONFIG: '1' } },
  );
  for (const project of ['demo-pkg', 'other']) {
    const key = (a: Anchor): string =>
      JSON.stringify([
        a.text.trim(),
        a.attribs['href'],
        a.attribs['data-requires-python'],
        a.attribs['data-core-metadata'],
        a.attribs['data-yanked'],
      ]);
    const mine = anchorsOf(await readFile(join(ours, 'simple', project, 'index.html'), 'utf8'))
      .map(key)
      .sort();
    const dumb = anchorsOf(await readFile(join(theirs, 'simple', project, 'index.html'), 'utf8'))
      .map(key)
      .sort();
    expect(mine).toEqual(dumb);
  }
  // dumb-pypi's root links "<name>/index.html", packyard's "<name>/": both reach the same page.
  const names = (html: string): string[] => anchorsOf(html).map((a) => a.text.trim());
  expect(names(await readFile(join(ours, 'simple/index.html'), 'utf8'))).toEqual(
    names(await readFile(join(theirs, 'simple/index.html'), 'utf8')),
  );
});

it('is read by pypi-simple with yanked reasons, metadata and requires-python intact', async () => {
  const out = join(work, 'out');
  await writeIndexFromPackageList(await writeList(LIST), out, { packagesUrl: PACKAGES_URL });
  const server = await serveDirectory(out, { negotiate: true });
  const tools = await provisionTools();
  try {
    for (const mode of ['json', 'html']) {
      const seen = (await readWithPypiSimple(tools, `${server.url}/simple/`, mode, '-')) as {
        names: string[];
        projects: Record<string, { packages: Record<string, unknown>[] }>;
      };
      expect(seen.names).toEqual(['demo-pkg', 'other']);
      const byName = Object.fromEntries(
        (seen.projects['demo-pkg']?.packages ?? []).map((p) => [p['filename'], p]),
      );
      expect(byName['Demo_Pkg-1.9.0-py3-none-any.whl']).toMatchObject({
        url: `${PACKAGES_URL}Demo_Pkg-1.9.0-py3-none-any.whl`,
        digests: { sha256: h('d') },
        is_yanked: true,
        yanked_reason: 'broken <b>build</b>',
        has_metadata: true,
        requires_python: null,
      });
      expect(byName['Demo_Pkg-1.10.0-py3-none-any.whl']).toMatchObject({
        is_yanked: false,
        has_metadata: true,
        metadata_digests: { sha256: h('b') },
        requires_python: '>=3.8',
      });
      expect(seen.projects['other']?.packages[0]).toMatchObject({
        filename: 'other-0.1.tar.gz',
        is_yanked: false,
      });
    }
  } finally {
    await server.close();
  }
});

it('rewrites only the projects whose lines changed, and the root only when the set of projects did', async () => {
  const out = join(work, 'out');
  const extra = { filename: 'third-1.0.tar.gz', hash: `sha256=${h('f')}` };
  await writeIndexFromPackageList(await writeList([...LIST, extra]), out, { packagesUrl: PACKAGES_URL });
  const paths = [
    'simple/index.html',
    'simple/index.json',
    'simple/demo-pkg/index.html',
    'simple/demo-pkg/index.json',
    'simple/other/index.html',
    'simple/other/index.json',
    'simple/third/index.json',
  ];
  const identity = async (): Promise<Record<string, string>> =>
    Object.fromEntries(await Promise.all(paths.map(async (p) => [p, await fileIdentity(join(out, p))])));

  const first = await identity();
  // The same list again: nothing to do.
  const same = await writeIndexFromPackageList(await writeList([...LIST, extra]), out, {
    packagesUrl: PACKAGES_URL,
  });
  expect(same).toMatchObject({ written: [], removed: [], full: false });
  expect(await identity()).toEqual(first);

  const added = await writeIndexFromPackageList(
    await writeList([...LIST, extra, { filename: 'other-0.2.tar.gz', hash: `sha256=${h('1')}` }]),
    out,
    { packagesUrl: PACKAGES_URL },
  );
  expect(added).toMatchObject({ written: ['other'], removed: [], full: false });
  const second = await identity();
  expect(paths.filter((p) => first[p] !== second[p])).toEqual([
    'simple/other/index.html',
    'simple/other/index.json',
  ]);
  expect((await readJson(join(out, 'simple/other/index.json')))['versions']).toEqual(['0.1', '0.2']);

  const dropped = await writeIndexFromPackageList(await writeList(LIST), out, { packagesUrl: PACKAGES_URL });
  expect(dropped).toMatchObject({ written: ['other'], removed: ['third'], full: false });
  expect(await readdir(join(out, 'simple'))).toEqual(expect.not.arrayContaining(['third']));
  expect((await readJson(join(out, 'simple/index.json')))['projects']).toEqual([
    { name: 'demo-pkg' },
    { name: 'other' },
  ]);

  // Another packagesUrl changes every link: everything is rebuilt.
  expect(
    await writeIndexFromPackageList(await writeList(LIST), out, { packagesUrl: '../../pool/' }),
  ).toMatchObject({ full: true });
});

it('rebuilds the whole tree when many projects changed at once', async () => {
  const out = join(work, 'out');
  const many = (hash: string): unknown[] =>
    Array.from({ length: 300 }, (_, i) => ({ filename: `p${i}-1.0.tar.gz`, hash: `sha256=${h(hash)}` }));
  await writeIndexFromPackageList(await writeList(many('a')), out, { packagesUrl: PACKAGES_URL });
  const oneChanged = [...many('a').slice(0, 299), { filename: 'p299-1.0.tar.gz', hash: `sha256=${h('b')}` }];
  expect(
    await writeIndexFromPackageList(await writeList(oneChanged), out, { packagesUrl: PACKAGES_URL }),
  ).toMatchObject({
    written: ['p299'],
    full: false,
  });
  const result = await writeIndexFromPackageList(await writeList(many('c')), out, {
    packagesUrl: PACKAGES_URL,
  });
  expect(result.full).toBe(true);
  expect(result.written).toHaveLength(300);
  expect(
    ((await readJson(join(out, 'simple/p7/index.json')))['files'] as { hashes: unknown }[])[0]?.hashes,
  ).toEqual({ sha256: h('c') });
});

describe('a hostile or broken package list', () => {
  const cases: [string, string, string, unknown][] = [
    [
      '{"filename": "<script>alert(1)</script>-1.0.tar.gz"}',
      'filename',
      'has characters a distribution file name cannot hold',
      '<script>alert(1)</script>-1.0.tar.gz',
    ],
    [
      '{"filename": "../../etc/passwd-1.0.tar.gz"}',
      'filename',
      'has characters',
      '../../etc/passwd-1.0.tar.gz',
    ],
    ['{"filename": "a\\"onclick=\\"x-1.0.tar.gz"}', 'filename', 'has characters', 'a"onclick="x-1.0.tar.gz'],
    [
      '{"filename": "ok-1.0.tar.gz", "hash": "sha256=\\"><script>"}',
      'hash',
      'must be "<hashname>=<hex digest>"',
      'sha256="><script>',
    ],
    [
      '{"filename": "ok-1.0.tar.gz", "core_metadata": "yes please"}',
      'core_metadata',
      'must be "true"',
      'yes please',
    ],
    ['{"filename": "ok-1.0.tar.gz", "sha256": "abc"}', 'sha256', 'is not a package list field', 'abc'],
    [
      '{"filename": "ok-1.0.tar.gz", "upload_timestamp": "yesterday"}',
      'upload_timestamp',
      'must be seconds',
      'yesterday',
    ],
    ['{"filename": 7}', 'filename', 'must be a string', 7],
    ['not json', '', 'the line is not JSON', 'not json'],
    [
      '{"filename": "ok-1.0.tar.gz", "hash": "sha256=00"}',
      'filename',
      'is listed twice with different fields',
      'ok-1.0.tar.gz',
    ],
    [
      '{"filename": "ok-2.0.tar.gz", "filename": "evil-1.0.tar.gz"}',
      'filename',
      'is given twice in one line',
      'evil-1.0.tar.gz',
    ],
  ];

  it.each(cases)(
    'refuses %s, naming the line, field and value, and writes nothing',
    async (line, field, why, value) => {
      const out = join(work, 'out');
      await writeIndexFromPackageList(await writeList(LIST), out, { packagesUrl: PACKAGES_URL });
      const before = await treeHash(out);
      const list = await writeList([...LIST, { filename: 'ok-1.0.tar.gz' }, line]);
      const error = await writeIndexFromPackageList(list, out, { packagesUrl: PACKAGES_URL }).then(
        () => undefined,
        (e: unknown) => e as PackyardError,
      );
      expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
      expect(error?.file).toBe(`${list}:6`);
      expect(error?.field).toBe(field === '' ? undefined : field);
      expect(error?.value).toEqual(value);
      expect(error?.message).toContain(why);
      expect(await treeHash(out)).toBe(before);
    },
  );

  it('needs a packagesUrl', async () => {
    await mkdir(join(work, 'out'));
    await expect(
      writeIndexFromPackageList(await writeList(LIST), join(work, 'out'), { packagesUrl: '' }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      field: 'packagesUrl',
    });
  });

  it('keeps identical duplicate lines once, as dumb-pypi does', () => {
    const text = `${JSON.stringify(LIST[0])}\n\n${JSON.stringify(LIST[0])}\n`;
    expect(parsePackageList(text)).toHaveLength(1);
  });
});
