import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';

/** A temporary directory that lives while one test file runs. */
export interface TempRoot {
  /** Its path; read it inside tests and hooks (it exists from the file's first hook to its last). */
  readonly path: string;
}

/**
 * One temporary directory for a test file: made (under the OS temporary directory, named
 * `<prefix>XXXXXX`) before the file's tests, removed with everything in it after them. Call it at
 * the top of the file.
 */
export function useTempRoot(prefix: string): TempRoot {
  let path: string | undefined;
  beforeAll(async () => {
    path = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (path !== undefined) await rm(path, { recursive: true, force: true });
  });
  return {
    get path(): string {
      if (path === undefined)
        throw new Error(`${prefix}: the temporary root exists only while the tests run`);
      return path;
    },
  };
}
