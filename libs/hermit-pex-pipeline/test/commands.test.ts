import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, PackyardError } from '@packyard/core';
import {
  chooseReleaseMode,
  exitCodeForReports,
  openReleaseStore,
  parseBuildPlatforms,
  parsePlatformList,
  parseReleaseMode,
  planRunnerMatrix,
  renderSummary,
  stepsForCommand,
  type PackageReport,
} from '@packyard/hermit-pex-pipeline';

const linuxAmd64 = { os: 'linux', arch: 'amd64' } as const;
const darwinArm64 = { os: 'darwin', arch: 'arm64' } as const;
const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A report with one version in the given state. */
function aReport(version: { published: boolean; error?: PackyardError; lacks?: string[] }): PackageReport {
  return {
    name: 'tool',
    dir: '/packages/tool',
    error: undefined,
    versions: [
      {
        version: '1.0',
        published: version.published,
        error: version.error,
        lacks: version.lacks ?? [],
        performed: [],
      },
    ],
    plan: [{ version: '1.0', actions: ['publish'] }] as unknown as PackageReport['plan'],
    splits: new Map([['1.0', { build: [linuxAmd64], elsewhere: [darwinArm64] }]]),
  };
}

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return error instanceof PackyardError ? error.code : 'not a PackyardError';
  }
  return undefined;
};

describe('the commands', () => {
  it('run state first, then their steps', () => {
    expect(stepsForCommand('run')).toEqual([
      'state',
      'requirements',
      'releases',
      'pex',
      'publish',
      'manifest',
    ]);
    expect(stepsForCommand('finalise')).toEqual(['state', 'publish', 'manifest']);
    expect(stepsForCommand('plan')).toEqual(['state']);
    expect(stepsForCommand('pex')).toEqual(['state', 'pex']);
  });

  it('exit pending from finalise while a version lacks something, and config when every failure is one', () => {
    expect(exitCodeForReports([aReport({ published: false, lacks: ['darwin-arm64'] })], 'finalise')).toBe(
      EXIT.pending,
    );
    expect(exitCodeForReports([aReport({ published: false })], 'pex')).toBe(EXIT.ok);
    const bad = new PackyardError('CONFIG_INVALID', 'bad');
    expect(exitCodeForReports([aReport({ published: false, error: bad })], 'finalise')).toBe(EXIT.config);
    expect(renderSummary([aReport({ published: false, lacks: ['darwin-arm64'] })], false)).toBe(
      'tool 1.0: pending (lacks darwin-arm64)\n',
    );
  });

  it("add a platform's own runner only for what this host cannot cross-build", () => {
    expect(planRunnerMatrix([aReport({ published: false })], linuxAmd64)).toEqual({
      include: [
        { runner: 'ubuntu-24.04', platforms: 'auto' },
        { runner: 'macos-15', platforms: 'native' },
      ],
    });
  });
});

describe('the set-up', () => {
  it('checks --mode first, and refuses prerelease with immutable releases', () => {
    expect(codeOf(() => parseReleaseMode('final'))).toBe('USAGE');
    expect(parseReleaseMode(undefined)).toBe('auto');
    expect(chooseReleaseMode('auto', true)).toBe('draft');
    expect(chooseReleaseMode('auto', false)).toBe('prerelease');
    expect(codeOf(() => chooseReleaseMode('prerelease', true))).toBe('CONFIG_INVALID');
  });

  it('reads platform lists', () => {
    expect(parsePlatformList(undefined)).toHaveLength(4);
    expect(parsePlatformList('linux-amd64, darwin-arm64')).toEqual([linuxAmd64, darwinArm64]);
    expect(parseBuildPlatforms(undefined)).toBe('auto');
    expect(parseBuildPlatforms('native')).toBe('native');
    expect(codeOf(() => parsePlatformList('linux-sparc'))).toBe('CONFIG_INVALID');
  });

  it('opens the local store under the root, and refuses GitHub without a token', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hermit-pex-setup-'));
    const local = await openReleaseStore({ root, env: {}, writeCache: false, log });
    expect(local.location).toContain(join(root, 'dist/releases'));
    await expect(
      openReleaseStore({ root, repo: 'owner/name', env: {}, writeCache: false, log }),
    ).rejects.toMatchObject({ code: 'AUTH_MISSING' });
  });
});
