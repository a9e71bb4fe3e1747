import { randomInt } from 'node:crypto';
import { mkdir, readdir, realpath } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { isAccessible, PackyardError, sleep, type Logger as CoreLogger } from '@packyard/core';
import { buildWheel, testWheel, type BuildTools } from './build.js';
import { addToIndex, type AddFilesToIndex } from './index-files.js';
import { parsePushOutcome, runGitOrThrow, type GitRunner } from './git.js';
import { checkGitRef, checkOwner, checkRepo, renderCommitMessage, renderSourceUrl } from './names.js';

/** Where update messages go: core's Logger, of which an update only informs and warns. */
export type Logger = Pick<CoreLogger, 'info' | 'warn'>;

/** Everything `runUpdate` needs; the CLI fills it from options, tests from literals. */
export interface UpdateOptions {
  owner: string;
  repo: string;
  ref: string;
  /** Clone URLs are `<gitBase>/<owner>/<repo>`; default https://github.com. */
  gitBase: string;
  /**
   * The index repository's git URL. Without `indexDir` it is cloned into the work directory; with
   * one it is where that checkout pushes (default: the checkout's `origin`).
   */
  indexRepo?: string | undefined;
  /** A checkout of the index repository, used in place (as the seed's workflow does). */
  indexDir?: string | undefined;
  /** The branch the index lives on; the seed pushes straight to `main`. */
  branch: string;
  /** A scratch directory this run owns: the source, the build, the test venv, a fresh index clone. */
  workDir: string;
  /** How many times a push that lost a race is re-applied on the new tip before giving up. */
  pushAttempts: number;
  replace: boolean;
  author: { name: string; email: string };
  python?: string | undefined;
  /** Where build backends and the wheel's dependencies come from. */
  indexUrl: string;
  git: GitRunner;
  provisionTools: () => Promise<BuildTools>;
  addFilesToIndex: AddFilesToIndex;
  log: Logger;
}

/** What an update did. */
export interface UpdateReport {
  /** The commit of the source that was built. */
  sourceCommit: string;
  wheel: string;
  modules: string[];
  /** `pushed`: a new index commit is on the branch; `unchanged`: the index already held this wheel. */
  outcome: 'pushed' | 'unchanged';
  indexCommit?: string;
  pushAttempts: number;
}

/**
 * The seed's update workflow as one function: clone the source at the ref (submodules included),
 * build the wheel, install-test it, add it to the index, commit, and push to the index branch; a
 * push that loses a race re-applies the wheel on the new tip and tries again. Each step fails with
 * its own code: CLONE_FAILED, BUILD_FAILED, INSTALL_TEST_FAILED, PUSH_FAILED.
 */
export async function runUpdate(options: UpdateOptions): Promise<UpdateReport> {
  const owner = checkOwner(options.owner);
  const repo = checkRepo(options.repo);
  const ref = checkGitRef(options.ref);
  const { git, log } = options;
  const workDir = resolve(options.workDir);
  await mkdir(workDir, { recursive: true });

  // The index comes first: a missing or dirty checkout should fail before minutes of building.
  const index = await prepareIndexCheckout(options, workDir);
  log.info(`index: ${index.dir} (pushing to ${index.remote} ${options.branch})`);

  const sourceUrl = renderSourceUrl(options.gitBase, owner, repo);
  const source = await cloneSource(git, sourceUrl, ref, join(workDir, 'source'));
  log.info(`source: ${owner}/${repo} at ${ref} is ${source.commit}`);

  const tools = await options.provisionTools();
  const wheel = await buildWheel(tools, {
    sourceDir: source.dir,
    outDir: join(workDir, 'dist'),
    python: options.python,
    indexUrl: options.indexUrl,
    sourceDateEpoch: source.commitTime,
  });
  log.info(`built ${basename(wheel)}`);
  const modules = await testWheel(tools, {
    wheel,
    workDir: join(workDir, 'install-test'),
    python: options.python,
    indexUrl: options.indexUrl,
  });
  log.info(
    modules.length > 0
      ? `install test passed: imported ${modules.join(', ')}`
      : 'install test passed: installed (the wheel has no top-level module to import)',
  );

  const message = renderCommitMessage(owner, repo);
  const published = await publishToIndex(options, index, wheel, message);
  return { sourceCommit: source.commit, wheel: basename(wheel), modules, ...published };
}

