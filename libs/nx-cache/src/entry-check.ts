import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import { PassThrough, type Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { PackyardError } from '@packyard/core';

/** Why a cache entry was refused: the member and what is wrong with it. */
export interface EntryProblem {
  member: string;
  reason: string;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const ALLOWED_TYPES = new Set(['file', 'contiguous-file', 'directory', 'symlink', 'link']);

/**
 * Checks one member of a cache entry. A member name or link that could land outside the directory
 * the client unpacks into (absolute, a drive letter, a `..` segment, either separator) is a problem,
 * and so is any member that is not a file, directory or link. Pure.
 */
export function checkEntryMember(header: {
  name: string;
  type?: string | null | undefined;
  linkname?: string | null | undefined;
}): EntryProblem | undefined {
  const member = header.name;
  const escape = escapes(member);
  if (escape !== undefined) return { member, reason: `its name ${escape}` };
  const type = header.type ?? 'file';
  if (!ALLOWED_TYPES.has(type)) return { member, reason: `it is a ${type}, not a file, directory or link` };
  if (type === 'symlink' || type === 'link') {
    const target = header.linkname ?? '';
    if (target === '') return { member, reason: 'it is a link with no target' };
    if (isAbsolute(target)) return { member, reason: `it links to the absolute path ${target}` };
    // A symlink resolves from its own directory, a hard link from the root of the archive.
    const base = type === 'symlink' ? posix.dirname(toPosix(member)) : '.';
    const resolved = posix.normalize(posix.join(base, toPosix(target)));
    if (resolved === '..' || resolved.startsWith('../') || resolved.startsWith('/')) {
      return { member, reason: `it links to ${target}, outside the entry` };
    }
  }
  return undefined;
}

function toPosix(path: string): string {
  return path.replaceAll('\\', '/');
}

function isAbsolute(path: string): boolean {
  return path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path);
}

function escapes(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.includes('\0')) return 'holds a NUL byte';
  if (isAbsolute(name)) return 'is an absolute path';
  if (toPosix(name).split('/').includes('..')) return 'has a ".." segment';
  return undefined;
}

/**
 * Reads a cache entry (a tar, gzip-compressed or not) from `file` to its end and returns the first
 * problem, or undefined when every member stays inside the entry. A body that is not a readable tar
 * is refused with ARCHIVE_INVALID.
 */
export async function checkCacheEntryFile(file: string): Promise<EntryProblem | undefined> {
  const head = await readHead(file);
  const gzip = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  return checkCacheEntryStream(createReadStream(file), gzip);
}

async function readHead(file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(file, { start: 0, end: 1 })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function checkCacheEntryStream(input: Readable, gzip: boolean): Promise<EntryProblem | undefined> {
  let problem: EntryProblem | undefined;
  let members = 0;
  // Nx writes old-style (v7) tar headers, without the ustar magic: accept them, as GNU tar does.
  const tar = extract({ allowUnknownFormat: true } as Parameters<typeof extract>[0]);
  tar.on('entry', (header, stream, next) => {
    members += 1;
    problem ??= checkEntryMember(header);
    stream.on('end', next);
    stream.resume();
  });
  try {
    await pipeline(input, gzip ? createGunzip() : new PassThrough(), tar as unknown as Writable);
  } catch (error) {
    throw new PackyardError(
      'ARCHIVE_INVALID',
      `the cache entry is not a readable tar: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (members === 0 && problem === undefined) {
    throw new PackyardError('ARCHIVE_INVALID', 'the cache entry is not a tar with at least one member');
  }
  return problem;
}
