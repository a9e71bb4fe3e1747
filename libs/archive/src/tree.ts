import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PackyardError } from '@packyard/core';
import type { ArchiveEntry } from './entries.js';

/**
 * The archive entries for every regular file under `dir`, named by their path relative to it. Symbolic
 * links are refused whatever they point at (packyard neither follows them nor stores them, so an
 * archive never holds, or reads, anything outside `dir`), and so are sockets, FIFOs and devices.
 * Empty directories are not kept (entries are files only). Throws ARCHIVE_INVALID naming the path.
 */
export async function readTreeEntries(dir: string): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  await walk(dir, '', entries);
  return entries;
}

async function walk(dir: string, prefix: string, out: ArchiveEntry[]): Promise<void> {
  const names = await readdir(dir);
  for (const name of names) {
    const path = join(dir, name);
    const relative = prefix === '' ? name : `${prefix}/${name}`;
    const info = await lstat(path);
    if (info.isSymbolicLink()) {
      const target = await readlink(path).catch(() => '?');
      throw new PackyardError(
        'ARCHIVE_INVALID',
        `${path} is a symbolic link (to ${JSON.stringify(target)}); archives hold regular files only`,
        {
          file: path,
          value: target,
          hint: 'copy the file the link points at into the archive directory instead of linking it',
        },
      );
    }
    if (info.isDirectory()) await walk(path, relative, out);
    else if (info.isFile()) out.push({ name: relative, source: { path } });
    else {
      throw new PackyardError('ARCHIVE_INVALID', `${path} is not a regular file or directory`, {
        file: path,
        hint: 'archives hold regular files only; remove sockets, FIFOs and device files',
      });
    }
  }
}
