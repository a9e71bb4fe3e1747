// Tool provisioning lives in @packyard/python-tools; these names stay part of pex-builder's API.
export {
  PINNED_TOOLS,
  TOOLS_MARKER,
  provisionTools,
  defaultPackyardHome,
  toolsVenvName,
  toolCacheEnv,
  toolEnv,
  type Tools,
  type ProvisionToolsOptions,
} from '@packyard/python-tools';
