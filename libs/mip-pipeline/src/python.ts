import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PackyardError, tailLines } from '@packyard/core';
import { DEFAULT_TIME_LIMITS, TimeLimitError, describeExit, runBounded } from '@packyard/mip';
import { PythonPackageSchema, validateAgainst, type PackageDefinition } from './config.js';

// python/bridge.py sits beside src/ and dist/ alike.
export const BRIDGE = join(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'bridge.py');

/** How to run Python package files. */
export interface PythonBridge {
  /** Default `python3` on PATH. */
  python: string;
  /** The BUILD_TYPE environment variable the package file sees; default `standard`. */
  buildType?: string;
  /** Time allowed to one bridge run (loading the file, or one package's build); default one hour. */
  timeoutMs?: number;
  /** Environment of the package file (PATH, HOME, …); default this process's. */
  env?: Record<string, string | undefined>;
}

interface Described {
  build_type: string | null;
  build_types_named: string[];
  packages: Array<Record<string, unknown>>;
}

/** A bridge run's answer and the package's own output (its log). */
export interface BridgeRun<T> {
  result: T;
  log: string;
}

/** Reads the packages a package.py / packages.py defines, validating each like a mip.yaml. */
export async function readPythonPackages(
  bridge: PythonBridge,
  file: string,
  dir: string,
): Promise<Array<PackageDefinition | PackyardError>> {
  const { result: described } = await runBridge<Described>(bridge, ['describe', file], file, dir, file);
  const buildType = bridge.buildType ?? 'standard';
  if (described.packages.length === 0) {
    const named = described.build_types_named.filter((t) => t !== buildType);
    throw new PackyardError(
      'CONFIG_INVALID',
      `defines no package for BUILD_TYPE=${JSON.stringify(buildType)}${
        named.length > 0
          ? `; the build types it names are ${named.map((t) => JSON.stringify(t)).join(', ')} (choose one with --build-type)`
          : ''
      }`,
      { file, field: 'packages', value: [] },
    );
  }
  return described.packages.map((attributesOf, index) => {
    try {
      const { exposed_symbols: _ignored, ...attributes } = attributesOf;
      const metadata = validateAgainst(
        PythonPackageSchema,
        attributes,
        described.packages.length > 1 ? `${file} [${index}]` : file,
      );
      return { kind: 'python', file, dir, index, metadata, buildType: described.build_type ?? undefined };
    } catch (error) {
      return error as PackyardError;
    }
  });
}

/** Runs the package's build(mhl_dir) or prepare(mhl_dir); returns the exposed symbols it set and its log. */
export async function buildPythonPackage(
  bridge: PythonBridge,
  definition: Extract<PackageDefinition, { kind: 'python' }>,
  mhlDir: string,
): Promise<BridgeRun<string[]>> {
  const run = await runBridge<{ exposed_symbols: string[] }>(
    bridge,
    ['build', definition.file, String(definition.index), mhlDir],
    definition.file,
    definition.dir,
    definition.metadata.name,
  );
  return { result: run.result.exposed_symbols, log: run.log };
}

/**
 * Runs bridge.py in its own process group with a time limit. The package's stdout and stderr are its
 * log; the answer comes back in a result file, so anything the package prints is harmless.
 */
async function runBridge<T>(
  bridge: PythonBridge,
  args: string[],
  file: string,
  dir: string,
  what: string,
): Promise<BridgeRun<T>> {
  const work = await mkdtemp(join(tmpdir(), 'packyard-mip-bridge-'));
  const resultFile = join(work, 'result.json');
  const timeoutMs = bridge.timeoutMs ?? DEFAULT_TIME_LIMITS.buildMs;
  try {
    const run = await runBounded(bridge.python, [BRIDGE, resultFile, ...args], {
      cwd: dir,
      env: {
        ...(bridge.env ?? process.env),
        BUILD_TYPE: bridge.buildType ?? 'standard',
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONUNBUFFERED: '1',
      },
      timeoutMs,
    });
    const text = await readFile(resultFile, 'utf8').catch(() => undefined);
    if (run.exitCode !== 0 || text === undefined) {
      const step = args[0] === 'describe' ? 'loading the package file' : `building ${what}`;
      const tail = tailLines(run.output.trimEnd(), 15);
      const failure = run.timedOut ? TimeLimitError : PackyardError;
      throw new failure(
        'BUILD_FAILED',
        `${step} failed: python ${describeExit(run, timeoutMs)}${tail ? `; its output ends:\n${tail}` : ''}`,
        {
          file,
          value: what,
          hint: run.timedOut ? 'raise the limit with --time-limit-build SECONDS' : undefined,
        },
      );
    }
    return { result: JSON.parse(text) as T, log: run.output };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
