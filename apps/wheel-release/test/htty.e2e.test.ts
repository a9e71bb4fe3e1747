import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveIndexUrl } from '@packyard/pypi-client';
import { provisionTools } from '@packyard/python-tools';
import { execa } from 'execa';
import { run } from './helpers.js';

// The htty-shaped example (examples/wheel-release-htty) released end to end. The Nx target
// wheel-release:htty-fixture (cached; the test target depends on it) ran check → bump --patch →
// sync → check → build of all four platforms and the sdist, and wrote transcript.json; this file
// verifies that set with the install test on (linux-amd64 natively, linux-arm64 under qemu),
// publishes it to pypiserver started by its own command line, and pip-installs it from there.
const WORKSPACE = join(import.meta.dirname, '../../..');
const FIXTURE = join(WORKSPACE, 'dist/fixtures/wheel-release-htty');
const SETUP_QEMU = join(WORKSPACE, 'tools/scripts/setup-qemu-user.sh');
const PYPI_SERVER = join(WORKSPACE, 'tools/pypi-server/dist/main.js');

interface Transcript {
  sha: string;
  statusAfterBuild: string;
  steps: { args: string[]; code: number; json: Record<string, unknown>; stderr: string }[];
}

let transcript: Transcript;
let root: string;
let repo: string;
let serverDir: string;

beforeAll(async () => {
  transcript = JSON.parse(await readFile(join(FIXTURE, 'transcript.json'), 'utf8')) as Transcript;
  root = await mkdtemp(join(tmpdir(), 'wheel-release-htty-'));
  repo = join(root, 'repo');
  // A copy, so the cached fixture stays as the build left it.
  await cp(join(FIXTURE, 'repo'), repo, { recursive: true });
  serverDir = join(root, 'pypi');
  await execa('bash', [SETUP_QEMU], { stdio: 'inherit' });
});

afterAll(async () => {
  await execa('node', [PYPI_SERVER, 'stop', '--dir', serverDir], { reject: false });
  await rm(root, { recursive: true, force: true });
});

