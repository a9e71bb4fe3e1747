import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PackyardError, toPackyardError } from '@packyard/core';
import { planWheelBuilds, planWheelRunnerMatrix, refuseNativeBuilds } from './build.js';
import type { BuildHost, WheelBuildStep, WheelRunnerEntry } from './build.js';
import { resolveGitSha } from './git.js';
import { PYPI_UPLOAD_URL, type PublishDestination } from './publish.js';
import {
  RELEASE_FILE,
  describeDisagreement,
  planDisagreements,
  readPlaceValues,
  readProjectName,
  readReleaseConfig,
  requireCleanTree,
  type Disagreement,
  type PlaceValue,
  type ReleaseConfig,
  type SdistConfig,
  type WheelsConfig,
} from './release.js';
import type { ReleaseServices } from './services.js';
import { bumpVersion, type BumpKind, type ReleaseVersion } from './version.js';
import { expectedAt } from './places.js';
import type { VerifyInput } from './verify.js';

// Reading what release.yaml, its places, git and the toolchain hold (`readReleaseState`), then the
// pure planner (`planRelease`): everything a command decides is decided here, and the steps (steps/)
// only carry the actions out.

/** The commands a plan is made for. */
export type ReleaseCommand = 'plan' | 'check' | 'bump' | 'sync' | 'build' | 'verify' | 'publish' | 'runners';

/** What a run is asked to do: the command and its inputs, paths absolute. */
export interface PlanRequest {
  command: ReleaseCommand;
  /** The project root: the directory holding release.yaml. */
  dir: string;
  /** The release's files: build writes them, verify and publish read them. */
  out: string;
  /** check: the tag to compare with release.yaml. */
  tag?: string;
  /** bump: which part of the version to raise. */
  bump?: BumpKind;
  /** bump: the clock of a `pre` bump's stamp; default now. */
  now?: Date;
  /** build: the platforms to build (each from wheels.platforms); default every one this host builds. */
  platforms?: readonly string[];
  /** build: also build the sdist (default true). */
  sdist?: boolean;
  /** build, verify: the commit baked in; default `git rev-parse HEAD` of `dir`. */
  gitSha?: string;
  /** build, verify: take HEAD's sha though `dir` has uncommitted changes. */
  allowDirty?: boolean;
  /** verify: install the host's wheel and the sdist into a fresh venv (default true). */
  installTest?: boolean;
  /** publish: where the verified files go. */
  destination?: PublishDestination;
  /** publish: everything except the upload. */
  dryRun?: boolean;
}

/** What `readReleaseState` read for a request: the planner's only input besides the request. */
export interface ReleaseState {
  config: ReleaseConfig;
  /** Each place's value as its file holds it now. */
  places: PlaceValue[];
  /** plan, build, runners: what this machine's toolchain can build. */
  host?: BuildHost;
  /** build, verify with the install test: the commit, or why it could not be taken. */
  gitSha?: { sha: string } | { error: PackyardError };
  /** verify, publish: the distribution names of the wheels' and the sdist's projects. */
  names?: { wheels: string; sdist: string };
  /** publish: the release files in `out` (*.whl and *.tar.gz), sorted. */
  files?: string[];
}

/** One thing a run does, in order: the steps carry out exactly these. */
export type ReleaseAction =
  | { kind: 'write-version'; file: string; from: string; to: string }
  | { kind: 'write-place'; file: string; key: string; from: string; to: string }
  | { kind: 'build-wheel'; platform: string; target: string; zig: boolean }
  | { kind: 'build-sdist'; project: string; buildInfo: string }
  | { kind: 'verify'; dir: string; installTest: boolean; files: string[] | undefined }
  | { kind: 'publish'; dir: string; files: string[]; destination: string; dryRun: boolean };

/** A command's plan: what holds now, what will be done, and the inputs the steps pass on. */
export interface ReleasePlan {
  request: PlanRequest;
  config: ReleaseConfig;
  /** The version the run leaves (a bump's new one; otherwise release.yaml's). */
  version: ReleaseVersion;
  /** bump: the version before. */
  from?: ReleaseVersion;
  /** Places (and the tag) that disagree with release.yaml's version now. */
  disagreements: Disagreement[];
  /** plan, build, runners: what this machine's toolchain can build. */
  host?: BuildHost;
  /** plan, build, runners: how each of wheels.platforms gets built (here, or on its own runner). */
  builds: WheelBuildStep[];
  /** runners: the CI build matrix. */
  matrix?: { include: WheelRunnerEntry[] };
  /** build, verify with the install test: the commit baked in and checked. */
  gitSha?: string;
  /** verify, publish: what verifyRelease is given (without `log` and `home`). */
  verify?: VerifyInput;
  /** Lines worth telling the user before the run (a platform built elsewhere). */
  notes: string[];
  actions: ReleaseAction[];
}

