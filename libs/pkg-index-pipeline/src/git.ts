import { PackyardError, redactSecrets, tailLines, type ErrorCode } from '@packyard/core';
import { execa } from 'execa';

/** What a git command printed, and how it ended. */
export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs git and returns its result whatever the exit code; the caller decides what a failure means. */
export type GitRunner = (args: readonly string[], options?: { cwd?: string }) => Promise<GitResult>;

/**
 * The git runner: C locale (messages are parsed) and no terminal prompts (a missing credential fails
 * instead of hanging a CI job). The user's config is kept: CI sets credentials and URL rewrites there.
 */
export function createGitRunner(git = 'git'): GitRunner {
  return async (args, options = {}) => {
    const result = await execa(git, [...args], {
      cwd: options.cwd,
      reject: false,
      stdin: 'ignore',
      extendEnv: true,
      env: { LC_ALL: 'C', LANGUAGE: 'C', GIT_TERMINAL_PROMPT: '0' },
    });
    if (result.exitCode === undefined) {
      throw new PackyardError('TOOL_FAILED', `cannot run ${git}: ${result.shortMessage}`, {
        value: git,
        hint: 'install git and put it on PATH',
        cause: result,
      });
    }
    return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
  };
}

/** Runs git and throws `code` (naming the command and git's last stderr lines) unless it exits 0. */
export async function runGitOrThrow(
  git: GitRunner,
  args: readonly string[],
  code: ErrorCode,
  options: { cwd?: string; hint?: string } = {},
): Promise<string> {
  const result = await git(args, options.cwd === undefined ? {} : { cwd: options.cwd });
  if (result.exitCode !== 0) {
    const tail = tailLines((result.stderr.trim() || result.stdout.trim()).replace(/\r/g, '\n'), 12);
    throw new PackyardError(
      code,
      redactSecrets(
        `git ${args[0] ?? ''} exited with code ${result.exitCode}${tail ? `:\n    ${tail.split('\n').join('\n    ')}` : ''}`,
      ),
      { value: redactSecrets(['git', ...args].join(' ')), ...(options.hint ? { hint: options.hint } : {}) },
    );
  }
  return result.stdout;
}

/** How a `git push --porcelain` of one ref ended. */
export type PushOutcome =
  | { kind: 'pushed' }
  | { kind: 'up-to-date' }
  | { kind: 'stale'; reason: string }
  | { kind: 'rejected'; reason: string };

/**
 * Reads the status line of `git push --porcelain` (https://git-scm.com/docs/git-push#_output):
 * `<flag>\t<from>:<to>\t<summary> (<reason>)`. A ref that moved under us is `stale`: rejected as
 * non-fast-forward or "fetch first", or refused by the remote because another push locked or
 * moved the ref in between. Everything else that is not a success is `rejected`. Pure.
 */
export function parsePushOutcome(stdout: string, ref: string): PushOutcome | undefined {
  for (const line of stdout.split('\n')) {
    const [flag, refs, summary = ''] = line.split('\t');
    if (flag === undefined || refs === undefined || !refs.endsWith(`:${ref}`)) continue;
    if (flag === '=') return { kind: 'up-to-date' };
    if (flag === ' ' || flag === '+' || flag === '*' || flag === '-') return { kind: 'pushed' };
    const reason = summary.trim();
    if (/^\[rejected\]/.test(reason) && /fetch first|non-fast-forward|stale info/.test(reason)) {
      return { kind: 'stale', reason };
    }
    if (
      /^\[remote rejected\]/.test(reason) &&
      /cannot lock ref|failed to update ref|incorrect old value|but expected|reference already exists/.test(
        reason,
      )
    ) {
      return { kind: 'stale', reason };
    }
    return { kind: 'rejected', reason };
  }
  return undefined;
}
