import { PackyardError } from '@packyard/core';

/** Operating systems a bundle is built for, spelled as Hermit's `${os}` spells them. */
export type PlatformOs = 'linux' | 'darwin';
/** CPU architectures a bundle is built for, spelled as Hermit's `${arch}` spells them. */
export type PlatformArch = 'amd64' | 'arm64';
/** One build target: an OS and an architecture. */
export interface Platform {
  os: PlatformOs;
  arch: PlatformArch;
}

// Hermit substitutes these exact names into a manifest's `source` URL, so the tarball names must use
// them (Go's GOOS/GOARCH names): https://cashapp.github.io/hermit/packaging/schema/
/** Every platform a bundle is published for, sorted by name. */
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

/** The platform of this machine, from Node's `process.platform` / `process.arch` names. */
export function hostPlatform(
  nodePlatform: string = process.platform,
  nodeArch: string = process.arch,
): Platform {
  const os = NODE_OS[nodePlatform];
  const arch = NODE_ARCH[nodeArch];
  if (os === undefined || arch === undefined) {
    throw new PackyardError('CONFIG_INVALID', `unsupported host platform ${nodePlatform}-${nodeArch}`, {
      field: 'platform',
      value: `${nodePlatform}-${nodeArch}`,
      hint: `PEX bundles are built on ${ALL_PLATFORMS.map(formatPlatform).join(', ')}`,
    });
  }
  return { os, arch };
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

// A PEP 508 distribution name (https://peps.python.org/pep-0508/#names); it also never contains
// a path separator, so it is safe in a file name.
const PACKAGE_NAME = /^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/;

/** Throws CONFIG_INVALID unless `name` is a PEP 508 distribution name. Pure. */
export function checkPackageName(name: string): string {
  if (!PACKAGE_NAME.test(name)) {
    throw new PackyardError('CONFIG_INVALID', `${JSON.stringify(name)} is not a valid Python package name`, {
      field: 'package',
      value: name,
      hint: 'see https://peps.python.org/pep-0508/#names (letters, digits, ".", "_", "-")',
    });
  }
  return name;
}

/** `${pkg}-${os}-${arch}.pex`. Pure. */
export function pexFileName(pkg: string, p: Platform): string {
  return `${checkPackageName(pkg)}-${p.os}-${p.arch}.pex`;
}

/** `${pkg}-${os}-${arch}.tar.gz`: the asset name Hermit's manifest `source` points at. Pure. */
export function tarballName(pkg: string, p: Platform): string {
  return `${checkPackageName(pkg)}-${p.os}-${p.arch}.tar.gz`;
}
