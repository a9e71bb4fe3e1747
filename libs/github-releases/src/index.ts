export {
  isFinalRelease,
  type AssetFile,
  type CreateReleaseInput,
  type Release,
  type ReleaseAsset,
  type ReleaseStore,
  type UpdateReleaseInput,
} from './store.js';
export { planAssetUpload, publishAsset, type AssetPlan, type PublishAssetResult } from './publish.js';
export { parseBodyBlock, renderBodyBlock, type BodyBlock } from './body.js';
export { createLocalReleaseStore, type LocalReleaseStoreOptions } from './local.js';
export { createGithubReleaseStore, readGithubToken, type GithubReleaseStoreOptions } from './github.js';
