/**
 * The real Hermit client (v0.52.3, built from tools/hermit-client once per machine) installing what
 * the pipeline publishes, in fresh Hermit environments whose state lives in temporary directories.
 *
 * What is built: the shipped packages/ (every version of every default package) for this host's
 * platform, plus linux-amd64 when the host is another one, because Hermit's `test` needs one of its
 * core platforms (linux-amd64, darwin-amd64, darwin-arm64). That is a quarter of the four-platform
 * build default-packages.e2e.test.ts already runs, and it is the run shape the manifest must get
 * right: a release built for some platforms only must not claim the others. The darwin tarballs
 * cannot be installed on this machine anyway; default-packages.e2e.test.ts checks every binary of
 * every version and platform runs from its tarball.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, copyFile, cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitHubEmulator, type GitHubEmulator } from '@packyard/github-emulator';
import { fixturePath } from '@packyard/core/testing';
import {
  createHermitEnvironment,
  PINNED_HERMIT_VERSION,
  pythonMinors,
  writePythonStandIn,
  type HermitClient,
  type PythonStandIn,
} from '@packyard/hermit-client';
import { parseManifest, renderManifest, type HermitManifest } from '@packyard/hermit-render';
import { formatPlatform, hostPlatform } from '@packyard/hermit-pex-pipeline';
import { aWorkspace, runCli, storeAsset } from './helpers.js';

const MAIN = join(import.meta.dirname, '../dist/main.js');
const SHIPPED = join(import.meta.dirname, '../../../packages');
const HOST = formatPlatform(hostPlatform());
const PLATFORMS = [...new Set([HOST, 'linux-amd64'])].sort();
// Hermit's platform.Core: a package missing one of these makes `hermit install` ask for confirmation.
const UNSUPPORTED = ['darwin-amd64', 'darwin-arm64', 'linux-amd64'].filter((p) => !PLATFORMS.includes(p));

let client: HermitClient;
let root: string;
let manifests: Map<string, HermitManifest>;
let python: PythonStandIn;

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npx nx run hermit-pex:compile" first`);
  // Built once by `nx run hermit-client:fixtures` (the test target depends on it).
  client = { hermit: await fixturePath('hermit-client', 'hermit'), version: PINNED_HERMIT_VERSION };
  root = await aWorkspace({});
  await cp(SHIPPED, join(root, 'packages'), {
    recursive: true,
    filter: (source) => !/state\.yaml$|\/\d[^/]*$/.test(source),
  });
  const result = await runCli(root, ['run', '--platforms', PLATFORMS.join(',')]);
  expect(result.stderr).not.toMatch(/error:/);
  expect(result.code).toBe(0);
  manifests = await readManifests(join(root, 'dist/hermit'));
  python = await writePythonStandIn(
    await mkdtemp(join(tmpdir(), 'packyard-python3-')),
    pythonMinors([...manifests.values()].flatMap((m) => m.versions.flatMap((v) => v.runtimeDependencies))),
  );
});

/** A fresh environment with the pipeline's manifests and the python3 stand-in as its only sources. */
async function aHermitEnvironment(manifestDir = join(root, 'dist/hermit')) {
  const dir = await mkdtemp(join(tmpdir(), 'packyard-hermit-env-'));
  return createHermitEnvironment({
    client,
    dir,
    sources: [`file://${manifestDir}`, `file://${python.source}`],
  });
}

