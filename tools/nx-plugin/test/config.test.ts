import { PackyardError } from '@packyard/core';
import { parsePackageName, renderNodesError } from '../src/index.js';

const FILE = 'packages/demo/config.yaml';

function failureOf(text: string, directory = 'demo'): PackyardError {
  try {
    parsePackageName(text, FILE, directory);
  } catch (error) {
    if (error instanceof PackyardError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('parsePackageName', () => {
  it('returns the package when it is the directory name', () => {
    expect(parsePackageName('config_version: 1\npackage: demo\n', FILE, 'demo')).toBe('demo');
    expect(parsePackageName('package: wait-for-it\n', FILE, 'wait-for-it')).toBe('wait-for-it');
  });

  it('names the file, the field and both names when package differs from the directory', () => {
    const error = failureOf('config_version: 1\npackage: other\n');
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', file: FILE, field: 'package', value: 'other' });
    expect(error.message).toBe('"other" differs from its directory name "demo"');
    expect(error.format()).toMatch(/^packages\/demo\/config\.yaml: package: "other" differs/);
    expect(error.hint).toContain('packages/other');
  });

  it('refuses a missing, null or non-string package', () => {
    expect(failureOf('config_version: 1\n')).toMatchObject({ field: 'package', message: 'is missing' });
    expect(failureOf('package:\n')).toMatchObject({ field: 'package', message: 'is missing' });
    const numeric = failureOf('package: 1.10\n');
    expect(numeric).toMatchObject({ field: 'package', value: 1.1 });
    expect(numeric.message).toBe('must be a string, not 1.1');
  });

  it('refuses a name that is not a PyPI-style name, even when it matches its directory', () => {
    const error = failureOf('package: "a b"\n', 'a b');
    expect(error).toMatchObject({ field: 'package', value: 'a b' });
    expect(error.message).toContain('not a valid package name');
    expect(failureOf('package: -lead\n', '-lead').field).toBe('package');
  });

  it('names the file and the line and column of a YAML syntax error', () => {
    const error = failureOf('config_version: 1\npackage: demo\nversions: [1.0\n');
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', file: FILE, field: undefined });
    expect(error.message).toMatch(/^not valid YAML: .*at line \d+, column \d+/);
    expect(failureOf('package: a\npackage: b\n').message).toContain('Map keys must be unique at line 2');
  });

  it('refuses a document that is not a mapping', () => {
    expect(failureOf('- package: demo\n').message).toBe('the file is not a YAML mapping');
    expect(failureOf('').message).toBe('the file is not a YAML mapping');
  });
});

describe('renderNodesError', () => {
  it('puts field and hint into the text, since Nx prints only the message under the file', () => {
    const error = new PackyardError('CONFIG_INVALID', '"b" differs from its directory name "a"', {
      file: 'packages/a/config.yaml',
      field: 'package',
      value: 'b',
      hint: 'rename it',
    });
    expect(renderNodesError(error)).toBe('package: "b" differs from its directory name "a"\nhint: rename it');
    expect(renderNodesError(new PackyardError('CONFIG_INVALID', 'broken'))).toBe('broken');
  });
});
