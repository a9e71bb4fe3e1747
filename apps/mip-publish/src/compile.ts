import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { PackyardError, isAccessible, tailLines, toPackyardError, writeFileAtomically } from '@packyard/core';
import type { Context, PackageResult } from './context.js';
import type { BuildRecord, MipJson } from './metadata.js';
import { buildRecordPath, collectExposedSymbols } from './prepare.js';
import { renderMipJson } from './metadata.js';

/** The program that runs compile.m: MATLAB when it is on the PATH, else GNU Octave. */
export interface Compiler {
  kind: 'matlab' | 'octave';
  command: string;
}

/** Finds `matlab`, else `octave-cli`, on the PATH; undefined when neither is there. */
export async function findCompiler(
  env: Record<string, string | undefined> = process.env,
): Promise<Compiler | undefined> {
  for (const [kind, command] of [
    ['matlab', 'matlab'],
    ['octave', 'octave-cli'],
  ] as const) {
    for (const dir of (env['PATH'] ?? '').split(':').filter(Boolean)) {
      if (await isAccessible(join(dir, command))) return { kind, command: join(dir, command) };
    }
  }
  return undefined;
}

/** The prepared `<mhl>.dir` folders, sorted. */
export async function listPreparedDirs(preparedDir: string): Promise<string[]> {
  const entries = await readdir(preparedDir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && e.name.endsWith('.dir') && !e.name.startsWith('.'))
    .map((e) => e.name.slice(0, -'.dir'.length))
    .sort();
}

/**
 * compile: runs each prepared package's compile.m (cwd = its `.dir`) with `matlab -batch`, or
 * `octave-cli` when MATLAB is not installed. The output goes to `<mhl>.compile.log`; the duration
 * and status to `<mhl>.build.json`; MEX files it made are added to mip.json's exposed_symbols.
 */
export async function compilePackages(ctx: Context, compiler?: Compiler): Promise<PackageResult[]> {
  const results: PackageResult[] = [];
  const names = [];
  for (const mhl of await listPreparedDirs(ctx.preparedDir)) {
    if (await isAccessible(join(ctx.preparedDir, `${mhl}.dir`, 'compile.m'))) names.push(mhl);
  }
  ctx.log.info(`Found ${names.length} package(s) with compile.m`);
  if (names.length === 0) return results;
  const found = compiler ?? (await findCompiler(ctx.env));
  let n = 0;
  for (const mhl of names) {
    n++;
    ctx.log.info(`[${n}/${names.length}] compiling ${mhl}${found ? ` with ${found.kind}` : ''}`);
    try {
      if (found === undefined) {
        throw new PackyardError('TOOL_FAILED', 'neither matlab nor octave-cli is on the PATH', {
          hint: 'install MATLAB, or GNU Octave with tools/scripts/setup-octave.sh',
        });
      }
      results.push(await compileOne(ctx, found, mhl));
    } catch (error) {
      const failure = toPackyardError(error, 'BUILD_FAILED');
      await markFailed(ctx, mhl);
      ctx.log.error(`  ${mhl}: ${failure.format()}`);
      results.push({ name: mhl, status: 'failed', detail: failure.format(), code: failure.code });
    }
  }
  return results;
}

async function compileOne(ctx: Context, compiler: Compiler, mhl: string): Promise<PackageResult> {
  const dir = join(ctx.preparedDir, `${mhl}.dir`);
  const logFile = join(ctx.preparedDir, `${mhl}.compile.log`);
  // The path is a MATLAB char literal: quotes doubled.
  const script = `cd('${dir.replace(/'/g, "''")}'); compile;`;
  const args =
    compiler.kind === 'matlab'
      ? ['-batch', script]
      : ['--no-gui', '--norc', '--quiet', '--no-history', '--eval', script];
  const started = process.hrtime.bigint();
  const result = await execa(compiler.command, args, {
    cwd: dir,
    reject: false,
    all: true,
    stdin: 'ignore',
    env: ctx.env,
    extendEnv: false,
  });
  const seconds = Number((Number(process.hrtime.bigint() - started) / 1e9).toFixed(2));
  await writeFileAtomically(logFile, String(result.all ?? ''));
  if (result.failed) {
    throw new PackyardError(
      'BUILD_FAILED',
      `compile.m failed (${compiler.kind} exited with ${result.exitCode ?? result.signal}):\n${tailLines(String(result.all ?? '').trim(), 10)}`,
      { file: join(dir, 'compile.m'), hint: `the whole output is in ${logFile}` },
    );
  }
  const record = await readBuildRecord(ctx.preparedDir, mhl);
  await writeFileAtomically(
    buildRecordPath(ctx.preparedDir, mhl),
    `${JSON.stringify({ ...record, compile_duration: seconds, compile_status: 'compiled' } satisfies BuildRecord, null, 2)}\n`,
  );
  // MEX files exist only now: add them to the exposed symbols, through the JSON writer.
  const mipPath = join(dir, 'mip.json');
  const mip = JSON.parse(await readFile(mipPath, 'utf8')) as MipJson;
  const loadScript = await readFile(join(dir, 'load_package.m'), 'utf8');
  const paths = [...loadScript.matchAll(/addpath\((pkg_dir|fullfile\(pkg_dir, '((?:[^']|'')*)'\))\)/g)].map(
    (m) => (m[2] === undefined ? '.' : m[2].replace(/''/g, "'")),
  );
  const symbols = [...new Set([...mip.exposed_symbols, ...(await collectExposedSymbols(dir, paths))])].sort();
  await writeFileAtomically(mipPath, renderMipJson({ ...mip, exposed_symbols: symbols }));
  ctx.log.info(`  compiled in ${seconds} s (log: ${logFile})`);
  return { name: mhl, status: 'done', detail: `compiled in ${seconds} s` };
}

/** Reads `<mhl>.build.json`; a package prepared by another tool gets an empty record. */
export async function readBuildRecord(preparedDir: string, mhl: string): Promise<BuildRecord> {
  const text = await readFile(buildRecordPath(preparedDir, mhl), 'utf8').catch(() => undefined);
  if (text === undefined) return { prepare_duration: 0, compile_duration: 0, compile_status: 'none' };
  return JSON.parse(text) as BuildRecord;
}

async function markFailed(ctx: Context, mhl: string): Promise<void> {
  const record = await readBuildRecord(ctx.preparedDir, mhl).catch(() => undefined);
  await writeFileAtomically(
    buildRecordPath(ctx.preparedDir, mhl),
    `${JSON.stringify({ prepare_duration: 0, compile_duration: 0, ...record, compile_status: 'failed' }, null, 2)}\n`,
  );
}
