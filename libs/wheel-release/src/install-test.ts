import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pep440 from '@renovatebot/pep440';
import { PackyardError, findHostPlatform, formatPlatform, runTool, tailLines } from '@packyard/core';
import { resolveIndexUrl } from '@packyard/pypi-client';
import { provisionTools, toolEnv } from '@packyard/python-tools';
import type { ArchiveMember } from './inspect/archive.js';
import type { VerifyProblem } from './verify-wheel.js';

/**
 * How the install test checks what a program prints: it runs `<program> <args>`, and expects one of
 * `exitCodes` and trimmed stdout matching `pattern`. In the pattern, `{prog}` stands for the program's
 * name, `{version}` for the release version (PEP 440 or Cargo spelling) and `{sha}` for the build's
 * first 8 hex digits (any 8 hex digits when the sha is not known).
 */
export interface VersionCheck {
  args: readonly string[];
  pattern: string;
  exitCodes: readonly number[];
}

/** packyard's own convention: `<prog> --version` prints `<prog> <version> (<8 hex>)` and exits 0. */
export const DEFAULT_VERSION_CHECK: VersionCheck = Object.freeze({
  args: Object.freeze(['--version']),
  pattern: '^{prog} {version} \\({sha}\\)$',
  exitCodes: Object.freeze([0]),
});

/** The pattern with its placeholders filled in, as a RegExp. Pure. */
export function versionPattern(check: VersionCheck, prog: string, release: string, sha?: string): RegExp {
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const cargo = release.replace(/^(\d+\.\d+\.\d+)\.?((?:a|b|rc|dev)\d+)$/, '$1-$2');
  const version = cargo === release ? escape(release) : `(?:${escape(release)}|${escape(cargo)})`;
  const source = check.pattern
    .replaceAll('{prog}', escape(prog))
    .replaceAll('{version}', version)
    .replaceAll('{sha}', sha === undefined ? '[0-9a-f]{8}' : escape(sha.slice(0, 8)));
  return new RegExp(source, 'm');
}

/** Where Debian's libc6-arm64-cross puts the arm64 loader and libraries, for `qemu-aarch64 -L`. */
export const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

/** What the install test needs to know of a release (a part of `VerifyInput`). */
export interface InstallTestRelease {
  wheels: { binaries: readonly string[]; versionCheck?: VersionCheck | false };
  sdist: { command?: string; versionCheck?: VersionCheck | false };
  gitSha?: string;
  indexUrl?: string;
  home?: string;
}

/** What `runInstallTest` installs: the release directory's readable wheels and its sdist. */
export interface InstallTestInput {
  dir: string;
  wheels: { name: string; platform: string; members: ArchiveMember[] }[];
  sdist: string | undefined;
  /** The parts of `verifyRelease`'s input the install test reads. */
  input: InstallTestRelease;
  /** The release version, PEP 440. */
  release: string;
  log: (line: string) => void;
}

interface Outcome {
  checks: string[];
  problems: VerifyProblem[];
}

/**
 * The install test, on every platform this machine can execute: the release's wheel for the platform
 * and its sdist (built into a wheel first) installed together, as files from the release directory,
 * with their third-party dependencies from the configured index (`indexUrl`, default the one pip is
 * configured with). Natively into a fresh venv (the pinned uv), where every binary and the sdist's
 * command run; on an x86-64 Linux host also for linux-arm64 (`uv pip install --python-platform
 * --target`), where the installed binaries run under qemu-aarch64. Each program's output is checked as
 * its package's `versionCheck` says, or not at all when that is `false`.
 */
