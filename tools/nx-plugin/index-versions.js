// `node tools/nx-plugin/index-versions.js [packages-dir]`: prints what the package index offers each
// package (src/index-versions.ts), for pex-builder:build's Nx runtime input. Loaded through tsx, like
// plugin.js, so it works from a fresh clone with no compile step.
import { register } from 'tsx/esm/api';

const api = register({
  namespace: '@packyard/nx-plugin/index-versions',
  tsconfig: new URL('./tsconfig.json', import.meta.url).pathname,
});
const { listIndexVersions } = await api.import('./src/index-versions.ts', import.meta.url);
process.stdout.write(await listIndexVersions({ packagesDir: process.argv[2] ?? 'packages' }));
