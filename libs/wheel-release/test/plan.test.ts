import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackyardError, type StepEvent } from '@packyard/core';
import {
  parseReleaseVersion,
  placeKey,
  planRelease,
  readReleaseConfig,
  readReleaseState,
  runRelease,
  type BuildHost,
  type PlaceValue,
  type PlanRequest,
  type ReleaseConfig,
  type ReleaseState,
} from '../src/index.js';

// The planner is pure: each test gives it what would have been read, as plain objects.
const V = parseReleaseVersion('0.2.30');
const CONFIG: ReleaseConfig = {
  root: '/p',
  version: V,
  written: '0.2.30',
  places: [
    { file: 'core/Cargo.toml', toml: 'package.version', form: 'cargo' },
    { file: 'app/pyproject.toml', toml: 'project.version', form: 'pep440' },
    { file: 'app/pyproject.toml', pin: 'app-core' },
  ],
  wheels: { project: 'core', platforms: ['linux-amd64', 'darwin-arm64'], binaries: ['appbin'] },
  sdist: { project: 'app', buildInfo: 'src/app/_build_info.py', command: 'app' },
};
const HOST: BuildHost = {
  platform: 'linux-amd64',
  installedTargets: ['x86_64-unknown-linux-gnu'],
  addableTargets: ['x86_64-unknown-linux-gnu'],
  zig: true,
};

function values(found: readonly string[]): PlaceValue[] {
  return CONFIG.places.map((place, i) => ({
    place,
    file: place.file,
    key: placeKey(place),
    // A pin's value is the whole requirement, as the file writes it.
    found: 'pin' in place ? `app-core==${found[i]!}` : found[i]!,
  }));
}

function state(overrides: Partial<ReleaseState> = {}): ReleaseState {
  return { config: CONFIG, places: values(['0.2.30', '0.2.30', '0.2.30']), ...overrides };
}

const request = (command: PlanRequest['command'], more: Partial<PlanRequest> = {}): PlanRequest => ({
  command,
  dir: '/p',
  out: '/p/dist/wheel-release',
  ...more,
});

function thrown(fn: () => unknown): PackyardError {
  try {
    fn();
  } catch (error) {
    return error as PackyardError;
  }
  throw new Error('did not throw');
}

