import { join } from 'node:path';
import { PackyardError, mapConcurrent, writeFileAtomically } from '@packyard/core';
import { planIndex, renderPackagesHtml, type IndexEntry, type PackageIndex } from '../index-json.js';
import type { Context, PackageResult } from '../types.js';

/** Options of `assembleIndex`. */
export interface IndexOptions {
  /** Leave out metadata objects that cannot be read or parsed (reported either way). */
  skipInvalid?: boolean;
  /** Written as index.json's top-level `min_mip_version`. */
  minMipVersion?: string;
}

/**
 * index: lists every `.mhl.mip.json` under the prefix (paged), fetches them concurrently, reads back
 * every bundle they name and checks its sha256, fills mhl_url / mip_json_url from the public base URL
 * and the fields today's mip client reads (`mhl_sha256`, `architecture`, `min_mip_version`), and only
 * then replaces index.json and packages.html (atomically: the old index serves until then).
 * A metadata object that cannot be read or parsed is reported by key; the run fails unless `skipInvalid`.
 */
export async function assembleIndex(
  ctx: Pick<Context, 'store' | 'prefix' | 'baseUrl' | 'pagesDir' | 'concurrency' | 'log'>,
  options: IndexOptions = {},
): Promise<PackageResult[]> {
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
