// Runs the real pinned linters: actionlint (built with `go install`), shellcheck and zizmor (PyPI
// wheels through packyard's uv).
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isPackyardError } from '@packyard/core';
import { provisionTools } from '@packyard/python-tools';
import { renderLintReports, type LintReport } from '../src/findings.js';
import { lintWorkflows, provisionLinters, runActionlint, runZizmor, type Linters } from '../src/linters.js';

const repositoryRoot = resolve(import.meta.dirname, '../../..');

let linters: Linters;
let scratch: string;

beforeAll(async () => {
  linters = await provisionLinters({ tools: await provisionTools() });
});

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ci-lint-live-'));
});

afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function writeTree(files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(scratch, path)), { recursive: true });
    await writeFile(join(scratch, path), text);
  }
}

function byTool(reports: LintReport[], tool: LintReport['tool']): LintReport {
  const report = reports.find((r) => r.tool === tool);
  if (!report) throw new Error(`no ${tool} report`);
  return report;
}

test("the repository's workflows and workflow templates have no findings", async () => {
  const reports = await lintWorkflows({ root: repositoryRoot, linters });

  // On failure, the diff shows every finding of both linters with its file, line, rule and message.
  expect(reports.map((r) => ({ tool: r.tool, exitCode: r.exitCode, findings: r.findings }))).toEqual([
    { tool: 'actionlint', exitCode: 0, findings: [] },
    { tool: 'zizmor', exitCode: 0, findings: [] },
  ]);
  for (const report of reports) {
    expect(report.files).toEqual(
      expect.arrayContaining(['.github/workflows/hermit-pex.yml', '.github/workflows/pull-request.yml']),
    );
  }
});

// A workflow template (so the templates/ glob is exercised end to end) with three mistakes: an issue
// title expanded into a shell script, a runner label GitHub does not have, and an unquoted variable.
const badWorkflow = `name: bad
on:
  issues:
    types: [opened]
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-24.04-nonexistent
    steps:
      - run: echo "\${{ github.event.issue.title }}"
      - run: echo $RUNNER_TEMP/*
`;

test('a bad workflow template is reported by actionlint, its shellcheck integration and zizmor', async () => {
  await writeTree({ 'templates/demo/workflows/bad.yml': badWorkflow });

  const reports = await lintWorkflows({ root: scratch, linters });
  const actionlint = byTool(reports, 'actionlint');
  const zizmor = byTool(reports, 'zizmor');

  expect(actionlint.files).toEqual(['templates/demo/workflows/bad.yml']);
  expect(actionlint.exitCode).toBe(1);
  expect(actionlint.findings).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ rule: 'runner-label', line: 8, message: expect.stringContaining('unknown') }),
      expect.objectContaining({
        rule: 'expression',
        line: 10,
        message: expect.stringContaining('"github.event.issue.title" is potentially untrusted'),
      }),
      expect.objectContaining({ rule: 'shellcheck', line: 11, message: expect.stringContaining('SC2086') }),
    ]),
  );
  expect(zizmor.exitCode).toBeGreaterThanOrEqual(10);
  expect(zizmor.findings).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        rule: 'template-injection',
        file: 'templates/demo/workflows/bad.yml',
        line: 10,
        severity: expect.stringMatching(/^high\//),
      }),
    ]),
  );
  expect(renderLintReports(reports)).toMatch(
    /^templates\/demo\/workflows\/bad\.yml:10:\d+: zizmor template-injection \(high\/high\): /m,
  );
});

test('a workflow that is not valid YAML is a syntax error for actionlint and a failed run for zizmor', async () => {
  await writeTree({
    '.github/workflows/broken.yml': 'name: broken\non: push\njobs:\n  x:\n    runs-on: [ubuntu-24.04\n',
  });
  const files = ['.github/workflows/broken.yml'];

  const actionlint = await runActionlint(linters, files, { cwd: scratch });
  expect(actionlint.findings).toEqual([
    expect.objectContaining({ rule: 'syntax-check', file: '.github/workflows/broken.yml' }),
  ]);

  let caught: unknown;
  try {
    await runZizmor(linters, files, { cwd: scratch });
  } catch (error) {
    caught = error;
  }
  expect(isPackyardError(caught, 'TOOL_FAILED')).toBe(true);
  expect((caught as Error).message).toMatch(/invalid YAML syntax/);
});

test('a repository with no workflows is clean without running anything', async () => {
  await writeTree({ 'README.md': '# nothing here' });

  const reports = await lintWorkflows({ root: scratch, linters });

  expect(reports.map((r) => [r.tool, r.files.length, r.findings.length])).toEqual([
    ['actionlint', 0, 0],
    ['zizmor', 0, 0],
  ]);
});

test('without Go, provisioning actionlint fails with a hint and leaves nothing behind', async () => {
  const home = join(scratch, 'home');

  let caught: unknown;
  try {
    await provisionLinters({
      tools: { uv: linters.uv, python: linters.python, home },
      go: join(scratch, 'no-such-go'),
    });
  } catch (error) {
    caught = error;
  }

  expect(isPackyardError(caught, 'TOOL_PROVISION_FAILED')).toBe(true);
  expect((caught as { hint?: string }).hint).toMatch(/Go 1\.25/);
  expect(await readdir(join(home, 'tools'))).toEqual([]);
});
