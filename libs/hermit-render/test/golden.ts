import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const TESTDATA = join(import.meta.dirname, 'testdata');

/**
 * Compares `actual` byte for byte with test/testdata/<name>.golden. `UPDATE_GOLDEN=1` rewrites the
 * file instead; review the diff before committing it.
 */
export async function expectGolden(name: string, actual: string): Promise<void> {
  const path = join(TESTDATA, `${name}.golden`);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    await writeFile(path, actual, 'utf8');
    return;
  }
  const expected = await readFile(path, 'utf8').catch(() => {
    throw new Error(`missing golden file ${path}; run with UPDATE_GOLDEN=1 to create it`);
  });
  expect(actual).toBe(expected);
}
