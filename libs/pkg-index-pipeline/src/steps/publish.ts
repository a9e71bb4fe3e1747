import { randomInt } from 'node:crypto';
import { PackyardError, sleep } from '@packyard/core';
import { parsePushOutcome, runGitOrThrow } from '../git.js';
import { addToIndex } from '../index-files.js';
import type { UpdatePlan } from '../plan.js';
import type { IndexCheckout, UpdateOptions, UpdateReport } from '../types.js';
import { checkoutBranchTip } from './index-checkout.js';

/**
 * Adds the wheel to the index checkout, commits with the plan's message and pushes to the branch; a push that
 * loses a race starts again from the new tip, re-adds the same wheel (which keeps both: the index
 * regenerates pages from its files) and tries again, up to `pushAttempts` times. Nothing to commit:
 * `unchanged`. Throws PUSH_FAILED, STORE_CONFLICT or ARCHIVE_INVALID.
 */
export async function publishToIndex(
  options: UpdateOptions,
  index: IndexCheckout,
  wheel: string,
  plan: Pick<UpdatePlan, 'branch' | 'target' | 'commitMessage'>,
): Promise<Pick<UpdateReport, 'outcome' | 'indexCommit' | 'pushAttempts'>> {
  const { git, log } = options;
  const { branch, target } = plan;
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
        plan.commitMessage,
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
