import { PackyardError, planByDigest } from '@packyard/core';
import type { AssetFile, Release, ReleaseAsset, ReleaseStore } from './store.js';

/** What to do with one asset, decided from what the destination already holds. */
export type AssetPlan =
  | { action: 'skip'; reason: string }
  | { action: 'upload' }
  | { action: 'redo'; reason: string; existing: ReleaseAsset }
  | { action: 'replace'; existing: ReleaseAsset }
  | { action: 'conflict'; existing: ReleaseAsset; message: string };

/**
 * Publishing is idempotent by digest (core's `planByDigest`): identical bytes are skipped, a missing
 * asset is uploaded, an unfinished upload or an asset with no digest is redone, and different bytes
 * under the same name are refused unless the caller asked to replace them. Pure: it only compares
 * what the destination reported.
 */
export function planAssetUpload(
  existing: ReleaseAsset | undefined,
  file: Pick<AssetFile, 'name' | 'sha256'>,
  options: { replace?: boolean } = {},
): AssetPlan {
  const stored = existing && { sha256: existing.sha256, unfinished: existing.state === 'starter' };
  const plan = planByDigest(stored, file.sha256, { ...options, unknownDigest: 'redo' });
  if (plan.action === 'upload' || existing === undefined) return { action: 'upload' };
  switch (plan.action) {
    case 'redo':
      return { action: 'redo', reason: REDO_REASONS[plan.why], existing };
    case 'skip':
      return { action: 'skip', reason: 'identical content is already there' };
    case 'replace':
      return { action: 'replace', existing };
    case 'conflict':
      return {
        action: 'conflict',
        existing,
        message: `asset "${file.name}" already exists with sha256 ${plan.stored}, but the new file has ${file.sha256}`,
      };
  }
}

const REDO_REASONS = {
  unfinished: 'a previous upload did not finish',
  'no-digest': 'the stored asset has no digest',
} as const;

export interface PublishAssetResult {
  action: 'skipped' | 'uploaded' | 'replaced';
  asset: ReleaseAsset;
}

/** Carries out `planAssetUpload` against a store. A conflict throws STORE_CONFLICT. */
export async function publishAsset(
  store: ReleaseStore,
  release: Release,
  file: AssetFile,
  options: { replace?: boolean } = {},
): Promise<PublishAssetResult> {
  const existing = release.assets.find((asset) => asset.name === file.name);
  const plan = planAssetUpload(existing, file, options);
  switch (plan.action) {
    case 'skip':
      return { action: 'skipped', asset: existing as ReleaseAsset };
    case 'conflict':
      throw new PackyardError('STORE_CONFLICT', plan.message, {
        field: `${release.tag}/${file.name}`,
        value: file.sha256,
        hint: 'published bytes are never overwritten silently; pass --replace to replace them',
      });
    case 'replace':
      if (store.replaceAsset) {
        return { action: 'replaced', asset: await store.replaceAsset(release, plan.existing, file) };
      }
      await store.deleteAsset(release, plan.existing);
      return { action: 'replaced', asset: await store.uploadAsset(release, file) };
    case 'redo':
      // Nothing usable is there (an unfinished upload, or no digest): delete it and upload again.
      await store.deleteAsset(release, plan.existing);
      return { action: 'uploaded', asset: await store.uploadAsset(release, file) };
    case 'upload':
      return { action: 'uploaded', asset: await store.uploadAsset(release, file) };
  }
}
