// Real clients read the generated index: pip installs from it, uv resolves from it through the
// PEP 658 metadata files, the pypi-simple library (from PyPI) parses every page in both
// serialisations, and packyard's own pypi-client lists the same versions.
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from '@packyard/core';
import { provisionTools, type Tools } from '@packyard/python-tools';
import { createPypiClient } from '@packyard/pypi-client';
import { addFilesToIndex } from '@packyard/wheel-index';
import {
  aWheel,
  readWithPypiSimple,
  realPython,
  removeDir,
  serveDirectory,
  tempDir,
  type StaticServer,
} from './support.js';

// Pinned so the suite reads the same bytes every time.
const REAL_WHEELS = ['six==1.17.0', 'idna==3.10'];
const REAL_SDIST = { project: 'six', filename: 'six-1.17.0.tar.gz' };

let work: string;
let index: string;
let tools: Tools;
let staticServer: StaticServer;
let negotiating: StaticServer;
let files: string[];

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  work = await tempDir('clients');
  index = join(work, 'index');
  const downloads = join(work, 'downloads');
  const python = await realPython();
  tools = await provisionTools();
  await runTool(python, [
    '-m',
    'pip',
    'download',
    '--no-deps',
    '--only-binary',
    ':all:',
    '-d',
    downloads,
    ...REAL_WHEELS,
  ]);
  // pip download would build the sdist's metadata; the file is fetched as listed by PyPI instead.
  await downloadSdist(REAL_SDIST, downloads);
  // A project named with capitals and underscores, needing a Python every interpreter here has.
  await aWheel(downloads, {
    name: 'GT4Py_Dep',
    version: '0.1.dev3',
    requiresPython: '>=3.8',
    extra: 'installed',
  });
  files = (await readdir(downloads)).map((name) => join(downloads, name)).sort();
  expect(files.map((f) => f.slice(downloads.length + 1))).toEqual([
    'GT4Py_Dep-0.1.dev3-py3-none-any.whl',
    'idna-3.10-py3-none-any.whl',
    'six-1.17.0-py2.py3-none-any.whl',
    'six-1.17.0.tar.gz',
  ]);
  await addFilesToIndex(index, files, { uploadTime: new Date('2024-06-01T12:00:00Z') });
  staticServer = await serveDirectory(index, { negotiate: false });
  negotiating = await serveDirectory(index, { negotiate: true });
});

afterAll(async () => {
  await staticServer?.close();
  await negotiating?.close();
  await removeDir(work);
});

it('pip installs from the index served as plain static files', async () => {
  const venv = join(work, 'pip-venv');
  await runTool('python3.11', ['-m', 'venv', venv]);
  // --isolated: no pip.conf or PIP_* variable may add another index or find-links.
  await runTool(join(venv, 'bin/python'), [
    '-m',
    'pip',
    '--isolated',
    'install',
    '--no-cache-dir',
    '--index-url',
    `${staticServer.url}/simple/`,
    'six',
    'idna',
    'gt4py-dep',
  ]);
  const { stdout } = await runTool(join(venv, 'bin/python'), [
    '-c',
    'import six, idna, gt4py_dep; print(six.__version__, idna.__version__, gt4py_dep.VALUE)',
  ]);
  expect(stdout.trim()).toBe('1.17.0 3.10 installed');
  const fetched = staticServer.requests.map((r) => r.path);
  expect(fetched).toEqual(
    expect.arrayContaining([
      '/simple/six/',
      '/simple/gt4py-dep/',
      '/files/six/six-1.17.0-py2.py3-none-any.whl',
      '/files/gt4py-dep/GT4Py_Dep-0.1.dev3-py3-none-any.whl',
    ]),
  );
});

it.each([
  ['PEP 691 JSON pages', () => negotiating],
  ['HTML pages of a plain static host', () => staticServer],
])('uv resolves from the %s using the PEP 658 metadata files alone', async (_what, server) => {
  const { url, requests } = server();
  const before = requests.length;
  const env = {
    // A cache of its own, so every page and metadata file comes from this server.
    UV_CACHE_DIR: join(work, `uv-cache-${url.split(':').pop()}`),
    UV_NO_CONFIG: '1',
    // Nx forces colour on; uv's output is parsed here.
    FORCE_COLOR: undefined,
    UV_INDEX_URL: undefined,
    UV_DEFAULT_INDEX: undefined,
    UV_EXTRA_INDEX_URL: undefined,
    UV_FIND_LINKS: undefined,
  };
  const requirements = join(work, 'requirements.in');
  await writeFile(requirements, 'six\nidna\ngt4py-dep\n');
  const { stdout } = await runTool(
    tools.uv,
    [
      'pip',
      'compile',
      '--color',
      'never',
      requirements,
      '--no-header',
      '--python-version',
      '3.11',
      '--index-url',
      `${url}/simple/`,
    ],
    { env },
  );
  const pins = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  expect(pins).toEqual(['gt4py-dep==0.1.dev3', 'idna==3.10', 'six==1.17.0']);
  const seen = requests.slice(before);
  const pages = seen.filter((r) => r.path.startsWith('/simple/'));
  expect(pages.length).toBeGreaterThanOrEqual(3);
  // uv asks for PEP 691 JSON first; the negotiating server gives it, the static one HTML.
  for (const page of pages) expect(page.accept).toContain('application/vnd.pypi.simple.v1+json');
  // Resolution needed the metadata files only: no distribution was downloaded.
  const fetched = seen.map((r) => r.path).filter((p) => p.startsWith('/files/'));
  expect(fetched.sort()).toEqual([
    '/files/gt4py-dep/GT4Py_Dep-0.1.dev3-py3-none-any.whl.metadata',
    '/files/idna/idna-3.10-py3-none-any.whl.metadata',
    '/files/six/six-1.17.0-py2.py3-none-any.whl.metadata',
  ]);
});

