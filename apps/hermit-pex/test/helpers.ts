import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { captureCli, withHangGuard, type CliRun } from '@packyard/test-helpers';
import { main } from '../src/cli.js';

export type { CliRun };

export const run = promisify(execFile);

/** A workspace with the given package configs, in a fresh temporary directory. */
export async function aWorkspace(packages: Record<string, string | null>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'packyard-hermit-pex-'));
  for (const [name, config] of Object.entries(packages)) {
    await mkdir(join(root, 'packages', name), { recursive: true });
    if (config !== null) await writeFile(join(root, 'packages', name, 'config.yaml'), config);
  }
  return root;
}

/**
 * Runs the CLI in-process against a workspace root. With `hangGuard`, a run that has not finished
 * after that long fails the test saying what hung and what it printed last; set it far above any
 * real duration, so only a hang trips it, never a slow machine.
 */
export async function runCli(
  root: string,
  args: string[],
  options: { hangGuard?: { ms: number; what: string } } = {},
): Promise<CliRun> {
  let stderr = '';
  const running = captureCli((streams) =>
    main([...args, '--dir', root], {
      cwd: root,
      stdout: streams.stdout,
      stderr: (text) => {
        stderr += text;
        streams.stderr(text);
      },
    }),
  );
  return options.hangGuard === undefined ? running : withHangGuard(running, options.hangGuard, () => stderr);
}

export async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

export async function extract(tarball: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'packyard-extract-'));
  await run('tar', ['-xzf', tarball, '-C', dir]);
  return dir;
}

export function storeAsset(root: string, tag: string, name: string): string {
  return join(root, 'dist', 'releases', tag, 'assets', name);
}

export { dirname };
