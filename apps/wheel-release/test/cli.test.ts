import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT, PackyardError, exitCodeFor } from '@packyard/core';
import type { PublishReleaseInput, ReleaseServices, VerifyInput } from '@packyard/wheel-release';
import { tagFromEnvironment } from '../src/index.js';
import { git, gitProject, run } from './helpers.js';

let root: string;
beforeEach(async () => {
  root = await gitProject();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('usage', () => {
  it('prints help with exit 0, and with no command on stderr with exit 2', async () => {
    const help = await run(['--help'], { cwd: root });
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('Exit codes')]);
    expect((await run(['check', '-h'], { cwd: root })).code).toBe(0);
    const none = await run([], { cwd: root });
    expect([none.code, none.stdout, none.stderr]).toEqual([2, '', expect.stringContaining('usage:')]);
  });

  it.each([
    [['deploy'], 'unknown command "deploy"'],
    [['check', '--nope'], 'check: unknown option --nope'],
    [['check', '--tag', 'v1', '--tag', 'v2'], '--tag was given more than once: first "v1", then "v2"'],
    [['check', 'stray'], "Unexpected argument 'stray'"],
    [['check', '--tag'], "Option '--tag <value>' argument missing"],
    [['bump'], 'bump needs one of --patch, --minor, --major, --pre'],
    [['bump', '--patch', '--minor'], 'not --patch and --minor'],
    [
      ['build', '--platforms', 'linux-amd64,windows-amd64'],
      '"windows-amd64" is not in release.yaml\'s wheels.platforms',
    ],
    [['build', '--git-sha', 'HEAD'], '--git-sha must be 8 to 40 lowercase hex digits, not "HEAD"'],
    [['verify', '--out', ''], '--out is empty'],
  ])('%j is a usage error (exit 2) and writes nothing', async (argv, message) => {
    const result = await run(argv, { cwd: root });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain(message);
    expect(await git(root, 'status', '--porcelain')).toBe('');
  });

  it('maps every error code to a documented exit code', () => {
    expect(exitCodeFor('AUTH_FAILED')).toBe(3);
    expect(exitCodeFor('VERIFY_FAILED')).toBe(4);
    expect(exitCodeFor('CONFIG_INVALID')).toBe(6);
    expect(exitCodeFor('CONFLICT')).toBe(7);
    expect(exitCodeFor('BUILD_FAILED')).toBe(8);
    expect(exitCodeFor('INDEX_UNREACHABLE')).toBe(9);
    expect(exitCodeFor('INTERNAL')).toBe(70);
    expect(exitCodeFor('VERSION_NOT_FOUND')).toBe(1);
  });
});