describe.each(['json', 'html'])('the pypi-simple library, reading %s pages', (mode) => {
  it('finds every file with the right hash, requires-python and metadata', async () => {
    const seen = (await readWithPypiSimple(
      tools,
      `${negotiating.url}/simple/`,
      mode,
      join(work, 'pypi-simple'),
    )) as PypiSimpleView;
    expect(seen.names).toEqual(['gt4py-dep', 'idna', 'six']);
    const expected: Record<
      string,
      {
        filename: string;
        sha256: string;
        requiresPython: string | null;
        metadataSha256: string | null;
        metadata: string | null;
        size: number;
      }[]
    > = {};
    for (const file of files) {
      const filename = file.split('/').pop() as string;
      const project = filename.startsWith('GT4Py')
        ? 'gt4py-dep'
        : filename.startsWith('idna')
          ? 'idna'
          : 'six';
      const metadataPath = join(index, 'files', project, `${filename}.metadata`);
      const metadata = filename.endsWith('.whl') ? await readFile(metadataPath) : null;
      const requiresPython =
        /^Requires-Python: (.*)$/m.exec(metadata?.toString() ?? (await sdistPkgInfo(file)))?.[1] ?? null;
      (expected[project] ??= []).push({
        filename,
        sha256: sha256(await readFile(file)),
        requiresPython,
        metadataSha256: metadata === null ? null : sha256(metadata),
        metadata: metadata?.toString() ?? null,
        size: (await readFile(file)).length,
      });
    }
    for (const [project, want] of Object.entries(expected)) {
      const page = seen.projects[project];
      expect(page).toBeDefined();
      const got = page?.packages ?? [];
      expect(got.map((p) => p.filename).sort()).toEqual(want.map((w) => w.filename).sort());
      for (const w of want) {
        const p = got.find((g) => g.filename === w.filename);
        expect(p?.digests).toEqual({ sha256: w.sha256 });
        expect(p?.requires_python).toBe(w.requiresPython);
        expect(p?.has_metadata).toBe(w.metadataSha256 !== null ? true : mode === 'json' ? false : null);
        if (w.metadataSha256 !== null) {
          expect(p?.metadata_digests).toEqual({ sha256: w.metadataSha256 });
          expect(p?.metadata).toBe(w.metadata);
        }
        expect(p?.is_yanked).toBe(false);
        expect(p?.url).toBe(`${negotiating.url}/files/${project}/${w.filename}`);
        if (mode === 'json') {
          expect(p?.size).toBe(w.size);
          expect(p?.upload_time).toBe('2024-06-01T12:00:00+00:00');
        }
      }
      if (mode === 'json')
        expect(page?.versions).toEqual(
          project === 'six' ? ['1.17.0'] : project === 'idna' ? ['3.10'] : ['0.1.dev3'],
        );
      expect(page?.repository_version).toBe('1.1');
    }
  });
});

it("packyard's pypi-client lists the same versions, from either serialisation", async () => {
  for (const server of [negotiating, staticServer]) {
    const client = createPypiClient({
      indexUrl: `${server.url}/simple`,
      retry: { retries: 0, minTimeoutMs: 0, maxTimeoutMs: 0 },
    });
    expect((await client.listVersions('six')).versions).toEqual(['1.17.0']);
    expect((await client.listVersions('idna')).versions).toEqual(['3.10']);
    const dep = await client.listVersions('GT4Py_Dep', { includePrereleases: true });
    expect(dep.versions).toEqual(['0.1.dev3']);
    expect(dep.files.map((f) => f.sha256)).toEqual([sha256(await readFile(files[0] as string))]);
    expect(dep.files[0]?.requiresPython).toBe('>=3.8');
  }
});

async function downloadSdist(want: { project: string; filename: string }, dir: string): Promise<void> {
  const listing = await createPypiClient().listVersions(want.project);
  const file = listing.files.find((f) => f.filename === want.filename);
  if (file?.sha256 === undefined) throw new Error(`PyPI does not list ${want.filename} with a sha256`);
  const bytes = Buffer.from(await (await fetch(file.url)).arrayBuffer());
  expect(sha256(bytes)).toBe(file.sha256);
  await writeFile(join(dir, want.filename), bytes);
}

async function sdistPkgInfo(path: string): Promise<string> {
  const { stdout } = await runTool(await realPython(), [
    '-c',
    'import sys, tarfile\nwith tarfile.open(sys.argv[1]) as t:\n    m = [n for n in t.getnames() if n.count("/") == 1 and n.endswith("/PKG-INFO")][0]\n    print(t.extractfile(m).read().decode())',
    path,
  ]);
  return stdout;
}

interface PypiSimpleView {
  names: string[];
  projects: Record<
    string,
    {
      repository_version: string | null;
      versions: string[] | null;
      packages: {
        filename: string;
        url: string;
        requires_python: string | null;
        is_yanked: boolean;
        digests: Record<string, string>;
        has_metadata: boolean | null;
        metadata_digests: Record<string, string> | null;
        metadata?: string;
        size: number | null;
        upload_time: string | null;
      }[];
    }
  >;
}