describe('Hermit installs what the pipeline publishes (file:// source)', () => {
  it('lists only the platforms that were built', () => {
    expect([...manifests.keys()].sort()).toEqual(['black', 'wait-for-it']);
    for (const manifest of manifests.values()) {
      for (const entry of manifest.versions) expect([...(entry.platforms ?? [])].sort()).toEqual(PLATFORMS);
    }
  });

  it('installs every default package and version in a fresh environment; its binaries run on the python3 Hermit provides, and `hermit test` passes', async () => {
    let checked = 0;
    for (const [name, manifest] of manifests) {
      for (const { version } of manifest.versions) {
        const env = await aHermitEnvironment();
        const uses = await python.uses();
        // Hermit asks before installing a package some of its core platforms lack; the answer is yes.
        const install = await env.hermit(['install', `${name}-${version}`], { input: 'y\n' });
        expect({ name, version, ...install }).toMatchObject({ code: 0 });
        if (UNSUPPORTED.length > 0) {
          expect(install.stdout).toContain(
            `not supported on these Hermit platforms: [${UNSUPPORTED.join(' ')}]`,
          );
        }
        for (const binary of manifest.binaries) {
          const ran = await env.exec(binary, ['--help']);
          expect({ name, version, binary, ...ran }).toMatchObject({
            code: 0,
            stdout: expect.stringMatching(/usage/i),
          });
          checked += 1;
        }
        // The PEX's `#!/usr/bin/env python3.X` found the runtime dependency first on PATH.
        expect(await python.uses()).toBeGreaterThan(uses);
        const test = await env.hermit(['test', `${name}-${version}`]);
        expect({ name, version, ...test }).toMatchObject({ code: 0 });
      }
    }
    // wait-for-it from 1.0.0 (14 versions when this was written) and black from 26.10.0, two binaries each.
    expect(checked).toBeGreaterThanOrEqual(14 + 2 * 2);
  });

  it('`hermit validate source` inside an environment reports nothing', async () => {
    // The environment logs warnings and worse (HERMIT_LOG=warn): a clean source prints nothing at all.
    const env = await aHermitEnvironment();
    expect(await env.hermit(['validate', 'source'])).toEqual({ code: 0, stdout: '', stderr: '' });
    // The same check on a copy with one broken manifest added does report it.
    const broken = await mkdtemp(join(tmpdir(), 'packyard-broken-source-'));
    await cp(join(root, 'dist/hermit'), broken, { recursive: true });
    await writeFile(join(broken, 'broken.hcl'), 'description = "no closing quote\n');
    const brokenEnv = await aHermitEnvironment(broken);
    const report = await brokenEnv.hermit(['validate', 'source']);
    expect(report.code).not.toBe(0);
    expect(`${report.stdout}${report.stderr}`).toMatch(/broken/);
  });

  it('`hermit manifest add-digests` computes exactly the sha256 the manifest lists for every tarball', async () => {
    const env = await aHermitEnvironment();
    for (const [name, manifest] of manifests) {
      const dir = await mkdtemp(join(tmpdir(), 'packyard-add-digests-'));
      const file = join(dir, `${name}.hcl`);
      await writeFile(file, renderManifest({ ...manifest, sha256sums: {} }));
      const added = await env.hermit(['manifest', 'add-digests', file]);
      expect({ name, ...added }).toMatchObject({ code: 0 });
      const back = await parseManifest(await readFile(file, 'utf8'), file);
      expect(back.sha256sums).toEqual(manifest.sha256sums);
    }
  });

  it('refuses a tarball whose bytes changed after publishing, on its checksum', async () => {
    const manifest = manifests.get('wait-for-it')!;
    const version = manifest.versions.at(-1)!.version;
    const tarball = storeAsset(root, `wait-for-it-v${version}`, `wait-for-it-${HOST}.tar.gz`);
    const original = `${tarball}.orig`;
    await copyFile(tarball, original);
    try {
      await appendFile(tarball, 'tampered');
      const env = await aHermitEnvironment();
      const install = await env.hermit(['install', `wait-for-it-${version}`], { input: 'y\n' });
      expect(install.code).not.toBe(0);
      expect(install.stderr).toMatch(/checksum [0-9a-f]{64} should have been [0-9a-f]{64}/);
      expect(existsSync(join(env.dir, 'bin', 'wait-for-it'))).toBe(false);
    } finally {
      await copyFile(original, tarball);
    }
  });
});

