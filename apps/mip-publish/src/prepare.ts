import { createHash } from 'node:crypto';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import {
  PackyardError,
  createDownloadClient,
  isAccessible,
  runTool,
  tailLines,
  toPackyardError,
  writeFileAtomically,
} from '@packyard/core';
import {
  TimeLimitError,
  describeExit,
  hashTree,
  isTimeLimit,
  listFiles,
  listTree,
  runBounded,
} from '@packyard/mip';
import { mhlName, readMipYaml, type PackageDefinition } from './config.js';
import type { Context, PackageResult } from './context.js';
import { metadataMatches, renderMipJson, type BuildRecord, type MipJson } from './metadata.js';
import { BRIDGE, buildPythonPackage, readPythonPackages } from './python.js';

/** A package file that could not be read or validated. */
export interface DefinitionFailure {
  file: string;
  error: PackyardError;
}

const PACKAGE_FILES = ['mip.yaml', 'packages.py', 'package.py'] as const;

/** Reads every package definition under the packages directory; a bad one is reported, the others go on. */
export async function readPackageDefinitions(
  ctx: Pick<Context, 'packagesDir' | 'python'>,
): Promise<{ definitions: PackageDefinition[]; failures: DefinitionFailure[] }> {
  const definitions: PackageDefinition[] = [];
  const failures: DefinitionFailure[] = [];
  const entries = (
    await readdir(ctx.packagesDir, { withFileTypes: true }).catch((error: unknown) => {
      throw new PackyardError(
        'CONFIG_MISSING',
        `cannot read the packages directory: ${(error as Error).message}`,
        {
          file: ctx.packagesDir,
          cause: error,
        },
      );
    })
  )
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  for (const name of entries) {
    const dir = join(ctx.packagesDir, name);
    let found = false;
    for (const fileName of PACKAGE_FILES) {
      const file = join(dir, fileName);
      if (!(await isAccessible(file))) continue;
      found = true;
      try {
        if (fileName === 'mip.yaml') definitions.push(await readMipYaml(file, dir));
        else {
          for (const item of await readPythonPackages(ctx.python, file, dir)) {
            if (item instanceof PackyardError) failures.push({ file, error: item });
            else definitions.push(item);
          }
        }
      } catch (error) {
        failures.push({ file, error: toPackyardError(error, 'CONFIG_INVALID') });
      }
      break;
    }
    if (!found) {
      failures.push({
        file: dir,
        error: new PackyardError('CONFIG_MISSING', 'no mip.yaml, packages.py or package.py', { file: dir }),
      });
    }
  }
  // Two definitions of one .mhl would overwrite each other: refuse both.
  const byName = new Map<string, PackageDefinition[]>();
  for (const d of definitions)
    byName.set(mhlName(d.metadata), [...(byName.get(mhlName(d.metadata)) ?? []), d]);
  const unique = definitions.filter((d) => {
    const same = byName.get(mhlName(d.metadata))!;
    if (same.length === 1) return true;
    failures.push({
      file: d.file,
      error: new PackyardError(
        'CONFIG_INVALID',
        `${mhlName(d.metadata)} is also defined by ${same
          .filter((o) => o !== d)
          .map((o) => o.file)
          .join(', ')}`,
        {
          file: d.file,
          field: 'name',
          value: d.metadata.name,
        },
      ),
    });
    return false;
  });
  return { definitions: unique, failures };
}

/** The key of a package's published metadata. Pure. */
export function metadataKey(prefix: string, mhl: string): string {
  return `${prefix}${mhl}.mhl.mip.json`;
}

/** Options of `preparePackages`. */
export interface PrepareOptions {
  dryRun?: boolean;
  force?: boolean;
}

/**
 * prepare: for each package, compares its definition with the `.mhl.mip.json` in the store and,
 * unless it matches, builds `<mhl>.dir/` with the contents, load_package.m / unload_package.m,
 * and mip.json. A failed package leaves no `.dir` behind; the others still run.
 */
export async function preparePackages(ctx: Context, options: PrepareOptions = {}): Promise<PackageResult[]> {
  const { definitions, failures } = await readPackageDefinitions(ctx);
  const results: PackageResult[] = failures.map((f) => ({
    name: f.file,
    status: 'failed',
    detail: f.error.format(),
    code: f.error.code,
    timedOut: isTimeLimit(f.error),
  }));
  for (const failure of failures) ctx.log.error(`${failure.error.format()}`);
  ctx.log.info(`Found ${definitions.length} package(s); output directory ${ctx.preparedDir}`);
  let n = 0;
  for (const definition of definitions) {
    n++;
    const mhl = mhlName(definition.metadata);
    ctx.log.info(`[${n}/${definitions.length}] ${mhl}`);
    try {
      results.push(await prepareOne(ctx, definition, mhl, options));
    } catch (error) {
      const failure = toPackyardError(error, 'BUILD_FAILED');
      ctx.log.error(`  ${mhl}: ${failure.format()}`);
      results.push({
        name: mhl,
        status: 'failed',
        detail: failure.format(),
        code: failure.code,
        timedOut: isTimeLimit(error),
      });
    }
  }
  return results;
}

