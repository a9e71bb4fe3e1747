import { isPackyardError } from '@packyard/core';
import { compareNames, planArchiveEntries, type ArchiveEntry } from '@packyard/archive';

const anEntry = (name: string): ArchiveEntry => ({ name, source: { data: name } });

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('planArchiveEntries', () => {
  it('sorts by UTF-8 bytes, not by UTF-16 code units or locale', () => {
    // JS's default sort compares UTF-16 code units, where U+1F600 (D83D DE00) comes before U+FF5E;
    // in UTF-8 (F0 9F 98 80 vs EF BD 9E) it comes after. GNU tar --sort=name and `sort` use bytes.
    const names = ['b', 'a/b', 'a-c', 'B', '\u{1F600}', '\uFF5E', 'a'];
    const planned = planArchiveEntries(names.map(anEntry)).map((entry) => entry.name);
    expect(planned).toEqual(['B', 'a', 'a-c', 'a/b', 'b', '\uFF5E', '\u{1F600}']);
    expect([...names].sort()).not.toEqual(planned);
  });

  it('does not reorder the caller array', () => {
    const entries = ['z', 'a'].map(anEntry);
    planArchiveEntries(entries);
    expect(entries.map((entry) => entry.name)).toEqual(['z', 'a']);
  });

  it.each([
    ['', 'is empty'],
    ['/etc/passwd', 'is absolute'],
    ['C:/x', 'is absolute'],
    ['../x', "'..' segment"],
    ['a/../../x', "'..' segment"],
    ['a/..', "'..' segment"],
    ['./a', "'.' segment"],
    ['a//b', 'empty path segment'],
    ['a/', 'empty path segment'],
    ['a\\b', "contains '\\'"],
    ['a\0b', 'NUL'],
  ])('rejects %j (%s) naming the entry', (name, problem) => {
    const error = errorOf(() => planArchiveEntries([anEntry('ok'), anEntry(name)]));
    expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
    expect((error as Error).message).toContain(JSON.stringify(name));
    expect((error as Error).message).toContain(problem);
    expect((error as { value: unknown }).value).toBe(name);
  });

  it('rejects a duplicate name', () => {
    const error = errorOf(() => planArchiveEntries([anEntry('bin/x'), anEntry('a'), anEntry('bin/x')]));
    expect(isPackyardError(error, 'ARCHIVE_INVALID')).toBe(true);
    expect((error as Error).message).toContain('"bin/x" appears more than once');
  });

  it('accepts names with dots that are not . or .. segments', () => {
    const names = ['.hidden', 'a/..b', 'a/b..', '...'];
    expect(planArchiveEntries(names.map(anEntry))).toHaveLength(4);
  });
});

describe('compareNames', () => {
  it('is byte order', () => {
    expect(compareNames('a', 'b')).toBeLessThan(0);
    expect(compareNames('Z', 'a')).toBeLessThan(0);
    expect(compareNames('\u{1F600}', '\uFF5E')).toBeGreaterThan(0);
    expect(compareNames('same', 'same')).toBe(0);
  });
});
