import { cp, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PackyardError, isAccessible, toPackyardError, writeFileAtomically } from '@packyard/core';
import { isTimeLimit, listTree } from '@packyard/mip';
import { mhlName, type PackageDefinition } from '../config.js';
import { readPackageDefinitions } from '../definitions.js';
import { buildRecordPath, metadataKey, prepareLogPath } from '../layout.js';
import {
  collectExposedSymbols,
  pathsOfLoadPackage,
  renderLoadPackage,
  renderUnloadPackage,
} from '../matlab.js';
import { renderMipJson, type BuildRecord, type MipJson } from '../metadata.js';
import { planPrepare } from '../plan.js';
import { buildPythonPackage } from '../python.js';
import { checkSourceFolder, computeSourceHash, materializeSource } from '../source.js';
import type { Context, PackageResult } from '../types.js';
import { forEachPackage } from './each.js';

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
  const prepared = await forEachPackage(
    ctx,
    definitions,
    {
      label: 'prepare',
      describe: (definition) => {
        const name = mhlName(definition.metadata);
        return { name, line: name };
      },
      failureCode: 'BUILD_FAILED',
    },
    (definition, mhl) => prepareOne(ctx, definition, mhl, options),
  );
  return [...results, ...prepared];
}

async function prepareOne(
  ctx: Context,
  definition: PackageDefinition,
  mhl: string,
  options: PrepareOptions,
): Promise<PackageResult> {
  const started = process.hrtime.bigint();
  // A definition error is found before anything is read from the store or written.
  if (definition.kind === 'yaml' && 'folder' in definition.source) await checkSourceFolder(definition);
  const sourceHash = await computeSourceHash(definition, ctx);
  const key = metadataKey(ctx.prefix, mhl);
  // Read through the store: a store that cannot be read is a failure, never a silent rebuild.
  const published = options.force ? undefined : await ctx.store.get(key);
  const decision = planPrepare({
    key,
    published: published?.toString('utf8'),
    wanted: { ...definition.metadata, source_hash: sourceHash },
    force: options.force === true,
  });
  if (decision.reason !== 'forced') ctx.log.info(`  ${decision.reason}`);
  if (decision.action === 'skip') {
    // A .dir left by an earlier run would be compiled and bundled again for nothing.
    if (!options.dryRun) {
      await rm(join(ctx.preparedDir, `${mhl}.dir`), { recursive: true, force: true });
      await rm(buildRecordPath(ctx.preparedDir, mhl), { force: true });
    }
    return { name: mhl, status: 'skipped', detail: 'up to date in the store' };
  }
  const target = join(ctx.preparedDir, `${mhl}.dir`);
  if (options.dryRun) return { name: mhl, status: 'done', detail: `would build ${target}` };

  await mkdir(ctx.preparedDir, { recursive: true });
  const tmp = await mkdtemp(join(ctx.preparedDir, `.${mhl}.dir.tmp-`));
  try {
    const exposed = await fillPackage(ctx, definition, mhl, tmp);
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
 * Puts a package's files into `tmp` (its source, or what its package file builds), then the
 * load/unload scripts it lacks; returns its exposed symbols.
 */
async function fillPackage(
  ctx: Context,
  definition: PackageDefinition,
  mhl: string,
  tmp: string,
): Promise<string[]> {
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
  return exposed;
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
