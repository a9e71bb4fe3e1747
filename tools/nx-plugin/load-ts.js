// Node module customization hooks (https://nodejs.org/api/module.html#customization-hooks) that run
// this plugin's TypeScript source without a build step: Node 20 cannot strip types, and Nx's own
// fallback needs @swc-node/register or ts-node, which the workspace does not install. Types are
// erased with the workspace's own TypeScript (transpileModule: one file at a time, no type check).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const workspaceSource = /^@packyard\/([a-z0-9-]+)$/;
const require = createRequire(import.meta.url);
const typescriptVersion = JSON.parse(
  readFileSync(require.resolve('typescript/package.json'), 'utf8'),
).version;
// Loading TypeScript costs about a second, on every Nx command without a daemon: transpiled files
// are kept by content hash (the find-cache-dir convention's node_modules/.cache), so an unchanged
// source never loads it.
const cacheDir = join(
  dirname(require.resolve('typescript/package.json')),
  '..',
  '.cache',
  'packyard-nx-plugin',
);
const compilerOptions = {
  module: 'esnext',
  target: 'es2022',
  verbatimModuleSyntax: true,
  inlineSourceMap: true,
};
let typescript;

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (parent?.startsWith('file:') && parent.endsWith('.ts')) {
    // NodeNext sources import siblings as './x.js'; the file on disk is './x.ts'.
    if (/^\.{1,2}\//.test(specifier) && specifier.endsWith('.js')) {
      const url = new URL(`${specifier.slice(0, -3)}.ts`, parent);
      if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
    }
    // Workspace libraries load from source, as jest.preset.js maps them: their dist may not be built.
    if (workspaceSource.test(specifier)) {
      const manifest = await nextResolve(`${specifier}/package.json`, context);
      const source = join(dirname(fileURLToPath(manifest.url)), 'src', 'index.ts');
      if (existsSync(source)) return { url: pathToFileURL(source).href, shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  return { format: 'module', source: await transpile(fileURLToPath(url)), shortCircuit: true };
}

async function transpile(file) {
  const text = readFileSync(file, 'utf8');
  const key = createHash('sha256')
    .update(JSON.stringify([typescriptVersion, compilerOptions, file, text]))
    .digest('hex');
  const cached = join(cacheDir, `${key}.js`);
  if (existsSync(cached)) return readFileSync(cached, 'utf8');
  typescript ??= (await import('typescript')).default;
  const { options } = typescript.convertCompilerOptionsFromJson(compilerOptions, dirname(file));
  const { outputText } = typescript.transpileModule(text, { fileName: file, compilerOptions: options });
  try {
    mkdirSync(cacheDir, { recursive: true });
    // Rename into place, so a concurrent Nx process never reads half a file.
    const partial = `${cached}.${process.pid}.tmp`;
    writeFileSync(partial, outputText);
    renameSync(partial, cached);
  } catch {
    // A read-only node_modules only costs the next run the transpile.
  }
  return outputText;
}