describe('planRelease', () => {
  it('check plans no action and names each disagreement, the tag too', () => {
    const plan = planRelease(
      request('check', { tag: 'v0.2.29' }),
      state({ places: values(['0.2.30', '0.2.29', '0.2.30']) }),
    );
    expect(plan.actions).toEqual([]);
    expect(plan.disagreements).toEqual([
      { file: 'app/pyproject.toml', key: 'project.version', found: '0.2.29', expected: '0.2.30' },
      { file: 'tag', key: 'tag', found: 'v0.2.29', expected: 'v0.2.30' },
    ]);
  });

  it('sync writes exactly the places that disagree', () => {
    const plan = planRelease(request('sync'), state({ places: values(['0.2.29', '0.2.30', '0.2.30']) }));
    expect(plan.actions).toEqual([
      { kind: 'write-place', file: 'core/Cargo.toml', key: 'package.version', from: '0.2.29', to: '0.2.30' },
    ]);
  });

  it('bump plans release.yaml, then every place in its own spelling', () => {
    const now = new Date('2026-12-01T18:30:00Z');
    const plan = planRelease(request('bump', { bump: 'pre', now }), state());
    expect(plan.from).toEqual(V);
    expect(plan.version).toEqual({ pep440: '0.2.31.dev202612011830', cargo: '0.2.31-dev202612011830' });
    expect(plan.actions.map((a) => [a.kind, 'file' in a ? a.file : '', 'to' in a ? a.to : ''])).toEqual([
      ['write-version', 'release.yaml', '0.2.31.dev202612011830'],
      ['write-place', 'core/Cargo.toml', '0.2.31-dev202612011830'],
      ['write-place', 'app/pyproject.toml', '0.2.31.dev202612011830'],
      ['write-place', 'app/pyproject.toml', 'app-core==0.2.31.dev202612011830'],
    ]);
  });

  it('build plans what this host builds, notes the rest, and the sdist', () => {
    const plan = planRelease(request('build'), state({ host: HOST, gitSha: { sha: 'abcdef01' } }));
    expect(plan.actions).toEqual([
      { kind: 'build-wheel', platform: 'linux-amd64', target: 'x86_64-unknown-linux-gnu', zig: true },
      { kind: 'build-sdist', project: 'app', buildInfo: 'src/app/_build_info.py' },
    ]);
    expect(plan.notes).toEqual([
      'not built here: darwin-arm64 (rustup cannot add Rust target aarch64-apple-darwin to this toolchain); its runner: macos-15',
    ]);
    expect(plan.gitSha).toBe('abcdef01');
    const wheelsOnly = planRelease(
      request('build', { sdist: false, platforms: ['linux-amd64'] }),
      state({ host: HOST, gitSha: { sha: 'abcdef01' } }),
    );
    expect(wheelsOnly.actions.map((a) => a.kind)).toEqual(['build-wheel']);
  });

  it('build refuses, before anything is written: a platform not configured, a disagreement, then git', () => {
    const dirty = { error: new PackyardError('CONFIG_INVALID', 'uncommitted changes in 1 file: x') };
    const bad = state({ host: HOST, gitSha: dirty, places: values(['0.2.29', '0.2.30', '0.2.30']) });
    expect(thrown(() => planRelease(request('build', { platforms: ['linux-arm64'] }), bad))).toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('"linux-arm64" is not in release.yaml\'s wheels.platforms'),
    });
    expect(thrown(() => planRelease(request('build'), bad))).toMatchObject({
      code: 'VERIFY_FAILED',
      file: 'core/Cargo.toml',
      field: 'package.version',
      value: '0.2.29',
    });
    expect(thrown(() => planRelease(request('build'), state({ host: HOST, gitSha: dirty })))).toBe(
      dirty.error,
    );
    const native = thrown(() =>
      planRelease(
        request('build', { platforms: ['darwin-arm64'] }),
        state({ host: HOST, gitSha: { sha: 'abcdef01' } }),
      ),
    );
    expect(native).toMatchObject({ code: 'CONFIG_INVALID', value: 'darwin-arm64' });
  });

  it('publish verifies the listed files, then publishes exactly them', () => {
    const plan = planRelease(
      request('publish', { destination: { directory: '/idx' }, dryRun: true }),
      state({ names: { wheels: 'app-core', sdist: 'app' }, files: ['a.tar.gz', 'b.whl'] }),
    );
    expect(plan.verify).toMatchObject({ version: '0.2.30', installTest: false, sdist: { project: 'app' } });
    expect(plan.actions).toEqual([
      { kind: 'verify', dir: '/p/dist/wheel-release', installTest: false, files: ['a.tar.gz', 'b.whl'] },
      {
        kind: 'publish',
        dir: '/p/dist/wheel-release',
        files: ['a.tar.gz', 'b.whl'],
        destination: '/idx',
        dryRun: true,
      },
    ]);
  });

  it('runners gives the CI matrix; a command needing wheels: without it is CONFIG_INVALID', () => {
    expect(planRelease(request('runners'), state({ host: HOST })).matrix).toEqual({
      include: [
        { runner: 'ubuntu-24.04', platforms: 'linux-amd64', how: 'cross', sdist: true },
        { runner: 'macos-15', platforms: 'darwin-arm64', how: 'native', sdist: false },
      ],
    });
    const { wheels: _omitted, ...noWheels } = CONFIG;
    expect(thrown(() => planRelease(request('runners'), state({ config: noWheels })))).toMatchObject({
      code: 'CONFIG_INVALID',
      field: 'wheels',
    });
  });
});

describe('runRelease on the step kernel', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'wheel-release-plan-'));
    await writeFile(
      join(root, 'release.yaml'),
      "version: '0.2.30'\nplaces:\n  - { file: app/__init__.py, python: __version__ }\n",
    );
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('sync writes the planned place, reporting the step; a second run skips it with the reason', async () => {
    await mkdir(join(root, 'app'));
    await writeFile(join(root, 'app/__init__.py'), '__version__ = "0.2.29"\n');
    const services = { probeBuildHost: () => Promise.resolve(HOST) };
    const req = request('sync', { dir: root, out: join(root, 'dist') });
    const first = planRelease(req, await readReleaseState(req, services));
    expect(first.actions).toHaveLength(1);
    const events: StepEvent[] = [];
    const outcome = await runRelease(first, { onEvent: (e) => events.push(e) });
    expect(outcome.changed).toEqual(['app/__init__.py']);
    expect(await readFile(join(root, 'app/__init__.py'), 'utf8')).toBe('__version__ = "0.2.30"\n');
    expect(events.map((e) => e.type)).toEqual(['step-start', 'step-end', 'progress']);
    expect(events[2]).toMatchObject({ label: 'wheel-release sync', done: 1, total: 1, finished: true });

    const again = planRelease(req, await readReleaseState(req, services));
    const skipped: StepEvent[] = [];
    await runRelease(again, { onEvent: (e) => skipped.push(e) });
    expect(skipped[0]).toMatchObject({ type: 'step-skip', reason: 'every place already has the version' });
    expect((await readReleaseConfig(root)).version.pep440).toBe('0.2.30');
  });
});
