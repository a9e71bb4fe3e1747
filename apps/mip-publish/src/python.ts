import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PackyardError, runTool } from '@packyard/core';
import { PythonPackageSchema, validateAgainst, type PackageDefinition } from './config.js';

// python/bridge.py sits beside src/ and dist/ alike.
const BRIDGE = join(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'bridge.py');

/** How to run Python; default `python3` on PATH. */
export interface PythonBridge {
  python: string;
}

interface Described {
  attributes: Record<string, unknown>;
  build_type: string | null;
}

/** Reads the packages a package.py / packages.py defines, validating each like a mip.yaml. */
export async function readPythonPackages(
  bridge: PythonBridge,
  file: string,
  dir: string,
): Promise<Array<PackageDefinition | PackyardError>> {
  const out = await runBridge(bridge, ['describe', file], file, dir);
  const described = JSON.parse(out) as Described[];
  return described.map((entry, index) => {
    try {
      const { exposed_symbols: _ignored, ...attributes } = entry.attributes;
      const metadata = validateAgainst(
        PythonPackageSchema,
        attributes,
        described.length > 1 ? `${file} [${index}]` : file,
      );
      return { kind: 'python', file, dir, index, metadata, buildType: entry.build_type ?? undefined };
    } catch (error) {
      return error as PackyardError;
    }
  });
}

/** Runs the package's build(mhl_dir) or prepare(mhl_dir); returns the exposed symbols it set. */
export async function buildPythonPackage(
  bridge: PythonBridge,
  definition: Extract<PackageDefinition, { kind: 'python' }>,
  mhlDir: string,
): Promise<string[]> {
  const out = await runBridge(
    bridge,
    ['build', definition.file, String(definition.index), mhlDir],
    definition.file,
    definition.dir,
  );
  return (JSON.parse(out) as { exposed_symbols: string[] }).exposed_symbols;
}

async function runBridge(bridge: PythonBridge, args: string[], file: string, dir: string): Promise<string> {
  try {
    const { stdout } = await runTool(bridge.python, [BRIDGE, ...args], {
      cwd: dir,
      env: { PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
      tailLines: 6,
    });
    return stdout;
  } catch (error) {
    const message = (error as Error).message.replace(/^python3? exited with code \d+:?\n?/, '');
    throw new PackyardError(
      'BUILD_FAILED',
      `${args[0] === 'describe' ? 'loading' : 'building'} failed:\n${message}`,
      {
        file,
        cause: error,
      },
    );
  }
}
