// The update steps with real git over bare repositories: the order they run in, what each hands on,
// and that a failing step stops the update before anything later runs or is pushed.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepEvent } from '@packyard/core';
import { isPackyardError } from '@packyard/core';
import { createGitRunner, runUpdate, type UpdateOptions } from '@packyard/pkg-index-pipeline';
import { addFilesToIndex } from '@packyard/wheel-index';
import { execa } from 'execa';

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await execa('git', ['-c', 'init.defaultBranch=main', ...args], { cwd, env: GIT_ENV });
  return String(result.stdout).trim();
}

let base: string;
let gitBase: string;
let indexRepo: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'pkg-index-steps-'));
  gitBase = join(base, 'git');
  const source = join(gitBase, 'Acme', 'lib');
  await mkdir(source, { recursive: true });
  await git(source, 'init', '--quiet', '--bare');
  const work = join(base, 'work');
  await git(base, 'clone', '--quiet', source, work);
  await writeFile(join(work, 'README'), 'lib\n');
  await git(work, 'add', 'README');
  await git(work, 'commit', '--quiet', '-m', 'first');
  await git(work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
  indexRepo = join(base, 'index.git');
  await mkdir(indexRepo, { recursive: true });
  await git(indexRepo, 'init', '--quiet', '--bare');
});

/** Options for an update of Acme/lib at `ref`; building is never reached in these tests. */
async function optionsFor(ref: string, extra: Partial<UpdateOptions> = {}): Promise<UpdateOptions> {
  return {
    owner: 'Acme',
    repo: 'lib',
    ref,
    gitBase,
    indexRepo,
    branch: 'main',
    workDir: await mkdtemp(join(base, 'run-')),
    pushAttempts: 1,
    replace: false,
    author: { name: 'Bot', email: 'bot@example.com' },
    indexUrl: 'https://pypi.org/simple/',
    git: createGitRunner(),
    provisionTools: () => Promise.reject(new Error('the build step must not be reached')),
    addFilesToIndex,
    log: { info: () => undefined, warn: () => undefined },
    ...extra,
  };
}

/** Runs the update and returns the error it fails with and the step events, as `step:type`. */
async function failingUpdate(options: UpdateOptions): Promise<{ error: unknown; events: string[] }> {
  const events: string[] = [];
  const onEvent = (event: StepEvent) => {
    if (event.type !== 'progress') events.push(`${event.step}:${event.type}`);
  };
  const error = await runUpdate({ ...options, onEvent }).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  return { error, events };
}

describe('update steps', () => {
  test('a ref the source does not have stops at clone, with CLONE_FAILED; nothing is pushed', async () => {
    const { error, events } = await failingUpdate(await optionsFor('no-such-ref'));
    expect(isPackyardError(error, 'CLONE_FAILED')).toBe(true);
    // The step's own error, not the kernel's wrapper: the message names git's failure.
    expect((error as Error).message).toMatch(/^git fetch exited with code/);
    expect(events).toEqual(['index:step-start', 'index:step-end', 'clone:step-start', 'clone:step-fail']);
    expect(await git(indexRepo, 'for-each-ref')).toBe('');
  });

  test('a dirty index checkout stops at the first step, before the source is cloned', async () => {
    const checkout = join(base, 'checkout');
    await git(base, 'clone', '--quiet', indexRepo, checkout);
    await writeFile(join(checkout, 'stray.txt'), 'x\n');
    const options = await optionsFor('main', { indexDir: checkout, indexRepo: undefined });
    const { error, events } = await failingUpdate(options);
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toBe('the index checkout has uncommitted changes');
    expect(events).toEqual(['index:step-start', 'index:step-fail']);
  });

  test('names are checked by the plan before any step starts', async () => {
    const { error, events } = await failingUpdate(await optionsFor('--upload-pack=evil'));
    expect(isPackyardError(error, 'CONFIG_INVALID')).toBe(true);
    expect(events).toEqual([]);
  });
});