interface IndexCheckout {
  dir: string;
  /** What `git push` and `git fetch` are given: a remote name or a URL. */
  remote: string;
}

async function prepareIndexCheckout(options: UpdateOptions, workDir: string): Promise<IndexCheckout> {
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

interface SourceCheckout {
  dir: string;
  commit: string;
  /** Committer time, seconds since the epoch. */
  commitTime: number;
}

/**
 * Fetches exactly `ref` (a branch, tag or SHA, as the dispatch sends it) with full history and tags,
 * which setuptools-scm and versioneer read, then checks out its submodules recursively.
 */
async function cloneSource(git: GitRunner, url: string, ref: string, dir: string): Promise<SourceCheckout> {
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

async function publishToIndex(
  options: UpdateOptions,
  index: IndexCheckout,
  wheel: string,
  message: string,
): Promise<{ outcome: 'pushed' | 'unchanged'; indexCommit?: string; pushAttempts: number }> {
  const { git, log, branch } = options;
  const target = `refs/heads/${branch}`;
  for (let attempt = 1; attempt <= options.pushAttempts; attempt++) {
    const added = await addToIndex(options.addFilesToIndex, index.dir, [wheel], { replace: options.replace });
    log.info(
      `index: ${[
        ...added.added.map((f) => `added ${f}`),
        ...added.replaced.map((f) => `replaced ${f}`),
        ...added.unchanged.map((f) => `already has ${f}`),
      ].join(', ')}`,
    );
    await runGitOrThrow(git, ['add', '--all'], 'PUSH_FAILED', { cwd: index.dir });
    const staged = await git(['diff', '--cached', '--quiet'], { cwd: index.dir });
    if (staged.exitCode === 0) {
      log.info('nothing changed in the index: no commit');
      return { outcome: 'unchanged', pushAttempts: attempt - 1 };
    }
    await runGitOrThrow(
      git,
      [
        '-c',
        `user.name=${options.author.name}`,
        '-c',
        `user.email=${options.author.email}`,
        '-c',
        'commit.gpgsign=false',
        'commit',
        '--quiet',
        '--no-verify',
        '-m',
        message,
      ],
      'PUSH_FAILED',
      { cwd: index.dir },
    );
    const commit = (
      await runGitOrThrow(git, ['rev-parse', 'HEAD'], 'PUSH_FAILED', { cwd: index.dir })
    ).trim();
    const push = await git(['push', '--porcelain', '--', index.remote, `HEAD:${target}`], { cwd: index.dir });
    const outcome = parsePushOutcome(push.stdout, target);
    if (push.exitCode === 0 && (outcome?.kind === 'pushed' || outcome?.kind === 'up-to-date')) {
      log.info(`pushed ${commit} to ${branch}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
      return { outcome: 'pushed', indexCommit: commit, pushAttempts: attempt };
    }
    if (outcome?.kind !== 'stale') {
      const why =
        (outcome !== undefined && 'reason' in outcome ? outcome.reason : undefined) ??
        (push.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${push.exitCode}`);
      throw new PackyardError('PUSH_FAILED', `pushing the index to ${branch} failed: ${why}`, {
        value: index.remote,
        hint: 'check that the token or deploy key may push to the index branch and that no rule blocks it',
      });
    }
    // Another update landed first: start again from its tip and re-add the same wheel, which keeps
    // both (the index regenerates pages from its files). Jitter keeps two losers from colliding again.
    log.warn(`push lost a race (${outcome.reason}); re-applying on the new ${branch}`);
    await checkoutBranchTip(git, index.dir, index.remote, branch, 'PUSH_FAILED');
    if (attempt < options.pushAttempts) await sleep(randomInt(100, 300 * attempt));
  }
  throw new PackyardError('PUSH_FAILED', `the push lost the race ${options.pushAttempts} times in a row`, {
    value: index.remote,
    hint: 'too many updates at once; the workflow concurrency group serialises them, or re-run this one',
  });
}

/** Resets `dir` to the remote branch's tip, or to an unborn branch when the remote has none yet. */
async function checkoutBranchTip(
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
