/**
 * `plan --json` is what `run` does: for every state a version can be in before a run (fresh, partial,
 * failed, published with a changed build_info), the actions `run --json` reports carrying out equal
 * the plan's, action for action. Three small real packages, this host's platform only.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  formatPlatform,
  hostPlatform,
  isPerformedAction,
  type VersionAction,
} from '@packyard/hermit-pex-pipeline';
import { aWorkspace, runCli } from './helpers.js';

const host = formatPlatform(hostPlatform());
const config = (pkg: string, binary: string, version: string, head = '') =>
  `${head}package: ${pkg}\nbinaries: [${binary}]\nversions:\n  - version: "${version}"\n    python: "3.11"\n`;
const WAIT_FOR_IT = config('wait-for-it', 'wait-for-it', '2.3.0');
const PYCODESTYLE = config('pycodestyle', 'pycodestyle', '2.12.1');
// A binary pyflakes does not have: the first run fails at the build, after the lock and the release.
const PYFLAKES_BAD = config('pyflakes', 'pyflake', '3.2.0');
const PYFLAKES = config('pyflakes', 'pyflakes', '3.2.0');

interface Entry {
  package: string;
  version: string;
  actions: VersionAction[];
  error?: string;
}

let root: string;
const cli = (...args: string[]) => runCli(root, [...args, '--platforms', host, '--json']);
const byPackage = (stdout: string) =>
  Object.fromEntries((JSON.parse(stdout) as Entry[]).map((e) => [`${e.package} ${e.version}`, e]));
/** What `run` must carry out of a plan: every action, without the status entries. */
const performedOf = (plan: Record<string, Entry>) =>
  Object.fromEntries(Object.entries(plan).map(([key, e]) => [key, e.actions.filter(isPerformedAction)]));

beforeAll(async () => {
  root = await aWorkspace({ 'wait-for-it': WAIT_FOR_IT, pycodestyle: PYCODESTYLE, pyflakes: PYFLAKES_BAD });
});

// Each step is its own test: a run builds up to three PEXes, and no test may come near jest's limit.
const fresh: { plan?: Record<string, Entry> } = {};
const later: { plan?: Record<string, Entry> } = {};

it('partial: prepare leaves a lock and a release with no tarball', async () => {
  expect((await cli('prepare', 'pycodestyle')).code).toBe(0);
});

it('plans fresh, partial and soon-failing versions', async () => {
  const plan = await cli('plan');
  expect(plan.code).toBe(0);
  fresh.plan = byPackage(plan.stdout);
  expect(fresh.plan['wait-for-it 2.3.0']!.actions).toEqual([
    'lock',
    'create-release',
    `build ${host}`,
    'publish',
  ]);
  expect(fresh.plan['pycodestyle 2.12.1']!.actions).toEqual([`build ${host}`, 'publish']);
  expect(fresh.plan['pyflakes 3.2.0']!.actions).toEqual([
    'lock',
    'create-release',
    `build ${host}`,
    'publish',
  ]);
});

it('fresh and partial: run carries out exactly the plan; a failing version stops where it failed', async () => {
  const run = await cli('run');
  expect(run.code).toBe(6);
  const done = byPackage(run.stdout);
  const expected = performedOf(fresh.plan!);
  expect(done['wait-for-it 2.3.0']!.actions).toEqual(expected['wait-for-it 2.3.0']);
  expect(done['pycodestyle 2.12.1']!.actions).toEqual(expected['pycodestyle 2.12.1']);
  expect(done['pyflakes 3.2.0']).toMatchObject({
    actions: ['lock', 'create-release'],
    error: 'the PEX has no script named "pyflake"',
  });
});

it('plans the failed version, a rebuild, and a published version', async () => {
  await writeFile(join(root, 'packages/pyflakes/config.yaml'), PYFLAKES);
  await writeFile(
    join(root, 'packages/wait-for-it/config.yaml'),
    config('wait-for-it', 'wait-for-it', '2.3.0', 'config_version: 2\n'),
  );
  const plan = await cli('plan');
  expect(plan.code).toBe(0);
  later.plan = byPackage(plan.stdout);
  expect(later.plan['pyflakes 3.2.0']!.actions).toEqual(['recreate-release', `build ${host}`, 'publish']);
  expect(later.plan['wait-for-it 2.3.0']!.actions).toEqual(['rebuild', `build ${host}`, 'publish']);
  expect(later.plan['pycodestyle 2.12.1']!.actions).toEqual(['up-to-date']);
});

it('failed and rebuild: run carries out exactly the plan; a published version does nothing', async () => {
  const run = await cli('run');
  expect(run.code).toBe(0);
  expect(
    Object.fromEntries(Object.entries(byPackage(run.stdout)).map(([key, e]) => [key, e.actions])),
  ).toEqual(performedOf(later.plan!));
});
