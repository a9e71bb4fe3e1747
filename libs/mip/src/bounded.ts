import { spawn } from 'node:child_process';
import { PackyardError } from '@packyard/core';

/** Options of `runBounded`. */
export interface BoundedRunOptions {
  cwd?: string;
  /** The whole environment of the child (nothing is inherited beyond it). */
  env?: Record<string, string | undefined>;
  /** Time allowed before the child's whole process group is killed. */
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL once the limit is reached; default 5 s. */
  killGraceMs?: number;
}

/** What a bounded run did. Its output is stdout and stderr interleaved, as a log shows them. */
export interface BoundedRunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  output: string;
}

/**
 * Runs a program in its own process group with a time limit. When the limit is reached the whole
 * group (the program and everything it started: git, a compiler, a `sleep` in a package file) gets
 * SIGTERM, then SIGKILL. After a normal exit, the group's leftovers are killed too, so a background
 * child cannot outlive its package. stdin is closed. Never rejects for a non-zero exit.
 */
export function runBounded(
  command: string,
  args: string[],
  options: BoundedRunOptions,
): Promise<BoundedRunResult> {
  return new Promise((resolvePromise, reject) => {
    const env = Object.fromEntries(
      Object.entries(options.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const child = spawn(command, args, {
      cwd: options.cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is gone already.
      }
    };
    const limit = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 5000);
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(limit);
      reject(
        new PackyardError('TOOL_FAILED', `cannot run ${command}: ${error.message}`, {
          value: [command, ...args].join(' '),
          cause: error,
        }),
      );
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(limit);
      if (killTimer !== undefined) clearTimeout(killTimer);
      killGroup('SIGKILL');
      resolvePromise({ exitCode, signal, timedOut, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

/** Time limits of a channel build, in milliseconds. */
export interface TimeLimits {
  /** One package file's build (the bridge process, and everything it starts). */
  buildMs: number;
  /** One `compile.m` run (MATLAB or Octave, and the compilers it starts). */
  compileMs: number;
  /** One git command (clone, checkout, ls-remote). */
  gitMs: number;
}

/** Generous defaults: an hour for a build or a compile, ten minutes for one git command. */
export const DEFAULT_TIME_LIMITS: TimeLimits = { buildMs: 3_600_000, compileMs: 3_600_000, gitMs: 600_000 };

/**
 * Reads a time limit in seconds as the user wrote it (`--time-limit-compile 900`). Pure.
 * @throws PackyardError CONFIG_INVALID naming the option and the value.
 */
export function parseSeconds(option: string, value: string): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value.trim()) || Number(value) <= 0) {
    throw new PackyardError(
      'CONFIG_INVALID',
      `must be a positive number of seconds, not ${JSON.stringify(value)}`,
      {
        field: option,
        value,
      },
    );
  }
  return Math.round(Number(value) * 1000);
}

/** "timed out after 12 s" / "exited with code 3" / "killed by SIGSEGV". Pure. */
export function describeExit(
  result: Pick<BoundedRunResult, 'exitCode' | 'signal' | 'timedOut'>,
  timeoutMs: number,
): string {
  if (result.timedOut) return `timed out after ${timeoutMs / 1000} s (its process group was killed)`;
  if (result.exitCode !== null) return `exited with code ${result.exitCode}`;
  return `was killed by ${result.signal ?? 'a signal'}`;
}

/** A step that hit its time limit; its process group was killed. Code BUILD_FAILED. */
export class TimeLimitError extends PackyardError {
  readonly timedOut = true;
}

/** True when `error` is (or was caused by) a step that hit its time limit. */
export function isTimeLimit(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (e instanceof TimeLimitError) return true;
  return false;
}
