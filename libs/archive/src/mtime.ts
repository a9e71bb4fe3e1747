import { PackyardError } from '@packyard/core';

/** 1980-01-01T00:00:00Z: the mtime used when SOURCE_DATE_EPOCH is unset (the zip epoch, as wheels use). */
export const FALLBACK_MTIME = 315_532_800;

// tar-stream encodes mtime as `(ms / 1000) | 0`, a signed 32-bit integer, so later times would be
// written as garbage; 2038-01-19T03:14:07Z is the last second it can represent.
const MAX_MTIME = 2 ** 31 - 1;

/**
 * The archive mtime: SOURCE_DATE_EPOCH when it is a valid integer (decimal digits only, as the spec
 * says, https://reproducible-builds.org/specs/source-date-epoch/, and at most 2^31-1), else 315532800.
 */
export function defaultMtime(env: Record<string, string | undefined> = process.env): number {
  const raw = env['SOURCE_DATE_EPOCH']?.trim();
  if (raw === undefined || !/^[0-9]+$/.test(raw)) return FALLBACK_MTIME;
  const seconds = Number(raw);
  return seconds <= MAX_MTIME ? seconds : FALLBACK_MTIME;
}

/** Rejects an mtime the tar headers cannot hold exactly. Pure. */
export function checkMtime(mtime: number): number {
  if (!Number.isInteger(mtime) || mtime < 0 || mtime > MAX_MTIME) {
    throw new PackyardError(
      'ARCHIVE_INVALID',
      `mtime ${mtime} is not a whole number of seconds in 0..${MAX_MTIME}`,
      {
        field: 'mtime',
        value: mtime,
        hint: 'pass seconds since the epoch (like `date +%s`), not milliseconds',
      },
    );
  }
  return mtime;
}
