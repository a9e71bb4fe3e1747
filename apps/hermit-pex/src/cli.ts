import { resolve } from 'node:path';
import {
  COMMON_OPTIONS,
  EXIT,
  createStepEventRenderer,
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
  COMMAND_GROUPS,
  chooseJobs,
  chooseReleaseMode,
  defaultServices,
  exitCodeForReports,
  formatPlatform,
  hostPlatform,
  openReleaseStore,
  parseBuildPlatforms,
  parsePlatformList,
  parseReleaseMode,
  planRunnerMatrix,
  removeManifestVersions,
  renderActions,
  renderSummary,
  runPipeline,
  stepsForCommand,
  STEPS,
  type Logger,
  type Tools,
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

export interface CliIo extends CoreCliIo {
  provisionTools?: () => Promise<Tools>;
}

/** The hermit-pex command line. */
export function hermitPexApp(io: CliIo): CliApp {
  const commands: Record<string, CommandDef> = {};
  for (const name of [...COMMAND_GROUPS, ...STEPS, 'remove']) {
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
  const mode = parseReleaseMode(c.string('mode'));
  const log: Logger = { info: c.log.info, warn: c.log.warn, error: c.log.error };
  const jobs = chooseJobs(c.string('jobs'), c.env);
  const root = resolve(c.cwd, c.string('dir') ?? '.');
  const host = hostPlatform();
  const platforms = parsePlatformList(c.string('platforms'));
  const buildPlatforms = parseBuildPlatforms(c.string('build-platforms'));
  // The token check comes before any other work: a GitHub run without one is a hard failure.
  const store = await openReleaseStore({
    root,
    repo: c.string('repo'),
    apiUrl: c.string('api-url'),
    storeDir: c.string('store-dir'),
    env: c.env,
    writeCache: command !== 'plan',
    log,
  });
  const immutable = await store.fetchImmutableReleases();
  const chosen = chooseReleaseMode(mode, immutable);
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
  const services = defaultServices(log);
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
      ...services,
      provisionTools: io.provisionTools ?? services.provisionTools,
      jobs,
      progress: c.progress,
      onEvent: createStepEventRenderer(c.progress),
    },
    stepsForCommand(command),
    c.positionals,
    { splitRunners: command === 'plan' || command === 'runners', dryRun: command === 'plan' },
  );
  const exitCode = exitCodeForReports(reports, command);
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
