import { chmod, writeFile } from 'node:fs/promises';

/** `value` as one POSIX shell word. Pure. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Writes an executable `/bin/sh` script that runs `before` (lines of shell, e.g. a log line), then
 * replaces itself with `argv` followed by its own arguments.
 */
export async function writeExecScript(
  file: string,
  argv: readonly string[],
  before: readonly string[] = [],
): Promise<void> {
  await writeFile(
    file,
    ['#!/bin/sh', ...before, `exec ${argv.map(shellQuote).join(' ')} "$@"`, ''].join('\n'),
  );
  await chmod(file, 0o755);
}
