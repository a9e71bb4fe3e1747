import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { main, type CliIo } from '../src/index.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process with captured output; `env` replaces the environment whole. */
export async function runCli(args: string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    cwd: io.cwd ?? process.cwd(),
    env: io.env ?? {},
    home: io.home ?? '/nonexistent-home',
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

/** A fresh temporary directory holding `files` (relative name → content). */
export async function aDir(root: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(root, 'd-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

/** A temporary root for one test file. */
export function aRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'packyard-dynamic-archives-'));
}
