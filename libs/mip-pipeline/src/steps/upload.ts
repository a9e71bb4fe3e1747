import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PackyardError } from '@packyard/core';
import { publishObject, verifyObject, type ObjectStore, type S3ObjectStore } from '@packyard/r2-store';
import { listBundles, metadataKey } from '../layout.js';
import type { PublishedMetadata } from '../metadata.js';
import { planMetadataUpload, type MetadataAction } from '../plan.js';
import type { Context, PackageResult } from '../types.js';
import { forEachPackage } from './each.js';

/** Options of `uploadBundles`. */
export interface UploadOptions {
  dryRun?: boolean;
  /** Replace published objects whose bytes differ (otherwise that package fails with STORE_CONFLICT). */
  replace?: boolean;
}

/**
 * upload: publishes each bundle under its content-addressed key (`sha256/<digest>/<mhl>.mhl`,
 * create-only) and reads it back, then its `<mhl>.mhl.mip.json` (which names that key), so no
 * metadata ever names a missing or different bundle. Metadata that differs only in the measured
 * durations counts as identical; other content under a published name is refused unless `replace`.
 */
export async function uploadBundles(ctx: Context, options: UploadOptions = {}): Promise<PackageResult[]> {
  const names = await listBundles(ctx.bundledDir);
  ctx.log.info(
    `Found ${names.length} bundle(s) in ${ctx.bundledDir}; store ${ctx.store.kind} ${ctx.store.location}, prefix ${ctx.prefix || '(none)'}`,
  );
  if (!options.dryRun) await abortStaleUploads(ctx);
  return forEachPackage(
    ctx,
    names,
    { label: 'upload', describe: (mhl) => ({ name: mhl, line: `${mhl}.mhl` }), failureCode: 'STORE_FAILED' },
    (mhl) => uploadOne(ctx, mhl, options),
  );
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

/** How a dry run names each metadata action. */
const DRY_RUN_WORDS: Readonly<Record<MetadataAction, string>> = {
  write: 'write',
  skip: 'skip (identical)',
  replace: 'replace',
  refuse: 'refuse (other content)',
};

async function uploadOne(ctx: Context, mhl: string, options: UploadOptions): Promise<PackageResult> {
  const file = join(ctx.bundledDir, `${mhl}.mhl`);
  const metaFile = `${file}.mip.json`;
  const metaText = await readFile(metaFile, 'utf8');
  const { mhl_key: relativeKey } = JSON.parse(metaText) as Partial<PublishedMetadata>;
  if (typeof relativeKey !== 'string' || relativeKey === '') {
    throw new PackyardError('BUILD_FAILED', 'has no mhl_key (bundled by an older mip-publish)', {
      file: metaFile,
      field: 'mhl_key',
      value: relativeKey,
      hint: 'run the bundle step again',
    });
  }
  // The bundle's key holds its digest: written once, never overwritten, so a key never changes bytes.
  const mhlKey = `${ctx.prefix}${relativeKey}`;
  const metaKey = metadataKey(ctx.prefix, mhl);
  if (options.dryRun) {
    const existing = await ctx.store.head(mhlKey);
    const published = await ctx.store.get(metaKey);
    const metaPlan =
      DRY_RUN_WORDS[planMetadataUpload(published?.toString('utf8'), metaText, options.replace === true)];
    ctx.log.info(
      `  ${existing === undefined ? 'upload' : 'skip (present)'}: ${ctx.store.location}/${mhlKey}; ${metaPlan}: ${metaKey}`,
    );
    return { name: mhl, status: 'done', detail: `would ${metaPlan} the metadata` };
  }
  const bundle = await publishObject(
    ctx.store,
    { key: mhlKey, body: { file }, contentType: 'application/zip' },
    { replace: false },
  );
  // Read back before anything points at it.
  await verifyObject(ctx.store, mhlKey, bundle.sha256);
  ctx.log.info(`  ${bundle.action} ${ctx.store.location}/${mhlKey}`);

  const published = await ctx.store.get(metaKey);
  let metaAction: string;
  if (planMetadataUpload(published?.toString('utf8'), metaText, options.replace === true) === 'skip') {
    // Same bundle, same metadata; only a rebuild's measured durations differ.
    metaAction = 'skipped';
    // The digest comes from the store a moment before: a mismatch means another run replaced it.
    await verifyObject(ctx.store, metaKey, (await ctx.store.head(metaKey))?.sha256 ?? '').catch(
      (error: unknown) => {
        throw replacedByAnotherRun(error, metaKey);
      },
    );
  } else {
    const meta = await publishObject(
      ctx.store,
      { key: metaKey, body: { bytes: metaText }, contentType: 'application/json' },
      { replace: options.replace === true },
    );
    metaAction = meta.action;
    await verifyObject(ctx.store, metaKey, meta.sha256).catch((error: unknown) => {
      // Another run replaced it in between (its own bundle is intact under its own key): say so.
      throw options.replace === true ? replacedByAnotherRun(error, metaKey) : error;
    });
  }
  ctx.log.info(`  ${metaAction} ${ctx.store.location}/${metaKey}`);
  const uploaded = bundle.action !== 'skipped' || metaAction !== 'skipped';
  return {
    name: mhl,
    status: uploaded ? 'done' : 'skipped',
    detail: `${bundle.action} .mhl, ${metaAction} .mhl.mip.json`,
  };
}

/** A read-back that found other bytes under `key`, told as the race it is; other errors unchanged. */
function replacedByAnotherRun(error: unknown, key: string): unknown {
  if ((error as PackyardError).code !== 'VERIFY_FAILED') return error;
  return new PackyardError(
    'STORE_CONFLICT',
    `${key} was replaced by another run while this one published it`,
    {
      value: key,
      hint: 'run again to publish this build',
      cause: error,
    },
  );
}
