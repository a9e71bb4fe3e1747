import { usageError, type CliIo as CoreCliIo, type CommandContext } from '@packyard/core';
import type { AddFilesToIndex, BuildTools, Logger } from '@packyard/pkg-index-pipeline';

/** The process around `main`: output, environment, and the I/O tests replace. */
export interface CliIo extends CoreCliIo {
  /** Aborted when `serve` should stop (SIGINT/SIGTERM). */
  stopSignal?: () => AbortSignal;
  readStdin?: () => Promise<string>;
  provisionTools?: () => Promise<BuildTools>;
  addFilesToIndex?: AddFilesToIndex;
  fetch?: typeof globalThis.fetch;
}

/** What a handler reads from its command line. */
export type Parsed = Pick<CommandContext, 'values' | 'positionals' | 'required' | 'string'>;

// Each command loads the pipeline when it runs, so `--help` does not pay for its modules.
/** The pkg-index pipeline library, loaded on first use. */
export const pipeline = () => import('@packyard/pkg-index-pipeline');

/** The log lines of the commands: stderr, through core's reporter (JSON lines with --json). */
export function commandLog(c: CommandContext): Logger {
  return { info: c.log.info, warn: c.log.warn };
}

/** `--<name>` as a whole number from `min` to `max`, or `fallback` when not given. */
export function parseCount(parsed: Parsed, name: string, fallback: number, min: number, max: number): number {
  const text = parsed.string(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw usageError(`--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  }
  return value;
}
