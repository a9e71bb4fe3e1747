import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isPackyardError } from '@packyard/core';
import { execa } from 'execa';
import {
  bumpRelease,
  checkRelease,
  findDisagreements,
  readReleaseConfig,
  syncRelease,
} from '../src/index.js';

const FILES: Record<string, string> = {
  'release.yaml': `# the one version of this project
version: '0.2.30'
places:
  - { file: htty-core/Cargo.toml, toml: package.version }
  - { file: htty-core/pyproject.toml, toml: project.version }
  - { file: htty/pyproject.toml, toml: project.version }
  - { file: htty/pyproject.toml, pin: htty-core }
  - { file: htty/src/htty/__init__.py, python: __version__ }
  - { file: htty-core/src/main.rs, rust: VERSION }
`,
  'htty-core/Cargo.toml': `[package]
name = "htty-core" # the binary crate
version = "0.2.30"   # kept in sync by wheel-release
edition = "2021"

[dependencies]
serde = { version = "1.0.1" }
`,
  'htty-core/pyproject.toml': `[build-system]
requires = ["maturin>=1.16,<2"]

[project]
name = "htty-core"
version = "0.2.30"
`,
  'htty/pyproject.toml': `[project]
name = "htty"
version = "0.2.30"
dependencies = [
  "pexpect>=4.8",  # the terminal driver
  "htty_core == 0.2.30 ; python_version >= '3.9'",
]
`,
  'htty/src/htty/__init__.py': `"""htty"""\n\n__version__ = "0.2.30"\nOTHER = "0.2.30"\n`,
  'htty-core/src/main.rs': `pub const VERSION: &str = "0.2.30";\nfn main() {}\n`,
};

let root: string;

async function git(...args: string[]): Promise<string> {
  return (await execa('git', args, { cwd: root })).stdout;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'wheel-release-version-'));
  for (const [file, text] of Object.entries(FILES)) {
    await mkdir(dirname(join(root, file)), { recursive: true });
    await writeFile(join(root, file), text);
  }
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'init');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('check', () => {
  it('passes when every place agrees, and with the matching tag', async () => {
    const config = await readReleaseConfig(root);
    await expect(checkRelease(config)).resolves.toBeUndefined();
    await expect(checkRelease(config, 'v0.2.30')).resolves.toBeUndefined();
  });

  it('names the file, key and value of every hand edit, and a tag that does not match', async () => {
    const cargo = join(root, 'htty-core/Cargo.toml');
    await writeFile(cargo, (await readFile(cargo, 'utf8')).replace('"0.2.30"', '"0.2.29"'));
    const init = join(root, 'htty/src/htty/__init__.py');
    await writeFile(
      init,
      (await readFile(init, 'utf8')).replace('__version__ = "0.2.30"', '__version__ = "0.3.0"'),
    );
    const py = join(root, 'htty/pyproject.toml');
    await writeFile(py, (await readFile(py, 'utf8')).replace('htty_core == 0.2.30', 'htty_core == 0.2.1'));
    const config = await readReleaseConfig(root);
    expect(await findDisagreements(config, 'v0.2.31')).toEqual([
      { file: 'htty-core/Cargo.toml', key: 'package.version', found: '0.2.29', expected: '0.2.30' },
      {
        file: 'htty/pyproject.toml',
        key: 'project.dependencies[htty-core]',
        found: 'htty-core==0.2.1',
        expected: 'htty-core==0.2.30',
      },
      { file: 'htty/src/htty/__init__.py', key: '__version__', found: '0.3.0', expected: '0.2.30' },
      { file: 'tag', key: 'tag', found: 'v0.2.31', expected: 'v0.2.30' },
    ]);
    const error = await checkRelease(config).catch((e: unknown) => e);
    expect(isPackyardError(error, 'VERIFY_FAILED')).toBe(true);
    expect((error as Error).message).toContain('htty-core/Cargo.toml: package.version is "0.2.29"');
  });

  it('refuses a release.yaml version that is not PEP 440 / Cargo semver, naming it', async () => {
    await writeFile(join(root, 'release.yaml'), FILES['release.yaml']!.replace("'0.2.30'", "'0.2'"));
    const error = await readReleaseConfig(root).catch((e: unknown) => e);
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect(error).toMatchObject({ file: 'release.yaml', field: 'version', value: '0.2' });
  });
});

describe('bump and sync', () => {
  it('bump --pre writes both spellings everywhere, keeps comments and layout, and check is green', async () => {
    const result = await bumpRelease(root, 'pre', new Date('2026-12-01T18:30:00Z'));
    expect(result.to).toEqual({ pep440: '0.2.31.dev202612011830', cargo: '0.2.31-dev202612011830' });
    const config = await readReleaseConfig(root);
    await expect(checkRelease(config, 'v0.2.31.dev202612011830')).resolves.toBeUndefined();
    const diff = await git('diff', '--unified=0', '--no-color');
    const changed = diff.split('\n').filter((l) => /^[-+][^-+]/.test(l));
    expect(changed).toEqual([
      '-version = "0.2.30"   # kept in sync by wheel-release',
      '+version = "0.2.31-dev202612011830"   # kept in sync by wheel-release',
      '-version = "0.2.30"',
      '+version = "0.2.31.dev202612011830"',
      '-pub const VERSION: &str = "0.2.30";',
      '+pub const VERSION: &str = "0.2.31-dev202612011830";',
      '-version = "0.2.30"',
      '+version = "0.2.31.dev202612011830"',
      `-  "htty_core == 0.2.30 ; python_version >= '3.9'",`,
      `+  "htty_core == 0.2.31.dev202612011830 ; python_version >= '3.9'",`,
      '-__version__ = "0.2.30"',
      '+__version__ = "0.2.31.dev202612011830"',
      "-version: '0.2.30'",
      "+version: '0.2.31.dev202612011830'",
    ]);
  });

  it('refuses to bump a dirty tree and writes nothing', async () => {
    const init = join(root, 'htty/src/htty/__init__.py');
    await writeFile(init, `${await readFile(init, 'utf8')}# local edit\n`);
    const error = await bumpRelease(root, 'patch').catch((e: unknown) => e);
    expect(isPackyardError(error, 'CONFLICT')).toBe(true);
    expect(await git('status', '--porcelain')).toBe(' M htty/src/htty/__init__.py');
  });

  it('sync repairs a hand edit; a place that cannot be read leaves every file untouched', async () => {
    const cargo = join(root, 'htty-core/Cargo.toml');
    await writeFile(cargo, (await readFile(cargo, 'utf8')).replace('"0.2.30"', '"9.9.9"'));
    expect(await syncRelease(await readReleaseConfig(root))).toEqual(['htty-core/Cargo.toml']);
    expect(await git('status', '--porcelain')).toBe('');

    await writeFile(cargo, (await readFile(cargo, 'utf8')).replace('"0.2.30"', '"9.9.9"'));
    await writeFile(join(root, 'htty-core/src/main.rs'), 'fn main() {}\n');
    const error = await syncRelease(await readReleaseConfig(root)).catch((e: unknown) => e);
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect(error).toMatchObject({ file: 'htty-core/src/main.rs', field: 'VERSION' });
    expect(await readFile(cargo, 'utf8')).toContain('"9.9.9"');
  });
});
