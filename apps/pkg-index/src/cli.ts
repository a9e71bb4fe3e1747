import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import {
  EXIT,
  PackyardError,
  runCli,
  usageError,
  whenAborted,
  type CliApp,
  type CliIo as CoreCliIo,
  type CommandContext,
  type CommandDef,
  type OptionDefs,
} from '@packyard/core';
import type { Tools } from '@packyard/python-tools';
import type { ServeConfig } from './config.js';
import type { AddFilesToIndex } from './index-files.js';
import type { Logger } from './update.js';

// Each command loads what it needs when it runs (`import()` below), so `--help` or a small build
// does not pay for the modules of the others (octokit, zod, bcrypt, busboy, execa, …).
async function defaultAddFilesToIndex(): Promise<AddFilesToIndex> {
  return (await import('@packyard/wheel-index')).addFilesToIndex;
}

/** The process around `main`: output, environment, and the I/O tests replace. */
export interface CliIo extends CoreCliIo {
  /** Aborted when `serve` should stop (SIGINT/SIGTERM). */
  stopSignal?: () => AbortSignal;
  readStdin?: () => Promise<string>;
  provisionTools?: () => Promise<Pick<Tools, 'uv' | 'python' | 'home'>>;
  addFilesToIndex?: AddFilesToIndex;
  fetch?: typeof globalThis.fetch;
}

type Options = OptionDefs;
const str = (value: string, description: string) => ({ type: 'string' as const, value, description });
const flag = (description: string) => ({ type: 'boolean' as const, description });
const INDEX_DIR = { 'index-dir': str('DIR', 'the index directory') };

// Seed spellings (issue_update.sh and the workflow inputs) are aliases of packyard's options.
const SOURCE_OPTIONS: Options = {
  owner: {
    ...str('OWNER', 'the source repository on GitHub: its owner'),
    aliases: ['source-org', 'source-owner'],
  },
  repo: { ...str('REPO', 'the source repository'), aliases: ['source-repo'] },
  ref: {
    ...str('REF', 'the branch, tag or commit to build'),
    aliases: ['source-ref', 'source-branch', 'dependency-ref'],
  },
};

type Parsed = Pick<CommandContext, 'values' | 'positionals' | 'required' | 'string'>;

function command(
  summary: string,
  options: Options,
  run: (c: CommandContext) => Promise<number>,
  extra: Partial<CommandDef> = {},
): CommandDef {
  return { summary, options, run, ...extra };
}

