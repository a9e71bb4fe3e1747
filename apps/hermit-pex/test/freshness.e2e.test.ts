/**
 * `nx run pex-builder:build` notices new upstream releases: the versions on the index are part of
 * its cache key (the runtime input `node tools/nx-plugin/index-versions.js`), so an index that gains
 * a version makes the next run build exactly that version, and an unchanged index is a cache hit.
 *
 * Real Nx runs in a scratch workspace with its own cache (NX_CACHE_DIRECTORY) and workspace data.
 * Its pex-builder project carries the build target exactly as libs/pex-builder/package.json
 * declares it, with two changes that only relocate it: the command runs this workspace's compiled
 * CLI by absolute path, and the compiled-CLI input and the dependency on hermit-pex:compile are
 * dropped (the scratch workspace has no hermit-pex project; this test's project compiles it first).
 * The index is a static directory written by @packyard/wheel-index and served on loopback, once
 * with no Cache-Control (only Last-Modified, as `python3 -m http.server` sends) and once with PyPI's
 * `max-age=600`: either lets uv answer a lock from a cached page that predates the new version, so
 * this also proves the lock reads the package's page fresh.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { serveDirectory, type StaticServer } from '@packyard/core/testing';
import { formatPlatform, hostPlatform } from '@packyard/hermit-pex-pipeline';
import { writeIndex } from '@packyard/wheel-index';

const run = promisify(execFile);
const WORKSPACE = join(import.meta.dirname, '../../..');
const MAIN = join(WORKSPACE, 'apps/hermit-pex/dist/main.js');
const NX = join(dirname(createRequire(import.meta.url).resolve('nx/package.json')), 'dist', 'bin', 'nx.js');
const HOST = formatPlatform(hostPlatform());

interface TargetConfig {
  command?: string;
  options: { command: string; cwd: string };
  inputs: Array<string | Record<string, unknown>>;
  dependsOn?: unknown;
  [key: string]: unknown;
}

// Index pages older than the run, as a static host that keeps its files' times serves them: with no
// Cache-Control, HTTP caches (uv's) then hold a page fresh for a tenth of that age.
const PUBLISHED = new Date('2026-01-01T00:00:00Z');
const CACHE_HIT = /local cache|existing outputs match the cache/;
const built = (output: string): string[] =>
  [...output.matchAll(/tinytool (\S+): building PEX/g)].map((m) => m[1]!).sort();

/** A scratch workspace whose pex-builder:build reads a loopback index sending `headers`. */
interface Scratch {
  dir: string;
  workspace: string;
  indexDir: string;
  server: StaticServer;
}

async function createScratch(headers: Record<string, string>): Promise<Scratch> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npx nx run hermit-pex:compile" first`);
  const dir = await mkdtemp(join(tmpdir(), 'packyard-freshness-'));
  const indexDir = join(dir, 'index');
  await addRelease(indexDir, '1.0');
  const server = await serveDirectory(indexDir, { headers });

  const workspace = join(dir, 'workspace');
  const pexBuilder = JSON.parse(await readFile(join(WORKSPACE, 'libs/pex-builder/package.json'), 'utf8')) as {
    nx: { targets: { build: TargetConfig } };
  };
  const build = pexBuilder.nx.targets.build;
  expect(build.options.command).toBe('node apps/hermit-pex/dist/main.js run');
  expect(build.inputs).toContainEqual({ runtime: 'node tools/nx-plugin/index-versions.js' });
  const { dependsOn: _compile, ...relocated } = build;
  relocated.options = { ...build.options, command: `node ${MAIN} run` };
  relocated.inputs = build.inputs.filter(
    (input) => typeof input === 'string' || !('dependentTasksOutputFiles' in input),
  );
  await writeFiles(workspace, {
    'package.json': JSON.stringify({ name: 'scratch', private: true, workspaces: ['libs/*'] }),
    'nx.json': JSON.stringify({}),
    'libs/pex-builder/package.json': JSON.stringify({
      name: '@scratch/pex-builder',
      nx: { name: 'pex-builder', targets: { build: relocated } },
    }),
    'packages/tinytool/config.yaml':
      'package: tinytool\nbinaries: [tinytool]\nversions:\n  - version: "1.0"\n    python: "3.11"\n',
    '.gitignore': 'node_modules\n',
  });
  await symlink(join(WORKSPACE, 'node_modules'), join(workspace, 'node_modules'), 'dir');
  await mkdir(join(workspace, 'tools'));
  await symlink(join(WORKSPACE, 'tools/nx-plugin'), join(workspace, 'tools/nx-plugin'), 'dir');
  return { dir, workspace, indexDir, server };
}

async function removeScratch(scratch: Scratch | undefined): Promise<void> {
  await scratch?.server.close();
  if (scratch) await rm(scratch.dir, { recursive: true, force: true });
}

