// The entry nx.json registers: it loads src/index.ts through load-ts.js, so the plugin works from a
// fresh clone after `npm install`, with no compile step and no TypeScript runtime beyond `typescript`.
import { register } from 'node:module';

const registered = Symbol.for('@packyard/nx-plugin/load-ts');
if (!globalThis[registered]) {
  register('./load-ts.js', import.meta.url);
  globalThis[registered] = true;
}

const plugin = await import('./src/index.ts');

export const { name, createNodes, createNodesV2 } = plugin;
