import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  chooseProgressFormat,
  createProgressReporter,
  createStepEventRenderer,
  PackyardError,
  toPackyardError,
  type ErrorCode,
  type ProgressReporter,
} from '@packyard/core';
import {
  createGithubReleaseStore,
  createLocalReleaseStore,
  readGithubToken,
  type ReleaseStore,
} from '@packyard/github-releases';
import {
  ALL_PLATFORMS,
  hostPlatform,
  parsePlatform,
  provisionTools,
  formatPlatform,
  hostBuildConcurrency,
  parseJobs,
  type Platform,
  type Tools,
} from '@packyard/pex-builder';
import { createPypiClient, resolveIndexUrl } from '@packyard/pypi-client';
import {
  removeManifestVersions,
  runPipeline,
  STEPS,
  type BuildPlatforms,
  type Logger,
  type PackageReport,
  type StepName,
} from '@packyard/hermit-pex-pipeline';

export const USAGE = `usage: hermit-pex <command> [package ...] [options]

Commands (each is also an Nx target of the hermit-pex project):
  run            all steps below, in order
  prepare        state, requirements, releases: what runs once before the platform runners
  build          state, requirements, releases, pex: what a single runner does
  finalise       publish, manifest: the one step after every runner has uploaded
  runners        print the CI build matrix as JSON: {"include":[{"runner","platforms"}]}, one
                 entry for this host (platforms "auto") and one per platform that some version
                 can only build on its own machine (platforms "native")
  state          refresh packages/<name>/state.yaml from the index, the locks and the release store
  requirements   lock every version that has no lock (uv pip compile, universal)
  releases       create a draft/prerelease for every locked version without a release
  pex            build this platform's PEX tarball for every unfinished release and upload it
  publish        record asset digests in the release body; publish releases that are complete
  manifest       write <package>.hcl from the published releases
  plan           print what run would do, and change nothing
  remove PACKAGE VERSION...
                 take published versions out of PACKAGE's manifest (the only way one leaves it)

Options:
  --root DIR           workspace root (default: current directory)
  --packages-dir DIR   package configs (default: <root>/packages)
  --dist-dir DIR       build output (default: <root>/dist/pex)
  --store-dir DIR      the local release store (default: <root>/dist/releases)
  --repo OWNER/NAME    publish to this GitHub repository's releases instead (token from
                       GITHUB_TOKEN or GH_TOKEN)
  --api-url URL        GitHub REST API base (default https://api.github.com; Enterprise:
                       https://HOST/api/v3)
  --manifest-dir DIR   where <package>.hcl is written (default: <root>/dist/hermit, a Hermit
                       file:// source; use . for a Hermit source repository)
  --platforms LIST     platforms a release needs before it is published (default: all four,
                       darwin-amd64,darwin-arm64,linux-amd64,linux-arm64)
  --build-platforms B  what this runner builds of the missing platforms: auto (default: this host,
                       plus every platform whose wheels the lock has, cross-built), native (this
                       host, only where it cannot be cross-built), or a list like linux-arm64
  --mode MODE          draft | prerelease | auto (default auto: draft when releases are immutable)
  --replace            replace published assets whose bytes differ instead of refusing
  --rebuild            (run) rebuild published releases whose build_info changed, in place: the
                       old assets stay until the new ones are uploaded and verified, and the
                       manifest is rewritten in the same run (a config_version bump does the same)
  --jobs N             PEX builds run at once (default: PACKYARD_JOBS, else one per CPU while
                       free memory holds 512 MB per build)
  --json               progress and log lines on stderr as JSON lines, for machines (default: a
                       live [n/N] line on a terminal, plain lines in CI or a pipe); on stdout, one
                       JSON array instead of the summary: per version the planned actions (plan)
                       or the actions carried out (run and the other steps)
  -h, --help           show this help

Exit codes:
  0  everything done
  1  one or more versions or packages failed (tool, index or store errors); the rest was done
  2  bad command line
  3  missing credentials (nothing was done)
  4  one or more package configs are invalid or missing (nothing was written for them); the other
     packages were processed
  5  finalise: some versions are still pending (each is listed with what it lacks); the rest was
     published
  70 internal error`;

export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3, config: 4, pending: 5, internal: 70 } as const;

const COMMANDS = new Set<string>([
  ...STEPS,
  'run',
  'plan',
  'prepare',
  'build',
  'finalise',
  'runners',
  'remove',
]);

/** The GitHub-hosted runner label for each platform. */
export const RUNNER_LABELS: Readonly<Record<string, string>> = {
  'linux-amd64': 'ubuntu-24.04',
  'linux-arm64': 'ubuntu-24.04-arm',
  'darwin-amd64': 'macos-15-intel',
  'darwin-arm64': 'macos-15',
};

export interface CliIo {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: Record<string, string | undefined>;
  /** Whether stderr is a terminal (the live progress line) and its width. */
  isTTY?: boolean;
  columns?: number;
  provisionTools?: () => Promise<Tools>;
}

