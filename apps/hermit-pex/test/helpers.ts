import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../src/cli.js';

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

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
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
  let stdout = '';
  let stderr = '';
  const running = main([...args, '--root', root], {
    cwd: root,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  const guard = options.hangGuard;
  if (guard === undefined) return { code: await running, stdout, stderr };
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const last = stderr.trimEnd().split('\n').slice(-20).join('\n');
      reject(
        new Error(
          `${guard.what} hung: not finished after ${guard.ms / 60_000} minutes; its last output:\n${last}`,
        ),
      );
    }, guard.ms);
  });
  try {
    return { code: await Promise.race([running, hung]), stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
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
