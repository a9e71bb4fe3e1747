import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PackyardError, runTool } from '@packyard/core';
import { provisionPythonTools } from '@packyard/python-tools';

/** A wheel platform packyard builds, and the Rust target maturin builds it for. */
export const WHEEL_TARGETS: Readonly<Record<string, string>> = Object.freeze({
  'linux-amd64': 'x86_64-unknown-linux-gnu',
  'linux-arm64': 'aarch64-unknown-linux-gnu',
  'darwin-amd64': 'x86_64-apple-darwin',
  'darwin-arm64': 'aarch64-apple-darwin',
});

/** What `buildWheels` builds: one maturin crate for the given platforms. */
export interface BuildWheelsInput {
  /** The directory holding the crate's pyproject.toml (maturin, `bindings = "bin"`). */
  crateDir: string;
  platforms: readonly string[];
  /** Where the wheels go; emptied of *.whl first. */
  outDir: string;
  /** The commit being built, baked into the binary as PACKYARD_GIT_SHA. */
  gitSha: string;
  /** Cargo's target directory, kept between builds. */
  cargoTargetDir: string;
  home?: string;
  log?: (line: string) => void;
}

/**
 * Adds the Rust targets with rustup, provisions maturin + ziglang, and builds one wheel per platform
 * with `maturin build --release --zig` from this machine. Returns the wheel file names, sorted.
 */
export async function buildWheels(input: BuildWheelsInput): Promise<string[]> {
  const log = input.log ?? (() => {});
  const targets = input.platforms.map((platform) => {
    const target = WHEEL_TARGETS[platform];
    if (target === undefined) {
      throw new PackyardError('CONFIG_INVALID', `unknown platform ${JSON.stringify(platform)}`, {
        field: 'platforms',
        value: platform,
        hint: `use ${Object.keys(WHEEL_TARGETS).join(', ')}`,
      });
    }
    return target;
  });
  await runTool('rustup', ['target', 'add', ...targets], { tailLines: 20 });
  const tools = await provisionPythonTools({
    tools: ['maturin', 'ziglang'],
    ...(input.home ? { home: input.home } : {}),
    log,
  });
  const maturin = tools.commands.maturin!;
  await mkdir(input.outDir, { recursive: true });
  for (const name of await readdir(input.outDir))
    if (name.endsWith('.whl')) await rm(join(input.outDir, name));
  const env = {
    // maturin --zig runs `python3 -m ziglang`: the venv's python first on PATH.
    PATH: `${dirname(tools.python)}:${process.env['PATH'] ?? ''}`,
    PACKYARD_GIT_SHA: input.gitSha,
    CARGO_TARGET_DIR: input.cargoTargetDir,
    SOURCE_DATE_EPOCH: process.env['SOURCE_DATE_EPOCH'] ?? '315532800',
  };
  for (const target of targets) {
    log(`maturin build --release --zig --target ${target}`);
    try {
      await runTool(
        maturin.file,
        [...maturin.args, 'build', '--release', '--zig', '--target', target, '--out', input.outDir],
        { cwd: input.crateDir, env, tailLines: 30 },
      );
    } catch (error) {
      throw new PackyardError('BUILD_FAILED', `maturin could not build ${input.crateDir} for ${target}`, {
        file: input.crateDir,
        value: target,
        cause: error,
      });
    }
  }
  return (await readdir(input.outDir)).filter((name) => name.endsWith('.whl')).sort();
}
