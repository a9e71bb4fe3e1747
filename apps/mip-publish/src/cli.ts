import { resolve, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { FALLBACK_MTIME } from '@packyard/archive';
import {
  COMMON_OPTIONS,
  EXIT,
  PackyardError,
  exitCodeForAll,
  runCli,
  usageError,
  type CliApp,
  type CliIo,
  type CommandContext,
  type CommandOutcome,
  type CommandDef,
  type OptionDefs,
} from '@packyard/core';
import { DEFAULT_TIME_LIMITS, parseSeconds, type TimeLimits } from '@packyard/mip';
import { openObjectStore } from '@packyard/r2-store';
import { bundlePackages } from './bundle.js';
import { compilePackages } from './compile.js';
import type { Context, Logger, PackageResult } from './context.js';
import { assembleIndex } from './index-page.js';
import { preparePackages } from './prepare.js';
import { uploadBundles } from './upload.js';

const OPTIONS: OptionDefs = {
  dir: COMMON_OPTIONS.dir,
  'packages-dir': {
    type: 'string',
    value: 'DIR',
    description: 'package definitions, one folder each (default: <dir>/mip-packages)',
  },
  'output-dir': {
    type: 'string',
    value: 'DIR',
    description: 'where <mhl>.dir folders are prepared (default: <dir>/build/prepared)',
  },
  'bundle-dir': {
    type: 'string',
    value: 'DIR',
    description: 'where .mhl files are written (default: <dir>/build/bundled)',
  },
  'pages-dir': {
    type: 'string',
    value: 'DIR',
    description: 'where index.json and packages.html go (default: <dir>/build/gh-pages)',
  },
  store: {
    type: 'string',
    value: 'LOCATION',
    description:
      's3://BUCKET (R2/S3; credentials from AWS_* or R2_* variables) or a directory (default: $MIP_STORE, else <dir>/build/mip-store, needing no account)',
  },
  prefix: {
    type: 'string',
    value: 'PREFIX',
    description: 'key prefix in the store (default: core/packages/)',
  },
  'base-url': {
    type: 'string',
    value: 'URL',
    description:
      'public URL the prefix is served from, for mhl_url (default: $MIP_BASE_URL; for a directory store, its file:// URL)',
  },
  'dry-run': {
    ...COMMON_OPTIONS.dryRun,
    description: 'prepare/bundle/upload: print the plan and change nothing',
  },
  force: {
    type: 'boolean',
    description: 'prepare: rebuild packages even when the published metadata matches',
  },
  replace: {
    type: 'boolean',
    description: 'upload: replace published objects whose bytes differ instead of refusing',
  },
  'skip-invalid': {
    type: 'boolean',
    description: 'index: leave out metadata that cannot be read instead of failing',
  },
  jobs: {
    ...COMMON_OPTIONS.jobs,
    aliases: ['concurrency'],
    description: 'metadata objects fetched at once by index (default: 16)',
  },
  python: {
    type: 'string',
    value: 'PATH',
    description: 'Python for package.py / packages.py (default: python3)',
  },
  'build-type': {
    type: 'string',
    value: 'TYPE',
    description: 'BUILD_TYPE the package files see (default: standard)',
  },
  'min-mip-version': {
    type: 'string',
    value: 'V',
    description: 'index: the oldest mip client the channel supports (index.json min_mip_version)',
  },
  'time-limit-build': {
    type: 'string',
    value: 'SECONDS',
    description: "one package file's load or build, with all it starts (default: 3600)",
  },
  'time-limit-compile': {
    type: 'string',
    value: 'SECONDS',
    description: 'one compile.m run (default: 3600)',
  },
  'time-limit-git': {
    type: 'string',
    value: 'SECONDS',
    description: 'one git command of a mip.yaml source (default: 600)',
  },
};

const COMMANDS = ['run', 'prepare', 'compile', 'bundle', 'upload', 'index'] as const;
type Command = (typeof COMMANDS)[number];

const SUMMARIES: Readonly<Record<Command, string>> = {
  run: 'prepare, compile, bundle, upload, index, in that order',
  prepare: 'build <mhl>.dir/ for every package whose published metadata differs',
  compile: 'run compile.m of every prepared package (matlab -batch, else octave-cli)',
  bundle: 'zip every <mhl>.dir into a deterministic <mhl>.mhl and write <mhl>.mhl.mip.json',
  upload: 'publish .mhl then .mhl.mip.json to the store; identical objects are skipped',
  index: "assemble index.json and packages.html from the store's .mhl.mip.json objects",
};

/** How the CLI talks to the world; the entry point passes the process's. */
export interface Io extends CliIo {
  env: Record<string, string | undefined>;
}

/** Maps one run's results to an exit code (core's rule: config or time limit when every failure is one). Pure. */
export function exitCodeFor(results: PackageResult[]): number {
  return exitCodeForAll(
    results
      .filter((r) => r.status === 'failed')
      .map((r) => (r.timedOut === true ? 'TIME_LIMIT' : (r.code ?? 'INTERNAL'))),
  );
}

/** The mip-publish command line. */
export const MIP_PUBLISH: CliApp = {
  name: 'mip-publish',
  packageJson: new URL('../package.json', import.meta.url),
  description:
    'MATLAB packages → .dir → compile → .mhl + mip.json → store → index.json. Each command is also an Nx\ntarget of the mip-publish project.',
  commands: Object.fromEntries(
    COMMANDS.map((name): [string, CommandDef] => [
      name,
      { summary: SUMMARIES[name], options: OPTIONS, run: (context) => runCommand(name, context) },
    ]),
  ),
  exitCodes: [
    [
      EXIT.failed,
      'one or more packages failed (build, compile, store or index errors); the others were done',
    ],
    [EXIT.auth, 'missing credentials for a remote store (nothing was done)'],
    [
      EXIT.config,
      'package definitions are invalid (every failure was one); the other packages were processed',
    ],
    [EXIT.timeLimit, 'packages hit a time limit (every failure was one), killed with their process group'],
  ],
};

/** The CLI: parses options, builds the context, runs the command, and returns the exit code. */
export function main(argv: readonly string[], io: Io): Promise<number> {
  return runCli(MIP_PUBLISH, argv, io);
}

async function runCommand(command: Command, c: CommandContext): Promise<CommandOutcome> {
  const jobsText = c.string('jobs') ?? '16';
  const concurrency = Number(jobsText);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw usageError(`--jobs must be a whole number from 1 to 256, not "${jobsText}"`);
  }
  const timeLimits: TimeLimits = {
    buildMs: limit('--time-limit-build', c.string('time-limit-build'), DEFAULT_TIME_LIMITS.buildMs),
    compileMs: limit('--time-limit-compile', c.string('time-limit-compile'), DEFAULT_TIME_LIMITS.compileMs),
    gitMs: limit('--time-limit-git', c.string('time-limit-git'), DEFAULT_TIME_LIMITS.gitMs),
  };
  let prefix = c.values['prefix'] === '' ? '' : (c.string('prefix') ?? 'core/packages/');
  if (prefix !== '' && !prefix.endsWith('/')) prefix = `${prefix}/`;
  const log: Logger = { info: c.log.info, error: c.log.error };
  const root = resolve(c.cwd, c.string('dir') ?? '.');
  const location = c.string('store') ?? c.env['MIP_STORE'] ?? join(root, 'build', 'mip-store');
  const storeLocation = /^[a-z0-9]+:\/\//.test(location) ? location : resolve(root, location);
  // Credentials are checked here, before any work.
  const store = openObjectStore(storeLocation, { env: c.env });
  let baseUrl = c.string('base-url') ?? c.env['MIP_BASE_URL'];
  if (baseUrl === undefined) {
    if (store.kind === 's3') {
      throw usageError(
        'a remote store needs --base-url (or MIP_BASE_URL)',
        'give the public URL the store prefix is served from',
      );
    }
    baseUrl = pathToFileURL(join(store.location, prefix)).href;
  }
  const packagesDir = resolve(root, c.string('packages-dir') ?? 'mip-packages');
  const ctx: Context = {
    packagesDir,
    preparedDir: resolve(root, c.string('output-dir') ?? join('build', 'prepared')),
    bundledDir: resolve(root, c.string('bundle-dir') ?? join('build', 'bundled')),
    pagesDir: resolve(root, c.string('pages-dir') ?? join('build', 'gh-pages')),
    store,
    prefix,
    baseUrl,
    python: {
      python: c.string('python') ?? 'python3',
      buildType: c.string('build-type') ?? 'standard',
      timeoutMs: timeLimits.buildMs,
      env: c.env,
    },
    timeLimits,
    sourceDateEpoch: await sourceDateEpoch(c.env, packagesDir),
    env: c.env,
    log,
    concurrency,
  };
  const steps: Command[] =
    command === 'run' ? ['prepare', 'compile', 'bundle', 'upload', 'index'] : [command];
  const all: PackageResult[] = [];
  const flags = {
    'dry-run': c.values['dry-run'] === true,
    force: c.values['force'] === true,
    replace: c.values['replace'] === true,
    'skip-invalid': c.values['skip-invalid'] === true,
    'min-mip-version': c.string('min-mip-version'),
  };
  const lines: string[] = [];
  for (const step of steps) {
    log.info(`== ${step}`);
    const results = await runStep(ctx, step, flags);
    all.push(...results);
    lines.push(summarize(step, results));
  }
  const failed = all.filter((r) => r.status === 'failed').length;
  return {
    exitCode: exitCodeFor(all),
    result: { results: all },
    text: lines.join('\n'),
    summary: `${all.length - failed} of ${all.length} done or skipped; outputs in ${ctx.bundledDir}, ${ctx.pagesDir} and ${store.location}`,
  };
}

