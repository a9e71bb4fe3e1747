/**
 * The Hermit/PEX pipeline end to end on the local default: real PyPI (pip's configured index), real
 * uv and pex, the local release store. Slow by nature: it builds real PEX files.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { parse as parseYaml } from 'yaml';
import {
  ALL_PLATFORMS,
  compatibleTagSet,
  formatPlatform,
  hostPlatform,
  isWheelCompatible,
  parseWheelFilename,
  provisionTools,
  readCompletePlatform,
  readPexContents,
} from '@packyard/pex-builder';
import { aWorkspace, extract, run, runCli, sha256Of, storeAsset } from './helpers.js';

const host = formatPlatform(hostPlatform());
const tarball = `wait-for-it-${host}.tar.gz`;
const tarballs = ALL_PLATFORMS.map((p) => `wait-for-it-${formatPlatform(p)}.tar.gz`).sort();
const waitForIt = `package: wait-for-it
binaries: [wait-for-it]
test: wait-for-it --help
versions:
  - version: "2.2.2"
    python: "3.11"
`;

describe('hermit-pex run on the local default', () => {
  let root: string;
  let first: Awaited<ReturnType<typeof runCli>>;
  let versions: string[];

  beforeAll(async () => {
    root = await aWorkspace({ 'wait-for-it': waitForIt });
    first = await runCli(root, ['run']);
    const state = parseYaml(await readFile(join(root, 'packages/wait-for-it/state.yaml'), 'utf8'));
    versions = state.versions.map((v: { version: string }) => v.version);
  });

  it('builds, publishes and reports every version from the lower bound on', async () => {
    expect(first.stderr).not.toMatch(/error:/);
    expect(first.code).toBe(0);
    expect(versions.slice(0, 2)).toEqual(['2.2.2', '2.3.0']);
    expect(first.stdout).toContain('wait-for-it 2.2.2: published\nwait-for-it 2.3.0: published\n');
  });

  it('produces all four platform tarballs on this one machine; the native one runs here', async () => {
    for (const version of versions) {
      const assets = await readdir(join(root, 'dist/releases', `wait-for-it-v${version}`, 'assets'));
      expect(assets.filter((a) => a.endsWith('.tar.gz')).sort()).toEqual(tarballs);
      const dir = await extract(storeAsset(root, `wait-for-it-v${version}`, tarball));
      expect((await readdir(dir)).sort()).toEqual(['wait-for-it', `wait-for-it-${host}.pex`]);
      const { stdout } = await run(join(dir, 'wait-for-it'), ['--help']);
      expect(stdout).toContain('Usage: wait-for-it');
    }
  });

  it('puts in each foreign PEX only wheels compatible with its platform', async () => {
    const tools = await provisionTools();
    for (const platform of ALL_PLATFORMS) {
      const name = formatPlatform(platform);
      const dir = await extract(
        storeAsset(root, `wait-for-it-v${versions[0]}`, `wait-for-it-${name}.tar.gz`),
      );
      expect((await readdir(dir)).sort()).toEqual(['wait-for-it', `wait-for-it-${name}.pex`]);
      const contents = await readPexContents(tools, join(dir, `wait-for-it-${name}.pex`));
      const tags = compatibleTagSet(await readCompletePlatform(platform, '3.11'));
      expect(contents.scripts).toContain('wait-for-it');
      expect(contents.distributions.length).toBeGreaterThan(0);
      for (const wheel of contents.distributions) {
        expect([wheel, isWheelCompatible(parseWheelFilename(wheel)!, tags)]).toEqual([wheel, true]);
      }
    }
  });

  it('publishes checksums.txt in GoReleaser format, which sha256sum -c accepts', async () => {
    for (const version of versions) {
      const assets = join(root, 'dist/releases', `wait-for-it-v${version}`, 'assets');
      const lines = (await readFile(join(assets, 'checksums.txt'), 'utf8')).trimEnd().split('\n');
      const expected = await Promise.all(
        tarballs.map(async (t) => `${await sha256Of(join(assets, t))}  ${t}`),
      );
      expect(lines).toEqual(expected);
      const { stdout } = await run('sha256sum', ['-c', 'checksums.txt'], { cwd: assets });
      expect(stdout.trim().split('\n')).toEqual(tarballs.map((t) => `${t}: OK`));
    }
  });

  it('does nothing on a second run: same state, same manifest, same assets', async () => {
    const before = await snapshot(root);
    const again = await runCli(root, ['run']);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/building PEX|creating .* release|locking/);
    expect(await snapshot(root)).toEqual(before);
  });

  it('builds byte-identical tarballs in another workspace', async () => {
    const other = await aWorkspace({ 'wait-for-it': waitForIt });
    expect((await runCli(other, ['run'])).code).toBe(0);
    for (const version of versions) {
      const tag = `wait-for-it-v${version}`;
      for (const name of [...tarballs, 'checksums.txt']) {
        expect([name, await sha256Of(storeAsset(other, tag, name))]).toEqual([
          name,
          await sha256Of(storeAsset(root, tag, name)),
        ]);
      }
      expect(await readFile(join(other, 'packages/wait-for-it', version, 'requirements.txt'), 'utf8')).toBe(
        await readFile(join(root, 'packages/wait-for-it', version, 'requirements.txt'), 'utf8'),
      );
    }
  });

  it('keeps a published version in the manifest when its release is gone from the store', async () => {
    await rm(join(root, 'dist/releases/wait-for-it-v2.2.2'), { recursive: true });
    // The release is recreated and rebuilt by the run, but the manifest never loses the version meanwhile:
    const manifestOnly = await runCli(root, ['manifest']);
    expect(manifestOnly.code).toBe(0);
    const hcl = (await parseHcl(
      'm.hcl',
      await readFile(join(root, 'dist/hermit/wait-for-it.hcl'), 'utf8'),
    )) as Record<string, object>;
    expect(Object.keys(hcl.version as object)).toContain('2.2.2');
  });

  it('removes a version from the manifest only by the explicit command, and refuses one that would come back', async () => {
    const versionsIn = async () =>
      Object.keys(
        (
          (await parseHcl(
            'm.hcl',
            await readFile(join(root, 'dist/hermit/wait-for-it.hcl'), 'utf8'),
          )) as Record<string, object>
        ).version!,
      );
    const refused = await runCli(root, ['remove', 'wait-for-it', '2.3.0']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('wait-for-it 2.3.0 is still published as wait-for-it-v2.3.0');
    expect(await versionsIn()).toContain('2.3.0');
    // 2.2.2's release is gone from the store (the test above), so it can go.
    const removed = await runCli(root, ['remove', 'wait-for-it', '2.2.2']);
    expect(removed.code).toBe(0);
    expect(await versionsIn()).toEqual(versions.filter((v) => v !== '2.2.2'));
    expect((await runCli(root, ['manifest'])).code).toBe(0);
    expect(await versionsIn()).not.toContain('2.2.2');
  });
});

async function snapshot(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const state = join(root, 'packages/wait-for-it/state.yaml');
  files.state = await readFile(state, 'utf8');
  files.manifest = await readFile(join(root, 'dist/hermit/wait-for-it.hcl'), 'utf8');
  for (const tag of await readdir(join(root, 'dist/releases'))) {
    files[`${tag}/release.json`] = await readFile(join(root, 'dist/releases', tag, 'release.json'), 'utf8');
    for (const name of await readdir(join(root, 'dist/releases', tag, 'assets'))) {
      files[`${tag}/${name}`] = await sha256Of(join(root, 'dist/releases', tag, 'assets', name));
    }
  }
  return files;
}

describe('hermit-pex with a dependency that has only an sdist', () => {
  // num2words 0.5.14 needs docopt 0.6.2, which PyPI has only as an sdist: no platform can be
  // cross-built, so each needs its own runner, and only this host's tarball is built here.
  const num2words = `package: num2words
binaries: [num2words]
versions:
  - version: "0.5.14"
    python: "3.11"
`;
  let root: string;
  beforeAll(async () => {
    root = await aWorkspace({ num2words });
    expect((await runCli(root, ['prepare', '--packages-dir', 'packages'])).code).toBe(0);
  });

  it('plans native runners for the other platforms, naming the reason', async () => {
    const plan = await runCli(root, ['plan']);
    expect(plan.code).toBe(0);
    const others = ALL_PLATFORMS.map(formatPlatform).filter((p) => p !== host);
    expect(plan.stdout).toContain(
      `num2words 0.5.14: build ${host}, ${others.map((p) => `needs-runner ${p}`).join(', ')}, waiting-for-other-platforms\n`,
    );
    expect(plan.stderr).toMatch(/needs a native runner: docopt 0\.6\.2: only an sdist/);
  });

  it('prints a CI matrix with this host auto and one native runner per other platform', async () => {
    const runners = await runCli(root, ['runners']);
    expect(runners.code).toBe(0);
    const labels: Record<string, string> = {
      'linux-amd64': 'ubuntu-24.04',
      'linux-arm64': 'ubuntu-24.04-arm',
      'darwin-amd64': 'macos-15-intel',
      'darwin-arm64': 'macos-15',
    };
    const others = ALL_PLATFORMS.map(formatPlatform)
      .filter((p) => p !== host)
      .sort();
    expect(JSON.parse(runners.stdout)).toEqual({
      include: [
        { runner: labels[host], platforms: 'auto' },
        ...others.map((p) => ({ runner: labels[p], platforms: 'native' })),
      ],
    });
  });

  it('builds only the native tarball and leaves the release unpublished', async () => {
    const result = await runCli(root, ['run']);
    expect(result.code).toBe(0);
    const others = ALL_PLATFORMS.map(formatPlatform).filter((p) => p !== host);
    expect(result.stdout).toContain(
      `num2words 0.5.14: pending (lacks ${others.map((p) => `${p} tarball`).join(', ')})\n`,
    );
    const assets = await readdir(join(root, 'dist/releases/num2words-v0.5.14/assets'));
    expect(assets).toEqual([`num2words-${host}.tar.gz`]);
    // A native runner for this host has nothing to do: auto already built it.
    const native = await runCli(root, ['pex', '--build-platforms', 'native']);
    expect(native.code).toBe(0);
    expect(native.stderr).not.toMatch(/building PEX/);
  });
});

describe('hermit-pex failures', () => {
  it('reports config errors by file and key, still builds the valid package, and exits 4', async () => {
    const root = await aWorkspace({
      'wait-for-it': waitForIt.replace('"2.2.2"', '"2.3.0"'),
      'no-config': null,
      'float-python': waitForIt.replace('"3.11"', '3.10'),
      'bad-yaml': 'binaries: [x\n',
      'no-binaries': 'versions: [{version: "1.0", python: "3.11"}]\n',
      'unknown-key': `${waitForIt}colour: blue\n`,
      'not-pep440': waitForIt.replace('"2.2.2"', '"two point oh"'),
    });
    const result = await runCli(root, ['run']);
    expect(result.code).toBe(6);
    const p = (name: string) => join(root, 'packages', name, 'config.yaml');
    expect(result.stderr).toContain(`error: ${p('no-config')}: config.yaml is missing\n`);
    expect(result.stderr).toContain(
      `error: ${p('float-python')}: versions[0].python: 3.10 is a YAML number (read as 3.1); quote it: python: "3.10"\n`,
    );
    expect(result.stderr).toMatch(
      new RegExp(`error: ${p('bad-yaml')}: invalid YAML: .+ at line \\d+, column \\d+\\n`),
    );
    expect(result.stderr).toContain(`error: ${p('no-binaries')}: binaries: is required\n`);
    expect(result.stderr).toContain(`error: ${p('unknown-key')}: colour: unknown key (allowed: `);
    expect(result.stderr).toContain(
      `error: ${p('not-pep440')}: versions[0].version: "two point oh" is not a PEP 440 version\n`,
    );
    expect(result.stdout).toContain('wait-for-it 2.3.0: published\n');
    expect(existsSync(storeAsset(root, 'wait-for-it-v2.3.0', tarball))).toBe(true);
  });

  it('says when no version on the index reaches the lower bound', async () => {
    const root = await aWorkspace({ 'wait-for-it': waitForIt.replace('"2.2.2"', '"99.0"') });
    const result = await runCli(root, ['state']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `error: ${join(root, 'packages/wait-for-it/config.yaml')}: versions\\[0\\]\\.version: no release of "wait-for-it" on \\S+ is >= 99\\.0 \\(the newest is \\S+\\)`,
      ),
    );
  });

  it("marks the failing package failed, shows the tool's stderr, and finishes the rest", async () => {
    const root = await aWorkspace({
      'wait-for-it': waitForIt.replace('"2.2.2"', '"2.3.0"'),
      broken: `package: idna\nbinaries: [idna]\nversions: [{version: "3.10", python: "3.11"}]\nextra_packages: [packyard-no-such-package-zz9]\n`,
    });
    const result = await runCli(root, ['run', '--platforms', host]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('wait-for-it 2.3.0: published\n');
    // uv's own words about the missing package reach the user; the other package was still built.
    expect(result.stderr).toMatch(
      /error: idna 3\.10: uv exited with code \d+:\n[^]*packyard-no-such-package-zz9/,
    );
    expect(result.stdout).toMatch(/^idna 3\.10: FAILED: uv exited with code \d+/m);
    const state = parseYaml(await readFile(join(root, 'packages/broken/state.yaml'), 'utf8'));
    expect(state.versions.find((v: { version: string }) => v.version === '3.10').error).toMatch(
      /packyard-no-such-package-zz9/,
    );
  });
});

describe('hermit-pex interrupted', () => {
  it('leaves no half-written file after kill -9, and the next run completes', async () => {
    const root = await aWorkspace({ 'wait-for-it': waitForIt.replace('"2.2.2"', '"2.3.0"') });
    const main = join(import.meta.dirname, '../dist/main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run "npx nx run hermit-pex:compile" first`);
    const { spawn } = await import('node:child_process');
    // Its own process group, so the kill takes pex and uv down with it, as a cancelled CI job would.
    const child = spawn(process.execPath, [main, 'run', '--root', root], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    // What a kill leaves: pex's stage directory (and perhaps a half-written tarball).
    const debris = async () =>
      (await readdir(root, { recursive: true })).filter((entry) => /\.tmp-\d+-/.test(entry));
    let stderr = '';
    let exited = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<void>((resolve, reject) => {
      child.on('exit', () => {
        exited = true;
        resolve();
      });
      child.on('error', reject);
    });
    // Pull the plug once pex is at work in its stage directory, however long getting there takes.
    while (!exited && !(/building PEX/.test(stderr) && (await debris()).length > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    process.kill(-child.pid!, 'SIGKILL');
    await exit;
    if (!/building PEX/.test(stderr)) throw new Error(`the run ended before building a PEX:\n${stderr}`);
    expect((await debris()).length).toBeGreaterThan(0);
    const state = await readFile(join(root, 'packages/wait-for-it/state.yaml'), 'utf8');
    expect(parseYaml(state).versions[0]).toMatchObject({
      version: '2.3.0',
      requirements: true,
      release: true,
      published: false,
    });
    expect(existsSync(storeAsset(root, 'wait-for-it-v2.3.0', tarball))).toBe(false);
    expect(existsSync(join(root, 'dist/hermit/wait-for-it.hcl'))).toBe(false);

    const resumed = await runCli(root, ['run']);
    expect(resumed.code).toBe(0);
    // The next run removes what the killed one left behind.
    expect(await debris()).toEqual([]);
    expect(resumed.stdout).toContain('wait-for-it 2.3.0: published\n');
    const dir = await extract(storeAsset(root, 'wait-for-it-v2.3.0', tarball));
    expect((await run(join(dir, 'wait-for-it'), ['--help'])).stdout).toContain('Usage: wait-for-it');
    await writeFile(join(root, 'done'), '');
  });
});
