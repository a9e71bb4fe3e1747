import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Thrown when output differs from its golden file; the message shows the first differing line. */
export class GoldenMismatchError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    const a = actual.split('\n');
    const e = expected.split('\n');
    let line = 0;
    while (line < a.length && a[line] === e[line]) line += 1;
    super(
      `output differs from ${path} at line ${line + 1}:\n  expected: ${JSON.stringify(e[line] ?? '<end>')}\n` +
        `  actual:   ${JSON.stringify(a[line] ?? '<end>')}\nrun with UPDATE_GOLDEN=1 to rewrite it, and review the diff`,
    );
    this.name = 'GoldenMismatchError';
  }
}

/**
 * A golden-file check over one directory: `expectGolden(name, actual)` compares `actual` byte for
 * byte with `<dir>/<name><suffix>`; with `UPDATE_GOLDEN=1` it writes the file instead.
 */
export function goldenFiles(
  dir: string,
  options: { suffix?: string; env?: Record<string, string | undefined> } = {},
): (name: string, actual: string) => Promise<void> {
  const suffix = options.suffix ?? '';
  const env = options.env ?? process.env;
  return async (name, actual) => {
    const path = join(dir, `${name}${suffix}`);
    if (env['UPDATE_GOLDEN'] === '1') {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, actual, 'utf8');
      return;
    }
    const expected = await readFile(path, 'utf8').catch(() => {
      throw new Error(`missing golden file ${path}; run with UPDATE_GOLDEN=1 to create it`);
    });
    if (actual !== expected) throw new GoldenMismatchError(path, expected, actual);
  };
}