describe('Hermit installs the GitHub-mode manifest over http (GitHub emulator)', () => {
  const TOKEN = 'ghp_hermite2e0123456789abcdefghijklmnopqr';
  const CONFIG =
    'package: wait-for-it\nbinaries: [wait-for-it]\nversions:\n  - version: "2.3.0"\n    python: "3.11"\n';
  let emulator: GitHubEmulator;
  let ghRoot: string;
  const repo = 'octo/hermit-packages';

  beforeAll(async () => {
    emulator = await startGitHubEmulator();
    emulator.addToken(TOKEN);
    emulator.createRepo('octo', 'hermit-packages');
    ghRoot = await aWorkspace({ 'wait-for-it': CONFIG });
    const common = ['--repo', repo, '--api-url', emulator.apiUrl, '--platforms', PLATFORMS.join(',')];
    for (const step of ['build', 'finalise']) {
      const result = await hermitPex(ghRoot, [step, ...common], TOKEN);
      expect({ step, ...result }).toMatchObject({ code: 0 });
    }
  });
  afterAll(async () => emulator?.close());

  it('installs wait-for-it from the release downloads, runs it, and `hermit test` passes', async () => {
    const manifest = (await readManifests(join(ghRoot, 'dist/hermit'))).get('wait-for-it')!;
    expect(manifest.source).toBe(
      `${emulator.webUrl}/${repo}/releases/download/wait-for-it-v\${version}/wait-for-it-\${os}-\${arch}.tar.gz`,
    );
    expect(Object.keys(manifest.sha256sums).every((url) => url.startsWith('http://'))).toBe(true);
    const env = await aHermitEnvironment(join(ghRoot, 'dist/hermit'));
    const install = await env.hermit(['install', 'wait-for-it-2.3.0'], { input: 'y\n' });
    expect(install).toMatchObject({ code: 0 });
    const downloads = emulator.requests().filter((r) => r.host === 'web' && r.method === 'GET');
    expect(downloads.some((r) => r.path.endsWith(`/wait-for-it-${HOST}.tar.gz`))).toBe(true);
    expect(await env.exec('wait-for-it', ['--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/usage/i),
    });
    expect(await env.hermit(['test', 'wait-for-it-2.3.0'])).toMatchObject({ code: 0 });
  });

  it('refuses a release asset replaced by other bytes, on its checksum', async () => {
    const name = `wait-for-it-${HOST}.tar.gz`;
    const release = (await api('GET', `/repos/${repo}/releases/tags/wait-for-it-v2.3.0`)) as {
      id: number;
      assets: Array<{ id: number; name: string; browser_download_url: string }>;
    };
    const asset = release.assets.find((a) => a.name === name)!;
    const bytes = Buffer.from(await (await fetch(asset.browser_download_url)).arrayBuffer());
    await api('DELETE', `/repos/${repo}/releases/assets/${asset.id}`);
    const upload = await fetch(
      `${emulator.uploadsUrl}/repos/${repo}/releases/${release.id}/assets?name=${name}`,
      {
        method: 'POST',
        headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/gzip' },
        body: Buffer.concat([bytes, Buffer.from('tampered')]),
      },
    );
    expect(upload.status).toBe(201);

    const env = await aHermitEnvironment(join(ghRoot, 'dist/hermit'));
    const install = await env.hermit(['install', 'wait-for-it-2.3.0'], { input: 'y\n' });
    expect(install.code).not.toBe(0);
    expect(install.stderr).toMatch(/checksum|sha256|digest/i);
    expect(existsSync(join(env.dir, 'bin', 'wait-for-it'))).toBe(false);
  });

  async function api(method: string, path: string): Promise<unknown> {
    const response = await fetch(`${emulator.apiUrl}${path}`, {
      method,
      headers: { authorization: `token ${TOKEN}`, accept: 'application/vnd.github+json' },
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  }
});

async function readManifests(dir: string): Promise<Map<string, HermitManifest>> {
  const out = new Map<string, HermitManifest>();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.hcl')).sort()) {
    const file = join(dir, name);
    out.set(name.slice(0, -'.hcl'.length), await parseManifest(await readFile(file, 'utf8'), file));
  }
  return out;
}

function hermitPex(
  dir: string,
  args: string[],
  token: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args, '--root', dir], {
      env: { ...process.env, GITHUB_TOKEN: token, GH_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 137 : -1), stdout, stderr }));
  });
}
