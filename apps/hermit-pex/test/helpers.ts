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

/** Runs the CLI in-process against a workspace root. */
export async function runCli(root: string, args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main([...args, '--root', root], {
    cwd: root,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
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
