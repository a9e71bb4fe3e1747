import { cp, mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureCli } from '@packyard/test-helpers';
import { main } from '../src/index.js';

export const SHIPPED = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'mip-packages');
export const SETUP_OCTAVE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'tools',
  'scripts',
  'setup-octave.sh',
);

/** A workspace root with the shipped packages (or none) and extra package files. */
export async function aWorkspace(files: Record<string, string> = {}, shipped = true): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'packyard-mip-'));
  await mkdir(join(root, 'mip-packages'), { recursive: true });
  if (shipped) await cp(SHIPPED, join(root, 'mip-packages'), { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, 'mip-packages', path)), { recursive: true });
    await writeFile(join(root, 'mip-packages', path), text);
  }
  return root;
}

/** Runs the CLI in-process; returns its exit code, its result on stdout and its log on stderr. */
export async function runCli(
  root: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; out: string; err: string }> {
  const run = await captureCli((streams) =>
    main(args, {
      cwd: root,
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], SOURCE_DATE_EPOCH: '1700000000', ...env },
      ...streams,
    }),
  );
  return { code: run.code, out: run.stdout, err: run.stderr };
}
