import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HermitClient } from './provision.js';

/** Options for `createHermitEnvironment`. */
export interface HermitEnvironmentOptions {
  client: HermitClient;
  /** The environment's directory (created if missing); `bin/` goes inside it. */
  dir: string;
  /** Hermit's state: package cache, installed packages, synced sources. Default `<dir>/.hermit-state`. */
  stateDir?: string;
  /** Manifest sources, in priority order (`file:///dir`, `https://…/repo.git`, `env:///path`). */
  sources: readonly string[];
  /** Extra variables for every Hermit process (merged over the defaults below). */
  env?: Record<string, string | undefined>;
}

/** What one Hermit process did. */
export interface HermitRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A Hermit environment whose state lives only in the given directories. */
export interface HermitEnvironment {
  dir: string;
  stateDir: string;
  /** The variables every process in the environment runs with. */
  env: Record<string, string | undefined>;
  /** Runs `hermit <args>` inside the environment; `input` is written to its stdin. Never throws on a non-zero exit. */
  hermit(args: readonly string[], options?: { input?: string }): Promise<HermitRun>;
  /** Runs `bin/<name>` of the environment (a Hermit link: Hermit resolves, installs and execs the package). */
  exec(name: string, args: readonly string[]): Promise<HermitRun>;
}

/**
 * Creates a Hermit environment with `hermit init`, isolated from the machine's own Hermit: state,
 * user config and sources are all under the given directories, self-update is off, and the `bin/`
 * links run the given client instead of bootstrapping one from GitHub (`HERMIT_EXE`,
 * https://cashapp.github.io/hermit/usage/envars/). No token reaches Hermit.
 */
export async function createHermitEnvironment(options: HermitEnvironmentOptions): Promise<HermitEnvironment> {
  const stateDir = options.stateDir ?? join(options.dir, '.hermit-state');
  await mkdir(options.dir, { recursive: true });
  await mkdir(stateDir, { recursive: true });
  const env: Record<string, string | undefined> = {
    ...process.env,
    HERMIT_STATE_DIR: stateDir,
    HERMIT_USER_CONFIG: join(stateDir, 'user-config.hcl'),
    HERMIT_EXE: options.client.hermit,
    HERMIT_ENV: options.dir,
    HERMIT_SELF_UPDATE: 'false',
    HERMIT_LOG: 'warn',
    GITHUB_TOKEN: undefined,
    GH_TOKEN: undefined,
    HERMIT_GITHUB_TOKEN: undefined,
    ...options.env,
  };
  const environment: HermitEnvironment = {
    dir: options.dir,
    stateDir,
    env,
    hermit: (args, runOptions = {}) =>
      runProcess(options.client.hermit, args, { cwd: options.dir, env, input: runOptions.input }),
    exec: (name, args) => runProcess(join(options.dir, 'bin', name), args, { cwd: options.dir, env }),
  };
  const init = await environment.hermit([
    'init',
    '--no-git',
    ...options.sources.flatMap((source) => ['--sources', source]),
    options.dir,
  ]);
  if (init.code !== 0) {
    throw new Error(`hermit init ${options.dir} exited with ${init.code}:\n${init.stderr}${init.stdout}`);
  }
  return environment;
}

// stdout goes to a file, not a pipe: Hermit fsyncs stdout before reading an answer from stdin (its
// "not supported on these platforms, are you sure?" question), and fsync on a pipe fails.
async function runProcess(
  file: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string | undefined>; input?: string | undefined },
): Promise<HermitRun> {
  const scratch = await mkdtemp(join(tmpdir(), 'packyard-hermit-run-'));
  const stdoutFile = join(scratch, 'stdout');
  const handle = await open(stdoutFile, 'w');
  try {
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve, reject) => {
      const child = spawn(file, [...args], {
        cwd: options.cwd,
        env: options.env,
        stdio: ['pipe', handle.fd, 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (exitCode, signal) => resolve({ code: exitCode ?? (signal ? 128 : -1), stderr }));
      // Most commands read no input, and one that has exited before its input arrives (a slow
      // machine makes that likely) closed the pipe: EPIPE then says nothing about the run, which
      // its exit code and stderr report.
      child.stdin?.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') reject(error);
      });
      child.stdin?.end(options.input ?? '');
    });
    return { code, stdout: await readFile(stdoutFile, 'utf8'), stderr };
  } finally {
    await handle.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