describe('bump, sync and check on a git repository', () => {
  it('bump --patch writes every place, check is green, and the tag must match', async () => {
    const bumped = await run(['bump', '--patch'], { cwd: root });
    expect(bumped.code).toBe(0);
    expect(bumped.stdout).toContain('bumped 0.2.30 -> 0.2.31');
    const diff = await git(root, 'diff', '--stat');
    for (const file of ['release.yaml', 'core/Cargo.toml', 'core/pyproject.toml', 'app/pyproject.toml'])
      expect(diff).toContain(file);
    expect(await readFile(join(root, 'app/pyproject.toml'), 'utf8')).toContain('"app-core==0.2.31"');
    expect(await readFile(join(root, 'core/Cargo.toml'), 'utf8')).toContain('# the binary');

    expect(await run(['check', '--tag', 'v0.2.31'], { cwd: root })).toMatchObject({
      code: 0,
      stdout: '0.2.31: 5 places agree, and the tag v0.2.31\n',
    });
    const wrongTag = await run(['check', '--tag', 'v0.2.30'], { cwd: root });
    expect(wrongTag.code).toBe(EXIT.verify);
    expect(wrongTag.stdout).toContain('tag: tag is "v0.2.30", release.yaml says "v0.2.31"');
  });

  it('bump --pre writes the PEP 440 and Cargo spellings, and check agrees', async () => {
    const bumped = await run(['bump', '--pre', '--json'], { cwd: root });
    const report = JSON.parse(bumped.stdout) as { to: string; cargo: string };
    expect(report.to).toMatch(/^0\.2\.31\.dev\d{12}$/);
    expect(report.cargo).toBe(report.to.replace('.dev', '-dev'));
    expect(await readFile(join(root, 'core/Cargo.toml'), 'utf8')).toContain(`version = "${report.cargo}"`);
    expect((await run(['check'], { cwd: root })).code).toBe(0);
  });

  it('check names each hand edit; sync repairs them', async () => {
    const init = join(root, 'app/src/app/__init__.py');
    await writeFile(init, '__version__ = "0.2.29"\n');
    const checked = await run(['check', '--json'], { cwd: root });
    expect(checked.code).toBe(EXIT.verify);
    expect(JSON.parse(checked.stdout)).toMatchObject({
      ok: false,
      disagreements: [
        { file: 'app/src/app/__init__.py', key: '__version__', found: '0.2.29', expected: '0.2.30' },
      ],
    });
    const synced = await run(['sync'], { cwd: root });
    expect([synced.code, synced.stdout]).toEqual([0, 'wrote 0.2.30 into:\n  app/src/app/__init__.py\n']);
    expect(await git(root, 'status', '--porcelain')).toBe('');
    expect((await run(['check'], { cwd: root })).code).toBe(0);
  });

  it('check takes the tag from GitHub Actions for a tag ref, and not for a branch', async () => {
    const tagged = { GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'v0.3.0', GITHUB_REF: 'refs/tags/v0.3.0' };
    const result = await run(['check'], { cwd: root, env: tagged });
    expect(result.code).toBe(EXIT.verify);
    expect(result.stdout).toContain('tag is "v0.3.0"');
    const branch = { GITHUB_REF_TYPE: 'branch', GITHUB_REF_NAME: 'main', GITHUB_REF: 'refs/heads/main' };
    expect((await run(['check'], { cwd: root, env: branch })).code).toBe(0);
    expect(tagFromEnvironment({ GITHUB_REF: 'refs/tags/v1.0.0' })).toBe('v1.0.0');
  });

  it('bump refuses a dirty tree (exit 7) and writes nothing', async () => {
    await writeFile(
      join(root, 'app/pyproject.toml'),
      '[project]\nname = "app"\nversion = "0.2.30"\ndependencies = ["app-core==0.2.30"]\n# edit\n',
    );
    const result = await run(['bump', '--minor'], { cwd: root });
    expect(result.code).toBe(EXIT.conflict);
    expect(result.stderr).toContain('uncommitted changes in 1 file: app/pyproject.toml');
    expect(await git(root, 'status', '--porcelain')).toBe(' M app/pyproject.toml');
  });

  it('build refuses a disagreeing place with exit 4 (verify), naming it, and builds nothing', async () => {
    const py = join(root, 'app/pyproject.toml');
    await writeFile(py, (await readFile(py, 'utf8')).replace('version = "0.2.30"', 'version = "0.2.29"'));
    const { services } = fakeServices();
    const result = await run(['build', '--platforms', 'linux-amd64', '--json'], { cwd: root, services });
    expect(result.code).toBe(EXIT.verify);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: { code: 'VERIFY_FAILED', file: 'app/pyproject.toml', field: 'project.version', value: '0.2.29' },
    });
    // With --json the error is the one document on stdout; without, one line and its hint on stderr.
    expect(result.stderr).toBe('');
    const text = await run(['build', '--platforms', 'linux-amd64'], { cwd: root, services });
    expect(text.stderr).toBe(
      'wheel-release: error[VERIFY_FAILED]: the version disagrees with release.yaml; nothing was built:\n' +
        '  app/pyproject.toml: project.version is "0.2.29", release.yaml says "0.2.30"\n' +
        '  hint: run `wheel-release sync` to write the version everywhere\n',
    );
    await expect(readdir(join(root, 'dist'))).rejects.toThrow();
  });

  it('an invalid release.yaml is exit 6, naming the file, the key as written and the value', async () => {
    const text = await readFile(join(root, 'release.yaml'), 'utf8');
    await writeFile(join(root, 'release.yaml'), text.replace('darwin-amd64,', 'darwin-x64,'));
    const result = await run(['check', '--dir', root], { cwd: '/' });
    expect(result.code).toBe(EXIT.config);
    // Each thing once: the file, then the message that already names the key.
    expect(result.stderr).toBe(
      'wheel-release: error[CONFIG_INVALID]: release.yaml: wheels.platforms[2] is not a platform packyard builds\n' +
        '  hint: use linux-amd64, linux-arm64, darwin-amd64, darwin-arm64\n',
    );
    const missing = await run(['check'], { cwd: join(root, 'app') });
    expect(missing.code).toBe(EXIT.config);
  });
});

