import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  planWheelBuilds,
  planWheelRunnerMatrix,
  probeBuildHost,
  resolveGitSha,
  type BuildHost,
} from '../src/index.js';

const ALL = ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64'];
const TARGETS = [
  'x86_64-unknown-linux-gnu',
  'aarch64-unknown-linux-gnu',
  'x86_64-apple-darwin',
  'aarch64-apple-darwin',
];

const aHost = (overrides: Partial<BuildHost> = {}): BuildHost => ({
  platform: 'linux-amd64',
  installedTargets: ['x86_64-unknown-linux-gnu'],
  addableTargets: [...TARGETS, 'riscv64gc-unknown-linux-gnu'],
  zig: true,
  ...overrides,
});

describe('planWheelBuilds', () => {
  it('cross-builds all four from a Linux runner with rustup and zig', () => {
    const plan = planWheelBuilds(ALL, aHost());
    expect(plan).toEqual(
      ALL.map((platform, i) => ({
        platform,
        target: TARGETS[i],
        how: 'cross',
        runner: 'linux-amd64',
        zig: true,
      })),
    );
    expect(planWheelRunnerMatrix(plan, aHost())).toEqual({
      include: [
        {
          runner: 'ubuntu-24.04',
          platforms: 'linux-amd64,linux-arm64,darwin-amd64,darwin-arm64',
          how: 'cross',
          sdist: true,
        },
      ],
    });
  });

  it('sends every target but the host one to its own runner when there is no rustup', () => {
    const host = aHost({ addableTargets: [] });
    const plan = planWheelBuilds(ALL, host);
    expect(plan.map((s) => [s.platform, s.how, s.runner])).toEqual([
      ['linux-amd64', 'cross', 'linux-amd64'],
      ['linux-arm64', 'native', 'ubuntu-24.04-arm'],
      ['darwin-amd64', 'native', 'macos-15-intel'],
      ['darwin-arm64', 'native', 'macos-15'],
    ]);
    expect(plan[1]).toMatchObject({ reason: expect.stringContaining('no rustup') });
    expect(planWheelRunnerMatrix(plan, host)).toEqual({
      include: [
        { runner: 'ubuntu-24.04', platforms: 'linux-amd64', how: 'cross', sdist: true },
        { runner: 'ubuntu-24.04-arm', platforms: 'linux-arm64', how: 'native', sdist: false },
        { runner: 'macos-15-intel', platforms: 'darwin-amd64', how: 'native', sdist: false },
        { runner: 'macos-15', platforms: 'darwin-arm64', how: 'native', sdist: false },
      ],
    });
  });

  it('on macOS builds the macOS targets without zig, and the Linux ones only with it', () => {
    const withZig = planWheelBuilds(ALL, aHost({ platform: 'darwin-arm64' }));
    expect(withZig.map((s) => [s.platform, s.how, s.how === 'cross' && s.zig])).toEqual([
      ['linux-amd64', 'cross', true],
      ['linux-arm64', 'cross', true],
      ['darwin-amd64', 'cross', false],
      ['darwin-arm64', 'cross', false],
    ]);
    const noZig = planWheelBuilds(ALL, aHost({ platform: 'darwin-arm64', zig: false }));
    expect(noZig.map((s) => [s.platform, s.how])).toEqual([
      ['linux-amd64', 'native'],
      ['linux-arm64', 'native'],
      ['darwin-amd64', 'cross'],
      ['darwin-arm64', 'cross'],
    ]);
    expect(noZig[0]).toMatchObject({ runner: 'ubuntu-24.04', reason: expect.stringContaining('zig') });
  });

  it('names a target rustup does not offer for this toolchain', () => {
    const plan = planWheelBuilds(['darwin-arm64'], aHost({ addableTargets: ['x86_64-unknown-linux-gnu'] }));
    expect(plan[0]).toMatchObject({
      how: 'native',
      runner: 'macos-15',
      reason: 'rustup cannot add Rust target aarch64-apple-darwin to this toolchain',
    });
  });

  it('refuses an unknown platform, naming it', () => {
    expect(() => planWheelBuilds(['linux-amd64', 'windows-amd64'], aHost())).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', field: 'platforms', value: 'windows-amd64' }),
    );
  });
});

describe('probeBuildHost', () => {
  it('reads this machine: every target installed or addable, and zig through python3', async () => {
    const host = await probeBuildHost();
    expect(host.platform).toBe(`linux-${process.arch === 'arm64' ? 'arm64' : 'amd64'}`);
    expect(host.zig).toBe(true);
    for (const target of TARGETS) expect(host.addableTargets).toContain(target);
    // Installed ones come from rustup's own list, so the host target is there.
    expect(host.installedTargets).toContain(process.arch === 'arm64' ? TARGETS[1] : TARGETS[0]);
    expect(planWheelBuilds(ALL, host).every((step) => step.how === 'cross')).toBe(true);
  });
});

describe('resolveGitSha', () => {
  let repo: string;
  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'wheel-release-sha-'));
    const git = (...args: string[]) => execa('git', args, { cwd: repo });
    await git('init', '-q');
    await writeFile(join(repo, 'a.txt'), 'a\n');
    await git('add', '.');
    await git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'one');
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('takes HEAD of a clean checkout, refuses a dirty one unless allowed', async () => {
    const head = (await execa('git', ['rev-parse', 'HEAD'], { cwd: repo })).stdout;
    await expect(resolveGitSha({ dir: repo })).resolves.toBe(head);
    await writeFile(join(repo, 'a.txt'), 'changed\n');
    await expect(resolveGitSha({ dir: repo })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      file: repo,
      message: 'uncommitted changes in 1 file: a.txt',
      value: 'a.txt',
    });
    await expect(resolveGitSha({ dir: repo, allowDirty: true })).resolves.toBe(head);
    await expect(resolveGitSha({ dir: repo, gitSha: 'abcdef12' })).resolves.toBe('abcdef12');
  });

  it('refuses a given sha that is not hex, and a directory outside git', async () => {
    await expect(resolveGitSha({ dir: repo, gitSha: 'HEAD' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      field: 'gitSha',
      value: 'HEAD',
    });
    const outside = await mkdtemp(join(tmpdir(), 'wheel-release-nogit-'));
    try {
      await expect(resolveGitSha({ dir: outside })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        file: outside,
      });
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
