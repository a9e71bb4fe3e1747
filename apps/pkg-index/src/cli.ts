import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import {
  PackyardError,
  UsageError,
  parseCommandLine,
  toPackyardError,
  type CommandOptions,
  type ErrorCode,
  type ParsedCommandLine,
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

export const USAGE = `usage: pkg-index <command> [options]

Commands:
  update     build a wheel from a git ref, install-test it, add it to the index, commit and push
             (pull mode: what the index repository's workflow runs on a dispatch)
  dispatch   ask the index repository to update a dependency (repository_dispatch
             "update_package_index"; replaces issue_update.sh)
  add        add built wheels/sdists to an index directory (push mode)
  yank       mark a file of an index directory yanked (PEP 592); unyank takes the mark away
  build      write the index pages: from a dumb-pypi package list (files stored elsewhere), or
             again from the files of an index directory
  serve      serve an index directory over HTTP, with uploads from twine (push mode)
  publish    copy an index directory to an object store (S3/R2 bucket or directory), by digest
  status     mark a project archived or deprecated (PEP 792), or active again
  verify     check an index directory: every listed file present with its hash, nothing unlisted,
             no debris a killed writer left
  hash-password
             read a password on stdin and print its bcrypt hash for the serve config

pkg-index update --owner OWNER --repo REPO --ref REF [options]
  --owner, --repo, --ref   the source repository on GitHub and the branch, tag or commit to build
                           (the seed's --source-org/--source-owner, --source-repo and
                           --source-ref/--source-branch/--dependency-ref are accepted too)
  --index-dir DIR          a clean checkout of the index repository, updated in place
                           (default: the current directory, unless --index-repo is given)
  --index-repo URL         the index repository's git URL: cloned when there is no --index-dir
                           checkout, and where a checkout pushes (default: its origin)
  --branch NAME            the index branch (default main)
  --git-base URL           clone URLs are URL/OWNER/REPO (default https://github.com)
  --index-url URL          where build backends and dependencies come from (default: pip's
                           configured index, else PyPI)
  --python PY              the interpreter to build and test with (default: packyard's tools python)
  --push-attempts N        how often a push that lost a race is re-applied (default 5)
  --replace                replace a wheel of the same name whose bytes differ
  --author "NAME <EMAIL>"  commit author (default github-actions[bot])

pkg-index dispatch --owner OWNER --repo REPO --ref REF --index-repo OWNER/NAME [options]
  --index-repo OWNER/NAME  the index repository (default: $PKG_INDEX_REPO)
  --token-file FILE        read the token from FILE (default: $PKG_UPDATE_TOKEN, $GITHUB_TOKEN,
                           $GH_TOKEN); it needs "Contents" write access to the index repository
  --api-url URL            GitHub REST API base (default https://api.github.com)

pkg-index add FILE... --index-dir DIR [--replace]
pkg-index yank FILENAME --index-dir DIR [--reason TEXT]
pkg-index unyank FILENAME --index-dir DIR
  FILENAME                 the file's name as the index lists it (a path's last part is taken)
pkg-index build --package-list FILE --packages-url URL --out DIR [--full]
  --package-list FILE      JSON lines, one file each, in dumb-pypi's --package-list-json format
  --packages-url URL       where the files are served from, absolute or relative to a project page
  --out DIR                where simple/, project/ and index.html go; a later build rewrites only
                           the projects whose lines changed (incremental), unless --full
pkg-index build --index-dir DIR
                           rewrite every page of an index directory from its files
pkg-index serve --index-dir DIR [--host HOST] [--port PORT] [--config FILE]
  --host HOST              default 127.0.0.1
  --port PORT              default 8080; 0 picks a free port (the URL is printed)
  --config FILE            YAML/JSON with the users who may upload (see README); without it the
                           index is read-only over HTTP
pkg-index publish --index-dir DIR --to LOCATION [--prefix PREFIX] [--replace]
  --to LOCATION            s3://BUCKET (account from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
                           AWS_ENDPOINT_URL, AWS_REGION) or a directory
  --prefix PREFIX          key prefix ending in "/" (default: the bucket's root)
  --replace                replace a file or metadata file the store holds with other bytes
                           (pages are always brought up to date; files first, pages last)
pkg-index status PROJECT --index-dir DIR --set active|archived|deprecated [--reason TEXT]
                           an archived project takes no new files
pkg-index verify --index-dir DIR
pkg-index hash-password [--cost N]   (bcrypt cost, default 12)

  -h, --help               show this help

Exit codes (the first five keep issue_update.sh's meanings):
  0   done (update: pushed, or the index already had the wheel and nothing was committed)
  1   dispatch: no token (nothing was sent)
  2   an option was given twice, or has no or a bad value
  3   unknown option
  4   unexpected argument
  5   a required option is missing
  6   invalid configuration or input: a name or ref, the serve config, a dirty index checkout
  10  update: cloning the source (or the index repository) failed: repository, ref or submodule
  11  update: building the wheel failed
  12  update: the install test failed (installing the wheel or importing its modules)
  13  update: pushing to the index branch failed (refused, or lost the race every time)
  14  the index holds a file of that name with other bytes (files are immutable; --replace)
  15  not a valid distribution file: a name the index cannot hold, a damaged archive (a member
      that fails its CRC or RECORD hash), or metadata that disagrees with the name
  16  dispatch: GitHub refused the dispatch or could not be reached
  17  a tool (git, python, uv) could not be provisioned or run
  18  verify: the index directory is inconsistent (each problem is printed)
  70  internal error`;

/** The documented exit codes. */
export const EXIT = {
  ok: 0,
  noToken: 1,
  badValue: 2,
  unknownOption: 3,
  unexpectedArgument: 4,
  missingOption: 5,
  config: 6,
  clone: 10,
  build: 11,
  installTest: 12,
  push: 13,
  conflict: 14,
  invalidFile: 15,
  dispatch: 16,
  tools: 17,
  verify: 18,
  internal: 70,
} as const;

/** The process around `main`: output, environment, and the I/O tests replace. */
export interface CliIo {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: Record<string, string | undefined>;
  /** Ends `serve` when aborted (main.ts aborts on SIGINT/SIGTERM). */
  signal?: AbortSignal;
  readStdin?: () => Promise<string>;
  provisionTools?: () => Promise<Pick<Tools, 'uv' | 'python' | 'home'>>;
  addFilesToIndex?: AddFilesToIndex;
  fetch?: typeof globalThis.fetch;
}

type Options = CommandOptions;

// Seed spellings (issue_update.sh and the workflow inputs) → packyard's option.
const ALIASES: Readonly<Record<string, string>> = {
  'source-org': 'owner',
  'source-owner': 'owner',
  'source-repo': 'repo',
  'source-ref': 'ref',
  'source-branch': 'ref',
  'dependency-ref': 'ref',
};

const SOURCE_OPTIONS: Options = {
  owner: { type: 'string' },
  repo: { type: 'string' },
  ref: { type: 'string' },
  ...Object.fromEntries(Object.keys(ALIASES).map((alias) => [alias, { type: 'string' as const }])),
};

const COMMANDS: Readonly<Record<string, { options: Options; positionals: boolean }>> = {
  update: {
    positionals: false,
    options: {
      ...SOURCE_OPTIONS,
      'index-dir': { type: 'string' },
      'index-repo': { type: 'string' },
      branch: { type: 'string' },
      'git-base': { type: 'string' },
      'index-url': { type: 'string' },
      python: { type: 'string' },
      'push-attempts': { type: 'string' },
      replace: { type: 'boolean' },
      author: { type: 'string' },
    },
  },
  dispatch: {
    positionals: false,
    options: {
      ...SOURCE_OPTIONS,
      'index-repo': { type: 'string' },
      'token-file': { type: 'string' },
      'api-url': { type: 'string' },
    },
  },
  add: { positionals: true, options: { 'index-dir': { type: 'string' }, replace: { type: 'boolean' } } },
  yank: { positionals: true, options: { 'index-dir': { type: 'string' }, reason: { type: 'string' } } },
  unyank: { positionals: true, options: { 'index-dir': { type: 'string' } } },
  build: {
    positionals: false,
    options: {
      'package-list': { type: 'string' },
      'packages-url': { type: 'string' },
      out: { type: 'string' },
      full: { type: 'boolean' },
      'index-dir': { type: 'string' },
    },
  },
  serve: {
    positionals: false,
    options: {
      'index-dir': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      config: { type: 'string' },
    },
  },
  publish: {
    positionals: false,
    options: {
      'index-dir': { type: 'string' },
      to: { type: 'string' },
      prefix: { type: 'string' },
      replace: { type: 'boolean' },
    },
  },
  status: {
    positionals: true,
    options: { 'index-dir': { type: 'string' }, set: { type: 'string' }, reason: { type: 'string' } },
  },
  verify: { positionals: false, options: { 'index-dir': { type: 'string' } } },
  'hash-password': { positionals: false, options: { cost: { type: 'string' } } },
};

type Parsed = ParsedCommandLine;

/** Parses one command's options; repeats (an alias counts as its option) are refused as the seed did. */
function parseCommand(command: string, args: readonly string[]): Parsed {
  const spec = COMMANDS[command]!;
  return parseCommandLine(
    command,
    { options: spec.options, positionals: spec.positionals, aliases: ALIASES },
    args,
    EXIT,
  );
}

function requireString(values: Parsed['values'], name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') {
    throw new UsageError(EXIT.missingOption, `--${name} was not specified`);
  }
  return value;
}

