import { join, resolve } from 'node:path';
import {
  COMMON_OPTIONS,
  EXIT,
  PackyardError,
  runCli,
  usageError,
  type CliApp,
  type CliIo as CoreCliIo,
  type CommandDef,
  type CommandOutcome,
  type OptionDefs,
  type ProgressReporter,
} from '@packyard/core';
import {
  buildSdist,
  buildWheels,
  bumpRelease,
  findDisagreements,
  planWheelRunnerMatrix,
  resolveGitSha,
  readProjectName,
  readReleaseConfig,
  syncRelease,
  type BumpKind,
  type ReleaseConfig,
  type SdistConfig,
  type WheelsConfig,
} from '@packyard/wheel-release';
import { defaultSteps, type Steps, type VerifyInput, type VerifyResult } from './steps.js';

/** The process around `main`: output, environment, and the release steps tests replace. */
export interface CliIo extends CoreCliIo {
  steps?: Partial<Steps>;
}

const DIR: OptionDefs = {
  dir: { ...COMMON_OPTIONS.dir, description: 'the project: the directory holding release.yaml (default: .)' },
};
const OUT: OptionDefs = {
  out: { type: 'string', value: 'DIR', description: "the release's files (default dist/wheel-release)" },
};
const GIT_SHA: OptionDefs = {
  'git-sha': {
    type: 'string',
    value: 'SHA',
    description: 'the commit baked into --version (default: GITHUB_SHA, else git rev-parse HEAD in --dir)',
  },
  'allow-dirty': {
    type: 'boolean',
    description: "take HEAD's sha even though --dir has uncommitted changes",
  },
};

const COMMANDS: Readonly<Record<string, Omit<CommandDef, 'run'>>> = {
  plan: {
    summary: "show the version, any place that disagrees with it, and how each platform's wheel gets built",
    options: DIR,
  },
  bump: {
    summary: 'raise the version in release.yaml and write it everywhere (refuses a dirty tree)',
    args: '--patch|--minor|--major|--pre',
    options: {
      ...DIR,
      patch: { type: 'boolean', description: '0.2.30 → 0.2.31' },
      minor: { type: 'boolean', description: '0.2.30 → 0.3.0' },
      major: { type: 'boolean', description: '0.2.30 → 1.0.0' },
      pre: { type: 'boolean', description: 'the next pre-release' },
    },
  },
  sync: { summary: "write release.yaml's version into every place it lists", options: DIR },
  check: {
    summary: 'fail, naming file, key and value, when a place (or the tag) disagrees',
    options: {
      ...DIR,
      tag: {
        type: 'string',
        value: 'TAG',
        description: 'the tag to compare (v0.2.31 or 0.2.31); default: GITHUB_REF_NAME for a tag run',
      },
    },
  },
  build: {
    summary: 'build the platform wheels (maturin --zig) and the sdist into --out',
    options: {
      ...DIR,
      platforms: {
        type: 'string',
        value: 'LIST',
        description:
          'comma-separated, from wheels.platforms (default: every one this machine can cross-build)',
      },
      'no-sdist': { type: 'boolean', description: "the wheels only (a native runner's share)" },
      ...OUT,
      ...GIT_SHA,
    },
  },
  verify: {
    summary:
      'check the files in --out as PyPI would and more (names, tags, METADATA, RECORD, twine, install)',
    options: {
      ...DIR,
      ...OUT,
      ...GIT_SHA,
      'no-install-test': {
        type: 'boolean',
        description: 'skip installing the wheel and the sdist into a fresh venv',
      },
    },
  },
  publish: {
    summary: 'verify the files in --out, then upload those the index does not have yet',
    options: {
      ...DIR,
      ...OUT,
      'repository-url': {
        type: 'string',
        value: 'URL',
        description:
          "the upload endpoint (default PyPI's); credentials from TWINE_USERNAME/TWINE_PASSWORD, PYPI_TOKEN, or trusted publishing",
      },
      'index-url': {
        type: 'string',
        value: 'URL',
        description: 'the index read back to skip files it has and check digests',
      },
      'repository-dir': {
        type: 'string',
        value: 'DIR',
        description: 'a PEP 503/691 static index in DIR instead of an upload (no account, no token)',
      },
      'dry-run': { ...COMMON_OPTIONS.dryRun, description: 'everything except the upload' },
    },
  },
  runners: {
    summary:
      "the CI build matrix: this Linux runner's cross builds, and a native runner per platform that needs one",
    options: DIR,
  },
};

