import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fresh temporary directory for each test of the calling file, filled from path → text literals. */
export function useScratchTree(prefix: string): {
  dir: () => string;
  write: (files: Record<string, string>) => Promise<void>;
} {
  let root = '';
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return {
    dir: () => root,
    write: async (files) => {
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(root, path)), { recursive: true });
        await writeFile(join(root, path), text);
      }
    },
  };
}
