import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { PackyardError, sha256File, normalizeProjectName } from '@packyard/core';
import { explainDistributionFilename, type DistributionFilename } from './filename.js';
import { parseCoreMetadata, readDistributionMetadata } from './metadata.js';
import { compareVersionStrings, isPep440 } from './versions.js';

/** What packyard learns from reading one distribution file: enough to list it without reading it again. */
export interface InspectedFile {
  path: string;
  parsed: DistributionFilename;
  sha256: string;
  size: number;
  mtime: Date;
  requiresPython?: string;
  /** The METADATA bytes served as the PEP 658 `.metadata` file (wheels only). */
  metadata?: Buffer;
  metadataSha256?: string;
}

/** Checks a file name and throws CONFIG_INVALID naming it when it is no distribution file name. */
export function checkDistributionFilename(filename: string, where: string): DistributionFilename {
  const result = explainDistributionFilename(filename);
  if (typeof result !== 'string') return result;
  throw new PackyardError(
    'CONFIG_INVALID',
    `"${filename}" is not a valid distribution file name: ${result}`,
    {
      file: where,
      field: 'filename',
      value: filename,
      hint: 'index only wheels and sdists named as the packaging specifications say (build them with a standard build backend)',
    },
  );
}

// Linux, macOS and Windows all cap one path component at 255 bytes (NAME_MAX); Linux caps a whole
// path at 4096 bytes with its terminating NUL (PATH_MAX).
const NAME_MAX = 255;
const PATH_MAX = 4095;
const METADATA_SUFFIX = '.metadata';

/**
 * Says why the index cannot hold a file of this name, or returns the parsed name: a valid
 * distribution file name whose every path in the index fits the file system. A wheel gets a
 * `<name>.metadata` file beside it, so its name may have at most 246 characters; temporary names
 * never grow with the file's. With `indexDir`, the whole paths under it are checked too. Pure.
 */
export function explainIndexFilename(filename: string, indexDir?: string): DistributionFilename | string {
  const parsed = explainDistributionFilename(filename);
  if (typeof parsed === 'string') return parsed;
  const longest = parsed.kind === 'wheel' ? `${filename}${METADATA_SUFFIX}` : filename;
  if (Buffer.byteLength(longest) > NAME_MAX) {
    return parsed.kind === 'wheel'
      ? `it is ${filename.length} characters long, and the index keeps its metadata beside it as ${JSON.stringify(`…${METADATA_SUFFIX}`)}, a name that must fit in ${NAME_MAX} bytes: a wheel's name may have at most ${NAME_MAX - METADATA_SUFFIX.length} characters`
      : `it is ${filename.length} characters long, and a file name must fit in ${NAME_MAX} bytes`;
  }
  if (indexDir !== undefined) {
    const path = join(resolve(indexDir), 'files', parsed.normalizedName, longest);
    if (Buffer.byteLength(path) > PATH_MAX) {
      return `the index would store it as ${path}, which is ${Buffer.byteLength(path)} bytes long, more than the ${PATH_MAX} a path may have`;
    }
  }
  return parsed;
}

/** Like checkDistributionFilename, with explainIndexFilename's limits: throws CONFIG_INVALID. */
export function checkIndexFilename(filename: string, where: string, indexDir?: string): DistributionFilename {
  const result = explainIndexFilename(filename, indexDir);
  if (typeof result !== 'string') return result;
  throw new PackyardError('CONFIG_INVALID', `"${filename}" cannot be added to the index: ${result}`, {
    file: where,
    field: 'filename',
    value: filename,
    hint: 'shorten the file name (a shorter build tag, or fewer compressed tags), or rename the project',
  });
}

/**
 * Reads a wheel or sdist: its name, sha256, size and core metadata, and checks that the metadata's
 * Name and Version are the ones the file name gives (PEP 503 normalised name, PEP 440-equal version).
 */
export async function inspectDistribution(path: string): Promise<InspectedFile> {
  const parsed = checkDistributionFilename(basename(path), path);
  const info = await stat(path).catch((error: unknown) => {
    throw new PackyardError('CONFIG_INVALID', `cannot read ${path}: ${(error as Error).message}`, {
      file: path,
      hint: 'pass the path of a built wheel or sdist',
      cause: error,
    });
  });
  if (!info.isFile()) {
    throw new PackyardError('CONFIG_INVALID', `${path} is not a regular file`, { file: path });
  }
  const [sha256, metadataBytes] = await Promise.all([
    sha256File(path),
    readDistributionMetadata(path, parsed),
  ]);
  const metadata = parseCoreMetadata(metadataBytes.toString('utf8'));
  const source = parsed.kind === 'wheel' ? 'METADATA' : 'PKG-INFO';
  if (metadata.name === undefined) {
    throw mismatch(path, `${source} Name`, undefined, `${source} has no Name field`);
  }
  if (normalizeProjectName(metadata.name) !== parsed.normalizedName) {
    throw mismatch(
      path,
      `${source} Name`,
      metadata.name,
      `${source} names the project "${metadata.name}", but the file name says "${parsed.name}"`,
    );
  }
  if (metadata.version === undefined || !isPep440(metadata.version)) {
    throw mismatch(
      path,
      `${source} Version`,
      metadata.version,
      metadata.version === undefined
        ? `${source} has no Version field`
        : `${source} Version "${metadata.version}" is not a PEP 440 version`,
    );
  }
  if (compareVersionStrings(metadata.version, parsed.version) !== 0) {
    throw mismatch(
      path,
      `${source} Version`,
      metadata.version,
      `${source} says version "${metadata.version}", but the file name says "${parsed.version}"`,
    );
  }
  const out: InspectedFile = { path, parsed, sha256, size: info.size, mtime: info.mtime };
  if (metadata.requiresPython !== undefined) out.requiresPython = metadata.requiresPython;
  // PEP 658 metadata is served for wheels only, as PyPI does: an sdist's PKG-INFO may mark fields
  // Dynamic (PEP 643), so installers must build it to learn its dependencies anyway.
  if (parsed.kind === 'wheel') {
    out.metadata = metadataBytes;
    out.metadataSha256 = createHash('sha256').update(metadataBytes).digest('hex');
  }
  return out;
}

function mismatch(path: string, field: string, value: string | undefined, message: string): PackyardError {
  return new PackyardError('CONFIG_INVALID', `${basename(path)}: ${message}`, {
    file: path,
    field,
    value,
    hint: 'the metadata inside a distribution must match its file name; rebuild it, or rename it to what its metadata says',
  });
}