type Values = Record<string, string | boolean | undefined>;

interface Context {
  values: Values;
  io: CliIo;
  env: Record<string, string | undefined>;
  steps: Steps;
  json: boolean;
  /** Progress and tool output: always stderr, so stdout stays the result. */
  log: (line: string) => void;
  progress: ProgressReporter;
  print: (value: unknown, text: string) => void;
}

/** The wheel-release command line. */
export function wheelReleaseApp(io: CliIo): CliApp {
  const commands: Record<string, CommandDef> = {};
  for (const [name, def] of Object.entries(COMMANDS)) {
    commands[name] = {
      ...def,
      run: async (c): Promise<CommandOutcome> => {
        let printed: CommandOutcome = {};
        const context: Context = {
          values: c.values,
          io,
          env: c.env,
          steps: { ...defaultSteps, ...io.steps },
          json: c.json,
          log: c.log.info,
          progress: c.progress,
          print: (result, text) => {
            printed = { result, text };
          },
        };
        const exitCode = await COMMAND_RUNNERS[name]!(context);
        return { ...printed, exitCode };
      },
    };
  }
  return {
    name: 'wheel-release',
    packageJson: new URL('../package.json', import.meta.url),
    description:
      'The release of a Rust binary as platform wheels (maturin, bindings = "bin") plus a pure-Python sdist\nthat pins them, with one version kept in release.yaml.',
    commands,
    exitCodes: [
      [EXIT.failed, 'failure not listed below'],
      [EXIT.auth, 'publish: no credentials, or the index refused them (401/403)'],
      [
        EXIT.verify,
        "verify: the release's files fail verification; check, build: a place or the tag disagrees",
      ],
      [EXIT.config, 'release.yaml or a file it names is invalid or missing'],
      [EXIT.conflict, "bump on a dirty work tree; the index holds other bytes under a file's name"],
      [EXIT.tool, 'build: maturin, the sdist build or a tool it needs failed'],
      [EXIT.store, 'publish: the index refused an upload or could not be reached'],
      [EXIT.invalidFile, 'a file in --out is not a valid wheel or sdist'],
    ],
  };
}

/** The whole command line: parse, wire, run, report; returns the exit code. */
export function main(argv: readonly string[], io: CliIo): Promise<number> {
  return runCli(wheelReleaseApp(io), argv, io);
}

const COMMAND_RUNNERS: Readonly<Record<string, (context: Context) => Promise<number>>> = {
  plan: runPlan,
  bump: runBump,
  sync: runSync,
  check: runCheck,
  build: runBuild,
  verify: runVerify,
  publish: runPublish,
  runners: runRunners,
};

function optionalString(values: Values, name: string): string | undefined {
  const value = values[name];
  if (value === '') throw usageError(`--${name} is empty`);
  return typeof value === 'string' ? value : undefined;
}

function projectDir(context: Context): string {
  return resolve(context.io.cwd, optionalString(context.values, 'dir') ?? '.');
}

function outDir(context: Context): string {
  return resolve(context.io.cwd, optionalString(context.values, 'out') ?? 'dist/wheel-release');
}

function requireSection<K extends 'wheels' | 'sdist'>(
  config: ReleaseConfig,
  section: K,
): K extends 'wheels' ? WheelsConfig : SdistConfig {
  const value = config[section];
  if (value === undefined) {
    throw new PackyardError('CONFIG_INVALID', `release.yaml has no ${section}: section`, {
      file: join(config.root, 'release.yaml'),
      field: section,
      hint:
        section === 'wheels'
          ? 'add wheels: { project, platforms, binaries }'
          : 'add sdist: { project, build-info, command }',
    });
  }
  return value as K extends 'wheels' ? WheelsConfig : SdistConfig;
}

