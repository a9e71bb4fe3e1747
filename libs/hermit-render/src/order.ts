import { compare as comparePep440, valid as validPep440 } from '@renovatebot/pep440';
import { PackyardError } from '@packyard/core';
import { HERMIT_PLATFORMS, type HermitManifest, type HermitVersion } from './model.js';

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const PLATFORM = /^[a-z0-9]+-[a-z0-9]+$/;

/**
 * PEP 440 order (https://peps.python.org/pep-0440/#summary-of-permitted-suffixes-and-relative-ordering),
 * so `1.0rc1 < 1.0 < 1.0.post1` and `0.9 < 0.10`. Ties between equal spellings (`1.0`, `1.0.0`) and
 * strings that are not PEP 440 at all (sorted last) fall back to code-unit order, so output is stable.
 */
export function compareVersions(a: string, b: string): number {
  const aValid = validPep440(a) !== null;
  const bValid = validPep440(b) !== null;
  if (aValid && bValid) {
    const byPep440 = comparePep440(a, b);
    if (byPep440 !== 0) return byPep440;
  } else if (aValid !== bValid) {
    return aValid ? -1 : 1;
  }
  return compareStrings(a, b);
}

/** Code-unit order: unlike localeCompare it is the same on every machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Returns a function naming the version a download URL belongs to: the URL must equal `source` with
 * `${version}` replaced by one of `versions` and `${os}` / `${arch}` by a Go GOOS / GOARCH-like word.
 */
export function createUrlVersionMatcher(
  source: string,
  versions: string[],
): (url: string) => string | undefined {
  const pieces = source.split(/(\$\{(?:version|os|arch)\})/);
  if (versions.length === 0 || !pieces.includes('${version}')) return () => undefined;
  // Longest first, so that when two versions could both fit (`1.0` and `1.0.post1`) the regex engine
  // commits to the more specific one; the anchors make real collisions impossible for sane sources.
  const alternatives = [...new Set(versions)]
    .sort((a, b) => b.length - a.length || compareStrings(a, b))
    .map(escapeRegExp)
    .join('|');
  const seen = new Set<string>();
  const body = pieces
    .map((piece, index) => {
      if (index % 2 === 0) return escapeRegExp(piece);
      const name = piece.slice(2, -1);
      if (seen.has(name)) return `\\k<${name}>`;
      seen.add(name);
      return name === 'version' ? `(?<version>${alternatives})` : `(?<${name}>[A-Za-z0-9_]+)`;
    })
    .join('');
  const pattern = new RegExp(`^${body}$`);
  return (url) => pattern.exec(url)?.groups?.['version'];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * The canonical form of a manifest: versions deduplicated (a later duplicate wins) and in PEP 440
 * order, sha256sums ordered by (version, URL) with URLs that match no version last, empty optional
 * strings dropped. Every output of this library goes through it, which makes rendering deterministic.
 */
export function normalizeManifest(manifest: HermitManifest, file?: string): HermitManifest {
  validateManifest(manifest, file);
  const byVersion = new Map<string, HermitVersion>();
  for (const entry of manifest.versions) {
    const platforms = normalizePlatforms(entry.platforms);
    byVersion.set(entry.version, {
      version: entry.version,
      runtimeDependencies: [...entry.runtimeDependencies],
      ...(platforms === undefined ? {} : { platforms }),
    });
  }
  const versions = [...byVersion.values()].sort((a, b) => compareVersions(a.version, b.version));
  const rank = new Map(versions.map((entry, index) => [entry.version, index]));
  const versionOf = createUrlVersionMatcher(
    manifest.source,
    versions.map((entry) => entry.version),
  );
  const sums = Object.entries(manifest.sha256sums)
    .map(([url, sha256]) => ({
      url,
      sha256,
      rank: rank.get(versionOf(url) ?? '') ?? Number.POSITIVE_INFINITY,
    }))
    .sort((a, b) => (a.rank === b.rank ? compareStrings(a.url, b.url) : a.rank - b.rank));

  const out: HermitManifest = {
    description: manifest.description,
    binaries: [...manifest.binaries],
    source: manifest.source,
    versions,
    sha256sums: Object.fromEntries(sums.map(({ url, sha256 }) => [url, sha256])),
  };
  if (manifest.test) out.test = manifest.test;
  if (manifest.repository) out.repository = manifest.repository;
  return out;
}

/**
 * A version's platforms in canonical form: deduplicated and sorted, or undefined when they are every
 * platform Hermit supports (the default, which a top-level `source` expresses).
 */
export function normalizePlatforms(platforms: readonly string[] | undefined): string[] | undefined {
  if (platforms === undefined) return undefined;
  const unique = [...new Set(platforms)].sort(compareStrings);
  return HERMIT_PLATFORMS.every((p) => unique.includes(p)) && unique.length === HERMIT_PLATFORMS.length
    ? undefined
    : unique;
}

/** The platforms a version has downloads for (every Hermit platform when it does not say). */
export function platformsOf(entry: HermitVersion): readonly string[] {
  return entry.platforms ?? HERMIT_PLATFORMS;
}

function validateManifest(manifest: HermitManifest, file: string | undefined): void {
  const fail = (field: string, message: string, value: unknown): never => {
    throw new PackyardError('CONFIG_INVALID', message, { file, field, value });
  };
  if (typeof manifest.description !== 'string') fail('description', 'must be a string', manifest.description);
  if (typeof manifest.source !== 'string' || manifest.source === '') {
    fail('source', 'must be a non-empty URL', manifest.source);
  }
  if (!Array.isArray(manifest.binaries) || manifest.binaries.some((item) => typeof item !== 'string')) {
    fail('binaries', 'must be a list of strings', manifest.binaries);
  }
  for (const [index, entry] of manifest.versions.entries()) {
    if (typeof entry.version !== 'string' || entry.version.trim() === '') {
      fail(`versions[${index}].version`, 'must be a non-empty string', entry.version);
    }
    if (
      !Array.isArray(entry.runtimeDependencies) ||
      entry.runtimeDependencies.some((d) => typeof d !== 'string')
    ) {
      fail(`versions[${index}].runtimeDependencies`, 'must be a list of strings', entry.runtimeDependencies);
    }
    if (entry.platforms !== undefined) {
      if (!Array.isArray(entry.platforms)) {
        fail(`versions[${index}].platforms`, 'must be a list of <os>-<arch> platforms', entry.platforms);
      }
      for (const platform of entry.platforms) {
        if (typeof platform !== 'string' || !PLATFORM.test(platform)) {
          fail(`versions[${index}].platforms`, 'must be <os>-<arch> platforms such as linux-amd64', platform);
        }
      }
    }
  }
  for (const [url, sha256] of Object.entries(manifest.sha256sums)) {
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
      fail(`sha256sums["${url}"]`, 'must be a sha256 digest (64 hex characters)', sha256);
    }
  }
}
