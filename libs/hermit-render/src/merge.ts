import type { HermitManifest } from './model.js';
import { createUrlVersionMatcher, normalizeManifest } from './order.js';

/**
 * Merges a freshly planned manifest into the published one. Top-level fields come from `next`; a
 * version in `next` replaces the same version in `existing`; a version only in `existing` is kept
 * with its sha256sums, because Hermit users may pin it (https://cashapp.github.io/hermit/packaging/reference/#update-policy).
 * With no `existing`, returns `next` in canonical order.
 */
export function mergeManifests(existing: HermitManifest | undefined, next: HermitManifest): HermitManifest {
  const fresh = normalizeManifest(next);
  if (existing === undefined) return fresh;
  const old = normalizeManifest(existing);
  const rebuilt = new Set(fresh.versions.map((entry) => entry.version));
  const kept = old.versions.filter((entry) => !rebuilt.has(entry.version));
  const keptVersions = new Set(kept.map((entry) => entry.version));
  // Old URLs are attributed with the old source and all old versions, so a URL of a rebuilt version
  // is never mistaken for one of a kept version.
  const versionOf = createUrlVersionMatcher(
    old.source,
    old.versions.map((entry) => entry.version),
  );
  const keptSums = Object.entries(old.sha256sums).filter(([url]) => keptVersions.has(versionOf(url) ?? ''));
  return normalizeManifest({
    ...fresh,
    versions: [...kept, ...fresh.versions],
    sha256sums: { ...Object.fromEntries(keptSums), ...fresh.sha256sums },
  });
}

/**
 * Drops the given versions, and their sha256sums, from a manifest: the only way a published version
 * leaves it (`hermit-pex remove`). Versions it does not list are ignored. Pure.
 */
export function removeVersions(manifest: HermitManifest, versions: readonly string[]): HermitManifest {
  const current = normalizeManifest(manifest);
  const gone = new Set(versions);
  const versionOf = createUrlVersionMatcher(
    current.source,
    current.versions.map((entry) => entry.version),
  );
  return normalizeManifest({
    ...current,
    versions: current.versions.filter((entry) => !gone.has(entry.version)),
    sha256sums: Object.fromEntries(
      Object.entries(current.sha256sums).filter(([url]) => !gone.has(versionOf(url) ?? '')),
    ),
  });
}
