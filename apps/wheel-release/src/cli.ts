import { join, resolve } from 'node:path';
import {
  PackyardError,
  UsageError,
  chooseProgressFormat,
  createProgressReporter,
  parseCommandLine,
  toPackyardError,
  type CommandOptions,
  type ErrorCode,
  type ParsedCommandLine,
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

export const USAGE = `usage: wheel-release <command> [options]

The release of a Rust binary as platform wheels (maturin, bindings = "bin") plus a pure-Python sdist
that pins them, with one version kept in release.yaml.

Commands:
  plan       show the version, any place that disagrees with it, and how each platform's wheel
             gets built (cross-built here, or on a native runner); changes nothing
  bump --patch|--minor|--major|--pre
             raise the version in release.yaml and write it everywhere (refuses a dirty tree)
  sync       write release.yaml's version into every place it lists
  check      fail, naming file, key and value, when a place (or the tag) disagrees
  build      build the platform wheels (maturin --zig) and the sdist into --out
  verify     check the files in --out as PyPI would and more (names, tags against the binaries,
             the set complete, METADATA, RECORD, twine check, an install test)
  publish    verify the files in --out, then upload those the index does not have yet
  runners    the CI build matrix: one entry for this Linux runner's cross builds, and one
             native runner for each platform that cannot be cross-built

Options:
  --dir DIR              the project: the directory holding release.yaml (default: current directory)
  --json                 print one JSON document instead of text (all but bump and sync also)
  --tag TAG              check: the tag to compare (v0.2.31 or 0.2.31); default: GITHUB_REF_NAME
                         when the workflow runs for a tag
  --platforms LIST       build: comma-separated, from release.yaml's wheels.platforms (default: every
                         one this machine can cross-build; 'plan' shows which need a native runner)
  --no-sdist             build: the wheels only (a native runner's share)
  --out DIR              build, verify, publish: the release's files (default dist/wheel-release)
  --git-sha SHA          build, verify: the commit baked into --version (default: GITHUB_SHA, else
                         git rev-parse HEAD in --dir, refused when --dir has uncommitted changes)
  --allow-dirty          build, verify: take HEAD's sha even though --dir has uncommitted changes
  --no-install-test      verify: skip installing the wheel and the sdist into a fresh venv
  --repository-url URL   publish: the upload endpoint (default PyPI's); credentials from
                         TWINE_USERNAME/TWINE_PASSWORD, PYPI_TOKEN, or GitHub Actions trusted
                         publishing (id-token: write) when there is no token
  --index-url URL        publish: the index read back to skip files it has and to check digests
  --repository-dir DIR   publish: a PEP 503/691 static index in DIR instead of an upload (no account,
                         no token); re-publishing skips identical files, refuses other bytes
  --dry-run              publish: everything except the upload
  -h, --help             show this help

Exit codes:
  0   done (check: every place and the tag agree)
  1   failure not listed below
  2   usage: unknown command or option, an option given twice, a missing or bad value
  3   publish: no credentials, or the index refused them (401/403)
  4   verify (and publish's verify): the release's files fail verification; nothing published
  5   check, build: a place (or, for check, the tag) disagrees with release.yaml; nothing built
  6   release.yaml or a file it names is invalid or missing
  7   conflict: bump on a dirty work tree; the index holds other bytes under a file's name
  8   build: maturin, the sdist build or a tool it needs failed
  9   publish: the index refused an upload or could not be reached
  70  internal error`;

/** The documented exit codes. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 3,
  verify: 4,
  mismatch: 5,
  config: 6,
  conflict: 7,
  build: 8,
  publish: 9,
  internal: 70,
} as const;

const USAGE_EXITS = {
  badValue: EXIT.usage,
  unknownOption: EXIT.usage,
  unexpectedArgument: EXIT.usage,
  missingOption: EXIT.usage,
};

/** The process around `main`: output, environment, and the release steps tests replace. */
export interface CliIo {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: Record<string, string | undefined>;
  steps?: Partial<Steps>;
}

const COMMON: CommandOptions = { dir: { type: 'string' }, json: { type: 'boolean' } };
const COMMANDS: Readonly<Record<string, CommandOptions>> = {
  plan: COMMON,
  bump: {
    ...COMMON,
    patch: { type: 'boolean' },
    minor: { type: 'boolean' },
    major: { type: 'boolean' },
    pre: { type: 'boolean' },
  },
  sync: COMMON,
  check: { ...COMMON, tag: { type: 'string' } },
  build: {
    ...COMMON,
    platforms: { type: 'string' },
    'no-sdist': { type: 'boolean' },
    out: { type: 'string' },
    'git-sha': { type: 'string' },
    'allow-dirty': { type: 'boolean' },
  },
  verify: {
    ...COMMON,
    out: { type: 'string' },
    'git-sha': { type: 'string' },
    'allow-dirty': { type: 'boolean' },
    'no-install-test': { type: 'boolean' },
  },
  publish: {
    ...COMMON,
    out: { type: 'string' },
    'repository-url': { type: 'string' },
    'index-url': { type: 'string' },
    'repository-dir': { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  runners: COMMON,
};

type Values = ParsedCommandLine['values'];

interface Context {
  values: Values;
  io: CliIo;
  env: Record<string, string | undefined>;
  steps: Steps;
  json: boolean;
  /** Progress and tool output: always stderr, so stdout stays the result. */
  log: (line: string) => void;
  print: (value: unknown, text: string) => void;
}

/** The whole command line: parse, wire, run, report; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout)(`${USAGE}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    io.stderr(`wheel-release: unknown command ${JSON.stringify(command)}\n  try 'wheel-release --help'\n`);
    return EXIT.usage;
  }
  const json = rest.includes('--json');
  try {
    const { values } = parseCommandLine(command, { options: COMMANDS[command]! }, rest, USAGE_EXITS);
    if (values['help'] === true) {
      io.stdout(`${USAGE}\n`);
      return EXIT.ok;
    }
    const context: Context = {
      values,
      io,
      env: io.env ?? process.env,
      steps: { ...defaultSteps, ...io.steps },
      json,
      log: (line) => io.stderr(`${line}\n`),
      print: (value, text) => io.stdout(`${json ? JSON.stringify(value) : text}\n`),
    };
    return await COMMAND_RUNNERS[command]!(context);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`wheel-release ${command}: ${error.message}\n  try 'wheel-release --help'\n`);
      return error.exitCode;
    }
    const failure = toPackyardError(error);
    return reportFailure(io, json, failure, exitCodeForError(failure.code));
  }
}

/** Reports a failure once: the error line on stderr, and with --json the one JSON document on stdout. */
function reportFailure(io: CliIo, json: boolean, failure: PackyardError, exit: number): number {
  if (json) {
    io.stdout(
      `${JSON.stringify({ error: { code: failure.code, message: failure.message, file: failure.file, field: failure.field, value: failure.value } })}\n`,
    );
  }
  io.stderr(`error: ${formatError(failure)}\n`);
  return exit;
}

/**
 * The error as one line plus its hint, saying each thing once: the file and the field lead the line
 * unless the message already names them. Pure.
 */
export function formatError(error: PackyardError): string {
  const where = [error.file, error.field].filter(
    (part): part is string => part !== undefined && part !== '' && !error.message.includes(part),
  );
  const text = [...where, error.message].join(': ');
  return error.hint ? `${text}\n  hint: ${error.hint}` : text;
}

/** The one place an error code becomes an exit code. */
export function exitCodeForError(code: ErrorCode): number {
  switch (code) {
    case 'AUTH_MISSING':
    case 'AUTH_FAILED':
      return EXIT.auth;
    case 'VERIFY_FAILED':
    case 'ARCHIVE_INVALID':
      return EXIT.verify;
    case 'CONFIG_INVALID':
    case 'CONFIG_MISSING':
      return EXIT.config;
    case 'CONFLICT':
    case 'STORE_CONFLICT':
      return EXIT.conflict;
    case 'BUILD_FAILED':
    case 'TOOL_FAILED':
    case 'TOOL_PROVISION_FAILED':
      return EXIT.build;
    case 'INDEX_UNREACHABLE':
    case 'INDEX_BAD_RESPONSE':
    case 'INDEX_NOT_FOUND':
    case 'STORE_FAILED':
      return EXIT.publish;
    case 'INTERNAL':
      return EXIT.internal;
    default:
      return EXIT.failure;
  }
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
  if (value === '') throw new UsageError(EXIT.usage, `--${name} is empty`);
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
      throw new UsageError(
        EXIT.usage,
        `--git-sha must be 8 to 40 lowercase hex digits, not ${JSON.stringify(given)}`,
      );
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
    throw new UsageError(
      EXIT.usage,
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
  return ok ? EXIT.ok : EXIT.mismatch;
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
      throw new UsageError(
        EXIT.usage,
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
    const failure = new PackyardError(
      'VERIFY_FAILED',
      `the version disagrees with release.yaml; nothing was built:\n  ${disagreements.map(describeDisagreement).join('\n  ')}`,
      {
        file: disagreements[0]!.file,
        field: disagreements[0]!.key,
        value: disagreements[0]!.found,
        hint: 'run `wheel-release sync` to write the version everywhere',
      },
    );
    return reportFailure(context.io, context.json, failure, EXIT.mismatch);
  }
  const sha = await gitSha(context, root);
  // [n/N] per platform (and the sdist) on stderr: a live line on a terminal, JSON lines with --json.
  const reporter = createProgressReporter({
    format: chooseProgressFormat({ json: context.json, isTTY: process.stderr.isTTY, env: context.env }),
    write: (text) => context.io.stderr(text),
    columns: () => process.stderr.columns,
  });
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
    throw new UsageError(
      EXIT.usage,
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
