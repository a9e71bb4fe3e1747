import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkWheelFile } from '../src/index.js';
import { brokenCorpus, exampleReleaseDir, pypiWheelsDir } from './fixture-paths.js';

// Built by `nx run wheel-release-lib:fixtures` (test/fixtures/build-fixtures.mjs).
const corpus = brokenCorpus();

describe('the broken-wheel corpus (test/fixtures/make_broken.py, derived from real wheels)', () => {
  it('holds at least 24 broken wheels, each breaking a different rule', () => {
    expect(corpus.wheels.length).toBeGreaterThanOrEqual(24);
    expect(new Set(corpus.wheels.map((w) => w.case)).size).toBe(corpus.wheels.length);
  });

  it.each(corpus.wheels.map((w) => [w.case, w] as const))(
    '%s: refused, naming the file and the rule',
    async (_case, wheel) => {
      const { problems } = await checkWheelFile(join(corpus.dir, wheel.case, wheel.file));
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.every((p) => p.file === wheel.file)).toBe(true);
      expect(problems.map((p) => p.check)).toContain(wheel.rule);
    },
  );
});

describe('no false positives on real wheels', () => {
  it('finds no problem in any pinned PyPI wheel (test/fixtures/pypi-wheels.json)', async () => {
    const dir = pypiWheelsDir();
    const names = (await readdir(dir)).filter((n) => n.endsWith('.whl')).sort();
    expect(names.length).toBeGreaterThanOrEqual(40);
    const found: string[] = [];
    for (const name of names) {
      const { problems } = await checkWheelFile(join(dir, name));
      found.push(...problems.map((p) => `${p.file}: ${p.check}: ${p.message}`));
    }
    expect(found).toEqual([]);
  });

  it("htty_core 0.2.30's Linux wheels (maturin 1.9.1): the one combined Tag line is a warning, not a problem", async () => {
    const dir = pypiWheelsDir();
    const linux = (await readdir(dir)).filter(
      (n) => n.startsWith('htty_core-0.2.30-') && n.includes('manylinux'),
    );
    expect(linux).toHaveLength(2);
    for (const name of linux) {
      const { problems, warnings } = await checkWheelFile(join(dir, name));
      expect(problems).toEqual([]);
      expect(warnings.map((w) => [w.file, w.check])).toEqual([[name, 'wheel-tag-compressed']]);
      expect(warnings[0]!.message).toContain('PyPI, pip and twine accept it today');
    }
  });

  it("finds nothing in the example release's wheels, which packyard builds", async () => {
    const dir = exampleReleaseDir();
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.whl'))) {
      const { problems, warnings } = await checkWheelFile(join(dir, name));
      expect([name, problems, warnings]).toEqual([name, [], []]);
    }
  });
});
