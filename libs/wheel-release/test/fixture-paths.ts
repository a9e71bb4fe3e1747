import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where `nx run wheel-release-lib:fixtures` (test/fixtures/build-fixtures.mjs) leaves what the tests read. */
export const FIXTURES_DIR = join(import.meta.dirname, '../../../dist/fixtures/wheel-release-lib');
/** The commit the example fixtures bake into the binaries and the sdist. */
export const FIXTURE_SHA = '0123456789abcdef0123456789abcdef01234567';

/** One broken wheel of the corpus (test/fixtures/make_broken.py). */
export interface BrokenWheel {
  case: string;
  file: string;
  /** The check id verify reports for it. */
  rule: string;
  source: string;
  what: string;
}

function need(path: string): string {
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: build the wheel-release fixtures first with \`npx nx run wheel-release-lib:fixtures\` (the test target depends on it)`,
    );
  }
  return path;
}

/** The example release built once: 4 platform wheels + the sdist, at FIXTURE_SHA. */
export function exampleReleaseDir(): string {
  return need(join(FIXTURES_DIR, 'example'));
}

/** The pinned real PyPI wheels (test/fixtures/pypi-wheels.json). */
export function pypiWheelsDir(): string {
  return need(join(FIXTURES_DIR, 'pypi'));
}

/** The broken-wheel corpus: its directory and what each case breaks. */
export function brokenCorpus(): { dir: string; wheels: BrokenWheel[] } {
  const dir = need(join(FIXTURES_DIR, 'broken'));
  const wheels = JSON.parse(readFileSync(need(join(dir, 'corpus.json')), 'utf8')) as BrokenWheel[];
  return { dir, wheels };
}
