import { symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import semver from 'semver';
import { checkNodeVersions, readNodeVersions, type NodeVersions } from '../src/node-version.js';
import { useScratchTree } from './scratch-tree.js';

const repositoryRoot = resolve(import.meta.dirname, '../../..');

function aRepository(overrides: Partial<NodeVersions> = {}): NodeVersions {
  return {
    engines: '^20.19.0',
    hermit: ['20.20.2'],
    packages: [{ file: 'libs/core/package.json', engines: '>=20.19.0' }],
    workflows: [
      {
        file: 'templates/x/workflows/ci.yml',
        key: 'jobs.test.steps[1].with.node-version',
        nodeVersion: '20',
      },
    ],
    ...overrides,
  };
}

describe('checkNodeVersions', () => {
  test('finds nothing when every place names the same Node', () => {
    expect(checkNodeVersions(aRepository())).toEqual([]);
  });

  test('a Hermit node outside engines.node is a finding', () => {
    expect(checkNodeVersions(aRepository({ hermit: ['22.15.1'] }))).toEqual([
      {
        file: 'bin/',
        key: '.node-22.15.1.pkg',
        value: '22.15.1',
        message: 'the Hermit node is outside engines.node ^20.19.0',
      },
    ]);
  });

  test('the Hermit environment pins exactly one node', () => {
    expect(checkNodeVersions(aRepository({ hermit: [] }))).toEqual([
      expect.objectContaining({ file: 'bin/', value: '(none)' }),
    ]);
    expect(checkNodeVersions(aRepository({ hermit: ['20.19.0', '20.20.2'] }))).toEqual([
      expect.objectContaining({ file: 'bin/', value: '20.19.0, 20.20.2' }),
    ]);
  });

  test('a workspace package whose engines.node starts elsewhere is a finding', () => {
    const packages = [
      { file: 'libs/core/package.json', engines: '>=20' },
      { file: 'libs/mip/package.json', engines: '>=20.19.0' },
      { file: 'apps/x/package.json', engines: 'not a range' },
    ];
    expect(checkNodeVersions(aRepository({ packages }))).toEqual([
      {
        file: 'libs/core/package.json',
        key: 'engines.node',
        value: '>=20',
        message: 'must start at 20.19.0, like the root engines.node ^20.19.0',
      },
      expect.objectContaining({ file: 'apps/x/package.json', value: 'not a range' }),
    ]);
  });

  test('a workflow that sets up another Node is a finding, naming the key', () => {
    const workflows = [
      { file: 'templates/a/workflows/ci.yml', key: 'jobs.a.steps[0].with.node-version', nodeVersion: '22' },
      { file: 'templates/b/workflows/ci.yml', key: 'jobs.b.steps[2].with.node-version', nodeVersion: '20.x' },
    ];
    expect(checkNodeVersions(aRepository({ workflows }))).toEqual([
      {
        file: 'templates/a/workflows/ci.yml',
        key: 'jobs.a.steps[0].with.node-version',
        value: '22',
        message: 'must be a Node within engines.node ^20.19.0',
      },
    ]);
  });

  test('a missing or unparsable root engines.node is the only finding', () => {
    for (const engines of [undefined, 'twenty']) {
      expect(checkNodeVersions(aRepository({ engines, hermit: [] }))).toEqual([
        expect.objectContaining({ file: 'package.json', key: 'engines.node', value: engines ?? '(absent)' }),
      ]);
    }
  });
});

describe('readNodeVersions', () => {
  const tree = useScratchTree('ci-lint-node-');

  test('reads engines, the Hermit pin, workspace engines and setup-node versions', async () => {
    await tree.write({
      'package.json': JSON.stringify({ name: 'r', engines: { node: '^20.19.0' } }),
      'bin/hermit': '#!/bin/bash\n',
      'libs/b/package.json': JSON.stringify({ name: 'b', engines: { node: '>=20.19.0' } }),
      'libs/a/package.json': JSON.stringify({ name: 'a', engines: { node: '>=20' } }),
      'apps/c/package.json': JSON.stringify({ name: 'c' }),
      'tools/readme-only/README.md': '# no package.json',
      'templates/t/workflows/ci.yml': [
        'on: push',
        'jobs:',
        '  test:',
        '    runs-on: ubuntu-24.04',
        '    steps:',
        '      - uses: actions/checkout@v5',
        '      - uses: actions/setup-node@v6',
        '        with:',
        '          node-version: 22',
        '      - uses: actions/setup-python@v6',
        '        with:',
        '          python-version: "3.12"',
        '',
      ].join('\n'),
    });
    await symlink('hermit', join(tree.dir(), 'bin', '.node-20.20.2.pkg'));
    await symlink('hermit', join(tree.dir(), 'bin', '.go-1.26.0.pkg'));

    expect(await readNodeVersions(tree.dir())).toEqual({
      engines: '^20.19.0',
      hermit: ['20.20.2'],
      packages: [
        { file: 'libs/a/package.json', engines: '>=20' },
        { file: 'libs/b/package.json', engines: '>=20.19.0' },
      ],
      workflows: [
        {
          file: 'templates/t/workflows/ci.yml',
          key: 'jobs.test.steps[1].with.node-version',
          nodeVersion: '22',
        },
      ],
    });
  });
});

test('this repository names one Node version, and the tests run on it', async () => {
  const versions = await readNodeVersions(repositoryRoot);
  expect(checkNodeVersions(versions)).toEqual([]);
  expect(versions.hermit).toHaveLength(1);
  expect(versions.packages.length).toBeGreaterThan(0);
  expect(versions.workflows.length).toBeGreaterThan(0);
  expect(semver.satisfies(process.version, versions.engines!)).toBe(true);
});
