import { resolve } from 'node:path';
import {
  COMMON_OPTIONS,
  EXIT,
  createStepEventRenderer,
  PackyardError,
  exitCodeForAll,
  runCli,
  usageError,
  type CliApp,
  type CliIo as CoreCliIo,
  type CommandContext,
  type CommandDef,
  type CommandOutcome,
  type OptionDefs,
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

const OPTIONS: OptionDefs = {
  dir: COMMON_OPTIONS.dir,
  'packages-dir': { type: 'string', value: 'DIR', description: 'package configs (default: <dir>/packages)' },
  'dist-dir': { type: 'string', value: 'DIR', description: 'build output (default: <dir>/dist/pex)' },
  'store-dir': {
    type: 'string',
    value: 'DIR',
    description: 'the local release store (default: <dir>/dist/releases)',
  },
  repo: {
    type: 'string',
    value: 'OWNER/NAME',
    description: "publish to this GitHub repository's releases instead (token from GITHUB_TOKEN or GH_TOKEN)",
  },
  'api-url': {
    type: 'string',
    value: 'URL',
    description: 'GitHub REST API base (default https://api.github.com; Enterprise: https://HOST/api/v3)',
  },
  'manifest-dir': {
    type: 'string',
    value: 'DIR',
    description: 'where <package>.hcl is written (default: <dir>/dist/hermit, a Hermit file:// source)',
  },
  platforms: {
    type: 'string',
    value: 'LIST',
    description: 'platforms a release needs before it is published (default: all four)',
  },
  'build-platforms': {
    type: 'string',
    value: 'B',
    description: 'what this runner builds: auto (default), native, or a list like linux-arm64',
  },
  mode: {
    type: 'string',
    value: 'MODE',
    description: 'draft | prerelease | auto (default auto: draft when releases are immutable)',
  },
  replace: {
    type: 'boolean',
    description: 'replace published assets whose bytes differ instead of refusing',
  },
  rebuild: { type: 'boolean', description: 'rebuild published releases whose build_info changed, in place' },
  jobs: {
    ...COMMON_OPTIONS.jobs,
    description:
      'PEX builds run at once (default: PACKYARD_JOBS, else one per CPU while memory holds 512 MB each)',
  },
};

const SUMMARIES: Readonly<Record<string, string>> = {
  run: 'all steps, in order',
  prepare: 'state, requirements, releases: what runs once before the platform runners',
  build: 'state, requirements, releases, pex: what a single runner does',
  finalise: 'publish, manifest: the one step after every runner has uploaded',
  runners: 'print the CI build matrix as JSON: {"include":[{"runner","platforms"}]}',
  state: 'refresh packages/<name>/state.yaml from the index, the locks and the release store',
  requirements: 'lock every version that has no lock (uv pip compile, universal)',
  releases: 'create a draft/prerelease for every locked version without a release',
  pex: "build this platform's PEX tarball for every unfinished release and upload it",
  publish: 'record asset digests in the release body; publish releases that are complete',
  manifest: 'write <package>.hcl from the published releases',
  plan: 'print what run would do, and change nothing',
  remove: "take published versions out of PACKAGE's manifest (the only way one leaves it)",
};

/** The GitHub-hosted runner label for each platform. */
export const RUNNER_LABELS: Readonly<Record<string, string>> = {
  'linux-amd64': 'ubuntu-24.04',
  'linux-arm64': 'ubuntu-24.04-arm',
  'darwin-amd64': 'macos-15-intel',
  'darwin-arm64': 'macos-15',
};

export interface CliIo extends CoreCliIo {
  provisionTools?: () => Promise<Tools>;
}

/** The hermit-pex command line. */
export function hermitPexApp(io: CliIo): CliApp {
  const commands: Record<string, CommandDef> = {};
  for (const name of ['run', 'plan', 'prepare', 'build', 'finalise', 'runners', ...STEPS, 'remove']) {
    commands[name] = {
      summary: SUMMARIES[name]!,
      args: name === 'remove' ? 'PACKAGE VERSION...' : '[PACKAGE...]',
      positionals: true,
      options: OPTIONS,
      run: (context) => runCommand(name, context, io),
    };
  }
  return {
    name: 'hermit-pex',
    packageJson: new URL('../package.json', import.meta.url),
    description:
      'PyPI package → lock → PEX + wrappers → tarballs → releases → Hermit manifest. Each command is also an\nNx target of the hermit-pex project; with --json, stdout is one JSON array of the actions per version.',
    commands,
    exitCodes: [
      [EXIT.failed, 'one or more versions or packages failed; the rest was done'],
      [EXIT.auth, 'missing credentials (nothing was done)'],
      [EXIT.pending, 'finalise: some versions are still pending (each is listed with what it lacks)'],
      [
        EXIT.config,
        'package configs are invalid or missing (every failure was one); the others were processed',
      ],
    ],
  };
}

/** The whole command line: parse, wire, run, report; returns the exit code. */
export function main(argv: readonly string[], io: CliIo): Promise<number> {
  return runCli(hermitPexApp(io), argv, io);
}

async function runCommand(command: string, c: CommandContext, io: CliIo): Promise<CommandOutcome> {
  const mode = c.string('mode') ?? 'auto';
  if (!['auto', 'draft', 'prerelease'].includes(mode)) {
    throw usageError(`--mode must be draft, prerelease or auto, not "${mode}"`);
  }
  const env = c.env;
  const log: Logger = { info: c.log.info, warn: c.log.warn, error: c.log.error };
  const jobsText = c.string('jobs') ?? env['PACKYARD_JOBS'];
  const jobs = hostBuildConcurrency(
    jobsText === undefined || jobsText === ''
      ? undefined
      : parseJobs(jobsText, c.values['jobs'] !== undefined ? '--jobs' : 'PACKYARD_JOBS'),
  );
  const root = resolve(c.cwd, c.string('dir') ?? '.');
  const host = hostPlatform();
  const parseList = (text: string) => text.split(',').map((p) => parsePlatform(p.trim()));
  const platformsText = c.string('platforms');
  const platforms = platformsText ? parseList(platformsText) : [...ALL_PLATFORMS];
  const buildOption = c.string('build-platforms') ?? 'auto';
  const buildPlatforms: BuildPlatforms =
    buildOption === 'auto' || buildOption === 'native' ? buildOption : parseList(buildOption);
  const repo = c.string('repo');
  const apiUrl = c.string('api-url');
  // The token check comes before any other work: a GitHub run without one is a hard failure.
  const store: ReleaseStore = repo
    ? await createGithubReleaseStore({
        repository: repo,
        token: readGithubToken(env),
        ...(apiUrl ? { apiUrl } : {}),
        // plan writes nothing at all, not even the listing's ETag cache.
        ...(command === 'plan' ? {} : { cacheDir: resolve(root, '.packyard/cache') }),
        log: (line) => log.warn(line),
      })
    : createLocalReleaseStore({ dir: resolve(root, c.string('store-dir') ?? 'dist/releases') });
  const immutable = await store.fetchImmutableReleases();
  const chosen = mode === 'auto' ? (immutable ? 'draft' : 'prerelease') : (mode as 'draft' | 'prerelease');
  if (immutable && chosen === 'prerelease') {
    throw new PackyardError('CONFIG_INVALID', 'prerelease mode cannot work with immutable releases', {
      field: '--mode',
      value: chosen,
      hint: 'a published prerelease takes no more assets once releases are immutable; use --mode draft',
    });
  }
  const packagesDir = resolve(root, c.string('packages-dir') ?? 'packages');
  const manifestDir = resolve(root, c.string('manifest-dir') ?? 'dist/hermit');
  if (command === 'remove') {
    const [name, ...versions] = c.positionals;
    if (name === undefined || versions.length === 0) {
      throw usageError('remove needs a package and at least one version');
    }
    await removeManifestVersions({ packagesDir, manifestDir, store, log }, name, versions);
    return {
      result: { removed: { package: name, versions } },
      summary: `removed ${versions.join(', ')} from ${name}'s manifest in ${manifestDir}`,
    };
  }
  log.info(
    `release store: ${store.kind} ${store.location}; mode ${chosen}; platforms ${platforms.map(formatPlatform).join(', ')}`,
  );
  const reports = await runPipeline(
    {
      root,
      packagesDir,
      distDir: resolve(root, c.string('dist-dir') ?? 'dist/pex'),
      manifestDir,
      store,
      platforms,
      buildPlatforms,
      host,
      immutable,
      mode: chosen,
      replace: c.values['replace'] === true,
      rebuild: c.values['rebuild'] === true,
      log,
      provisionTools: io.provisionTools ?? (() => provisionTools({ log: (line) => log.info(line) })),
      resolveIndexUrl: (configured) => resolveIndexUrl({ configured }),
      createPypiClient: (indexUrl) => createPypiClient({ indexUrl }),
      jobs,
      progress: c.progress,
      onEvent: createStepEventRenderer(c.progress),
    },
    stepsFor(command),
    c.positionals,
    { splitRunners: command === 'plan' || command === 'runners', dryRun: command === 'plan' },
  );
  const code = exitCodeFor(reports);
  const pending = reports.some((r) => r.versions.some((v) => !v.published && !v.error));
  const exitCode = code === EXIT.ok && command === 'finalise' && pending ? EXIT.pending : code;
  if (command === 'runners') {
    const matrix = planRunnerMatrix(reports, host);
    return { exitCode, result: matrix, text: JSON.stringify(matrix) };
  }
  const versions = reports.reduce((n, r) => n + r.plan.length, 0);
  return {
    exitCode,
    result: renderActions(reports, command === 'plan'),
    text: renderSummary(reports, command === 'plan'),
    summary: `${versions} version(s) of ${reports.length} package(s); releases in ${store.location}, manifests in ${manifestDir}`,
  };
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

/** One exit code for a run: config when every failure is a config error, else failed (core's rule). Pure. */
export function exitCodeFor(reports: readonly PackageReport[]): number {
  return exitCodeForAll(
    reports.flatMap((r) => [r.error, ...r.versions.map((v) => v.error)]).filter((e) => e !== undefined),
  );
}
