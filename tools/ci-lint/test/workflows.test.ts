import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readWorkflowPaths } from '../src/workflows.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ci-lint-paths-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeTree(files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

test('finds the repository workflows and every workflows/ directory under templates/', async () => {
  await writeTree({
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

  expect(await readWorkflowPaths(root)).toEqual([
    '.github/workflows/ci.yml',
    '.github/workflows/release.yaml',
    'templates/a/b/workflows/deep.yaml',
    'templates/pkg-index/workflows/publish.yml',
    'templates/workflows/top.yml',
  ]);
});

test('a repository without workflows or templates has nothing to lint', async () => {
  await writeTree({ 'README.md': '# empty' });

  expect(await readWorkflowPaths(root)).toEqual([]);
});