function optionalString(values: Parsed['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function parseCount(
  values: Parsed['values'],
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = optionalString(values, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      EXIT.badValue,
      `--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`,
    );
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
  if (!match)
    throw new UsageError(EXIT.badValue, `--author must be "NAME <EMAIL>", not ${JSON.stringify(text)}`);
  return { name: match[1]!, email: match[2]! };
}

/** The whole command line: parse, wire, run, report; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout)(`${USAGE}\n`);
    return command === undefined ? EXIT.missingOption : EXIT.ok;
  }
  if (!(command in COMMANDS)) {
    io.stderr(`pkg-index: unknown command ${JSON.stringify(command)}\n  try 'pkg-index --help'\n`);
    return command.startsWith('-') ? EXIT.unknownOption : EXIT.unexpectedArgument;
  }
  const log: Logger = {
    info: (message) => io.stderr(`${message}\n`),
    warn: (message) => io.stderr(`warning: ${message}\n`),
  };
  try {
    const parsed = parseCommand(command, rest);
    if (parsed.values['help'] === true) {
      io.stdout(`${USAGE}\n`);
      return EXIT.ok;
    }
    switch (command) {
      case 'update':
        return await runUpdateCommand(parsed, io, log);
      case 'dispatch':
        return await runDispatchCommand(parsed, io, log);
      case 'add':
        return await runAddCommand(parsed, io);
      case 'yank':
      case 'unyank':
        return await runYankCommand(command, parsed, io);
      case 'build':
        return await runBuildCommand(parsed, io);
      case 'serve':
        return await runServeCommand(parsed, io, log);
      case 'publish':
        return await runPublishCommand(parsed, io);
      case 'status':
        return await runStatusCommand(parsed, io);
      case 'verify': {
        const indexDir = resolve(io.cwd, requireString(parsed.values, 'index-dir'));
        const problems = await (await import('./verify.js')).verifyIndexDir(indexDir);
        io[problems.length > 0 ? 'stderr' : 'stdout'](
          problems.length > 0 ? `${problems.join('\n')}\n` : `verified ${indexDir}\n`,
        );
        return problems.length > 0 ? EXIT.verify : EXIT.ok;
      }
      default:
        return await runHashPasswordCommand(parsed, io);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`pkg-index ${command}: ${error.message}\n  try 'pkg-index --help'\n`);
      return error.exitCode;
    }
    const failure = toPackyardError(error);
    io.stderr(`error: ${failure.format()}\n`);
    return exitCodeForError(failure.code);
  }
}

async function runUpdateCommand(parsed: Parsed, io: CliIo, log: Logger): Promise<number> {
  const { values } = parsed;
  const owner = requireString(values, 'owner');
  const repo = requireString(values, 'repo');
  const ref = requireString(values, 'ref');
  const indexRepo = optionalString(values, 'index-repo');
  const indexDirOption = optionalString(values, 'index-dir');
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
  const indexUrl = (await resolveIndexUrl({ configured: optionalString(values, 'index-url'), env })).url;
  const workDir = await mkdtemp(join(tmpdir(), 'pkg-index-update-'));
  try {
    const report = await runUpdate({
      owner,
      repo,
      ref,
      gitBase: optionalString(values, 'git-base') ?? 'https://github.com',
      indexRepo: indexRepo !== undefined && /^[./]/.test(indexRepo) ? resolve(io.cwd, indexRepo) : indexRepo,
      indexDir,
      branch: optionalString(values, 'branch') ?? 'main',
      workDir,
      pushAttempts: parseCount(values, 'push-attempts', 5, 1, 100),
      replace: values['replace'] === true,
      author: parseAuthor(optionalString(values, 'author')),
      python: optionalString(values, 'python'),
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
  const { values } = parsed;
  const env = io.env ?? process.env;
  const owner = requireString(values, 'owner');
  const repo = requireString(values, 'repo');
  const ref = requireString(values, 'ref');
  const indexRepo = optionalString(values, 'index-repo') ?? env['PKG_INDEX_REPO'];
  if (!indexRepo)
    throw new UsageError(EXIT.missingOption, '--index-repo was not specified (nor PKG_INDEX_REPO)');
  const { planDispatch, readDispatchToken, sendDispatch } = await import('./dispatch.js');
  // Names are checked before the token is looked at, and the token before anything is sent.
  const event = planDispatch({ owner, repo, ref, indexRepo });
  const tokenFile = optionalString(values, 'token-file');
  const token = await readDispatchToken(
    env,
    tokenFile === undefined ? undefined : resolve(io.cwd, tokenFile),
  );
  await sendDispatch(event, {
    token,
    apiUrl: optionalString(values, 'api-url'),
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });
  log.info(
    `dispatched ${event.event_type} to ${event.owner}/${event.repo}: ${JSON.stringify(event.client_payload)}`,
  );
  return EXIT.ok;
}

async function runAddCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const indexDir = resolve(io.cwd, requireString(parsed.values, 'index-dir'));
  if (parsed.positionals.length === 0) throw new UsageError(EXIT.missingOption, 'no files to add');
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
  const indexDir = resolve(io.cwd, requireString(parsed.values, 'index-dir'));
  const [target, ...more] = parsed.positionals;
  if (target === undefined) throw new UsageError(EXIT.missingOption, 'no file name given');
  if (more.length > 0) {
    throw new UsageError(
      EXIT.unexpectedArgument,
      `one file at a time: unexpected ${JSON.stringify(more[0])}`,
    );
  }
  const filename = basename(target);
  const { yankFile, unyankFile } = await import('@packyard/wheel-index');
  const reason = optionalString(parsed.values, 'reason');
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
  const indexDirOption = optionalString(values, 'index-dir');
  const list = optionalString(values, 'package-list');
  if (indexDirOption !== undefined) {
    for (const name of ['package-list', 'packages-url', 'out', 'full']) {
      if (values[name] !== undefined) {
        throw new UsageError(
          EXIT.badValue,
          `--${name} builds from a package list; it cannot go with --index-dir`,
        );
      }
    }
    const { writeIndex } = await import('@packyard/wheel-index');
    const result = await writeIndex(resolve(io.cwd, indexDirOption));
    io.stdout(`built ${result.projects.length} projects, ${result.files} files\n`);
    return EXIT.ok;
  }
  if (list === undefined)
    throw new UsageError(EXIT.missingOption, '--package-list (or --index-dir) was not specified');
  const packagesUrl = requireString(values, 'packages-url');
  const out = resolve(io.cwd, requireString(values, 'out'));
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
  const { values } = parsed;
  const indexDir = resolve(io.cwd, requireString(values, 'index-dir'));
  const configFile = optionalString(values, 'config');
  const host = optionalString(values, 'host') ?? '127.0.0.1';
  const port = parseCount(values, 'port', 8080, 0, 65535);
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
  await new Promise<void>((resolveWait) => {
    if (io.signal === undefined) return;
    if (io.signal.aborted) return resolveWait();
    io.signal.addEventListener('abort', () => resolveWait(), { once: true });
  });
  await running.close();
  return EXIT.ok;
}

async function runPublishCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const { values } = parsed;
  const indexDir = resolve(io.cwd, requireString(values, 'index-dir'));
  const to = requireString(values, 'to');
  const prefix = optionalString(values, 'prefix');
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
  if (project === undefined) throw new UsageError(EXIT.missingOption, 'no PROJECT was given');
  if (extra.length > 0) throw new UsageError(EXIT.unexpectedArgument, `unexpected argument ${extra[0]}`);
  const indexDir = resolve(io.cwd, requireString(parsed.values, 'index-dir'));
  const status = requireString(parsed.values, 'set');
  const reason = optionalString(parsed.values, 'reason');
  const { setProjectStatus } = await import('@packyard/wheel-index');
  const result = await setProjectStatus(indexDir, project, status as 'active', {
    ...(reason === undefined ? {} : { reason }),
  });
  io.stdout(`${result.changed ? 'set' : 'unchanged'} ${result.project}: ${result.status}\n`);
  return EXIT.ok;
}

async function runHashPasswordCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const cost = parseCount(parsed.values, 'cost', 12, 4, 31);
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

/** The one place an error code becomes an exit code. */
export function exitCodeForError(code: ErrorCode): number {
  switch (code) {
    case 'AUTH_MISSING':
      return EXIT.noToken;
    case 'CONFIG_INVALID':
    case 'CONFIG_MISSING':
      return EXIT.config;
    case 'CLONE_FAILED':
      return EXIT.clone;
    case 'BUILD_FAILED':
      return EXIT.build;
    case 'INSTALL_TEST_FAILED':
      return EXIT.installTest;
    case 'PUSH_FAILED':
      return EXIT.push;
    case 'STORE_CONFLICT':
    case 'CONFLICT':
      return EXIT.conflict;
    case 'ARCHIVE_INVALID':
      return EXIT.invalidFile;
    case 'DISPATCH_FAILED':
      return EXIT.dispatch;
    case 'TOOL_FAILED':
    case 'TOOL_PROVISION_FAILED':
      return EXIT.tools;
    default:
      return EXIT.internal;
  }
}
