import { mkdir, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isPackyardError, sha256File } from '@packyard/core';
import { execa } from 'execa';
import { checkZipFile } from '@packyard/wheel-index';
import {
  buildPexBundle,
  formatPlatform,
  hostPlatform,
  lockRequirements,
  type PexBuildInput,
  type Tools,
} from '../src/index.js';
import { INDEX_URL, makeTempDir, removeTempDirs, toolsWithFreshCaches } from './helpers.js';

afterAll(removeTempDirs);

const host = hostPlatform();
const PEX = `wait-for-it-${formatPlatform(host)}.pex`;

describe('buildPexBundle', () => {
  let tools: Tools;
  let requirementsTxt: string;
  // Where the built PEXes unpack when the tests run them, instead of the user's ~/.cache/pex.
  let runEnv: Record<string, string>;

  function anInput(outDir: string, overrides: Partial<PexBuildInput> = {}): PexBuildInput {
    return {
      package: 'wait-for-it',
      version: '2.3.0',
      binaries: ['wait-for-it'],
      requirementsTxt,
      pythonVersion: '3.11',
      indexUrl: INDEX_URL,
      platform: host,
      outDir,
      ...overrides,
    };
  }

  async function extract(tarball: string): Promise<string> {
    const dir = await makeTempDir('extract');
    await execa('tar', ['-xzf', tarball, '-C', dir]);
    return dir;
  }

  beforeAll(async () => {
    tools = await toolsWithFreshCaches();
    const lockDir = await makeTempDir('lock');
    ({ requirementsTxt } = await lockRequirements(tools, {
      dir: lockDir,
      package: 'wait-for-it',
      version: '2.3.0',
      pythonVersion: '3.11',
      indexUrl: INDEX_URL,
    }));
    runEnv = { PEX_ROOT: await makeTempDir('pex-run-root') };
  });

  describe('wait-for-it for the host', () => {
    let outDir: string;
    let bundle: Awaited<ReturnType<typeof buildPexBundle>>;

    beforeAll(async () => {
      outDir = await makeTempDir('out');
      bundle = await buildPexBundle(tools, anInput(outDir));
    });

    it('stages the PEX and the wrapper in root/ and the tarball beside it', async () => {
      expect(bundle.tarball).toBe(join(outDir, `wait-for-it-${formatPlatform(host)}.tar.gz`));
      expect(bundle.pex).toBe(join(outDir, 'root', PEX));
      expect(bundle.wrappers).toEqual([join(outDir, 'root', 'wait-for-it')]);
      expect((await readdir(outDir)).sort()).toEqual(['root', `wait-for-it-${formatPlatform(host)}.tar.gz`]);
      expect((await readdir(join(outDir, 'root'))).sort()).toEqual([PEX, 'wait-for-it'].sort());
      expect(bundle.sha256).toBe(await sha256File(bundle.tarball));
    });

    it('archives exactly the PEX and the wrapper, at the root, mode 0755', async () => {
      const { stdout } = await execa('tar', ['-tvzf', bundle.tarball]);
      const rows = stdout
        .trim()
        .split('\n')
        .map((line) => line.trim().split(/\s+/));
      expect(rows.map((row) => row[row.length - 1]).sort()).toEqual([PEX, 'wait-for-it'].sort());
      for (const row of rows) expect(row[0]).toBe('-rwxr-xr-x');
    });

    it('runs the tool through the wrapper after extraction', async () => {
      const dir = await extract(bundle.tarball);
      const result = await execa('./wait-for-it', ['--help'], { cwd: dir, env: runEnv, reject: false });
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('Wait for service(s) to be available before executing a command.');
      expect(result.stdout).toContain('Usage: wait-for-it');
    });

    it('runs through symlinks from another directory, as Hermit links binaries', async () => {
      const dir = await extract(bundle.tarball);
      const hermitBin = await makeTempDir('hermit-bin');
      await symlink(join(dir, 'wait-for-it'), join(hermitBin, 'wait-for-it'));
      // A relative link to that link, to exercise the resolution loop.
      await mkdir(join(hermitBin, 'nested'));
      await symlink('../wait-for-it', join(hermitBin, 'nested', 'wfi'));
      const elsewhere = await makeTempDir('cwd');
      for (const link of [join(hermitBin, 'wait-for-it'), join(hermitBin, 'nested', 'wfi')]) {
        const result = await execa(link, ['--help'], { cwd: elsewhere, env: runEnv, reject: false });
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toContain('Wait for service(s)');
      }
      const viaPath = await execa('wait-for-it', ['--version'], {
        cwd: elsewhere,
        env: { ...runEnv, PATH: `${hermitBin}:${process.env['PATH'] ?? ''}` },
        reject: false,
      });
      expect(viaPath.exitCode).toBe(0);
      expect(viaPath.stdout).toContain('2.3.0');
    });

    it("writes the PEX by PyPI's zip rules, after its #! line", async () => {
      expect(await checkZipFile(bundle.pex, { allowShebang: true })).toEqual([]);
    });

    it('is reproducible: a second build gives byte-identical PEX and tarball', async () => {
      const again = await buildPexBundle(tools, anInput(await makeTempDir('out-again')));
      expect(await sha256File(again.pex)).toBe(await sha256File(bundle.pex));
      expect(again.sha256).toBe(bundle.sha256);
      expect(again.size).toBe(bundle.size);
    });

    it('rebuilds over a previous build in the same directory', async () => {
      const again = await buildPexBundle(tools, anInput(outDir));
      expect(again.sha256).toBe(bundle.sha256);
      expect((await readdir(outDir)).sort()).toEqual(['root', `wait-for-it-${formatPlatform(host)}.tar.gz`]);
    });
  });

  it('builds black, whose wheels are platform-specific, and runs it', async () => {
    const lockDir = await makeTempDir('lock-black');
    const lock = await lockRequirements(tools, {
      dir: lockDir,
      package: 'black',
      version: '26.10.1',
      pythonVersion: '3.11',
      indexUrl: INDEX_URL,
    });
    const outDir = await makeTempDir('out-black');
    const bundle = await buildPexBundle(tools, {
      ...anInput(outDir),
      package: 'black',
      version: '26.10.1',
      binaries: ['black', 'blackd'],
      requirementsTxt: lock.requirementsTxt,
    });
    const dir = await extract(bundle.tarball);
    expect((await readdir(dir)).sort()).toEqual(
      [`black-${formatPlatform(host)}.pex`, 'black', 'blackd'].sort(),
    );
    const result = await execa('./black', ['--version'], { cwd: dir, env: runEnv, reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('black, 26.10.1');
    // mypyc-compiled: the platform wheel was used, not the pure-Python one.
    expect(result.stdout).toContain('compiled: yes');
    expect(
      await checkZipFile(join(dir, `black-${formatPlatform(host)}.pex`), { allowShebang: true }),
    ).toEqual([]);
  });

  it('refuses a binary the PEX has no script for, naming the ones it has', async () => {
    const outDir = await makeTempDir('out-missing-script');
    const error = await buildPexBundle(
      tools,
      anInput(outDir, { binaries: ['wait-for-it', 'waitforit'] }),
    ).catch((e: unknown) => e);
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('"waitforit"');
    expect((error as { hint?: string }).hint).toContain('wait-for-it');
    expect(await readdir(outDir)).toEqual([]);
  });

  it('fails with TOOL_FAILED when no interpreter of the version exists', async () => {
    const error = await buildPexBundle(
      tools,
      anInput(await makeTempDir('out-py'), { pythonVersion: '3.99' }),
    ).catch((e: unknown) => e);
    expect(isPackyardError(error, 'TOOL_FAILED')).toBe(true);
    expect((error as Error).message).toBe('no Python 3.99 interpreter on PATH to build the PEX with');
  });

  it('refuses unsafe binary names before building', async () => {
    const error = await buildPexBundle(
      tools,
      anInput(await makeTempDir('out-name'), { binaries: ['x; rm -rf ~'] }),
    ).catch((e: unknown) => e);
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as { field?: string }).field).toBe('binaries[0]');
  });
});
