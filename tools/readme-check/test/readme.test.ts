/**
 * Every command README.md and each app's README.md show runs as written in a fresh copy of the
 * repository: its tracked files and node_modules, with an empty Nx cache of its own, so each app
 * compiles from nothing as in a new clone. Blocks marked `<!-- readme-test: skip (…) -->` are left
 * out, and the page says why (credentials, a remote, a long-running server). A command two pages
 * show runs once.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { makeFreshClone } from '@packyard/test-helpers';
import { extractCommands, freshEnvironment, tableColumnCode } from '../src/index.js';

const root = join(import.meta.dirname, '../../..');
const readme = await readFile(join(root, 'README.md'), 'utf8');
const commands = extractCommands(readme, 'README.md');
const appPages = (await readdir(join(root, 'apps'), { withFileTypes: true }))
  .filter((entry) => entry.isDirectory())
  .map((entry) => `apps/${entry.name}/README.md`)
  .sort();
const appCommands = (
  await Promise.all(
    appPages.map(async (page) => extractCommands(await readFile(join(root, page), 'utf8'), page)),
  )
).flat();
const runnable = [...commands, ...appCommands].filter(
  (c, i, all) => c.skip === undefined && all.findIndex((o) => o.command === c.command) === i,
);
// Hang guards only, far above what a loaded machine needs (the first command compiles from scratch).
const HANG_GUARD_MS = 3_600_000;

let work: string;
let copy: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'packyard-readme-check-'));
  copy = join(work, 'packyard');
  // Its tracked files as the work tree holds them, and node_modules copied: a clone after `npm install`.
  await makeFreshClone(root, copy);
}, HANG_GUARD_MS);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('README.md', () => {
  it('shows the Quick start CI runs: two lines in one block, the second the one .ci/run runs', async () => {
    const quick = commands.filter((c) => c.skip?.startsWith('the Quick start'));
    expect(quick.map((c) => c.command)).toEqual([
      'npm install && npx nx run pex-builder:build',
      'npm install && npm test',
    ]);
    expect(quick[1]!.line).toBe(quick[0]!.line + 1);
    const ci = await readFile(join(root, '.ci/run'), 'utf8');
    expect(ci.trimEnd().split('\n').at(-1)).toBe(quick[1]!.command);
  });

  it('has a try-it command for each of the five pipelines, and each one is a command it runs', () => {
    const cells = tableColumnCode(readme, '## The five pipelines', 'try it');
    expect(cells).toHaveLength(5);
    for (const cell of cells) {
      expect(cell).toHaveLength(1);
      expect(runnable.map((c) => c.command)).toContain(cell[0]);
    }
  });

  it("reads every app's page, each with commands run or marked with why not", () => {
    expect(appPages).toHaveLength(6);
    for (const page of appPages) {
      expect([page, appCommands.filter((c) => c.file === page).length > 0]).toEqual([page, true]);
    }
  });

  it.each(runnable.map((c) => [`${c.file}:${c.line}`, c.command] as const))(
    'runs %s as written: %s',
    async (_where, command) => {
      const result = await execa('bash', ['-o', 'pipefail', '-ec', command], {
        cwd: copy,
        env: freshEnvironment(join(work, 'nx-cache')),
        extendEnv: false,
        reject: false,
        all: true,
        stdin: 'ignore',
      });
      const tail = (result.all ?? '').split('\n').slice(-40).join('\n');
      expect({ exitCode: result.exitCode, tail }).toEqual({
        exitCode: 0,
        tail: expect.any(String) as string,
      });
    },
    HANG_GUARD_MS,
  );
});
