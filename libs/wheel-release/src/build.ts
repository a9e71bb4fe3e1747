import { availableParallelism } from 'node:os';
import { createHash } from 'node:crypto';
import { access, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { PackyardError, forEachConcurrent, runTool } from '@packyard/core';
import { provisionPythonTools } from '@packyard/python-tools';
import { prepareOutputDir, resolveGitSha } from './git.js';
import { NATIVE_RUNNERS, hostWheelPlatform, wheelTarget } from './platforms.js';

/** What this machine's toolchain offers, as `probeBuildHost` finds it; the input of `planWheelBuilds`. */
export interface BuildHost {
  /** This machine's platform, e.g. `linux-amd64`. */
  platform: string;
  /** Rust targets already installed (`rustup target list --installed`, or rustc's host without rustup). */
  installedTargets: readonly string[];
  /** Targets `rustup target add` can install for this toolchain; empty without rustup. */
  addableTargets: readonly string[];
  /** Whether zig is available to maturin `--zig` (ziglang from PyPI needs a python3). */
  zig: boolean;
}

/** How one platform's wheel gets built: here (maturin, `--zig` when `zig`), or on its own CI runner. */
export type WheelBuildStep =
  | { platform: string; target: string; how: 'cross'; runner: string; zig: boolean }
  | { platform: string; target: string; how: 'native'; runner: string; reason: string };

/**
 * Plans each platform's wheel build: `cross` from this host's runner where the toolchain can reach the
 * target (installed or addable by rustup, and zig wherever maturin needs it: every Linux target, for
 * manylinux_2_17 instead of the host's glibc, and macOS targets from a non-macOS host), else `native`
 * on the platform's own runner, with the reason. Throws CONFIG_INVALID for an unknown platform. Pure.
 */
export function planWheelBuilds(platforms: readonly string[], host: BuildHost): WheelBuildStep[] {
  return platforms.map((platform) => {
    const target = wheelTarget(platform);
    const native = (reason: string): WheelBuildStep => ({
      platform,
      target,
      how: 'native',
      runner: NATIVE_RUNNERS[platform]!,
      reason,
    });
    if (!host.installedTargets.includes(target) && !host.addableTargets.includes(target)) {
      return native(
        host.addableTargets.length === 0
          ? `Rust target ${target} is not installed and there is no rustup here to add it`
          : `rustup cannot add Rust target ${target} to this toolchain`,
      );
    }
    const darwinOnDarwin = platform.startsWith('darwin-') && host.platform.startsWith('darwin-');
    const zig = !darwinOnDarwin;
    if (zig && !host.zig) {
      return native(`cross-building ${target} needs zig (ziglang from PyPI), and there is no python3 here`);
    }
    return { platform, target, how: 'cross', runner: host.platform, zig };
  });
}

/** One entry of the CI build matrix: a runner, the platforms it builds (comma-separated), and how. */
export interface WheelRunnerEntry {
  runner: string;
  platforms: string;
  how: 'cross' | 'native';
  /** Whether this entry also builds the sdist: exactly one does (the cross-building runner if any). */
  sdist: boolean;
}

/**
 * The CI build matrix for a plan, in hermit-pex's `runners` shape (`{"include":[{runner, platforms}]}`,
 * plus `how` and `sdist`): one entry for this host's runner with every platform it cross-builds, then
 * one per platform that needs its own runner. Pure.
 */
export function planWheelRunnerMatrix(
  plan: readonly WheelBuildStep[],
  host: Pick<BuildHost, 'platform'>,
): { include: WheelRunnerEntry[] } {
  const here = plan.filter((step) => step.how === 'cross').map((step) => step.platform);
  const elsewhere = plan.filter((step) => step.how === 'native');
  const include: WheelRunnerEntry[] = [
    ...(here.length > 0
      ? [
          {
            runner: NATIVE_RUNNERS[host.platform] ?? host.platform,
            platforms: here.join(','),
            how: 'cross' as const,
            sdist: false,
          },
        ]
      : []),
    ...elsewhere.map((step) => ({
      runner: step.runner,
      platforms: step.platform,
      how: 'native' as const,
      sdist: false,
    })),
  ];
  if (include[0]) include[0].sdist = true;
  return { include };
}

/**
 * Asks the toolchain what it can build, cheaply and offline: `rustup target list` (installed and
 * addable targets), else rustc's host target; and whether a python3 exists for ziglang.
 */
export async function probeBuildHost(): Promise<BuildHost> {
  const platform = hostWheelPlatform();
  let installedTargets: string[] = [];
  let addableTargets: string[] = [];
  try {
    const listed = (await runTool('rustup', ['target', 'list'])).stdout.split('\n');
    for (const line of listed) {
      const name = line.trim().split(/\s+/)[0];
      if (!name) continue;
      if (/\((installed|default)\)/.test(line)) installedTargets.push(name);
      addableTargets.push(name);
    }
  } catch {
    // No rustup: a distribution's cargo builds its host target only.
    const host = await runTool('rustc', ['-vV'])
      .then((r) => /^host: (\S+)$/m.exec(r.stdout)?.[1])
      .catch(() => undefined);
    installedTargets = host === undefined ? [] : [host];
    addableTargets = [];
  }
  const zig = await runTool('python3', ['--version']).then(
    () => true,
    () => false,
  );
  return { platform, installedTargets, addableTargets, zig };
}

/** What `buildWheels` builds: one maturin crate for the given platforms. */
export interface BuildWheelsInput {
  /** The directory holding the crate's pyproject.toml (maturin, `bindings = "bin"`). */
  crateDir: string;
  platforms: readonly string[];
  /** Where the wheels go; emptied of *.whl first. */
  outDir: string;
  /** The commit being built, baked into the binary as PACKYARD_GIT_SHA; default `git rev-parse HEAD`. */
  gitSha?: string;
  /** Without `gitSha`, build a crate with uncommitted changes anyway. */
  allowDirty?: boolean;
  /** Cargo's target directory, kept between builds (with `jobs` > 1, one subdirectory per Rust target);
   * default outside the source tree, in packyard's home (`defaultCargoTargetDir`). */
  cargoTargetDir?: string;
  /** How many targets build at once; default half the CPUs (cargo already uses every CPU within one
   * build; a second build fills the single-threaded stretches), at least 1, at most the targets. */
  jobs?: number;
  /** The host as `probeBuildHost` sees it (tests; a caller that probed already). */
  host?: BuildHost;
  home?: string;
  log?: (line: string) => void;
  /** Told when each platform's build starts and ends (core's ProgressTask fits), for `[n/N]` progress. */
  progress?: {
    begin(platform: string): void;
    done(platform: string, detail?: string): void;
    fail(platform: string, detail?: string): void;
  };
}

/** Throws CONFIG_INVALID naming each planned platform this machine cannot build, and its runner. Pure. */
export function refuseNativeBuilds(plan: readonly WheelBuildStep[]): void {
  const elsewhere = plan.filter((step) => step.how === 'native');
  if (elsewhere.length === 0) return;
  throw new PackyardError(
    'CONFIG_INVALID',
    `cannot build ${elsewhere.map((s) => s.platform).join(', ')} on this machine: ${elsewhere.map((s) => s.reason).join('; ')}`,
    {
      field: 'platforms',
      value: elsewhere[0]!.platform,
      hint: `build it on ${elsewhere.map((s) => `${s.runner} (${s.platform})`).join(', ')}`,
    },
  );
}

/**
 * Builds one wheel per platform with `maturin build --release` (`--zig` as planned) from this machine:
 * checks first that every platform can be built here (else CONFIG_INVALID naming the platform and the
 * runner that builds it), adds missing Rust targets with rustup, provisions maturin + ziglang, then
 * runs the targets one after another in `cargoTargetDir` (host build scripts and proc-macros compiled
 * once), or, with `jobs` > 1, up to `jobs` at once, each in `cargoTargetDir/<target>`: maturin copies
 * every target's binary to the same `<target dir>/maturin/<bin>` before zipping it, so concurrent builds
 * sharing one directory could swap binaries between wheels. Each wheel is written to a staging
 * directory and renamed into `outDir`. Returns the wheel file names, sorted.
 */
export async function buildWheels(input: BuildWheelsInput): Promise<string[]> {
  const log = input.log ?? (() => {});
  for (const platform of input.platforms) wheelTarget(platform);
  const gitSha = await resolveGitSha({
    dir: input.crateDir,
    gitSha: input.gitSha,
    allowDirty: input.allowDirty,
  });
  const host = input.host ?? (await probeBuildHost());
  const plan = planWheelBuilds(input.platforms, host);
  refuseNativeBuilds(plan);
  const missing = plan.map((step) => step.target).filter((target) => !host.installedTargets.includes(target));
  if (missing.length > 0) {
    log(`rustup target add ${missing.join(' ')}`);
    await runTool('rustup', ['target', 'add', ...missing], { tailLines: 20 });
  }
  const tools = await provisionPythonTools({
    tools: ['maturin', 'ziglang'],
    ...(input.home ? { home: input.home } : {}),
    log,
  });
  const maturin = tools.commands.maturin!;
  const cargoTargetDir = input.cargoTargetDir ?? defaultCargoTargetDir(input.crateDir, tools.home);
  // With a Cargo.lock, cargo must not rewrite it: a stale lock fails the build instead of dirtying the tree.
  const locked = await access(join(input.crateDir, 'Cargo.lock')).then(
    () => true,
    () => false,
  );
  await prepareOutputDir(input.outDir);
  for (const name of await readdir(input.outDir))
    if (name.endsWith('.whl')) await rm(join(input.outDir, name));
  const env = {
    // maturin --zig runs `python3 -m ziglang`: the venv's python first on PATH.
    PATH: `${dirname(tools.python)}:${process.env['PATH'] ?? ''}`,
    PACKYARD_GIT_SHA: gitSha,
    SOURCE_DATE_EPOCH: process.env['SOURCE_DATE_EPOCH'] ?? '315532800',
    // zig's compiled libc stubs and compiler-rt are kept with packyard's tools, shared by every build.
    ZIG_GLOBAL_CACHE_DIR: join(tools.home, 'zig-cache'),
  };
  const jobs = Math.max(1, Math.min(input.jobs ?? Math.floor(availableParallelism() / 2), plan.length));
  const steps = plan.filter((step) => step.how === 'cross');
  // The first failure stops new builds; the ones already running finish first.
  await forEachConcurrent(steps, jobs, async (step) => {
    input.progress?.begin(step.platform);
    try {
      await buildOne(
        step,
        input,
        maturin,
        env,
        jobs === 1 ? cargoTargetDir : join(cargoTargetDir, step.target),
        locked,
        log,
      );
      input.progress?.done(step.platform, step.target);
    } catch (error) {
      input.progress?.fail(step.platform, step.target);
      throw error;
    }
  });
  return (await readdir(input.outDir)).filter((name) => name.endsWith('.whl')).sort();
}

async function buildOne(
  step: Extract<WheelBuildStep, { how: 'cross' }>,
  input: BuildWheelsInput,
  maturin: { file: string; args: readonly string[] },
  env: Record<string, string>,
  cargoTargetDir: string,
  locked: boolean,
  log: (line: string) => void,
): Promise<void> {
  const staging = join(input.outDir, `.staging-${step.target}`);
  await rm(staging, { recursive: true, force: true });
  const args = [
    'build',
    '--release',
    ...(locked ? ['--locked'] : []),
    ...(step.zig ? ['--zig'] : []),
    '--target',
    step.target,
  ];
  log(`maturin ${args.join(' ')}`);
  try {
    await runTool(maturin.file, [...maturin.args, ...args, '--out', staging], {
      cwd: input.crateDir,
      env: { ...env, CARGO_TARGET_DIR: cargoTargetDir },
      tailLines: 30,
    });
    const built = (await readdir(staging)).filter((name) => name.endsWith('.whl'));
    if (built.length !== 1) {
      throw new PackyardError(
        'BUILD_FAILED',
        `maturin wrote ${built.length} wheels for ${step.target}, not one`,
        {
          file: staging,
          value: built.join(', '),
        },
      );
    }
    await rename(join(staging, built[0]!), join(input.outDir, built[0]!));
  } catch (error) {
    if (error instanceof PackyardError && error.code === 'BUILD_FAILED') throw error;
    throw new PackyardError('BUILD_FAILED', `maturin could not build ${input.crateDir} for ${step.target}`, {
      file: input.crateDir,
      value: step.target,
      cause: error,
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Cargo's target directory for a crate when the caller names none: under packyard's home, keyed by the
 * crate's absolute path, so builds stay incremental and nothing is written into the source tree. Pure.
 */
export function defaultCargoTargetDir(crateDir: string, home: string): string {
  const key = createHash('sha256').update(resolve(crateDir)).digest('hex').slice(0, 16);
  return join(home, 'wheel-release', 'cargo-target', `${basename(resolve(crateDir))}-${key}`);
}
