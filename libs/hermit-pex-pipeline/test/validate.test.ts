/**
 * The checks that need more than the config text, against the real machine and the pinned
 * `packaging` (the tools are provisioned once into packyard's home and shared with the e2e tests).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackyardError } from '@packyard/core';
import { provisionTools } from '@packyard/pex-builder';
import { parsePackageConfig } from '../src/config.js';
import {
  checkExtraPackages,
  checkPythonVersions,
  findDuplicateProjects,
  normalizeProjectName,
} from '../src/validate.js';

const FILE = 'packages/tool/config.yaml';

/** A workspace with the given package configs, in a fresh temporary directory. */
async function aWorkspace(packages: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'packyard-hermit-pex-pipeline-'));
  for (const [name, config] of Object.entries(packages)) {
    await mkdir(join(root, 'packages', name), { recursive: true });
    await writeFile(join(root, 'packages', name, 'config.yaml'), config);
  }
  return root;
}
const INDEX = 'https://pypi.org/simple';
const config = (extra: string) =>
  parsePackageConfig(
    `package: tool\nbinaries: [tool]\nversions: [{version: "1.0", python: "3.11"}]\n${extra}`,
    FILE,
  );

async function refusal(promise: Promise<unknown>): Promise<PackyardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof PackyardError) return error;
  throw new Error(`expected a PackyardError, got ${String(error)}`);
}

describe('extra_packages', () => {
  const tools = () => provisionTools();

  it('allows a direct URL reference only with allow_direct_urls: true', async () => {
    const url = 'extra_packages: ["tomli @ https://example.org/tomli-2.0.1-py3-none-any.whl", "click<9"]\n';
    const refused = await refusal(checkExtraPackages(config(url), tools, INDEX));
    expect([refused.code, refused.field, refused.value]).toEqual([
      'CONFIG_INVALID',
      'extra_packages[0]',
      'tomli @ https://example.org/tomli-2.0.1-py3-none-any.whl',
    ]);
    await expect(
      checkExtraPackages(config(`${url}allow_direct_urls: true\n`), tools, INDEX),
    ).resolves.toBeUndefined();
  });

  it('reports every entry packaging cannot parse, each by its key', async () => {
    const error = await refusal(
      checkExtraPackages(config('extra_packages: ["click<9", "rich>=<13", "a b c"]\n'), tools, INDEX),
    );
    expect(error.field).toBe('extra_packages[1]');
    const lines = error.format().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^packages\/tool\/config\.yaml: extra_packages\[1\]: "rich>=<13" is not a PEP 508 requirement: \S/,
    );
    expect(lines[1]).toMatch(
      /^packages\/tool\/config\.yaml: extra_packages\[2\]: "a b c" is not a PEP 508 requirement: \S/,
    );
  });
});

describe('python versions', () => {
  it('accepts a version with a shipped platform description even without an interpreter', async () => {
    await expect(
      checkPythonVersions(
        parsePackageConfig(`binaries: [t]\nversions: [{version: "1", python: "3.14"}]\n`, FILE),
      ),
    ).resolves.toBeUndefined();
  });

  it('names every bound that cannot be built', async () => {
    const error = await refusal(
      checkPythonVersions(
        parsePackageConfig(
          `binaries: [t]\nversions: [{version: "1", python: "3.8"}, {version: "2", python: "3.11"}, {version: "3", python: "3.99"}]\n`,
          FILE,
        ),
      ),
    );
    // 3.8 has no description; it is refused unless this machine has a CPython 3.8.
    expect(error.field).toMatch(/^versions\[(0|2)\]\.python$/);
    expect(error.format()).toContain('versions[2].python: "3.99" cannot be built here');
    expect(error.format()).not.toContain('versions[1]');
  });
});

describe('duplicate projects', () => {
  it('refuses every directory of a project named twice (PEP 503 names), naming the other files', async () => {
    const root = await aWorkspace({
      one: 'package: Foo.Bar\nbinaries: [x]\nversions: [{version: "1", python: "3.11"}]\n',
      two: 'package: foo_bar\nbinaries: [x]\nversions: [{version: "1", python: "3.11"}]\n',
      three: 'package: other\nbinaries: [x]\nversions: [{version: "1", python: "3.11"}]\n',
      broken: 'binaries: [\n',
    });
    await mkdir(join(root, 'packages', 'foo-bar'));
    await writeFile(
      join(root, 'packages', 'foo-bar', 'config.yaml'),
      'binaries: [x]\nversions: [{version: "1", python: "3.11"}]\n',
    );
    const packages = join(root, 'packages');
    const refused = await findDuplicateProjects(packages, ['broken', 'foo-bar', 'one', 'three', 'two']);
    expect([...refused.keys()].sort()).toEqual(['foo-bar', 'one', 'two']);
    expect(refused.get('foo-bar')!.format()).toBe(
      `${join(packages, 'foo-bar/config.yaml')}: package: "foo-bar" (the directory name) is also the project of ${join(packages, 'one/config.yaml')}, ${join(packages, 'two/config.yaml')}; one directory per project, so neither is built`,
    );
    expect(normalizeProjectName('Foo._-Bar')).toBe('foo-bar');
  });
});
