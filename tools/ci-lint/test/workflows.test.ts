import { readWorkflowPaths } from '../src/workflows.js';
import { useScratchTree } from './scratch-tree.js';

const tree = useScratchTree('ci-lint-paths-');

test('finds the repository workflows and every workflows/ directory under templates/', async () => {
  await tree.write({
    '.github/workflows/ci.yml': 'on: push',
    '.github/workflows/release.yaml': 'on: push',
    '.github/workflows/README.md': '# not a workflow',
    '.github/workflows/nested/ignored.yml': 'on: push',
    '.github/dependabot.yml': 'version: 2',
    'templates/workflows/top.yml': 'on: push',
    'templates/pkg-index/workflows/publish.yml': 'on: push',
    'templates/a/b/workflows/deep.yaml': 'on: push',
    'templates/pkg-index/other/not-a-workflow.yml': 'key: value',
    'templates/hermit-manifest.hcl.hbs': 'description = ""',
    'templates/node_modules/x/workflows/vendored.yml': 'on: push',
  });

  expect(await readWorkflowPaths(tree.dir())).toEqual([
    '.github/workflows/ci.yml',
    '.github/workflows/release.yaml',
    'templates/a/b/workflows/deep.yaml',
    'templates/pkg-index/workflows/publish.yml',
    'templates/workflows/top.yml',
  ]);
});

test('a repository without workflows or templates has nothing to lint', async () => {
  await tree.write({ 'README.md': '# empty' });

  expect(await readWorkflowPaths(tree.dir())).toEqual([]);
});
