import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File, toPackyardError } from '@packyard/core';
import { publishObject, verifyObject, type ObjectStore, type S3ObjectStore } from '@packyard/r2-store';
import { listBundles } from './bundle.js';
import type { Context, PackageResult } from './context.js';
import { sameButDurations } from './metadata.js';

/** Options of `uploadBundles`. */
export interface UploadOptions {
  dryRun?: boolean;
  /** Replace published objects whose bytes differ (otherwise that package fails with STORE_CONFLICT). */
  replace?: boolean;
}

/**
 * upload: publishes each bundle, `.mhl` first and `.mhl.mip.json` second, so a reader never sees
 * metadata whose bundle is missing. Idempotent by digest read from the store; metadata that differs
 * only in the measured durations counts as identical. Each object is read back and its sha256 checked.
 */
export async function uploadBundles(ctx: Context, options: UploadOptions = {}): Promise<PackageResult[]> {
  const names = await listBundles(ctx.bundledDir);
  ctx.log.info(
    `Found ${names.length} bundle(s) in ${ctx.bundledDir}; store ${ctx.store.kind} ${ctx.store.location}, prefix ${ctx.prefix || '(none)'}`,
  );
  const results: PackageResult[] = [];
  if (!options.dryRun) await abortStaleUploads(ctx);
  let n = 0;
  for (const mhl of names) {
    n++;
    ctx.log.info(`[${n}/${names.length}] ${mhl}.mhl`);
    try {
      results.push(await uploadOne(ctx, mhl, options));
    } catch (error) {
      const failure = toPackyardError(error, 'STORE_FAILED');
      ctx.log.error(`  ${mhl}: ${failure.format()}`);
      results.push({ name: mhl, status: 'failed', detail: failure.format(), code: failure.code });
    }
  }
  return results;
}

/**
 * Aborts the multipart uploads left under the prefix by a run (this one's predecessor, or any) that
 * died mid-upload: their parts would otherwise stay on the bucket, billed, forever. Runs of one channel
 * are serialised (one workflow concurrency group), so nothing under the prefix is still uploading.
 */
async function abortStaleUploads(ctx: Context): Promise<void> {
  const store = ctx.store as ObjectStore & Partial<Pick<S3ObjectStore, 'abortIncompleteUploadsUnder'>>;
  if (store.kind !== 's3' || store.abortIncompleteUploadsUnder === undefined) return;
  const aborted = await store.abortIncompleteUploadsUnder(ctx.prefix);
  for (const upload of aborted) ctx.log.info(`  aborted an unfinished multipart upload of ${upload.key}`);
}

async function uploadOne(ctx: Context, mhl: string, options: UploadOptions): Promise<PackageResult> {
  const file = join(ctx.bundledDir, `${mhl}.mhl`);
  const metaFile = `${file}.mip.json`;
  const mhlKey = `${ctx.prefix}${mhl}.mhl`;
  const metaKey = `${mhlKey}.mip.json`;
  const metaText = await readFile(metaFile, 'utf8');
  if (options.dryRun) {
    const sha256 = await sha256File(file);
    const existing = await ctx.store.head(mhlKey);
    const plan =
      existing === undefined
        ? 'upload'
        : existing.sha256 === sha256
          ? 'skip (identical)'
          : options.replace
            ? 'replace'
            : 'refuse (other bytes)';
    ctx.log.info(`  ${plan}: ${ctx.store.location}/${mhlKey}, then ${metaKey}`);
    return { name: mhl, status: 'done', detail: `would ${plan}` };
  }
  const bundle = await publishObject(
    ctx.store,
    { key: mhlKey, body: { file }, contentType: 'application/zip' },
    { replace: options.replace === true },
  );
  ctx.log.info(`  ${bundle.action} ${ctx.store.location}/${mhlKey}`);

  const published = await ctx.store.get(metaKey);
  let metaAction: string;
  let metaSha: string;
  if (
    published !== undefined &&
    bundle.action === 'skipped' &&
    sameButDurations(published.toString('utf8'), metaText)
  ) {
    // Same bundle, same metadata; only a rebuild's measured durations differ.
    metaAction = 'skipped';
    metaSha = (await ctx.store.head(metaKey))?.sha256 ?? '';
    await verifyObject(ctx.store, metaKey, metaSha);
  } else {
    const meta = await publishObject(
      ctx.store,
      { key: metaKey, body: { bytes: metaText }, contentType: 'application/json' },
      { replace: options.replace === true || bundle.action === 'replaced' },
    );
    metaAction = meta.action;
    metaSha = meta.sha256;
    await verifyObject(ctx.store, metaKey, metaSha);
  }
  ctx.log.info(`  ${metaAction} ${ctx.store.location}/${metaKey}`);
  // Check after publishing: what the store serves is what was built.
  await verifyObject(ctx.store, mhlKey, bundle.sha256);
  const uploaded = bundle.action !== 'skipped' || metaAction !== 'skipped';
  return {
    name: mhl,
    status: uploaded ? 'done' : 'skipped',
    detail: `${bundle.action} .mhl, ${metaAction} .mhl.mip.json`,
  };
}
