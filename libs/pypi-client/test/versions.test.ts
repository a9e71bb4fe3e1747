import { describe, expect, it } from '@jest/globals';
import { isPackyardError } from '@packyard/core';
import {
  compareVersions,
  isPrerelease,
  isValidVersion,
  normalizeProjectName,
  sortVersions,
  versionFromFilename,
} from '@packyard/pypi-client';

describe('PEP 440 helpers', () => {
  it('validates versions', () => {
    for (const v of ['1.0', '1.0.0', '2.0rc1', '1.0.post1', '1!2.0', '1.0.dev0', '1.0+local.7', ' 1.0 ']) {
      expect([v, isValidVersion(v)]).toEqual([v, true]);
    }
    for (const v of ['', 'foo', '1.0-beta-x', '1..0', 'not.a.version']) {
      expect([v, isValidVersion(v)]).toEqual([v, false]);
    }
  });

  it('compares by PEP 440, not as strings or SemVer', () => {
    expect(compareVersions('1.0', '1.0.0')).toBe(0);
    expect(compareVersions('2.0rc1', '2.0')).toBeLessThan(0);
    expect(compareVersions('1.0.post1', '1.0')).toBeGreaterThan(0);
    expect(compareVersions('1.0.dev0', '1.0a1')).toBeLessThan(0);
    expect(compareVersions('10.0', '9.0')).toBeGreaterThan(0);
    expect(compareVersions('1!0.1', '2.0')).toBeGreaterThan(0);
  });

  it('throws a PackyardError when comparing something that is not a version', () => {
    expect(() => compareVersions('banana', '1.0')).toThrow('"banana" is not a PEP 440 version');
    let thrown: unknown;
    try {
      sortVersions(['1.0', 'banana']);
    } catch (error) {
      thrown = error;
    }
    expect(isPackyardError(thrown)).toBe(true);
  });

  it('sorts ascending without touching the input', () => {
    const input = ['2.0', '1.0.post1', '10.0', '2.0rc1', '1.0', '1.0.dev3', '1.0a1'];
    expect(sortVersions(input)).toEqual(['1.0.dev3', '1.0a1', '1.0', '1.0.post1', '2.0rc1', '2.0', '10.0']);
    expect(input[0]).toBe('2.0');
  });

  it('treats pre- and dev-releases as pre-releases, post-releases as not', () => {
    expect(['2.0rc1', '1.0a1', '1.0b2', '1.0.dev0', '1.0.post1.dev2'].map(isPrerelease)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['1.0', '1.0.post1', '1.0+local', 'nonsense'].map(isPrerelease)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('normalizeProjectName', () => {
  it('follows PEP 503', () => {
    expect(normalizeProjectName('Friendly-Bard')).toBe('friendly-bard');
    expect(normalizeProjectName('FRIENDLY._-bard')).toBe('friendly-bard');
    expect(normalizeProjectName('friendly__bard')).toBe('friendly-bard');
    expect(normalizeProjectName('zope.interface')).toBe('zope-interface');
  });
});

describe('versionFromFilename', () => {
  it('reads wheels (PEP 427), with or without a build tag', () => {
    expect(versionFromFilename('wait_for_it-2.3.0-py3-none-any.whl', 'wait-for-it')).toBe('2.3.0');
    expect(versionFromFilename('Pkg-1.0rc1-1-cp312-cp312-manylinux_2_17_x86_64.whl', 'pkg')).toBe('1.0rc1');
    expect(versionFromFilename('other-1.0-py3-none-any.whl', 'pkg')).toBeUndefined();
    expect(versionFromFilename('pkg-1.0-py3.whl', 'pkg')).toBeUndefined();
  });

  it('reads sdists whose name holds dashes and whose suffix varies', () => {
    expect(versionFromFilename('wait-for-it-0.0.1.tar.gz', 'wait-for-it')).toBe('0.0.1');
    expect(versionFromFilename('Django-1.11.zip', 'django')).toBe('1.11');
    expect(versionFromFilename('foo-bar-2.0.post1.tar.bz2', 'foo-bar')).toBe('2.0.post1');
    expect(versionFromFilename('foo-3.1.tgz', 'foo')).toBe('3.1');
    expect(versionFromFilename('foo-3.1-1.tar.xz', 'foo')).toBe('3.1.post1');
  });

  it('normalises versions and ignores what is not PEP 440 or not a distribution', () => {
    expect(versionFromFilename('foo-1.0RC1.tar.gz', 'foo')).toBe('1.0rc1');
    expect(versionFromFilename('foo-1.0+Ubuntu-1.tar.gz', 'foo')).toBe('1.0+ubuntu.1');
    expect(versionFromFilename('foo-latest.tar.gz', 'foo')).toBeUndefined();
    expect(versionFromFilename('foo-1.0.linux-x86_64.tar.gz', 'foo')).toBeUndefined();
    expect(versionFromFilename('foo-1.0.win32.exe', 'foo')).toBeUndefined();
    expect(versionFromFilename('foo-1.0-py2.7.egg', 'foo')).toBeUndefined();
    expect(versionFromFilename('bar-1.0.tar.gz', 'foo')).toBeUndefined();
  });
});
