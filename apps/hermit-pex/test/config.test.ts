import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackyardError } from '@packyard/core';
import { parsePackageConfig, readPackageConfig } from '../src/config.js';

const FILE = 'packages/tool/config.yaml';

function errorOf(text: string): PackyardError {
  try {
    parsePackageConfig(text, FILE);
  } catch (error) {
    if (error instanceof PackyardError) return error;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

const valid = `
package: tool
binaries: [tool]
versions:
  - version: 1.0.0
    python: "3.11"
`;

describe('package config', () => {
  it('fills in the seed defaults', () => {
    const config = parsePackageConfig(valid, FILE);
    expect(config).toEqual({
      file: FILE,
      package: 'tool',
      configVersion: 1,
      description: 'Python tool tool packaged as PEX',
      binaries: ['tool'],
      test: 'tool --help',
      repository: undefined,
      versions: [{ version: '1.0.0', python: '3.11' }],
      extraPackages: [],
      indexUrl: undefined,
    });
  });

  it('takes the package name from the directory when it is not given', () => {
    expect(
      parsePackageConfig(
        'binaries: [x]\nversions: [{version: "2", python: "3.12"}]',
        'packages/my-tool/config.yaml',
      ).package,
    ).toBe('my-tool');
  });

  it('says that python: 3.10 was read as 3.1', () => {
    const error = errorOf(valid.replace('"3.11"', '3.10'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.format()).toBe(
      'packages/tool/config.yaml: versions[0].python: 3.10 is a YAML number (read as 3.1); quote it: python: "3.10"',
    );
  });

  it('says that an unquoted version: 1.10 was read as 1.1', () => {
    expect(errorOf(valid.replace('1.0.0', '1.10')).format()).toBe(
      'packages/tool/config.yaml: versions[0].version: 1.10 is a YAML number (read as 1.1); quote it: version: "1.10"',
    );
  });

  it('reports invalid YAML with its position', () => {
    const error = errorOf('binaries: [tool\nversions: {');
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.file).toBe(FILE);
    expect(error.message).toMatch(/^invalid YAML: .+ at line 2, column 1$/);
  });

  it('reports missing binaries and versions together', () => {
    const error = errorOf('package: tool\n');
    expect(error.format()).toBe(
      'packages/tool/config.yaml: binaries: is required\npackages/tool/config.yaml: versions: is required',
    );
    expect(error.field).toBe('binaries');
  });

  it('names an unknown key and the keys that are allowed', () => {
    const error = errorOf(`${valid}\nbinarys: [x]\n`);
    expect(error.format()).toBe(
      'packages/tool/config.yaml: binarys: unknown key (allowed: config_version, package, description, binaries, test, repository, versions, extra_packages, index_url)',
    );
    expect(errorOf(valid.replace('python: "3.11"', 'python: "3.11"\n    pyhton: "3.12"')).format()).toBe(
      'packages/tool/config.yaml: versions[0].pyhton: unknown key (allowed: version, python)',
    );
  });

  it('rejects a version that is not PEP 440', () => {
    const error = errorOf(valid.replace('1.0.0', 'latest-and-greatest'));
    expect(error.format()).toBe(
      'packages/tool/config.yaml: versions[0].version: "latest-and-greatest" is not a PEP 440 version',
    );
  });

  it('rejects a test command with ${…}, which Hermit would expand and fail on', () => {
    const error = errorOf(`${valid}test: tool --config \${HOME}/x\n`);
    expect(error.format()).toBe(
      'packages/tool/config.yaml: test: "tool --config ${HOME}/x": Hermit expands ${…} itself and fails on unknown variables; write $NAME',
    );
    expect(parsePackageConfig(`${valid}test: tool --config $HOME/x\n`, FILE).test).toBe(
      'tool --config $HOME/x',
    );
  });

  it('accepts PEP 440 forms that SemVer would not', () => {
    for (const version of ['1.0', '2.0rc1', '1.0.post1', '2024.1', '1!2.0']) {
      expect(parsePackageConfig(valid.replace('1.0.0', `"${version}"`), FILE).versions[0]?.version).toBe(
        version,
      );
    }
  });

  it('reports a missing config.yaml as CONFIG_MISSING with the path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packyard-config-'));
    await mkdir(join(dir, 'empty'));
    const file = join(dir, 'empty', 'config.yaml');
    await expect(readPackageConfig(file)).rejects.toMatchObject({
      code: 'CONFIG_MISSING',
      file,
      message: 'config.yaml is missing',
    });
    await writeFile(file, valid);
    expect((await readPackageConfig(file)).package).toBe('tool');
  });
});
