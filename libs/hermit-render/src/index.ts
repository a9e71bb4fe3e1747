export type { HermitManifest, HermitVersion } from './model.js';
export { HERMIT_PLATFORMS } from './model.js';
export { renderManifest, DEFAULT_TEMPLATE_PATH } from './render.js';
export { parseManifest } from './parse.js';
export { mergeManifests, removeVersions } from './merge.js';
export { escapeHclString, escapeHclTemplateString } from './escape.js';