async function runStep(
  ctx: Context,
  step: Command,
  values: {
    'dry-run': boolean;
    force: boolean;
    replace: boolean;
    'skip-invalid': boolean;
    'min-mip-version'?: string | undefined;
  },
): Promise<PackageResult[]> {
  switch (step) {
    case 'prepare':
      return preparePackages(ctx, { dryRun: values['dry-run'], force: values.force });
    case 'compile':
      return values['dry-run'] ? [] : compilePackages(ctx);
    case 'bundle':
      return bundlePackages(ctx, { dryRun: values['dry-run'] });
    case 'upload':
      return uploadBundles(ctx, { dryRun: values['dry-run'], replace: values.replace });
    case 'index':
      return values['dry-run']
        ? []
        : assembleIndex(ctx, {
            skipInvalid: values['skip-invalid'],
            minMipVersion: values['min-mip-version'],
          });
    default:
      throw new PackyardError('INTERNAL', `unknown step ${step}`);
  }
}

function summarize(step: string, results: PackageResult[]): string {
  const count = (status: PackageResult['status']) => results.filter((r) => r.status === status).length;
  const line = `${step}: ${count('done')} done, ${count('skipped')} skipped, ${count('failed')} failed`;
  return `${count('failed') > 0 ? '✗' : '✓'} ${line}`;
}

function limit(option: string, value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : parseSeconds(option, value);
}

/** SOURCE_DATE_EPOCH, else the last commit date of the packages directory, else 1980-01-01. */
async function sourceDateEpoch(
  env: Record<string, string | undefined>,
  packagesDir: string,
): Promise<number> {
  const raw = env['SOURCE_DATE_EPOCH']?.trim();
  if (raw !== undefined && raw !== '') {
    if (!/^[0-9]+$/.test(raw)) {
      throw new PackyardError(
        'CONFIG_INVALID',
        `SOURCE_DATE_EPOCH must be whole seconds since the epoch, not ${JSON.stringify(raw)}`,
        {
          field: 'SOURCE_DATE_EPOCH',
          value: raw,
        },
      );
    }
    return Math.max(Number(raw), FALLBACK_MTIME);
  }
  const git = await execa('git', ['log', '-1', '--format=%ct', '--', '.'], {
    cwd: packagesDir,
    reject: false,
    stdin: 'ignore',
  });
  const seconds = Number(String(git.stdout).trim());
  return git.exitCode === 0 && Number.isInteger(seconds) && seconds > 0
    ? Math.max(seconds, FALLBACK_MTIME)
    : FALLBACK_MTIME;
}
