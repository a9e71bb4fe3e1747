import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The folders a load_package.m puts on the path, for exposed symbols: every `addpath(...)` argument
 * that is `pkg_dir`, a `fullfile(pkg_dir, '…')` or a quoted relative path. Pure over the file's text.
 */
export async function pathsOfLoadPackage(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, 'load_package.m'), 'utf8');
  const paths = new Set<string>();
  for (const m of text.matchAll(/addpath\(\s*(?:pkg_dir|fullfile\(\s*\w+\s*,\s*'((?:[^']|'')*)'\s*\))/g)) {
    paths.add(m[1] === undefined ? '.' : m[1].replace(/''/g, "'"));
  }
  return paths.size > 0 ? [...paths] : ['.'];
}

const SYMBOL_EXTENSIONS = ['.m', '.p', '.mlx', '.mex', '.mexa64', '.mexmaci64', '.mexmaca64', '.mexw64'];

/**
 * The symbols a package puts on the path: every function file (`.m`, `.p`, MEX) and every `+package`
 * or `@class` folder directly in one of its path folders, sorted and unique. load/unload_package are not symbols.
 */
export async function collectExposedSymbols(root: string, paths: string[]): Promise<string[]> {
  const symbols = new Set<string>();
  for (const path of paths) {
    const entries = await readdir(join(root, path), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isFile()) {
        const ext = SYMBOL_EXTENSIONS.find((e) => entry.name.endsWith(e));
        if (ext !== undefined) symbols.add(entry.name.slice(0, -ext.length));
      } else if (entry.isDirectory() && (entry.name.startsWith('+') || entry.name.startsWith('@'))) {
        symbols.add(entry.name.slice(1));
      }
    }
  }
  for (const reserved of ['load_package', 'unload_package', 'compile']) symbols.delete(reserved);
  return [...symbols].sort();
}

function mPath(path: string): string {
  // A MATLAB char literal doubles its quotes.
  return path === '.' ? 'pkg_dir' : `fullfile(pkg_dir, '${path.replace(/'/g, "''")}')`;
}

/** load_package.m: adds the package's folders to the MATLAB path. Pure. */
export function renderLoadPackage(paths: string[]): string {
  return renderPathFunction('load_package', 'Add package directories to MATLAB path', 'addpath', paths);
}

/** unload_package.m: removes them again. Pure. */
export function renderUnloadPackage(paths: string[]): string {
  return renderPathFunction('unload_package', 'Remove package directories from MATLAB path', 'rmpath', paths);
}

function renderPathFunction(
  name: string,
  comment: string,
  call: 'addpath' | 'rmpath',
  paths: string[],
): string {
  return [
    `function ${name}()`,
    `    % ${comment}`,
    "    pkg_dir = fileparts(mfilename('fullpath'));",
    ...paths.map((p) => `    ${call}(${mPath(p)});`),
    'end',
    '',
  ].join('\n');
}
