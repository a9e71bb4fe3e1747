import { PackyardError } from './errors.js';

// The platforms packyard builds for, named as Hermit and Go name them (`linux-amd64`); PEX bundles
// and platform wheels share them, so there is one definition for both.

/** Operating systems packyard builds for (PEX bundles, platform wheels), spelled as Hermit's `${os}` spells them. */
export type PlatformOs = 'linux' | 'darwin';
/** CPU architectures packyard builds for, spelled as Hermit's `${arch}` spells them. */
export type PlatformArch = 'amd64' | 'arm64';
/** One build target: an OS and an architecture. */
export interface Platform {
  os: PlatformOs;
  arch: PlatformArch;
}

// Hermit substitutes these exact names into a manifest's `source` URL, so the tarball names must use
// them (Go's GOOS/GOARCH names): https://cashapp.github.io/hermit/packaging/schema/
/** Every platform packyard publishes for, sorted by name. */
export const ALL_PLATFORMS: readonly Platform[] = Object.freeze([
  Object.freeze({ os: 'darwin', arch: 'amd64' }),
  Object.freeze({ os: 'darwin', arch: 'arm64' }),
  Object.freeze({ os: 'linux', arch: 'amd64' }),
  Object.freeze({ os: 'linux', arch: 'arm64' }),
] as const);

const NODE_OS: Readonly<Record<string, PlatformOs>> = { linux: 'linux', darwin: 'darwin' };
const NODE_ARCH: Readonly<Record<string, PlatformArch>> = { x64: 'amd64', arm64: 'arm64' };

// Other spellings people write (uname, Python platform tags, the seed document's examples), so an
// error can say which canonical name was meant.
const OS_ALIASES: Readonly<Record<string, PlatformOs>> = { macos: 'darwin', osx: 'darwin', mac: 'darwin' };
const ARCH_ALIASES: Readonly<Record<string, PlatformArch>> = {
  x86_64: 'amd64',
  x64: 'amd64',
  aarch64: 'arm64',
};

/**
 * The platform of this machine, from Node's `process.platform` / `process.arch` names; on a machine
 * no bundle or wheel is built for natively (say, Windows) CONFIG_INVALID.
 */
export function hostPlatform(
  nodePlatform: string = process.platform,
  nodeArch: string = process.arch,
): Platform {
  const host = findHostPlatform(nodePlatform, nodeArch);
  if (host === undefined) {
    throw new PackyardError('CONFIG_INVALID', `unsupported host platform ${nodePlatform}-${nodeArch}`, {
      field: 'platform',
      value: `${nodePlatform}-${nodeArch}`,
      hint: `packyard builds natively on ${ALL_PLATFORMS.map(formatPlatform).join(', ')}`,
    });
  }
  return host;
}

/** `hostPlatform`, or undefined where it would throw. */
export function findHostPlatform(
  nodePlatform: string = process.platform,
  nodeArch: string = process.arch,
): Platform | undefined {
  const os = NODE_OS[nodePlatform];
  const arch = NODE_ARCH[nodeArch];
  return os === undefined || arch === undefined ? undefined : { os, arch };
}

/** Parses `linux-amd64` style names (Hermit's `${os}-${arch}`); anything else is CONFIG_INVALID. Pure. */
export function parsePlatform(text: string): Platform {
  const exact = ALL_PLATFORMS.find((p) => formatPlatform(p) === text);
  if (exact !== undefined) return { os: exact.os, arch: exact.arch };
  const known = ALL_PLATFORMS.map(formatPlatform).join(', ');
  const guess = guessPlatform(text);
  throw new PackyardError('CONFIG_INVALID', `unknown platform ${JSON.stringify(text)}`, {
    field: 'platform',
    value: text,
    hint: guess ? `did you mean ${guess}? platforms use Hermit's names: ${known}` : `use one of ${known}`,
  });
}

function guessPlatform(text: string): string | undefined {
  const [os, arch, ...rest] = text
    .trim()
    .toLowerCase()
    .split(/[-_/ ](?=[a-z])/);
  if (os === undefined || arch === undefined || rest.length > 0) return undefined;
  const guessOs = NODE_OS[os] ?? OS_ALIASES[os];
  const guessArch = NODE_ARCH[arch] ?? ARCH_ALIASES[arch] ?? ALL_PLATFORMS.find((p) => p.arch === arch)?.arch;
  return guessOs && guessArch ? `${guessOs}-${guessArch}` : undefined;
}

/** `linux-amd64`. Pure. */
export function formatPlatform(p: Platform): string {
  return `${p.os}-${p.arch}`;
}

/** True when both name the same platform. Pure. */
export function samePlatform(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.arch === b.arch;
}