/** The tag a GitHub Actions run is for (GITHUB_REF_TYPE/GITHUB_REF_NAME, else GITHUB_REF), if any. */
export function tagFromEnvironment(env: Record<string, string | undefined>): string | undefined {
  if (env['GITHUB_REF_TYPE'] === 'tag' && env['GITHUB_REF_NAME']) return env['GITHUB_REF_NAME'];
  const ref = env['GITHUB_REF'];
  return ref?.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined;
}

async function gitSha(context: Context, root: string): Promise<string> {
  const given = optionalString(context.values, 'git-sha') ?? context.env['GITHUB_SHA'];
  if (given !== undefined) {
    if (!/^[0-9a-f]{8,40}$/.test(given)) {
      throw usageError(`--git-sha must be 8 to 40 lowercase hex digits, not ${JSON.stringify(given)}`);
    }
    return given;
  }
  return resolveGitSha({ dir: root, allowDirty: context.values['allow-dirty'] === true });
}

function describeVersion(config: ReleaseConfig): string {
  const { pep440, cargo } = config.version;
  return pep440 === cargo ? pep440 : `${pep440} (Cargo ${cargo})`;
}

async function runPlan(context: Context): Promise<number> {
  const config = await readReleaseConfig(projectDir(context));
  const disagreements = await findDisagreements(config);
  const wheels = config.wheels;
  const builds = wheels === undefined ? [] : (await context.steps.planWheelBuilds(wheels.platforms)).builds;
  const lines = [
    `version ${describeVersion(config)}: ${config.places.length} places, ${
      disagreements.length === 0 ? 'all agree' : `${disagreements.length} disagree`
    }`,
    ...disagreements.map(
      (d) => `  ${d.file}: ${d.key} is ${JSON.stringify(d.found)}, expected ${JSON.stringify(d.expected)}`,
    ),
    ...(wheels === undefined
      ? ['no wheels: section']
      : [
          `wheels of ${wheels.project} (binaries ${wheels.binaries.join(', ')}):`,
          ...builds.map(
            (b) =>
              `  ${b.platform.padEnd(13)} ${b.how.padEnd(6)} on ${b.runner} (${b.target})${b.how === 'native' ? `: ${b.reason}` : ''}`,
          ),
        ]),
    config.sdist === undefined
      ? 'no sdist: section'
      : `sdist of ${config.sdist.project} (install test: ${config.sdist.command} --version)`,
  ];
  context.print(
    {
      version: config.version,
      places: config.places.length,
      disagreements,
      wheels: wheels === undefined ? null : { ...wheels, builds },
      sdist: config.sdist ?? null,
    },
    lines.join('\n'),
  );
  return EXIT.ok;
}

const BUMP_KINDS: readonly BumpKind[] = ['patch', 'minor', 'major', 'pre'];

async function runBump(context: Context): Promise<number> {
  const kinds = BUMP_KINDS.filter((kind) => context.values[kind] === true);
  if (kinds.length !== 1) {
    throw usageError(
      kinds.length === 0
        ? 'bump needs one of --patch, --minor, --major, --pre'
        : `bump takes one of --patch, --minor, --major, --pre, not ${kinds.map((k) => `--${k}`).join(' and ')}`,
    );
  }
  const { from, to, changed } = await bumpRelease(projectDir(context), kinds[0]!);
  context.print(
    { from: from.pep440, to: to.pep440, cargo: to.cargo, changed },
    [
      `bumped ${from.pep440} -> ${to.pep440}${to.cargo === to.pep440 ? '' : ` (Cargo ${to.cargo})`}`,
      ...changed.map((f) => `  wrote ${f}`),
    ].join('\n'),
  );
  return EXIT.ok;
}

async function runSync(context: Context): Promise<number> {
  const config = await readReleaseConfig(projectDir(context));
  const changed = await syncRelease(config);
  context.print(
    { version: config.version.pep440, changed },
    changed.length === 0
      ? `every place already has ${describeVersion(config)}`
      : [`wrote ${describeVersion(config)} into:`, ...changed.map((f) => `  ${f}`)].join('\n'),
  );
  return EXIT.ok;
}