type Calls = { verify: VerifyInput[]; publish: PublishReleaseInput[] };

// The services that would run maturin, twine or an index, replaced so the command line's wiring,
// output and exit codes are tested alone; the plan and the steps around them are the real ones.
// The toolchain: linux-amd64 with rustup, able to reach every target but aarch64-apple-darwin.
function fakeServices(overrides: Partial<ReleaseServices> & { calls?: Calls } = {}) {
  const calls = overrides.calls ?? { verify: [], publish: [] };
  const file = (name: string) => ({ name, sha256: '0'.repeat(64), size: 1 });
  const services: Partial<ReleaseServices> = {
    probeBuildHost: () =>
      Promise.resolve({
        platform: 'linux-amd64',
        installedTargets: ['x86_64-unknown-linux-gnu'],
        addableTargets: ['x86_64-unknown-linux-gnu', 'aarch64-unknown-linux-gnu', 'x86_64-apple-darwin'],
        zig: true,
      }),
    verifyRelease: (input) => {
      calls.verify.push(input);
      return Promise.resolve({
        files: [file('app-0.2.30.tar.gz'), file('app_core-0.2.30-py3-none-x.whl')],
        problems: [],
        checks: [],
      });
    },
    publishRelease: (input) => {
      calls.publish.push(input);
      const names = input.files.map((f) => f.slice(f.lastIndexOf('/') + 1));
      return Promise.resolve({
        destination: 'test',
        uploaded: input.dryRun ? [] : names,
        skipped: [],
        checked: names,
        dryRun: input.dryRun === true,
        auth: 'none',
      });
    },
    ...overrides,
  };
  return { services, calls };
}

