import { createLocalReleaseStore, type Release, type ReleaseAsset } from '@packyard/github-releases';
import { renderManifest } from '@packyard/hermit-render';
import { parsePackageConfig } from '../src/config.js';
import { planManifest } from '../src/plan.js';

const config = parsePackageConfig(
  `package: tool
binaries: [tool]
versions:
  - version: "1.0"
    python: "3.12"
`,
  'packages/tool/config.yaml',
);
const store = createLocalReleaseStore({ dir: '/srv/releases' });

function anAsset(name: string, digit: string): ReleaseAsset {
  return { id: name, name, size: 1, sha256: digit.repeat(64), state: 'uploaded', downloadUrl: name };
}

function aPublishedRelease(version: string, platforms: string[]): Release {
  return {
    id: version,
    tag: `tool-v${version}`,
    name: `tool-v${version}`,
    body: '',
    draft: false,
    prerelease: false,
    immutable: false,
    assets: [
      ...platforms.map((p, i) => anAsset(`tool-${p}.tar.gz`, String(i + 1))),
      anAsset('checksums.txt', 'c'),
    ],
  };
}

describe('planManifest', () => {
  it('gives each version the platforms its release has tarballs for, and no others', () => {
    const manifest = planManifest({ store }, { name: 'tool', config }, [
      aPublishedRelease('1.0', ['linux-amd64']),
      aPublishedRelease('1.1', ['linux-amd64', 'darwin-arm64', 'darwin-amd64', 'linux-arm64']),
    ]);
    expect(manifest.versions.map((v) => [v.version, [...(v.platforms ?? [])].sort()])).toEqual([
      ['1.0', ['linux-amd64']],
      ['1.1', ['darwin-amd64', 'darwin-arm64', 'linux-amd64', 'linux-arm64']],
    ]);
    const text = renderManifest(manifest);
    // 1.0 exists only for linux-amd64, so no source claims darwin or arm64 for it.
    expect(text).not.toMatch(/^source = /m);
    expect(text).toContain('platform "linux" "amd64" {');
    expect(text).toMatch(/version "1\.0" \{\n {2}runtime-dependencies = \["python3@3\.12"\]\n\}/);
    expect(text.match(/platform "\w+" "\w+"/g)).toEqual([
      'platform "linux" "amd64"',
      'platform "darwin" "amd64"',
      'platform "darwin" "arm64"',
      'platform "linux" "arm64"',
    ]);
  });

  it('keeps the single top-level source when every version has every platform', () => {
    const all = ['darwin-amd64', 'darwin-arm64', 'linux-amd64', 'linux-arm64'];
    const text = renderManifest(
      planManifest({ store }, { name: 'tool', config }, [aPublishedRelease('1.0', all)]),
    );
    expect(text).toMatch(
      /^source = "file:\/\/\/srv\/releases\/tool-v\$\{version\}\/assets\/tool-\$\{os\}-\$\{arch\}\.tar\.gz"$/m,
    );
    expect(text).not.toContain('platform "');
  });
});
