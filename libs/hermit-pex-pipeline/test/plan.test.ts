import type { Release } from '@packyard/github-releases';
import { renderBodyBlock } from '@packyard/github-releases';
import { parsePackageConfig } from '../src/config.js';
import { planBuildInfo, planPackage, planVersions } from '@packyard/pex-builder';

const config = parsePackageConfig(
  `package: tool
binaries: [tool]
versions:
  - version: "1.0"
    python: "3.10"
  - version: 2.0.0
    python: "3.12"
`,
  'packages/tool/config.yaml',
);

const linux = { os: 'linux', arch: 'amd64' } as const;
const mac = { os: 'darwin', arch: 'arm64' } as const;

function aRelease(overrides: Partial<Release> & { tag: string }): Release {
  return {
    id: overrides.tag,
    name: overrides.tag,
    body: '',
    draft: false,
    prerelease: true,
    immutable: false,
    assets: [],
    ...overrides,
  };
}

describe('planVersions', () => {
  it('applies lower bounds in PEP 440 order, not string order', () => {
    const index = ['0.9', '1.0', '1.0.post1', '1.10.0', '1.9.0', '2.0.0rc1', '2.0.0', '10.0'];
    expect(planVersions(config.versions, index)).toEqual([
      { version: '1.0', python: '3.10' },
      { version: '1.0.post1', python: '3.10' },
      { version: '1.9.0', python: '3.10' },
      { version: '1.10.0', python: '3.10' },
      { version: '2.0.0rc1', python: '3.10' },
      { version: '2.0.0', python: '3.12' },
      { version: '10.0', python: '3.12' },
    ]);
  });
});

describe('planPackage', () => {
  const base = { config, indexVersions: ['1.0', '2.0.0'], platforms: [linux, mac], buildable: [linux] };

  it('locks, creates releases and builds only what this runner can build', () => {
    const plan = planPackage({ ...base, locked: new Set(['1.0']), releases: new Map() });
    expect(plan.map((p) => [p.version, p.actions])).toEqual([
      ['1.0', ['create-release', 'build linux-amd64', 'waiting-for-other-platforms']],
      ['2.0.0', ['lock', 'create-release', 'build linux-amd64', 'waiting-for-other-platforms']],
    ]);
  });

  it('keeps prereleases in play and leaves final releases alone', () => {
    const body = renderBodyBlock('', { build_info: planBuildInfo(config, '1.0', '3.10') });
    const releases = new Map([
      ['tool-v1.0', aRelease({ tag: 'tool-v1.0', body, prerelease: false })],
      [
        'tool-v2.0.0',
        aRelease({
          tag: 'tool-v2.0.0',
          body: renderBodyBlock('', { build_info: planBuildInfo(config, '2.0.0', '3.12') }),
          assets: [
            {
              id: '1',
              name: 'tool-linux-amd64.tar.gz',
              size: 1,
              sha256: 'ab',
              state: 'uploaded',
              downloadUrl: 'x',
            },
          ],
        }),
      ],
    ]);
    const plan = planPackage({
      ...base,
      locked: new Set(['1.0', '2.0.0']),
      releases,
      buildable: [linux, mac],
    });
    expect(plan.map((p) => [p.version, p.actions])).toEqual([
      ['1.0', ['up-to-date']],
      ['2.0.0', ['build darwin-arm64', 'publish']],
    ]);
  });

  const changed = renderBodyBlock('', { build_info: planBuildInfo(config, '1.0', '3.9') });
  const withChanged = (release: Partial<Release>) => ({
    ...base,
    locked: new Set(['1.0', '2.0.0']),
    releases: new Map([
      ['tool-v1.0', aRelease({ tag: 'tool-v1.0', body: changed, ...release })],
      ['tool-v2.0.0', aRelease({ tag: 'tool-v2.0.0', body: 'no block here', prerelease: false })],
    ]),
  });

  it('recreates an unpublished release whose build_info changed, but not one whose note is missing', () => {
    const plan = planPackage(withChanged({ prerelease: true }));
    expect(plan.map((p) => [p.version, p.actions])).toEqual([
      ['1.0', ['recreate-release', 'build linux-amd64', 'waiting-for-other-platforms']],
      ['2.0.0', ['up-to-date']],
    ]);
  });

  it('never recreates a published release: "rebuild needed" until asked', () => {
    const [plan] = planPackage(withChanged({ prerelease: false }));
    expect(plan).toMatchObject({
      actions: ['rebuild-needed'],
      note: 'python 3.9 → 3.10; bump config_version or pass --rebuild to rebuild it',
    });
  });

  it('rebuilds a published release in place when asked, unless releases are immutable', () => {
    const [asked] = planPackage({ ...withChanged({ prerelease: false }), rebuild: true });
    expect(asked).toMatchObject({
      actions: ['rebuild', 'build linux-amd64', 'waiting-for-other-platforms'],
      note: 'python 3.9 → 3.10; the old assets stay until the new ones are uploaded',
    });
    const bumped = parsePackageConfig(
      `config_version: 2\nbinaries: [tool]\nversions: [{version: "1.0", python: "3.9"}]\n`,
      'packages/tool/config.yaml',
    );
    const [byBump] = planPackage({ ...withChanged({ prerelease: false }), config: bumped });
    expect(byBump).toMatchObject({
      actions: ['rebuild', 'build linux-amd64', 'waiting-for-other-platforms'],
      note: 'config_version 1 → 2; the old assets stay until the new ones are uploaded',
    });
    const [immutable] = planPackage({
      ...withChanged({ prerelease: false }),
      rebuild: true,
      immutable: true,
    });
    expect(immutable).toMatchObject({
      actions: ['rebuild-needed'],
      note: 'python 3.9 → 3.10; releases are immutable, so a published version cannot be rebuilt',
    });
    const [elsewhere] = planPackage({
      ...withChanged({ prerelease: false }),
      rebuild: true,
      canRebuild: false,
    });
    expect(elsewhere?.note).toBe(
      'python 3.9 → 3.10; only "hermit-pex run" rebuilds a published version (it rewrites the manifest too)',
    );
  });
});
