import { readdir, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isAccessible, PackyardError } from '@packyard/core';
import { runGitOrThrow, type GitRunner } from '../git.js';
import type { IndexCheckout, UpdateOptions } from '../types.js';

/**
 * The index checkout an update adds to: `indexDir` in place when it is a clean checkout (its
 * `indexRepo` or `origin` is where it pushes), else a fresh clone of `indexRepo` at the branch tip.
 * CONFIG_INVALID for a dirty checkout or a non-empty directory that is not one; CONFIG_MISSING when
 * there is nothing to clone.
 */
export async function prepareIndexCheckout(options: UpdateOptions, workDir: string): Promise<IndexCheckout> {
  const { git } = options;
  const dir = options.indexDir === undefined ? undefined : resolve(options.indexDir);
  if (dir !== undefined && (await isCheckoutRoot(git, dir))) {
    const status = await runGitOrThrow(git, ['status', '--porcelain'], 'CONFIG_INVALID', { cwd: dir });
    if (status.trim() !== '') {
      throw new PackyardError('CONFIG_INVALID', 'the index checkout has uncommitted changes', {
        file: dir,
        field: '--index-dir',
        hint: 'update works on a clean checkout, which a lost push race resets; commit or discard the changes',
      });
    }
    return { dir, remote: options.indexRepo ?? 'origin' };
  }
  if (options.indexRepo === undefined) {
    throw new PackyardError('CONFIG_MISSING', 'no index repository to update', {
      field: '--index-dir',
      value: dir,
      hint: 'run in a checkout of the index repository, or give --index-dir CHECKOUT or --index-repo URL',
    });
  }
  const target = dir ?? join(workDir, 'index');
  if (await isAccessible(target)) {
    if ((await readdir(target)).length > 0) {
      throw new PackyardError('CONFIG_INVALID', 'the index directory is neither a git checkout nor empty', {
        file: target,
        field: '--index-dir',
      });
    }
  }
  await runGitOrThrow(
    git,
    ['clone', '--quiet', '--no-checkout', '--', options.indexRepo, target],
    'CLONE_FAILED',
    {
      hint: 'check --index-repo and that this machine may read it',
    },
  );
  await checkoutBranchTip(git, target, 'origin', options.branch);
  return { dir: target, remote: 'origin' };
}

/** Resets `dir` to the remote branch's tip, or to an unborn branch when the remote has none yet. */
export async function checkoutBranchTip(
  git: GitRunner,
  dir: string,
  remote: string,
  branch: string,
  code: 'CLONE_FAILED' | 'PUSH_FAILED' = 'CLONE_FAILED',
): Promise<void> {
  const fetched = await git(['fetch', '--quiet', '--', remote, `refs/heads/${branch}`], { cwd: dir });
  if (fetched.exitCode === 0) {
    await runGitOrThrow(git, ['checkout', '--quiet', '--force', '-B', branch, 'FETCH_HEAD'], code, {
      cwd: dir,
    });
    await runGitOrThrow(git, ['clean', '--quiet', '-d', '--force', '-x'], code, { cwd: dir });
    return;
  }
  if (!/couldn't find remote ref/.test(fetched.stderr)) {
    await runGitOrThrow(git, ['fetch', '--quiet', '--', remote, `refs/heads/${branch}`], code, { cwd: dir });
  }
  // An empty index repository: the first update creates the branch.
  await runGitOrThrow(git, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`], code, { cwd: dir });
}

async function isCheckoutRoot(git: GitRunner, dir: string): Promise<boolean> {
  if (!(await isAccessible(dir))) return false;
  const result = await git(['rev-parse', '--show-toplevel'], { cwd: dir });
  return result.exitCode === 0 && (await realpath(result.stdout.trim())) === (await realpath(dir));
}
