import { PackyardError, mapConcurrent, writeFileAtomically } from '@packyard/core';
import Handlebars from 'handlebars';
import { join } from 'node:path';
import type { Context, PackageResult } from './context.js';

/** One entry of index.json: the published metadata with its public URLs. */
export type IndexEntry = Record<string, unknown> & {
  name: string;
  version: string;
  mhl_url: string;
  mip_json_url: string;
};

/** index.json. */
export interface PackageIndex {
  packages: IndexEntry[];
  total_packages: number;
  last_updated: string;
  /** The oldest mip client the channel supports (read by today's client), when set. */
  min_mip_version?: string;
}

/** Options of `assembleIndex`. */
export interface IndexOptions {
  /** Leave out metadata objects that cannot be read or parsed (reported either way). */
  skipInvalid?: boolean;
  /** Written as index.json's top-level `min_mip_version`. */
  minMipVersion?: string;
}

function compareVersions(a: string, b: string): number {
  // Numeric-aware: 1.10 sorts after 1.9.
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Orders entries by name, then version (numeric-aware), then build_number, then .mhl name, and
 * computes last_updated as the newest timestamp among them, so the same bucket gives the same file. Pure.
 */
export function planIndex(entries: IndexEntry[]): PackageIndex {
  const sorted = [...entries].sort(
    (a, b) =>
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
      compareVersions(a.version, b.version) ||
      Number(a['build_number'] ?? 0) - Number(b['build_number'] ?? 0) ||
      (a.mhl_url < b.mhl_url ? -1 : a.mhl_url > b.mhl_url ? 1 : 0),
  );
  const stamps = sorted
    .map((e) => String(e['timestamp'] ?? ''))
    .filter(Boolean)
    .sort();
  return {
    packages: sorted,
    total_packages: sorted.length,
    last_updated: stamps[stamps.length - 1] ?? new Date(0).toISOString(),
  };
}

const PAGE = Handlebars.compile(
  `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>MATLAB packages</title>
</head>
<body>
<h1>MATLAB packages</h1>
<p>{{total}} package(s), last updated {{lastUpdated}}. Machine-readable: <a href="index.json">index.json</a>.</p>
<table>
<thead><tr><th>Name</th><th>Version</th><th>Description</th><th>Platform</th><th>Usage</th><th>Bundle</th></tr></thead>
<tbody>
{{#each packages}}
<tr><td>{{name}}</td><td>{{version}}</td><td>{{description}}</td><td>{{platform}}</td><td>{{#each usage}}<pre>{{this}}</pre>{{/each}}</td><td><a href="{{mhl_url}}">{{file}}</a> <code>{{sha256}}</code></td></tr>
{{/each}}
</tbody>
</table>
</body>
</html>
`,
  { strict: false },
);

/** packages.html: one table row per package; every value is HTML-escaped by handlebars. Pure. */
export function renderPackagesHtml(index: PackageIndex): string {
  return PAGE({
    total: index.total_packages,
    lastUpdated: index.last_updated,
    packages: index.packages.map((p) => ({
      name: p.name,
      version: p.version,
      description: String(p['description'] ?? ''),
      platform: `${String(p['matlab_tag'] ?? '')}/${String(p['abi_tag'] ?? '')}/${String(p['platform_tag'] ?? '')}`,
      usage: Array.isArray(p['usage_examples']) ? p['usage_examples'].map(String) : [],
      mhl_url: p.mhl_url,
      file: p.mhl_url.split('/').pop(),
      sha256: String(p['sha256'] ?? ''),
    })),
  });
}

/**
 * index: lists every `.mhl.mip.json` under the prefix (paged), fetches them concurrently, reads back
 * every bundle they name and checks its sha256, fills mhl_url / mip_json_url from the public base URL
 * and the fields today's mip client reads (`mhl_sha256`, `architecture`, `min_mip_version`), and only
 * then replaces index.json and packages.html (atomically: the old index serves until then).
 * A metadata object that cannot be read or parsed is reported by key; the run fails unless `skipInvalid`.
 */
export async function assembleIndex(ctx: Context, options: IndexOptions = {}): Promise<PackageResult[]> {
  ctx.log.info(`Listing ${ctx.store.location}/${ctx.prefix}`);
  const keys: string[] = [];
  for await (const object of ctx.store.list(ctx.prefix)) {
    if (object.key.endsWith('.mhl.mip.json')) keys.push(object.key);
  }
  ctx.log.info(`  found ${keys.length} .mip.json file(s)`);
  const base = ctx.baseUrl.replace(/\/+$/, '');
  const fetched = await mapConcurrent(keys, ctx.concurrency, async (key) => {
    const bytes = await ctx.store.get(key);
    if (bytes === undefined)
      throw new PackyardError('STORE_FAILED', 'disappeared while the index was read', { value: key });
    let data: unknown;
    try {
      data = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      throw new PackyardError('STORE_FAILED', `is not valid JSON: ${(error as Error).message}`, {
        value: key,
        cause: error,
      });
    }
    if (
      data === null ||
      typeof data !== 'object' ||
      typeof (data as IndexEntry).name !== 'string' ||
      typeof (data as IndexEntry).version !== 'string'
    ) {
      throw new PackyardError('STORE_FAILED', 'has no string name and version', { value: key });
    }
    const entry = data as IndexEntry & { sha256?: unknown; mhl_key?: unknown; platform_tag?: unknown };
    const rel = key.slice(ctx.prefix.length);
    const mhl = typeof entry.mhl_key === 'string' ? entry.mhl_key : rel.slice(0, -'.mip.json'.length);
    if (typeof entry.sha256 !== 'string') {
      throw new PackyardError('STORE_FAILED', 'has no sha256 of its bundle', { value: key });
    }
    // Every bundle the index names must be there with the digest the index gives: read back from the
    // store (the digest recorded with the object; upload read its bytes back before naming it).
    const bundle = await ctx.store.head(`${ctx.prefix}${mhl}`);
    if (bundle?.sha256 !== entry.sha256) {
      throw new PackyardError(
        'VERIFY_FAILED',
        bundle === undefined
          ? `names ${ctx.prefix}${mhl}, which is not in the store`
          : `names ${ctx.prefix}${mhl} with sha256 ${entry.sha256}, but the store holds ${bundle.sha256 || 'an object with no recorded digest'}`,
        { value: key },
      );
    }
    return {
      ...entry,
      mhl_sha256: entry.sha256,
      architecture: entry['architecture'] ?? entry.platform_tag,
      mhl_url: `${base}/${mhl}`,
      mip_json_url: `${base}/${rel}`,
    };
  });
  const results: PackageResult[] = [];
  const entries: IndexEntry[] = [];
  fetched.forEach((r, i) => {
    if (r.status === 'fulfilled') entries.push(r.value);
    else {
      const message = r.reason instanceof Error ? r.reason.message : String(r.reason);
      ctx.log.error(`  ${keys[i]}: ${message}`);
      results.push({
        name: keys[i]!,
        status: options.skipInvalid ? 'skipped' : 'failed',
        detail: message,
        code: 'STORE_FAILED',
      });
    }
  });
  if (results.some((r) => r.status === 'failed')) {
    ctx.log.error(
      'index.json not written: some metadata could not be read (pass --skip-invalid to leave them out)',
    );
    return results;
  }
  const index: PackageIndex = planIndex(entries);
  if (options.minMipVersion !== undefined) index.min_mip_version = options.minMipVersion;
  const indexPath = join(ctx.pagesDir, 'index.json');
  await writeFileAtomically(indexPath, `${JSON.stringify(index, null, 2)}\n`);
  await writeFileAtomically(join(ctx.pagesDir, 'packages.html'), renderPackagesHtml(index));
  ctx.log.info(`Created index.json with ${index.total_packages} package(s): ${indexPath}`);
  results.push({ name: 'index.json', status: 'done', detail: `${index.total_packages} package(s)` });
  return results;
}