/** The pkg-index command line. */
export function pkgIndexApp(io: CliIo): CliApp {
  const log: Logger = {
    info: (message) => io.stderr(`${message}\n`),
    warn: (message) => io.stderr(`warning: ${message}\n`),
  };
  return {
    name: 'pkg-index',
    packageJson: new URL('../package.json', import.meta.url),
    description:
      'A static Python package index in a git repository or a directory: build, add, yank, serve, publish.',
    commands: {
      update: command(
        'build a wheel from a git ref, install-test it, add it to the index, commit and push',
        {
          ...SOURCE_OPTIONS,
          'index-dir': str('DIR', 'a clean checkout of the index repository, updated in place (default: .)'),
          'index-repo': str('URL', "the index repository's git URL: cloned when there is no checkout"),
          branch: str('NAME', 'the index branch (default main)'),
          'git-base': str('URL', 'clone URLs are URL/OWNER/REPO (default https://github.com)'),
          'index-url': str('URL', "where build backends and dependencies come from (default: pip's index)"),
          python: str('PY', "the interpreter to build and test with (default: packyard's tools python)"),
          'push-attempts': str('N', 'how often a push that lost a race is re-applied (default 5)'),
          replace: flag('replace a wheel of the same name whose bytes differ'),
          author: str('"NAME <EMAIL>"', 'commit author (default github-actions[bot])'),
        },
        (c) => runUpdateCommand(c, io, log),
      ),
      dispatch: command(
        'ask the index repository to update a dependency (repository_dispatch "update_package_index")',
        {
          ...SOURCE_OPTIONS,
          'index-repo': str('OWNER/NAME', 'the index repository (default: $PKG_INDEX_REPO)'),
          'token-file': str(
            'FILE',
            'read the token from FILE (default: $PKG_UPDATE_TOKEN, $GITHUB_TOKEN, $GH_TOKEN)',
          ),
          'api-url': str('URL', 'GitHub REST API base (default https://api.github.com)'),
        },
        (c) => runDispatchCommand(c, io, log),
      ),
      add: command(
        'add built wheels/sdists to an index directory (push mode)',
        { ...INDEX_DIR, replace: flag('replace a file of the same name whose bytes differ') },
        (c) => runAddCommand(c, io),
        { args: 'FILE...', positionals: true },
      ),
      yank: command(
        'mark a file of an index directory yanked (PEP 592)',
        { ...INDEX_DIR, reason: str('TEXT', 'why') },
        (c) => runYankCommand('yank', c, io),
        { args: 'FILENAME', positionals: true },
      ),
      unyank: command('take the yanked mark away', INDEX_DIR, (c) => runYankCommand('unyank', c, io), {
        args: 'FILENAME',
        positionals: true,
      }),
      build: command(
        'write the index pages: from a dumb-pypi package list, or again from the files of --index-dir',
        {
          'package-list': str('FILE', "JSON lines, one file each, in dumb-pypi's --package-list-json format"),
          'packages-url': str(
            'URL',
            'where the files are served from, absolute or relative to a project page',
          ),
          out: str('DIR', 'where simple/, project/ and index.html go (incremental unless --full)'),
          full: flag('rewrite every page'),
          ...INDEX_DIR,
        },
        (c) => runBuildCommand(c, io),
      ),
      serve: command(
        'serve an index directory over HTTP, with uploads from twine (push mode)',
        {
          ...INDEX_DIR,
          host: str('HOST', 'default 127.0.0.1'),
          port: str('PORT', 'default 8080; 0 picks a free port (the URL is printed)'),
          config: str('FILE', 'YAML/JSON with the users who may upload; without it the index is read-only'),
        },
        (c) => runServeCommand(c, io, log),
      ),
      publish: command(
        'copy an index directory to an object store (S3/R2 bucket or directory), by digest',
        {
          ...INDEX_DIR,
          to: str('LOCATION', 's3://BUCKET (account from AWS_* variables) or a directory'),
          prefix: str('PREFIX', "key prefix ending in / (default: the bucket's root)"),
          replace: flag('replace a file or metadata file the store holds with other bytes'),
        },
        (c) => runPublishCommand(c, io),
      ),
      status: command(
        'mark a project archived or deprecated (PEP 792), or active again',
        { ...INDEX_DIR, set: str('STATUS', 'active, archived or deprecated'), reason: str('TEXT', 'why') },
        (c) => runStatusCommand(c, io),
        { args: 'PROJECT', positionals: true },
      ),
      verify: command(
        'check an index directory: every listed file present with its hash, nothing unlisted, no debris',
        INDEX_DIR,
        async (c) => {
          const indexDir = resolve(io.cwd, c.required('index-dir'));
          const problems = await (await import('./verify.js')).verifyIndexDir(indexDir);
          io[problems.length > 0 ? 'stderr' : 'stdout'](
            problems.length > 0 ? `${problems.join('\n')}\n` : `verified ${indexDir}\n`,
          );
          return problems.length > 0 ? EXIT.verify : EXIT.ok;
        },
      ),
      'hash-password': command(
        'read a password on stdin and print its bcrypt hash for the serve config',
        { cost: str('N', 'bcrypt cost (default 12)') },
        (c) => runHashPasswordCommand(c, io),
      ),
    },
    exitCodes: [
      [EXIT.auth, 'dispatch: no token (nothing was sent)'],
      [EXIT.verify, 'verify: the index directory is inconsistent (each problem is printed)'],
      [
        EXIT.config,
        'invalid configuration or input: a name or ref, the serve config, a dirty index checkout',
      ],
      [
        EXIT.conflict,
        'the index holds a file of that name with other bytes (files are immutable; --replace)',
      ],
      [
        EXIT.tool,
        'update: building the wheel failed; a tool (git, python, uv) could not be provisioned or run',
      ],
      [EXIT.clone, 'update: cloning the source (or the index repository) failed'],
      [EXIT.installTest, 'update: the install test failed (installing the wheel or importing its modules)'],
      [EXIT.push, 'update: pushing to the index branch failed (refused, or lost the race every time)'],
      [EXIT.invalidFile, 'not a valid distribution file (name, damaged member, metadata)'],
      [EXIT.dispatch, 'dispatch: GitHub refused the dispatch or could not be reached'],
    ],
  };
}

/** The whole command line: parse, wire, run, report; returns the exit code. */
export function main(argv: readonly string[], io: CliIo): Promise<number> {
  return runCli(pkgIndexApp(io), argv, io);
}