describe('an htty-shaped project released with wheel-release', () => {
  it('bump writes the version into version.nix, code strings and Cargo.lock; check agrees; build leaves the tree clean', () => {
    const by = (command: string) => transcript.steps.filter((s) => s.args[0] === command);
    expect(transcript.steps.map((s) => [s.args.join(' '), s.code])).toEqual([
      ['check', 0],
      ['bump --patch', 0],
      ['sync', 0],
      ['check', 0],
      ['build', 0],
    ]);
    expect(by('bump')[0]!.json).toEqual({
      from: '0.2.30',
      to: '0.2.31',
      cargo: '0.2.31',
      changed: [
        'release.yaml',
        'nix/lib/version.nix',
        'htty-core/Cargo.toml',
        'htty-core/Cargo.lock',
        'htty-core/pyproject.toml',
        'htty-core/src/rust/main.rs',
        'htty/pyproject.toml',
        'htty/src/htty/cli.py',
      ],
    });
    expect(by('sync')[0]!.json).toEqual({ version: '0.2.31', changed: [] });
    expect(by('check')[1]!.json).toMatchObject({ ok: true, version: '0.2.31', places: 8, disagreements: [] });
    expect((by('build')[0]!.json['wheels'] as string[]).length).toBe(4);
    expect(by('build')[0]!.json['sdist']).toBe('htty-0.2.31.tar.gz');
    // Progress with --json: core's JSON-lines events on stderr ([n/N] lines without it). The steps
    // (wheels, then the sdist) are one task; the wheels step shows each target as a task of its own.
    const events = by('build')[0]!
      .stderr.split('\n')
      .filter((line) => line.startsWith('{"type":"progress"'))
      .map(
        (line) =>
          JSON.parse(line) as { event: string; label: string; item?: string; done: number; total: number },
      );
    const done = (label: string) =>
      events.filter((e) => e.event === 'done' && e.label === label).map((e) => [e.item, e.done, e.total]);
    expect(done('wheels')).toEqual([
      ['linux-amd64', 1, 4],
      ['linux-arm64', 2, 4],
      ['darwin-amd64', 3, 4],
      ['darwin-arm64', 4, 4],
    ]);
    expect(done('wheel-release build')).toEqual([
      ['wheels', 1, 2],
      ['sdist', 2, 2],
    ]);
    // The build's own output directory and cargo's target directory are not changes in the project.
    expect(transcript.statusAfterBuild).toBe('');
  });

  it('the bumped files hold 0.2.31 where htty keeps it', async () => {
    const read = (file: string) => readFile(join(repo, file), 'utf8');
    expect(await read('nix/lib/version.nix')).toMatch(/major = 0;\n {2}minor = 2;\n {2}patch = 31;\n/);
    expect(await read('htty-core/src/rust/main.rs')).toContain('println!("ht 0.2.31 (unknown)")');
    expect(await read('htty/src/htty/cli.py')).toContain('version="htty 0.2.31 (unknown)"');
    expect(await read('htty-core/Cargo.lock')).toContain('name = "htty_core"\nversion = "0.2.31"\n');
    expect(await read('htty/pyproject.toml')).toContain('"htty-core==0.2.31",');
  });

  it('verify after build passes with the install test on: linux-amd64 natively, linux-arm64 under qemu', async () => {
    const result = await run(['verify', '--json', '--git-sha', transcript.sha], {
      cwd: repo,
      env: process.env,
    });
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!) as { problems: unknown[]; checks: string[]; files: string[] };
    expect(report.problems).toEqual([]);
    expect(result.code).toBe(0);
    expect(report.files).toHaveLength(5);
    expect(report.checks).toEqual(
      expect.arrayContaining([
        'install:linux-amd64',
        'install:linux-arm64',
        'run:linux-arm64 (qemu-aarch64)',
      ]),
    );
  });

  it('a version check the programs do not meet fails verify with one JSON document (exit 4); off, the install still runs', async () => {
    const config = join(repo, 'release.yaml');
    const original = await readFile(config, 'utf8');
    try {
      await writeFile(
        config,
        original.replace(/(pattern: '\^ht \{version\} \\\()unknown/, (_all, head: string) => `${head}{sha}`),
      );
      const failed = await run(['verify', '--json', '--git-sha', transcript.sha], {
        cwd: repo,
        env: process.env,
      });
      expect(failed.code).toBe(4);
      expect(failed.stdout.trim().split('\n')).toHaveLength(1);
      const problems = (JSON.parse(failed.stdout) as { problems: { check: string; message: string }[] })
        .problems;
      expect(problems.map((p) => p.check)).toEqual(['version-output', 'version-output']);
      expect(problems[1]!.message).toMatch(
        /^under qemu-aarch64: ht --version printed "ht 0\.2\.31 \(unknown\)"/,
      );

      await writeFile(
        config,
        original.replace(/\{ pattern: '\^ht [^\n]*/, () => 'false'),
      );
      const off = await run(['verify', '--json', '--git-sha', transcript.sha], {
        cwd: repo,
        env: process.env,
      });
      expect(off.code).toBe(0);
      const checks = (JSON.parse(off.stdout) as { checks: string[] }).checks;
      expect(checks).toEqual(
        expect.arrayContaining(['install:linux-amd64', 'version-output:ht: not run: versionCheck is false']),
      );
    } finally {
      await writeFile(config, original);
    }
  });

  it('publishes to pypiserver started from its command line; pip installs htty and both programs run', async () => {
    const started = await execa('node', [PYPI_SERVER, 'start', '--dir', serverDir, '--json'], {
      stdin: 'ignore',
    });
    const server = JSON.parse(started.stdout) as {
      repositoryUrl: string;
      indexUrl: string;
      credentialsFile: string;
    };
    const credentials = Object.fromEntries(
      (await readFile(server.credentialsFile, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => line.split('=', 2) as [string, string]),
    );
    const published = await run(['publish', '--json', '--repository-url', server.repositoryUrl], {
      cwd: repo,
      env: { ...process.env, ...credentials },
    });
    expect(published.stderr).not.toContain('error:');
    expect(published.code).toBe(0);
    expect((JSON.parse(published.stdout) as { uploaded: string[] }).uploaded).toHaveLength(5);

    const tools = await provisionTools({});
    const venv = join(root, 'venv');
    await execa(tools.python, ['-m', 'venv', venv]);
    const upstream = (await resolveIndexUrl()).url;
    await execa(
      join(venv, 'bin', 'pip'),
      [
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--index-url',
        server.indexUrl,
        '--extra-index-url',
        upstream,
        'htty==0.2.31',
      ],
      { env: { ...process.env, PIP_CONFIG_FILE: '/dev/null' }, stdin: 'ignore' },
    );
    const bin = join(venv, 'bin');
    expect((await execa(join(bin, 'ht'), ['--version'])).stdout).toBe('ht 0.2.31 (unknown)');
    expect((await execa(join(bin, 'htty'), ['--version'])).stdout).toBe('htty 0.2.31 (unknown)');
    // htty finds htty_core's bundled ht and renders its output with ansi2html from the upstream index.
    expect((await execa(join(bin, 'htty'), ['hello', 'there'])).stdout).toBe('hello there\n');

    const stopped = await execa('node', [PYPI_SERVER, 'stop', '--dir', serverDir, '--json']);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ stopped: true });
  });
});
