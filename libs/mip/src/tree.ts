import { createHash, type Hash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** One entry of a package tree: a regular file or a symbolic link (folders are implied). */
export interface TreeEntry {
  path: string;
  kind: 'file' | 'symlink';
}

/**
 * The files and symbolic links under `root`, relative, sorted by UTF-8 bytes; `.git` is skipped.
 * Symbolic links are listed as such and never followed.
 */
export async function listTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isSymbolicLink()) out.push({ path, kind: 'symlink' });
      else if (entry.isDirectory()) await walk(join(dir, entry.name), path);
      else if (entry.isFile()) out.push({ path, kind: 'file' });
    }
  };
  await walk(root, '');
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/** Relative paths of the regular files under `root`, sorted by UTF-8 bytes; `.git` is skipped. */
export async function listFiles(root: string): Promise<string[]> {
  return (await listTree(root)).filter((e) => e.kind === 'file').map((e) => e.path);
}

/**
 * Feeds every file (path and bytes) and symbolic link (path and target) under `root` into `hash`,
 * labelled, so a renamed, edited, added or removed file changes the digest.
 */
export async function hashTree(hash: Hash, label: string, root: string): Promise<void> {
  hash.update(`\0tree\0${label}\0`);
  for (const entry of await listTree(root)) {
    const full = join(root, entry.path);
    if (entry.kind === 'symlink') hash.update(`\0link\0${entry.path}\0${await readlink(full)}`);
    else hash.update(`\0file\0${entry.path}\0${(await lstat(full)).size}\0`).update(await readFile(full));
  }
}

/** sha256 (hex) of a tree, as `hashTree` feeds it. */
export async function treeDigest(root: string): Promise<string> {
  const hash = createHash('sha256');
  await hashTree(hash, '.', root);
  return hash.digest('hex');
}

/**
 * The content-addressed key of a bundle, relative to the channel's prefix:
 * `sha256/<digest>/<file name>`. The digest is in the key, so a key never changes bytes: a reader
 * holding any index downloads exactly the bytes that index names. Pure.
 */
export function contentAddressedKey(fileName: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256 hex digest: ${sha256}`);
  return `sha256/${sha256}/${fileName}`;
}