/** Commands that read the toolchain, the commit, the project names and the release files. */
const NEEDS_HOST: readonly ReleaseCommand[] = ['plan', 'build', 'runners'];
const NEEDS_NAMES: readonly ReleaseCommand[] = ['verify', 'publish'];

/**
 * Reads everything a request's plan depends on, writing nothing: release.yaml (CONFIG_MISSING /
 * CONFIG_INVALID), every place's value, and as the command needs them the toolchain, the commit, the
 * projects' names, the release files, and (bump) that the tree is clean.
 */
export async function readReleaseState(
  request: PlanRequest,
  services: Pick<ReleaseServices, 'probeBuildHost'>,
): Promise<ReleaseState> {
  const config = await readReleaseConfig(request.dir);
  const places = await readPlaceValues(config);
  const state: ReleaseState = { config, places };
  const { command } = request;
  if (command === 'bump') await requireCleanTree(config.root);
  if (NEEDS_HOST.includes(command) && config.wheels !== undefined)
    state.host = await services.probeBuildHost();
  if (command === 'build' || (command === 'verify' && request.installTest !== false)) {
    // Kept as an error: a disagreeing place (which also dirties the tree) is the better message.
    state.gitSha = await resolveGitSha({
      dir: config.root,
      gitSha: request.gitSha,
      allowDirty: request.allowDirty,
    }).then(
      (sha) => ({ sha }),
      (error: unknown) => ({ error: toPackyardError(error) }),
    );
  }
  if (NEEDS_NAMES.includes(command) && config.wheels !== undefined && config.sdist !== undefined) {
    const [wheels, sdist] = await Promise.all([
      readProjectName(config, 'wheels'),
      readProjectName(config, 'sdist'),
    ]);
    state.names = { wheels, sdist };
  }
  if (command === 'publish') state.files = await listReleaseFiles(request.out);
  return state;
}

async function listReleaseFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((name) => name.endsWith('.whl') || name.endsWith('.tar.gz')).sort();
}

/** `readReleaseState`, then `planRelease`. */
export async function plan(
  request: PlanRequest,
  services: Pick<ReleaseServices, 'probeBuildHost'>,
): Promise<ReleasePlan> {
  return planRelease(request, await readReleaseState(request, services));
}

/**
 * Plans a command from what was read: the disagreements, the bump, the builds and their platforms,
 * the files to verify and publish. Throws before anything is written: VERIFY_FAILED for a build whose
 * places disagree, USAGE for a platform not in wheels.platforms, CONFIG_INVALID for a missing section,
 * a platform this machine cannot build, or a commit that cannot be taken. Pure.
 */
export function planRelease(request: PlanRequest, state: ReleaseState): ReleasePlan {
  const { config } = state;
  const disagreements = planDisagreements(state.places, config.version, request.tag);
  const base: ReleasePlan = {
    request,
    config,
    version: config.version,
    ...(state.host === undefined ? {} : { host: state.host }),
    disagreements,
    builds: [],
    notes: [],
    actions: [],
  };
  switch (request.command) {
    case 'check':
      return base;
    case 'plan':
      return { ...base, builds: planBuilds(config, state) };
    case 'runners': {
      requireSection(config, 'wheels');
      const builds = planBuilds(config, state);
      return { ...base, builds, matrix: planWheelRunnerMatrix(builds, { platform: state.host!.platform }) };
    }
    case 'sync':
      return { ...base, actions: placeWrites(state.places, config.version) };
    case 'bump':
      return planBump(request, state, base);
    case 'build':
      return planBuild(request, state, base);
    case 'verify':
    case 'publish':
      return planVerifyAndPublish(request, state, base);
  }
}

function planBump(request: PlanRequest, state: ReleaseState, base: ReleasePlan): ReleasePlan {
  if (request.bump === undefined) {
    throw new PackyardError('USAGE', 'bump needs one of --patch, --minor, --major, --pre');
  }
  const from = state.config.version;
  const to = bumpVersion(from, request.bump, request.now ?? new Date());
  return {
    ...base,
    version: to,
    from,
    actions: [
      { kind: 'write-version', file: RELEASE_FILE, from: from.pep440, to: to.pep440 },
      ...placeWrites(state.places, to),
    ],
  };
}

function placeWrites(places: readonly PlaceValue[], version: ReleaseVersion): ReleaseAction[] {
  return places
    .filter(({ place, found }) => found !== expectedAt(place, version))
    .map(({ place, file, key, found }) => ({
      kind: 'write-place',
      file,
      key,
      from: found,
      to: expectedAt(place, version),
    }));
}

function planBuilds(config: ReleaseConfig, state: ReleaseState): WheelBuildStep[] {
  return config.wheels === undefined || state.host === undefined
    ? []
    : planWheelBuilds(config.wheels.platforms, state.host);
}

