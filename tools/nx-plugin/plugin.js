// The entry nx.json registers: it loads src/index.ts through tsx, so the plugin works from a fresh
// clone after `npm install`, with no compile step (Node 20 cannot strip types itself). Workspace
// libraries load from source through tsconfig.json's paths, as jest.preset.js maps them.
import { register } from 'tsx/esm/api';

const registered = Symbol.for('@packyard/nx-plugin/tsx');
globalThis[registered] ??= register({
  namespace: '@packyard/nx-plugin',
  tsconfig: new URL('./tsconfig.json', import.meta.url).pathname,
});

const plugin = await globalThis[registered].import('./src/index.ts', import.meta.url);

export const { name, createNodes, createNodesV2 } = plugin;
