import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { captureCli, type CliRun } from '@packyard/test-helpers';
import { main, type CliIo } from '../src/index.js';

export type { CliRun };

/** Runs the CLI in this process with captured output; `env` replaces the environment whole. */
export function runCli(args: string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  return captureCli((streams) =>
    main(args, {
      cwd: io.cwd ?? process.cwd(),
      env: io.env ?? {},
      home: io.home ?? '/nonexistent-home',
      ...streams,
    }),
  );
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
