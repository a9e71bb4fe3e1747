import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PackyardError, isPackyardError, runTool, type ErrorCode } from '@packyard/core';
import { toolCacheEnv, type Tools } from '@packyard/python-tools';
import { IMPORT_MODULES, READ_WHEEL_MODULES, planImportModules, type WheelModuleInfo } from './modules.js';

/** The parts of a provisioned tools venv the build and the install test use. */
export type BuildTools = Pick<Tools, 'uv' | 'python' | 'home'>;

/** Where the source is, where the wheel goes, and what makes the build repeatable. */
export interface BuildWheelInput {
  sourceDir: string;
  outDir: string;
  /** The interpreter uv builds with (a path or a version uv can find); default the tools' python. */
  python?: string | undefined;
  /** Where uv finds the build backend. */
  indexUrl: string;
  /** The commit time: zip timestamps come from it, so the same commit builds the same bytes. */
  sourceDateEpoch: number;
}

/** The environment uv runs with: its cache under packyard's home, and no index settings of the caller's. */
export function renderUvEnv(tools: Pick<Tools, 'home'>): Record<string, string | undefined> {
  return {
    ...toolCacheEnv(tools),
    UV_EXTRA_INDEX_URL: undefined,
    UV_INDEX: undefined,
    UV_FIND_LINKS: undefined,
    UV_NO_BUILD: undefined,
    UV_NO_BINARY: undefined,
    // uv builds the source checkout, never a project it finds by walking up from the cwd.
    VIRTUAL_ENV: undefined,
  };
}

/**
 * Builds one wheel from `sourceDir` with `uv build --wheel` (build isolation: the backend comes from
 * the index). SOURCE_DATE_EPOCH makes setuptools' and hatchling's zips repeatable, so re-running an
 * update of the same commit finds the same bytes already in the index. Throws BUILD_FAILED.
 */
export async function buildWheel(tools: BuildTools, input: BuildWheelInput): Promise<string> {
  await mkdir(input.outDir, { recursive: true });
  await asStep(
    'BUILD_FAILED',
    'building the wheel failed',
    'the source must build with `uv build --wheel`',
    () =>
      runTool(
        tools.uv,
        [
          'build',
          '--wheel',
          '--out-dir',
          input.outDir,
          '--python',
          input.python ?? tools.python,
          '--index-url',
          input.indexUrl,
          '--',
          input.sourceDir,
        ],
        {
          cwd: input.sourceDir,
          env: { ...renderUvEnv(tools), SOURCE_DATE_EPOCH: String(input.sourceDateEpoch) },
          tailLines: 25,
        },
      ),
  );
  const wheels = (await readdir(input.outDir)).filter((name) => name.endsWith('.whl'));
  if (wheels.length !== 1) {
    throw new PackyardError('BUILD_FAILED', `the build wrote ${wheels.length} wheels, expected one`, {
      file: input.outDir,
      value: wheels,
    });
  }
  return join(input.outDir, wheels[0]!);
}

/** What the install test needs. */
export interface TestWheelInput {
  wheel: string;
  /** A fresh directory for the virtualenv; the imports also run here, away from the source. */
  workDir: string;
  python?: string | undefined;
  /** Where the wheel's dependencies come from. */
  indexUrl: string;
}

/**
 * Installs the wheel, with its dependencies, into a fresh virtualenv and imports each of its
 * top-level modules there (`python -I`: the cwd is not on sys.path, so only the installed copy can
 * be imported). Returns the modules imported. Throws INSTALL_TEST_FAILED.
 */
export async function testWheel(tools: BuildTools, input: TestWheelInput): Promise<string[]> {
  const venv = join(input.workDir, 'venv');
  const python = join(venv, 'bin', 'python');
  const env = renderUvEnv(tools);
  const hint = 'the wheel must install into a fresh virtualenv and its top-level modules must import';
  return asStep('INSTALL_TEST_FAILED', 'the install test failed', hint, async () => {
    await mkdir(input.workDir, { recursive: true });
    await runTool(tools.uv, ['venv', '--python', input.python ?? tools.python, '--', venv], {
      cwd: input.workDir,
      env,
    });
    await runTool(
      tools.uv,
      ['pip', 'install', '--python', python, '--index-url', input.indexUrl, '--', input.wheel],
      { cwd: input.workDir, env, tailLines: 25 },
    );
    const { stdout } = await runTool(python, ['-I', '-c', READ_WHEEL_MODULES, input.wheel], {
      cwd: input.workDir,
    });
    const modules = planImportModules(JSON.parse(stdout) as WheelModuleInfo);
    if (modules.length > 0) {
      await runTool(python, ['-I', '-c', IMPORT_MODULES, ...modules], { cwd: input.workDir, tailLines: 25 });
    }
    return modules;
  });
}

async function asStep<T>(code: ErrorCode, what: string, hint: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isPackyardError(error, 'TOOL_FAILED')) {
      throw new PackyardError(code, `${what}: ${error.message}`, { value: error.value, hint, cause: error });
    }
    throw error;
  }
}