function planBuild(request: PlanRequest, state: ReleaseState, base: ReleasePlan): ReleasePlan {
  const { config } = state;
  const wheels = requireSection(config, 'wheels');
  const sdist = request.sdist === false ? undefined : requireSection(config, 'sdist');
  const builds = planBuilds(config, state);
  const notes: string[] = [];
  let chosen: WheelBuildStep[];
  if (request.platforms === undefined) {
    for (const b of builds)
      if (b.how === 'native')
        notes.push(`not built here: ${b.platform} (${b.reason}); its runner: ${b.runner}`);
    chosen = builds.filter((b) => b.how === 'cross');
  } else {
    for (const platform of request.platforms) {
      if (!wheels.platforms.includes(platform)) {
        throw new PackyardError(
          'USAGE',
          `--platforms: ${JSON.stringify(platform)} is not in release.yaml's wheels.platforms (${wheels.platforms.join(', ')})`,
        );
      }
    }
    const wanted = new Set(request.platforms);
    chosen = builds.filter((b) => wanted.has(b.platform));
  }
  // Everything the build reads is checked before the first file is written: the version, then git.
  if (base.disagreements.length > 0) {
    const first = base.disagreements[0]!;
    throw new PackyardError(
      'VERIFY_FAILED',
      `the version disagrees with release.yaml; nothing was built:\n  ${base.disagreements.map(describeDisagreement).join('\n  ')}`,
      {
        file: first.file,
        field: first.key,
        value: first.found,
        hint: 'run `wheel-release sync` to write the version everywhere',
      },
    );
  }
  const gitSha = takeGitSha(state);
  refuseNativeBuilds(chosen);
  const actions: ReleaseAction[] = chosen.map((b) => ({
    kind: 'build-wheel',
    platform: b.platform,
    target: b.target,
    zig: b.how === 'cross' && b.zig,
  }));
  if (sdist !== undefined)
    actions.push({ kind: 'build-sdist', project: sdist.project, buildInfo: sdist.buildInfo });
  return { ...base, builds, gitSha, notes, actions };
}

function planVerifyAndPublish(request: PlanRequest, state: ReleaseState, base: ReleasePlan): ReleasePlan {
  const { config } = state;
  const wheels = requireSection(config, 'wheels');
  const sdist = requireSection(config, 'sdist');
  const installTest = request.command === 'verify' && request.installTest !== false;
  const gitSha = installTest ? takeGitSha(state) : undefined;
  const names = state.names!;
  const verify: VerifyInput = {
    dir: request.out,
    version: config.version.pep440,
    wheels: {
      project: names.wheels,
      platforms: [...wheels.platforms],
      binaries: [...wheels.binaries],
      ...(wheels.versionCheck === undefined ? {} : { versionCheck: wheels.versionCheck }),
    },
    sdist: {
      project: names.sdist,
      command: sdist.command,
      ...(sdist.versionCheck === undefined ? {} : { versionCheck: sdist.versionCheck }),
    },
    ...(gitSha === undefined ? {} : { gitSha }),
    installTest,
  };
  const actions: ReleaseAction[] = [{ kind: 'verify', dir: request.out, installTest, files: state.files }];
  if (request.command === 'publish') {
    // Nothing is uploaded unless the whole set verifies; publishing takes exactly the verified files.
    const destination = request.destination ?? {};
    actions.push({
      kind: 'publish',
      dir: request.out,
      files: state.files ?? [],
      destination: describeDestination(destination),
      dryRun: request.dryRun === true,
    });
  }
  return { ...base, ...(gitSha === undefined ? {} : { gitSha }), verify, actions };
}

/** Where a publish goes, for people: the directory, or the upload URL (PyPI's by default). Pure. */
export function describeDestination(destination: PublishDestination): string {
  if ('directory' in destination) return destination.directory;
  return destination.repositoryUrl ?? PYPI_UPLOAD_URL;
}

function takeGitSha(state: ReleaseState): string {
  const taken = state.gitSha;
  if (taken === undefined) throw new PackyardError('INTERNAL', 'the commit was not read for this command');
  if ('error' in taken) throw taken.error;
  return taken.sha;
}

/** The section a command needs, or CONFIG_INVALID naming release.yaml and what to add. Pure. */
export function requireSection<K extends 'wheels' | 'sdist'>(
  config: ReleaseConfig,
  section: K,
): K extends 'wheels' ? WheelsConfig : SdistConfig {
  const value = config[section];
  if (value === undefined) {
    throw new PackyardError('CONFIG_INVALID', `release.yaml has no ${section}: section`, {
      file: join(config.root, RELEASE_FILE),
      field: section,
      hint:
        section === 'wheels'
          ? 'add wheels: { project, platforms, binaries }'
          : 'add sdist: { project, build-info, command }',
    });
  }
  return value as K extends 'wheels' ? WheelsConfig : SdistConfig;
}