/** The whole command line: parse, wire, run, report; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        root: { type: 'string' },
        'packages-dir': { type: 'string' },
        'dist-dir': { type: 'string' },
        'store-dir': { type: 'string' },
        'manifest-dir': { type: 'string' },
        repo: { type: 'string' },
        'api-url': { type: 'string' },
        platforms: { type: 'string' },
        'build-platforms': { type: 'string' },
        mode: { type: 'string', default: 'auto' },
        replace: { type: 'boolean', default: false },
        rebuild: { type: 'boolean', default: false },
        jobs: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr(`hermit-pex: ${(error as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...packages] = positionals;
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (!command || !COMMANDS.has(command)) {
    io.stderr(
      `hermit-pex: ${command ? `unknown command "${command}"` : 'a command is required'}\n${USAGE}\n`,
    );
    return EXIT.usage;
  }
  if (!['auto', 'draft', 'prerelease'].includes(values.mode)) {
    io.stderr(`hermit-pex: --mode must be draft, prerelease or auto, not "${values.mode}"\n`);
    return EXIT.usage;
  }

  const env = io.env ?? process.env;
  const progress = createProgressReporter({
    format: chooseProgressFormat({ json: values.json, isTTY: io.isTTY, env }),
    write: io.stderr,
    columns: () => io.columns,
  });
  const log = createLogger(progress);
  const jobsText = values.jobs ?? env['PACKYARD_JOBS'];
  let jobs: number;
  try {
    jobs = hostBuildConcurrency(
      jobsText === undefined || jobsText === ''
        ? undefined
        : parseJobs(jobsText, values.jobs !== undefined ? '--jobs' : 'PACKYARD_JOBS'),
    );
  } catch (error) {
    io.stderr(`hermit-pex: ${toPackyardError(error).format()}\n`);
    return EXIT.usage;
  }
  try {
    const root = resolve(io.cwd, values.root ?? '.');
    const host = hostPlatform();
    const parseList = (text: string) => text.split(',').map((p) => parsePlatform(p.trim()));
    const platforms = values.platforms ? parseList(values.platforms) : [...ALL_PLATFORMS];
    const buildOption = values['build-platforms'] ?? 'auto';
    const buildPlatforms: BuildPlatforms =
      buildOption === 'auto' || buildOption === 'native' ? buildOption : parseList(buildOption);
    // The token check comes before any other work: a GitHub run without one is a hard failure.
    const store: ReleaseStore = values.repo
      ? await createGithubReleaseStore({
          repository: values.repo,
          token: readGithubToken(io.env ?? process.env),
          ...(values['api-url'] ? { apiUrl: values['api-url'] } : {}),
          // plan writes nothing at all, not even the listing's ETag cache.
          ...(command === 'plan' ? {} : { cacheDir: resolve(root, '.packyard/cache') }),
          log: (line) => log.warn(line),
        })
      : createLocalReleaseStore({ dir: resolve(root, values['store-dir'] ?? 'dist/releases') });
    const immutable = await store.fetchImmutableReleases();
    const mode =
      values.mode === 'auto' ? (immutable ? 'draft' : 'prerelease') : (values.mode as 'draft' | 'prerelease');
    if (immutable && mode === 'prerelease') {
      throw new PackyardError('CONFIG_INVALID', 'prerelease mode cannot work with immutable releases', {
        field: '--mode',
        value: mode,
        hint: 'a published prerelease takes no more assets once releases are immutable; use --mode draft',
      });
    }
    const packagesDir = resolve(root, values['packages-dir'] ?? 'packages');
    const manifestDir = resolve(root, values['manifest-dir'] ?? 'dist/hermit');
    if (command === 'remove') {
      const [name, ...versions] = packages;
      if (name === undefined || versions.length === 0) {
        io.stderr(`hermit-pex: remove needs a package and at least one version\n`);
        return EXIT.usage;
      }
      await removeManifestVersions({ packagesDir, manifestDir, store, log }, name, versions);
      return EXIT.ok;
    }
    log.info(
      `release store: ${store.kind} ${store.location}; mode ${mode}; platforms ${platforms.map(formatPlatform).join(', ')}`,
    );
    const reports = await runPipeline(
      {
        root,
        packagesDir,
        distDir: resolve(root, values['dist-dir'] ?? 'dist/pex'),
        manifestDir,
        store,
        platforms,
        buildPlatforms,
        host,
        immutable,
        mode,
        replace: values.replace,
        rebuild: values.rebuild,
        log,
        provisionTools: io.provisionTools ?? (() => provisionTools({ log: (line) => log.info(line) })),
        resolveIndexUrl: (configured) => resolveIndexUrl({ configured }),
        createPypiClient: (indexUrl) => createPypiClient({ indexUrl }),
        jobs,
        progress,
        onEvent: createStepEventRenderer(progress),
      },
      stepsFor(command),
      packages,
      { splitRunners: command === 'plan' || command === 'runners', dryRun: command === 'plan' },
    );
    io.stdout(
      command === 'runners'
        ? `${JSON.stringify(planRunnerMatrix(reports, host))}\n`
        : values.json
          ? `${JSON.stringify(renderActions(reports, command === 'plan'))}\n`
          : renderSummary(reports, command === 'plan'),
    );
    const code = exitCodeFor(reports);
    const pending = reports.some((r) => r.versions.some((v) => !v.published && !v.error));
    return code === EXIT.ok && command === 'finalise' && pending ? EXIT.pending : code;
  } catch (error) {
    const failure = toPackyardError(error);
    log.error(failure.format());
    return exitCodeForError(failure.code);
  }
}

function stepsFor(command: string): StepName[] {
  switch (command) {
    case 'run':
      return [...STEPS];
    case 'plan':
    case 'runners':
      return ['state'];
    case 'prepare':
      return ['state', 'requirements', 'releases'];
    case 'build':
      return ['state', 'requirements', 'releases', 'pex'];
    case 'finalise':
      return ['state', 'publish', 'manifest'];
    default:
      return ['state', command as StepName];
  }
}

// Log lines go through the progress reporter, so they never garble its live line.
function createLogger(progress: ProgressReporter): Logger {
  return {
    info: (message) => progress.log('info', message),
    warn: (message) => progress.log('warn', message),
    error: (message) => progress.log('error', message),
  };
}

/**
 * The CI build matrix: this host's runner builds everything it can (auto); a platform's own runner is
 * added only when some version cannot be cross-built for it (native). Pure.
 */
