import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { captureCli, type CliRun } from '@packyard/test-helpers';
import { main } from '../src/index.js';

export type { CliRun };

/**
 * Runs the CLI in this process with captured output; `env` replaces the environment whole, and
 * `stop` (when given) is what stops `serve`.
 */
export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  stop: AbortSignal = AbortSignal.abort(),
): Promise<CliRun> {
  return captureCli((streams) => main(args, { cwd: process.cwd(), env, stopSignal: () => stop, ...streams }));
}

export const WORKSPACE_ROOT = resolve(import.meta.dirname, '../../..');

/**
 * A minimal Nx workspace in a temporary directory, using this repository's installed Nx: one
 * project `p` whose cached target `make` writes `p/out/result.txt`.
 */
export async function aWorkspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'packyard-nx-ws-'));
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'cache-probe', private: true }),
    'nx.json': JSON.stringify({ analytics: false, neverConnectToCloud: true }),
    'p/project.json': JSON.stringify({
      name: 'p',
      targets: {
        make: {
          executor: 'nx:run-commands',
          cache: true,
          inputs: ['{projectRoot}/input.txt'],
          outputs: ['{projectRoot}/out'],
          options: { command: 'node make.mjs', cwd: 'p' },
        },
      },
    }),
    'p/input.txt': 'hello\n',
    'p/make.mjs':
      "import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';\n" +
      "mkdirSync('out', { recursive: true });\n" +
      "writeFileSync('out/result.txt', readFileSync('input.txt', 'utf8').toUpperCase());\n" +
      "console.log('made');\n",
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  await symlink(join(WORKSPACE_ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}
