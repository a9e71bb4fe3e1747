import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PackyardError, runTool, writeFileAtomically } from '@packyard/core';

/** The paths `git status --porcelain` lists (renames as their new path). Pure. */
export function parsePorcelain(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const path = line.slice(3);
      const arrow = path.indexOf(' -> ');
      return arrow === -1 ? path : path.slice(arrow + 4);
    });
}

/** The changed (and, unless `untracked` is false, untracked) files under `dir`, as git names them. */
export async function readChangedFiles(
  dir: string,
  options: { untracked?: boolean } = {},
): Promise<string[]> {
  const args = [
    'status',
    '--porcelain',
    ...(options.untracked === false ? ['--untracked-files=no'] : []),
    '--',
    '.',
  ];
  return parsePorcelain((await runTool('git', args, { cwd: dir })).stdout);
}

/** `a, b, c and 4 more`: the files a dirty-tree message names. Pure. */
export function describeFiles(files: readonly string[], shown = 8): string {
  const head = files.slice(0, shown).join(', ');
  return files.length > shown ? `${head} and ${files.length - shown} more` : head;
}

/** A CONFLICT (or given code) error naming every changed file under `dir`. */
export function dirtyTreeError(
  code: 'CONFLICT' | 'CONFIG_INVALID',
  dir: string,
  files: readonly string[],
  hint: string,
): PackyardError {
  return new PackyardError(
    code,
    `uncommitted changes in ${files.length} file${files.length === 1 ? '' : 's'}: ${describeFiles(files)}`,
    { file: dir, value: files.join(', '), hint },
  );
}

/**
 * Creates `dir` and puts a `.gitignore` holding `*` in it (as Python's venv does), so build outputs
 * kept inside a project's work tree never show as changes there.
 */
export async function prepareOutputDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const ignore = join(dir, '.gitignore');
  if (
    !(await access(ignore).then(
      () => true,
      () => false,
    ))
  )
    await writeFileAtomically(ignore, '# Written by wheel-release: build outputs, not sources.\n*\n');
}

/**
 * The commit a build bakes in: `gitSha` when given (8-40 hex), else `git rev-parse HEAD` of the
 * repository holding `dir`, refusing (CONFIG_INVALID) when `dir` has uncommitted changes, since the
 * sha would then name a commit the artifact was not built from, unless `allowDirty`.
 */
export async function resolveGitSha(options: {
  dir: string;
  gitSha?: string | undefined;
  allowDirty?: boolean | undefined;
}): Promise<string> {
  if (options.gitSha !== undefined) {
    if (!/^[0-9a-f]{8,40}$/.test(options.gitSha)) {
      throw new PackyardError('CONFIG_INVALID', `git sha ${JSON.stringify(options.gitSha)} is not hex`, {
        field: 'gitSha',
        value: options.gitSha,
        hint: 'give 8 to 40 lowercase hex digits, e.g. the output of `git rev-parse HEAD`',
      });
    }
    return options.gitSha;
  }
  let sha: string;
  try {
    sha = (await runTool('git', ['rev-parse', 'HEAD'], { cwd: options.dir })).stdout.trim();
  } catch (error) {
    throw new PackyardError('CONFIG_INVALID', `${options.dir} is not in a git repository with a commit`, {
      file: options.dir,
      field: 'gitSha',
      hint: 'build from a git checkout, or give the commit as gitSha',
      cause: error,
    });
  }
  if (!options.allowDirty) {
    const files = await readChangedFiles(options.dir);
    if (files.length > 0)
      throw dirtyTreeError(
        'CONFIG_INVALID',
        options.dir,
        files,
        `commit them, or allow a dirty tree (the build would carry ${sha.slice(0, 8)}, which lacks them)`,
      );
  }
  return sha;
}
