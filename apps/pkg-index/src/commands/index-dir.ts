import { basename, relative, resolve } from 'node:path';
import { EXIT, usageError, type CommandContext, type CommandOutcome } from '@packyard/core';
import { pipeline, type CliIo } from './shared.js';

/** `pkg-index add`: wheels and sdists into an index directory. */
export async function runAddCommand(c: CommandContext, io: CliIo): Promise<CommandOutcome> {
  const indexDir = resolve(c.cwd, c.required('index-dir'));
  if (c.positionals.length === 0) throw usageError('no files to add');
  const files = c.positionals.map((file) => resolve(c.cwd, file));
  const { addToIndex, addFilesToIndex } = await pipeline();
  const result = await addToIndex(io.addFilesToIndex ?? addFilesToIndex, indexDir, files, {
    replace: c.values['replace'] === true,
  });
  const lines = [
    ...result.added.map((file) => `added ${file}`),
    ...result.replaced.map((file) => `replaced ${file}`),
    ...result.unchanged.map((file) => `unchanged ${file}`),
  ];
  return { result, text: lines.join('\n') };
}

/** `pkg-index yank` and `unyank`: the PEP 592 mark of one file. */
export async function runYankCommand(command: 'yank' | 'unyank', c: CommandContext): Promise<CommandOutcome> {
  const indexDir = resolve(c.cwd, c.required('index-dir'));
  const [target, ...more] = c.positionals;
  if (target === undefined) throw usageError('no file name given');
  if (more.length > 0) {
    throw usageError(`one file at a time: unexpected ${JSON.stringify(more[0])}`);
  }
  const filename = basename(target);
  const { yankFile, unyankFile } = await pipeline();
  const reason = c.string('reason');
  const result =
    command === 'yank'
      ? await yankFile(indexDir, filename, reason === undefined ? {} : { reason })
      : await unyankFile(indexDir, filename);
  const mark =
    result.yanked === undefined
      ? 'not yanked'
      : result.yanked === true
        ? 'yanked'
        : `yanked: ${result.yanked}`;
  return {
    result,
    text: `${result.changed ? (command === 'yank' ? 'yanked' : 'unyanked') : 'unchanged'} ${filename} (${mark})`,
  };
}

/**
 * `pkg-index build`: the pages from a dumb-pypi package list, or again from an index directory; each
 * project written (or file read back) is an `[n/N]` item on stderr.
 */
export async function runBuildCommand(c: CommandContext): Promise<CommandOutcome> {
  const { values } = c;
  const indexDirOption = c.string('index-dir');
  const list = c.string('package-list');
  if (indexDirOption !== undefined) {
    for (const name of ['package-list', 'packages-url', 'out', 'full']) {
      if (values[name] !== undefined) {
        throw usageError(`--${name} builds from a package list; it cannot go with --index-dir`);
      }
    }
    const { writeIndex, reportItemProgress } = await pipeline();
    const indexDir = resolve(c.cwd, indexDirOption);
    const report = reportItemProgress(c.progress, 'files read back');
    const result = await writeIndex(indexDir, {
      onProgress: (path, done, total) => report(relative(indexDir, path), done, total),
    });
    return { result, text: `built ${result.projects.length} projects, ${result.files} files` };
  }
  if (list === undefined) throw usageError('--package-list (or --index-dir) was not specified');
  const packagesUrl = c.required('packages-url');
  const out = resolve(c.cwd, c.required('out'));
  const { writeIndexFromPackageList, reportItemProgress } = await pipeline();
  const result = await writeIndexFromPackageList(resolve(c.cwd, list), out, {
    packagesUrl,
    full: values['full'] === true,
    onProgress: reportItemProgress(c.progress, 'project pages'),
  });
  return {
    result,
    text:
      `built ${result.projects.length} projects, ${result.files} files (${result.full ? 'full' : 'incremental'}): ` +
      `${result.written.length} written, ${result.removed.length} removed`,
  };
}

/** `pkg-index publish`: the index directory to an object store, by digest, with `[n/N]` progress. */
export async function runPublishCommand(c: CommandContext): Promise<CommandOutcome> {
  const indexDir = resolve(c.cwd, c.required('index-dir'));
  const { publishIndexDir, reportItemProgress } = await pipeline();
  const report = reportItemProgress(c.progress, 'publish');
  const result = await publishIndexDir(indexDir, {
    to: c.required('to'),
    cwd: c.cwd,
    env: c.env,
    prefix: c.string('prefix'),
    replace: c.values['replace'] === true,
    onObject: (object, done, total) => report(object.key, done, total, object.action),
  });
  return {
    result,
    text:
      `published ${indexDir} to ${result.location}: ${result.uploaded.length} uploaded, ` +
      `${result.replaced.length} replaced, ${result.skipped.length} unchanged`,
  };
}

/** `pkg-index status`: a project's PEP 792 status. */
export async function runStatusCommand(c: CommandContext): Promise<CommandOutcome> {
  const [project, ...extra] = c.positionals;
  if (project === undefined) throw usageError('no PROJECT was given');
  if (extra.length > 0) throw usageError(`unexpected argument ${extra[0]}`);
  const indexDir = resolve(c.cwd, c.required('index-dir'));
  const status = c.required('set');
  const reason = c.string('reason');
  const { setProjectStatus } = await pipeline();
  const result = await setProjectStatus(indexDir, project, status as 'active', {
    ...(reason === undefined ? {} : { reason }),
  });
  return { result, text: `${result.changed ? 'set' : 'unchanged'} ${result.project}: ${result.status}` };
}

/**
 * `pkg-index verify`: reads every listed file back (size, sha256, metadata file) and checks that the
 * tree holds nothing a consistent index does not (index-server's tree inspection).
 */
export async function runVerifyCommand(c: CommandContext): Promise<CommandOutcome> {
  const indexDir = resolve(c.cwd, c.required('index-dir'));
  const { inspectIndexTree, describeFinding } = await import('@packyard/index-server');
  const findings = await inspectIndexTree(indexDir, { hashes: true });
  const problems = findings.map((finding) => describeFinding(indexDir, finding));
  if (problems.length === 0) return { result: { indexDir, problems }, text: `verified ${indexDir}` };
  if (!c.json) c.io.stderr(`${problems.join('\n')}\n`);
  return { exitCode: EXIT.verify, result: { indexDir, problems } };
}
