import { createHash } from 'node:crypto';
import { cp, lstat, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { PackyardError, createDownloadClient, runTool, tailLines } from '@packyard/core';
import { TimeLimitError, describeExit, hashTree, runBounded } from '@packyard/mip';
import type { PackageDefinition } from './config.js';
import { BRIDGE } from './python.js';
import type { Context } from './types.js';

type YamlDefinition = Extract<PackageDefinition, { kind: 'yaml' }>;

/**
 * The version of what packyard writes into a `.dir` (load/unload scripts, mip.json layout). Part of
 * every source_hash: a change to the format rebuilds every package once.
 */
export const BUNDLE_FORMAT_VERSION = '2';

/**
 * A folder source must be a real folder (not a symbolic link) beside the definition. Reads only.
 * @throws PackyardError CONFIG_INVALID naming the file, `source.folder` / `source.subdirectory` and the value.
 */
export async function checkSourceFolder(definition: YamlDefinition): Promise<void> {
  const source = definition.source as { folder: string; subdirectory?: string };
  const steps: Array<[string, string]> = [['source.folder', source.folder]];
  if (source.subdirectory !== undefined) steps.push(['source.subdirectory', source.subdirectory]);
  let at = definition.dir;
  for (const [field, value] of steps) {
    at = join(at, value);
    const info = await lstat(at).catch(() => undefined);
    const problem =
      info === undefined
        ? 'does not exist'
        : info.isSymbolicLink()
          ? 'is a symbolic link; packyard reads only real folders (copy the files in, or use a git or zip source)'
          : !info.isDirectory()
            ? 'is not a folder'
            : undefined;
    if (problem !== undefined) {
      throw new PackyardError('CONFIG_INVALID', `${JSON.stringify(value)} ${problem}`, {
        file: definition.file,
        field,
        value,
      });
    }
  }
}

/** Copies a mip.yaml's source (a folder, a git ref or a zip URL, and its subdirectory) into `tmp`. */
export async function materializeSource(
  definition: YamlDefinition,
  tmp: string,
  ctx: Pick<Context, 'timeLimits'>,
): Promise<void> {
  const source = definition.source;
  const sub = source.subdirectory;
  if ('folder' in source) {
    const from = join(definition.dir, source.folder, sub ?? '');
    if (!(await stat(from).catch(() => undefined))?.isDirectory()) {
      throw new PackyardError(
        'CONFIG_INVALID',
        `source folder ${relative(definition.dir, from) || '.'} does not exist`,
        {
          file: definition.file,
          field: 'source.folder',
          value: source.folder,
        },
      );
    }
    await copyTree(from, tmp);
    return;
  }
  const work = await mkdtemp(join(tmp, '..', `.${basename(tmp)}-src-`));
  try {
    if ('git' in source) {
      const clone = join(work, 'clone');
      await runGit(['clone', '--quiet', '--no-checkout', source.git, clone], definition, ctx);
      await runGit(['-C', clone, 'checkout', '--quiet', '--detach', source.ref], definition, ctx);
      await copySubdirectory(definition, join(clone, sub ?? ''), tmp);
    } else {
      await createDownloadClient()
        .download({ url: source.zip, to: join(work, 'source.zip') })
        .catch((error: unknown) => {
          throw new PackyardError('BUILD_FAILED', (error as Error).message, {
            file: definition.file,
            field: 'source.zip',
            value: source.zip,
            cause: error,
          });
        });
      await runTool('unzip', ['-q', join(work, 'source.zip'), '-d', join(work, 'x')]);
      await copySubdirectory(definition, join(work, 'x', sub ?? ''), tmp);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function copySubdirectory(definition: YamlDefinition, from: string, to: string): Promise<void> {
  if (!(await lstat(from).catch(() => undefined))?.isDirectory()) {
    const sub = definition.source.subdirectory;
    throw new PackyardError('CONFIG_INVALID', `${JSON.stringify(sub)} is not a folder of the source`, {
      file: definition.file,
      field: 'source.subdirectory',
      value: sub,
    });
  }
  await copyTree(from, to);
}

async function copyTree(from: string, to: string): Promise<void> {
  await cp(from, to, {
    recursive: true,
    filter: (path) => basename(path) !== '.git',
  });
}

/**
 * sha256 over everything the definition can read: its whole folder (the definition file, compile.m,
 * sibling files a package.py copies), the source (a folder's files, or the git commit the ref resolves
 * to, or the zip's URL), the bridge that runs package files, and the bundle format version.
 */
export async function computeSourceHash(
  definition: PackageDefinition,
  ctx: Pick<Context, 'timeLimits'>,
): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`packyard-mip-bundle-format\0${BUNDLE_FORMAT_VERSION}\0`);
  await hashTree(hash, 'definition', definition.dir);
  if (definition.kind === 'yaml') {
    const source = definition.source;
    if ('folder' in source) {
      await hashTree(hash, 'source', join(definition.dir, source.folder, source.subdirectory ?? ''));
    } else if ('git' in source) {
      const stdout = await runGit(['ls-remote', source.git, source.ref], definition, ctx);
      const commit = /^[0-9a-f]{40}$/.test(source.ref) ? source.ref : stdout.split('\n')[0]?.split('\t')[0];
      if (!commit) {
        throw new PackyardError(
          'CONFIG_INVALID',
          `ref ${JSON.stringify(source.ref)} is not in ${source.git}`,
          {
            file: definition.file,
            field: 'source.ref',
            value: source.ref,
          },
        );
      }
      hash.update(`\0git\0${commit}`);
    } else {
      hash.update(`\0zip\0${source.zip}`);
    }
  } else {
    hash.update(`\0index\0${definition.index}\0bridge\0`).update(await readFile(BRIDGE));
  }
  return hash.digest('hex');
}

/** Runs one git command with the git time limit; a failure names the definition's source. */
async function runGit(
  args: string[],
  definition: PackageDefinition,
  ctx: Pick<Context, 'timeLimits'>,
): Promise<string> {
  const run = await runBounded('git', args, {
    timeoutMs: ctx.timeLimits.gitMs,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  if (run.exitCode === 0 && !run.timedOut) return run.output;
  const failure = run.timedOut ? TimeLimitError : PackyardError;
  throw new failure(
    run.timedOut ? 'BUILD_FAILED' : 'CLONE_FAILED',
    `git ${args[0]} ${describeExit(run, ctx.timeLimits.gitMs)}:\n${tailLines(run.output.trim(), 5)}`,
    {
      file: definition.file,
      field: 'source.git',
      value: args.join(' '),
      hint: run.timedOut ? 'raise the limit with --time-limit-git SECONDS' : undefined,
    },
  );
}
