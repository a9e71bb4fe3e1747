import type { HermitManifest } from '../src/index.js';

const AIDER_SOURCE =
  'https://github.com/vgijssel/hermit-python-packages/releases/download/aider-chat-v${version}/aider-chat-${os}-${arch}.tar.gz';

/** The manifest from shared/seeds/hermit-pex-prompts.md, "Generate Hermit manifest". */
export function aiderChat(): HermitManifest {
  return {
    description: 'Python tool aider-chat packaged as PEX',
    binaries: ['aider'],
    test: 'aider --help',
    repository: 'https://github.com/vgijssel/hermit-python-packages',
    source: AIDER_SOURCE,
    versions: [{ version: '0.83.1', runtimeDependencies: ['python3@3.10'] }],
    sha256sums: {
      'https://github.com/vgijssel/hermit-python-packages/releases/download/aider-chat-v0.83.1/aider-chat-darwin-arm64.tar.gz':
        '19c37932226e469e01ebdf1e9494ba41e1da9ce48f3f07f40a13ecc491321174',
      'https://github.com/vgijssel/hermit-python-packages/releases/download/aider-chat-v0.83.1/aider-chat-darwin-amd64.tar.gz':
        'e92e585f2c587b7c6f28984b52ada93aebac8439e8cb4d100eedf947a90147c8',
    },
  };
}

const MULTI_SOURCE = 'https://example.com/black/${version}/black-${version}-${os}-${arch}.tar.gz';

/** A URL of the multi-version fixture. */
export function multiUrl(version: string, os: string, arch: string): string {
  return MULTI_SOURCE.replaceAll('${version}', version).replace('${os}', os).replace('${arch}', arch);
}

/** Versions whose string order is not their PEP 440 order, given shuffled, one given twice. */
export function multiVersion(): HermitManifest {
  const versions = ['2.0', '1.0', '0.10.0', '1.0.post1', '0.9.0', '1.0rc1'];
  const sha256sums: Record<string, string> = {
    'https://example.com/unrelated/notes.txt': 'f'.repeat(64),
  };
  for (const [index, version] of [...versions].reverse().entries()) {
    sha256sums[multiUrl(version, 'linux', 'amd64')] = digest(index, 'a');
    sha256sums[multiUrl(version, 'darwin', 'arm64')] = digest(index, 'b');
  }
  return {
    description: 'The uncompromising Python code formatter',
    binaries: ['black', 'blackd'],
    source: MULTI_SOURCE,
    versions: [
      ...versions.map((version) => ({ version, runtimeDependencies: ['python3@3.11'] })),
      { version: '1.0', runtimeDependencies: ['python3@3.12'] },
    ],
    sha256sums,
  };
}

/** Every character that can break out of, or change the meaning of, a quoted HCL string. */
export const HOSTILE_STRINGS = [
  'He said "hi"',
  'C:\\path\\to\\bin\\',
  'line one\nline two\r\nline three',
  'tab\there',
  'home is ${HOME}',
  'dollar-dollar $${HOME} and $$${x} and $$$$',
  '%{ if true }yes%{ endif } and %%{ x }',
  'lonely $ and % and { and }',
  'ends with $',
  'unicode: héllo wörld ✓ 日本語 🐍',
  'control: \u0000 \u0007 \u001b[31m \u007f',
  '\\"${\\',
  '" injected = "true',
];

/** Hostile strings in every field the model has, and a source with literal `${HOME}` and `%{`. */
export function hostile(): HermitManifest {
  const source = 'https://example.com/dl/${version}/tool-${os}-${arch}.tar.gz?home=${HOME}&t=%{x}&q="\\';
  return {
    description: HOSTILE_STRINGS.join(' | '),
    binaries: ['bin/"quoted"', 'bin/${HOME}', 'bin\\back'],
    test: 'echo "${HOME}" && printf \'%{x}\\n\'',
    repository: 'https://example.com/repo?q="a"&b=${c}',
    source,
    versions: [{ version: '1.0', runtimeDependencies: ['python3@3.11', 'odd "dep" ${x}'] }],
    sha256sums: {
      [source.replace('${version}', '1.0').replace('${os}', 'linux').replace('${arch}', 'amd64')]: digest(
        1,
        'c',
      ),
    },
  };
}

function digest(index: number, fill: string): string {
  return `${index.toString(16).padStart(2, '0')}${fill.repeat(62)}`;
}

const PARTIAL_SOURCE = 'https://example.com/releases/tool-v${version}/tool-${os}-${arch}.tar.gz';

/** A URL of the partial-platforms fixture. */
export function partialUrl(version: string, platform: string): string {
  return PARTIAL_SOURCE.replace('${version}', version).replace('${os}-${arch}', platform);
}

/**
 * Runs that built only some platforms: 1.0 for linux-amd64 and darwin-arm64, 1.1 for those and
 * linux-arm64, 2.0 for every platform (so it lists none).
 */
export function partialPlatforms(): HermitManifest {
  const versions: Record<string, string[] | undefined> = {
    '1.0': ['linux-amd64', 'darwin-arm64'],
    '1.1': ['linux-arm64', 'darwin-arm64', 'linux-amd64'],
    '2.0': undefined,
  };
  const sha256sums: Record<string, string> = {};
  let index = 0;
  for (const [version, platforms] of Object.entries(versions)) {
    for (const platform of platforms ?? ['darwin-amd64', 'darwin-arm64', 'linux-amd64', 'linux-arm64']) {
      sha256sums[partialUrl(version, platform)] = digest((index += 1), 'd');
    }
  }
  return {
    description: 'A tool built for some platforms only',
    binaries: ['tool'],
    source: PARTIAL_SOURCE,
    versions: Object.entries(versions).map(([version, platforms]) => ({
      version,
      runtimeDependencies: ['python3@3.12'],
      ...(platforms === undefined ? {} : { platforms }),
    })),
    sha256sums,
  };
}