async function nxBuild(scratch: Scratch): Promise<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('NX_')));
  Object.assign(env, {
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    NX_CACHE_DIRECTORY: join(scratch.dir, 'nx-cache'),
    NX_WORKSPACE_DATA_DIRECTORY: join(scratch.dir, 'nx-data'),
    // The index the package is listed on, locked against and built from.
    PIP_INDEX_URL: `${scratch.server.url}/simple`,
    PIP_CONFIG_FILE: '/dev/null',
  });
  const { stdout, stderr } = await run(
    process.execPath,
    [NX, 'run', 'pex-builder:build', '--output-style=stream', '--', '--platforms', HOST],
    { cwd: scratch.workspace, env, maxBuffer: 64 * 1024 * 1024 },
  ).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(
      `nx run pex-builder:build failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`,
    );
  });
  return `${stdout}${stderr}`;
}

describe('pex-builder:build and a package index sending no Cache-Control', () => {
  let scratch: Scratch;
  beforeAll(async () => {
    scratch = await createScratch({});
  });
  afterAll(() => removeScratch(scratch));

  it('builds the versions on the index, then is a cache hit while the index is unchanged', async () => {
    const { server, workspace } = scratch;
    const first = await nxBuild(scratch);
    expect(first).not.toMatch(CACHE_HIT);
    expect(built(first)).toEqual(['1.0']);
    expect(existsSync(join(workspace, 'dist/releases/tinytool-v1.0'))).toBe(true);

    server.requests.length = 0;
    const second = await nxBuild(scratch);
    // Nx replays the cached run's output (so its "building PEX" lines are no evidence either way);
    // the index shows what ran: the cache key's listing read the project page, and nothing was
    // locked or built (no other request).
    expect(second).toMatch(CACHE_HIT);
    expect(server.requests).toEqual(['/simple/tinytool/']);
  });

  it('builds exactly the new version when the index gains one, and is a cache hit again after', async () => {
    const { server, workspace, indexDir } = scratch;
    await addRelease(indexDir, '1.1');
    server.requests.length = 0;
    const third = await nxBuild(scratch);
    expect(third).not.toMatch(CACHE_HIT);
    // A real run, not a replay: 1.0's release exists and is skipped, 1.1 is locked and built.
    expect(built(third)).toEqual(['1.1']);
    expect(server.requests).toContain('/files/tinytool/tinytool-1.1-py3-none-any.whl');
    expect(existsSync(join(workspace, 'dist/releases/tinytool-v1.1'))).toBe(true);
    expect(await readFile(join(workspace, 'dist/hermit/tinytool.hcl'), 'utf8')).toMatch(
      /version "1\.0"[\s\S]*version "1\.1"/,
    );

    server.requests.length = 0;
    const fourth = await nxBuild(scratch);
    expect(fourth).toMatch(CACHE_HIT);
    expect(server.requests).toEqual(['/simple/tinytool/']);
  });
});

describe('pex-builder:build and a package index sending Cache-Control: max-age=600 (as PyPI)', () => {
  let scratch: Scratch;
  beforeAll(async () => {
    scratch = await createScratch({ 'cache-control': 'max-age=600' });
  });
  afterAll(() => removeScratch(scratch));

  it("builds a version the index gained since the previous run, within the page's max-age", async () => {
    expect(built(await nxBuild(scratch))).toEqual(['1.0']);
    await addRelease(scratch.indexDir, '1.1');
    const next = await nxBuild(scratch);
    expect(next).not.toMatch(CACHE_HIT);
    expect(built(next)).toEqual(['1.1']);
    expect(existsSync(join(scratch.workspace, 'dist/releases/tinytool-v1.1'))).toBe(true);
  });
});

/** Publishes tinytool `version` (a real wheel with a `tinytool` console script) to the static index. */
async function addRelease(indexDir: string, version: string): Promise<void> {
  const dir = join(indexDir, 'files', 'tinytool');
  await mkdir(dir, { recursive: true });
  await run('python3', ['-c', MAKE_WHEEL, join(dir, `tinytool-${version}-py3-none-any.whl`), version]);
  await writeIndex(indexDir, { uploadTime: PUBLISHED });
  for (const page of await readdir(indexDir, { recursive: true })) {
    if (page.endsWith('.html') || page.endsWith('.json'))
      await utimes(join(indexDir, page), PUBLISHED, PUBLISHED);
  }
}

// A minimal wheel (https://packaging.python.org/en/latest/specifications/binary-distribution-format/)
// with a console script, written with fixed timestamps.
const MAKE_WHEEL = `
import base64, hashlib, sys, zipfile
out, version = sys.argv[1], sys.argv[2]
info = f"tinytool-{version}.dist-info"
files = {
    "tinytool/__init__.py": "def main():\\n    print('usage: tinytool')\\n",
    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: tinytool\\nVersion: {version}\\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: packyard-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    f"{info}/entry_points.txt": "[console_scripts]\\ntinytool = tinytool:main\\n",
}
def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
record = "".join(f"{name},{digest(text.encode())},{len(text.encode())}\\n" for name, text in files.items())
files[f"{info}/RECORD"] = record + f"{info}/RECORD,,\\n"
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in files.items():
        z.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), text)
`;

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}
