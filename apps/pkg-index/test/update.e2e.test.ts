// Pull mode end to end, with real git, uv, setuptools/hatchling from the index, and pip:
// bare source repositories (one with a submodule) are built, install-tested, indexed, committed and
// pushed to a bare index repository, which pip then installs from.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { addFilesToIndex } from '@packyard/wheel-index';
import { renderUvEnv } from '@packyard/pkg-index-pipeline';
import { EXIT } from '@packyard/core';
import { startIndexServer } from '../src/serve.js';
import { aBareRepo, aTempDir, commitAll, git, runCli, theTools, writeFiles, type CliRun } from './helpers.js';

const OWNER = 'Acme-Org';
const MESSAGE = `updated dependency "${OWNER}/My_Dep.Lib"`;

let base: string;
let gitBase: string;
let indexRepo: string;
const refs: Record<string, string> = {};

function myDepFiles(version: string, init?: string): Record<string, string> {
  return {
    'pyproject.toml': [
      '[build-system]',
      'requires = ["setuptools==80.9.0"]',
      'build-backend = "setuptools.build_meta"',
      '',
      '[project]',
      'name = "My_Dep.Lib"',
      `version = "${version}"`,
      'requires-python = ">=3.8"',
      '',
      '[tool.setuptools.packages.find]',
      'where = ["src"]',
      '',
    ].join('\n'),
    'src/my_dep_lib/__init__.py': init ?? `from ._vendored import VALUE\n\nVERSION = "${version}"\n`,
  };
}

async function update(args: string[]): Promise<CliRun> {
  return runCli(['update', '--owner', OWNER, '--git-base', gitBase, ...args]);
}

async function indexLog(repo = indexRepo): Promise<string[]> {
  const out = await git(repo, 'log', '--format=%s', 'main').catch(() => '');
  return out === '' ? [] : out.split('\n');
}

async function indexTree(repo = indexRepo): Promise<string[]> {
  return (await git(repo, 'ls-tree', '-r', '--name-only', 'main')).split('\n');
}