export function planRunnerMatrix(
  reports: readonly PackageReport[],
  host: Platform,
): { include: Array<{ runner: string; platforms: string }> } {
  const elsewhere = new Set<string>();
  for (const report of reports) {
    for (const split of report.splits.values()) {
      for (const platform of split.elsewhere) elsewhere.add(formatPlatform(platform));
    }
  }
  const hostName = formatPlatform(host);
  elsewhere.delete(hostName);
  return {
    include: [
      { runner: RUNNER_LABELS[hostName]!, platforms: 'auto' },
      ...[...elsewhere].sort().map((name) => ({ runner: RUNNER_LABELS[name]!, platforms: 'native' })),
    ],
  };
}

/**
 * The `--json` summary: per version, the plan's actions (`plan`) or the actions this run carried out,
 * in order. For a version that did not fail, `run`'s list is the plan's, minus the status entries
 * (isPerformedAction).
 */
export function renderActions(
  reports: readonly PackageReport[],
  withPlan: boolean,
): Array<{ package: string; version: string; actions: string[]; note?: string; error?: string }> {
  return reports.flatMap((report) =>
    report.plan.map((plan) => {
      const outcome = report.versions.find((v) => v.version === plan.version);
      return {
        package: report.name,
        version: plan.version,
        actions: withPlan ? [...plan.actions] : [...(outcome?.performed ?? [])],
        ...(plan.note === undefined ? {} : { note: plan.note }),
        ...(outcome?.error ? { error: outcome.error.message } : {}),
      };
    }),
  );
}

/** A short table: one line per version, then one line per failure. */
export function renderSummary(reports: readonly PackageReport[], withPlan: boolean): string {
  const lines: string[] = [];
  for (const report of reports) {
    if (report.error && report.versions.length === 0) {
      lines.push(`${report.name}: FAILED: ${report.error.format()}`);
      continue;
    }
    for (const plan of report.plan) {
      const outcome = report.versions.find((v) => v.version === plan.version);
      const status = outcome?.error
        ? `FAILED: ${outcome.error.message.split('\n')[0]}`
        : outcome?.published
          ? 'published'
          : `pending${outcome?.lacks.length ? ` (lacks ${outcome.lacks.join(', ')})` : ''}`;
      const planned = `${plan.actions.join(', ')}${plan.note === undefined ? '' : ` (${plan.note})`}`;
      lines.push(`${report.name} ${plan.version}: ${withPlan ? planned : status}`);
    }
    if (report.error) lines.push(`${report.name}: FAILED: ${report.error.format()}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function exitCodeFor(reports: readonly PackageReport[]): number {
  const errors = reports
    .flatMap((r) => [r.error, ...r.versions.map((v) => v.error)])
    .filter((e) => e !== undefined);
  if (errors.some((e) => e.code === 'CONFIG_INVALID' || e.code === 'CONFIG_MISSING')) return EXIT.config;
  return errors.length > 0 ? EXIT.failed : EXIT.ok;
}

export function exitCodeForError(code: ErrorCode): number {
  switch (code) {
    case 'AUTH_MISSING':
      return EXIT.auth;
    case 'CONFIG_INVALID':
    case 'CONFIG_MISSING':
      return EXIT.config;
    case 'INTERNAL':
      return EXIT.internal;
    default:
      return EXIT.failed;
  }
}
