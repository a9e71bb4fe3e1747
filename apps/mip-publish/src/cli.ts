import { resolve } from 'node:path';
import {
  COMMON_OPTIONS,
  EXIT,
  createStepEventRenderer,
  runCli,
  usageError,
  type CliApp,
  type CliIo,
  type CommandContext,
  type CommandDef,
  type CommandOutcome,
  type OptionDefs,
} from '@packyard/core';
import {
  DEFAULT_TIME_LIMITS,
  STAGES,
  createMipContext,
  exitCodeForResults,
  parseSeconds,
  runMipPipeline,
  type MipRunReport,
  type StageName,
  type StageReport,
} from '@packyard/mip-pipeline';

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

const COMMANDS = ['run', ...STAGES] as const;
type Command = 'run' | StageName;

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
  const limit = (option: string, fallback: number): number => {
    const value = c.string(option);
    return value === undefined ? fallback : parseSeconds(`--${option}`, value);
  };
  const timeLimits = {
    buildMs: limit('time-limit-build', DEFAULT_TIME_LIMITS.buildMs),
    compileMs: limit('time-limit-compile', DEFAULT_TIME_LIMITS.compileMs),
    gitMs: limit('time-limit-git', DEFAULT_TIME_LIMITS.gitMs),
  };
  // Credentials are checked here, before any work.
  const context = await createMipContext({
    root: resolve(c.cwd, c.string('dir') ?? '.'),
    packagesDir: c.string('packages-dir'),
    preparedDir: c.string('output-dir'),
    bundledDir: c.string('bundle-dir'),
    pagesDir: c.string('pages-dir'),
    store: c.string('store'),
    prefix: c.values['prefix'] === '' ? '' : c.string('prefix'),
    baseUrl: c.string('base-url'),
    python: c.string('python'),
    buildType: c.string('build-type'),
    timeLimits,
    concurrency,
    env: c.env,
    log: { info: c.log.info, error: c.log.error },
    progress: c.progress,
  });
  const report = await runMipPipeline(
    context,
    {
      stages: command === 'run' ? STAGES : [command],
      dryRun: c.values['dry-run'] === true,
      force: c.values['force'] === true,
      replace: c.values['replace'] === true,
      skipInvalid: c.values['skip-invalid'] === true,
      minMipVersion: c.string('min-mip-version'),
    },
    // One step's packages show their own [n/N]; `run` shows its steps' too.
    command === 'run' ? { label: command, onEvent: createStepEventRenderer(c.progress) } : {},
  );
  const { results } = report;
  const failed = results.filter((r) => r.status === 'failed').length;
  return {
    exitCode: exitCodeForResults(results),
    result: { results },
    text: renderSummary(report),
    summary: `${results.length - failed} of ${results.length} done or skipped; outputs in ${context.bundledDir}, ${context.pagesDir} and ${context.store.location}`,
  };
}

/** One line per step: its counts, or why it was skipped. Pure. */
export function renderSummary(report: MipRunReport): string {
  return report.stages.map(renderStageLine).join('\n');
}

function renderStageLine({ stage, results, skipped }: StageReport): string {
  if (skipped !== undefined) return `- ${stage}: skipped (${skipped})`;
  const count = (status: 'done' | 'skipped' | 'failed') => results.filter((r) => r.status === status).length;
  const line = `${stage}: ${count('done')} done, ${count('skipped')} skipped, ${count('failed')} failed`;
  return `${count('failed') > 0 ? '✗' : '✓'} ${line}`;
}
