// Runs an app's built CLI (apps/<dir>/dist/main.js) as a user runs it, in a child process.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { CliRun } from '@packyard/test-helpers';

/** The workspace root. */
export const ROOT = resolve(import.meta.dirname, '../../..');

/** Runs `apps/<app>/dist/main.js ARGS` in `cwd` with exactly `env` (nothing inherited). */
export function runApp(
  app: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string | undefined> },
): Promise<CliRun> {
  const main = join(ROOT, 'apps', app, 'dist', 'main.js');
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [main, ...args],
      { cwd: options.cwd, env: options.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}
