import { mkdtemp, mkdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
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
      allowDirectUrls: false,
      indexUrl: undefined,
      packageFromDirectory: false,
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
      'packages/tool/config.yaml: binarys: unknown key (allowed: config_version, package, description, binaries, test, repository, versions, extra_packages, allow_direct_urls, index_url)',
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

  it('names binaries that are . or .., repeated, clash after case folding or with the PEX', () => {
    const error = errorOf(
      valid.replace('binaries: [tool]', 'binaries: [tool, "..", Tool, tool, tool-linux-amd64.pex, "a b"]'),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.format()).toBe(
      [
        'packages/tool/config.yaml: binaries[1]: ".." is not a valid binary name',
        'packages/tool/config.yaml: binaries[5]: "a b" is not a valid binary name (letters, digits, ".", "_", "-")',
        'packages/tool/config.yaml: binaries[2]: "Tool" clashes with binaries[0] "tool" on a case-insensitive file system',
        'packages/tool/config.yaml: binaries[3]: "tool" is listed twice (also binaries[0])',
        'packages/tool/config.yaml: binaries[4]: "tool-linux-amd64.pex" clashes with the PEX file tool-linux-amd64.pex',
      ].join('\n'),
    );
    expect(error.field).toBe('binaries[1]');
  });

  it('refuses pip options and multi-line entries in extra_packages, naming the entry', () => {
    expect(errorOf(`${valid}extra_packages: ["click<9", "--index-url https://x/simple"]\n`).format()).toBe(
      'packages/tool/config.yaml: extra_packages[1]: "--index-url https://x/simple" is a pip option, not a requirement; options are not allowed (use index_url for the index)',
    );
    expect(errorOf(`${valid}extra_packages: ["a\\nb"]\n`).format()).toBe(
      'packages/tool/config.yaml: extra_packages[0]: "a\\nb" spans several lines; give one requirement per entry',
    );
  });

  it('accepts only http and https index URLs', () => {
    expect(errorOf(`${valid}index_url: ftp://mirror.example/simple\n`).format()).toBe(
      'packages/tool/config.yaml: index_url: "ftp://mirror.example/simple" is not an http or https URL',
    );
    expect(parsePackageConfig(`${valid}index_url: http://10.0.0.1:8080/simple\n`, FILE).indexUrl).toBe(
      'http://10.0.0.1:8080/simple',
    );
  });

  it('shows the invalid project name, written or taken from the directory', () => {
    expect(errorOf(valid.replace('package: tool', 'package: "-tool-"')).format()).toBe(
      'packages/tool/config.yaml: package: "-tool-" is not a valid Python project name (letters, digits, ".", "_", "-"; starting and ending with a letter or digit)',
    );
    const fromDir = (() => {
      try {
        parsePackageConfig(valid.replace('package: tool\n', ''), 'packages/my tool/config.yaml');
      } catch (error) {
        return error as PackyardError;
      }
      throw new Error('expected a refusal');
    })();
    expect(fromDir.format()).toBe(
      'packages/my tool/config.yaml: package: "my tool" (the directory name, as no package is given) is not a valid Python project name; set package: to the PyPI project',
    );
  });

  it('says config_version must be a positive whole number, and shows the value', () => {
    for (const [written, shown] of [
      ['0', '0'],
      ['-2', '-2'],
      ['1.5', '1.5'],
      ['"2"', '"2"'],
    ]) {
      expect(errorOf(`${valid}config_version: ${written}\n`).format()).toBe(
        `packages/tool/config.yaml: config_version: must be a positive whole number, not ${shown}`,
      );
    }
  });

  it('turns YAML that trips the resource limits into a config error naming the file', () => {
    // A "billion laughs": each alias level multiplies the last.
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i <= 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      bomb.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const error = errorOf(`${bomb.join('\n')}\n`);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.format()).toMatch(
      /^packages\/tool\/config\.yaml: YAML refused by the parser's resource limits: .*alias/i,
    );
    const huge = errorOf(`# ${'x'.repeat(300 * 1024)}\n${valid}`);
    expect(huge.format()).toBe(
      `packages/tool/config.yaml: is ${300 * 1024 + 3 + valid.length} bytes, more than the 262144 a package config may have`,
    );
  });

  it('refuses a config.yaml symlink that resolves outside the repository', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'packyard-outside-'));
    await writeFile(join(outside, 'config.yaml'), valid);
    const root = await mkdtemp(join(tmpdir(), 'packyard-repo-'));
    await mkdir(join(root, 'packages', 'tool'), { recursive: true });
    await mkdir(join(root, 'shared'));
    await writeFile(join(root, 'shared', 'tool.yaml'), valid);
    const file = join(root, 'packages', 'tool', 'config.yaml');
    await symlink(join(outside, 'config.yaml'), file);
    await expect(readPackageConfig(file, { root })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      file,
      message: `is a symlink to ${await realpath(join(outside, 'config.yaml'))}, outside the repository ${await realpath(root)}`,
    });
    // A link inside the repository is fine.
    await rm(file);
    await symlink(join(root, 'shared', 'tool.yaml'), file);
    expect((await readPackageConfig(file, { root })).package).toBe('tool');
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