function parseCount(parsed: Parsed, name: string, fallback: number, min: number, max: number): number {
  const text = parsed.string(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw usageError(`--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  }
  return value;
}

/** The default commit author: the identity GitHub shows for Actions' own commits. */
export const DEFAULT_AUTHOR = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
};

function parseAuthor(text: string | undefined): { name: string; email: string } {
  if (text === undefined) return DEFAULT_AUTHOR;
  const match = /^\s*([^<>]+?)\s*<([^<>\s]+)>\s*$/.exec(text);
  if (!match) throw usageError(`--author must be "NAME <EMAIL>", not ${JSON.stringify(text)}`);
  return { name: match[1]!, email: match[2]! };
}

async function runUpdateCommand(parsed: Parsed, io: CliIo, log: Logger): Promise<number> {
  const { values } = parsed;
  const owner = parsed.required('owner');
  const repo = parsed.required('repo');
  const ref = parsed.required('ref');
  const indexRepo = parsed.string('index-repo');
  const indexDirOption = parsed.string('index-dir');
  const indexDir =
    indexDirOption !== undefined
      ? resolve(io.cwd, indexDirOption)
      : indexRepo === undefined
        ? io.cwd
        : undefined;
  const env = io.env ?? process.env;
  const [{ resolveIndexUrl }, { provisionTools }, { runUpdate }, { createGitRunner }] = await Promise.all([
    import('@packyard/pypi-client'),
    import('@packyard/python-tools'),
    import('./update.js'),
    import('./git.js'),
  ]);
  const indexUrl = (await resolveIndexUrl({ configured: parsed.string('index-url'), env })).url;
  const workDir = await mkdtemp(join(tmpdir(), 'pkg-index-update-'));
  try {
    const report = await runUpdate({
      owner,
      repo,
      ref,
      gitBase: parsed.string('git-base') ?? 'https://github.com',
      indexRepo: indexRepo !== undefined && /^[./]/.test(indexRepo) ? resolve(io.cwd, indexRepo) : indexRepo,
      indexDir,
      branch: parsed.string('branch') ?? 'main',
      workDir,
      pushAttempts: parseCount(parsed, 'push-attempts', 5, 1, 100),
      replace: values['replace'] === true,
      author: parseAuthor(parsed.string('author')),
      python: parsed.string('python'),
      indexUrl,
      git: createGitRunner(),
      provisionTools: io.provisionTools ?? (() => provisionTools({ log: (line) => log.info(line) })),
      addFilesToIndex: io.addFilesToIndex ?? (await defaultAddFilesToIndex()),
      log,
    });
    io.stdout(
      report.outcome === 'pushed'
        ? `pushed ${report.indexCommit}: ${report.wheel} from ${owner}/${repo}@${report.sourceCommit}\n`
        : `unchanged: the index already has ${report.wheel} from ${owner}/${repo}@${report.sourceCommit}\n`,
    );
    return EXIT.ok;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function runDispatchCommand(parsed: Parsed, io: CliIo, log: Logger): Promise<number> {
  const env = io.env ?? process.env;
  const owner = parsed.required('owner');
  const repo = parsed.required('repo');
  const ref = parsed.required('ref');
  const indexRepo = parsed.string('index-repo') ?? env['PKG_INDEX_REPO'];
  if (!indexRepo) throw usageError('--index-repo was not specified (nor PKG_INDEX_REPO)');
  const { planDispatch, readDispatchToken, sendDispatch } = await import('./dispatch.js');
  // Names are checked before the token is looked at, and the token before anything is sent.
  const event = planDispatch({ owner, repo, ref, indexRepo });
  const tokenFile = parsed.string('token-file');
  const token = await readDispatchToken(
    env,
    tokenFile === undefined ? undefined : resolve(io.cwd, tokenFile),
  );
  await sendDispatch(event, {
    token,
    apiUrl: parsed.string('api-url'),
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });
  log.info(
    `dispatched ${event.event_type} to ${event.owner}/${event.repo}: ${JSON.stringify(event.client_payload)}`,
  );
  return EXIT.ok;
}

async function runAddCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const indexDir = resolve(io.cwd, parsed.required('index-dir'));
  if (parsed.positionals.length === 0) throw usageError('no files to add');
  const files = parsed.positionals.map((file) => resolve(io.cwd, file));
  const { addToIndex } = await import('./index-files.js');
  const result = await addToIndex(io.addFilesToIndex ?? (await defaultAddFilesToIndex()), indexDir, files, {
    replace: parsed.values['replace'] === true,
  });
  const lines = [
    ...result.added.map((file) => `added ${file}`),
    ...result.replaced.map((file) => `replaced ${file}`),
    ...result.unchanged.map((file) => `unchanged ${file}`),
  ];
  io.stdout(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  return EXIT.ok;
}

async function runYankCommand(command: 'yank' | 'unyank', parsed: Parsed, io: CliIo): Promise<number> {
  const indexDir = resolve(io.cwd, parsed.required('index-dir'));
  const [target, ...more] = parsed.positionals;
  if (target === undefined) throw usageError('no file name given');
  if (more.length > 0) {
    throw usageError(`one file at a time: unexpected ${JSON.stringify(more[0])}`);
  }
  const filename = basename(target);
  const { yankFile, unyankFile } = await import('@packyard/wheel-index');
  const reason = parsed.string('reason');
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
  io.stdout(
    `${result.changed ? (command === 'yank' ? 'yanked' : 'unyanked') : 'unchanged'} ${filename} (${mark})\n`,
  );
  return EXIT.ok;
}

async function runBuildCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const { values } = parsed;
  const indexDirOption = parsed.string('index-dir');
  const list = parsed.string('package-list');
  if (indexDirOption !== undefined) {
    for (const name of ['package-list', 'packages-url', 'out', 'full']) {
      if (values[name] !== undefined) {
        throw usageError(`--${name} builds from a package list; it cannot go with --index-dir`);
      }
    }
    const { writeIndex } = await import('@packyard/wheel-index');
    const result = await writeIndex(resolve(io.cwd, indexDirOption));
    io.stdout(`built ${result.projects.length} projects, ${result.files} files\n`);
    return EXIT.ok;
  }
  if (list === undefined) throw usageError('--package-list (or --index-dir) was not specified');
  const packagesUrl = parsed.required('packages-url');
  const out = resolve(io.cwd, parsed.required('out'));
  const { writeIndexFromPackageList } = await import('@packyard/wheel-index');
  const result = await writeIndexFromPackageList(resolve(io.cwd, list), out, {
    packagesUrl,
    full: values['full'] === true,
  });
  io.stdout(
    `built ${result.projects.length} projects, ${result.files} files (${result.full ? 'full' : 'incremental'}): ` +
      `${result.written.length} written, ${result.removed.length} removed\n`,
  );
  return EXIT.ok;
}

async function runServeCommand(parsed: Parsed, io: CliIo, log: Logger): Promise<number> {
  const indexDir = resolve(io.cwd, parsed.required('index-dir'));
  const configFile = parsed.string('config');
  const host = parsed.string('host') ?? '127.0.0.1';
  const port = parseCount(parsed, 'port', 8080, 0, 65535);
  const [{ readServeConfig }, { startIndexServer }] = await Promise.all([
    import('./config.js'),
    import('./serve.js'),
  ]);
  const config: ServeConfig | undefined =
    configFile === undefined ? undefined : await readServeConfig(resolve(io.cwd, configFile));
  const running = await startIndexServer({
    indexDir,
    config,
    host,
    port,
    addFilesToIndex: io.addFilesToIndex ?? (await defaultAddFilesToIndex()),
    log: (line) => log.info(line),
  });
  io.stdout(
    `serving ${indexDir} at ${running.url}/simple/ (uploads: ${config?.users.size ? `${running.url}/` : 'disabled'})\n`,
  );
  await whenAborted(io.stopSignal?.());
  await running.close();
  return EXIT.ok;
}

async function runPublishCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const { values } = parsed;
  const indexDir = resolve(io.cwd, parsed.required('index-dir'));
  const to = parsed.required('to');
  const prefix = parsed.string('prefix');
  const [{ publishIndex }, { openObjectStore }] = await Promise.all([
    import('@packyard/wheel-index'),
    import('@packyard/r2-store'),
  ]);
  const store = openObjectStore(/^[a-z][a-z0-9+.-]*:\/\//i.test(to) ? to : resolve(io.cwd, to), {
    env: io.env ?? process.env,
  });
  const result = await publishIndex(indexDir, store, {
    ...(prefix === undefined ? {} : { prefix }),
    replace: values['replace'] === true,
  });
  io.stdout(
    `published ${indexDir} to ${store.location}: ${result.uploaded.length} uploaded, ` +
      `${result.replaced.length} replaced, ${result.skipped.length} unchanged\n`,
  );
  return EXIT.ok;
}

async function runStatusCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const [project, ...extra] = parsed.positionals;
  if (project === undefined) throw usageError('no PROJECT was given');
  if (extra.length > 0) throw usageError(`unexpected argument ${extra[0]}`);
  const indexDir = resolve(io.cwd, parsed.required('index-dir'));
  const status = parsed.required('set');
  const reason = parsed.string('reason');
  const { setProjectStatus } = await import('@packyard/wheel-index');
  const result = await setProjectStatus(indexDir, project, status as 'active', {
    ...(reason === undefined ? {} : { reason }),
  });
  io.stdout(`${result.changed ? 'set' : 'unchanged'} ${result.project}: ${result.status}\n`);
  return EXIT.ok;
}

async function runHashPasswordCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const cost = parseCount(parsed, 'cost', 12, 4, 31);
  const text = io.readStdin ? await io.readStdin() : '';
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password === '') {
    throw new PackyardError('CONFIG_INVALID', 'no password on standard input', {
      hint: 'pipe it in: printf \'%s\' "$PASSWORD" | pkg-index hash-password',
    });
  }
  const { hashPassword } = await import('./config.js');
  io.stdout(`${await hashPassword(password, cost)}\n`);
  return EXIT.ok;
}
