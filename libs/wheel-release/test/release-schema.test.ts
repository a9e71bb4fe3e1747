import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PackyardError } from '@packyard/core';
import { execa } from 'execa';
import { bumpRelease, readReleaseConfig } from '../src/index.js';

const HEAD = `version: '0.1.0'\nplaces:\n  - { file: a/Cargo.toml, toml: package.version }\n`;
const WHEELS = `wheels:
  project: yd-core
  platforms: [linux-amd64, linux-arm64, darwin-amd64, darwin-arm64]
  binaries: [yd]
`;
const SDIST = `sdist:
  project: ydemo
  build-info: src/ydemo/_build_info.py
  command: ydemo
`;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'wheel-release-schema-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function read(text: string) {
  await writeFile(join(root, 'release.yaml'), text);
  return readReleaseConfig(root);
}

async function refusal(text: string): Promise<PackyardError> {
  const error = await read(text).catch((e: unknown) => e);
  if (!(error instanceof PackyardError)) throw new Error(`expected a PackyardError, got ${String(error)}`);
  return error;
}

describe('release.yaml wheels: and sdist:', () => {
  it('reads both sections', async () => {
    const config = await read(HEAD + WHEELS + SDIST);
    expect(config.wheels).toEqual({
      project: 'yd-core',
      platforms: ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64'],
      binaries: ['yd'],
    });
    expect(config.sdist).toEqual({
      project: 'ydemo',
      buildInfo: 'src/ydemo/_build_info.py',
      command: 'ydemo',
    });
  });

  it('leaves both out when release.yaml has only the version', async () => {
    const config = await read(HEAD);
    expect(config.wheels).toBeUndefined();
    expect(config.sdist).toBeUndefined();
  });

  it('the example project has both sections', async () => {
    const example = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/wheel-release');
    const config = await readReleaseConfig(example);
    expect(config.wheels?.binaries).toEqual(['yd']);
    expect(config.sdist?.command).toBe('ydemo');
  });

  it.each([
    [
      'an unknown platform',
      WHEELS.replace('darwin-amd64,', 'windows-amd64,'),
      'wheels.platforms[2]',
      'windows-amd64',
    ],
    [
      'a repeated platform',
      WHEELS.replace('darwin-arm64]', 'linux-amd64]'),
      'wheels.platforms[3]',
      'linux-amd64',
    ],
    ['no platforms', WHEELS.replace(/platforms: .*/, 'platforms: []'), 'wheels.platforms', '[]'],
    ['a binary path', WHEELS.replace('[yd]', '[bin/yd]'), 'wheels.binaries[0]', 'bin/yd'],
    ['a project outside', WHEELS.replace('project: yd-core', 'project: ../yd'), 'wheels.project', '../yd'],
    ['a missing key', WHEELS.replace(/ {2}binaries: .*\n/, ''), 'wheels.binaries', ''],
    ['an unknown key', WHEELS + '  bindings: bin\n', 'wheels.bindings', 'bindings'],
    ['a list for a mapping', 'wheels: [yd-core]\n', 'wheels', '["yd-core"]'],
    [
      'a build-info that is not .py',
      SDIST.replace('_build_info.py', '_build_info.txt'),
      'sdist.build-info',
      'src/ydemo/_build_info.txt',
    ],
    [
      'a command with a space',
      SDIST.replace('command: ydemo', "command: 'ydemo --version'"),
      'sdist.command',
      'ydemo --version',
    ],
  ])(
    'refuses %s, naming release.yaml, the key as written and the value',
    async (_, section, field, value) => {
      const error = await refusal(HEAD + section);
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.file).toBe('release.yaml');
      expect(error.field).toBe(field);
      expect(error.value).toBe(value);
    },
  );

  it('names every problem at once, the first one as the field', async () => {
    const error = await refusal(
      HEAD.replace('toml: package.version', 'tomll: package.version') +
        WHEELS.replace('[yd]', '[bin/yd]').replace('linux-arm64,', 'linux-riscv,') +
        SDIST.replace('command: ydemo', 'command: "a b"'),
    );
    expect(error.field).toBe('places[0]');
    expect(error.message).toBe(
      [
        '4 problems:',
        '  places[0] must have exactly one of toml, pin, python, rust, nix, regex, cargo-lock',
        '  wheels.platforms[1] is not a platform packyard builds',
        '  wheels.binaries[0] must be a file name, not a path',
        '  sdist.command must be the name of a console script',
      ].join('\n'),
    );
  });

  it('bump keeps both sections as written', async () => {
    await writeFile(join(root, 'release.yaml'), HEAD + WHEELS + SDIST);
    await mkdir(join(root, 'a'));
    await writeFile(join(root, 'a/Cargo.toml'), '[package]\nname = "a"\nversion = "0.1.0"\n');
    const git = (...args: string[]) => execa('git', args, { cwd: root });
    await git('init', '-q', '-b', 'main');
    await git('add', '-A');
    await git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'init');
    await bumpRelease(root, 'patch');
    const text = await readFile(join(root, 'release.yaml'), 'utf8');
    expect(text).toBe((HEAD + WHEELS + SDIST).replace("'0.1.0'", "'0.1.1'"));
    expect((await readReleaseConfig(root)).sdist?.buildInfo).toBe('src/ydemo/_build_info.py');
  });
});
