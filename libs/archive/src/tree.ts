import type { Dirent } from 'node:fs';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { PackyardError } from '@packyard/core';
import type { ArchiveItem } from './entries.js';

/** Options of `readTreeEntries`. */
export interface ReadTreeOptions {
  /** Add a directory entry for every empty directory, so it survives extraction; default false. */
  emptyDirectories?: boolean;
}

// Directories read between two turns of the event loop (about a millisecond of work each time).
const DIRECTORIES_PER_TURN = 32;

/**
 * The archive entries for every regular file under `dir` (and, with `emptyDirectories`, every empty
 * directory), named by their path relative to it. One pass: each directory is read once with its
 * entries' types, so no file is stat'ed here (the writers stat the handle they read). A name that is
 * not valid UTF-8 is kept as its bytes (`rawName`). Symbolic links are refused whatever they point at
 * (packyard neither follows them nor stores them, so an archive never holds, or reads, anything
 * outside `dir`), and so are sockets, FIFOs and devices. Throws ARCHIVE_INVALID naming the path.
 *
 * Directories are read with synchronous calls, as tar does, giving the event loop a turn every few
 * of them: on a tree of many small directories a round trip through libuv's thread pool for each
 * read cost more than the read itself, and much more on a loaded machine, where every hand-off
 * between threads waits for a time slice.
 */
export async function readTreeEntries(dir: string, options: ReadTreeOptions = {}): Promise<ArchiveItem[]> {
  const entries: ArchiveItem[] = [];
  const pending: Pending[] = [{ path: dir, relative: '' }];
  for (let next = 0; next < pending.length; next++) {
    if (next > 0 && next % DIRECTORIES_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    readOne(pending[next]!, entries, pending, options);
  }
  return entries;
}

// A directory to read: its path and its path relative to the tree, as text while every name on the
// way is valid UTF-8 (the usual case: no buffers per file), else as bytes.
interface Pending {
  path: string | Buffer;
  relative: string | Buffer;
}

const SLASH = Buffer.from('/');

function readOne(dir: Pending, out: ArchiveItem[], pending: Pending[], options: ReadTreeOptions): void {
  const names = readdirSync(dir.path, {
    withFileTypes: true,
    encoding: 'buffer',
  }) as unknown as Dirent<Buffer>[];
  if (names.length === 0 && dir.relative.length > 0 && options.emptyDirectories === true) {
    out.push(
      typeof dir.relative === 'string'
        ? { name: dir.relative, directory: true }
        : { name: displayName(dir.relative), rawName: Uint8Array.from(dir.relative), directory: true },
    );
  }
  for (const dirent of names) {
    const text = typeof dir.path === 'string' ? nameText(dirent.name) : undefined;
    let path: string | Buffer;
    let name: string | Buffer;
    if (text !== undefined) {
      path = `${dir.path as string}/${text}`;
      name = dir.relative.length === 0 ? text : `${dir.relative as string}/${text}`;
    } else {
      path = Buffer.concat([bytesOf(dir.path), SLASH, dirent.name]);
      name =
        dir.relative.length === 0 ? dirent.name : Buffer.concat([bytesOf(dir.relative), SLASH, dirent.name]);
    }
    let kind: 'file' | 'directory' | 'link' | 'other';
    if (dirent.isFile()) kind = 'file';
    else if (dirent.isDirectory()) kind = 'directory';
    else if (dirent.isSymbolicLink()) kind = 'link';
    else if (dirent.isBlockDevice() || dirent.isCharacterDevice() || dirent.isFIFO() || dirent.isSocket())
      kind = 'other';
    else {
      // A file system that does not report types in its directory entries: ask for this one.
      const info = lstatSync(path);
      kind = info.isFile()
        ? 'file'
        : info.isDirectory()
          ? 'directory'
          : info.isSymbolicLink()
            ? 'link'
            : 'other';
    }
    if (kind === 'directory') pending.push({ path, relative: name });
    else if (kind === 'file') {
      out.push(
        typeof name === 'string'
          ? { name, source: { path } }
          : { name: displayName(name), rawName: Uint8Array.from(name), source: { path } },
      );
    } else if (kind === 'link') {
      let target = '?';
      try {
        target = readlinkSync(path, 'buffer').toString('utf8');
      } catch {
        // Named as '?' in the message: the link is refused whatever it points at.
      }
      throw new PackyardError(
        'ARCHIVE_INVALID',
        `${display(path)} is a symbolic link (to ${JSON.stringify(target)}); archives hold regular files only`,
        {
          file: display(path),
          value: target,
          hint: 'copy the file the link points at into the archive directory instead of linking it',
        },
      );
    } else {
      throw new PackyardError('ARCHIVE_INVALID', `${display(path)} is not a regular file or directory`, {
        file: display(path),
        hint: 'archives hold regular files only; remove sockets, FIFOs and device files',
      });
    }
  }
}

/** A name's text when its bytes are valid UTF-8, else undefined. */
function nameText(bytes: Buffer): string | undefined {
  if (isAscii(bytes)) return bytes.toString('latin1');
  const text = bytes.toString('utf8');
  return Buffer.byteLength(text, 'utf8') === bytes.length && Buffer.from(text, 'utf8').equals(bytes)
    ? text
    : undefined;
}

function bytesOf(path: string | Buffer): Buffer {
  return typeof path === 'string' ? Buffer.from(path, 'utf8') : path;
}

function isAscii(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte >= 0x80) return false;
  return true;
}

/** A readable form of a name that is not UTF-8: each byte that is not part of valid text as `\xNN`. */
export function displayName(bytes: Uint8Array): string {
  let out = '';
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let index = 0;
  while (index < buffer.length) {
    const byte = buffer[index]!;
    const length =
      byte < 0x80
        ? 1
        : byte >= 0xc2 && byte < 0xe0
          ? 2
          : byte >= 0xe0 && byte < 0xf0
            ? 3
            : byte >= 0xf0 && byte < 0xf5
              ? 4
              : 0;
    const piece = length === 0 ? undefined : buffer.subarray(index, index + length);
    if (
      piece !== undefined &&
      piece.length === length &&
      Buffer.from(piece.toString('utf8'), 'utf8').equals(piece)
    ) {
      out += piece.toString('utf8');
      index += length;
    } else {
      out += `\\x${byte.toString(16).padStart(2, '0')}`;
      index++;
    }
  }
  return out;
}

function display(path: string | Buffer): string {
  return typeof path === 'string' ? path : displayName(path);
}
