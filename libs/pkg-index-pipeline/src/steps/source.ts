import { mkdir } from 'node:fs/promises';
import { runGitOrThrow, type GitRunner } from '../git.js';
import type { SourceCheckout } from '../types.js';

/**
 * Fetches exactly `ref` (a branch, tag or SHA, as the dispatch sends it) with full history and tags,
 * which setuptools-scm and versioneer read, then checks out its submodules recursively.
 */
export async function cloneSource(
  git: GitRunner,
  url: string,
  ref: string,
  dir: string,
): Promise<SourceCheckout> {
  const hint = 'check --owner, --repo, --ref and --git-base, and that this machine may read the repository';
  // Since git 2.38.1 file:// submodules are refused by default (CVE-2022-39253); a local base is a
  // deliberate choice of the caller, so its submodules may use it too.
  const localConfig = /^file:|^\//.test(url) ? ['-c', 'protocol.file.allow=always'] : [];
  await mkdir(dir, { recursive: true });
  await runGitOrThrow(git, ['init', '--quiet'], 'CLONE_FAILED', { cwd: dir });
  await runGitOrThrow(git, ['remote', 'add', 'origin', url], 'CLONE_FAILED', { cwd: dir });
  await runGitOrThrow(git, ['fetch', '--quiet', '--tags', 'origin', '--', ref], 'CLONE_FAILED', {
    cwd: dir,
    hint,
  });
  await runGitOrThrow(
    git,
    ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', 'FETCH_HEAD'],
    'CLONE_FAILED',
    {
      cwd: dir,
    },
  );
  await runGitOrThrow(
    git,
    [...localConfig, 'submodule', 'update', '--init', '--recursive', '--quiet'],
    'CLONE_FAILED',
    { cwd: dir, hint: 'a submodule could not be fetched; check its URL in .gitmodules' },
  );
  const [commit = '', time = '0'] = (
    await runGitOrThrow(git, ['log', '-1', '--format=%H %ct'], 'CLONE_FAILED', { cwd: dir })
  )
    .trim()
    .split(' ');
  return { dir, commit, commitTime: Number(time) };
}
