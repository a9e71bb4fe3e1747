import { resolve, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { FALLBACK_MTIME } from '@packyard/archive';
import { PackyardError, toPackyardError, type ErrorCode } from '@packyard/core';
import { DEFAULT_TIME_LIMITS, parseSeconds, type TimeLimits } from '@packyard/mip';
import { openObjectStore } from '@packyard/r2-store';
import { bundlePackages } from './bundle.js';
import { compilePackages } from './compile.js';
import type { Context, Logger, PackageResult } from './context.js';
import { assembleIndex } from './index-page.js';
import { preparePackages } from './prepare.js';
import { uploadBundles } from './upload.js';

export const USAGE = `usage: mip-publish <command> [options]

Commands (each is also an Nx target of the mip-publish project):
  run        prepare, compile, bundle, upload, index, in that order
  prepare    build <mhl>.dir/ for every package whose published metadata differs
  compile    run compile.m of every prepared package (matlab -batch, else octave-cli)
  bundle     zip every <mhl>.dir into a deterministic <mhl>.mhl and write <mhl>.mhl.mip.json
  upload     publish .mhl then .mhl.mip.json to the store; identical objects are skipped
  index      assemble index.json and packages.html from the store's .mhl.mip.json objects

Options:
  --root DIR          workspace root (default: current directory)
  --packages-dir DIR  package definitions, one folder each (default: <root>/mip-packages)
  --output-dir DIR    where <mhl>.dir folders are prepared (default: <root>/build/prepared)
  --bundle-dir DIR    where .mhl files are written (default: <root>/build/bundled)
  --pages-dir DIR     where index.json and packages.html go (default: <root>/build/gh-pages)
  --store LOCATION    s3://BUCKET (R2/S3; credentials from AWS_* or R2_* variables) or a directory
                      (default: $MIP_STORE, else <root>/build/mip-store, needing no account)
  --prefix PREFIX     key prefix in the store (default: core/packages/)
  --base-url URL      public URL the prefix is served from, for mhl_url (default: $MIP_BASE_URL;
                      for a directory store, its file:// URL)
  --dry-run           prepare/bundle/upload: print the plan and change nothing
  --force             prepare: rebuild packages even when the published metadata matches
  --replace           upload: replace published objects whose bytes differ instead of refusing
  --skip-invalid      index: leave out metadata that cannot be read instead of failing
  --concurrency N     metadata objects fetched at once by index (default: 16)
  --python PATH       Python for package.py / packages.py (default: python3)
  --build-type TYPE   BUILD_TYPE the package files see (default: standard)
  --min-mip-version V index: the oldest mip client the channel supports (index.json min_mip_version)
  --time-limit-build SECONDS    one package file's load or build, with all it starts (default: 3600)
  --time-limit-compile SECONDS  one compile.m run (default: 3600)
  --time-limit-git SECONDS      one git command of a mip.yaml source (default: 600)
  -h, --help          show this help

Exit codes:
  0   everything done
  1   one or more packages failed (build, compile, store or index errors); the others were done
  2   bad command line
  3   missing credentials for a remote store (nothing was done)
  4   one or more package definitions are invalid; the other packages were processed
  5   one or more packages hit a time limit (killed with their process group); the others were done
  70  internal error`;

export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3, config: 4, timeLimit: 5, internal: 70 } as const;

const COMMANDS = ['run', 'prepare', 'compile', 'bundle', 'upload', 'index'] as const;
type Command = (typeof COMMANDS)[number];

/** How the CLI talks to the world; the entry point passes the process's. */
export interface Io {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Maps one step's results to an exit code. Pure. */
export function exitCodeFor(results: PackageResult[]): number {
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length === 0) return EXIT.ok;
  if (failed.some((r) => r.timedOut === true)) return EXIT.timeLimit;
  if (failed.every((r) => r.code === 'CONFIG_INVALID' || r.code === 'CONFIG_MISSING')) return EXIT.config;
  return EXIT.failed;
}

/** Maps an error that stopped the whole run to an exit code. Pure. */
export function exitCodeForError(code: ErrorCode): number {
  if (code === 'AUTH_MISSING') return EXIT.auth;
  if (code === 'CONFIG_INVALID' || code === 'CONFIG_MISSING') return EXIT.config;
  if (code === 'INTERNAL') return EXIT.internal;
  return EXIT.failed;
}

