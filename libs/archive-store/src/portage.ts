import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PackyardError, writeFileAtomically } from '@packyard/core';
import { compareNames, DigestCounter, digestFile, type ArchiveDigests } from '@packyard/archive';

/** Portage's default distfiles directory. */
export const DEFAULT_DISTFILES_DIR = '/var/cache/portage/distfiles';

/** What a Manifest line and a distfile copy need to know about an archive. */
export interface DistfileInfo {
  finalName: string;
  size: number;
  digests: ArchiveDigests;
}

/** `DIST <name> <size> BLAKE2B <hex> SHA512 <hex>`: the Manifest line Portage checks a distfile against. Pure. */
export function renderManifestLine(archive: DistfileInfo): string {
  return `DIST ${archive.finalName} ${archive.size} BLAKE2B ${archive.digests.blake2b} SHA512 ${archive.digests.sha512}`;
}

const DIST_LINE = /^DIST (\S+) ([0-9]+)( [A-Z0-9]+ [0-9a-f]+)+$/;

/**
 * A Manifest holding only DIST lines, sorted by file name: the lines of `existing` (a Manifest's
 * text) with those of `archives` added, replacing any line for the same name. `file` names the
 * Manifest in errors about a malformed line. Pure.
 */
export function renderManifest(archives: readonly DistfileInfo[], existing = '', file = 'Manifest'): string {
  const lines = new Map<string, string>();
  existing.split('\n').forEach((line, index) => {
    if (line.trim() === '' || !line.startsWith('DIST ')) return;
    const match = DIST_LINE.exec(line);
    if (match === null) {
      throw new PackyardError(
        'CONFIG_INVALID',
        `line ${index + 1} is not a valid DIST line: ${JSON.stringify(line)}`,
        {
          file,
          field: `line ${index + 1}`,
          value: line,
          hint: 'fix or delete the line; packyard rewrites DIST lines as DIST <name> <size> BLAKE2B <hex> SHA512 <hex>',
        },
      );
    }
    lines.set(match[1]!, line);
  });
  for (const archive of archives) lines.set(archive.finalName, renderManifestLine(archive));
  const names = [...lines.keys()].sort(compareNames);
  return names.map((name) => `${lines.get(name)}\n`).join('');
}

/** Adds (or replaces) the DIST lines of `archives` in the Manifest at `path`, atomically. Returns the text. */
export async function writeManifest(path: string, archives: readonly DistfileInfo[]): Promise<string> {
  let existing = '';
  try {
    existing = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const text = renderManifest(archives, existing, path);
  if (text !== existing) await writeFileAtomically(path, text);
  return text;
}

/** `<url> -> <final name>`: how an ebuild's SRC_URI names a file the CDN serves under its hash. Pure. */
export function renderSrcUri(archive: { url: string; finalName: string }): string {
  return `${archive.url} -> ${archive.finalName}`;
}

/** What `copyToDistfiles` did. */
export type DistfileCopy =
  { status: 'copied' | 'unchanged'; path: string } | { status: 'skipped'; path: string; reason: string };

/**
 * Copies a stored blob into a distfiles directory under its final name (temp file + rename), hashing
 * while copying: bytes that do not match `archive.digests` are never put there (VERIFY_FAILED). A
 * directory that is missing or not writable is skipped with a reason, which the caller shows as a
 * warning; an identical file already there is left alone.
 */
export async function copyToDistfiles(
  blobPath: string,
  archive: DistfileInfo,
  dir: string = DEFAULT_DISTFILES_DIR,
): Promise<DistfileCopy> {
  const target = join(dir, archive.finalName);
  try {
    await access(dir, constants.W_OK);
  } catch (error) {
    return {
      status: 'skipped',
      path: target,
      reason: `${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? 'error'}); are you in the portage group?`,
    };
  }
  const present = await stat(target).catch(() => undefined);
  if (present?.isFile() === true && present.size === archive.size) {
    const { digests } = await digestFile(target);
    if (digests.sha512 === archive.digests.sha512 && digests.blake2b === archive.digests.blake2b) {
      return { status: 'unchanged', path: target };
    }
  }
  const tmp = `${target}.tmp-${process.pid}-${Date.now().toString(36)}`;
  const hashing = new DigestCounter();
  try {
    await pipeline(createReadStream(blobPath), hashing, createWriteStream(tmp, { flags: 'wx', flush: true }));
    const got = hashing.digests();
    if (got.sha512 !== archive.digests.sha512 || hashing.size !== archive.size) {
      throw new PackyardError('VERIFY_FAILED', `blob ${blobPath} does not hold the bytes its name says`, {
        file: blobPath,
        value: got.sha512,
        hint: 'run `dynamic-archives verify`, then store the archive again',
      });
    }
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return { status: 'copied', path: target };
}
