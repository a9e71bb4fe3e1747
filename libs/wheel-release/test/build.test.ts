import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { provisionTools, toolCacheEnv } from '@packyard/python-tools';
import { buildSdist, buildWheels } from '../src/index.js';

// One full build of the four wheels per run of this file; every check below reads it.
const CRATE = join(import.meta.dirname, '../../../examples/wheel-release/yd-core');
const YDEMO = join(import.meta.dirname, '../../../examples/wheel-release/ydemo');
const SHA = '0123456789abcdef0123456789abcdef01234567';
const LINUX_X86 = 'yd_core-0.1.0-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl';
const DARWIN_ARM = 'yd_core-0.1.0-py3-none-macosx_11_0_arm64.whl';

let dir: string;
let wheels: string[];
let sdist: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wheel-release-build-'));
  wheels = await buildWheels({
    crateDir: CRATE,
    platforms: ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64'],
    outDir: join(dir, 'out'),
    gitSha: SHA,
    cargoTargetDir: join(dir, 'target'),
  });
  sdist = await buildSdist({
    projectDir: YDEMO,
    outDir: join(dir, 'sdist'),
    gitSha: SHA,
    buildInfoFile: 'src/ydemo/_build_info.py',
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('buildWheels (maturin --zig from one Linux runner)', () => {
  it('builds one wheel per platform, tagged for it, and leaves no staging behind', async () => {
    expect(wheels).toEqual([
      'yd_core-0.1.0-py3-none-macosx_10_12_x86_64.whl',
      DARWIN_ARM,
      'yd_core-0.1.0-py3-none-manylinux2014_aarch64.manylinux_2_17_aarch64.whl',
      LINUX_X86,
    ]);
    // Besides the wheels, only the .gitignore that keeps build outputs out of a project's changes.
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(['.gitignore', ...wheels]);
    expect(await readFile(join(dir, 'out', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
  });

  it('bakes the version and the 8-hex sha into the binary', async () => {
    await execa('python3', ['-m', 'zipfile', '-e', join(dir, 'out', LINUX_X86), join(dir, 'x86')]);
    const yd = join(dir, 'x86', 'yd_core-0.1.0.data', 'scripts', 'yd');
    await execa('chmod', ['+x', yd]);
    expect((await execa(yd, ['--version'])).stdout).toBe('yd 0.1.0 (01234567)');
  });

  it('builds the same bytes again from clean target directories, two at once, with no rustup step', async () => {
    const lines: string[] = [];
    const again = await buildWheels({
      crateDir: CRATE,
      platforms: ['linux-amd64', 'darwin-arm64'],
      outDir: join(dir, 'again'),
      gitSha: SHA,
      cargoTargetDir: join(dir, 'target-again'),
      jobs: 2,
      log: (line) => lines.push(line),
    });
    expect(again).toEqual([DARWIN_ARM, LINUX_X86]);
    for (const wheel of again)
      expect(await readFile(join(dir, 'again', wheel))).toEqual(await readFile(join(dir, 'out', wheel)));
    // Concurrent builds each get their own cargo target directory.
    expect((await readdir(join(dir, 'target-again'))).sort()).toEqual([
      'aarch64-apple-darwin',
      'x86_64-unknown-linux-gnu',
    ]);
    expect(lines.filter((line) => line.startsWith('rustup'))).toEqual([]);
  });

  it('refuses a platform it does not know before building anything', async () => {
    await expect(
      buildWheels({
        crateDir: CRATE,
        platforms: ['linux-amd64', 'linux-s390x'],
        outDir: join(dir, 'never'),
        gitSha: SHA,
        cargoTargetDir: join(dir, 'target-never'),
      }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', value: 'linux-s390x' });
    await expect(readFile(join(dir, 'never'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('the installed ydemo sdist + yd-core wheel, built outside git', () => {
  const expected = 'ydemo 0.1.0 (01234567)';

  it('pip: ydemo --version prints the version and the sha baked in at sdist time', async () => {
    const venv = join(dir, 'venv-pip');
    await execa('python3', ['-m', 'venv', venv]);
    // pip builds ydemo's wheel from the sdist in an isolated environment, in a temporary directory.
    await execa(join(venv, 'bin', 'pip'), [
      'install',
      '--quiet',
      '--no-cache-dir',
      join(dir, 'out', LINUX_X86),
      join(dir, 'sdist', sdist),
    ]);
    expect((await execa(join(venv, 'bin', 'ydemo'), ['--version'])).stdout).toBe(expected);
    expect((await execa(join(venv, 'bin', 'ydemo'), ['echo', 'hi'])).stdout).toBe('hi');
  });

  it('uv: the same from uv pip install', async () => {
    const tools = await provisionTools();
    const venv = join(dir, 'venv-uv');
    const env = { ...toolCacheEnv(tools) };
    await execa(tools.uv, ['venv', '--quiet', '--python', 'python3', venv], { env });
    await execa(
      tools.uv,
      [
        'pip',
        'install',
        '--quiet',
        '--python',
        join(venv, 'bin', 'python'),
        join(dir, 'out', LINUX_X86),
        join(dir, 'sdist', sdist),
      ],
      { env },
    );
    expect((await execa(join(venv, 'bin', 'ydemo'), ['--version'])).stdout).toBe(expected);
  });
});
