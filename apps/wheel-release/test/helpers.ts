import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { captureCli, type CliRun } from '@packyard/test-helpers';
import { main, type CliIo } from '../src/index.js';

/** What one CLI run printed and returned. */
export type Run = CliRun;

/** Runs the CLI in-process in `cwd`, with a clean environment unless `env` is given. */
export function run(
  argv: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; services?: CliIo['services'] },
): Promise<Run> {
  return captureCli((streams) =>
    main(argv, {
      cwd: options.cwd,
      env: options.env ?? {},
      ...streams,
      ...(options.services ? { services: options.services } : {}),
    }),
  );
}

/** A release project in the example's shape, version 0.2.30, as a fresh git repository. */
export const PROJECT: Readonly<Record<string, string>> = {
  'release.yaml': `# the one version
version: '0.2.30'
places:
  - { file: core/Cargo.toml, toml: package.version }
  - { file: core/pyproject.toml, toml: project.version }
  - { file: app/pyproject.toml, toml: project.version }
  - { file: app/pyproject.toml, pin: app-core }
  - { file: app/src/app/__init__.py, python: __version__ }
wheels:
  project: core
  platforms: [linux-amd64, linux-arm64, darwin-amd64, darwin-arm64]
  binaries: [appbin]
sdist:
  project: app
  build-info: src/app/_build_info.py
  command: app
`,
  'core/Cargo.toml': `[package]\nname = "app-core" # the binary\nversion = "0.2.30"\nedition = "2021"\n`,
  'core/pyproject.toml': `[project]\nname = "app-core"\nversion = "0.2.30"\n\n[tool.maturin]\nbindings = "bin"\n`,
  'app/pyproject.toml': `[project]\nname = "app"\nversion = "0.2.30"\ndependencies = ["app-core==0.2.30"]\n`,
  'app/src/app/__init__.py': `__version__ = "0.2.30"\n`,
};

/** Writes `files` into a new temporary directory, commits them, and returns the directory. */
export async function gitProject(files: Readonly<Record<string, string>> = PROJECT): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'wheel-release-cli-'));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, file)), { recursive: true });
    await writeFile(join(root, file), text);
  }
  await git(root, 'init', '-q', '-b', 'main');
  await git(root, 'add', '-A');
  await git(root, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'init');
  return root;
}

/** Runs git in `cwd` and returns its output. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await execa('git', args, { cwd })).stdout;
}