async function prepareOne(
  ctx: Context,
  definition: PackageDefinition,
  mhl: string,
  options: PrepareOptions,
): Promise<PackageResult> {
  const started = process.hrtime.bigint();
  // A definition error is found before anything is read from the store or written.
  if (definition.kind === 'yaml' && 'folder' in definition.source) await checkSourceFolder(ctx, definition);
  const sourceHash = await computeSourceHash(definition, ctx);
  const wanted = { ...definition.metadata, source_hash: sourceHash };
  if (!options.force) {
    const key = metadataKey(ctx.prefix, mhl);
    // Read through the store: a store that cannot be read is a failure, never a silent rebuild.
    const text = await ctx.store.get(key);
    if (text !== undefined) {
      let published: Record<string, unknown>;
      try {
        published = JSON.parse(text.toString('utf8')) as Record<string, unknown>;
      } catch (error) {
        throw new PackyardError('STORE_FAILED', `the published metadata ${key} is not valid JSON`, {
          value: key,
          hint: 'rebuild with --force and publish with --replace to repair it',
          cause: error,
        });
      }
      const differs = metadataMatches(published, wanted);
      if (differs === undefined) {
        ctx.log.info('  published metadata matches; skipping');
        // A .dir left by an earlier run would be compiled and bundled again for nothing.
        if (!options.dryRun) {
          await rm(join(ctx.preparedDir, `${mhl}.dir`), { recursive: true, force: true });
          await rm(buildRecordPath(ctx.preparedDir, mhl), { force: true });
        }
        return { name: mhl, status: 'skipped', detail: 'up to date in the store' };
      }
      ctx.log.info(`  published metadata differs in ${differs}; rebuilding`);
    } else {
      ctx.log.info('  not in the store');
    }
  }
  const target = join(ctx.preparedDir, `${mhl}.dir`);
  if (options.dryRun) return { name: mhl, status: 'done', detail: `would build ${target}` };

  await mkdir(ctx.preparedDir, { recursive: true });
  const tmp = await mkdtemp(join(ctx.preparedDir, `.${mhl}.dir.tmp-`));
  try {
    let exposed: string[];
    let paths: string[];
    if (definition.kind === 'yaml') {
      await materializeSource(definition, tmp, ctx);
      await checkTree(ctx, definition, tmp, mhl);
      const compileScript = join(definition.dir, 'compile.m');
      if ((await isAccessible(compileScript)) && !(await isAccessible(join(tmp, 'compile.m')))) {
        await cp(compileScript, join(tmp, 'compile.m'));
      }
      paths = definition.paths;
      exposed = await collectExposedSymbols(tmp, paths);
    } else {
      const built = await buildPythonPackage(ctx.python, definition, tmp).catch(async (error: unknown) => {
        const failure = toPackyardError(error, 'BUILD_FAILED');
        await writeFileAtomically(prepareLogPath(ctx.preparedDir, mhl), `${failure.message}\n`);
        throw error;
      });
      await writeFileAtomically(prepareLogPath(ctx.preparedDir, mhl), built.log);
      await checkTree(ctx, definition, tmp, mhl);
      // The package's own load_package.m decides its path (FLAM adds every subfolder).
      paths = (await isAccessible(join(tmp, 'load_package.m'))) ? await pathsOfLoadPackage(tmp) : ['.'];
      exposed = built.result.length > 0 ? built.result : await collectExposedSymbols(tmp, paths);
    }
    // A package's own load/unload scripts win; generated ones only fill a gap.
    if (!(await isAccessible(join(tmp, 'load_package.m')))) {
      await writeFileAtomically(join(tmp, 'load_package.m'), renderLoadPackage(paths));
    }
    if (!(await isAccessible(join(tmp, 'unload_package.m')))) {
      await writeFileAtomically(join(tmp, 'unload_package.m'), renderUnloadPackage(paths));
    }
    const mipJson: MipJson = {
      ...definition.metadata,
      exposed_symbols: exposed,
      source_hash: sourceHash,
      timestamp: new Date(ctx.sourceDateEpoch * 1000).toISOString().replace('.000Z', 'Z'),
    };
    await writeFileAtomically(join(tmp, 'mip.json'), renderMipJson(mipJson));
    await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
    const record: BuildRecord = {
      prepare_duration: Number((Number(process.hrtime.bigint() - started) / 1e9).toFixed(2)),
      compile_duration: 0,
      compile_status: 'none',
    };
    await writeFileAtomically(buildRecordPath(ctx.preparedDir, mhl), `${JSON.stringify(record, null, 2)}\n`);
    ctx.log.info(`  prepared ${target}`);
    return { name: mhl, status: 'done', detail: `prepared ${target}` };
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    await rm(target, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A folder source must be a real folder (not a symbolic link) beside the definition. Pure reads.
 * @throws PackyardError CONFIG_INVALID naming the file, `source.folder` / `source.subdirectory` and the value.
 */
async function checkSourceFolder(
  ctx: Pick<Context, 'log'>,
  definition: Extract<PackageDefinition, { kind: 'yaml' }>,
): Promise<void> {
  const source = definition.source as { folder: string; subdirectory?: string };
  const steps: Array<[string, string]> = [['source.folder', source.folder]];
  if (source.subdirectory !== undefined) steps.push(['source.subdirectory', source.subdirectory]);
  let at = definition.dir;
  for (const [field, value] of steps) {
    at = join(at, value);
    const info = await lstat(at).catch(() => undefined);
    const problem =
      info === undefined
        ? 'does not exist'
        : info.isSymbolicLink()
          ? 'is a symbolic link; packyard reads only real folders (copy the files in, or use a git or zip source)'
          : !info.isDirectory()
            ? 'is not a folder'
            : undefined;
    if (problem !== undefined) {
      throw new PackyardError('CONFIG_INVALID', `${JSON.stringify(value)} ${problem}`, {
        file: definition.file,
        field,
        value,
      });
    }
  }
}

/**
 * Checks what a package prepared before it is bundled: symbolic links are refused (a .mhl holds
 * regular files only: MATLAB on Windows and the mip client's unzip cannot be trusted with links),
 * every `paths` entry must be a folder, and an empty package is a warning.
 */
async function checkTree(
  ctx: Pick<Context, 'log'>,
  definition: PackageDefinition,
  tmp: string,
  mhl: string,
): Promise<void> {
  const tree = await listTree(tmp);
  const links = tree.filter((e) => e.kind === 'symlink').map((e) => e.path);
  if (links.length > 0) {
    throw new PackyardError(
      definition.kind === 'yaml' ? 'CONFIG_INVALID' : 'BUILD_FAILED',
      `holds symbolic links, which a .mhl does not store: ${links.slice(0, 5).join(', ')}${links.length > 5 ? ', …' : ''}`,
      {
        file: definition.file,
        field: definition.kind === 'yaml' ? 'source' : undefined,
        value: links[0],
        hint: 'replace each link with the file or folder it points to',
      },
    );
  }
  if (definition.kind === 'yaml') {
    for (const [i, path] of definition.paths.entries()) {
      if (!(await stat(join(tmp, path)).catch(() => undefined))?.isDirectory()) {
        throw new PackyardError('CONFIG_INVALID', `${JSON.stringify(path)} is not a folder of the package`, {
          file: definition.file,
          field: `paths[${i}]`,
          value: path,
        });
      }
    }
  }
  if (
    tree.filter((e) => !['compile.m', 'load_package.m', 'unload_package.m'].includes(e.path)).length === 0
  ) {
    ctx.log.error(`  warning: ${definition.file}: ${mhl} holds no files`);
  }
}

/** Where a package file's own output (stdout and stderr of its build) is kept: beside its `.dir`. */
export function prepareLogPath(preparedDir: string, mhl: string): string {
  return join(preparedDir, `${mhl}.prepare.log`);
}

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

/** Where the measured values of a prepared package are kept: beside its `.dir`, never inside it. */
export function buildRecordPath(preparedDir: string, mhl: string): string {
  return join(preparedDir, `${mhl}.build.json`);
}

async function materializeSource(
  definition: Extract<PackageDefinition, { kind: 'yaml' }>,
  tmp: string,
  ctx: Pick<Context, 'timeLimits'>,
): Promise<void> {
  const source = definition.source;
  const sub = source.subdirectory;
  if ('folder' in source) {
    const from = join(definition.dir, source.folder, sub ?? '');
    if (!(await stat(from).catch(() => undefined))?.isDirectory()) {
      throw new PackyardError(
        'CONFIG_INVALID',
        `source folder ${relative(definition.dir, from) || '.'} does not exist`,
        {
          file: definition.file,
          field: 'source.folder',
          value: source.folder,
        },
      );
    }
    await copyTree(from, tmp);
    return;
  }
  const work = await mkdtemp(join(tmp, '..', `.${basename(tmp)}-src-`));
  try {
    if ('git' in source) {
      const clone = join(work, 'clone');
      await runGit(['clone', '--quiet', '--no-checkout', source.git, clone], definition, ctx);
      await runGit(['-C', clone, 'checkout', '--quiet', '--detach', source.ref], definition, ctx);
      await copySubdirectory(definition, join(clone, sub ?? ''), tmp);
    } else {
      await createDownloadClient()
        .download({ url: source.zip, to: join(work, 'source.zip') })
        .catch((error: unknown) => {
          throw new PackyardError('BUILD_FAILED', (error as Error).message, {
            file: definition.file,
            field: 'source.zip',
            value: source.zip,
            cause: error,
          });
        });
      await runTool('unzip', ['-q', join(work, 'source.zip'), '-d', join(work, 'x')]);
      await copySubdirectory(definition, join(work, 'x', sub ?? ''), tmp);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function copySubdirectory(
  definition: Extract<PackageDefinition, { kind: 'yaml' }>,
  from: string,
  to: string,
): Promise<void> {
  if (!(await lstat(from).catch(() => undefined))?.isDirectory()) {
    const sub = definition.source.subdirectory;
    throw new PackyardError('CONFIG_INVALID', `${JSON.stringify(sub)} is not a folder of the source`, {
      file: definition.file,
      field: 'source.subdirectory',
      value: sub,
    });
  }
  await copyTree(from, to);
}

async function copyTree(from: string, to: string): Promise<void> {
  await cp(from, to, {
    recursive: true,
    filter: (path) => basename(path) !== '.git',
  });
}

/**
 * The version of what packyard writes into a `.dir` (load/unload scripts, mip.json layout). Part of
 * every source_hash: a change to the format rebuilds every package once.
 */
export const BUNDLE_FORMAT_VERSION = '2';

/**
 * sha256 over everything the definition can read: its whole folder (the definition file, compile.m,
 * sibling files a package.py copies), the source (a folder's files, or the git commit the ref resolves
 * to, or the zip's URL), the bridge that runs package files, and the bundle format version.
 */
async function computeSourceHash(
  definition: PackageDefinition,
  ctx: Pick<Context, 'timeLimits'>,
): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`packyard-mip-bundle-format\0${BUNDLE_FORMAT_VERSION}\0`);
  await hashTree(hash, 'definition', definition.dir);
  if (definition.kind === 'yaml') {
    const source = definition.source;
    if ('folder' in source) {
      await hashTree(hash, 'source', join(definition.dir, source.folder, source.subdirectory ?? ''));
    } else if ('git' in source) {
      const stdout = await runGit(['ls-remote', source.git, source.ref], definition, ctx);
      const commit = /^[0-9a-f]{40}$/.test(source.ref) ? source.ref : stdout.split('\n')[0]?.split('\t')[0];
      if (!commit) {
        throw new PackyardError(
          'CONFIG_INVALID',
          `ref ${JSON.stringify(source.ref)} is not in ${source.git}`,
          {
            file: definition.file,
            field: 'source.ref',
            value: source.ref,
          },
        );
      }
      hash.update(`\0git\0${commit}`);
    } else {
      hash.update(`\0zip\0${source.zip}`);
    }
  } else {
    hash.update(`\0index\0${definition.index}\0bridge\0`).update(await readFile(BRIDGE));
  }
  return hash.digest('hex');
}

/** Runs one git command with the git time limit; a failure names the definition's source. */
async function runGit(
  args: string[],
  definition: PackageDefinition,
  ctx: Pick<Context, 'timeLimits'>,
): Promise<string> {
  const run = await runBounded('git', args, {
    timeoutMs: ctx.timeLimits.gitMs,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  if (run.exitCode === 0 && !run.timedOut) return run.output;
  const failure = run.timedOut ? TimeLimitError : PackyardError;
  throw new failure(
    run.timedOut ? 'BUILD_FAILED' : 'CLONE_FAILED',
    `git ${args[0]} ${describeExit(run, ctx.timeLimits.gitMs)}:\n${tailLines(run.output.trim(), 5)}`,
    {
      file: definition.file,
      field: 'source.git',
      value: args.join(' '),
      hint: run.timedOut ? 'raise the limit with --time-limit-git SECONDS' : undefined,
    },
  );
}

/** Relative paths of the files under `root`, sorted by UTF-8 bytes; `.git` is skipped. */
export { listFiles };

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
  return [
    'function load_package()',
    '    % Add package directories to MATLAB path',
    "    pkg_dir = fileparts(mfilename('fullpath'));",
    ...paths.map((p) => `    addpath(${mPath(p)});`),
    'end',
    '',
  ].join('\n');
}

/** unload_package.m: removes them again. Pure. */
export function renderUnloadPackage(paths: string[]): string {
  return [
    'function unload_package()',
    '    % Remove package directories from MATLAB path',
    "    pkg_dir = fileparts(mfilename('fullpath'));",
    ...paths.map((p) => `    rmpath(${mPath(p)});`),
    'end',
    '',
  ].join('\n');
}