async function runCheck(context: Context): Promise<number> {
  const config = await readReleaseConfig(projectDir(context));
  const tag = optionalString(context.values, 'tag') ?? tagFromEnvironment(context.env);
  const disagreements = await findDisagreements(config, tag);
  const ok = disagreements.length === 0;
  context.print(
    { ok, version: config.version.pep440, tag: tag ?? null, places: config.places.length, disagreements },
    ok
      ? `${describeVersion(config)}: ${config.places.length} places agree${tag === undefined ? '' : `, and the tag ${tag}`}`
      : [
          `version disagrees with release.yaml (${describeVersion(config)}):`,
          ...disagreements.map((d) => `  ${describeDisagreement(d)}`),
          d0Hint(disagreements),
        ].join('\n'),
  );
  return ok ? EXIT.ok : EXIT.verify;
}

function describeDisagreement(d: { file: string; key: string; found: string; expected: string }): string {
  return `${d.file}: ${d.key} is ${JSON.stringify(d.found)}, release.yaml says ${JSON.stringify(d.expected)}`;
}

function d0Hint(disagreements: readonly { file: string }[]): string {
  return disagreements.every((d) => d.file === 'tag')
    ? '  hint: tag the commit whose release.yaml has this version, or bump to the tag'
    : '  hint: run `wheel-release sync` to write the version everywhere';
}

async function selectPlatforms(context: Context, wheels: WheelsConfig): Promise<string[]> {
  const text = optionalString(context.values, 'platforms');
  if (text === undefined) {
    const { builds } = await context.steps.planWheelBuilds(wheels.platforms);
    for (const b of builds)
      if (b.how === 'native')
        context.log(`not built here: ${b.platform} (${b.reason}); its runner: ${b.runner}`);
    return builds.filter((b) => b.how === 'cross').map((b) => b.platform);
  }
  const chosen = text.split(',').map((p) => p.trim());
  for (const platform of chosen) {
    if (!wheels.platforms.includes(platform)) {
      throw usageError(
        `--platforms: ${JSON.stringify(platform)} is not in release.yaml's wheels.platforms (${wheels.platforms.join(', ')})`,
      );
    }
  }
  return [...new Set(chosen)];
}

async function runBuild(context: Context): Promise<number> {
  const root = projectDir(context);
  const config = await readReleaseConfig(root);
  const wheels = requireSection(config, 'wheels');
  const withSdist = context.values['no-sdist'] !== true;
  const sdist = withSdist ? requireSection(config, 'sdist') : undefined;
  const platforms = await selectPlatforms(context, wheels);
  const out = outDir(context);
  // Everything the build reads is checked before the first file is written: the version, then git.
  const disagreements = await findDisagreements(config);
  if (disagreements.length > 0) {
    throw new PackyardError(
      'VERIFY_FAILED',
      `the version disagrees with release.yaml; nothing was built:\n  ${disagreements.map(describeDisagreement).join('\n  ')}`,
      {
        file: disagreements[0]!.file,
        field: disagreements[0]!.key,
        value: disagreements[0]!.found,
        hint: 'run `wheel-release sync` to write the version everywhere',
      },
    );
  }
  const sha = await gitSha(context, root);
  // [n/N] per platform (and the sdist) on stderr: a live line on a terminal, JSON lines with --json.
  const reporter = context.progress;
  const progress = reporter.start('wheel-release build', platforms.length + (sdist === undefined ? 0 : 1));
  const log = (line: string): void => reporter.log('info', line);
  const built = await buildWheels({
    crateDir: join(root, wheels.project),
    platforms,
    outDir: out,
    gitSha: sha,
    log,
    progress,
  });
  let sdistFile: string | undefined;
  if (sdist !== undefined) {
    progress.begin('sdist');
    try {
      sdistFile = await buildSdist({
        projectDir: join(root, sdist.project),
        outDir: out,
        gitSha: sha,
        buildInfoFile: sdist.buildInfo,
        log,
      });
      progress.done('sdist', sdistFile);
    } catch (error) {
      progress.fail('sdist');
      throw error;
    } finally {
      progress.finish();
    }
  } else progress.finish();
  context.print(
    { version: config.version.pep440, gitSha: sha, out, wheels: built, sdist: sdistFile ?? null },
    [
      `built ${describeVersion(config)} at ${sha.slice(0, 8)} into ${out}:`,
      ...[...built, ...(sdistFile ? [sdistFile] : [])].map((f) => `  ${f}`),
    ].join('\n'),
  );
  return EXIT.ok;
}