export async function runInstallTest(test: InstallTestInput): Promise<Outcome> {
  const { input, log } = test;
  const out: Outcome = { checks: [], problems: [] };
  const machine = findHostPlatform();
  // The WHEEL_TARGETS key of this machine (`linux-amd64`), or undefined.
  const host = machine === undefined ? undefined : formatPlatform(machine);
  const scratch = await mkdtemp(join(tmpdir(), 'wheel-release-verify-'));
  try {
    const native = test.wheels.filter((w) => w.platform === host);
    const arm = test.wheels.filter((w) => w.platform === 'linux-arm64');
    const runArm = host === 'linux-amd64' && arm.length === 1;
    if (host === undefined || native.length !== 1) {
      out.checks.push(
        `install:${host ?? process.platform}: not run: ${host === undefined ? 'this machine is none of the wheel platforms' : `${native.length} readable wheels for ${host}`}`,
      );
      if (!runArm) return out;
    }
    const tools = await provisionTools({ ...(input.home ? { home: input.home } : {}), log });
    // Third-party dependencies and the sdist's build backend come from an index: the one pip is
    // configured with, passed through the environment so no credentials reach an argument or a message.
    const index = input.indexUrl ?? (await resolveIndexUrl()).url;
    const env = { ...toolEnv(tools), VIRTUAL_ENV: undefined, UV_DEFAULT_INDEX: index };
    const uv = (args: string[]) => runTool(tools.uv, args, { env, tailLines: 20 });
    const builtSdist = await buildSdistWheel(test, uv, tools.python, scratch, out);
    if (builtSdist === null) return out;
    const files = (wheel: string) => [
      join(test.dir, wheel),
      ...(builtSdist === undefined ? [] : [builtSdist]),
    ];

    if (host !== undefined && native.length === 1) {
      const wheel = native[0]!;
      const venv = join(scratch, 'venv');
      await uv(['venv', '--no-config', '--quiet', '--python', tools.python, venv]);
      const args = ['pip', 'install', '--no-config', '--quiet', '--python', join(venv, 'bin', 'python')];
      if (await install(test, wheel.name, () => uv([...args, ...files(wheel.name)]), out)) {
        await runPrograms(test, wheel.name, join(venv, 'bin'), [], out);
        out.checks.push(`install:${host}`);
      }
    }

    if (runArm) {
      const wheel = arm[0]!;
      if (!(await hasQemu())) {
        out.checks.push(
          'install:linux-arm64: not run: qemu-aarch64 missing (tools/scripts/setup-qemu-user.sh installs it)',
        );
      } else {
        const target = join(scratch, 'arm64');
        const { stdout } = await runTool(tools.python, [
          '-c',
          'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")',
        ]);
        const args = [
          'pip',
          'install',
          '--no-config',
          '--quiet',
          '--python',
          tools.python,
          '--python-platform',
          'aarch64-manylinux_2_17',
          '--python-version',
          stdout.trim(),
          '--target',
          target,
        ];
        if (await install(test, wheel.name, () => uv([...args, ...files(wheel.name)]), out, 'linux-arm64')) {
          await runPrograms(
            test,
            wheel.name,
            join(target, 'bin'),
            ['qemu-aarch64', '-L', ARM64_SYSROOT],
            out,
          );
          out.checks.push('install:linux-arm64', 'run:linux-arm64 (qemu-aarch64)');
        }
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return out;
}

// The sdist as the wheel pip would build from it; undefined without an sdist, null when it fails.
async function buildSdistWheel(
  test: InstallTestInput,
  uv: (args: string[]) => Promise<unknown>,
  python: string,
  scratch: string,
  out: Outcome,
): Promise<string | undefined | null> {
  if (test.sdist === undefined) return undefined;
  const built = join(scratch, 'built');
  test.log(`uv build --wheel ${test.sdist}`);
  try {
    await uv([
      'build',
      '--no-config',
      '--quiet',
      '--wheel',
      '--python',
      python,
      '--out-dir',
      built,
      join(test.dir, test.sdist),
    ]);
  } catch (error) {
    out.problems.push({
      file: test.sdist,
      check: 'install',
      message: `the sdist does not build: ${message(error)}`,
    });
    return null;
  }
  const { readdir } = await import('node:fs/promises');
  const wheel = (await readdir(built)).find((name) => name.endsWith('.whl'));
  return wheel === undefined ? null : join(built, wheel);
}

async function install(
  test: InstallTestInput,
  wheel: string,
  run: () => Promise<unknown>,
  out: Outcome,
  platform?: string,
): Promise<boolean> {
  const what = [wheel, ...(test.sdist === undefined ? [] : [test.sdist])].join(' + ');
  test.log(`uv pip install ${what}${platform === undefined ? '' : ` (for ${platform})`}`);
  try {
    await run();
    return true;
  } catch (error) {
    out.problems.push({
      file: wheel,
      check: 'install',
      message: `${what} do not install together${platform === undefined ? '' : ` for ${platform}`}: ${message(error)}`,
    });
    return false;
  }
}

// Every binary of the wheel (and, natively, the sdist's command) run from `bin`, through `runner`.
async function runPrograms(
  test: InstallTestInput,
  wheel: string,
  bin: string,
  runner: string[],
  out: Outcome,
): Promise<void> {
  const { input } = test;
  const programs: { prog: string; file: string; check: VersionCheck | false | undefined }[] = [
    ...input.wheels.binaries.map((prog) => ({ prog, file: wheel, check: input.wheels.versionCheck })),
  ];
  if (runner.length === 0 && input.sdist.command !== undefined && test.sdist !== undefined)
    programs.push({ prog: input.sdist.command, file: test.sdist, check: input.sdist.versionCheck });
  for (const { prog, file, check } of programs) {
    const path = join(bin, prog);
    if (
      !(await access(path).then(
        () => true,
        () => false,
      ))
    ) {
      out.problems.push({
        file,
        check: 'install',
        message: `${prog} is not installed into ${runner.length ? 'the target' : 'the venv'}'s bin/`,
      });
      continue;
    }
    if (check === false) {
      out.checks.push(`version-output:${prog}: not run: versionCheck is false`);
      continue;
    }
    const found = await checkVersionOutput(path, runner, prog, check ?? DEFAULT_VERSION_CHECK, test);
    if (found)
      out.problems.push({
        file,
        check: 'version-output',
        message: runner.length === 0 ? found : `under ${runner[0]}: ${found}`,
      });
  }
}

async function hasQemu(): Promise<boolean> {
  const { execa } = await import('execa');
  const probe = await execa('qemu-aarch64', ['--version'], { reject: false, stdin: 'ignore' });
  if (probe.exitCode !== 0) return false;
  return access(join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1')).then(
    () => true,
    () => false,
  );
}

/** Runs `<runner> <file> <args>`; returns what is wrong with its exit code or output, or undefined. */
async function checkVersionOutput(
  file: string,
  runner: string[],
  prog: string,
  check: VersionCheck,
  test: InstallTestInput,
): Promise<string | undefined> {
  const { execa } = await import('execa');
  const [command, ...pre] = runner.length > 0 ? runner : [file];
  const args = [...(runner.length > 0 ? [...pre, file] : []), ...check.args];
  const run = await execa(command!, args, { reject: false, stdin: 'ignore' });
  const shown = `${prog} ${check.args.join(' ')}`.trim();
  if (run.exitCode === undefined || !check.exitCodes.includes(run.exitCode)) {
    return `${shown} failed (${run.exitCode ?? run.shortMessage}; expected exit ${check.exitCodes.join(' or ')}): ${tailLines(String(run.stderr).trim(), 5)}`;
  }
  const output = String(run.stdout).trim();
  const sha = test.input.gitSha?.slice(0, 8);
  const pattern = versionPattern(check, prog, test.release, sha);
  if (pattern.test(output) && pep440.valid(test.release) !== null) return undefined;
  // packyard's own convention reads best as the line it expects; any other pattern as itself.
  const expected =
    check.pattern === DEFAULT_VERSION_CHECK.pattern
      ? JSON.stringify(`${prog} ${test.release} (${sha ?? '<8 hex>'})`)
      : `a match of /${pattern.source}/`;
  return `${shown} printed ${JSON.stringify(output)}; expected ${expected}`;
}

function message(error: unknown): string {
  return error instanceof PackyardError || error instanceof Error ? error.message : String(error);
}
