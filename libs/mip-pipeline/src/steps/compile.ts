import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackyardError, isAccessible, tailLines, writeFileAtomically } from '@packyard/core';
import { TimeLimitError, describeExit, octaveMexShim, runBounded } from '@packyard/mip';
import { buildRecordPath, listPreparedDirs, readBuildRecord } from '../layout.js';
import { collectExposedSymbols, pathsOfLoadPackage } from '../matlab.js';
import { renderMipJson, type BuildRecord, type MipJson } from '../metadata.js';
import type { Context, PackageResult } from '../types.js';
import { forEachPackage } from './each.js';

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

/**
 * compile: runs each prepared package's compile.m (cwd = its `.dir`) with `matlab -batch`, or
 * `octave-cli` when MATLAB is not installed. The output goes to `<mhl>.compile.log`; the duration
 * and status to `<mhl>.build.json`; MEX files it made are added to mip.json's exposed_symbols.
 */
export async function compilePackages(ctx: Context, compiler?: Compiler): Promise<PackageResult[]> {
  const names = [];
  for (const mhl of await listPreparedDirs(ctx.preparedDir)) {
    if (await isAccessible(join(ctx.preparedDir, `${mhl}.dir`, 'compile.m'))) names.push(mhl);
  }
  ctx.log.info(`Found ${names.length} package(s) with compile.m`);
  if (names.length === 0) return [];
  const found = compiler ?? (await findCompiler(ctx.env));
  return forEachPackage(
    ctx,
    names,
    {
      label: 'compile',
      describe: (mhl) => ({ name: mhl, line: `compiling ${mhl}${found ? ` with ${found.kind}` : ''}` }),
      failureCode: 'BUILD_FAILED',
      onFailure: (mhl) => markFailed(ctx, mhl),
    },
    (mhl) => {
      if (found === undefined) {
        throw new PackyardError('TOOL_FAILED', 'neither matlab nor octave-cli is on the PATH', {
          hint: 'install MATLAB, or GNU Octave with tools/scripts/setup-octave.sh',
        });
      }
      return compileOne(ctx, found, mhl);
    },
  );
}

async function compileOne(ctx: Context, compiler: Compiler, mhl: string): Promise<PackageResult> {
  const dir = join(ctx.preparedDir, `${mhl}.dir`);
  const logFile = join(ctx.preparedDir, `${mhl}.compile.log`);
  // Octave gets a mex.m first on its path that translates MATLAB's CFLAGS=/CXXFLAGS=/LDFLAGS= arguments.
  const shimDir = compiler.kind === 'octave' ? await mkdtemp(join(tmpdir(), 'packyard-mex-')) : undefined;
  if (shimDir !== undefined) await writeFile(join(shimDir, 'mex.m'), octaveMexShim());
  // Paths are MATLAB char literals: quotes doubled.
  const quote = (path: string) => `'${path.replace(/'/g, "''")}'`;
  const script = `${shimDir === undefined ? '' : `addpath(${quote(shimDir)}); `}cd(${quote(dir)}); compile;`;
  const args =
    compiler.kind === 'matlab'
      ? ['-batch', script]
      : ['--no-gui', '--norc', '--quiet', '--no-history', '--eval', script];
  const started = process.hrtime.bigint();
  const timeoutMs = ctx.timeLimits.compileMs;
  const result = await runBounded(compiler.command, args, { cwd: dir, env: ctx.env, timeoutMs }).finally(
    () => shimDir !== undefined && rm(shimDir, { recursive: true, force: true }),
  );
  const seconds = Number((Number(process.hrtime.bigint() - started) / 1e9).toFixed(2));
  await writeFileAtomically(logFile, result.output);
  if (result.exitCode !== 0 || result.timedOut) {
    const matlabOnly = /is MATLAB-only \(VAR=value\)/.test(result.output)
      ? ' (the compile script passes a MATLAB-only VAR=value argument to mex)'
      : '';
    throw new (result.timedOut ? TimeLimitError : PackyardError)(
      'BUILD_FAILED',
      `compile.m failed${matlabOnly}: ${compiler.kind} ${describeExit(result, timeoutMs)}:\n${tailLines(result.output.trim(), 10)}`,
      {
        file: join(dir, 'compile.m'),
        hint: result.timedOut
          ? `raise the limit with --time-limit-compile SECONDS; the output so far is in ${logFile}`
          : `the whole output is in ${logFile}`,
      },
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
  const paths = await pathsOfLoadPackage(dir);
  const symbols = [...new Set([...mip.exposed_symbols, ...(await collectExposedSymbols(dir, paths))])].sort();
  await writeFileAtomically(mipPath, renderMipJson({ ...mip, exposed_symbols: symbols }));
  ctx.log.info(`  compiled in ${seconds} s (log: ${logFile})`);
  return { name: mhl, status: 'done', detail: `compiled in ${seconds} s` };
}

async function markFailed(ctx: Context, mhl: string): Promise<void> {
  const record = await readBuildRecord(ctx.preparedDir, mhl).catch(() => undefined);
  await writeFileAtomically(
    buildRecordPath(ctx.preparedDir, mhl),
    `${JSON.stringify({ prepare_duration: 0, compile_duration: 0, ...record, compile_status: 'failed' }, null, 2)}\n`,
  );
}