async function verifyInput(context: Context, installTest: boolean): Promise<VerifyInput> {
  const root = projectDir(context);
  const config = await readReleaseConfig(root);
  const wheels = requireSection(config, 'wheels');
  const sdist = requireSection(config, 'sdist');
  const [wheelsName, sdistName] = await Promise.all([
    readProjectName(config, 'wheels'),
    readProjectName(config, 'sdist'),
  ]);
  const sha = installTest ? await gitSha(context, root) : undefined;
  return {
    dir: outDir(context),
    version: config.version.pep440,
    wheels: {
      project: wheelsName,
      platforms: [...wheels.platforms],
      binaries: [...wheels.binaries],
      ...(wheels.versionCheck === undefined ? {} : { versionCheck: wheels.versionCheck }),
    },
    sdist: {
      project: sdistName,
      command: sdist.command,
      ...(sdist.versionCheck === undefined ? {} : { versionCheck: sdist.versionCheck }),
    },
    ...(sha === undefined ? {} : { gitSha: sha }),
    installTest,
    log: context.log,
  };
}

function renderProblems(result: VerifyResult): string {
  return result.problems.length === 0
    ? [`verified ${result.files.length} files:`, ...result.files.map((f) => `  ${f}`)].join('\n')
    : [
        `${result.problems.length} problem(s) in ${result.files.length} files; nothing may be published:`,
        ...result.problems.map((p) => `  ${p.file}: ${p.check}: ${p.message}`),
      ].join('\n');
}

async function runVerify(context: Context): Promise<number> {
  const input = await verifyInput(context, context.values['no-install-test'] !== true);
  const result = await context.steps.verifyRelease(input);
  // The result is the one document (with --json); its problems are the failure, not a second report.
  context.print(result, renderProblems(result));
  return result.problems.length === 0 ? EXIT.ok : EXIT.verify;
}

async function runPublish(context: Context): Promise<number> {
  const input = await verifyInput(context, false);
  // Nothing is uploaded unless the whole set verifies; publishing takes exactly the verified files.
  const verified = await context.steps.verifyRelease(input);
  if (verified.problems.length > 0) context.io.stderr(`${renderProblems(verified)}\n`);
  context.steps.assertVerified(verified);
  if (verified.problems.length > 0) return EXIT.verify;
  const dryRun = context.values['dry-run'] === true;
  const repositoryUrl = optionalString(context.values, 'repository-url');
  const indexUrl = optionalString(context.values, 'index-url');
  const repositoryDir = optionalString(context.values, 'repository-dir');
  if (repositoryDir !== undefined && (repositoryUrl !== undefined || indexUrl !== undefined)) {
    throw usageError(
      '--repository-dir publishes to a directory: give it without --repository-url and --index-url',
    );
  }
  const result = await context.steps.publishRelease({
    dir: input.dir,
    files: verified.files,
    ...(repositoryUrl === undefined ? {} : { repositoryUrl }),
    ...(indexUrl === undefined ? {} : { indexUrl }),
    ...(repositoryDir === undefined ? {} : { repositoryDir: resolve(context.io.cwd, repositoryDir) }),
    dryRun,
    log: context.log,
    env: context.env,
  });
  context.print(
    { dryRun, ...result },
    [
      `${dryRun ? 'dry run: would upload' : 'uploaded'} ${result.uploaded.length}, already there ${result.skipped.length}, digests checked ${result.checked.length}`,
      ...result.uploaded.map((f) => `  ${dryRun ? 'would upload' : 'uploaded'} ${f}`),
      ...result.skipped.map((f) => `  already there ${f}`),
    ].join('\n'),
  );
  return EXIT.ok;
}

async function runRunners(context: Context): Promise<number> {
  const config = await readReleaseConfig(projectDir(context));
  const wheels = requireSection(config, 'wheels');
  const { host, builds } = await context.steps.planWheelBuilds(wheels.platforms);
  const matrix = planWheelRunnerMatrix(builds, { platform: host });
  context.print(
    matrix,
    matrix.include
      .map((e) => `${e.runner.padEnd(18)} ${e.how.padEnd(6)} ${e.platforms}${e.sdist ? ' + sdist' : ''}`)
      .join('\n'),
  );
  return EXIT.ok;
}
