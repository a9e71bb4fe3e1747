import { PackyardError, toPackyardError } from '@packyard/core';
import {
  classifyRefusal,
  type AddFilesOptions,
  type AddFilesResult,
  type AddFilesToIndex,
} from '@packyard/wheel-index';

/**
 * Adds files to the index and sorts a refusal into the two kinds the app reports apart:
 * STORE_CONFLICT (the name is taken by other bytes) and ARCHIVE_INVALID (not a valid distribution:
 * bad name, not an archive, metadata that disagrees with the name). Other failures pass unchanged.
 */
export async function addToIndex(
  addFilesToIndex: AddFilesToIndex,
  indexDir: string,
  files: readonly string[],
  options: AddFilesOptions = {},
): Promise<AddFilesResult> {
  try {
    return await addFilesToIndex(indexDir, files, options);
  } catch (error) {
    const failure = toPackyardError(error);
    const kind = classifyRefusal(failure.code);
    if (kind === undefined) throw failure;
    throw new PackyardError(kind, failure.message, {
      file: failure.file,
      field: failure.field,
      value: failure.value,
      hint:
        failure.hint ??
        (kind === 'STORE_CONFLICT'
          ? 'files are immutable: publish a new version, or replace it on purpose (--replace)'
          : undefined),
      cause: failure,
    });
  }
}