beforeAll(async () => {
  base = await aTempDir('pkg-index-update-');
  gitBase = `file://${base}/git`;
  const owner = join(base, 'git', OWNER);

  // A submodule whose module the package imports: the install test fails if it is not cloned.
  await aBareRepo(join(owner, 'vendored.git'));
  const vendored = join(base, 'work-vendored');
  await git(base, 'clone', '--quiet', join(owner, 'vendored.git'), vendored);
  await writeFiles(vendored, { '__init__.py': 'VALUE = 42\n' });
  await commitAll(vendored, 'vendored');
  await git(vendored, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');

  // My_Dep.Lib: setuptools, capitals, an underscore and a dot in the name, a submodule.
  await aBareRepo(join(owner, 'My_Dep.Lib.git'));
  const work = join(base, 'work-my-dep');
  await git(base, 'clone', '--quiet', join(owner, 'My_Dep.Lib.git'), work);
  await git(work, 'submodule', 'add', '--quiet', '../vendored.git', 'src/my_dep_lib/_vendored');
  await writeFiles(work, myDepFiles('1.0.0'));
  refs['1.0.0'] = await commitAll(work, '1.0.0');
  await git(work, 'tag', 'v1.0.0');
  await writeFiles(work, myDepFiles('1.1.0'));
  refs['1.1.0'] = await commitAll(work, '1.1.0');
  await git(work, 'tag', 'v1.1.0');
  await git(work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main', '--tags');
  const branch = async (name: string, files: Record<string, string>) => {
    await git(work, 'checkout', '--quiet', '-b', name, refs['1.1.0']!);
    await writeFiles(work, files);
    await commitAll(work, name);
    await git(work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${name}`);
  };
  await branch('release-1.3', myDepFiles('1.3.0'));
  await branch('broken-build', { 'setup.py': 'raise SystemExit("this build is broken on purpose")\n' });
  await branch(
    'broken-import',
    myDepFiles('1.2.0', 'raise RuntimeError("this module is broken on purpose")\n'),
  );
  // The same version as the indexed 1.0.0, with other code: other bytes under the same file name.
  await branch('same-version', myDepFiles('1.0.0', 'from ._vendored import VALUE\n\nVERSION = "other"\n'));

  // Second_Pkg: hatchling, so the import test reads RECORD instead of top_level.txt.
  await aBareRepo(join(owner, 'Second_Pkg.git'));
  const second = join(base, 'work-second');
  await git(base, 'clone', '--quiet', join(owner, 'Second_Pkg.git'), second);
  await writeFiles(second, {
    'pyproject.toml': [
      '[build-system]',
      'requires = ["hatchling==1.27.0"]',
      'build-backend = "hatchling.build"',
      '',
      '[project]',
      'name = "Second_Pkg"',
      'version = "2.0.0"',
      'requires-python = ">=3.8"',
      '',
      '[tool.hatch.build.targets.wheel]',
      'packages = ["second_pkg"]',
      '',
    ].join('\n'),
    'second_pkg/__init__.py': 'NAME = "second"\n',
  });
  await commitAll(second, '2.0.0');
  await git(second, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');

  // The index repository starts empty: the first update creates main.
  indexRepo = await aBareRepo(join(base, 'index.git'));
  await theTools();
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('pkg-index update (pull mode)', () => {
  test('builds the ref, install-tests it, commits the index with the seed message and pushes main', async () => {
    const run = await update(['--repo', 'My_Dep.Lib', '--ref', refs['1.0.0']!, '--index-repo', indexRepo]);
    expect(run.stderr).toContain('install test passed: imported my_dep_lib');
    expect(run.code).toBe(EXIT.ok);
    // Each step is an [n/N] item of core's reporter (plain lines: stderr is not a terminal).
    for (const [n, step] of ['index', 'clone', 'build', 'install-test', 'publish'].entries()) {
      expect(run.stderr).toMatch(new RegExp(`^\\[${n + 1}/5\\] .*: ${step} done \\(`, 'm'));
    }
    expect(run.stderr).toMatch(/^\[5\/5\] .*: update Acme-Org\/My_Dep\.Lib@\S+ finished$/m);
    expect(run.stdout).toMatch(
      /^pushed [0-9a-f]{40}: my_dep_lib-1\.0\.0-py3-none-any\.whl from Acme-Org\/My_Dep\.Lib@/,
    );

    expect(await indexLog()).toEqual([MESSAGE]);
    const tree = await indexTree();
    expect(tree).toEqual(
      expect.arrayContaining([
        'files/my-dep-lib/my_dep_lib-1.0.0-py3-none-any.whl',
        'files/my-dep-lib/my_dep_lib-1.0.0-py3-none-any.whl.metadata',
        'simple/index.html',
        'simple/index.json',
        'simple/my-dep-lib/index.html',
        'simple/my-dep-lib/index.json',
      ]),
    );
    // The pushed wheel holds the submodule's code.
    const wheel = await execa('git', ['show', 'main:files/my-dep-lib/my_dep_lib-1.0.0-py3-none-any.whl'], {
      cwd: indexRepo,
      encoding: 'buffer',
    });
    const names = await execa(
      'python3',
      [
        '-c',
        'import io,sys,zipfile; print("\\n".join(zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())).namelist()))',
      ],
      {
        input: Buffer.from(wheel.stdout),
      },
    );
    expect(String(names.stdout).split('\n')).toContain('my_dep_lib/_vendored/__init__.py');
    const page = JSON.parse(await git(indexRepo, 'show', 'main:simple/my-dep-lib/index.json')) as {
      name: string;
      files: Array<{ filename: string }>;
    };
    expect(page.files.map((f) => f.filename)).toEqual(['my_dep_lib-1.0.0-py3-none-any.whl']);
  });

  test('an update that changes nothing makes no commit and exits 0', async () => {
    const before = await git(indexRepo, 'rev-parse', 'main');
    // The tag names the same commit the first update built by SHA: the build repeats its bytes.
    const run = await update(['--repo', 'My_Dep.Lib', '--ref', 'v1.0.0', '--index-repo', indexRepo]);
    expect(run.stderr).toContain('nothing changed in the index: no commit');
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/^unchanged: the index already has my_dep_lib-1\.0\.0-py3-none-any\.whl/);
    expect(await git(indexRepo, 'rev-parse', 'main')).toBe(before);
  });

  test('two concurrent updates both land', async () => {
    const [first, second] = await Promise.all([
      update(['--repo', 'My_Dep.Lib', '--ref', 'v1.1.0', '--index-repo', indexRepo]),
      update(['--repo', 'Second_Pkg', '--ref', 'main', '--index-repo', indexRepo]),
    ]);
    expect([first.code, second.code]).toEqual([EXIT.ok, EXIT.ok]);
    expect(second.stderr).toContain('imported second_pkg');
    expect((await indexLog()).sort()).toEqual(
      [MESSAGE, MESSAGE, `updated dependency "${OWNER}/Second_Pkg"`].sort(),
    );
    expect(await indexTree()).toEqual(
      expect.arrayContaining([
        'files/my-dep-lib/my_dep_lib-1.0.0-py3-none-any.whl',
        'files/my-dep-lib/my_dep_lib-1.1.0-py3-none-any.whl',
        'files/second-pkg/second_pkg-2.0.0-py3-none-any.whl',
      ]),
    );
    const root = JSON.parse(await git(indexRepo, 'show', 'main:simple/index.json')) as {
      projects: Array<{ name: string }>;
    };
    expect(root.projects.map((p) => p.name).sort()).toEqual(['my-dep-lib', 'second-pkg']);
  });

  test('a push that loses the race re-applies the wheel on the new main and lands', async () => {
    // A checkout taken now, used in place like the workflow's; main moves on before the update pushes.
    const stale = join(base, 'stale-checkout');
    await git(base, 'clone', '--quiet', indexRepo, stale);
    const other = join(base, 'other-writer');
    await git(base, 'clone', '--quiet', indexRepo, other);
    await writeFiles(other, { 'README.md': '# the index\n' });
    await commitAll(other, 'docs: readme');
    await git(other, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');

    const run = await update(['--repo', 'My_Dep.Lib', '--ref', 'release-1.3', '--index-dir', stale]);
    expect(run.stderr).toMatch(
      /push lost a race \(\[rejected\] \(fetch first\)\); re-applying on the new main/,
    );
    expect(run.stderr).toContain('(attempt 2)');
    expect(run.code).toBe(EXIT.ok);
    expect((await indexLog()).slice(0, 2)).toEqual([MESSAGE, 'docs: readme']);
    expect(await indexTree()).toEqual(
      expect.arrayContaining(['README.md', 'files/my-dep-lib/my_dep_lib-1.3.0-py3-none-any.whl']),
    );
  });

  test('pip installs the project by its normalised name from the pushed index', async () => {
    const checkout = join(base, 'served-index');
    await git(base, 'clone', '--quiet', indexRepo, checkout);
    const server = await startIndexServer({ indexDir: checkout, addFilesToIndex });
    try {
      const tools = await theTools();
      const venv = join(base, 'pip-venv');
      await execa(tools.uv, ['venv', '--seed', '--python', tools.python, venv], { env: renderUvEnv(tools) });
      const pip = await execa(
        join(venv, 'bin', 'python'),
        [
          '-m',
          'pip',
          'install',
          '--isolated',
          '--disable-pip-version-check',
          '--index-url',
          `${server.url}/simple/`,
          'my-dep-lib',
        ],
        { reject: false },
      );
      expect(pip.stderr).not.toMatch(/ERROR/);
      expect(pip.exitCode).toBe(0);
      const check = await execa(join(venv, 'bin', 'python'), [
        '-I',
        '-c',
        'import importlib.metadata as m, my_dep_lib; print(m.version("My_Dep.Lib"), my_dep_lib.VALUE)',
      ]);
      expect(String(check.stdout)).toBe('1.3.0 42');
    } finally {
      await server.close();
    }
  });
});

describe('pkg-index update failures: each step has its own exit code and the index is untouched', () => {
  let before: string;
  beforeEach(async () => {
    before = await git(indexRepo, 'rev-parse', 'main');
  });
  afterEach(async () => {
    expect(await git(indexRepo, 'rev-parse', 'main')).toBe(before);
  });

  test('clone: the repository does not exist', async () => {
    const run = await update(['--repo', 'No_Such_Repo', '--ref', 'main', '--index-repo', indexRepo]);
    expect(run.stderr).toMatch(/error\[CLONE_FAILED\]: git fetch exited with code 128/);
    expect(run.code).toBe(EXIT.clone);
  });

  test('clone: the ref does not exist', async () => {
    const run = await update(['--repo', 'My_Dep.Lib', '--ref', 'no-such-branch', '--index-repo', indexRepo]);
    expect(run.stderr).toContain("couldn't find remote ref no-such-branch");
    expect(run.code).toBe(EXIT.clone);
  });

  test('a ref that git would read as an option is refused before anything runs', async () => {
    const run = await update([
      '--repo',
      'My_Dep.Lib',
      '--ref=--upload-pack=touch /tmp/x',
      '--index-repo',
      indexRepo,
    ]);
    expect(run.stderr).toContain('--ref: "--upload-pack=touch /tmp/x" is not a git ref: it starts with "-"');
    expect(run.code).toBe(EXIT.config);
  });

  test('build', async () => {
    const run = await update(['--repo', 'My_Dep.Lib', '--ref', 'broken-build', '--index-repo', indexRepo]);
    expect(run.stderr).toContain('building the wheel failed');
    expect(run.stderr).toContain('this build is broken on purpose');
    expect(run.code).toBe(EXIT.tool);
  });

  test('install test: the module does not import', async () => {
    const run = await update(['--repo', 'My_Dep.Lib', '--ref', 'broken-import', '--index-repo', indexRepo]);
    expect(run.stderr).toContain('the install test failed');
    expect(run.stderr).toContain('RuntimeError: this module is broken on purpose');
    expect(run.code).toBe(EXIT.installTest);
  });

  test('conflict: the same version built from other code', async () => {
    const run = await update(['--repo', 'My_Dep.Lib', '--ref', 'same-version', '--index-repo', indexRepo]);
    expect(run.stderr).toContain(
      'my_dep_lib-1.0.0-py3-none-any.whl is already in the index with other bytes',
    );
    expect(run.code).toBe(EXIT.conflict);
  });

  test('push: the index repository refuses the push', async () => {
    const frozen = await aBareRepo(join(base, 'frozen-index.git'));
    await mkdir(join(frozen, 'hooks'), { recursive: true });
    await writeFile(
      join(frozen, 'hooks', 'pre-receive'),
      '#!/bin/sh\necho "the index is frozen" >&2\nexit 1\n',
    );
    await chmod(join(frozen, 'hooks', 'pre-receive'), 0o755);
    const run = await update(['--repo', 'Second_Pkg', '--ref', 'main', '--index-repo', frozen]);
    expect(run.stderr).toContain(
      'pushing the index to main failed: [remote rejected] (pre-receive hook declined)',
    );
    expect(run.code).toBe(EXIT.push);
    expect(await indexLog(frozen)).toEqual([]);
  });
});