describe('verify, publish, plan and runners around the release steps', () => {
  async function writeOut(files: string[]): Promise<string> {
    const out = join(root, 'dist/wheel-release');
    await mkdir(out, { recursive: true });
    for (const file of files) await writeFile(join(out, file), file);
    return out;
  }

  it('verify passes release.yaml as the steps take it, and exits 0 on a clean set', async () => {
    const { services, calls } = fakeServices();
    const result = await run(['verify', '--git-sha', 'abcdef0123456789'], { cwd: root, services });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('verified 2 files:\n  app-0.2.30.tar.gz\n  app_core-0.2.30-py3-none-x.whl\n');
    expect(calls.verify).toEqual([
      {
        dir: join(root, 'dist/wheel-release'),
        version: '0.2.30',
        wheels: {
          project: 'app-core',
          platforms: ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64'],
          binaries: ['appbin'],
        },
        sdist: { project: 'app', command: 'app' },
        gitSha: 'abcdef0123456789',
        installTest: true,
        log: expect.any(Function),
      },
    ]);
  });

  it('verify prints every problem and exits 4', async () => {
    const { services } = fakeServices({
      verifyRelease: () =>
        Promise.resolve({
          files: [{ name: 'a.whl', sha256: '0'.repeat(64), size: 1 }],
          problems: [
            { file: 'a.whl', check: 'binary-arch', message: 'tag says arm64, binary is x86-64' },
            { file: 'dist', check: 'complete', message: 'no wheel for darwin-arm64' },
          ],
          checks: [],
        }),
    });
    const result = await run(['verify', '--no-install-test'], { cwd: root, services });
    expect(result.code).toBe(EXIT.verify);
    expect(result.stdout).toContain(
      'a.whl: binary-arch: tag says arm64, binary is x86-64\n  dist: complete: no wheel for darwin-arm64',
    );
    // With --json: exactly one document, the result with its problems, and still exit 4.
    const json = await run(['verify', '--no-install-test', '--json'], { cwd: root, services });
    expect(json.code).toBe(EXIT.verify);
    const lines = json.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect((JSON.parse(lines[0]!) as { problems: unknown[] }).problems).toHaveLength(2);
  });

  it('publish uploads exactly the verified files, passing the URLs, --dry-run and the environment', async () => {
    const { services, calls } = fakeServices();
    const out = await writeOut(['app-0.2.30.tar.gz', 'app_core-0.2.30-py3-none-x.whl']);
    const env = { PYPI_TOKEN: 'pypi-secret' };
    const result = await run(
      [
        'publish',
        '--repository-url',
        'http://127.0.0.1:1/',
        '--index-url',
        'http://127.0.0.1:1/simple/',
        '--dry-run',
        '--json',
      ],
      { cwd: root, services, env },
    );
    expect(result.code).toBe(0);
    expect(calls.verify[0]!.installTest).toBe(false);
    expect(calls.publish).toEqual([
      {
        files: [join(out, 'app-0.2.30.tar.gz'), join(out, 'app_core-0.2.30-py3-none-x.whl')],
        destination: { repositoryUrl: 'http://127.0.0.1:1/', indexUrl: 'http://127.0.0.1:1/simple/' },
        dryRun: true,
        log: expect.any(Function),
        env,
      },
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({ dryRun: true, uploaded: [] });
    expect(result.stdout + result.stderr).not.toContain('pypi-secret');
  });

  it('publish uploads nothing when verification fails (exit 4)', async () => {
    const { services, calls } = fakeServices({
      verifyRelease: () =>
        Promise.resolve({
          files: [],
          problems: [{ file: 'dist', check: 'complete', message: 'no sdist' }],
          checks: [],
        }),
    });
    const result = await run(['publish'], { cwd: root, services });
    expect(result.code).toBe(EXIT.verify);
    expect(result.stderr).toContain('no sdist');
    expect(calls.publish).toEqual([]);
  });

  it('publish maps refused credentials to exit 3 and an index refusal to exit 9', async () => {
    await writeOut(['app-0.2.30.tar.gz', 'app_core-0.2.30-py3-none-x.whl']);
    const refuse = (code: 'AUTH_FAILED' | 'INDEX_BAD_RESPONSE') =>
      fakeServices({
        publishRelease: () => Promise.reject(new PackyardError(code, `the index said no (${code})`)),
      }).services;
    expect((await run(['publish'], { cwd: root, services: refuse('AUTH_FAILED') })).code).toBe(EXIT.auth);
    const refused = await run(['publish', '--json'], { cwd: root, services: refuse('INDEX_BAD_RESPONSE') });
    expect(refused.code).toBe(EXIT.store);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'INDEX_BAD_RESPONSE' } });
  });

  it('runners groups the cross builds on one Linux runner, adds a native one where needed', async () => {
    const { services } = fakeServices();
    const result = await run(['runners', '--json'], { cwd: root, services });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      include: [
        {
          runner: 'ubuntu-24.04',
          platforms: 'linux-amd64,linux-arm64,darwin-amd64',
          how: 'cross',
          sdist: true,
        },
        { runner: 'macos-15', platforms: 'darwin-arm64', how: 'native', sdist: false },
      ],
    });
    expect((await run(['runners'], { cwd: root, services })).stdout).toContain(
      'macos-15           native darwin-arm64',
    );
  });

  it('plan shows the version, disagreements and each platform build', async () => {
    const { services } = fakeServices();
    await writeFile(join(root, 'core/Cargo.toml'), '[package]\nname = "app-core"\nversion = "0.2.29"\n');
    const result = await run(['plan'], { cwd: root, services });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'version 0.2.30: 5 places, 1 disagree\n  core/Cargo.toml: package.version is "0.2.29"',
    );
    expect(result.stdout).toContain(
      'darwin-arm64  native on macos-15 (aarch64-apple-darwin): rustup cannot add Rust target aarch64-apple-darwin to this toolchain',
    );
    expect(result.stdout).toContain('sdist of app (install test: app --version)');
  });
});