/** The CLI: parses options, builds the context, runs the command, and returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        root: { type: 'string' },
        'packages-dir': { type: 'string' },
        'output-dir': { type: 'string' },
        'bundle-dir': { type: 'string' },
        'pages-dir': { type: 'string' },
        store: { type: 'string' },
        prefix: { type: 'string' },
        'base-url': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        replace: { type: 'boolean', default: false },
        'skip-invalid': { type: 'boolean', default: false },
        concurrency: { type: 'string', default: '16' },
        python: { type: 'string', default: 'python3' },
        'build-type': { type: 'string', default: 'standard' },
        'min-mip-version': { type: 'string' },
        'time-limit-build': { type: 'string' },
        'time-limit-compile': { type: 'string' },
        'time-limit-git': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr(`mip-publish: ${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  const command = positionals[0] as Command | undefined;
  if (command === undefined || !COMMANDS.includes(command) || positionals.length > 1) {
    io.stderr(`mip-publish: expected one command (${COMMANDS.join(', ')})\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    io.stderr(
      `mip-publish: --concurrency must be a whole number from 1 to 256, not "${values.concurrency}"\n`,
    );
    return EXIT.usage;
  }
  let timeLimits: TimeLimits;
  try {
    timeLimits = {
      buildMs: limit('--time-limit-build', values['time-limit-build'], DEFAULT_TIME_LIMITS.buildMs),
      compileMs: limit('--time-limit-compile', values['time-limit-compile'], DEFAULT_TIME_LIMITS.compileMs),
      gitMs: limit('--time-limit-git', values['time-limit-git'], DEFAULT_TIME_LIMITS.gitMs),
    };
  } catch (error) {
    io.stderr(`mip-publish: ${toPackyardError(error).format()}\n`);
    return EXIT.usage;
  }
  let prefix = values.prefix ?? 'core/packages/';
  if (prefix !== '' && !prefix.endsWith('/')) prefix = `${prefix}/`;
  const log: Logger = {
    info: (line) => io.stdout(`${line}\n`),
    error: (line) => io.stderr(`${line}\n`),
  };
  try {
    const root = resolve(io.cwd, values.root ?? '.');
    const location = values.store ?? io.env['MIP_STORE'] ?? join(root, 'build', 'mip-store');
    const storeLocation =
      location.startsWith('s3://') || /^[a-z]+:\/\//.test(location) ? location : resolve(root, location);
    // Credentials are checked here, before any work.
    const store = openObjectStore(storeLocation, { env: io.env });
    let baseUrl = values['base-url'] ?? io.env['MIP_BASE_URL'];
    if (baseUrl === undefined) {
      if (store.kind === 's3') {
        io.stderr(
          'mip-publish: a remote store needs --base-url (or MIP_BASE_URL), the public URL its prefix is served from\n',
        );
        return EXIT.usage;
      }
      baseUrl = pathToFileURL(join(store.location, prefix)).href;
    }
    const packagesDir = resolve(root, values['packages-dir'] ?? 'mip-packages');
    const ctx: Context = {
      packagesDir,
      preparedDir: resolve(root, values['output-dir'] ?? join('build', 'prepared')),
      bundledDir: resolve(root, values['bundle-dir'] ?? join('build', 'bundled')),
      pagesDir: resolve(root, values['pages-dir'] ?? join('build', 'gh-pages')),
      store,
      prefix,
      baseUrl,
      python: {
        python: values.python,
        buildType: values['build-type'],
        timeoutMs: timeLimits.buildMs,
        env: io.env,
      },
      timeLimits,
      sourceDateEpoch: await sourceDateEpoch(io.env, packagesDir),
      env: io.env,
      log,
      concurrency,
    };
    const steps: Command[] =
      command === 'run' ? ['prepare', 'compile', 'bundle', 'upload', 'index'] : [command];
    const all: PackageResult[] = [];
    for (const step of steps) {
      log.info(`== ${step}`);
      const results = await runStep(ctx, step, values);
      all.push(...results);
      summarize(log, step, results);
    }
    return exitCodeFor(all);
  } catch (error) {
    const failure = toPackyardError(error);
    log.error(`mip-publish: ${failure.format()}`);
    return exitCodeForError(failure.code);
  }
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

function summarize(log: Logger, step: string, results: PackageResult[]): void {
  const count = (status: PackageResult['status']) => results.filter((r) => r.status === status).length;
  const line = `${step}: ${count('done')} done, ${count('skipped')} skipped, ${count('failed')} failed`;
  if (count('failed') > 0) log.error(`✗ ${line}`);
  else log.info(`✓ ${line}`);
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
